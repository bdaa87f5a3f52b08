//! An order's one payment: opened as pending, then successful (with a verified, unused
//! transaction id, and the order paid in the same transaction) or failed.

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::db;
use crate::domain::order::OrderStatus;
use crate::domain::payment::{
    PaymentMethod, PaymentRow, PaymentStatus, PaymentSummary, TransactionId,
};
use crate::domain::user::{Actor, Role};
use crate::domain::{Error, Money, Result};
use crate::service::access::{Principal, authorize};

#[derive(Clone)]
pub struct Payments {
    pool: PgPool,
}

fn not_found() -> Error {
    Error::NotFound("The payment".into())
}

impl Payments {
    pub fn new(pool: PgPool) -> Self {
        Payments { pool }
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
        let confirmed = settle(&mut tx, &me, &payment, &transaction_id, amount).await?;
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

    /// Records that a pending payment failed (declined, cancelled by the customer, …).
    pub async fn fail(
        &self,
        actor: &Actor,
        payment_id: Uuid,
        reason: &str,
    ) -> Result<PaymentSummary> {
        let reason = crate::domain::values::parse_name("Reason", reason, 200)?;
        let mut tx = self.pool.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Customer).await?;
        let payment = db::payments::lock(&mut tx, payment_id)
            .await?
            .ok_or_else(not_found)?;
        if !me.may_act_for(payment.user_id) {
            return Err(not_found());
        }
        if payment.status != PaymentStatus::Pending {
            return Err(Error::Conflict(format!(
                "This payment is {}, not pending.",
                payment.status
            )));
        }
        let failed = db::payments::mark_failed(&mut *tx, payment_id, &reason).await?;
        tx.commit().await?;
        Ok(failed)
    }
}

/// Marks a payment successful and its order paid, inside the caller's transaction (which has
/// locked the order, then the payment). Refuses a transaction id another payment carries.
pub(crate) async fn settle(
    tx: &mut PgConnection,
    me: &Principal,
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
        Some(me.user_id),
    )
    .await
    .map_err(|err| duplicate_or(err, transaction_id))?;
    db::orders::set_status(&mut *tx, payment.order_id, OrderStatus::Paid).await?;
    db::audit::record(
        &mut *tx,
        me.user_id,
        "payment.confirm",
        "payment",
        Some(payment.id),
        json!({ "order": payment.order_id, "method": payment.method, "transaction_id": transaction_id.as_str(), "amount": amount }),
    )
    .await?;
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
