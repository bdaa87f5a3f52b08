//! A customer paying for an order through a provider, and asking how it stands.

use uuid::Uuid;

use crate::domain::payment::PaymentSummary;
use crate::domain::user::Actor;
use crate::domain::{Error, Result};
use crate::service::Services;

#[derive(Debug, Clone, PartialEq)]
pub enum PayRequest {
    Mpesa { order_id: Uuid, phone: String },
    Card(Uuid),
    Paypal(Uuid),
    Status(Uuid),
}

#[derive(Debug, Clone)]
pub enum PayAnswer {
    Payment(Result<PaymentSummary>),
    /// The payment and the link the customer approves it at.
    Paypal(Result<(PaymentSummary, String)>),
}

impl PayAnswer {
    pub fn error(&self) -> Option<&Error> {
        match self {
            PayAnswer::Payment(Err(e)) | PayAnswer::Paypal(Err(e)) => Some(e),
            _ => None,
        }
    }
}

pub(super) async fn run(s: &Services, actor: &Actor, request: PayRequest) -> PayAnswer {
    match request {
        PayRequest::Mpesa { order_id, phone } => {
            PayAnswer::Payment(s.payments.pay_by_mpesa(actor, order_id, &phone).await)
        }
        PayRequest::Card(order_id) => {
            PayAnswer::Payment(s.payments.pay_by_card(actor, order_id).await)
        }
        PayRequest::Paypal(order_id) => {
            PayAnswer::Paypal(s.payments.pay_by_paypal(actor, order_id).await)
        }
        PayRequest::Status(payment_id) => {
            PayAnswer::Payment(s.payments.status(actor, payment_id).await)
        }
    }
}
