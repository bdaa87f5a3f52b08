//! An order's one payment: opened as pending, sent to a provider as one claimed request at a
//! time, then successful (with a verified, unused transaction id, and the order paid in the
//! same transaction) or failed, on the provider's own word only. Money a provider confirms
//! that the books cannot simply settle is raised as an alert for an admin.

mod callbacks;
mod reconcile;
mod till;

use serde_json::json;
use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::payments::CallbackRecord;
use crate::db::{self, Db, TerminalRole};
use crate::domain::alert::{Alert, AlertKind, NewAlert};
use crate::domain::order::{OrderStatus, short_id};
use crate::domain::payment::{
    PaymentMethod, PaymentRow, PaymentStatus, PaymentSummary, RequestState, TransactionId,
};
use crate::domain::user::{Actor, Role};
use crate::domain::values::{Phone, limits, parse_name};
use crate::domain::{Error, Money, Result};
use crate::gateway::GatewayError;
use crate::gateway::mpesa::StkPush;
use crate::service::access::{Principal, authorize};
use crate::service::gateways::Gateways;

pub use callbacks::CallbackOutcome;
pub use reconcile::Reconciled;
pub use till::{RECENT_MINUTES as TILL_PAYMENT_MINUTES, TillOutcome};

#[derive(Clone)]
pub struct Payments {
    db: Db,
    /// The process's own rights: what only a provider can vouch for (a card approval, a
    /// PayPal capture, an M-Pesa confirmation) is settled by the process that holds the
    /// provider's credentials and hears its answers, never under a kiosk's role.
    provider: Db,
    gateways: Gateways,
    /// Till orders still unpaid this long after they were placed (by the database's clock)
    /// are cancelled by reconciliation...
    unpaid_after: Duration,
    /// ... and a customer's own orders after this long.
    customer_unpaid_after: Duration,
}

/// What settling a provider's confirmed payment did.
enum Settled {
    Paid,
    /// The payment had been failed in the books; the provider's word settled it anyway.
    PaidAfterFailure,
    /// The money is real but the order cannot take it (cancelled, or paid already).
    Cannot(String),
}

fn not_found() -> Error {
    Error::NotFound("The payment".into())
}

impl Payments {
    pub fn new(
        db: Db,
        provider: Db,
        gateways: Gateways,
        unpaid_after: Duration,
        customer_unpaid_after: Duration,
    ) -> Self {
        Payments {
            db,
            provider,
            gateways,
            unpaid_after,
            customer_unpaid_after,
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

    /// Whether this process settles what providers confirm: not a kiosk app run with a
    /// kiosk's own database login, which leaves that to the shop's server.
    fn settles(&self) -> bool {
        self.provider.role() != Some(TerminalRole::Kiosk)
    }

    /// Refuses a method no provider takes here, before anything is written.
    fn check_offered(&self, method: PaymentMethod) -> Result<()> {
        if method != PaymentMethod::Mpesa && !self.settles() {
            return Err(Error::Conflict(format!(
                "{method} payments are settled by the shop's server, and this kiosk runs on \
                 its own. Please pay by M-Pesa or at the till."
            )));
        }
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
        Ok(self.claim(actor, order_id, method, false).await?.0)
    }

    /// Opens the order's payment for `method` and, when `request`, claims it for one provider
    /// request: true for the one caller that sends it; false when it is settled, or a request
    /// is in flight already (a second press, another screen), or another method has it.
    async fn claim(
        &self,
        actor: &Actor,
        order_id: Uuid,
        method: PaymentMethod,
        request: bool,
    ) -> Result<(PaymentSummary, bool)> {
        let mut tx = self.db.begin().await?;
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
        if method == PaymentMethod::Mpesa && !total.amount().fract().is_zero() {
            return Err(Error::invalid(
                "Amount",
                format!("M-Pesa takes whole shillings; {total} has cents"),
            ));
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
        let claimed = request
            && payment.method == method
            && db::payments::claim_request(&mut *tx, payment.id).await?;
        tx.commit().await?;
        if claimed {
            return Ok((self.load(payment.id).await?, true));
        }
        Ok((payment, false))
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
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let method = db::payments::method_of(&mut *tx, payment_id)
            .await?
            .ok_or_else(not_found)?;
        let transaction_id = TransactionId::parse(method, transaction_id)?;
        // A till payment Safaricom confirmed under this code is the one matched here.
        db::till_payments::lock_code(&mut tx, &transaction_id).await?;
        let (order_status, total, payment) = lock_with_order(&mut tx, payment_id).await?;
        if payment.taken_by == Some(me.user_id) {
            return Err(Error::Conflict(
                "You took this payment at the till: another admin verifies it.".into(),
            ));
        }
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
        db::till_payments::claim_for(&mut *tx, &transaction_id, payment.id).await?;
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
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        Ok(db::payments::list(
            &mut *self.db.read().await?,
            status,
            method,
            limit.clamp(1, 500),
        )
        .await?)
    }

    /// Money that needs an admin, oldest first.
    pub async fn alerts(&self, actor: &Actor) -> Result<Vec<Alert>> {
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        Ok(db::alerts::open(&mut *self.db.read().await?, 500).await?)
    }

    /// An admin has dealt with an alert (money returned, matched, or checked): it leaves the
    /// list, audited with who and how, in one transaction.
    pub async fn resolve_alert(&self, actor: &Actor, alert_id: i64, how: &str) -> Result<()> {
        let how = parse_name("How it was resolved", how, limits::REASON)?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        if !db::alerts::resolve(&mut *tx, alert_id, me.user_id, &how).await? {
            return Err(Error::NotFound("That open alert".into()));
        }
        db::audit::record(
            &mut *tx,
            me.user_id,
            "payment.alert.resolve",
            "payment_alert",
            None,
            json!({ "alert": alert_id, "how": how }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends an M-Pesa STK Push for the order to `phone`; the customer enters their PIN on
    /// it. The answer arrives as a callback (confirmed by a query before it counts); ask
    /// [`Payments::status`] meanwhile. However many calls race, one push is sent.
    pub async fn pay_by_mpesa(
        &self,
        actor: &Actor,
        order_id: Uuid,
        phone: &str,
    ) -> Result<PaymentSummary> {
        let phone = Phone::parse(phone)?;
        self.check_offered(PaymentMethod::Mpesa)?;
        let (payment, claimed) = self
            .claim(actor, order_id, PaymentMethod::Mpesa, true)
            .await?;
        if !claimed {
            return Ok(payment); // paid already, or a request is in flight
        }
        let push = StkPush {
            phone,
            amount: payment.amount.amount().try_into().unwrap_or(0),
            account_reference: short_ref(order_id),
            description: "ByteMtaani order".into(),
        };
        match self.gateways.stk_push(&push).await {
            Ok(accepted) => {
                let checkout = accepted.checkout_request_id;
                self.sent(&payment, &checkout).await?;
                self.deliver_sandbox_callback(checkout);
            }
            Err(err) => self.not_sent(&payment, &err, true).await?,
        }
        self.load(payment.id).await
    }

    /// Pays at the kiosk's card terminal. Only the approval reference and, at most, the
    /// card's brand and last four digits are kept: the app never sees a card number.
    pub async fn pay_by_card(&self, actor: &Actor, order_id: Uuid) -> Result<PaymentSummary> {
        self.check_offered(PaymentMethod::Card)?;
        let (payment, claimed) = self
            .claim(actor, order_id, PaymentMethod::Card, true)
            .await?;
        if !claimed {
            return Ok(payment);
        }
        match self.gateways.card().await {
            Ok(approval) => {
                let reference = TransactionId::parse(PaymentMethod::Card, &approval.reference)?;
                let settled = self.settle_provider(payment.id, &reference, None).await?;
                self.raise_for(&payment, &approval.reference, settled, "The card terminal")
                    .await?;
                self.provider
                    .write(async |c| {
                        db::payments::set_card(c, payment.id, &approval.brand, &approval.last4)
                            .await
                    })
                    .await?;
            }
            Err(err) => self.not_sent(&payment, &err, true).await?,
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
        let (payment, claimed) = self
            .claim(actor, order_id, PaymentMethod::Paypal, true)
            .await?;
        if !claimed {
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
                self.sent(&payment, &created.order_id).await?;
                Ok((self.load(payment.id).await?, created.approve_url))
            }
            Err(err) => {
                // No money moves until the shop captures, so an unknown outcome is a failure.
                self.not_sent(&payment, &err, false).await?;
                Err(Error::Conflict(format!("PayPal: {err}")))
            }
        }
    }

    /// A payment as it stands, asking its provider first when it is still pending.
    pub async fn status(&self, actor: &Actor, payment_id: Uuid) -> Result<PaymentSummary> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Customer).await?;
        let payment = self.load(payment_id).await?;
        if !me.may_act_for(payment.user_id) {
            return Err(not_found());
        }
        self.ask_provider(&payment, false).await?;
        self.load(payment_id).await
    }

    /// The provider took the claimed request: its reference is kept for good.
    async fn sent(&self, payment: &PaymentSummary, reference: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        db::payments::request_sent(&mut tx, payment, reference).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The claimed request did not go through. A refusal fails the payment (a retry reuses
    /// it). Where money can move, a timeout or broken answer is no refusal: the provider may
    /// have the request, so it stays unresolved, blocks a new one, and an admin is told.
    async fn not_sent(
        &self,
        payment: &PaymentSummary,
        err: &GatewayError,
        money_can_move: bool,
    ) -> Result<()> {
        tracing::warn!(%err, "payment provider");
        let unknown = matches!(
            err,
            GatewayError::Unreachable(_) | GatewayError::Malformed(_)
        );
        if !(unknown && money_can_move) {
            return self.fail_pending(payment, &err.to_string()).await;
        }
        let mut tx = self.db.begin().await?;
        db::payments::request_unresolved(&mut *tx, payment.id).await?;
        let alert = NewAlert {
            kind: AlertKind::UnresolvedRequest,
            payment_id: Some(payment.id),
            provider_ref: None,
            amount: Some(payment.amount),
            detail: format!(
                "{} request for order {}: {err}. The customer may have paid: check the statement, then confirm the payment with its reference or reject it.",
                payment.method,
                short_id(payment.order_id)
            ),
        };
        db::alerts::raise(&mut *tx, &alert).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Settles a payment a provider confirmed (by `transaction_id`), in one transaction with
    /// the callback that proved it, if any: payment successful, order paid. A payment failed
    /// in the books is settled all the same (the money is real); an order that is cancelled
    /// or paid already cannot take it, and the caller raises that for an admin.
    async fn settle_provider(
        &self,
        payment_id: Uuid,
        transaction_id: &TransactionId,
        callback: Option<&CallbackRecord<'_>>,
    ) -> Result<Settled> {
        let mut tx = self.provider.begin().await?;
        let (order_status, total, locked) = lock_with_order(&mut tx, payment_id).await?;
        if matches!(
            locked.status,
            PaymentStatus::Successful | PaymentStatus::Refunded
        ) {
            return Ok(Settled::Cannot(format!(
                "the order's payment is already {} ({})",
                locked.status,
                locked.transaction_id.unwrap_or_default()
            )));
        }
        if order_status != OrderStatus::Pending {
            return Ok(Settled::Cannot(format!("the order is {order_status}")));
        }
        let after_failure = locked.status == PaymentStatus::Failed;
        settle(&mut tx, None, &locked, transaction_id, total).await?;
        if let Some(callback) = callback {
            db::payments::record_callback(&mut *tx, callback).await?;
        }
        tx.commit().await?;
        Ok(if after_failure {
            Settled::PaidAfterFailure
        } else {
            Settled::Paid
        })
    }

    /// Tells an admin what a provider's confirmed money did that a plain settlement does not:
    /// `who` confirmed it, under `reference`. Returns why it could not settle, if it could not.
    async fn raise_for(
        &self,
        payment: &PaymentSummary,
        reference: &str,
        settled: Settled,
        who: &str,
    ) -> Result<Option<String>> {
        let order = short_id(payment.order_id);
        let (kind, detail, refused) = match settled {
            Settled::Paid => return Ok(None),
            Settled::PaidAfterFailure => (
                AlertKind::SettledAfterFailure,
                format!(
                    "{who} confirmed order {order} paid after its payment had been failed; it is now paid."
                ),
                None,
            ),
            Settled::Cannot(why) => (
                AlertKind::MoneyToReturn,
                format!(
                    "{who} confirmed {} for order {order}, but {why}: give it back or match it.",
                    payment.amount
                ),
                Some(why),
            ),
        };
        let alert = NewAlert {
            kind,
            payment_id: Some(payment.id),
            provider_ref: Some(reference.to_owned()),
            amount: Some(payment.amount),
            detail,
        };
        self.provider
            .write(async |c| db::alerts::raise(c, &alert).await)
            .await?;
        Ok(refused)
    }

    /// Fails `payment` if it is still pending on the same request it was read with: a late
    /// answer about an earlier request must not fail a retry.
    async fn fail_pending(&self, payment: &PaymentSummary, reason: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
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
        db::payments::by_id(&mut *self.db.read().await?, payment_id)
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
        let reason = parse_name("Reason", reason, limits::REASON)?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let (_, _, payment) = lock_with_order(&mut tx, payment_id).await?;
        if payment.status != PaymentStatus::Pending {
            return Err(Error::Conflict(format!(
                "This payment is {}, not pending.",
                payment.status
            )));
        }
        // An unresolved request is the admin's to decide (the statement shows no money);
        // one the provider has is decided by the provider's answer.
        if matches!(
            payment.request_state,
            Some(RequestState::Sending | RequestState::Sent)
        ) {
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
            json!({ "order": payment.order_id, "method": payment.method, "transaction_id": payment.transaction_id, "amount": payment.amount, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(failed)
    }
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

/// Locks a payment's order, then the payment: the order every writer of both takes them
/// in (cancelling, confirming, settling), so none waits on another in a cycle. Returns the
/// order's status and total, and the payment.
async fn lock_with_order(
    tx: &mut PgConnection,
    payment_id: Uuid,
) -> Result<(OrderStatus, Money, PaymentSummary)> {
    let order_id = db::payments::order_of(&mut *tx, payment_id)
        .await?
        .ok_or_else(not_found)?;
    let (_, order_status, total) = db::orders::lock(&mut *tx, order_id)
        .await?
        .ok_or_else(not_found)?;
    let payment = db::payments::lock(&mut *tx, payment_id)
        .await?
        .ok_or_else(not_found)?;
    Ok((order_status, total, payment))
}

/// A unique-index refusal on the transaction id as the reason people understand.
pub(crate) fn duplicate_or(err: sqlx::Error, transaction_id: &TransactionId) -> Error {
    if db::is_unique_violation(&err, "payments_transaction_id_key") {
        Error::DuplicateTransaction(transaction_id.to_string())
    } else {
        err.into()
    }
}

/// An order's reference for a provider (at most 12 characters for M-Pesa).
fn short_ref(order_id: Uuid) -> String {
    format!("BM{}", short_id(order_id))
}
