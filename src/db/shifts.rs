//! Shifts at the till (migration 25): opened, cash moved and closed through the database's
//! own functions as the session's person; read back for the X and Z reports and the console.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::catalog::OPEN_PRICE;
use crate::domain::shift::{Shift, ShiftFigures};

const SHIFT_SELECT: &str = "select s.id, u.username as cashier, s.opening_float, s.opened_at,
        s.closed_at, s.expected_cash, s.counted_cash
    from shifts s join users u on u.id = s.cashier_id";

pub async fn open(ex: impl PgExecutor<'_>, session: Uuid, float: Money) -> sqlx::Result<Uuid> {
    sqlx::query_scalar("select bytemtaani_shift_open($1, $2)")
        .bind(session)
        .bind(float)
        .fetch_one(ex)
        .await
}

/// Cash into the drawer (`amount` above zero) or out of it (below), with the reason.
pub async fn move_cash(
    ex: impl PgExecutor<'_>,
    session: Uuid,
    amount: Decimal,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query("select bytemtaani_shift_cash($1, $2, $3)")
        .bind(session)
        .bind(amount)
        .bind(reason)
        .execute(ex)
        .await?;
    Ok(())
}

/// Closes the session's person's shift with the cash counted; returns the shift.
pub async fn close(ex: impl PgExecutor<'_>, session: Uuid, counted: Money) -> sqlx::Result<Uuid> {
    sqlx::query_scalar("select bytemtaani_shift_close($1, $2)")
        .bind(session)
        .bind(counted)
        .fetch_one(ex)
        .await
}

pub async fn open_of(ex: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Option<Shift>> {
    sqlx::query_as(&format!(
        "{SHIFT_SELECT} where s.cashier_id = $1 and s.closed_at is null"
    ))
    .bind(person)
    .fetch_optional(ex)
    .await
}

pub async fn by_id(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Shift>> {
    sqlx::query_as(&format!("{SHIFT_SELECT} where s.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await
}

/// Shifts opened in `from..to` (any when None), by cashiers whose name contains `cashier`,
/// newest first.
pub async fn list(
    ex: impl PgExecutor<'_>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    cashier: &str,
    limit: i64,
) -> sqlx::Result<Vec<Shift>> {
    sqlx::query_as(&format!(
        "{SHIFT_SELECT}
         where ($1::timestamptz is null or s.opened_at >= $1)
           and ($2::timestamptz is null or s.opened_at < $2)
           and u.username ilike '%' || $3 || '%' escape '\\'
         order by s.opened_at desc, s.id limit $4"
    ))
    .bind(from)
    .bind(to)
    .bind(super::escape_like(cashier))
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// A shift's figures as its report shows them.
pub async fn figures(conn: &mut PgConnection, shift: &Shift) -> sqlx::Result<ShiftFigures> {
    let taken = sqlx::query_as(
        "select method, sum(amount) from payments
         where shift_id = $1 and status = 'successful' group by method order by method",
    )
    .bind(shift.id)
    .fetch_all(&mut *conn)
    .await?;
    let refunds = sqlx::query_as(
        "select method, sum(amount) from returns where shift_id = $1 group by method order by method",
    )
    .bind(shift.id)
    .fetch_all(&mut *conn)
    .await?;
    // What came off the shift's lines, and what was sold at an open price.
    let (discounts, open_priced) = sqlx::query_as(
        "select coalesce(sum(i.discount), 0),
                coalesce(sum(i.price * i.quantity - i.discount)
                         filter (where i.product_id = $2), 0)
         from orders o join order_items i on i.order_id = o.id
         where o.shift_id = $1 and o.status <> 'cancelled'",
    )
    .bind(shift.id)
    .bind(OPEN_PRICE)
    .fetch_one(&mut *conn)
    .await?;
    let (awaiting, sales, returns, cash_in, cash_out, voids, expected_cash) = sqlx::query_as(
        "select
            coalesce((select sum(amount) from payments
                      where shift_id = $1 and status = 'pending' and transaction_id is not null), 0),
            (select count(*) from orders where shift_id = $1 and status <> 'cancelled'),
            (select count(*) from returns where shift_id = $1),
            coalesce((select sum(amount) from cash_movements where shift_id = $1 and amount > 0), 0),
            coalesce((select -sum(amount) from cash_movements where shift_id = $1 and amount < 0), 0),
            bytemtaani_shift_voids($1),
            coalesce($2, bytemtaani_expected_cash($1))",
    )
    .bind(shift.id)
    .bind(shift.expected_cash)
    .fetch_one(&mut *conn)
    .await?;
    Ok(ShiftFigures {
        taken,
        awaiting,
        sales,
        discounts,
        open_priced,
        refunds,
        returns,
        cash_in,
        cash_out,
        voids,
        expected_cash,
    })
}
