use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

use crate::domain::Money;
use crate::domain::payment::PaymentMethod;
use crate::domain::report::TopProduct;

/// Sales, each with the payments that settled it (one, or the parts of a sale paid in
/// parts): every figure counts a sale when its payment settled (`p.paid_at`), as a shift
/// does, so a day's total is the sum of its methods.
const SETTLED: &str = "orders o join payments p on p.order_id = o.id and p.status = 'successful'";
/// The order `o` settled since $1, counted once however many parts paid it (for figures
/// per line).
const SETTLED_SINCE: &str = "exists (select 1 from payments p where p.order_id = o.id
    and p.status = 'successful' and p.paid_at >= $1)";
/// Orders that count as sales.
const SOLD: &str = "o.status in ('paid', 'shipped', 'delivered')";
/// The day a sale settled on the shop's clock (UTC+3, as `domain::clock`).
const SHOP_DAY: &str = "((p.paid_at at time zone 'UTC') + interval '3 hours')::date";

/// Sales and their amount per shop day since `since`, only days that had any.
pub async fn days(
    ex: impl PgExecutor<'_>,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<(NaiveDate, i64, Money)>> {
    sqlx::query_as(&format!(
        "select {SHOP_DAY} as day, count(distinct o.id), coalesce(sum(p.amount), 0)
         from {SETTLED} where {SOLD} and p.paid_at >= $1
         group by 1 order by 1"
    ))
    .bind(since)
    .fetch_all(ex)
    .await
}

/// Sales settled since `since` by payment method.
pub async fn methods(
    ex: impl PgExecutor<'_>,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<(PaymentMethod, i64, Money)>> {
    sqlx::query_as(&format!(
        "select p.method, count(*), coalesce(sum(p.amount), 0)
         from {SETTLED} where {SOLD} and p.paid_at >= $1
         group by p.method order by 3 desc"
    ))
    .bind(since)
    .fetch_all(ex)
    .await
}

/// Refunds of returned goods since `since` by method: how many returns, how much.
pub async fn refunds(
    ex: impl PgExecutor<'_>,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<(PaymentMethod, i64, Money)>> {
    sqlx::query_as(
        "select method, count(*), coalesce(sum(amount), 0) from returns
         where created_at >= $1
         group by method order by 3 desc",
    )
    .bind(since)
    .fetch_all(ex)
    .await
}

/// Till sales written off since `since`: how many, and what they were worth.
pub async fn written_off(
    ex: impl PgExecutor<'_>,
    since: DateTime<Utc>,
) -> sqlx::Result<(i64, Money)> {
    sqlx::query_as(
        "select count(*), coalesce(sum(total_amount), 0) from orders where written_off_at >= $1",
    )
    .bind(since)
    .fetch_one(ex)
    .await
}

/// Sales settled since `since` with a discount: how many, and what came off them.
pub async fn discounted(
    ex: impl PgExecutor<'_>,
    since: DateTime<Utc>,
) -> sqlx::Result<(i64, Money)> {
    sqlx::query_as(&format!(
        "select count(distinct o.id), coalesce(sum(i.discount), 0)
         from orders o join order_items i on i.order_id = o.id
         where {SOLD} and {SETTLED_SINCE} and i.discount > 0"
    ))
    .bind(since)
    .fetch_one(ex)
    .await
}

/// The best sellers by amount (net of discounts) since `since`.
pub async fn top_products(
    ex: impl PgExecutor<'_>,
    since: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<TopProduct>> {
    let rows: Vec<(String, String, i64, Money)> = sqlx::query_as(&format!(
        "select pr.name, pr.sku, sum(i.quantity)::bigint, sum(i.quantity * i.price - i.discount)
         from orders o join order_items i on i.order_id = o.id
              join products pr on pr.id = i.product_id
         where {SOLD} and {SETTLED_SINCE}
         group by pr.id, pr.name, pr.sku order by 4 desc, 3 desc, pr.name limit $2"
    ))
    .bind(since)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, sku, units, amount)| TopProduct {
            name,
            sku,
            units,
            amount,
        })
        .collect())
}
