//! Sales figures for the admin: today, the last 30 days, the best sellers. A sale is an
//! order that was paid (paid, shipped or delivered); days are the shop's (Nairobi) days.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::Money;
use crate::domain::payment::PaymentMethod;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodTotal {
    pub method: PaymentMethod,
    pub payments: i64,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayTotal {
    pub date: NaiveDate,
    pub orders: i64,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopProduct {
    pub name: String,
    pub sku: String,
    pub units: i64,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SalesReport {
    pub today: NaiveDate,
    /// Every one of the last 30 days, oldest first, today last (days without sales are 0).
    pub days: Vec<DayTotal>,
    /// Today's successful payments by method.
    pub methods_today: Vec<MethodTotal>,
    /// Today's refunds of returned goods by method (`payments` counts the returns).
    pub refunds_today: Vec<MethodTotal>,
    /// The best sellers of the 30 days by amount.
    pub top: Vec<TopProduct>,
    /// Till sales written off today: goods handed over, money never received.
    pub written_off_today: Tally,
    /// Sales settled today with a discount, and what came off them.
    pub discounted_today: Tally,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub sales: i64,
    pub amount: Money,
}

pub const DAYS: i64 = 30;

impl SalesReport {
    pub fn today_total(&self) -> DayTotal {
        self.days.last().cloned().unwrap_or(DayTotal {
            date: self.today,
            orders: 0,
            amount: Money::ZERO,
        })
    }

    /// The report as CSV (one table after another, a blank line between), for a spreadsheet.
    pub fn csv(&self) -> String {
        let mut out = String::from("date,orders,sales_kes\n");
        for day in &self.days {
            out.push_str(&format!(
                "{},{},{}\n",
                day.date,
                day.orders,
                day.amount.amount()
            ));
        }
        for (header, totals) in [
            ("method_today,payments", &self.methods_today),
            ("refunds_today,returns", &self.refunds_today),
        ] {
            out.push_str(&format!("\n{header},amount_kes\n"));
            for m in totals {
                out.push_str(&format!(
                    "{},{},{}\n",
                    m.method,
                    m.payments,
                    m.amount.amount()
                ));
            }
        }
        for (header, tally) in [
            ("written_off_today", self.written_off_today),
            ("discounts_today", self.discounted_today),
        ] {
            out.push_str(&format!(
                "\n{header},sales,amount_kes\n,{},{}\n",
                tally.sales,
                tally.amount.amount()
            ));
        }
        out.push_str("\nproduct,sku,units,amount_kes\n");
        for p in &self.top {
            out.push_str(&format!(
                "{},{},{},{}\n",
                csv_field(&p.name),
                csv_field(&p.sku),
                p.units,
                p.amount.amount()
            ));
        }
        out
    }
}

/// Quotes a field when it holds a comma, quote or line break (RFC 4180), and defuses text
/// a spreadsheet would run as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Unga, 2kg"), "\"Unga, 2kg\"");
        assert_eq!(csv_field("12\" TV"), "\"12\"\" TV\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("Chai"), "Chai");
    }

    #[test]
    fn the_csv_has_every_table() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let report = SalesReport {
            today,
            days: vec![DayTotal {
                date: today,
                orders: 2,
                amount: Money::from_cents(150_050),
            }],
            methods_today: vec![MethodTotal {
                method: PaymentMethod::Cash,
                payments: 2,
                amount: Money::from_cents(150_050),
            }],
            refunds_today: vec![MethodTotal {
                method: PaymentMethod::Mpesa,
                payments: 1,
                amount: Money::from_cents(50_000),
            }],
            top: vec![TopProduct {
                name: "Unga, 2kg".into(),
                sku: "UNGA-2".into(),
                units: 3,
                amount: Money::from_cents(150_050),
            }],
            written_off_today: Tally {
                sales: 1,
                amount: Money::from_cents(69_900),
            },
            discounted_today: Tally {
                sales: 2,
                amount: Money::from_cents(15_000),
            },
        };
        assert_eq!(
            report.csv(),
            "date,orders,sales_kes\n2026-11-25,2,1500.50\n\n\
             method_today,payments,amount_kes\nCash,2,1500.50\n\n\
             refunds_today,returns,amount_kes\nM-Pesa,1,500.00\n\n\
             written_off_today,sales,amount_kes\n,1,699.00\n\n\
             discounts_today,sales,amount_kes\n,2,150.00\n\n\
             product,sku,units,amount_kes\n\"Unga, 2kg\",UNGA-2,3,1500.50\n"
        );
    }
}
