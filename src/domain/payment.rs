//! Payment methods and states, and the provider reference (transaction id) each accepts.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::values::MpesaReceipt;
use crate::domain::{Error, Money};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "payment_method", rename_all = "lowercase")]
pub enum PaymentMethod {
    Mpesa,
    Card,
    Paypal,
    Cash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "payment_status", rename_all = "lowercase")]
pub enum PaymentStatus {
    Pending,
    Successful,
    Failed,
    /// Was successful; the order was cancelled and the money given back.
    Refunded,
}

impl PaymentMethod {
    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::Mpesa => "M-Pesa",
            PaymentMethod::Card => "Card",
            PaymentMethod::Paypal => "PayPal",
            PaymentMethod::Cash => "Cash",
        }
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Successful => "successful",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Refunded => "refunded",
        })
    }
}

/// Where a payment's current provider request stands (none: no request in flight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "payment_request_state", rename_all = "lowercase")]
pub enum RequestState {
    /// Claimed and on its way to the provider: a second press waits for it.
    Sending,
    /// The provider took it (its reference is the payment's `gateway_ref`).
    Sent,
    /// The call timed out or broke: the provider may have it. Only the provider's word or
    /// an admin settles it, and no new request starts meanwhile.
    Unresolved,
}

/// A provider's reference for a payment, checked against the shape its method issues.
/// Unique across all payments (the database enforces it too).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct TransactionId(String);

impl TransactionId {
    pub fn parse(method: PaymentMethod, input: &str) -> Result<TransactionId, Error> {
        const FIELD: &str = "Transaction id";
        let s = input.trim().to_uppercase();
        let alnum = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        };
        match method {
            PaymentMethod::Mpesa => {
                MpesaReceipt::parse(&s).map(|r| TransactionId(r.as_str().to_owned()))
            }
            // PayPal capture ids are 17 characters.
            PaymentMethod::Paypal if s.len() == 17 && alnum(&s) => Ok(TransactionId(s)),
            PaymentMethod::Paypal => Err(Error::invalid(
                FIELD,
                "a PayPal capture id is 17 letters or digits",
            )),
            // A card terminal's or provider's reference; never a card number.
            PaymentMethod::Card if s.chars().filter(char::is_ascii_digit).count() >= 13 => {
                Err(Error::invalid(
                    FIELD,
                    "looks like a card number: enter the terminal's reference, never the card number",
                ))
            }
            PaymentMethod::Card
                if (6..=40).contains(&s.len())
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
            {
                Ok(TransactionId(s))
            }
            PaymentMethod::Card => Err(Error::invalid(
                FIELD,
                "a card reference is 6 to 40 letters, digits or '-'",
            )),
            PaymentMethod::Cash
                if s.starts_with("CASH-") && (13..=40).contains(&s.len()) && alnum(&s[5..]) =>
            {
                Ok(TransactionId(s))
            }
            PaymentMethod::Cash => Err(Error::invalid(
                FIELD,
                "cash references are issued by the till (CASH-…)",
            )),
        }
    }

    /// An M-Pesa payment settled on STK Push Query's word before its callback brought the
    /// receipt number: the request's CheckoutRequestID stands in until then (it is unique
    /// too). None for text that cannot be one.
    pub fn checkout_standin(checkout_request_id: &str) -> Option<TransactionId> {
        let fits = (1..=64).contains(&checkout_request_id.len())
            && checkout_request_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        fits.then(|| TransactionId(checkout_request_id.to_owned()))
    }

    /// A fresh reference for cash taken at a till.
    pub fn new_cash() -> TransactionId {
        TransactionId(format!(
            "CASH-{}",
            Uuid::new_v4().simple().to_string().to_uppercase()
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A payment to the shop's till number that Safaricom confirmed (C2B).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TillPayment {
    pub trans_id: String,
    pub amount: Money,
    /// As Safaricom gives it (masked).
    pub msisdn: String,
    pub payer: String,
    pub bill_ref: String,
    pub paid_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// The sale's payment that claimed it.
    pub payment_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PaymentSummary {
    pub id: Uuid,
    pub order_id: Uuid,
    pub user_id: Uuid,
    pub amount: Money,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub transaction_id: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub confirmed_by: Option<Uuid>,
    pub failure_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The provider's reference for the request (M-Pesa CheckoutRequestID, PayPal order).
    pub gateway_ref: Option<String>,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub request_state: Option<RequestState>,
    /// Who took the reference at a till (an M-Pesa code shown there), to be verified by
    /// someone else.
    pub taken_by: Option<Uuid>,
}

/// A payment as the admin's list shows it: with who paid and where the order stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PaymentRow {
    #[sqlx(flatten)]
    pub payment: PaymentSummary,
    pub username: String,
    pub order_status: crate::domain::order::OrderStatus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentMethod::*;

    #[test]
    fn each_method_checks_its_own_reference_shape() {
        assert_eq!(
            TransactionId::parse(Mpesa, "qkh94m1z11").unwrap().as_str(),
            "QKH94M1Z11"
        );
        assert!(TransactionId::parse(Mpesa, "QKH94M1Z1").is_err());
        assert!(TransactionId::parse(Paypal, "5O190127TN364715T").is_ok());
        assert!(TransactionId::parse(Paypal, "QKH94M1Z11").is_err());
        assert!(TransactionId::parse(Card, "TRM-000123").is_ok());
        assert!(TransactionId::parse(Card, "x").is_err());
        assert!(TransactionId::parse(Cash, "QKH94M1Z11").is_err());
        let cash = TransactionId::new_cash();
        assert_eq!(TransactionId::parse(Cash, cash.as_str()).unwrap(), cash);
    }

    #[test]
    fn card_numbers_are_never_accepted_as_references() {
        let err = TransactionId::parse(Card, "4111 1111 1111 1111").unwrap_err();
        assert!(err.to_string().contains("card number"));
        assert!(TransactionId::parse(Card, "4111111111111111").is_err());
    }
}
