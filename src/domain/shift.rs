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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShiftFigures {
    /// Successful payments taken in the shift, per method.
    pub taken: Vec<(PaymentMethod, Money)>,
    /// M-Pesa codes taken and still waiting for an admin.
    pub awaiting: Money,
    pub sales: i64,
    /// Taken off the shift's sales (at the till, with a reason).
    pub discounts: Money,
    /// Sold at an open price (things the shop has not entered), after discounts.
    pub open_priced: Money,
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

impl ShiftFigures {
    /// Another shift's figures added to these (a summary of several shifts).
    pub fn add(&mut self, other: &ShiftFigures) {
        add_by_method(&mut self.taken, &other.taken);
        add_by_method(&mut self.refunds, &other.refunds);
        self.awaiting = self.awaiting + other.awaiting;
        self.sales += other.sales;
        self.discounts = self.discounts + other.discounts;
        self.open_priced = self.open_priced + other.open_priced;
        self.returns += other.returns;
        self.cash_in = self.cash_in + other.cash_in;
        self.cash_out = self.cash_out + other.cash_out;
        self.voids += other.voids;
        self.expected_cash = self.expected_cash + other.expected_cash;
    }

    /// Sales, returns and voids, as both reports show them.
    fn trade_lines(&self) -> Vec<String> {
        let mut out = vec![pair("Sales", &self.sales.to_string())];
        for (method, amount) in &self.taken {
            out.push(pair(&format!("  {}", method.label()), &amount.to_string()));
        }
        if self.awaiting != Money::ZERO {
            out.push(pair("  M-Pesa unverified", &self.awaiting.to_string()));
        }
        out.push(pair("Discounts given", &self.discounts.to_string()));
        if self.open_priced != Money::ZERO {
            out.push(pair("Open-price sales", &self.open_priced.to_string()));
        }
        out.push(pair("Returns", &self.returns.to_string()));
        for (method, amount) in &self.refunds {
            out.push(pair(
                &format!("  {} refunded", method.label()),
                &amount.to_string(),
            ));
        }
        out.push(pair("Voids", &self.voids.to_string()));
        out
    }
}

/// Adds amounts per method; a method new to `into` comes last.
fn add_by_method(into: &mut Vec<(PaymentMethod, Money)>, from: &[(PaymentMethod, Money)]) {
    for (method, amount) in from {
        match into.iter_mut().find(|(m, _)| m == method) {
            Some((_, total)) => *total = *total + *amount,
            None => into.push((*method, *amount)),
        }
    }
}

/// Several shifts summed: a date range, a cashier, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftSummary {
    pub shop: Shop,
    pub filter: ShiftFilter,
    pub shifts: i64,
    /// Of them, still open (their cash is not counted yet).
    pub open: i64,
    pub floats: Money,
    pub figures: ShiftFigures,
    /// Counted at the closes, and counted less expected (short below zero).
    pub counted: Money,
    pub difference: Money,
    pub at: DateTime<Utc>,
}

impl ShiftSummary {
    pub fn lines(&self) -> Vec<String> {
        let rule = "-".repeat(crate::domain::receipt::WIDTH);
        let day = |d: Option<chrono::NaiveDate>| {
            d.map_or("…".to_owned(), |d| d.format("%d/%m/%Y").to_string())
        };
        let days = match (self.filter.from, self.filter.to) {
            (None, None) => "all".to_owned(),
            (from, to) => format!("{}–{}", day(from), day(to)),
        };
        let mut out = vec![
            centre(&self.shop.name),
            centre("SHIFTS SUMMED"),
            rule.clone(),
            // One line for the days, so the summary fits 24 rows.
            pair("Days", &days),
            pair(
                "Cashier",
                match self.filter.cashier.trim() {
                    "" => "any",
                    name => name,
                },
            ),
            pair("Shifts", &format!("{} ({} open)", self.shifts, self.open)),
            pair(
                "Printed",
                &shop_time(self.at).format("%d/%m/%Y %H:%M").to_string(),
            ),
            rule.clone(),
        ];
        out.extend(self.figures.trade_lines());
        out.push(rule.clone());
        out.push(pair("Floats", &self.floats.to_string()));
        out.push(pair("Cash in", &self.figures.cash_in.to_string()));
        out.push(pair("Cash out", &self.figures.cash_out.to_string()));
        out.push(pair(
            "Cash expected",
            &self.figures.expected_cash.to_string(),
        ));
        out.push(pair("Counted (closed)", &self.counted.to_string()));
        out.push(pair("Short or over", &self.difference.to_string()));
        out.push(rule);
        out
    }
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
        out.extend(figures.trade_lines());
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
