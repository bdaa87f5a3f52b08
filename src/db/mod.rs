//! The only place with SQL. Functions take an executor (the pool, a connection or an open
//! transaction), so the service layer decides what runs in one transaction.

pub mod audit;
pub mod cart;
pub mod categories;
mod error;
pub mod listen;
pub mod login;
pub mod orders;
pub mod payments;
pub mod products;
pub mod reports;
pub mod seed;
pub mod sessions;
pub mod users;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

pub use error::is_unique_violation;

/// Makes `%`, `_` and `\` match themselves inside a LIKE pattern.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
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
