//! Orders: the status state machine and the shapes the services return.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::payment::PaymentSummary;
use crate::domain::{Error, Money};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "order_status", rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    /// pending → paid | cancelled; paid → shipped | cancelled; shipped → delivered;
    /// nothing leaves delivered or cancelled.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Pending, Paid)
                | (Pending, Cancelled)
                | (Paid, Shipped)
                | (Paid, Cancelled)
                | (Shipped, Delivered)
        )
    }

    pub fn check_transition(self, next: OrderStatus) -> Result<(), Error> {
        if self.can_become(next) {
            Ok(())
        } else {
            Err(Error::InvalidTransition {
                from: self.to_string(),
                to: next.to_string(),
            })
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a new order: what to take from stock, and the price the buyer agreed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub product_id: Uuid,
    pub quantity: i32,
    pub agreed_price: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OrderSummary {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    /// The buyer's phone, offered for an M-Pesa push.
    pub phone: Option<String>,
    pub status: OrderStatus,
    pub total_amount: Money,
    pub served_by: Option<Uuid>,
    pub item_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A recorded order that nobody is paying for now (its M-Pesa code was rejected, its push
/// failed, or a kiosk customer pays at the counter): the till can take payment for it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnpaidOrder {
    pub order_id: Uuid,
    pub customer: String,
    pub total: Money,
    pub item_count: i64,
    pub created_at: DateTime<Utc>,
    /// Why it is unpaid, in the words the payment was failed with.
    pub why: String,
}

/// A sale a cashier rang up lately, to reprint its receipt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecentSale {
    pub order_id: Uuid,
    pub customer: String,
    pub total: Money,
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    /// Given back for returns so far.
    pub refunded: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OrderItem {
    pub product_id: Uuid,
    pub product_name: String,
    pub sku: String,
    pub quantity: i32,
    /// The shelf price.
    pub price: Money,
    /// Taken off the line: its own discount and its share of the sale's.
    pub discount: Money,
}

impl OrderItem {
    /// At the shelf price.
    pub fn gross(&self) -> Money {
        self.price.times(self.quantity)
    }

    /// What the line costs the buyer.
    pub fn line_total(&self) -> Money {
        self.gross() - self.discount
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderDetail {
    pub order: OrderSummary,
    pub items: Vec<OrderItem>,
    /// The order's one payment; None for a sale paid in parts.
    pub payment: Option<PaymentSummary>,
    /// The parts of a sale paid in parts at the till (migration 31).
    pub parts: Vec<PaymentSummary>,
    /// What happened after the sale, oldest first (shown to staff; empty for customers).
    pub after_sale: Vec<AfterSale>,
    /// Its eTIMS invoice as the receipt prints it (None with eTIMS off or not yet paid).
    #[serde(skip)]
    pub fiscal: Option<crate::domain::etims::FiscalPrint>,
}

/// A return taken against an order, or its write-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AfterSale {
    Returned {
        at: DateTime<Utc>,
        units: i64,
        refund: Money,
        method: crate::domain::payment::PaymentMethod,
        restocked: bool,
        by: String,
    },
    Tally {
        at: DateTime<Utc>,
        by: String,
        reason: String,
    },
}

impl OrderDetail {
    /// The transaction id claimed for this order and waiting for the shop to verify it (an
    /// M-Pesa code typed at the till): no other payment may start meanwhile.
    pub fn claimed_code(&self) -> Option<&str> {
        self.payment
            .as_ref()
            .filter(|p| p.status == crate::domain::payment::PaymentStatus::Pending)
            .and_then(|p| p.transaction_id.as_deref())
    }

    /// True when the customer can (still) pay for this order.
    pub fn payable(&self) -> bool {
        self.order.status == OrderStatus::Pending && self.claimed_code().is_none()
    }
}

/// An order as people quote it (receipt number, M-Pesa account reference, lists): the
/// first eight hex digits of its id, upper case.
pub fn short_id(id: uuid::Uuid) -> String {
    id.simple().to_string()[..8].to_uppercase()
}

/// What staff look for in the order list. Dates are the shop's calendar days, inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    /// Part of a username, or a phone number typed any usual way.
    pub customer: String,
}

impl OrderFilter {
    pub fn validate(&self) -> Result<(), crate::domain::Error> {
        crate::domain::clock::check_days(self.from, self.to)?;
        if self.customer.chars().count() > 100 {
            return Err(crate::domain::Error::invalid(
                "Customer",
                "must be at most 100 characters",
            ));
        }
        Ok(())
    }
}

/// What cancelling did, so the person can be told about money to give back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelOutcome {
    pub order: OrderSummary,
    pub units_restocked: i64,
    /// A successful payment that now has to be refunded to the customer.
    pub refund_due: Option<Money>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    #[test]
    fn the_state_machine_allows_exactly_the_documented_moves() {
        let allowed = [
            (Pending, Paid),
            (Pending, Cancelled),
            (Paid, Shipped),
            (Paid, Cancelled),
            (Shipped, Delivered),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn a_refused_move_says_why() {
        let err = Delivered.check_transition(Cancelled).unwrap_err();
        assert_eq!(
            err.to_string(),
            "An order that is delivered cannot become cancelled."
        );
    }
}
