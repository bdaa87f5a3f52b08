//! Returns against till sales (migration 24): finding the sale, what is left to return, and
//! writing a return through the database's own function.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::order::OrderStatus;
use crate::domain::payment::PaymentMethod;
use crate::domain::returns::{PendingRefund, RefundStatus, ReturnRequest, ReturnableLine};

/// Orders whose id lies in `low..=high` (a receipt number's range): at most two, enough to
/// tell one from several.
pub async fn sales_numbered(
    ex: impl PgExecutor<'_>,
    low: Uuid,
    high: Uuid,
) -> sqlx::Result<Vec<(Uuid, DateTime<Utc>, OrderStatus)>> {
    sqlx::query_as(
        "select id, created_at, status from orders where id between $1 and $2 order by id limit 2",
    )
    .bind(low)
    .bind(high)
    .fetch_all(ex)
    .await
}

/// Each line of a sale with the units already returned of it, by product name.
pub async fn returnable(
    ex: impl PgExecutor<'_>,
    order_id: Uuid,
) -> sqlx::Result<Vec<ReturnableLine>> {
    sqlx::query_as(
        "select i.product_id, p.name as product_name, p.sku, i.price, i.discount, i.quantity as sold,
                coalesce((select sum(ri.quantity) from return_items ri
                          join returns r on r.id = ri.return_id
                          where r.order_id = i.order_id and ri.product_id = i.product_id), 0)::int
                    as returned
         from order_items i
         -- each line's product by its key (the db module's note on order lines)
         cross join lateral (select id, name, sku from products where id = i.product_id limit 1) p
         where i.order_id = $1
         order by p.name, p.id",
    )
    .bind(order_id)
    .fetch_all(ex)
    .await
}

/// Refunds waiting for an admin to send them back with the provider, oldest first: all of
/// them, or only the one of `return_id`.
pub async fn awaiting_reversal(
    ex: impl PgExecutor<'_>,
    return_id: Option<Uuid>,
) -> sqlx::Result<Vec<PendingRefund>> {
    sqlx::query_as(
        "select r.id as return_id, r.order_id, u.username as customer, u.phone, r.amount,
                r.method, r.created_at as returned_at
         from returns r join orders o on o.id = r.order_id join users u on u.id = o.user_id
         where r.refund_status = 'awaiting_reversal' and ($1::uuid is null or r.id = $1)
         order by r.created_at, r.id",
    )
    .bind(return_id)
    .fetch_all(ex)
    .await
}

/// Records the refund of `return_id` as sent back by the admin of `session`, with the
/// provider's reference. False when it was not waiting for that.
pub async fn complete_reversal(
    ex: impl PgExecutor<'_>,
    session: Uuid,
    return_id: Uuid,
    reference: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar("select bytemtaani_complete_reversal($1, $2, $3)")
        .bind(session)
        .bind(return_id)
        .bind(reference)
        .fetch_one(ex)
        .await
}

/// Whether any goods of the order came back (it is then not cancelled as a whole).
pub async fn any_for(ex: impl PgExecutor<'_>, order_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from returns where order_id = $1)")
        .bind(order_id)
        .fetch_one(ex)
        .await
}

/// A return as written: its id and time, the amount refunded, how, and where the refund
/// stands.
pub struct Taken {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub amount: Money,
    pub method: PaymentMethod,
    pub status: RefundStatus,
}

/// Writes the return as the staff member of `session`; the database checks the quantities
/// again under the sale's lock and puts the goods back on the shelf when asked.
pub async fn take(
    ex: impl PgExecutor<'_>,
    session: Uuid,
    request: &ReturnRequest,
) -> sqlx::Result<Taken> {
    let (products, quantities): (Vec<Uuid>, Vec<i32>) = request.lines.iter().copied().unzip();
    let (id, at, amount, method, status) =
        sqlx::query_as("select * from bytemtaani_return_items($1, $2, $3, $4, $5, $6, $7)")
            .bind(session)
            .bind(request.order_id)
            .bind(products)
            .bind(quantities)
            .bind(request.restock)
            .bind(&request.reason)
            .bind(&request.reference)
            .fetch_one(ex)
            .await?;
    Ok(Taken {
        id,
        at,
        amount,
        method,
        status,
    })
}
