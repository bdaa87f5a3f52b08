use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::audit::AuditEntry;

/// An audit row written by the statement of the change it describes (one round trip for
/// both, on the busiest paths).
pub struct NewEntry<'a> {
    pub actor_id: Uuid,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<Uuid>,
    pub details: serde_json::Value,
}

/// Writes one audit row; call it inside the transaction of the change it describes.
pub async fn record(
    ex: impl PgExecutor<'_>,
    actor_id: Uuid,
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    details: serde_json::Value,
) -> sqlx::Result<()> {
    insert(
        ex,
        (Some(actor_id), None),
        action,
        entity,
        entity_id,
        details,
    )
    .await
}

/// Writes `entry` on its own (see [`NewEntry`]).
pub async fn write(ex: impl PgExecutor<'_>, entry: NewEntry<'_>) -> sqlx::Result<()> {
    let NewEntry {
        actor_id,
        action,
        entity,
        entity_id,
        details,
    } = entry;
    record(ex, actor_id, action, entity, entity_id, details).await
}

/// A change the operator made at the server's command line (no app login acts).
pub async fn record_by_operator(
    ex: impl PgExecutor<'_>,
    operator: &str,
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    details: serde_json::Value,
) -> sqlx::Result<()> {
    insert(
        ex,
        (None, Some(operator)),
        action,
        entity,
        entity_id,
        details,
    )
    .await
}

/// A row naming an account or the operator (`who`), never both (migration 32).
async fn insert(
    ex: impl PgExecutor<'_>,
    who: (Option<Uuid>, Option<&str>),
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    details: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into audit_log (actor_id, operator, action, entity, entity_id, details)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(who.0)
    .bind(who.1)
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(details)
    .execute(ex)
    .await?;
    Ok(())
}

/// Newest first; `text`, when not empty, matches the start of an action ("stock" finds
/// "stock.adjust") or the username of who did it.
pub async fn list(
    ex: impl PgExecutor<'_>,
    text: &str,
    limit: i64,
) -> sqlx::Result<Vec<AuditEntry>> {
    sqlx::query_as(
        "select a.id, coalesce(u.username, 'operator ' || a.operator) as actor_username,
                a.action, a.entity, a.entity_id,
                coalesce(p.name, su.username) as subject, a.details, a.occurred_at
         from audit_log a left join users u on u.id = a.actor_id
         left join products p on a.entity = 'product' and p.id = a.entity_id
         left join users su on a.entity = 'user' and su.id = a.entity_id
         where $1 = '' or a.action like $1 || '%'
            or lower(coalesce(u.username, a.operator)) = lower($1)
         order by a.occurred_at desc, a.id desc limit $2",
    )
    .bind(super::escape_like(text))
    .bind(limit)
    .fetch_all(ex)
    .await
}
