use sqlx::PgExecutor;
use uuid::Uuid;

/// The live state of a session's user, read on every service call.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionUser {
    pub username: String,
    pub is_staff: bool,
    pub is_admin: bool,
    pub is_active: bool,
}

pub async fn open(ex: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Uuid> {
    sqlx::query_scalar("insert into user_sessions (user_id) values ($1) returning id")
        .bind(user_id)
        .fetch_one(ex)
        .await
}

pub async fn close(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update user_sessions set ended_at = now() where id = $1 and ended_at is null")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Ends every open session of a user (password reset, deactivation).
pub async fn close_all(ex: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "update user_sessions set ended_at = now() where user_id = $1 and ended_at is null",
    )
    .bind(user_id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

/// The user behind an open session, or None when the session is unknown, ended or not theirs.
pub async fn user(
    ex: impl PgExecutor<'_>,
    session_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<SessionUser>> {
    sqlx::query_as(
        "select u.username, u.is_staff, u.is_admin, u.is_active
         from user_sessions s join users u on u.id = s.user_id
         where s.id = $1 and s.user_id = $2 and s.ended_at is null",
    )
    .bind(session_id)
    .bind(user_id)
    .fetch_optional(ex)
    .await
}
