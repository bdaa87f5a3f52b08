//! Shillings and cents, exact. Stored as numeric(12,2); shown as `KSh 1,234.50`.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::domain::Error;

/// The largest amount numeric(12,2) holds.
const MAX: Decimal = Decimal::from_parts(3_567_587_327, 232, 0, false, 2); // 9,999,999,999.99

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    sqlx::Type,
)]
#[sqlx(transparent)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Rounds to cents (half away from zero), the way a till does.
    pub fn new(amount: Decimal) -> Self {
        Money(amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }

    pub fn from_cents(cents: i64) -> Self {
        Money(Decimal::new(cents, 2))
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    /// Parses what a person types: `1234.5`, `1,234.50`, `KSh 1,234`. Refuses negatives,
    /// fractions of a cent and amounts too large to store.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, Error> {
        let cleaned: String = input
            .trim()
            .trim_start_matches("KSh")
            .trim_start_matches("Ksh")
            .trim_start_matches("KES")
            .chars()
            .filter(|c| *c != ',' && !c.is_whitespace())
            .collect();
        if cleaned.is_empty() {
            return Err(Error::invalid(field, "enter an amount"));
        }
        let not_an_amount =
            || Error::invalid(field, format!("'{}' is not an amount", input.trim()));
        if !cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        {
            return Err(not_an_amount());
        }
        let value: Decimal = cleaned.parse().map_err(|_| not_an_amount())?;
        if value.is_sign_negative() && !value.is_zero() {
            return Err(Error::invalid(field, "cannot be negative"));
        }
        if value.normalize().scale() > 2 {
            return Err(Error::invalid(field, "at most 2 decimal places (cents)"));
        }
        if value > MAX {
            return Err(Error::invalid(field, "too large"));
        }
        Ok(Money::new(value))
    }

    pub fn times(self, quantity: i32) -> Money {
        Money(self.0 * Decimal::from(quantity))
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rounded = self.0.round_dp(2);
        let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
            "-"
        } else {
            ""
        };
        let text = format!("{:.2}", rounded.abs());
        let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(f, "{sign}KSh {grouped}.{cents}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse("amount", s).unwrap()
    }

    #[test]
    fn displays_shillings_with_grouping_and_cents() {
        assert_eq!(m("1234.5").to_string(), "KSh 1,234.50");
        assert_eq!(m("0").to_string(), "KSh 0.00");
        assert_eq!(m("999").to_string(), "KSh 999.00");
        assert_eq!(m("1000000").to_string(), "KSh 1,000,000.00");
        assert_eq!((m("1") - m("2.5")).to_string(), "-KSh 1.50");
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(m("KSh 1,234.50"), Money::from_cents(123_450));
        assert_eq!(m(" 12 "), Money::from_cents(1200));
    }

    #[test]
    fn refuses_bad_amounts() {
        for bad in ["", "abc", "-1", "1.234", "10000000000", "1e3"] {
            assert!(
                Money::parse("price", bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn max_is_what_numeric_12_2_holds() {
        assert_eq!(MAX.to_string(), "9999999999.99");
    }

    #[test]
    fn arithmetic_is_exact() {
        let total: Money = [m("0.10"), m("0.20")].into_iter().sum();
        assert_eq!(total, m("0.30"));
        assert_eq!(m("19.99").times(3), m("59.97"));
    }
}
