//! Browsing: categories and products. The catalog is public (a kiosk shows it before anyone
//! logs in), so these calls need no session.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::sync::{Mutex, broadcast};
use uuid::Uuid;

use crate::domain::live::Change;

use crate::db::{self, Db};
use crate::domain::catalog::{Category, Cursor, Page, Product, ProductQuery};
use crate::domain::values::Sku;
use crate::domain::{Error, Result};

#[derive(Clone)]
pub struct Catalog {
    db: Db,
    /// One LISTEN connection for every screen this process runs, while any listens.
    hub: Arc<Mutex<Option<broadcast::Sender<Change>>>>,
}

/// Changes a slow screen may fall behind by before it misses some (each is only a hint to
/// reload what it shows).
const CHANGE_BACKLOG: usize = 256;

impl Catalog {
    pub fn new(db: Db) -> Self {
        Catalog {
            db,
            hub: Arc::default(),
        }
    }

    /// The same catalog (and its one listener) read through `db`.
    pub fn working_through(&self, db: Db) -> Catalog {
        Catalog {
            db,
            hub: self.hub.clone(),
        }
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        Ok(db::categories::list(&mut *self.db.read().await?).await?)
    }

    /// One page of products; `next` is set only when another page exists.
    pub async fn search(&self, query: &ProductQuery) -> Result<Page<Product>> {
        query.validate()?;
        // One row more than asked tells whether there is a next page.
        let probe = ProductQuery {
            limit: query.limit + 1,
            ..query.clone()
        };
        let mut items = db::products::search(&mut *self.db.read().await?, &probe).await?;
        let next = if items.len() as i64 > query.limit {
            items.truncate(query.limit as usize);
            items.last().map(|last| Cursor::after(last, query.sort))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    pub async fn product(&self, id: Uuid) -> Result<Product> {
        db::products::by_id(&mut *self.db.read().await?, id)
            .await?
            .ok_or_else(|| Error::NotFound("The product".into()))
    }

    pub async fn by_slug(&self, slug: &str) -> Result<Product> {
        db::products::by_slug(&mut *self.db.read().await?, slug.trim())
            .await?
            .ok_or_else(|| Error::NotFound(format!("Product '{}'", slug.trim())))
    }

    /// Products and payments changing anywhere (a sale at another till, a restock, an
    /// M-Pesa payment confirmed), as they commit. Every subscriber of this process shares one
    /// listening connection, opened by the first and closed after the last has gone.
    pub async fn changes(&self) -> Result<impl Stream<Item = Change> + Unpin + use<>> {
        let mut hub = self.hub.lock().await;
        let receiver = match hub.as_ref().filter(|sender| sender.receiver_count() > 0) {
            Some(sender) => sender.subscribe(),
            None => {
                let heard = db::listen::changes(self.db.pool()).await?;
                let (sender, receiver) = broadcast::channel(CHANGE_BACKLOG);
                tokio::spawn(pass_on(heard, sender.clone()));
                *hub = Some(sender);
                receiver
            }
        };
        Ok(Box::pin(futures::stream::unfold(
            receiver,
            |mut receiver| async move {
                loop {
                    match receiver.recv().await {
                        Ok(change) => return Some((change, receiver)),
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::debug!(missed, "a screen fell behind on live changes");
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        )))
    }

    /// What a barcode scanner typed. Archived products are not sold.
    pub async fn by_sku(&self, raw: &str) -> Result<Product> {
        let sku = Sku::parse(raw)?;
        db::products::by_sku(&mut *self.db.read().await?, sku.as_str())
            .await?
            .filter(|p| !p.is_archived)
            .ok_or_else(|| Error::NotFound(format!("SKU {sku}")))
    }
}

/// Passes what the one listener hears to every subscriber, until none is left. The listener
/// reconnects by itself after a lost connection (what changed meanwhile is not replayed).
async fn pass_on(
    mut heard: impl Stream<Item = sqlx::Result<Change>> + Unpin,
    sender: broadcast::Sender<Change>,
) {
    while let Some(change) = heard.next().await {
        match change {
            Ok(change) if sender.send(change).is_err() => return,
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "live changes: listener lost its connection"),
        }
    }
}
