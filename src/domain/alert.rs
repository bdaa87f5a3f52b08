//! Money that needs a person: what a provider confirmed but the books could not simply
//! settle, and requests whose outcome nobody knows. Raised by the payments service, listed
//! in the admin console until an admin resolves them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AlertKind {
    /// A payment failed in the books was then confirmed paid by its provider, and settled.
    SettledAfterFailure,
    /// A provider confirmed money for an order already cancelled or paid: give it back.
    MoneyToReturn,
    /// A provider confirmed money for no request the shop knows: match it to an order.
    UnmatchedMoney,
    /// A capture's amount or currency differs from what was asked: never settled.
    AmountMismatch,
    /// A request timed out or broke: the provider may have taken it. No new request starts
    /// until an admin checks the statement and confirms or rejects the payment.
    UnresolvedRequest,
}

impl AlertKind {
    /// As stored in `payment_alerts.kind`.
    pub fn code(self) -> &'static str {
        match self {
            AlertKind::SettledAfterFailure => "settled_after_failure",
            AlertKind::MoneyToReturn => "money_to_return",
            AlertKind::UnmatchedMoney => "unmatched_money",
            AlertKind::AmountMismatch => "amount_mismatch",
            AlertKind::UnresolvedRequest => "unresolved_request",
        }
    }

    pub fn from_code(code: &str) -> Option<AlertKind> {
        [
            AlertKind::SettledAfterFailure,
            AlertKind::MoneyToReturn,
            AlertKind::UnmatchedMoney,
            AlertKind::AmountMismatch,
            AlertKind::UnresolvedRequest,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }

    /// In a few words, for the admin's list.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::SettledAfterFailure => "paid after failing",
            AlertKind::MoneyToReturn => "money to return",
            AlertKind::UnmatchedMoney => "money to match",
            AlertKind::AmountMismatch => "wrong amount",
            AlertKind::UnresolvedRequest => "outcome unknown",
        }
    }
}

/// One alert to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub kind: AlertKind,
    pub payment_id: Option<Uuid>,
    /// The provider's reference it is about (M-Pesa CheckoutRequestID, PayPal order).
    pub provider_ref: Option<String>,
    pub amount: Option<Money>,
    pub detail: String,
}

/// An open alert as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub raised_at: DateTime<Utc>,
    pub kind: AlertKind,
    pub payment_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub provider_ref: Option<String>,
    pub amount: Option<Money>,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_stored_and_read_back_by_its_code() {
        for kind in [
            AlertKind::SettledAfterFailure,
            AlertKind::MoneyToReturn,
            AlertKind::UnmatchedMoney,
            AlertKind::AmountMismatch,
            AlertKind::UnresolvedRequest,
        ] {
            assert_eq!(AlertKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(AlertKind::from_code("paid"), None);
    }
}
