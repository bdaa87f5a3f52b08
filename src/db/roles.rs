//! What the database login the app runs with may do with the terminal roles.

use sqlx::PgPool;

/// Whether this login may become every terminal role (`set local role`), as the shop server
/// does for its sessions.
pub async fn can_become_terminals(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select bool_and(pg_has_role(current_user, r, 'MEMBER'))
         from unnest(array['bytemtaani_kiosk', 'bytemtaani_till', 'bytemtaani_admin']) r",
    )
    .fetch_one(pool)
    .await
}

/// Whether this login holds a terminal role's rights without becoming it (a member with
/// INHERIT): then whoever has its password works as the role with none of the checks the
/// database makes of the role itself (the audit log's actor, stock only with a session,
/// amounts from the shelf), so a terminal's login must be NOINHERIT.
pub async fn inherits_a_terminal_role(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select r.rolinherit and not r.rolsuper
                and (pg_has_role(r.oid, 'bytemtaani_kiosk', 'MEMBER')
                     or pg_has_role(r.oid, 'bytemtaani_till', 'MEMBER')
                     or pg_has_role(r.oid, 'bytemtaani_admin', 'MEMBER'))
         from pg_roles r where r.rolname = session_user",
    )
    .fetch_one(pool)
    .await
}
