use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::db::audit::NewEntry;
use crate::domain::Money;
use crate::domain::payment::{
    PaymentMethod, PaymentRow, PaymentStatus, PaymentSummary, TransactionId,
};

const PAYMENT_COLUMNS: &str =
    "id, order_id, user_id, amount, method, status, transaction_id, paid_at,
    confirmed_by, failure_reason, created_at, gateway_ref, card_brand, card_last4, request_state, taken_by";

/// Creates the order's one payment as pending, or, when a failed one exists, makes it pending
/// again with the method now chosen (a retry reuses the payment; earlier provider references
/// stay in `payment_requests`). A pending one not yet sent to a provider takes the method
/// now chosen; one in a provider's hands, or successful, is returned untouched.
pub async fn open(
    conn: &mut PgConnection,
    order_id: Uuid,
    user_id: Uuid,
    amount: Money,
    method: PaymentMethod,
) -> sqlx::Result<PaymentSummary> {
    let opened = sqlx::query_as(&format!(
        "insert into payments (order_id, user_id, amount, method) values ($1, $2, $3, $4)
         on conflict (order_id) where not split do update
             set method = excluded.method, status = 'pending', failure_reason = null,
                 transaction_id = null, gateway_ref = null, taken_by = null
             where payments.status = 'failed'
                or (payments.status = 'pending' and payments.gateway_ref is null
                    and payments.transaction_id is null and payments.request_state is null)
         returning {PAYMENT_COLUMNS}"
    ))
    .bind(order_id)
    .bind(user_id)
    .bind(amount)
    .bind(method)
    .fetch_optional(&mut *conn)
    .await?;
    match opened {
        Some(payment) => Ok(payment),
        None => by_order(conn, order_id)
            .await?
            .ok_or(sqlx::Error::RowNotFound),
    }
}

/// The parts of a sale paid in parts (migration 31), in the order they were taken (each
/// written at its own clock time, though in one transaction).
pub async fn parts_of(
    ex: impl PgExecutor<'_>,
    order_id: Uuid,
) -> sqlx::Result<Vec<PaymentSummary>> {
    sqlx::query_as(&format!(
        "select {PAYMENT_COLUMNS} from payments where order_id = $1 and split
         order by created_at, id"
    ))
    .bind(order_id)
    .fetch_all(ex)
    .await
}

/// How a paid sale's returns are refunded: by its payment's method; a sale paid in parts
/// in cash (as `bytemtaani_return_items` decides). None while nothing is paid.
pub async fn refund_method(
    ex: impl PgExecutor<'_>,
    order_id: Uuid,
) -> sqlx::Result<Option<PaymentMethod>> {
    sqlx::query_scalar(
        "select case when bool_or(split) then 'cash'::payment_method else min(method) end
         from payments where order_id = $1 and status = 'successful'",
    )
    .bind(order_id)
    .fetch_one(ex)
    .await
}

/// A payment to write: the order's one payment, or a part of it (`split`).
pub struct NewPayment {
    pub order_id: Uuid,
    pub user_id: Uuid,
    pub amount: Money,
    pub method: PaymentMethod,
    pub split: bool,
}

/// Writes a part of a split payment, pending, to settle by its reference (an M-Pesa code).
pub async fn open_part(ex: impl PgExecutor<'_>, part: &NewPayment) -> sqlx::Result<PaymentSummary> {
    sqlx::query_as(&format!(
        "insert into payments (order_id, user_id, amount, method, split, created_at)
         values ($1, $2, $3, $4, true, clock_timestamp()) returning {PAYMENT_COLUMNS}"
    ))
    .bind(part.order_id)
    .bind(part.user_id)
    .bind(part.amount)
    .bind(part.method)
    .fetch_one(ex)
    .await
}

/// The order's one payment (not the parts of a split one).
pub async fn by_order(
    ex: impl PgExecutor<'_>,
    order_id: Uuid,
) -> sqlx::Result<Option<PaymentSummary>> {
    sqlx::query_as(&format!(
        "select {PAYMENT_COLUMNS} from payments where order_id = $1 and not split"
    ))
    .bind(order_id)
    .fetch_optional(ex)
    .await
}

pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<PaymentSummary>> {
    sqlx::query_as(&format!(
        "select {PAYMENT_COLUMNS} from payments where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// True when a payment other than `payment_id` carries this transaction id.
pub async fn transaction_id_used(
    ex: impl PgExecutor<'_>,
    transaction_id: &TransactionId,
    payment_id: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select 1 from payments where transaction_id = $1 and id <> $2)",
    )
    .bind(transaction_id.as_str())
    .bind(payment_id)
    .fetch_one(ex)
    .await
}

pub async fn method_of(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<PaymentMethod>> {
    sqlx::query_scalar("select method from payments where id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// The pending payment a code typed at the till waits on, if any.
pub async fn pending_with_code(
    ex: impl PgExecutor<'_>,
    code: &TransactionId,
) -> sqlx::Result<Option<PaymentSummary>> {
    sqlx::query_as(&format!(
        "select {PAYMENT_COLUMNS} from payments
         where transaction_id = $1 and status = 'pending' and method = 'mpesa'"
    ))
    .bind(code.as_str())
    .fetch_optional(ex)
    .await
}

/// Notes the transaction id a pending payment claims (an M-Pesa code typed at the till) and
/// who took it, to be verified later by someone else. The unique index keeps it from being
/// claimed twice.
pub async fn claim_reference(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    transaction_id: &TransactionId,
    taken_by: Uuid,
) -> sqlx::Result<PaymentSummary> {
    sqlx::query_as(&format!(
        "update payments set transaction_id = $2, taken_by = $3 where id = $1 and status = 'pending'
         returning {PAYMENT_COLUMNS}"
    ))
    .bind(id)
    .bind(transaction_id.as_str())
    .bind(taken_by)
    .fetch_one(ex)
    .await
}

/// A payment settled as it is made (cash, or a card terminal's approval at the till). With
/// `audit`, that row is written by the same statement: a cash or card sale's audit entry
/// costs no round trip of its own.
pub async fn insert_settled(
    ex: impl PgExecutor<'_>,
    payment: &NewPayment,
    transaction_id: &TransactionId,
    confirmed_by: Uuid,
    audit: Option<NewEntry<'_>>,
) -> sqlx::Result<PaymentSummary> {
    let audit = audit.as_ref();
    sqlx::query_as(&format!(
        "with paid as (
             insert into payments (order_id, user_id, amount, method, split, status,
                                   transaction_id, paid_at, confirmed_by, created_at)
             values ($1, $2, $3, $4, $5, 'successful', $6, now(), $7, clock_timestamp())
             returning {PAYMENT_COLUMNS}),
         noted as (
             insert into audit_log (actor_id, action, entity, entity_id, details)
             select $8, $9, $10, $11, $12 where $9::text is not null)
         select * from paid"
    ))
    .bind(payment.order_id)
    .bind(payment.user_id)
    .bind(payment.amount)
    .bind(payment.method)
    .bind(payment.split)
    .bind(transaction_id.as_str())
    .bind(confirmed_by)
    .bind(audit.map(|a| a.actor_id))
    .bind(audit.map(|a| a.action))
    .bind(audit.map(|a| a.entity))
    .bind(audit.and_then(|a| a.entity_id))
    .bind(audit.map(|a| &a.details))
    .fetch_one(ex)
    .await
}

pub async fn mark_successful(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    transaction_id: &TransactionId,
    amount: Money,
    confirmed_by: Option<Uuid>,
) -> sqlx::Result<PaymentSummary> {
    sqlx::query_as(&format!(
        "update payments set status = 'successful', transaction_id = $2, amount = $3, paid_at = now(),
                confirmed_by = $4, failure_reason = null, request_state = null
         where id = $1 returning {PAYMENT_COLUMNS}"
    ))
    .bind(id)
    .bind(transaction_id.as_str())
    .bind(amount)
    .bind(confirmed_by)
    .fetch_one(ex)
    .await
}

pub async fn mark_failed(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    reason: &str,
) -> sqlx::Result<PaymentSummary> {
    sqlx::query_as(&format!(
        "update payments set status = 'failed', failure_reason = $2, request_state = null
         where id = $1 returning {PAYMENT_COLUMNS}"
    ))
    .bind(id)
    .bind(reason)
    .fetch_one(ex)
    .await
}

pub async fn order_of(ex: impl PgExecutor<'_>, payment_id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("select order_id from payments where id = $1")
        .bind(payment_id)
        .fetch_optional(ex)
        .await
}

/// Newest first, optionally of one status and one method.
pub async fn list(
    ex: impl PgExecutor<'_>,
    status: Option<PaymentStatus>,
    method: Option<PaymentMethod>,
    limit: i64,
) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query_as(
        "select p.id, p.order_id, p.user_id, p.amount, p.method, p.status, p.transaction_id,
                p.paid_at, p.confirmed_by, p.failure_reason, p.created_at, p.gateway_ref,
                p.card_brand, p.card_last4, p.request_state, p.taken_by, u.username, o.status as order_status
         from payments p join users u on u.id = p.user_id join orders o on o.id = p.order_id
         where ($1::payment_status is null or p.status = $1)
           and ($2::payment_method is null or p.method = $2)
         order by p.created_at desc, p.id desc limit $3",
    )
    .bind(status)
    .bind(method)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Claims a pending payment for one provider request: true for the one caller that may send
/// it; false when a request is already in flight, or a code awaits verification.
pub async fn claim_request(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update payments set request_state = 'sending'
         where id = $1 and status = 'pending' and request_state is null
           and gateway_ref is null and transaction_id is null",
    )
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The provider took the claimed request: its reference is kept for good and becomes the
/// payment's current one.
pub async fn request_sent(
    conn: &mut PgConnection,
    payment: &PaymentSummary,
    reference: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into payment_requests (provider_ref, payment_id, method, amount)
         values ($1, $2, $3, $4)",
    )
    .bind(reference)
    .bind(payment.id)
    .bind(payment.method)
    .bind(payment.amount)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update payments set gateway_ref = $2, request_state = 'sent'
         where id = $1 and request_state = 'sending'",
    )
    .bind(payment.id)
    .bind(reference)
    .execute(conn)
    .await?;
    Ok(())
}

/// The claimed request's outcome is unknown (a timeout, a broken answer).
pub async fn request_unresolved(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "update payments set request_state = 'unresolved'
         where id = $1 and request_state = 'sending'",
    )
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

/// The payment that was given `reference` by a provider, whether or not it is the current one.
pub async fn by_provider_ref(
    ex: impl PgExecutor<'_>,
    reference: &str,
) -> sqlx::Result<Option<PaymentSummary>> {
    sqlx::query_as(&format!(
        "select {PAYMENT_COLUMNS} from payments
         where id = (select payment_id from payment_requests where provider_ref = $1)"
    ))
    .bind(reference)
    .fetch_optional(ex)
    .await
}

/// Replaces a stand-in transaction id (the M-Pesa CheckoutRequestID a payment was settled
/// by) with the receipt number that came later.
pub async fn replace_transaction_id(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    standin: &str,
    transaction_id: &TransactionId,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update payments set transaction_id = $3 where id = $1 and transaction_id = $2",
    )
    .bind(id)
    .bind(standin)
    .bind(transaction_id.as_str())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_id(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<PaymentSummary>> {
    sqlx::query_as(&format!(
        "select {PAYMENT_COLUMNS} from payments where id = $1"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await
}

pub async fn set_card(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    brand: &str,
    last4: &str,
) -> sqlx::Result<()> {
    sqlx::query("update payments set card_brand = $2, card_last4 = $3 where id = $1")
        .bind(id)
        .bind(brand)
        .bind(last4)
        .execute(ex)
        .await?;
    Ok(())
}

/// Marks the successful parts of a split-paid order refunded; returns what they came to.
pub async fn refund_parts(ex: impl PgExecutor<'_>, order_id: Uuid) -> sqlx::Result<Money> {
    sqlx::query_scalar(
        "with refunded as (
             update payments set status = 'refunded'
             where order_id = $1 and split and status = 'successful' returning amount)
         select coalesce(sum(amount), 0) from refunded",
    )
    .bind(order_id)
    .fetch_one(ex)
    .await
}

pub async fn mark_refunded(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update payments set status = 'refunded' where id = $1 and status = 'successful'")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Pending payments whose request a provider took, unchanged for longer than `older_than`
/// (by the database's clock), oldest first.
pub async fn pending_with_gateway(
    ex: impl PgExecutor<'_>,
    older_than: std::time::Duration,
    limit: i64,
) -> sqlx::Result<Vec<PaymentSummary>> {
    sqlx::query_as(&format!(
        "select {PAYMENT_COLUMNS} from payments
         where status = 'pending' and request_state = 'sent'
           and updated_at < now() - make_interval(secs => $1)
         order by updated_at limit $2"
    ))
    .bind(older_than.as_secs_f64())
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub struct CallbackRecord<'a> {
    pub checkout_request_id: Option<String>,
    pub result_code: Option<i64>,
    pub receipt: Option<String>,
    pub amount: Option<rust_decimal::Decimal>,
    pub payment_id: Option<Uuid>,
    pub outcome: &'a str,
    /// The bytes as they arrived, whatever they hold.
    pub raw: &'a [u8],
}

pub async fn record_callback(
    ex: impl PgExecutor<'_>,
    record: &CallbackRecord<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into mpesa_callbacks (checkout_request_id, result_code, receipt, amount, payment_id, outcome, raw)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&record.checkout_request_id)
    .bind(record.result_code)
    .bind(&record.receipt)
    .bind(record.amount)
    .bind(record.payment_id)
    .bind(record.outcome)
    .bind(record.raw)
    .execute(ex)
    .await?;
    Ok(())
}
