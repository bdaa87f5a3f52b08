//! A cashier's shift at the till: the float counted in, the cash taken, moved and refunded,
//! and the count at the close. The X report (mid-shift) and the Z report (the close) are
//! laid out like receipts, to show, save and print.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::clock::shop_time;
use crate::domain::order::short_id;
use crate::domain::payment::PaymentMethod;
use crate::domain::receipt::{Shop, centre, pair};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Shift {
    pub id: Uuid,
    pub cashier: String,
    pub opening_float: Money,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub expected_cash: Option<Money>,
    pub counted_cash: Option<Money>,
}

impl Shift {
    /// Counted less expected, once closed: short below zero, over above.
    pub fn difference(&self) -> Option<Money> {
        Some(self.counted_cash? - self.expected_cash?)
    }
}

/// Which shifts the console lists: opened between two of the shop's days (inclusive), by a
/// cashier whose name contains some text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShiftFilter {
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    pub cashier: String,
}

impl ShiftFilter {
    pub fn validate(&self) -> Result<(), crate::domain::Error> {
        crate::domain::clock::check_days(self.from, self.to)
    }
}

/// A shift's figures, as its report shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftFigures {
    /// Successful payments taken in the shift, per method.
    pub taken: Vec<(PaymentMethod, Money)>,
    /// M-Pesa codes taken and still waiting for an admin.
    pub awaiting: Money,
    pub sales: i64,
    /// Refunds of goods returned in the shift, per method.
    pub refunds: Vec<(PaymentMethod, Money)>,
    pub returns: i64,
    pub cash_in: Money,
    pub cash_out: Money,
    /// Sales and lines voided before payment.
    pub voids: i64,
    /// What the drawer should hold now (or held at the close).
    pub expected_cash: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftReport {
    pub shop: Shop,
    pub shift: Shift,
    pub figures: ShiftFigures,
    /// When it was drawn up (the close, for a Z report).
    pub at: DateTime<Utc>,
}

impl ShiftReport {
    /// Z once the shift is closed, X before.
    pub fn title(&self) -> &'static str {
        match self.shift.closed_at {
            Some(_) => "Z REPORT (SHIFT CLOSED)",
            None => "X REPORT (SHIFT OPEN)",
        }
    }

    pub fn lines(&self) -> Vec<String> {
        let figures = &self.figures;
        let rule = "-".repeat(crate::domain::receipt::WIDTH);
        let time = |at: DateTime<Utc>| shop_time(at).format("%d/%m/%Y %H:%M").to_string();
        let mut out = vec![centre(&self.shop.name), centre(self.title()), rule.clone()];
        out.push(pair("Shift", &short_id(self.shift.id)));
        out.push(pair("Cashier", &self.shift.cashier));
        out.push(pair("Opened", &time(self.shift.opened_at)));
        match self.shift.closed_at {
            Some(closed) => out.push(pair("Closed", &time(closed))),
            None => out.push(pair("Printed", &time(self.at))),
        }
        out.push(rule.clone());
        out.push(pair("Sales", &figures.sales.to_string()));
        for (method, amount) in &figures.taken {
            out.push(pair(&format!("  {}", method.label()), &amount.to_string()));
        }
        if figures.awaiting != Money::ZERO {
            out.push(pair("  M-Pesa unverified", &figures.awaiting.to_string()));
        }
        out.push(pair("Returns", &figures.returns.to_string()));
        for (method, amount) in &figures.refunds {
            out.push(pair(
                &format!("  {} refunded", method.label()),
                &amount.to_string(),
            ));
        }
        out.push(pair("Voids", &figures.voids.to_string()));
        out.push(rule.clone());
        out.push(pair("Float", &self.shift.opening_float.to_string()));
        out.push(pair("Cash in", &figures.cash_in.to_string()));
        out.push(pair("Cash out", &figures.cash_out.to_string()));
        out.push(pair("Cash expected", &figures.expected_cash.to_string()));
        if let (Some(counted), Some(difference)) =
            (self.shift.counted_cash, self.shift.difference())
        {
            out.push(pair("Cash counted", &counted.to_string()));
            let label = match difference {
                d if d == Money::ZERO => "Difference",
                d if d < Money::ZERO => "SHORT",
                _ => "OVER",
            };
            out.push(pair(label, &difference.to_string()));
        }
        out.push(rule);
        out
    }

    pub fn text(&self) -> String {
        let mut text = self.lines().join("\n");
        text.push('\n');
        text
    }
}
