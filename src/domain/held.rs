//! A sale held at the till (F4) while another is rung up, kept until it is recalled (F5).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldLine {
    pub product_id: Uuid,
    pub name: String,
    pub sku: String,
    /// The price it was rung up at.
    pub price: Money,
    pub quantity: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldSale {
    /// The sale's key: recalled and paid, it is still the one sale.
    pub key: Uuid,
    /// Who and what, for the cashier's list: "amina · Tecno Spark 20 +2".
    pub label: String,
    pub customer: Option<(Uuid, String)>,
    pub lines: Vec<HeldLine>,
    pub held_at: DateTime<Utc>,
}

impl HeldSale {
    /// The label a sale is held under: its customer and its first item.
    pub fn label_for(customer: Option<&str>, lines: &[HeldLine]) -> String {
        let who = customer.unwrap_or("walk-in");
        match lines {
            [] => who.to_owned(),
            [one] => format!("{who} · {}", one.name),
            [first, rest @ ..] => format!("{who} · {} +{}", first.name, rest.len()),
        }
    }

    pub fn total(&self) -> Money {
        self.lines.iter().map(|l| l.price.times(l.quantity)).sum()
    }
}
