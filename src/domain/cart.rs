//! The cart as the customer sees it, with anything that changed since it was added flagged.

use serde::Serialize;
use uuid::Uuid;

use crate::domain::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CartLine {
    pub product_id: Uuid,
    pub name: String,
    pub sku: String,
    pub quantity: i32,
    /// The price when it was put in the cart.
    pub price_seen: Money,
    /// The price now.
    pub price: Money,
    pub stock_quantity: i32,
    pub is_archived: bool,
}

/// Why a cart line cannot be ordered as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LineProblem {
    PriceChanged { was: Money, now: Money },
    NotEnoughStock { available: i32 },
    Discontinued,
}

impl CartLine {
    pub fn line_total(&self) -> Money {
        self.price.times(self.quantity)
    }

    pub fn problem(&self) -> Option<LineProblem> {
        if self.is_archived {
            Some(LineProblem::Discontinued)
        } else if self.stock_quantity < self.quantity {
            Some(LineProblem::NotEnoughStock {
                available: self.stock_quantity,
            })
        } else if self.price != self.price_seen {
            Some(LineProblem::PriceChanged {
                was: self.price_seen,
                now: self.price,
            })
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartView {
    pub lines: Vec<CartLine>,
}

impl CartView {
    pub fn total(&self) -> Money {
        self.lines.iter().map(CartLine::line_total).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn has_problems(&self) -> bool {
        self.lines.iter().any(|line| line.problem().is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: i32, seen: i64, now: i64, stock: i32) -> CartLine {
        CartLine {
            product_id: Uuid::nil(),
            name: "Chai".into(),
            sku: "CHAI".into(),
            quantity,
            price_seen: Money::from_cents(seen),
            price: Money::from_cents(now),
            stock_quantity: stock,
            is_archived: false,
        }
    }

    #[test]
    fn total_uses_current_prices() {
        let cart = CartView {
            lines: vec![line(2, 100, 150, 5), line(1, 1999, 1999, 1)],
        };
        assert_eq!(cart.total(), Money::from_cents(2 * 150 + 1999));
    }

    #[test]
    fn problems_are_flagged() {
        assert_eq!(line(1, 100, 100, 1).problem(), None);
        assert_eq!(
            line(3, 100, 100, 2).problem(),
            Some(LineProblem::NotEnoughStock { available: 2 })
        );
        assert!(matches!(
            line(1, 100, 90, 9).problem(),
            Some(LineProblem::PriceChanged { .. })
        ));
        let mut gone = line(1, 100, 100, 9);
        gone.is_archived = true;
        assert_eq!(gone.problem(), Some(LineProblem::Discontinued));
    }
}
