use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::user::UserAccount;

const ACCOUNT_COLUMNS: &str =
    "id, username, email, phone, is_staff, is_admin, is_active, date_joined";

/// What login needs to know of an account; the password is checked by the database.
#[derive(Debug, sqlx::FromRow)]
pub struct Credentials {
    pub id: Uuid,
    pub username: String,
    pub is_staff: bool,
    pub is_admin: bool,
    pub is_active: bool,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub phone: Option<&'a str>,
    pub password_hash: &'a str,
    pub is_staff: bool,
    pub is_admin: bool,
}

pub async fn insert(ex: impl PgExecutor<'_>, user: &NewUser<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into users (username, email, phone, password_hash, is_staff, is_admin)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user.username)
    .bind(user.email)
    .bind(user.phone)
    .bind(user.password_hash)
    .bind(user.is_staff)
    .bind(user.is_admin)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn credentials(
    ex: impl PgExecutor<'_>,
    username: &str,
) -> sqlx::Result<Option<Credentials>> {
    sqlx::query_as("select id, username, is_staff, is_admin, is_active from bytemtaani_account($1)")
        .bind(username)
        .fetch_optional(ex)
        .await
}

/// The stored hash's algorithm, parameters and salt, without its digest.
pub async fn password_setting(
    ex: impl PgExecutor<'_>,
    username: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select bytemtaani_password_setting($1)")
        .bind(username)
        .fetch_one(ex)
        .await
}

pub async fn set_password_hash(ex: impl PgExecutor<'_>, id: Uuid, hash: &str) -> sqlx::Result<()> {
    sqlx::query("update users set password_hash = $2 where id = $1")
        .bind(id)
        .bind(hash)
        .execute(ex)
        .await?;
    Ok(())
}

/// The id of the account named `username` (any case).
pub async fn id_of(ex: impl PgExecutor<'_>, username: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("select id from users where lower(username) = lower($1)")
        .bind(username)
        .fetch_optional(ex)
        .await
}

pub async fn by_id(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<UserAccount>> {
    sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from users where id = $1"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await
}

/// An account with this phone (stored as 2547…), the oldest if several.
pub async fn by_phone(ex: impl PgExecutor<'_>, phone: &str) -> sqlx::Result<Option<UserAccount>> {
    sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from users where phone = $1 order by date_joined limit 1"
    ))
    .bind(phone)
    .fetch_optional(ex)
    .await
}

/// Locks the account for the rest of the transaction (role and activity changes).
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<UserAccount>> {
    sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from users where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Counts active admins, locking their rows so that two admins demoting each other at
/// once cannot both succeed and leave the shop with none.
pub async fn lock_active_admins(conn: &mut PgConnection) -> sqlx::Result<i64> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select id from users where is_admin and is_active order by id for update",
    )
    .fetch_all(conn)
    .await?;
    Ok(ids.len() as i64)
}

pub async fn set_roles(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    is_staff: bool,
    is_admin: bool,
) -> sqlx::Result<UserAccount> {
    sqlx::query_as(&format!(
        "update users set is_staff = $2, is_admin = $3 where id = $1 returning {ACCOUNT_COLUMNS}"
    ))
    .bind(id)
    .bind(is_staff)
    .bind(is_admin)
    .fetch_one(ex)
    .await
}

pub async fn set_active(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    is_active: bool,
) -> sqlx::Result<UserAccount> {
    sqlx::query_as(&format!(
        "update users set is_active = $2 where id = $1 returning {ACCOUNT_COLUMNS}"
    ))
    .bind(id)
    .bind(is_active)
    .fetch_one(ex)
    .await
}

/// Users whose username, email or phone contains `text` (all when empty), by username.
pub async fn search(
    ex: impl PgExecutor<'_>,
    text: &str,
    limit: i64,
) -> sqlx::Result<Vec<UserAccount>> {
    sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from users
         where $1 = '' or username ilike '%' || $1 || '%' or email ilike '%' || $1 || '%' or phone like '%' || $1 || '%'
         order by username limit $2"
    ))
    .bind(super::escape_like(text))
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// Serialises one buyer's checkouts (a double submit waits for the first to finish).
/// `no key update` leaves foreign-key checks against the row free.
pub async fn lock_for_checkout(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("select 1 from users where id = $1 for no key update")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(())
}

/// Usernames of the demo's accounts that can still log in.
pub async fn active_demo_accounts(ex: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("select username from users where is_demo and is_active order by username")
        .fetch_all(ex)
        .await
}
