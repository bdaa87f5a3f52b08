//! Money taken off a sale at the till: an amount or a percent, off one line or off the whole
//! sale, always with a reason. The database works the amounts out when the sale is written
//! (migration 30); these are the same rules, for what the till shows before that.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{Error, Money, Result};

/// How much comes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Off {
    /// Percent of the shelf value (of the line, or of the sale after its line discounts).
    Percent(Decimal),
    Amount(Money),
}

impl Off {
    /// Reads what the cashier typed: `10%` is a percent, `50` or `50.00` shillings.
    pub fn parse(text: &str) -> Result<Off> {
        let text = text.trim();
        let Some(percent) = text.strip_suffix('%') else {
            let amount = Money::parse("Discount", text)?;
            if amount == Money::ZERO {
                return Err(Error::invalid("Discount", "enter more than nothing"));
            }
            return Ok(Off::Amount(amount));
        };
        let not_a_percent = || Error::invalid("Discount", format!("'{text}' is not a percent"));
        let value: Decimal = percent.trim().parse().map_err(|_| not_a_percent())?;
        if value <= Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            return Err(Error::invalid(
                "Discount",
                "a percent is above 0 and at most 100",
            ));
        }
        if value.normalize().scale() > 2 {
            return Err(Error::invalid("Discount", "at most 2 decimal places"));
        }
        Ok(Off::Percent(value.normalize()))
    }

    /// What comes off `value`: a percent to the cent, half away from zero, as the database
    /// rounds.
    pub fn of(self, value: Money) -> Money {
        match self {
            Off::Percent(p) => Money::new(value.amount() * p / Decimal::ONE_HUNDRED),
            Off::Amount(amount) => amount,
        }
    }

    pub fn label(self) -> String {
        match self {
            Off::Percent(p) => format!("{p}%"),
            Off::Amount(amount) => amount.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    /// The line's product, or None for the whole sale.
    pub product: Option<Uuid>,
    pub off: Off,
    pub reason: String,
}

impl Discount {
    /// The discounts as `bytemtaani_place_order` reads them.
    pub fn to_json(discounts: &[Discount]) -> Value {
        Value::Array(
            discounts
                .iter()
                .map(|d| {
                    let (percent, amount) = match d.off {
                        Off::Percent(p) => (Some(p.to_string()), None),
                        Off::Amount(a) => (None, Some(a.amount().to_string())),
                    };
                    json!({ "product": d.product, "percent": percent, "amount": amount,
                            "reason": d.reason })
                })
                .collect(),
        )
    }
}

/// What a sale's discounts come to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worked {
    /// Each line's own discount, in the order the lines were given.
    pub own: Vec<Money>,
    /// The whole sale's discount, taken off what the line discounts leave.
    pub sale: Money,
}

impl Worked {
    pub fn total(&self) -> Money {
        self.own.iter().copied().sum::<Money>() + self.sale
    }
}

/// Works out `discounts` on lines of (product, shelf value). Refused as the database refuses:
/// more off a line than the line, or nothing left to pay.
pub fn work_out(lines: &[(Uuid, Money)], discounts: &[Discount]) -> Result<Worked> {
    if discounts.is_empty() {
        return Ok(Worked {
            own: vec![Money::ZERO; lines.len()],
            sale: Money::ZERO,
        });
    }
    let own: Vec<Money> = lines
        .iter()
        .map(|(product, value)| {
            discounts
                .iter()
                .find(|d| d.product == Some(*product))
                .map_or(Money::ZERO, |d| d.off.of(*value))
        })
        .collect();
    if lines.iter().zip(&own).any(|((_, value), off)| off > value) {
        return Err(Error::invalid("Discount", "is more than the line"));
    }
    let base: Money = lines.iter().map(|(_, v)| *v).sum::<Money>() - own.iter().copied().sum();
    let sale = discounts
        .iter()
        .find(|d| d.product.is_none())
        .map_or(Money::ZERO, |d| d.off.of(base));
    if sale >= base {
        return Err(Error::invalid(
            "Discount",
            "leaves nothing to pay: a sale is discounted, not given away",
        ));
    }
    Ok(Worked { own, sale })
}

/// What lines of (product, shelf value) cost with `discounts` off.
pub fn net_total(lines: &[(Uuid, Money)], discounts: &[Discount]) -> Result<Money> {
    let gross: Money = lines.iter().map(|(_, value)| *value).sum();
    Ok(gross - work_out(lines, discounts)?.total())
}

/// An admin's approval, at the till, of discounts over the cashier's limit for one sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub id: Uuid,
    pub admin: String,
}

/// True when a line would leave at more than `limit` percent off its shelf value (its own
/// discount and its share of the sale's), which only an admin may approve. Multiplied out as
/// the database does, so no division rounds the edge differently.
pub fn over_limit(lines: &[(Uuid, Money)], worked: &Worked, limit: Decimal) -> bool {
    let base: Decimal = lines
        .iter()
        .zip(&worked.own)
        .map(|((_, value), own)| value.amount() - own.amount())
        .sum();
    let sale = worked.sale.amount();
    lines.iter().zip(&worked.own).any(|((_, value), own)| {
        let (value, own) = (value.amount(), own.amount());
        (own * base + (value - own) * sale) * Decimal::ONE_HUNDRED > value * limit * base
    })
}

/// What `units` more of a line refund, when it sold `sold` units for `net` (its shelf value
/// less its discount) and `before` came back already: the refunds of a line add up to its net
/// exactly once every unit is back.
pub fn refund_share(net: Money, sold: i32, before: i32, units: i32) -> Money {
    let part = |n: i32| Money::new(net.amount() * Decimal::from(n) / Decimal::from(sold));
    part(before + units) - part(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse("test", text).unwrap()
    }

    fn line(n: u128, value: &str) -> (Uuid, Money) {
        (Uuid::from_u128(n), money(value))
    }

    #[test]
    fn a_percent_or_an_amount_is_read_as_typed() {
        assert_eq!(Off::parse("10%").unwrap(), Off::Percent(Decimal::TEN));
        assert_eq!(
            Off::parse(" 12.5 % ").unwrap(),
            Off::Percent(Decimal::new(125, 1))
        );
        assert_eq!(Off::parse("50").unwrap(), Off::Amount(money("50")));
        for bad in ["0%", "101%", "ten%", "1.234%", "0", "-5", "abc", ""] {
            assert!(Off::parse(bad).is_err(), "{bad} was taken");
        }
    }

    #[test]
    fn a_percent_rounds_half_away_from_zero_like_the_database() {
        // 5% of 99.99 is 4.9995.
        assert_eq!(
            Off::Percent(Decimal::from(5)).of(money("99.99")),
            money("5.00")
        );
        assert_eq!(
            Off::Percent(Decimal::from(5)).of(money("0.10")),
            money("0.01")
        );
    }

    #[test]
    fn a_sale_discount_comes_off_what_the_line_discounts_leave() {
        let lines = [line(1, "99.99"), line(2, "100.00")];
        let discounts = [
            Discount {
                product: Some(Uuid::from_u128(1)),
                off: Off::Percent(Decimal::from(5)),
                reason: "dented".into(),
            },
            Discount {
                product: None,
                off: Off::Percent(Decimal::TEN),
                reason: "regular".into(),
            },
        ];
        let worked = work_out(&lines, &discounts).unwrap();
        assert_eq!(worked.own, vec![money("5.00"), Money::ZERO]);
        // 10% of 194.99.
        assert_eq!(worked.sale, money("19.50"));
        assert_eq!(worked.total(), money("24.50"));
    }

    #[test]
    fn nothing_left_to_pay_or_more_than_a_line_is_refused() {
        let lines = [line(1, "100")];
        let whole = |product| Discount {
            product,
            off: Off::Percent(Decimal::ONE_HUNDRED),
            reason: "free".into(),
        };
        assert!(work_out(&lines, &[whole(None)]).is_err());
        assert!(work_out(&lines, &[whole(Some(Uuid::from_u128(1)))]).is_err());
        let too_much = Discount {
            product: Some(Uuid::from_u128(1)),
            off: Off::Amount(money("100.01")),
            reason: "x".into(),
        };
        assert!(work_out(&lines, &[too_much]).is_err());
    }

    #[test]
    fn the_limit_counts_a_lines_own_discount_with_its_share_of_the_sales() {
        let lines = [line(1, "100"), line(2, "100")];
        let at = |own: &str, sale: &str| Worked {
            own: vec![money(own), Money::ZERO],
            sale: money(sale),
        };
        let ten = Decimal::TEN;
        assert!(!over_limit(&lines, &at("10", "0"), ten));
        assert!(over_limit(&lines, &at("10.01", "0"), ten));
        // Line 1: 5 + 95 × 19 / 190 = 14.5 off 100; line 2: 100 × 19 / 190 = 10.
        assert!(over_limit(&lines, &at("5", "19"), ten));
        assert!(!over_limit(&lines, &at("0", "20"), ten));
    }

    #[test]
    fn a_lines_refunds_add_up_to_its_net_once_all_is_back() {
        let net = money("100.00");
        let parts = [
            refund_share(net, 3, 0, 1),
            refund_share(net, 3, 1, 1),
            refund_share(net, 3, 2, 1),
        ];
        assert_eq!(parts, [money("33.33"), money("33.34"), money("33.33")]);
        assert_eq!(parts.iter().copied().sum::<Money>(), net);
        assert_eq!(refund_share(net, 3, 0, 3), net);
    }
}
