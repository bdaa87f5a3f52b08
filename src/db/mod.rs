//! The only place with SQL. Functions take an executor (the pool, a connection or an open
//! transaction), so the service layer decides what runs in one transaction.
//!
//! Order lines: a query reading one order's lines fetches each line's product with
//! `cross join lateral (select … from products where id = i.product_id limit 1)`, a lookup
//! by key whatever the planner believes. Without statistics (autovacuum off, or not yet
//! run) `order_items` looks large, and a plain join was planned as a hash join over the whole
//! catalog: 23 ms a receipt at 100,000 products (BENCHMARKS.md, "With eTIMS on").

pub mod alerts;
pub mod audit;
pub mod cart;
pub mod categories;
pub mod discounts;
mod error;
pub mod etims;
pub mod etims_items;
pub mod held;
pub mod listen;
pub mod login;
pub mod orders;
pub mod payments;
pub mod products;
pub mod reports;
pub mod returns;
pub mod roles;
pub mod seed;
pub mod sessions;
pub mod shifts;
pub mod terminals;
pub mod till_payments;
pub mod users;

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::domain::terminal::TerminalKind;

pub use error::is_unique_violation;

/// Makes `%`, `_` and `\` match themselves inside a LIKE pattern.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The database role a terminal works as (migration 6 makes them).
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

/// A terminal served over SSH works as the role of its kind.
impl From<TerminalKind> for TerminalRole {
    fn from(kind: TerminalKind) -> TerminalRole {
        match kind {
            TerminalKind::Kiosk => TerminalRole::Kiosk,
            TerminalKind::Till => TerminalRole::Till,
            TerminalKind::Admin => TerminalRole::Admin,
        }
    }
}

/// The session logged in at one terminal, set by the login service and told to the
/// database with every transaction of that terminal.
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

/// The pool, and who works through it: with a terminal role, every transaction first
/// becomes that role and names the terminal's logged-in session (`set local`), so any
/// number of terminals share the pool's connections safely (and PgBouncer's transaction
/// pooling works); without one, the login's own rights.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    role: Option<TerminalRole>,
    viewer: Viewer,
}

impl From<PgPool> for Db {
    fn from(pool: PgPool) -> Db {
        Db {
            pool,
            role: None,
            viewer: Viewer::default(),
        }
    }
}

/// A connection to read through: the pool's own, or a transaction working as a terminal
/// (rolled back when dropped: it only read).
pub enum Conn {
    Pool(PoolConnection<Postgres>),
    Terminal(Transaction<'static, Postgres>),
}

impl std::ops::Deref for Conn {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        match self {
            Conn::Pool(conn) => conn,
            Conn::Terminal(tx) => tx,
        }
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            Conn::Pool(conn) => conn,
            Conn::Terminal(tx) => tx,
        }
    }
}

impl Db {
    /// The same pool working as a terminal of `role`, with a logged-in session of its own.
    pub fn working_as(&self, role: TerminalRole) -> Db {
        Db {
            pool: self.pool.clone(),
            role: Some(role),
            viewer: Viewer::default(),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn role(&self) -> Option<TerminalRole> {
        self.role
    }

    /// Who is logged in through this handle.
    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// A transaction, working as the terminal when there is one (in the same round trip
    /// as its BEGIN).
    pub async fn begin(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        let Some(role) = self.role else {
            return self.pool.begin().await;
        };
        // Both values are ours: a fixed role name and a UUID's own text, never input. Two SET
        // commands, not a SELECT of set_config: a SET is parsed only, never planned.
        let session = self
            .viewer
            .get()
            .map(|id| id.to_string())
            .unwrap_or_default();
        self.pool
            .begin_with(format!(
                "begin; set local role {}; set local bytemtaani.session = '{session}'",
                role.role_name()
            ))
            .await
    }

    /// Runs `work` and keeps what it wrote: in a transaction working as the terminal when
    /// there is one, else straight on a pooled connection.
    pub async fn write<T>(
        &self,
        work: impl AsyncFnOnce(&mut PgConnection) -> sqlx::Result<T>,
    ) -> sqlx::Result<T> {
        if self.role.is_none() {
            return work(&mut *self.pool.acquire().await?).await;
        }
        let mut tx = self.begin().await?;
        let done = work(&mut tx).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// A connection to read through (see [`Conn`]); what is written through it under a
    /// terminal role is rolled back: write with [`Db::write`] or [`Db::begin`].
    pub async fn read(&self) -> sqlx::Result<Conn> {
        match self.role {
            None => Ok(Conn::Pool(self.pool.acquire().await?)),
            Some(_) => Ok(Conn::Terminal(self.begin().await?)),
        }
    }
}

/// Opens the pool. A handful of connections fits a 2-core server best (see
/// `shared/docs/performance.md`); requests queue in the app instead of in PostgreSQL.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    pool_options(max_connections).connect_with(options).await
}

/// A pool that connects when first used: the terminal app starts (and says the database is
/// offline) even while PostgreSQL is down, and carries on by itself once it is back.
pub fn connect_lazy(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    Ok(pool_options(max_connections).connect_lazy_with(options))
}

fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
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
