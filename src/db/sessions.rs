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

pub async fn close(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("select bytemtaani_close_session($1)")
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
        "select username, is_staff, is_admin, is_active from bytemtaani_session_user($1, $2)",
    )
    .bind(session_id)
    .bind(user_id)
    .fetch_optional(ex)
    .await
}
