use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::discount::Discount;
use crate::domain::held::{HeldLine, HeldSale};

type Row = (
    Uuid,
    String,
    Option<Uuid>,
    Option<String>,
    Json<Vec<HeldLine>>,
    Json<Vec<Discount>>,
    chrono::DateTime<chrono::Utc>,
);

fn held(row: Row) -> HeldSale {
    let (key, label, customer_id, customer_name, lines, discounts, held_at) = row;
    HeldSale {
        key,
        label,
        customer: customer_id.zip(customer_name),
        lines: lines.0,
        discounts: discounts.0,
        held_at,
    }
}

/// The cashier's held sales, oldest first.
pub async fn of(ex: impl PgExecutor<'_>, cashier_id: Uuid) -> sqlx::Result<Vec<HeldSale>> {
    let rows: Vec<Row> = sqlx::query_as(
        "select sale_key, label, customer_id, customer_name, lines, discounts, held_at
         from held_sales
         where cashier_id = $1 order by held_at, sale_key",
    )
    .bind(cashier_id)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(held).collect())
}

/// Keeps a held sale (holding the same sale again keeps it once).
pub async fn hold(conn: &mut PgConnection, cashier_id: Uuid, sale: &HeldSale) -> sqlx::Result<()> {
    sqlx::query(
        "insert into held_sales (sale_key, cashier_id, label, customer_id, customer_name, lines,
                                 discounts)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (sale_key) do nothing",
    )
    .bind(sale.key)
    .bind(cashier_id)
    .bind(&sale.label)
    .bind(sale.customer.as_ref().map(|(id, _)| *id))
    .bind(sale.customer.as_ref().map(|(_, name)| name.as_str()))
    .bind(Json(&sale.lines))
    .bind(Json(&sale.discounts))
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes a held sale back out; false when the cashier has none with that key.
pub async fn recall(conn: &mut PgConnection, cashier_id: Uuid, key: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from held_sales where sale_key = $1 and cashier_id = $2")
        .bind(key)
        .bind(cashier_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
