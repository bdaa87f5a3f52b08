//! An order's one payment: opened as pending, then successful (with a verified, unused
//! transaction id, and the order paid in the same transaction) or failed.

use serde_json::json;
use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::db;
use crate::db::payments::CallbackRecord;
use crate::domain::order::OrderStatus;
use crate::domain::payment::{
    PaymentMethod, PaymentRow, PaymentStatus, PaymentSummary, TransactionId,
};
use crate::domain::user::{Actor, Role};
use crate::domain::values::Phone;
use crate::domain::{Error, Money, Result};
use crate::gateway::mpesa::{CallbackEnvelope, StkCallback, StkPush, StkStatus};
use crate::gateway::paypal::Approval;
use crate::service::access::{Principal, authorize};
use crate::service::gateways::Gateways;
use crate::service::orders::cancel_locked;

#[derive(Clone)]
pub struct Payments {
    pool: PgPool,
    gateways: Gateways,
    /// Orders still unpaid this long after they were placed (by the database's clock) are
    /// cancelled by reconciliation.
    unpaid_after: Duration,
}

/// What was made of an M-Pesa callback (it is recorded either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// Confirmed by STK Push Query: the payment is successful and its order paid.
    Accepted,
    /// The customer did not pay; the payment is failed with the reason.
    Failed(String),
    Refused(String),
}

/// What one reconciliation run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub payments_checked: usize,
    pub payments_settled: usize,
    pub orders_cancelled: usize,
}

/// Payments older than this (by the database's clock) are asked about again by
/// reconciliation.
const RECHECK_AFTER: Duration = Duration::from_secs(60);
const RECONCILE_BATCH: i64 = 100;

fn not_found() -> Error {
    Error::NotFound("The payment".into())
}

impl Payments {
    pub fn new(pool: PgPool, gateways: Gateways, unpaid_after: Duration) -> Self {
        Payments {
            pool,
            gateways,
            unpaid_after,
        }
    }

    /// The methods a customer can pay by through a provider here, in the order offered.
    pub fn offered(&self) -> Vec<PaymentMethod> {
        [
            PaymentMethod::Mpesa,
            PaymentMethod::Card,
            PaymentMethod::Paypal,
        ]
        .into_iter()
        .filter(|m| self.gateways.offers(*m))
        .collect()
    }

    /// True while any provider is pretend (the sandbox): screens and receipts say so.
    pub fn pretend(&self) -> bool {
        self.gateways.pretend()
    }

    /// Refuses a method no provider takes here, before anything is written.
    fn check_offered(&self, method: PaymentMethod) -> Result<()> {
        if self.gateways.offers(method) {
            return Ok(());
        }
        Err(Error::Conflict(format!(
            "{method} is not offered here{}. Please choose another way to pay, or pay at the till.",
            if method == PaymentMethod::Card {
                " (no card terminal is set up)"
            } else {
                ""
            }
        )))
    }

    /// Opens the order's payment (or reopens a failed one for a retry) for the order total.
    /// Customers pay for their own orders; cash is taken only by staff at a till.
    pub async fn open(
        &self,
        actor: &Actor,
        order_id: Uuid,
        method: PaymentMethod,
    ) -> Result<PaymentSummary> {
        let mut tx = self.pool.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Customer).await?;
        let (owner, status, total) = db::orders::lock(&mut tx, order_id)
            .await?
            .ok_or_else(|| Error::NotFound("The order".into()))?;
        if !me.may_act_for(owner) {
            return Err(Error::NotFound("The order".into()));
        }
        if method == PaymentMethod::Cash && !me.is_staff() {
            return Err(Error::Forbidden("staff at a till"));
        }
        if status != OrderStatus::Pending {
            return Err(Error::Conflict(format!(
                "This order is {status}, not awaiting payment."
            )));
        }
        let payment = db::payments::open(&mut tx, order_id, owner, total, method).await?;
        if payment.status == PaymentStatus::Pending
            && let Some(code) = &payment.transaction_id
        {
            // Paid at the till with a code an admin has yet to check: paying again could
            // charge the customer twice and would hide the code from the admin.
            return Err(Error::Conflict(format!(
                "This order's {} code {code} is waiting for the shop to verify it; no other payment can start.",
                payment.method
            )));
        }
        tx.commit().await?;
        Ok(payment)
    }

    /// An admin confirms a payment checked by hand (an M-Pesa code looked up in the till's
    /// statement): not the cashier who took it, so no one person both records and verifies.
    /// Refused, changing nothing, for a malformed or already used transaction id, an amount
    /// other than the order total, or an order not awaiting payment.
    pub async fn confirm(
        &self,
        actor: &Actor,
        payment_id: Uuid,
        transaction_id: &str,
        amount: Money,
    ) -> Result<PaymentSummary> {
        let mut tx = self.pool.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        // Lock the order before its payment, the same order cancelling takes them in.
        let order_id = db::payments::order_of(&mut *tx, payment_id)
            .await?
            .ok_or_else(not_found)?;
        let (_, order_status, total) = db::orders::lock(&mut tx, order_id)
            .await?
            .ok_or_else(not_found)?;
        let payment = db::payments::lock(&mut tx, payment_id)
            .await?
            .ok_or_else(not_found)?;
        let transaction_id = TransactionId::parse(payment.method, transaction_id)?;
        if payment.status == PaymentStatus::Successful {
            return Err(Error::Conflict(
                "This payment is already successful.".into(),
            ));
        }
        order_status.check_transition(OrderStatus::Paid)?;
        if amount != total {
            return Err(Error::AmountMismatch {
                expected: total,
                got: amount,
            });
        }
        let confirmed = settle(&mut tx, Some(&me), &payment, &transaction_id, amount).await?;
        tx.commit().await?;
        Ok(confirmed)
    }

    /// Payments for the admin's list, newest first.
    pub async fn list(
        &self,
        actor: &Actor,
        status: Option<PaymentStatus>,
        method: Option<PaymentMethod>,
        limit: i64,
    ) -> Result<Vec<PaymentRow>> {
        authorize(&self.pool, actor, Role::Admin).await?;
        Ok(db::payments::list(&self.pool, status, method, limit.clamp(1, 500)).await?)
    }

    /// Sends an M-Pesa STK Push for the order to `phone`; the customer enters their PIN on
    /// it. The answer arrives as a callback (confirmed by a query before it counts); ask
    /// [`Payments::status`] meanwhile. A provider refusal fails the payment with the reason.
    pub async fn pay_by_mpesa(
        &self,
        actor: &Actor,
        order_id: Uuid,
        phone: &str,
    ) -> Result<PaymentSummary> {
        let phone = Phone::parse(phone)?;
        self.check_offered(PaymentMethod::Mpesa)?;
        let payment = self.open(actor, order_id, PaymentMethod::Mpesa).await?;
        if in_progress(&payment, PaymentMethod::Mpesa) {
            return Ok(payment); // paid already, or a provider has it (a push on the phone)
        }
        let amount = payment.amount.amount();
        if !amount.fract().is_zero() {
            return Err(Error::invalid(
                "Amount",
                format!("M-Pesa takes whole shillings; {} has cents", payment.amount),
            ));
        }
        let push = StkPush {
            phone,
            amount: amount.try_into().unwrap_or(0),
            account_reference: short_ref(order_id),
            description: "ByteMtaani order".into(),
        };
        match self.gateways.stk_push(&push).await {
            Ok(accepted) => {
                let checkout = accepted.checkout_request_id;
                db::payments::set_gateway_ref(&self.pool, payment.id, &checkout).await?;
                self.deliver_sandbox_callback(checkout);
            }
            Err(err) => self.provider_failed(&payment, &err.to_string()).await?,
        }
        self.load(payment.id).await
    }

    /// Pays at the kiosk's card terminal. Only the approval reference and, at most, the
    /// card's brand and last four digits are kept: the app never sees a card number.
    pub async fn pay_by_card(&self, actor: &Actor, order_id: Uuid) -> Result<PaymentSummary> {
        self.check_offered(PaymentMethod::Card)?;
        let payment = self.open(actor, order_id, PaymentMethod::Card).await?;
        if in_progress(&payment, PaymentMethod::Card) {
            return Ok(payment);
        }
        match self.gateways.card().await {
            Ok(approval) => {
                let reference = TransactionId::parse(PaymentMethod::Card, &approval.reference)?;
                self.settle_by_provider(&payment, &reference, None).await?;
                db::payments::set_card(&self.pool, payment.id, &approval.brand, &approval.last4)
                    .await?;
            }
            Err(err) => self.provider_failed(&payment, &err.to_string()).await?,
        }
        self.load(payment.id).await
    }

    /// Creates the PayPal order and returns the payment with the link the customer opens
    /// (shown as a QR code) to approve it. [`Payments::status`] captures it once approved.
    pub async fn pay_by_paypal(
        &self,
        actor: &Actor,
        order_id: Uuid,
    ) -> Result<(PaymentSummary, String)> {
        self.check_offered(PaymentMethod::Paypal)?;
        let payment = self.open(actor, order_id, PaymentMethod::Paypal).await?;
        if payment.status != PaymentStatus::Pending || payment.method != PaymentMethod::Paypal {
            return Err(Error::Conflict(format!(
                "This order's {} payment is {}; wait for it to finish or fail.",
                payment.method, payment.status
            )));
        }
        let amount = self.gateways.paypal_amount(payment.amount);
        let request_id = format!("order-{}", payment.id);
        match self
            .gateways
            .paypal_create(&short_ref(order_id), &amount, &request_id)
            .await
        {
            Ok(created) => {
                db::payments::set_gateway_ref(&self.pool, payment.id, &created.order_id).await?;
                Ok((self.load(payment.id).await?, created.approve_url))
            }
            Err(err) => {
                self.provider_failed(&payment, &err.to_string()).await?;
                Err(Error::Conflict(format!("PayPal: {err}")))
            }
        }
    }

    /// A payment as it stands, asking its provider first when it is still pending.
    pub async fn status(&self, actor: &Actor, payment_id: Uuid) -> Result<PaymentSummary> {
        let me = authorize(&self.pool, actor, Role::Customer).await?;
        let payment = self.load(payment_id).await?;
        if !me.may_act_for(payment.user_id) {
            return Err(not_found());
        }
        self.ask_provider(&payment).await?;
        self.load(payment_id).await
    }

    /// An M-Pesa callback as posted by Safaricom (or the sandbox), as the bytes that arrived.
    /// It is recorded whatever it holds (a NUL too); it counts only for a known request,
    /// and only once STK Push Query agrees with it, a failure as much as a success
    /// (callbacks carry no signature).
    pub async fn receive_callback(&self, raw: &[u8]) -> Result<CallbackOutcome> {
        let Ok(envelope) = serde_json::from_slice::<CallbackEnvelope>(raw) else {
            return self.record(raw, None, None, refused("unreadable")).await;
        };
        let cb = envelope.body.stk_callback;
        let payment = db::payments::by_gateway_ref(&self.pool, &cb.checkout_request_id).await?;
        let outcome = match &payment {
            None => refused("unknown request"),
            Some(p) if p.status != PaymentStatus::Pending => {
                refused(&format!("replayed: the payment is already {}", p.status))
            }
            Some(p) if cb.result_code != 0 => self.confirm_failure(p, &cb).await?,
            Some(p) => self.accept(p, &cb, raw).await?,
        };
        if matches!(outcome, CallbackOutcome::Accepted) {
            return Ok(outcome); // recorded in the transaction that settled the payment
        }
        self.record(raw, Some(&cb), payment.map(|p| p.id), outcome)
            .await
    }

    /// A failure callback fails the payment only when STK Push Query says the same: a
    /// forged or mistaken failure must not turn away the customer's genuine payment.
    async fn confirm_failure(
        &self,
        payment: &PaymentSummary,
        cb: &StkCallback,
    ) -> Result<CallbackOutcome> {
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

    /// Settles a successful callback once the amount, the receipt and a query agree; the
    /// callback is recorded with the settlement, so one is never kept without the other.
    async fn accept(
        &self,
        payment: &PaymentSummary,
        cb: &StkCallback,
        raw: &[u8],
    ) -> Result<CallbackOutcome> {
        if cb.amount() != Some(payment.amount.amount()) {
            return Ok(refused(&format!(
                "amount {} differs from the order total {}",
                cb.amount().map_or("missing".into(), |a| a.to_string()),
                payment.amount
            )));
        }
        let Some(receipt) = cb
            .receipt()
            .and_then(|r| TransactionId::parse(PaymentMethod::Mpesa, &r).ok())
        else {
            return Ok(refused("no valid MpesaReceiptNumber"));
        };
        match self.gateways.stk_query(&cb.checkout_request_id).await {
            Ok(StkStatus::Paid) => {}
            Ok(other) => return Ok(refused(&format!("STK Push Query says {other:?}"))),
            Err(err) => return Ok(refused(&format!("STK Push Query failed: {err}"))),
        }
        let accepted = CallbackOutcome::Accepted;
        let text = outcome_text(&accepted);
        let record = callback_record(raw, Some(cb), Some(payment.id), &text);
        match self
            .settle_by_provider(payment, &receipt, Some(&record))
            .await
        {
            Ok(()) => Ok(accepted),
            Err(
                err @ (Error::DuplicateTransaction(_)
                | Error::Conflict(_)
                | Error::InvalidTransition { .. }),
            ) => Ok(refused(&err.to_string())),
            Err(err) => Err(err),
        }
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
        db::payments::record_callback(&self.pool, &callback_record(raw, cb, payment_id, &text))
            .await?;
        Ok(outcome)
    }

    /// Pending provider payments are asked about again, and orders unpaid for longer than
    /// the configured time are cancelled with their stock returned. Safe to run twice, or
    /// on two terminals at once: each order is handled by whoever locks it first, and a
    /// second run finds nothing left to do.
    pub async fn reconcile(&self) -> Result<Reconciled> {
        let mut done = Reconciled::default();
        for payment in
            db::payments::pending_with_gateway(&self.pool, RECHECK_AFTER, RECONCILE_BATCH).await?
        {
            done.payments_checked += 1;
            self.ask_provider(&payment).await?;
            if self.load(payment.id).await?.status == PaymentStatus::Successful {
                done.payments_settled += 1;
            }
        }
        let mut tx = self.pool.begin().await?;
        for order_id in db::orders::lock_unpaid(&mut tx, self.unpaid_after, RECONCILE_BATCH).await?
        {
            cancel_locked(&mut tx, order_id, OrderStatus::Pending, "not paid in time").await?;
            done.orders_cancelled += 1;
        }
        tx.commit().await?;
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

    /// Asks the provider where a pending payment stands and records a final answer. M-Pesa
    /// success waits for its callback, which carries the receipt number.
    async fn ask_provider(&self, payment: &PaymentSummary) -> Result<()> {
        let (PaymentStatus::Pending, Some(reference)) = (payment.status, &payment.gateway_ref)
        else {
            return Ok(());
        };
        match payment.method {
            PaymentMethod::Mpesa => match self.gateways.stk_query(reference).await {
                Ok(StkStatus::Failed { reason, .. }) => self.fail_pending(payment, &reason).await,
                Ok(_) => Ok(()),
                Err(err) => {
                    tracing::warn!(%err, "STK Push Query");
                    Ok(())
                }
            },
            PaymentMethod::Paypal => match self.gateways.paypal_approval(reference).await {
                Ok(Approval::Approved) => {
                    let amount = self.gateways.paypal_amount(payment.amount);
                    let request_id = format!("capture-{}", payment.id);
                    match self
                        .gateways
                        .paypal_capture(reference, &request_id, &amount)
                        .await
                    {
                        Ok(capture) => {
                            let id =
                                TransactionId::parse(PaymentMethod::Paypal, &capture.capture_id)?;
                            self.settle_by_provider(payment, &id, None).await
                        }
                        Err(err) => self.fail_pending(payment, &err.to_string()).await,
                    }
                }
                Ok(Approval::Gone(reason)) => self.fail_pending(payment, &reason).await,
                Ok(Approval::Waiting) => Ok(()),
                Err(err) => {
                    tracing::warn!(%err, "PayPal order status");
                    Ok(())
                }
            },
            PaymentMethod::Card | PaymentMethod::Cash => Ok(()),
        }
    }

    /// Marks a provider-confirmed payment successful and its order paid, in one transaction.
    /// `callback`, the M-Pesa callback that proved it, is recorded in the same transaction.
    async fn settle_by_provider(
        &self,
        payment: &PaymentSummary,
        transaction_id: &TransactionId,
        callback: Option<&CallbackRecord<'_>>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let (_, order_status, total) = db::orders::lock(&mut tx, payment.order_id)
            .await?
            .ok_or_else(not_found)?;
        let locked = db::payments::lock(&mut tx, payment.id)
            .await?
            .ok_or_else(not_found)?;
        if locked.status != PaymentStatus::Pending {
            return Err(Error::Conflict(format!(
                "The payment is already {}.",
                locked.status
            )));
        }
        if locked.gateway_ref != payment.gateway_ref {
            return Err(Error::Conflict(
                "The payment was sent again since; this answer is for an earlier request.".into(),
            ));
        }
        order_status.check_transition(OrderStatus::Paid)?;
        settle(&mut tx, None, &locked, transaction_id, total).await?;
        if let Some(callback) = callback {
            db::payments::record_callback(&mut *tx, callback).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A provider refused or could not be reached: the payment fails with the reason, so the
    /// customer can retry (a retry reuses the payment).
    async fn provider_failed(&self, payment: &PaymentSummary, reason: &str) -> Result<()> {
        tracing::warn!(%reason, "payment provider");
        self.fail_pending(payment, reason).await
    }

    /// Fails `payment` if it is still pending on the same request it was read with: a late
    /// answer about an earlier request must not fail a retry.
    async fn fail_pending(&self, payment: &PaymentSummary, reason: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        if let Some(p) = db::payments::lock(&mut tx, payment.id).await?
            && p.status == PaymentStatus::Pending
            && p.gateway_ref == payment.gateway_ref
        {
            db::payments::mark_failed(&mut *tx, payment.id, reason).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn load(&self, payment_id: Uuid) -> Result<PaymentSummary> {
        db::payments::by_id(&self.pool, payment_id)
            .await?
            .ok_or_else(not_found)
    }

    /// With the sandbox, its callback arrives after the pretend customer's delay, through
    /// the same door as Safaricom's.
    fn deliver_sandbox_callback(&self, checkout: String) {
        if self.gateways.sandbox_callback(&checkout).is_none() {
            return;
        }
        let payments = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(payments.gateways.sandbox_delay()).await;
            if let Some(body) = payments.gateways.sandbox_callback(&checkout)
                && let Err(err) = payments.receive_callback(body.to_string().as_bytes()).await
            {
                tracing::warn!(%err, "sandbox callback");
            }
        });
    }

    /// An admin rejects a payment waiting for verification (an M-Pesa code not found in the
    /// till's statement): it fails with the reason, audited with who rejected it, in one
    /// transaction. A payment a provider has is decided by the provider's answer instead.
    pub async fn reject(
        &self,
        actor: &Actor,
        payment_id: Uuid,
        reason: &str,
    ) -> Result<PaymentSummary> {
        let reason = crate::domain::values::parse_name("Reason", reason, 200)?;
        let mut tx = self.pool.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        // Lock the order before its payment, the same order confirming takes them in.
        let order_id = db::payments::order_of(&mut *tx, payment_id)
            .await?
            .ok_or_else(not_found)?;
        db::orders::lock(&mut tx, order_id).await?;
        let payment = db::payments::lock(&mut tx, payment_id)
            .await?
            .ok_or_else(not_found)?;
        if payment.status != PaymentStatus::Pending {
            return Err(Error::Conflict(format!(
                "This payment is {}, not pending.",
                payment.status
            )));
        }
        if payment.gateway_ref.is_some() {
            return Err(Error::Conflict(format!(
                "{} has this payment: its answer decides it, not a rejection.",
                payment.method
            )));
        }
        let failed = db::payments::mark_failed(&mut *tx, payment_id, &reason).await?;
        db::audit::record(
            &mut *tx,
            me.user_id,
            "payment.reject",
            "payment",
            Some(payment_id),
            json!({ "order": order_id, "method": payment.method, "transaction_id": payment.transaction_id, "amount": payment.amount, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(failed)
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
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// Marks a payment successful and its order paid, inside the caller's transaction (which has
/// locked the order, then the payment). Refuses a transaction id another payment carries.
/// `me` is the person who confirmed it; None when the provider confirmed it (the callback
/// and the query are the record then).
pub(crate) async fn settle(
    tx: &mut PgConnection,
    me: Option<&Principal>,
    payment: &PaymentSummary,
    transaction_id: &TransactionId,
    amount: Money,
) -> Result<PaymentSummary> {
    let duplicate = || Error::DuplicateTransaction(transaction_id.to_string());
    if db::payments::transaction_id_used(&mut *tx, transaction_id, payment.id).await? {
        return Err(duplicate());
    }
    // Two tills confirming one id at once: the unique index lets exactly one through.
    let confirmed = db::payments::mark_successful(
        &mut *tx,
        payment.id,
        transaction_id,
        amount,
        me.map(|m| m.user_id),
    )
    .await
    .map_err(|err| duplicate_or(err, transaction_id))?;
    db::orders::set_status(&mut *tx, payment.order_id, OrderStatus::Paid).await?;
    if let Some(me) = me {
        db::audit::record(
            &mut *tx,
            me.user_id,
            "payment.confirm",
            "payment",
            Some(payment.id),
            json!({ "order": payment.order_id, "method": payment.method, "transaction_id": transaction_id.as_str(), "amount": amount }),
        )
        .await?;
    }
    Ok(confirmed)
}

/// A unique-index refusal on the transaction id as the reason people understand.
pub(crate) fn duplicate_or(err: sqlx::Error, transaction_id: &TransactionId) -> Error {
    if db::is_unique_violation(&err, "payments_transaction_id_key") {
        Error::DuplicateTransaction(transaction_id.to_string())
    } else {
        err.into()
    }
}

/// True when a payment is no longer free to start with `method`: settled, failed, or in a
/// provider's hands (possibly by another method, which then has to finish or fail first).
fn in_progress(payment: &PaymentSummary, method: PaymentMethod) -> bool {
    payment.status != PaymentStatus::Pending
        || payment.method != method
        || payment.gateway_ref.is_some()
}

fn refused(reason: &str) -> CallbackOutcome {
    CallbackOutcome::Refused(reason.to_owned())
}

/// An order's reference for a provider (at most 12 characters for M-Pesa).
fn short_ref(order_id: Uuid) -> String {
    format!("BM{}", crate::domain::order::short_id(order_id))
}
