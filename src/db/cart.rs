use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::cart::CartLine;

pub async fn lines(ex: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Vec<CartLine>> {
    sqlx::query_as(
        "select c.product_id, p.name, p.sku, c.quantity, c.price_seen, p.price, p.stock_quantity, p.is_archived
         from cart_items c join products p on p.id = c.product_id
         where c.user_id = $1 order by c.added_at, c.product_id",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await
}

/// Adds units of a product: a new line at the price the customer sees now; more units on a
/// line keep its agreed price, so a changed price stays flagged until the customer accepts
/// it. Returns the new quantity, or None when the product does not exist or is archived.
pub async fn add(
    ex: impl PgExecutor<'_>,
    user_id: Uuid,
    product_id: Uuid,
    quantity: i32,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar(
        "insert into cart_items (user_id, product_id, quantity, price_seen)
         select $1, p.id, $3, p.price from products p where p.id = $2 and not p.is_archived
         on conflict (user_id, product_id) do update
             set quantity = cart_items.quantity + excluded.quantity
         returning quantity",
    )
    .bind(user_id)
    .bind(product_id)
    .bind(quantity)
    .fetch_optional(ex)
    .await
}

/// Sets a line's quantity; returns the quantity it had, or None when there is no such line.
pub async fn set_quantity(
    ex: impl PgExecutor<'_>,
    user_id: Uuid,
    product_id: Uuid,
    quantity: i32,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar(
        "update cart_items c set quantity = $3
         from (select quantity from cart_items where user_id = $1 and product_id = $2) old
         where c.user_id = $1 and c.product_id = $2
         returning old.quantity",
    )
    .bind(user_id)
    .bind(product_id)
    .bind(quantity)
    .fetch_optional(ex)
    .await
}

pub async fn remove(
    ex: impl PgExecutor<'_>,
    user_id: Uuid,
    product_id: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from cart_items where user_id = $1 and product_id = $2")
        .bind(user_id)
        .bind(product_id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn clear(ex: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("delete from cart_items where user_id = $1")
        .bind(user_id)
        .execute(ex)
        .await?;
    Ok(())
}

/// The customer has seen the new prices: they become the agreed ones.
pub async fn accept_prices(ex: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "update cart_items c set price_seen = p.price from products p
         where c.user_id = $1 and p.id = c.product_id and c.price_seen <> p.price",
    )
    .bind(user_id)
    .execute(ex)
    .await?;
    Ok(())
}
