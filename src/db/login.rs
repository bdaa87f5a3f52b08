//! Login throttling and the record of attempts.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub struct Charge {
    /// Attempts counted in the current window, this one included.
    pub failures: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// Counts an attempt against `key` before the password is checked. A window that has
/// expired (lock over, or no attempt for `window_minutes`) starts again from one.
pub async fn charge(
    ex: impl PgExecutor<'_>,
    key: &str,
    window_minutes: i32,
) -> sqlx::Result<Charge> {
    sqlx::query_as(
        "insert into login_throttle as t (username_key, failures) values ($1, 1)
         on conflict (username_key) do update set
             failures = case when t.locked_until <= now()
                               or (t.locked_until is null and t.last_attempt_at < now() - make_interval(mins => $2))
                             then 1 else t.failures + 1 end,
             locked_until = case when t.locked_until <= now() then null else t.locked_until end,
             last_attempt_at = now()
         returning failures, locked_until",
    )
    .bind(key)
    .bind(window_minutes)
    .fetch_one(ex)
    .await
}

pub async fn lock(ex: impl PgExecutor<'_>, key: &str, minutes: i32) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar(
        "update login_throttle set locked_until = now() + make_interval(mins => $2)
         where username_key = $1 returning locked_until",
    )
    .bind(key)
    .bind(minutes)
    .fetch_one(ex)
    .await
}

pub async fn clear(ex: impl PgExecutor<'_>, key: &str) -> sqlx::Result<()> {
    sqlx::query("delete from login_throttle where username_key = $1")
        .bind(key)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn record(
    ex: impl PgExecutor<'_>,
    username: &str,
    user_id: Option<Uuid>,
    outcome: &str,
) -> sqlx::Result<()> {
    sqlx::query("insert into login_attempts (username, user_id, outcome) values ($1, $2, $3)")
        .bind(username)
        .bind(user_id)
        .bind(outcome)
        .execute(ex)
        .await?;
    Ok(())
}

/// How many attempts with `outcome` were recorded for `username` (tests and reports).
pub async fn count(ex: impl PgExecutor<'_>, username: &str, outcome: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from login_attempts where lower(username) = lower($1) and outcome = $2",
    )
    .bind(username)
    .bind(outcome)
    .fetch_one(ex)
    .await
}
