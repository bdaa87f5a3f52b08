use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::discount::Discount;
use crate::domain::order::{
    AfterSale, OrderItem, OrderStatus, OrderSummary, RecentSale, UnpaidOrder,
};
use crate::domain::payment::PaymentMethod;

const SUMMARY_SELECT: &str = "select o.id, o.user_id, u.username, u.phone, o.status, o.total_amount, o.served_by,
        (select coalesce(sum(i.quantity), 0) from order_items i where i.order_id = o.id)::bigint as item_count,
        o.created_at, o.updated_at
    from orders o join users u on u.id = o.user_id";

pub struct NewOrder {
    pub user_id: Uuid,
    pub served_by: Option<Uuid>,
    pub checkout_key: Uuid,
    /// Pending, or paid when its settled payment is written in the same transaction.
    pub status: OrderStatus,
    /// Given at the till; the database works out each line's share.
    pub discounts: Vec<Discount>,
    /// An admin's approval of discounts over the cashier's limit (migration 30).
    pub approval: Option<Uuid>,
    /// The unit price of the sale's open-price line, when it has one (migration 33).
    pub open_price: Option<Money>,
}

/// A line as written: product, shelf price, name, SKU, and what came off it.
pub struct TakenLine {
    pub product_id: Uuid,
    pub price: Money,
    pub name: String,
    pub sku: String,
    pub discount: Money,
}

/// What writing an order came to (migration 23).
pub enum Written {
    /// The order's id and time, and its lines as taken, in ascending product id order.
    Placed {
        id: Uuid,
        created_at: DateTime<Utc>,
        lines: Vec<TakenLine>,
    },
    /// This product was short or archived: nothing was written, and the caller rolls back
    /// whatever the function took before it.
    Short(Uuid),
    /// The buyer's checkout key was used already, by this order: nothing was written.
    AlreadyPlaced(Uuid),
}

/// Takes the stock of `lines` (product and units) and writes the order in one round trip,
/// as the person of `session`: terminals may write orders no other way.
pub async fn place(
    ex: impl PgExecutor<'_>,
    session: Uuid,
    order: &NewOrder,
    lines: &[(Uuid, i32)],
) -> sqlx::Result<Written> {
    type Row = (
        Option<Uuid>,
        Option<DateTime<Utc>>,
        Option<Uuid>,
        Option<Money>,
        Option<String>,
        Option<String>,
        Option<Money>,
    );
    let (products, quantities): (Vec<Uuid>, Vec<i32>) = lines.iter().copied().unzip();
    let rows: Vec<Row> = sqlx::query_as(
        "select * from bytemtaani_place_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(session)
    .bind(order.user_id)
    .bind(order.served_by)
    .bind(order.checkout_key)
    .bind(order.status)
    .bind(products)
    .bind(quantities)
    .bind(Discount::to_json(&order.discounts))
    .bind(order.approval)
    .bind(order.open_price)
    .fetch_all(ex)
    .await?;
    let mut placed = None;
    let mut taken = Vec::with_capacity(rows.len());
    for row in rows {
        match row {
            (
                Some(id),
                Some(at),
                Some(product_id),
                Some(price),
                Some(name),
                Some(sku),
                Some(discount),
            ) => {
                placed = Some((id, at));
                taken.push(TakenLine {
                    product_id,
                    price,
                    name,
                    sku,
                    discount,
                });
            }
            (Some(id), _, None, ..) => return Ok(Written::AlreadyPlaced(id)),
            (None, _, Some(product), ..) => return Ok(Written::Short(product)),
            _ => return Err(sqlx::Error::RowNotFound),
        }
    }
    let (id, created_at) = placed.ok_or(sqlx::Error::RowNotFound)?;
    Ok(Written::Placed {
        id,
        created_at,
        lines: taken,
    })
}

/// Units in an order, all lines together.
pub async fn units(ex: impl PgExecutor<'_>, order_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select coalesce(sum(quantity), 0)::bigint from order_items where order_id = $1",
    )
    .bind(order_id)
    .fetch_one(ex)
    .await
}

pub async fn by_checkout_key(
    ex: impl PgExecutor<'_>,
    user_id: Uuid,
    key: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("select id from orders where user_id = $1 and checkout_key = $2")
        .bind(user_id)
        .bind(key)
        .fetch_optional(ex)
        .await
}

pub async fn summary(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<OrderSummary>> {
    sqlx::query_as(&format!("{SUMMARY_SELECT} where o.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Locks an order row for a status change or payment; returns its owner, status and total.
pub async fn lock(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<(Uuid, OrderStatus, Money)>> {
    sqlx::query_as("select user_id, status, total_amount from orders where id = $1 for update")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// An order's returns and its write-off, oldest first. Who took a return is blank where
/// the reader may not see staff accounts (a kiosk).
pub async fn after_sale(ex: impl PgExecutor<'_>, order_id: Uuid) -> sqlx::Result<Vec<AfterSale>> {
    type Row = (
        DateTime<Utc>,
        Option<i64>,
        Option<Money>,
        Option<PaymentMethod>,
        Option<bool>,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "select r.created_at, (select sum(quantity) from return_items where return_id = r.id)::bigint,
                r.amount, r.method, r.restocked, coalesce(u.username, ''), null::text
         from returns r left join users u on u.id = r.taken_by where r.order_id = $1
         union all
         select o.written_off_at, null, null, null, null, coalesce(u.username, ''),
                o.write_off_reason
         from orders o left join users u on u.id = o.written_off_by
         where o.id = $1 and o.written_off_at is not null
         order by 1",
    )
    .bind(order_id)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, units, refund, method, restocked, by, reason)| {
            match (units, refund, method, restocked) {
                (Some(units), Some(refund), Some(method), Some(restocked)) => AfterSale::Returned {
                    at,
                    units,
                    refund,
                    method,
                    restocked,
                    by,
                },
                _ => AfterSale::Tally {
                    at,
                    by,
                    reason: reason.unwrap_or_default(),
                },
            }
        })
        .collect())
}

/// Closes an unpaid till sale as written off: cancelled, its stock left as it is
/// (migration 27's trigger puts nothing back for a written-off order).
pub async fn write_off(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    by: Uuid,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update orders set status = 'cancelled', written_off_at = now(), written_off_by = $2,
                           write_off_reason = $3
         where id = $1",
    )
    .bind(id)
    .bind(by)
    .bind(reason)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn set_status(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    status: OrderStatus,
) -> sqlx::Result<()> {
    sqlx::query("update orders set status = $2 where id = $1")
        .bind(id)
        .bind(status)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn items(ex: impl PgExecutor<'_>, order_id: Uuid) -> sqlx::Result<Vec<OrderItem>> {
    sqlx::query_as(
        "select i.product_id, p.name as product_name, p.sku, i.quantity, i.price, i.discount
         from order_items i
         -- each line's product by its key (the db module's note on order lines)
         cross join lateral (select name, sku from products where id = i.product_id limit 1) p
         where i.order_id = $1 order by p.name",
    )
    .bind(order_id)
    .fetch_all(ex)
    .await
}

/// A user's orders, newest first, keyset-paged by (created_at, id).
pub async fn for_user(
    ex: impl PgExecutor<'_>,
    user_id: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<OrderSummary>> {
    let (at, id) = before.unzip();
    sqlx::query_as(&format!(
        "{SUMMARY_SELECT} where o.user_id = $1 and ($2::timestamptz is null or (o.created_at, o.id) < ($2, $3))
         order by o.created_at desc, o.id desc limit $4"
    ))
    .bind(user_id)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// All orders (staff view), newest first, optionally of one status.
/// Newest first. `from`/`to` bound created_at (to is exclusive); `customer` matches part of
/// a username or phone.
pub async fn list(
    ex: impl PgExecutor<'_>,
    status: Option<OrderStatus>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    customer: &str,
    limit: i64,
) -> sqlx::Result<Vec<OrderSummary>> {
    sqlx::query_as(&format!(
        "{SUMMARY_SELECT}
         where ($1::order_status is null or o.status = $1)
           and ($2::timestamptz is null or o.created_at >= $2)
           and ($3::timestamptz is null or o.created_at < $3)
           and ($4 = '' or u.username ilike '%' || $4 || '%' or u.phone like '%' || $4 || '%')
         order by o.created_at desc, o.id desc limit $5"
    ))
    .bind(status)
    .bind(from)
    .bind(to)
    .bind(super::escape_like(customer))
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Pending orders placed before `before`, locked for cancelling; rows another terminal is
/// already handling are skipped, so two reconcilers never work on one order. An order whose
/// payment carries a claimed reference (an M-Pesa code typed at the till) waits for an
/// admin's verification instead: its goods have left the shop.
pub async fn lock_unpaid(
    conn: &mut PgConnection,
    till_older_than: std::time::Duration,
    customer_older_than: std::time::Duration,
    limit: i64,
) -> sqlx::Result<Vec<Uuid>> {
    // The database's clock decides the age, never the terminal's. A customer's own order
    // (no cashier) may be given less time than a till's.
    sqlx::query_scalar(
        "select o.id from orders o
         where o.status = 'pending'
           and o.created_at < now() - make_interval(secs => case when o.served_by is null
                                                                 then $3 else $1 end)
           and not exists (select 1 from payments p
                           where p.order_id = o.id
                             and (p.transaction_id is not null or p.request_state is not null))
         order by o.created_at limit $2 for update of o skip locked",
    )
    .bind(till_older_than.as_secs_f64())
    .bind(limit)
    .bind(customer_older_than.as_secs_f64())
    .fetch_all(conn)
    .await
}

/// Pending orders no payment is under way for (none opened, failed, or opened and not
/// sent), newest first: the till takes payment for them or voids them.
pub async fn unpaid(ex: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<UnpaidOrder>> {
    sqlx::query_as(
        "select o.id as order_id, u.username as customer, o.total_amount as total,
                (select coalesce(sum(i.quantity), 0) from order_items i where i.order_id = o.id)::bigint as item_count,
                o.created_at,
                case when p.status = 'failed'
                     then coalesce(p.failure_reason, 'payment failed')
                     else 'not paid yet' end as why
         from orders o join users u on u.id = o.user_id
         left join payments p on p.order_id = o.id
         where o.status = 'pending'
           and (p.id is null or p.status = 'failed'
                or (p.status = 'pending' and p.transaction_id is null
                    and p.gateway_ref is null and p.request_state is null))
         order by o.created_at desc, o.id limit $1",
    )
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// How many of a buyer's own orders wait for payment (none successful yet).
/// The sales `cashier` rang up, newest first.
pub async fn recent_by(
    ex: impl PgExecutor<'_>,
    cashier: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<RecentSale>> {
    sqlx::query_as(
        "select o.id as order_id, u.username as customer, o.total_amount as total, o.status,
                o.created_at,
                coalesce((select sum(r.amount) from returns r where r.order_id = o.id), 0)
                    as refunded
         from orders o join users u on u.id = o.user_id
         where o.served_by = $1
         order by o.created_at desc, o.id limit $2",
    )
    .bind(cashier)
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub async fn unpaid_of(ex: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from orders o
         where o.user_id = $1 and o.status = 'pending' and o.served_by is null",
    )
    .bind(user_id)
    .fetch_one(ex)
    .await
}
