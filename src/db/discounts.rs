//! Discount approvals and the till's limit (migration 30).

use rust_decimal::Decimal;
use sqlx::PgExecutor;
use uuid::Uuid;

/// Records an admin's approval of the discounts of sale `sale_key` at the cashier's
/// `session`; `admin_session` is the one the admin's password just opened, closed by this.
pub async fn approve(
    ex: impl PgExecutor<'_>,
    session: Uuid,
    sale_key: Uuid,
    admin_session: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar("select bytemtaani_approve_discount($1, $2, $3)")
        .bind(session)
        .bind(sale_key)
        .bind(admin_session)
        .fetch_one(ex)
        .await
}

/// The most a cashier may take off a line without an admin, in percent of its shelf value.
pub async fn limit(ex: impl PgExecutor<'_>) -> sqlx::Result<Decimal> {
    sqlx::query_scalar("select discount_limit_percent from till_policy")
        .fetch_one(ex)
        .await
}

/// Sets the cashiers' limit (`bytemtaani migrate`, from the config's [till]).
pub async fn set_limit(ex: impl PgExecutor<'_>, percent: Decimal) -> sqlx::Result<()> {
    sqlx::query("update till_policy set discount_limit_percent = $1")
        .bind(percent)
        .execute(ex)
        .await?;
    Ok(())
}
