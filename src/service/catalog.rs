//! Browsing: categories and products. The catalog is public (a kiosk shows it before anyone
//! logs in), so these calls need no session.

use futures::{Stream, StreamExt};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::live::Change;

use crate::db;
use crate::domain::catalog::{Category, Cursor, Page, Product, ProductQuery};
use crate::domain::values::Sku;
use crate::domain::{Error, Result};

#[derive(Clone)]
pub struct Catalog {
    pool: PgPool,
}

impl Catalog {
    pub fn new(pool: PgPool) -> Self {
        Catalog { pool }
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        Ok(db::categories::list(&self.pool).await?)
    }

    /// One page of products; `next` is set only when another page exists.
    pub async fn search(&self, query: &ProductQuery) -> Result<Page<Product>> {
        query.validate()?;
        // One row more than asked tells whether there is a next page.
        let probe = ProductQuery {
            limit: query.limit + 1,
            ..query.clone()
        };
        let mut items = db::products::search(&self.pool, &probe).await?;
        let next = if items.len() as i64 > query.limit {
            items.truncate(query.limit as usize);
            items.last().map(|last| Cursor::after(last, query.sort))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    pub async fn product(&self, id: Uuid) -> Result<Product> {
        db::products::by_id(&self.pool, id)
            .await?
            .ok_or_else(|| Error::NotFound("The product".into()))
    }

    pub async fn by_slug(&self, slug: &str) -> Result<Product> {
        db::products::by_slug(&self.pool, slug.trim())
            .await?
            .ok_or_else(|| Error::NotFound(format!("Product '{}'", slug.trim())))
    }

    /// Products and payments changing anywhere (a sale at another till, a restock, an
    /// M-Pesa payment confirmed), as they commit.
    pub async fn changes(&self) -> Result<impl Stream<Item = Result<Change>> + Unpin + use<>> {
        let stream = db::listen::changes(&self.pool).await?;
        Ok(stream.map(|change| change.map_err(Error::from)))
    }

    /// What a barcode scanner typed. Archived products are not sold.
    pub async fn by_sku(&self, raw: &str) -> Result<Product> {
        let sku = Sku::parse(raw)?;
        db::products::by_sku(&self.pool, sku.as_str())
            .await?
            .filter(|p| !p.is_archived)
            .ok_or_else(|| Error::NotFound(format!("SKU {sku}")))
    }
}
