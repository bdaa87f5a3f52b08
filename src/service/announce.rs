//! The stock a sale took, announced to every screen after the sale has committed and off
//! the sale's path: a sale's commit carries no notification (PostgreSQL flushes commits that
//! notify one at a time, migration 42), and the till does not wait for the announcement.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::db;
use crate::service::orders::Placed;

/// Sales whose products may wait to be announced. Past it a screen misses one live refresh
/// (it reads stock again when next opened) rather than the process holding more.
const WAITING: usize = 1024;

/// How long the first sale's products wait for others': a busy shop announces in one
/// statement what many sales took, and a screen still hears within a second.
const GATHER: Duration = Duration::from_millis(100);

/// One per process (the shop server's sessions share it).
#[derive(Clone)]
pub(crate) struct StockAnnouncer {
    /// The process's pool: a notification needs no terminal role.
    pool: PgPool,
    queue: Arc<OnceLock<mpsc::Sender<Vec<Uuid>>>>,
}

impl StockAnnouncer {
    pub fn new(pool: PgPool) -> Self {
        StockAnnouncer {
            pool,
            queue: Arc::default(),
        }
    }

    /// Hands over the products of an order that has committed, and returns at once.
    pub fn taken(&self, placed: &Placed) {
        let products = placed.items.iter().map(|item| item.product_id).collect();
        let queue = self.queue.get_or_init(|| self.start());
        if queue.try_send(products).is_err() {
            tracing::warn!(order = %placed.id, "stock taken not announced: too many waiting");
        }
    }

    fn start(&self) -> mpsc::Sender<Vec<Uuid>> {
        let (queue, mut waiting) = mpsc::channel::<Vec<Uuid>>(WAITING);
        let pool = self.pool.clone();
        tokio::spawn(async move {
            while let Some(mut products) = waiting.recv().await {
                tokio::time::sleep(GATHER).await;
                while let Ok(more) = waiting.try_recv() {
                    products.extend(more);
                }
                products.sort_unstable();
                products.dedup();
                let told = db::listen::announce(&pool, db::listen::PRODUCT_CHANNEL, &products);
                if let Err(err) = told.await {
                    tracing::warn!(%err, "stock taken not announced");
                }
            }
        });
        queue
    }
}
