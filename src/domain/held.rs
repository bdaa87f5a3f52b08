//! A sale held at the till (F4) while another is rung up, kept until it is recalled (F5).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::discount::{Discount, net_total};

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
    pub discounts: Vec<Discount>,
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
        let lines: Vec<(Uuid, Money)> = self
            .lines
            .iter()
            .map(|l| (l.product_id, l.price.times(l.quantity)))
            .collect();
        // Held sales were checked when held; a refusal here shows them undiscounted.
        net_total(&lines, &self.discounts).unwrap_or_else(|_| lines.iter().map(|(_, v)| *v).sum())
    }
}
