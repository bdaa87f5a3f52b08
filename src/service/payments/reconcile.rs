//! Asking providers where a payment stands, and tidying: pending requests are asked about
//! again, orders unpaid too long are cancelled, and no order whose payment a provider may
//! still take is cancelled without asking the provider first.

use std::time::Duration;

use uuid::Uuid;

use super::Payments;
use crate::db;
use crate::domain::alert::{AlertKind, NewAlert};
use crate::domain::order::{OrderStatus, short_id};
use crate::domain::payment::{
    PaymentMethod, PaymentStatus, PaymentSummary, RequestState, TransactionId,
};
use crate::domain::{Error, Result};
use crate::gateway::GatewayError;
use crate::gateway::mpesa::StkStatus;
use crate::gateway::paypal::{Approval, CaptureOutcome};
use crate::service::orders::cancel_locked;

/// What one reconciliation run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub payments_checked: usize,
    pub payments_settled: usize,
    pub orders_cancelled: usize,
}

/// Requests unchanged this long (by the database's clock) are asked about again, and a
/// push Daraja calls paid is settled without waiting longer for its callback.
const RECHECK_AFTER: Duration = Duration::from_secs(60);
const RECONCILE_BATCH: i64 = 100;

impl Payments {
    /// Pending provider payments are asked about again, and orders unpaid for longer than
    /// the configured time are cancelled with their stock returned (never one with a
    /// request a provider may still take). Safe to run twice, or on two terminals at once:
    /// each order is handled by whoever locks it first.
    pub async fn reconcile(&self) -> Result<Reconciled> {
        let mut done = Reconciled::default();
        for payment in db::payments::pending_with_gateway(
            &mut *self.provider.read().await?,
            RECHECK_AFTER,
            RECONCILE_BATCH,
        )
        .await?
        {
            done.payments_checked += 1;
            self.ask_provider(&payment, true).await?;
            if self.load(payment.id).await?.status == PaymentStatus::Successful {
                done.payments_settled += 1;
            }
        }
        // One short transaction per order: its lock and its products' are held only while
        // that order is cancelled, never across a whole batch.
        while done.orders_cancelled < RECONCILE_BATCH as usize {
            let mut tx = self.provider.begin().await?;
            let Some(order_id) =
                db::orders::lock_unpaid(&mut tx, self.unpaid_after, self.customer_unpaid_after, 1)
                    .await?
                    .pop()
            else {
                break;
            };
            cancel_locked(&mut tx, order_id, OrderStatus::Pending, "not paid in time").await?;
            tx.commit().await?;
            done.orders_cancelled += 1;
        }
        if done != Reconciled::default() {
            tracing::info!(?done, "reconciled");
        }
        Ok(done)
    }

    /// Reconciles now and then for as long as the program runs (the app and the callback
    /// receiver both do; running on several machines at once is safe).
    pub async fn keep_reconciling(self, every: Duration) {
        let mut timer = tokio::time::interval(every.max(Duration::from_secs(1)));
        loop {
            timer.tick().await;
            if let Err(err) = self.reconcile().await {
                tracing::warn!(%err, "reconciliation");
            }
        }
    }

    /// Before an order is cancelled, a request its provider may still take is asked about:
    /// paid, it settles and the cancel is refused (the order is paid); failed, the cancel
    /// goes on; still open or unknown, the cancel waits for its answer.
    pub(crate) async fn clear_for_cancel(&self, order_id: Uuid) -> Result<()> {
        let Some(payment) =
            db::payments::by_order(&mut *self.provider.read().await?, order_id).await?
        else {
            return Ok(());
        };
        if payment.status != PaymentStatus::Pending {
            return Ok(());
        }
        let method = payment.method;
        match payment.request_state {
            None => return Ok(()),
            Some(RequestState::Sending) => {
                return Err(Error::Conflict(format!(
                    "A {method} request for this order is on its way; try again in a moment."
                )));
            }
            Some(RequestState::Unresolved) => {
                return Err(Error::Conflict(format!(
                    "This order's {method} request has no known outcome: an admin checks the statement and confirms or rejects the payment first."
                )));
            }
            Some(RequestState::Sent) => self.ask_provider(&payment, true).await?,
        }
        match self.load(payment.id).await?.status {
            PaymentStatus::Successful => Err(Error::Conflict(format!(
                "{method} says this order was just paid: it is paid, not cancelled."
            ))),
            // The shop captures PayPal itself, and never for a cancelled order.
            _ if method == PaymentMethod::Paypal => Ok(()),
            PaymentStatus::Pending => Err(Error::Conflict(
                "The M-Pesa request is still on the customer's phone: wait until they answer it or it expires (about a minute), then cancel."
                    .into(),
            )),
            PaymentStatus::Failed | PaymentStatus::Refunded => Ok(()),
        }
    }

    /// Asks the provider where a pending request stands and records a final answer. An
    /// M-Pesa push Daraja calls paid waits for its callback (which carries the receipt),
    /// unless `settle_paid`: callbacks do get lost, so then the request's id stands in for
    /// the receipt until one comes. Transport errors never fail a payment.
    pub(super) async fn ask_provider(
        &self,
        payment: &PaymentSummary,
        settle_paid: bool,
    ) -> Result<()> {
        if !self.settles() {
            return Ok(()); // the shop's server asks, and the screen hears it settle
        }
        let (PaymentStatus::Pending, Some(RequestState::Sent), Some(reference)) =
            (payment.status, payment.request_state, &payment.gateway_ref)
        else {
            return Ok(());
        };
        match payment.method {
            PaymentMethod::Mpesa => match self.gateways.stk_query(reference).await {
                Ok(StkStatus::Failed { reason, .. }) => self.fail_pending(payment, &reason).await,
                Ok(StkStatus::Paid) if settle_paid => {
                    let Some(standin) = TransactionId::checkout_standin(reference) else {
                        return Ok(());
                    };
                    let settled = self.settle_provider(payment.id, &standin, None).await?;
                    let who = "STK Push Query (no callback came)";
                    self.raise_for(payment, reference, settled, who).await?;
                    Ok(())
                }
                Ok(_) => Ok(()),
                Err(err) => {
                    tracing::warn!(%err, "STK Push Query");
                    Ok(())
                }
            },
            PaymentMethod::Paypal => self.ask_paypal(payment, reference).await,
            PaymentMethod::Card | PaymentMethod::Cash => Ok(()),
        }
    }

    /// A PayPal order: once approved it is captured (the same request id each time, so a
    /// capture whose answer was lost is the same capture when asked again); a capture is
    /// settled only for the amount and currency asked.
    async fn ask_paypal(&self, payment: &PaymentSummary, reference: &str) -> Result<()> {
        let waiting = |err: GatewayError| {
            tracing::warn!(%err, "PayPal");
            Ok(())
        };
        match self.gateways.paypal_approval(reference).await {
            Ok(Approval::Approved) => {}
            Ok(Approval::Gone(reason)) => return self.fail_pending(payment, &reason).await,
            Ok(Approval::Waiting) => return Ok(()),
            Err(err) => return waiting(err),
        }
        let amount = self.gateways.paypal_amount(payment.amount);
        let currency = self.gateways.paypal_currency().to_owned();
        let request_id = format!("capture-{}", payment.id);
        let capture = match self
            .gateways
            .paypal_capture(reference, &request_id, &amount)
            .await
        {
            Ok(CaptureOutcome::Completed(capture)) => capture,
            Ok(CaptureOutcome::Pending) => return Ok(()),
            Ok(CaptureOutcome::Declined(reason)) => {
                return self.fail_pending(payment, &reason).await;
            }
            Err(GatewayError::Refused(reason)) => return self.fail_pending(payment, &reason).await,
            Err(err) => return waiting(err),
        };
        if !same_amount(&capture.amount, &amount) || capture.currency != currency {
            let alert = NewAlert {
                kind: AlertKind::AmountMismatch,
                payment_id: Some(payment.id),
                provider_ref: Some(reference.to_owned()),
                amount: Some(payment.amount),
                detail: format!(
                    "PayPal captured {} {} for order {}, which asked {amount} {currency}: not settled.",
                    capture.amount,
                    capture.currency,
                    short_id(payment.order_id)
                ),
            };
            self.provider
                .write(async |c| db::alerts::raise(c, &alert).await)
                .await?;
            return Ok(());
        }
        let id = TransactionId::parse(PaymentMethod::Paypal, &capture.capture_id)?;
        let settled = self.settle_provider(payment.id, &id, None).await?;
        self.raise_for(payment, reference, settled, "PayPal")
            .await?;
        Ok(())
    }
}

/// Amounts as decimals ("17.5" is "17.50"); anything unreadable differs.
fn same_amount(got: &str, asked: &str) -> bool {
    match (
        got.parse::<rust_decimal::Decimal>(),
        asked.parse::<rust_decimal::Decimal>(),
    ) {
        (Ok(got), Ok(asked)) => got == asked,
        _ => false,
    }
}
