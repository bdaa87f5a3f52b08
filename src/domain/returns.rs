//! Goods brought back against a till sale's receipt, and what is refunded for them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::discount::refund_share;
use crate::domain::order::OrderStatus;
use crate::domain::payment::PaymentMethod;
use crate::domain::{Error, Money, Result};

/// A line of a paid sale as a return sees it: what was sold and what came back already.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReturnableLine {
    pub product_id: Uuid,
    pub product_name: String,
    pub sku: String,
    pub price: Money,
    /// Taken off the whole line when it was sold.
    pub discount: Money,
    pub sold: i32,
    pub returned: i32,
}

impl ReturnableLine {
    /// Units that may still come back.
    pub fn left(&self) -> i32 {
        self.sold - self.returned
    }

    /// What `units` more refund: their share of the line's net, as the database works it
    /// out (migration 30).
    pub fn refund(&self, units: i32) -> Money {
        refund_share(
            self.price.times(self.sold) - self.discount,
            self.sold,
            self.returned,
            units,
        )
    }
}

/// A sale found by its receipt number, with what may still be returned of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnableSale {
    pub order_id: Uuid,
    pub at: DateTime<Utc>,
    pub status: OrderStatus,
    /// How it was paid, so how it is refunded; None while unpaid.
    pub method: Option<PaymentMethod>,
    pub lines: Vec<ReturnableLine>,
}

/// A refund of returned goods that an admin still has to send back with the provider
/// (M-Pesa or PayPal).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingRefund {
    pub return_id: Uuid,
    pub order_id: Uuid,
    pub customer: String,
    pub phone: Option<String>,
    pub amount: Money,
    pub method: PaymentMethod,
    pub returned_at: DateTime<Utc>,
}

/// What the cashier asks to take back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRequest {
    pub order_id: Uuid,
    /// Product and units; lines of 0 units are left out.
    pub lines: Vec<(Uuid, i32)>,
    /// Back on the shelf; when not (damaged goods), `reason` says why.
    pub restock: bool,
    pub reason: String,
    /// The card terminal's refund reference (card sales).
    pub reference: String,
}

/// How a refund stands once the return is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "refund_status", rename_all = "snake_case")]
pub enum RefundStatus {
    /// Cash handed back from the drawer, or the card terminal's refund done.
    Refunded,
    /// M-Pesa or PayPal: an admin sends the money back with the provider.
    AwaitingReversal,
}

/// Reads a receipt number as typed or scanned: the eight characters printed on the receipt
/// (any case, an optional `#`), or the order's whole id.
pub fn parse_receipt_number(text: &str) -> Result<ReceiptNumber> {
    let text = text.trim().trim_start_matches('#');
    if let Ok(id) = Uuid::parse_str(text) {
        return Ok(ReceiptNumber::Whole(id));
    }
    if text.len() == 8 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(ReceiptNumber::Short(text.to_ascii_lowercase()));
    }
    Err(Error::invalid(
        "Receipt",
        "the 8 letters and digits after \"Receipt\" on the slip, or scan its code",
    ))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptNumber {
    /// The first eight hex digits of the order id.
    Short(String),
    Whole(Uuid),
}

impl ReceiptNumber {
    /// The range of order ids it can stand for (the primary key's index reads it).
    pub fn id_range(&self) -> (Uuid, Uuid) {
        match self {
            ReceiptNumber::Whole(id) => (*id, *id),
            ReceiptNumber::Short(hex) => {
                let bound = |fill: char| {
                    let full: String = hex.chars().chain(std::iter::repeat_n(fill, 24)).collect();
                    Uuid::parse_str(&full).unwrap_or_default()
                };
                (bound('0'), bound('f'))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_number_is_read_as_printed_or_scanned_whole() {
        let id = Uuid::parse_str("3fa85f64-5717-4562-b3fc-2c963f66afa6").unwrap();
        let (low, high) = parse_receipt_number(" #3FA85F64 ").unwrap().id_range();
        assert!(low <= id && id <= high);
        assert_eq!(low.to_string(), "3fa85f64-0000-0000-0000-000000000000");
        assert_eq!(high.to_string(), "3fa85f64-ffff-ffff-ffff-ffffffffffff");
        assert_eq!(
            parse_receipt_number(&id.to_string()).unwrap(),
            ReceiptNumber::Whole(id)
        );
        for wrong in ["", "3FA85F6", "3FA85F6G", "3FA85F64A", "receipt"] {
            assert!(parse_receipt_number(wrong).is_err(), "{wrong:?}");
        }
    }
}
