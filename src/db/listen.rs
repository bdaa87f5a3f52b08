//! PostgreSQL LISTEN: a dedicated connection that hears product and payment changes as they
//! commit (migrations 2 and 5 send them), and eTIMS invoices numbered (migration 37) and
//! answered (the sender, `db::etims`).

use futures::{Stream, StreamExt};
use sqlx::postgres::PgListener;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::domain::live::Change;

pub const PRODUCT_CHANNEL: &str = "product_changed";
pub const PAYMENT_CHANNEL: &str = "payment_changed";
pub const INVOICE_QUEUED_CHANNEL: &str = "etims_queued";
pub const INVOICE_ANSWERED_CHANNEL: &str = "etims_answered";

/// Changes as they commit. The listener reconnects by itself after a lost connection
/// (changes made meanwhile are not replayed); the stream yields an error for each failed
/// attempt so the caller can say the database is away.
pub async fn changes(
    pool: &PgPool,
) -> sqlx::Result<impl Stream<Item = sqlx::Result<Change>> + Unpin + use<>> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener
        .listen_all([
            PRODUCT_CHANNEL,
            PAYMENT_CHANNEL,
            INVOICE_QUEUED_CHANNEL,
            INVOICE_ANSWERED_CHANNEL,
        ])
        .await?;
    Ok(listener.into_stream().filter_map(|note| {
        futures::future::ready(match note {
            Ok(note) => {
                let id = note.payload().parse().ok();
                match note.channel() {
                    PRODUCT_CHANNEL => id.map(Change::Product).map(Ok),
                    PAYMENT_CHANNEL => id.map(Change::Payment).map(Ok),
                    INVOICE_QUEUED_CHANNEL => Some(Ok(Change::InvoiceQueued)),
                    INVOICE_ANSWERED_CHANNEL => id.map(Change::InvoiceAnswered).map(Ok),
                    _ => None,
                }
            }
            Err(err) => Some(Err(err)),
        })
    }))
}

/// Sends `ids` on `channel`, one notification each, delivered when the caller's transaction
/// commits (at once outside one).
pub async fn announce(ex: impl PgExecutor<'_>, channel: &str, ids: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query("select pg_notify($1, id::text) from unnest($2::uuid[]) id")
        .bind(channel)
        .bind(ids)
        .execute(ex)
        .await?;
    Ok(())
}
