use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

use crate::domain::Money;
use crate::domain::payment::PaymentMethod;
use crate::domain::report::TopProduct;

/// Orders that count as sales.
const SOLD: &str = "o.status in ('paid', 'shipped', 'delivered')";
/// An order's day on the shop's clock (UTC+3, as `domain::clock`).
const SHOP_DAY: &str = "((o.created_at at time zone 'UTC') + interval '3 hours')::date";

/// Orders and sales per shop day since `since`, only days that had any.
pub async fn days(
    ex: impl PgExecutor<'_>,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<(NaiveDate, i64, Money)>> {
    sqlx::query_as(&format!(
        "select {SHOP_DAY} as day, count(*), coalesce(sum(o.total_amount), 0)
         from orders o where {SOLD} and o.created_at >= $1
         group by 1 order by 1"
    ))
    .bind(since)
    .fetch_all(ex)
    .await
}

/// Successful payments since `since` by method.
pub async fn methods(
    ex: impl PgExecutor<'_>,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<(PaymentMethod, i64, Money)>> {
    sqlx::query_as(
        "select method, count(*), coalesce(sum(amount), 0) from payments
         where status = 'successful' and paid_at >= $1
         group by method order by 3 desc",
    )
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

/// The best sellers by amount since `since`.
pub async fn top_products(
    ex: impl PgExecutor<'_>,
    since: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<TopProduct>> {
    let rows: Vec<(String, String, i64, Money)> = sqlx::query_as(&format!(
        "select p.name, p.sku, sum(i.quantity)::bigint, sum(i.quantity * i.price)
         from order_items i join orders o on o.id = i.order_id join products p on p.id = i.product_id
         where {SOLD} and o.created_at >= $1
         group by p.id, p.name, p.sku order by 4 desc, 3 desc, p.name limit $2"
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
