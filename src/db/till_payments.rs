//! Payments to the shop's till number as Safaricom confirmed them (migration 26).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::payment::{TillPayment, TransactionId};

const COLUMNS: &str = "trans_id, amount, msisdn, payer, bill_ref, paid_at, received_at, payment_id";

/// Everything one confirmation says, to keep.
pub struct NewTillPayment<'a> {
    pub trans_id: &'a TransactionId,
    pub amount: Money,
    pub short_code: &'a str,
    pub msisdn: &'a str,
    pub payer: &'a str,
    pub bill_ref: &'a str,
    pub paid_at: DateTime<Utc>,
}

/// Whoever looks at or claims a code's confirmation holds this first, until their
/// transaction ends: the receiver keeping a confirmation and a till claiming it never
/// miss each other. Taken before any order or payment lock.
pub async fn lock_code(tx: &mut PgConnection, code: &TransactionId) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('till-payment:' || $1, 0))")
        .bind(code.as_str())
        .execute(tx)
        .await?;
    Ok(())
}

/// Keeps a confirmation; false when it was kept already (Safaricom resends).
pub async fn insert(ex: impl PgExecutor<'_>, paid: &NewTillPayment<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into till_payments (trans_id, amount, short_code, msisdn, payer, bill_ref, paid_at)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (trans_id) do nothing",
    )
    .bind(paid.trans_id.as_str())
    .bind(paid.amount)
    .bind(paid.short_code)
    .bind(paid.msisdn)
    .bind(paid.payer)
    .bind(paid.bill_ref)
    .bind(paid.paid_at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A code's confirmation, claimed or not.
pub async fn find(
    ex: impl PgExecutor<'_>,
    code: &TransactionId,
) -> sqlx::Result<Option<TillPayment>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from till_payments where trans_id = $1"
    ))
    .bind(code.as_str())
    .fetch_optional(ex)
    .await
}

/// Claims the code's confirmation for the session's pending payment that carries it (see
/// `bytemtaani_claim_till_payment`): the amount the customer paid, or None.
pub async fn claim(
    ex: impl PgExecutor<'_>,
    session: Uuid,
    payment_id: Uuid,
    within_minutes: i32,
) -> sqlx::Result<Option<Money>> {
    sqlx::query_scalar("select bytemtaani_claim_till_payment($1, $2, $3)")
        .bind(session)
        .bind(payment_id)
        .bind(within_minutes)
        .fetch_one(ex)
        .await
}

/// Claims a confirmation for a payment the provider's process settles (the receiver, when
/// the code was typed at a till before Safaricom's word arrived).
pub async fn claim_for(
    ex: impl PgExecutor<'_>,
    code: &TransactionId,
    payment_id: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update till_payments set payment_id = $2, claimed_at = now()
         where trans_id = $1 and payment_id is null",
    )
    .bind(code.as_str())
    .bind(payment_id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Confirmations nobody claimed, newest first.
pub async fn unclaimed(ex: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<TillPayment>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from till_payments where payment_id is null
         order by received_at desc limit $1"
    ))
    .bind(limit)
    .fetch_all(ex)
    .await
}
