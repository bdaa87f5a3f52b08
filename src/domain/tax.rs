//! VAT as KRA's eTIMS classes it. Every product has a tax type; shelf prices include the
//! tax, so a line's tax is the part of its net (after discounts) that the rate makes up.
//! Each line is rounded to the cent on its own and a type's tax is the sum of its lines',
//! so the invoice's lines add up to its header and the receipt shows the same figures.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::Money;

/// KRA's tax types (eTIMS code list "Tax Type").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "tax_type")]
pub enum TaxType {
    /// Exempt.
    A,
    /// Standard rate, 16 %.
    B,
    /// Zero-rated.
    C,
    /// Not subject to VAT.
    D,
    /// Reduced rate, 8 %.
    E,
}

impl TaxType {
    pub const ALL: [TaxType; 5] = [TaxType::A, TaxType::B, TaxType::C, TaxType::D, TaxType::E];

    /// The percent the type taxes at.
    pub fn rate(self) -> Decimal {
        match self {
            TaxType::B => Decimal::from(16),
            TaxType::E => Decimal::from(8),
            TaxType::A | TaxType::C | TaxType::D => Decimal::ZERO,
        }
    }

    /// The code KRA uses (`taxTyCd`).
    pub fn code(self) -> &'static str {
        match self {
            TaxType::A => "A",
            TaxType::B => "B",
            TaxType::C => "C",
            TaxType::D => "D",
            TaxType::E => "E",
        }
    }

    /// How a receipt and the admin console name it.
    pub fn label(self) -> &'static str {
        match self {
            TaxType::A => "A Exempt",
            TaxType::B => "B VAT 16%",
            TaxType::C => "C Zero-rated",
            TaxType::D => "D Non-VAT",
            TaxType::E => "E VAT 8%",
        }
    }

    pub fn parse(code: &str) -> Option<TaxType> {
        TaxType::ALL
            .into_iter()
            .find(|t| t.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The tax contained in `gross`, an amount that includes it, to the cent.
    pub fn tax_in(self, gross: Money) -> Money {
        let rate = self.rate();
        Money::new(gross.amount() * rate / (Decimal::ONE_HUNDRED + rate))
    }
}

/// What one tax type adds up to on a sale or a credit note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxTotal {
    pub tax_type: TaxType,
    /// The nets of its lines, tax included (KRA's `taxblAmt`).
    pub taxable: Money,
    pub tax: Money,
}

/// Each type's totals, in KRA's order, from the lines' types and nets; every type is there
/// (an invoice names all five), those without lines at zero.
pub fn totals(lines: impl IntoIterator<Item = (TaxType, Money)>) -> Vec<TaxTotal> {
    let mut totals: Vec<TaxTotal> = TaxType::ALL
        .into_iter()
        .map(|tax_type| TaxTotal {
            tax_type,
            taxable: Money::ZERO,
            tax: Money::ZERO,
        })
        .collect();
    for (tax_type, net) in lines {
        let total = &mut totals[tax_type as usize];
        total.taxable = total.taxable + net;
        total.tax = total.tax + tax_type.tax_in(net);
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ksh(amount: &str) -> Money {
        Money::new(amount.parse().unwrap())
    }

    #[test]
    fn the_tax_is_the_part_of_an_inclusive_price_the_rate_makes_up() {
        assert_eq!(TaxType::B.tax_in(ksh("116.00")), ksh("16.00"));
        assert_eq!(TaxType::E.tax_in(ksh("108.00")), ksh("8.00"));
        // 999.00 × 16 / 116 = 137.7931…
        assert_eq!(TaxType::B.tax_in(ksh("999.00")), ksh("137.79"));
        // No inclusive cent amount holds an exact half cent at 16 % or 8 % (the gross would
        // be an odd number of half cents times 29/8 or 27/4), so rounding never ties.
        assert_eq!(TaxType::E.tax_in(ksh("1.00")), ksh("0.07"));
        for untaxed in [TaxType::A, TaxType::C, TaxType::D] {
            assert_eq!(untaxed.tax_in(ksh("999.00")), Money::ZERO);
        }
    }

    #[test]
    fn totals_list_every_type_and_add_up_each_lines_own_rounding() {
        let totals = totals([
            (TaxType::B, ksh("10.00")),
            (TaxType::B, ksh("10.00")),
            (TaxType::E, ksh("54.00")),
            (TaxType::A, ksh("200.00")),
        ]);
        assert_eq!(
            totals.iter().map(|t| t.tax_type).collect::<Vec<_>>(),
            TaxType::ALL
        );
        let b = totals[TaxType::B as usize];
        // Each 10.00 holds 1.379… → 1.38; the two lines give 2.76 (20.00 at once: 2.76 too,
        // but the sum of the lines is what the invoice's lines show).
        assert_eq!((b.taxable, b.tax), (ksh("20.00"), ksh("2.76")));
        let e = totals[TaxType::E as usize];
        assert_eq!((e.taxable, e.tax), (ksh("54.00"), ksh("4.00")));
        let a = totals[TaxType::A as usize];
        assert_eq!((a.taxable, a.tax), (ksh("200.00"), Money::ZERO));
        assert_eq!(totals[TaxType::C as usize].taxable, Money::ZERO);
    }

    #[test]
    fn codes_parse_back() {
        for t in TaxType::ALL {
            assert_eq!(TaxType::parse(t.code()), Some(t));
        }
        assert_eq!(TaxType::parse(" b "), Some(TaxType::B));
        assert_eq!(TaxType::parse("F"), None);
    }
}
