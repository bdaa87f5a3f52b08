use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::terminal::{Terminal, TerminalKind};

type Row = (
    Uuid,
    String,
    String,
    String,
    String,
    chrono::DateTime<chrono::Utc>,
    Option<chrono::DateTime<chrono::Utc>>,
);

const COLUMNS: &str = "t.id, t.name, t.kind, t.fingerprint, u.username, t.added_at, t.revoked_at
     from terminals t join users u on u.id = t.added_by";

fn terminal(row: Row) -> Terminal {
    let (id, name, kind, fingerprint, added_by, added_at, revoked_at) = row;
    Terminal {
        id,
        name,
        // The table's check allows only the three kinds.
        kind: TerminalKind::parse(&kind).unwrap_or(TerminalKind::Kiosk),
        fingerprint,
        added_by,
        added_at,
        revoked_at,
    }
}

pub struct NewTerminal<'a> {
    pub name: &'a str,
    pub kind: TerminalKind,
    pub public_key: &'a str,
    pub fingerprint: &'a str,
    pub added_by: Uuid,
}

pub async fn add(conn: &mut PgConnection, new: &NewTerminal<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "insert into terminals (name, kind, public_key, fingerprint, added_by)
         values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(new.name)
    .bind(new.kind.as_str())
    .bind(new.public_key)
    .bind(new.fingerprint)
    .bind(new.added_by)
    .fetch_one(conn)
    .await
}

/// Every terminal, those in use first, then by name.
pub async fn list(ex: impl PgExecutor<'_>) -> sqlx::Result<Vec<Terminal>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} order by t.revoked_at is not null, t.name, t.added_at desc"
    ))
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(terminal).collect())
}

/// The terminal in use with this public key (algorithm and base64, no comment).
pub async fn in_use_by_key(
    ex: impl PgExecutor<'_>,
    public_key: &str,
) -> sqlx::Result<Option<Terminal>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} where t.public_key = $1 and t.revoked_at is null"
    ))
    .bind(public_key)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(terminal))
}

/// The ids of the terminals in use.
pub async fn in_use(ex: impl PgExecutor<'_>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("select id from terminals where revoked_at is null")
        .fetch_all(ex)
        .await
}

/// Revokes the terminal in use under this name; its id, or None when there is none.
pub async fn revoke(
    conn: &mut PgConnection,
    name: &str,
    revoked_by: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "update terminals set revoked_at = now(), revoked_by = $2
         where name = $1 and revoked_at is null returning id",
    )
    .bind(name)
    .bind(revoked_by)
    .fetch_optional(conn)
    .await
}
