//! The only place with SQL. Functions take an executor (the pool, a connection or an open
//! transaction), so the service layer decides what runs in one transaction.

pub mod alerts;
pub mod audit;
pub mod cart;
pub mod categories;
mod error;
pub mod held;
pub mod listen;
pub mod login;
pub mod orders;
pub mod payments;
pub mod products;
pub mod reports;
pub mod seed;
pub mod sessions;
pub mod terminals;
pub mod users;

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

pub use error::is_unique_violation;

/// Makes `%`, `_` and `\` match themselves inside a LIKE pattern.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The database role a terminal works as (migration 6 makes them), and who is logged in
/// there: row policies let a kiosk see only that customer's cart, orders and payments.
#[derive(Clone)]
pub struct Access {
    pub role: TerminalRole,
    pub viewer: Viewer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalRole {
    Kiosk,
    Till,
    Admin,
}

impl TerminalRole {
    /// `database.role` in the config: "kiosk", "till" or "admin".
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "kiosk" => Some(TerminalRole::Kiosk),
            "till" => Some(TerminalRole::Till),
            "admin" => Some(TerminalRole::Admin),
            _ => None,
        }
    }

    pub fn role_name(self) -> &'static str {
        match self {
            TerminalRole::Kiosk => "bytemtaani_kiosk",
            TerminalRole::Till => "bytemtaani_till",
            TerminalRole::Admin => "bytemtaani_admin",
        }
    }
}

/// The session logged in at this terminal, shared by the login service (which sets it) and
/// the pool (which tells each connection it hands out).
#[derive(Debug, Clone, Default)]
pub struct Viewer(Arc<RwLock<Option<Uuid>>>);

impl Viewer {
    pub fn set(&self, session: Option<Uuid>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = session;
    }

    pub fn get(&self) -> Option<Uuid> {
        *self.0.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Opens the pool. A handful of connections fits a 2-core server best (see
/// `shared/docs/performance.md`); requests queue in the app instead of in PostgreSQL.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    pool_options(max_connections, None)
        .connect_with(options)
        .await
}

/// A pool that connects when first used: the terminal app starts (and says the database is
/// offline) even while PostgreSQL is down, and carries on by itself once it is back.
pub fn connect_lazy(
    url: &str,
    max_connections: u32,
    access: Option<Access>,
) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    Ok(pool_options(max_connections, access).connect_lazy_with(options))
}

/// A pool whose connections work as a terminal role.
pub async fn connect_as(
    options: PgConnectOptions,
    max_connections: u32,
    access: Access,
) -> Result<PgPool, sqlx::Error> {
    pool_options(max_connections, Some(access))
        .connect_with(options)
        .await
}

fn pool_options(max_connections: u32, access: Option<Access>) -> PgPoolOptions {
    let options = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5));
    let Some(Access { role, viewer }) = access else {
        return options;
    };
    let on_connect = viewer.clone();
    options
        .after_connect(move |conn, _| {
            let session = on_connect.get();
            Box::pin(work_as(conn, role, session))
        })
        .before_acquire(move |conn, _| {
            let session = viewer.get();
            Box::pin(async move { tell_viewer(conn, session).await.map(|()| true) })
        })
}

async fn work_as(
    conn: &mut PgConnection,
    role: TerminalRole,
    session: Option<Uuid>,
) -> sqlx::Result<()> {
    // A fixed identifier from the enum, never text from outside.
    let sql = format!("set role {}", role.role_name());
    sqlx::query(&sql).execute(&mut *conn).await?;
    tell_viewer(conn, session).await
}

async fn tell_viewer(conn: &mut PgConnection, session: Option<Uuid>) -> sqlx::Result<()> {
    let session = session.map(|id| id.to_string()).unwrap_or_default();
    sqlx::query("select set_config('bytemtaani.session', $1, false)")
        .bind(session)
        .execute(conn)
        .await?;
    Ok(())
}

/// Creates the database named in `url` when it does not exist yet.
pub async fn create_database_if_missing(url: &str) -> Result<bool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let name = options
        .get_database()
        .ok_or_else(|| sqlx::Error::Configuration("the database URL names no database".into()))?
        .to_owned();
    let mut admin = PgConnection::connect_with(&options.clone().database("postgres")).await?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        // An identifier cannot be bound; quote it the way PostgreSQL does.
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        sqlx::raw_sql(&format!("create database {quoted}"))
            .execute(&mut admin)
            .await?;
    }
    admin.close().await?;
    Ok(!exists)
}

/// The database's time: every cut-off and "today" is the database's, never a terminal's
/// clock (which may be wrong).
pub async fn now(ex: impl sqlx::PgExecutor<'_>) -> sqlx::Result<chrono::DateTime<chrono::Utc>> {
    sqlx::query_scalar("select now()").fetch_one(ex).await
}
