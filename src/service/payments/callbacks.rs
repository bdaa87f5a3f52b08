//! M-Pesa callbacks as Safaricom (or the sandbox) posts them. Callbacks carry no signature,
//! so each one counts only once STK Push Query says the same, a failure as much as a success.
//! Every one is recorded as the bytes that arrived, with what was made of it.

use uuid::Uuid;

use super::Payments;
use crate::db;
use crate::db::payments::CallbackRecord;
use crate::domain::Result;
use crate::domain::alert::{AlertKind, NewAlert};
use crate::domain::payment::{PaymentMethod, PaymentStatus, PaymentSummary, TransactionId};
use crate::domain::{Error, Money};
use crate::gateway::mpesa::{CallbackEnvelope, StkCallback, StkStatus};

/// What was made of an M-Pesa callback (it is recorded either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// Confirmed by STK Push Query: the payment is successful and its order paid.
    Accepted,
    /// Confirmed by STK Push Query: the customer did not pay; the payment is failed.
    Failed(String),
    Refused(String),
}

fn refused(reason: &str) -> CallbackOutcome {
    CallbackOutcome::Refused(reason.to_owned())
}

impl Payments {
    /// An M-Pesa callback, as the bytes that arrived. It is recorded whatever it holds (a NUL
    /// too); it counts only for a request the shop sent, and only once STK Push Query agrees.
    pub async fn receive_callback(&self, raw: &[u8]) -> Result<CallbackOutcome> {
        let Ok(envelope) = serde_json::from_slice::<CallbackEnvelope>(raw) else {
            return self.record(raw, None, None, refused("unreadable")).await;
        };
        let cb = envelope.body.stk_callback;
        let payment = db::payments::by_provider_ref(
            &mut *self.provider.read().await?,
            &cb.checkout_request_id,
        )
        .await?;
        let outcome = match (&payment, cb.result_code) {
            (None, 0) => self.unknown_success(&cb).await?,
            (None, _) => refused("unknown request"),
            (Some(p), 0) => match self.success(p, &cb, raw).await? {
                // Recorded in the transaction that settled the payment.
                Some(outcome) => outcome,
                None => return Ok(CallbackOutcome::Accepted),
            },
            (Some(p), _) => self.failure(p, &cb).await?,
        };
        self.record(raw, Some(&cb), payment.map(|p| p.id), outcome)
            .await
    }

    /// A success for a request the shop sent. None when it settled the payment (and was
    /// recorded with it); otherwise what to record.
    async fn success(
        &self,
        payment: &PaymentSummary,
        cb: &StkCallback,
        raw: &[u8],
    ) -> Result<Option<CallbackOutcome>> {
        if cb.amount() != Some(payment.amount.amount()) {
            return Ok(Some(refused(&format!(
                "amount {} differs from the order total {}",
                cb.amount().map_or("missing".into(), |a| a.to_string()),
                payment.amount
            ))));
        }
        let Some(receipt) = cb
            .receipt()
            .and_then(|r| TransactionId::parse(PaymentMethod::Mpesa, &r).ok())
        else {
            return Ok(Some(refused("no valid MpesaReceiptNumber")));
        };
        if payment.transaction_id.as_deref() == Some(receipt.as_str()) {
            return Ok(Some(refused(&format!(
                "replayed: the payment is already {}",
                payment.status
            ))));
        }
        match self.gateways.stk_query(&cb.checkout_request_id).await {
            Ok(StkStatus::Paid) => {}
            Ok(other) => return Ok(Some(refused(&format!("STK Push Query says {other:?}")))),
            Err(err) => return Ok(Some(refused(&format!("STK Push Query failed: {err}")))),
        }
        // Settled on the query's word before this callback came: the receipt replaces the
        // request id that stood in for it.
        if payment.status == PaymentStatus::Successful
            && payment.transaction_id.as_deref() == Some(cb.checkout_request_id.as_str())
        {
            let replaced = self
                .provider
                .write(async |c| {
                    db::payments::replace_transaction_id(
                        c,
                        payment.id,
                        &cb.checkout_request_id,
                        &receipt,
                    )
                    .await
                })
                .await
                .map_err(|err| super::duplicate_or(err, &receipt))?;
            return Ok(Some(if replaced {
                CallbackOutcome::Accepted
            } else {
                refused("the receipt could not replace the request id")
            }));
        }
        let accepted = outcome_text(&CallbackOutcome::Accepted);
        let record = callback_record(raw, Some(cb), Some(payment.id), &accepted);
        let settled = match self
            .settle_provider(payment.id, &receipt, Some(&record))
            .await
        {
            Ok(settled) => settled,
            Err(err @ Error::DuplicateTransaction(_)) => {
                return Ok(Some(refused(&err.to_string())));
            }
            Err(err) => return Err(err),
        };
        // Settled (and recorded with it), or why it could not be.
        let why = self
            .raise_for(payment, &cb.checkout_request_id, settled, "M-Pesa")
            .await?;
        Ok(why.map(|why| {
            refused(&format!(
                "paid, but {why}: shown to an admin as money to return"
            ))
        }))
    }

    /// A failure counts only for the payment's current request, and only when STK Push
    /// Query says the same: a forged or mistaken failure must not turn away a real payment.
    async fn failure(&self, payment: &PaymentSummary, cb: &StkCallback) -> Result<CallbackOutcome> {
        if payment.gateway_ref.as_deref() != Some(cb.checkout_request_id.as_str()) {
            return Ok(refused("a failure of an earlier request"));
        }
        if payment.status != PaymentStatus::Pending {
            return Ok(refused(&format!(
                "replayed: the payment is already {}",
                payment.status
            )));
        }
        match self.gateways.stk_query(&cb.checkout_request_id).await {
            Ok(StkStatus::Failed { reason, .. }) => {
                self.fail_pending(payment, &reason).await?;
                Ok(CallbackOutcome::Failed(reason))
            }
            Ok(other) => Ok(refused(&format!(
                "a failure, but STK Push Query says {other:?}"
            ))),
            Err(err) => Ok(refused(&format!("STK Push Query failed: {err}"))),
        }
    }

    /// A success for no request the shop knows (e.g. a push whose answer never came back):
    /// if Daraja confirms it, the money is real and an admin matches it to an order.
    async fn unknown_success(&self, cb: &StkCallback) -> Result<CallbackOutcome> {
        if !matches!(
            self.gateways.stk_query(&cb.checkout_request_id).await,
            Ok(StkStatus::Paid)
        ) {
            return Ok(refused("unknown request"));
        }
        let amount = cb.amount().map(Money::new);
        let alert = NewAlert {
            kind: AlertKind::UnmatchedMoney,
            payment_id: None,
            provider_ref: Some(storable(&cb.checkout_request_id)),
            amount,
            detail: format!(
                "M-Pesa says {} was paid (receipt {}, phone {}) for no request the shop knows: match it to an order or give it back.",
                amount.map_or("an amount".into(), |a| a.to_string()),
                storable(&cb.receipt().unwrap_or_default()),
                storable(&cb.phone().unwrap_or_default()),
            ),
        };
        self.provider
            .write(async |c| db::alerts::raise(c, &alert).await)
            .await?;
        Ok(refused(
            "unknown request, but Daraja says paid: shown to an admin as money to match",
        ))
    }

    async fn record(
        &self,
        raw: &[u8],
        cb: Option<&StkCallback>,
        payment_id: Option<Uuid>,
        outcome: CallbackOutcome,
    ) -> Result<CallbackOutcome> {
        if let CallbackOutcome::Refused(reason) = &outcome {
            tracing::warn!(%reason, "M-Pesa callback refused");
        }
        let text = outcome_text(&outcome);
        self.provider
            .write(async |c| {
                db::payments::record_callback(c, &callback_record(raw, cb, payment_id, &text)).await
            })
            .await?;
        Ok(outcome)
    }
}

/// How a callback's outcome is written in `mpesa_callbacks`.
fn outcome_text(outcome: &CallbackOutcome) -> String {
    match outcome {
        CallbackOutcome::Accepted => "accepted".to_owned(),
        CallbackOutcome::Failed(reason) => format!("failed: {reason}"),
        CallbackOutcome::Refused(reason) => format!("refused: {reason}"),
    }
}

fn callback_record<'a>(
    raw: &'a [u8],
    cb: Option<&'a StkCallback>,
    payment_id: Option<Uuid>,
    outcome: &'a str,
) -> CallbackRecord<'a> {
    CallbackRecord {
        checkout_request_id: cb.map(|c| storable(&c.checkout_request_id)),
        result_code: cb.map(|c| c.result_code),
        receipt: cb.and_then(StkCallback::receipt).map(|r| storable(&r)),
        amount: cb.and_then(StkCallback::amount),
        payment_id,
        outcome,
        raw,
    }
}

/// Text PostgreSQL can store: a NUL becomes U+FFFD (the raw bytes keep the original).
pub(super) fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}
