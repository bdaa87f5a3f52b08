//! Login throttling and the record of attempts.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// What the database made of one login attempt (`bytemtaani_log_in`, migrations 9 and 16).
/// It records the attempt itself and never says whether a wrong name exists.
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Too many failures: refused without looking at the password until then.
    Locked(DateTime<Utc>),
    /// Unknown username, wrong password, or a staff name at a kiosk.
    Wrong,
    /// The right password of a deactivated account.
    Inactive,
    /// The right password: who it is, and the new session when one was asked for.
    Right {
        session: Option<Uuid>,
        account: Account,
    },
}

/// Who logged in, as the login function answers it.
#[derive(Debug, PartialEq, Eq)]
pub struct Account {
    pub user_id: Uuid,
    pub username: String,
    pub is_staff: bool,
    pub is_admin: bool,
}

type Answer = (
    String,
    Option<DateTime<Utc>>,
    Option<Uuid>,
    Option<Uuid>,
    Option<String>,
    Option<bool>,
    Option<bool>,
);

/// Charges an attempt to `username` and checks `digest` (the Argon2 digest computed under
/// the stored setting), all inside the database, which also keeps the throttle, records the
/// attempt and opens the session when `open_session`. `customers_only` (a kiosk): a staff
/// name is answered Wrong before anything is charged or compared.
pub async fn attempt(
    ex: impl PgExecutor<'_>,
    username: &str,
    digest: &str,
    open_session: bool,
    customers_only: bool,
) -> sqlx::Result<Attempt> {
    let (outcome, locked_until, session, user_id, name, is_staff, is_admin): Answer =
        sqlx::query_as("select * from bytemtaani_log_in($1, $2, $3, $4)")
            .bind(username)
            .bind(digest)
            .bind(open_session)
            .bind(customers_only)
            .fetch_one(ex)
            .await?;
    match (outcome.as_str(), locked_until, user_id, name) {
        ("locked", Some(until), ..) => Ok(Attempt::Locked(until)),
        ("wrong", ..) => Ok(Attempt::Wrong),
        ("inactive", ..) => Ok(Attempt::Inactive),
        ("ok", _, Some(user_id), Some(username)) => Ok(Attempt::Right {
            session,
            account: Account {
                user_id,
                username,
                is_staff: is_staff.unwrap_or(false),
                is_admin: is_admin.unwrap_or(false),
            },
        }),
        _ => Err(sqlx::Error::Protocol(format!("login outcome {outcome}"))),
    }
}

/// Sets the shop's login policy (`bytemtaani migrate`, from the config's [login]).
pub async fn set_policy(
    ex: impl PgExecutor<'_>,
    max_failures: i32,
    lock_minutes: i32,
) -> sqlx::Result<()> {
    sqlx::query("update login_policy set max_failures = $1, lock_minutes = $2")
        .bind(max_failures)
        .bind(lock_minutes)
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

/// Clears the login throttle of `username` (the operator's unlock); false when it had none.
pub async fn unlock(ex: impl PgExecutor<'_>, username: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from login_throttle where username_key = lower(btrim($1))")
        .bind(username)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Usernames locked out now, with when their lock ends.
pub async fn locked(ex: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, DateTime<Utc>)>> {
    sqlx::query_as(
        "select username_key, locked_until from login_throttle where locked_until > now()",
    )
    .fetch_all(ex)
    .await
}
