//! The persisted cart of the logged-in user.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::{self, Db};
use crate::domain::cart::CartView;
use crate::domain::user::{Actor, Role};
use crate::domain::{Error, Result};
use crate::service::access::authorize;
use crate::service::limits::Limits;
use crate::service::orders::too_many;

pub const MAX_QUANTITY: i32 = 999;

#[derive(Clone)]
pub struct Cart {
    db: Db,
    limits: Limits,
}

fn check_quantity(quantity: i32) -> Result<()> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(Error::invalid(
            "Quantity",
            format!("must be 1 to {MAX_QUANTITY}"),
        ))
    }
}

/// Refuses a cart quantity above what is in stock right now (the order checks again).
async fn check_stock(tx: &mut PgConnection, product_id: Uuid, quantity: i32) -> Result<()> {
    let (stock, name, _) = db::products::stock_of(tx, product_id)
        .await?
        .ok_or_else(|| Error::NotFound("The product".into()))?;
    if quantity > stock {
        return Err(Error::OutOfStock {
            product: name,
            available: stock,
        });
    }
    Ok(())
}

impl Cart {
    pub fn new(db: Db, limits: Limits) -> Self {
        Cart { db, limits }
    }

    /// Refuses more of one product than a customer may order on their own.
    async fn check_line(
        &self,
        tx: &mut PgConnection,
        product_id: Uuid,
        quantity: i32,
    ) -> Result<()> {
        if quantity <= self.limits.max_units_per_line {
            return Ok(());
        }
        let name = db::products::stock_of(tx, product_id)
            .await?
            .map_or_else(String::new, |(_, name, _)| name);
        Err(too_many(&name, self.limits.max_units_per_line))
    }

    pub async fn view(&self, actor: &Actor) -> Result<CartView> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Customer).await?;
        self.lines(me.user_id).await
    }

    /// Adds units; refuses more than are in stock right now.
    pub async fn add(&self, actor: &Actor, product_id: Uuid, quantity: i32) -> Result<CartView> {
        check_quantity(quantity)?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Customer).await?;
        let Some(total) = db::cart::add(&mut *tx, me.user_id, product_id, quantity).await? else {
            return Err(Error::NotFound("The product".into()));
        };
        check_quantity(total)?;
        self.check_line(&mut tx, product_id, total).await?;
        check_stock(&mut tx, product_id, total).await?;
        let lines = db::cart::lines(&mut *tx, me.user_id).await?;
        tx.commit().await?;
        Ok(CartView { lines })
    }

    pub async fn set_quantity(
        &self,
        actor: &Actor,
        product_id: Uuid,
        quantity: i32,
    ) -> Result<CartView> {
        check_quantity(quantity)?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Customer).await?;
        let Some(before) =
            db::cart::set_quantity(&mut *tx, me.user_id, product_id, quantity).await?
        else {
            return Err(Error::NotFound("That cart line".into()));
        };
        // Going down is always allowed, even below stock that has since run short.
        if quantity > before {
            self.check_line(&mut tx, product_id, quantity).await?;
            check_stock(&mut tx, product_id, quantity).await?;
        }
        let lines = db::cart::lines(&mut *tx, me.user_id).await?;
        tx.commit().await?;
        Ok(CartView { lines })
    }

    pub async fn remove(&self, actor: &Actor, product_id: Uuid) -> Result<CartView> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Customer).await?;
        self.db
            .write(async |c| db::cart::remove(c, me.user_id, product_id).await)
            .await?;
        self.lines(me.user_id).await
    }

    pub async fn clear(&self, actor: &Actor) -> Result<CartView> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Customer).await?;
        self.db
            .write(async |c| db::cart::clear(c, me.user_id).await)
            .await?;
        self.lines(me.user_id).await
    }

    /// The customer has reviewed changed prices and accepts the current ones.
    pub async fn accept_prices(&self, actor: &Actor) -> Result<CartView> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Customer).await?;
        self.db
            .write(async |c| db::cart::accept_prices(c, me.user_id).await)
            .await?;
        self.lines(me.user_id).await
    }

    async fn lines(&self, user_id: Uuid) -> Result<CartView> {
        Ok(CartView {
            lines: db::cart::lines(&mut *self.db.read().await?, user_id).await?,
        })
    }
}
