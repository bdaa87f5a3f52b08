//! What admins do to the catalog: products, prices, stock and categories. Every change is
//! audited in the same transaction that makes it.

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::etims_items::KnownClass;
use crate::db::{self, Db};
use crate::domain::catalog::{
    Category, MAX_STOCK, PriceChange, Product, ProductDraft, ProductForm, ProductQuery, StockReason,
};
use crate::domain::user::{Actor, Role};
use crate::domain::values::{Slug, limits, parse_name, parse_text};
use crate::domain::{Error, Result};
use crate::service::access::authorize;

#[derive(Clone)]
pub struct AdminCatalog {
    db: Db,
}

fn no_product() -> Error {
    Error::NotFound("The product".into())
}

fn no_category() -> Error {
    Error::NotFound("The category".into())
}

/// Once the shop's server has fetched KRA's item classes (eTIMS is on), a product's class
/// must be one of them that KRA still uses: KRA refuses to register it otherwise.
async fn check_item_class(c: &mut PgConnection, code: &str) -> Result<()> {
    let why = match db::etims_items::class(c, code).await? {
        KnownClass::NoList | KnownClass::Listed { in_use: true, .. } => return Ok(()),
        KnownClass::Listed { name, .. } => format!("KRA no longer uses {code} ({name})"),
        KnownClass::Unknown if code.is_empty() => {
            "KRA's code is needed: eTIMS registers each product with it".into()
        }
        KnownClass::Unknown => format!("{code} is not one of KRA's item classes"),
    };
    Err(Error::invalid("Item class", why))
}

impl AdminCatalog {
    pub fn new(db: Db) -> Self {
        AdminCatalog { db }
    }

    pub async fn create_product(
        &self,
        actor: &Actor,
        form: &ProductForm,
        initial_stock: i32,
    ) -> Result<Product> {
        let draft = form.validate()?;
        if !(0..=MAX_STOCK).contains(&initial_stock) {
            return Err(Error::invalid(
                "Stock",
                format!("must be 0 to {MAX_STOCK} units"),
            ));
        }
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        check_item_class(&mut tx, &draft.item_class).await?;
        let slug = free_slug(&mut tx, &draft, None).await?;
        let id = db::products::insert(&mut *tx, &draft, slug.as_str(), initial_stock).await?;
        let details = json!({ "name": draft.name, "sku": draft.sku, "price": draft.price,
                              "stock": initial_stock, "tax_type": draft.tax_type });
        db::audit::record(
            &mut *tx,
            me.user_id,
            "product.create",
            "product",
            Some(id),
            details,
        )
        .await?;
        tx.commit().await?;
        self.product(id).await
    }

    /// Saves an edit made on `version` of the product. If someone saved in between, the
    /// edit is refused as a conflict instead of overwriting theirs. A new price is written
    /// to the price history.
    pub async fn update_product(
        &self,
        actor: &Actor,
        id: Uuid,
        version: i32,
        form: &ProductForm,
    ) -> Result<Product> {
        let draft = form.validate()?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        check_item_class(&mut tx, &draft.item_class).await?;
        let slug = free_slug(&mut tx, &draft, Some(id)).await?;
        let Some(old_price) =
            db::products::update(&mut *tx, id, version, &draft, slug.as_str()).await?
        else {
            db::products::by_id(&mut *tx, id)
                .await?
                .ok_or_else(no_product)?;
            return Err(Error::Conflict(
                "Someone else saved this product first. Reload it to see their changes, then edit again.".into(),
            ));
        };
        if old_price != draft.price {
            db::products::record_price_change(&mut *tx, id, old_price, draft.price, me.user_id)
                .await?;
        }
        let details = json!({ "name": draft.name, "old_price": old_price, "price": draft.price,
                              "tax_type": draft.tax_type, "item_class": draft.item_class });
        db::audit::record(
            &mut *tx,
            me.user_id,
            "product.update",
            "product",
            Some(id),
            details,
        )
        .await?;
        tx.commit().await?;
        self.product(id).await
    }

    /// Archived products leave the catalog and the till but keep their order history.
    pub async fn set_archived(&self, actor: &Actor, id: Uuid, archived: bool) -> Result<Product> {
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        if !db::products::set_archived(&mut *tx, id, archived).await? {
            return Err(no_product());
        }
        let action = if archived {
            "product.archive"
        } else {
            "product.unarchive"
        };
        db::audit::record(&mut *tx, me.user_id, action, "product", Some(id), json!({})).await?;
        tx.commit().await?;
        self.product(id).await
    }

    /// Deletes a product that was never ordered; one that was must be archived instead.
    pub async fn delete_product(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let product = db::products::by_id(&mut *tx, id)
            .await?
            .ok_or_else(no_product)?;
        db::audit::record(
            &mut *tx,
            me.user_id,
            "product.delete",
            "product",
            Some(id),
            json!({ "name": product.name, "sku": product.sku }),
        )
        .await?;
        delete_unordered(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes stock by `delta` (received goods, damage, a count correction), never below zero.
    pub async fn adjust_stock(
        &self,
        actor: &Actor,
        id: Uuid,
        delta: i32,
        reason: StockReason,
        note: &str,
    ) -> Result<i32> {
        if delta == 0 || delta.unsigned_abs() > MAX_STOCK as u32 {
            return Err(Error::invalid(
                "Change",
                format!("a number of units other than 0, at most {MAX_STOCK} either way"),
            ));
        }
        let note = parse_text("Note", note, limits::NOTE)?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let adjusted =
            db::products::adjust_stock(&mut *tx, me.session, id, delta, reason, &note).await?;
        let Some(stock) = adjusted else {
            let (available, name, _) = db::products::stock_of(&mut *tx, id)
                .await?
                .ok_or_else(no_product)?;
            return Err(Error::invalid(
                "Change",
                format!(
                    "{name} has only {available} in stock; cannot remove {}",
                    -delta
                ),
            ));
        };
        if stock > MAX_STOCK {
            return Err(Error::invalid(
                "Change",
                format!("that would make {stock} units; at most {MAX_STOCK} are held"),
            ));
        }
        let details = json!({ "delta": delta, "reason": reason, "note": note, "stock": stock });
        db::audit::record(
            &mut *tx,
            me.user_id,
            "stock.adjust",
            "product",
            Some(id),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(stock)
    }

    /// Products to reorder: on sale with `threshold` units or fewer (the config's
    /// `stock.low_threshold`), emptiest first.
    pub async fn low_stock(&self, actor: &Actor, threshold: i32) -> Result<Vec<Product>> {
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        Ok(db::products::low_stock(&mut *self.db.read().await?, threshold.max(0), 500).await?)
    }

    /// Products for the admin's list: like the catalog's search, archived ones included.
    pub async fn products(&self, actor: &Actor, query: &ProductQuery) -> Result<Vec<Product>> {
        query.validate()?;
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        let query = ProductQuery {
            include_archived: true,
            ..query.clone()
        };
        Ok(db::products::search(&mut *self.db.read().await?, &query).await?)
    }

    pub async fn price_history(&self, actor: &Actor, id: Uuid) -> Result<Vec<PriceChange>> {
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        Ok(db::products::price_history(&mut *self.db.read().await?, id).await?)
    }

    pub async fn create_category(&self, actor: &Actor, name: &str) -> Result<Category> {
        let name = parse_name("Name", name, limits::CATEGORY_NAME)?;
        let slug = Slug::from_name(&name);
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let category = db::categories::insert(&mut *tx, &name, slug.as_str()).await?;
        let details = json!({ "name": name });
        db::audit::record(
            &mut *tx,
            me.user_id,
            "category.create",
            "category",
            Some(category.id),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(category)
    }

    /// Renames a category; its slug follows the name unless one is given.
    pub async fn rename_category(
        &self,
        actor: &Actor,
        id: Uuid,
        name: &str,
        slug: &str,
    ) -> Result<Category> {
        let name = parse_name("Name", name, limits::CATEGORY_NAME)?;
        let slug = match slug.trim() {
            "" => Slug::from_name(&name),
            given => Slug::parse(given)?,
        };
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let category = db::categories::rename(&mut *tx, id, &name, slug.as_str())
            .await?
            .ok_or_else(no_category)?;
        let details = json!({ "name": name, "slug": slug });
        db::audit::record(
            &mut *tx,
            me.user_id,
            "category.rename",
            "category",
            Some(id),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(category)
    }

    /// Deletes a category only when no product (archived ones included) is in it.
    pub async fn delete_category(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let category = db::categories::by_id(&mut *tx, id)
            .await?
            .ok_or_else(no_category)?;
        if !db::categories::delete_if_empty(&mut *tx, id).await? {
            return Err(Error::Conflict(format!(
                "{} still has products; move them to another category first.",
                category.name
            )));
        }
        let details = json!({ "name": category.name });
        db::audit::record(
            &mut *tx,
            me.user_id,
            "category.delete",
            "category",
            Some(id),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn product(&self, id: Uuid) -> Result<Product> {
        db::products::by_id(&mut *self.db.read().await?, id)
            .await?
            .ok_or_else(no_product)
    }
}

/// The slug asked for (which must be free), or one made from the name with a number added
/// until it is free.
async fn free_slug(
    tx: &mut PgConnection,
    draft: &ProductDraft,
    except: Option<Uuid>,
) -> Result<Slug> {
    if let Some(slug) = &draft.slug {
        if db::products::slug_taken(&mut *tx, slug.as_str(), except).await? {
            return Err(Error::invalid("Slug", "is used by another product"));
        }
        return Ok(slug.clone());
    }
    let base = Slug::from_name(&draft.name);
    let mut candidate = base.clone();
    for n in 2.. {
        if !db::products::slug_taken(&mut *tx, candidate.as_str(), except).await? {
            break;
        }
        candidate = base.with_suffix(n);
    }
    Ok(candidate)
}

/// Deletes a product unless an order refers to it.
async fn delete_unordered(tx: &mut PgConnection, id: Uuid) -> Result<()> {
    if db::products::ever_ordered(&mut *tx, id).await? {
        return Err(Error::Conflict(
            "This product has been ordered, so its history is kept: archive it instead.".into(),
        ));
    }
    db::products::delete(&mut *tx, id).await?;
    Ok(())
}
