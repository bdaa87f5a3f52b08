//! PostgreSQL LISTEN: a dedicated connection that hears product changes as they commit.

use futures::{Stream, StreamExt};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use uuid::Uuid;

pub const PRODUCT_CHANNEL: &str = "product_changed";

/// Ids of products whose stock, price or availability changed. The listener reconnects by
/// itself after a lost connection (changes made meanwhile are not replayed); the stream
/// yields an error for each failed attempt so the caller can say the database is away.
pub async fn product_changes(
    pool: &PgPool,
) -> sqlx::Result<impl Stream<Item = sqlx::Result<Uuid>> + Unpin + use<>> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(PRODUCT_CHANNEL).await?;
    Ok(listener.into_stream().filter_map(|note| {
        futures::future::ready(match note {
            Ok(note) => note.payload().parse::<Uuid>().ok().map(Ok),
            Err(err) => Some(Err(err)),
        })
    }))
}
