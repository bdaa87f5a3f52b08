//! Placing orders (all-or-nothing, no oversell, no duplicates), history, cancelling and
//! the staff's status changes.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::orders::{NewOrder, Written};
use crate::db::{self, Db};
use crate::domain::clock::day_start;
use crate::domain::order::{
    AfterSale, CancelOutcome, OrderDetail, OrderFilter, OrderItem, OrderLine, OrderStatus,
    OrderSummary,
};
use crate::domain::payment::PaymentStatus;
use crate::domain::user::{Actor, Role};
use crate::domain::values::{limits, parse_name, person_needle};
use crate::domain::{Error, Money, Result};
use crate::service::access::{Principal, authorize};
use crate::service::announce::StockAnnouncer;
use crate::service::etims::EtimsSetup;
use crate::service::limits::Limits;
use crate::service::payments::Payments;

pub const HISTORY_PAGE: i64 = 50;

#[derive(Clone)]
pub struct Orders {
    db: Db,
    /// Asked before cancelling an order whose payment a provider may still take.
    payments: Payments,
    limits: Limits,
    /// For the invoice shown with a paid order.
    etims: EtimsSetup,
    stock: StockAnnouncer,
}

impl Orders {
    pub(crate) fn new(
        db: Db,
        payments: Payments,
        limits: Limits,
        etims: EtimsSetup,
        stock: StockAnnouncer,
    ) -> Self {
        Orders {
            db,
            payments,
            limits,
            etims,
            stock,
        }
    }

    /// Turns the actor's cart into a pending order in one transaction. `checkout_key` comes
    /// from the screen that confirmed the checkout: sending it twice returns the first order.
    pub async fn place_from_cart(&self, actor: &Actor, checkout_key: Uuid) -> Result<OrderDetail> {
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Customer).await?;
        // One checkout per buyer at a time: a double submit waits here, then finds the first.
        db::users::lock_for_checkout(&mut tx, me.user_id).await?;
        if let Some(existing) =
            db::orders::by_checkout_key(&mut *tx, me.user_id, checkout_key).await?
        {
            tx.commit().await?;
            return self.load(existing).await;
        }
        let unpaid = db::orders::unpaid_of(&mut *tx, me.user_id).await?;
        if unpaid >= self.limits.max_unpaid_orders {
            return Err(Error::Conflict(format!(
                "You have {unpaid} orders waiting for payment: pay or cancel one (Orders tab) before ordering again."
            )));
        }
        let lines: Vec<OrderLine> = db::cart::lines(&mut *tx, me.user_id)
            .await?
            .into_iter()
            .map(|line| OrderLine {
                product_id: line.product_id,
                quantity: line.quantity,
                agreed_price: line.price_seen,
            })
            .collect();
        if let Some(line) = lines
            .iter()
            .find(|l| l.quantity > self.limits.max_units_per_line)
        {
            let name = db::products::stock_of(&mut *tx, line.product_id)
                .await?
                .map_or_else(String::new, |(_, name, _)| name);
            return Err(too_many(&name, self.limits.max_units_per_line));
        }
        let order = NewOrder {
            user_id: me.user_id,
            served_by: None,
            checkout_key,
            status: OrderStatus::Pending,
            discounts: Vec::new(),
            approval: None,
            open_price: None,
        };
        let placed = place(&mut tx, &me, order, lines).await?;
        db::cart::clear(&mut *tx, me.user_id).await?;
        tx.commit().await?;
        self.stock.taken(&placed);
        self.load(placed.id).await
    }

    /// The actor's own orders, newest first; pass the last one shown to get the next page.
    pub async fn history(
        &self,
        actor: &Actor,
        after: Option<&OrderSummary>,
    ) -> Result<Vec<OrderSummary>> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Customer).await?;
        let before = after.map(|o| (o.created_at, o.id));
        Ok(db::orders::for_user(
            &mut *self.db.read().await?,
            me.user_id,
            before,
            HISTORY_PAGE,
        )
        .await?)
    }

    /// One order with its items and payment: its owner's, or anyone's for staff.
    pub async fn detail(&self, actor: &Actor, order_id: Uuid) -> Result<OrderDetail> {
        // One connection (one transaction under a terminal role) for all of it.
        let mut c = self.db.read().await?;
        let me = authorize(&mut *c, actor, Role::Customer).await?;
        let mut detail = load(&mut c, order_id).await?;
        if !me.may_act_for(detail.order.user_id) {
            return Err(not_found());
        }
        let mut after_sale = db::orders::after_sale(&mut *c, order_id).await?;
        // A write-off is the shop's own record; the customer sees their returns.
        if !me.is_staff() {
            after_sale.retain(|event| matches!(event, AfterSale::Returned { .. }));
        }
        detail.after_sale = after_sale;
        // Under the kiosk's role a customer reads only their own orders' invoices.
        detail.fiscal = self.etims.print_of(&mut c, order_id, None).await?;
        Ok(detail)
    }

    /// All orders for staff, newest first, filtered by status, dates and customer.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &OrderFilter,
        limit: i64,
    ) -> Result<Vec<OrderSummary>> {
        filter.validate()?;
        authorize(&mut *self.db.read().await?, actor, Role::Staff).await?;
        let from = filter.from.map(day_start);
        let to = filter.to.and_then(|d| d.succ_opt()).map(day_start);
        let customer = person_needle(&filter.customer);
        Ok(db::orders::list(
            &mut *self.db.read().await?,
            filter.status,
            from,
            to,
            &customer,
            limit.clamp(1, 500),
        )
        .await?)
    }

    /// Cancels an order and puts its stock back. Customers may cancel their own pending
    /// orders; staff any order the state machine allows. A successful payment is marked
    /// refunded and the amount reported to give back; a pending one is marked failed, once
    /// its provider (if it has the request) says it was not paid.
    pub async fn cancel(&self, actor: &Actor, order_id: Uuid) -> Result<CancelOutcome> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Customer).await?;
        let order = db::orders::summary(&mut *self.db.read().await?, order_id)
            .await?
            .ok_or_else(not_found)?;
        if !me.may_act_for(order.user_id) {
            return Err(not_found());
        }
        self.payments.clear_for_cancel(order_id).await?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Customer).await?;
        let (owner, status, _) = db::orders::lock(&mut tx, order_id)
            .await?
            .ok_or_else(not_found)?;
        if !me.may_act_for(owner) {
            return Err(not_found());
        }
        if !me.is_staff() && status != OrderStatus::Pending {
            return Err(Error::Conflict(format!(
                "This order is already {status}; please ask at the counter to cancel it."
            )));
        }
        let (units_restocked, refund_due) =
            cancel_locked(&mut tx, order_id, status, "order cancelled").await?;
        if me.is_staff() {
            audit_status(&mut tx, &me, order_id, status, OrderStatus::Cancelled).await?;
        }
        tx.commit().await?;
        Ok(CancelOutcome {
            order: self.load(order_id).await?.order,
            units_restocked,
            refund_due,
        })
    }

    /// Closes an unpaid till sale whose goods were handed over and whose money never came
    /// (an M-Pesa code that turned out false): cancelled without putting stock back, since
    /// the goods left the shop, with the reason; audited and reported as written off.
    /// Admins only; a paid order, a customer's own order or a closed one is refused.
    pub async fn write_off(
        &self,
        actor: &Actor,
        order_id: Uuid,
        reason: &str,
    ) -> Result<OrderSummary> {
        let reason = parse_name("Reason", reason, limits::REASON)?;
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        // A request a provider may still take is asked about first, as for a cancel.
        self.payments.clear_for_cancel(order_id).await?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let (_, status, total) = db::orders::lock(&mut tx, order_id)
            .await?
            .ok_or_else(not_found)?;
        let order = db::orders::summary(&mut *tx, order_id)
            .await?
            .ok_or_else(not_found)?;
        if status != OrderStatus::Pending {
            return Err(Error::Conflict(format!(
                "Only an unpaid sale is written off; this order is {status}."
            )));
        }
        if order.served_by.is_none() {
            return Err(Error::Conflict(
                "A customer's own order never left the shop: cancel it instead (its stock goes back)."
                    .into(),
            ));
        }
        if let Some(p) = db::payments::by_order(&mut *tx, order_id).await?
            && p.status == PaymentStatus::Pending
        {
            db::payments::mark_failed(&mut *tx, p.id, "written off").await?;
        }
        db::orders::write_off(&mut *tx, order_id, me.user_id, &reason).await?;
        db::audit::record(
            &mut *tx,
            me.user_id,
            "order.write_off",
            "order",
            Some(order_id),
            json!({ "total": total, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(self.load(order_id).await?.order)
    }

    /// Staff move a paid order along: shipped, then delivered. `paid` comes only from a
    /// verified payment and `cancelled` only through [`Orders::cancel`].
    pub async fn set_status(
        &self,
        actor: &Actor,
        order_id: Uuid,
        next: OrderStatus,
    ) -> Result<OrderSummary> {
        if !matches!(next, OrderStatus::Shipped | OrderStatus::Delivered) {
            return Err(Error::invalid(
                "Status",
                "only shipped or delivered can be set here; payment sets paid, cancel cancels",
            ));
        }
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Staff).await?;
        let (_, status, _) = db::orders::lock(&mut tx, order_id)
            .await?
            .ok_or_else(not_found)?;
        status.check_transition(next)?;
        db::orders::set_status(&mut *tx, order_id, next).await?;
        audit_status(&mut tx, &me, order_id, status, next).await?;
        tx.commit().await?;
        Ok(self.load(order_id).await?.order)
    }

    async fn load(&self, order_id: Uuid) -> Result<OrderDetail> {
        load(&mut *self.db.read().await?, order_id).await
    }
}

/// One order with its items and payment, unchecked: callers decide who may see it.
pub(crate) async fn load(conn: &mut PgConnection, order_id: Uuid) -> Result<OrderDetail> {
    let order = db::orders::summary(&mut *conn, order_id)
        .await?
        .ok_or_else(not_found)?;
    let items = db::orders::items(&mut *conn, order_id).await?;
    let payment = db::payments::by_order(&mut *conn, order_id).await?;
    let parts = db::payments::parts_of(&mut *conn, order_id).await?;
    Ok(OrderDetail {
        order,
        items,
        payment,
        parts,
        after_sale: Vec::new(),
        fiscal: None,
    })
}

fn not_found() -> Error {
    Error::NotFound("The order".into())
}

/// An order just written: what a receipt needs, without reading it back.
pub(crate) struct Placed {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub total: Money,
    pub items: Vec<OrderItem>,
}

/// Writes an order inside the caller's transaction as `me`: the buyer, or the staff member
/// ringing it up for the buyer (then `served_by`, at a till, maybe with discounts). The database takes stock row by row in ascending product id
/// order (so carts {A,B} and {B,A} cannot deadlock) and never below zero; prices must still
/// be the agreed ones. Any refusal rolls back all. The caller announces the stock taken once
/// its transaction has committed ([`StockAnnouncer::taken`]; migration 42).
pub(crate) async fn place(
    tx: &mut PgConnection,
    me: &Principal,
    order: NewOrder,
    mut lines: Vec<OrderLine>,
) -> Result<Placed> {
    if lines.is_empty() {
        return Err(Error::EmptyCart);
    }
    lines.sort_by_key(|line| line.product_id);
    let units: Vec<(Uuid, i32)> = lines.iter().map(|l| (l.product_id, l.quantity)).collect();
    let (id, created_at, taken) =
        match db::orders::place(&mut *tx, me.session, &order, &units).await? {
            Written::Placed {
                id,
                created_at,
                lines,
            } => (id, created_at, lines),
            Written::Short(product_id) => return Err(short_stock(&mut *tx, product_id).await?),
            Written::AlreadyPlaced(_) => return Err(Error::AlreadyPlaced),
        };
    let mut items = Vec::with_capacity(lines.len());
    let mut changed = Vec::new();
    for (line, taken) in lines.iter().zip(taken) {
        if taken.price != line.agreed_price {
            changed.push(format!(
                "{} {} → {}",
                taken.name, line.agreed_price, taken.price
            ));
        }
        items.push(OrderItem {
            product_id: taken.product_id,
            product_name: taken.name,
            sku: taken.sku,
            quantity: line.quantity,
            price: taken.price,
            discount: taken.discount,
        });
    }
    if !changed.is_empty() {
        return Err(Error::PriceChanged(changed.join(", ")));
    }
    Ok(Placed {
        id,
        created_at,
        total: items.iter().map(OrderItem::line_total).sum(),
        items,
    })
}

/// Cancels an order locked by the caller (whose status is `from`): stock back on the shelf,
/// a pending payment failed with `reason`, a successful one refunded. Returns the units
/// restocked and the amount to give back.
pub(crate) async fn cancel_locked(
    tx: &mut PgConnection,
    order_id: Uuid,
    from: OrderStatus,
    reason: &str,
) -> Result<(i64, Option<Money>)> {
    from.check_transition(OrderStatus::Cancelled)?;
    // Only a paid sale has returns (and a kiosk, cancelling a pending order, reads none).
    if from != OrderStatus::Pending && db::returns::any_for(&mut *tx, order_id).await? {
        return Err(Error::Conflict(
            "Part of this sale was returned: return the rest at the till instead of cancelling."
                .into(),
        ));
    }
    let units = db::orders::units(&mut *tx, order_id).await?;
    // The database puts the units back on the shelf as the order becomes cancelled.
    db::orders::set_status(&mut *tx, order_id, OrderStatus::Cancelled).await?;
    let refund = match db::payments::by_order(&mut *tx, order_id).await? {
        Some(p) if p.status == PaymentStatus::Successful => {
            db::payments::mark_refunded(&mut *tx, p.id).await?;
            Some(p.amount)
        }
        Some(p) if p.status == PaymentStatus::Pending => {
            db::payments::mark_failed(&mut *tx, p.id, reason).await?;
            None
        }
        Some(_) => None,
        // Paid in parts: every part is given back.
        None => Some(db::payments::refund_parts(&mut *tx, order_id).await?)
            .filter(|refunded| *refunded > Money::ZERO),
    };
    Ok((units, refund))
}

/// More of one product than a customer may order on their own.
pub(crate) fn too_many(name: &str, max: i32) -> Error {
    Error::invalid(
        "Quantity",
        format!("at most {max} of {name} in one order here; ask at the till for more"),
    )
}

/// Explains why stock could not be taken.
async fn short_stock(tx: &mut PgConnection, product_id: Uuid) -> Result<Error> {
    Ok(match db::products::stock_of(tx, product_id).await? {
        None => Error::NotFound("A product in the cart".into()),
        Some((_, name, true)) => {
            Error::Conflict(format!("{name} is no longer sold; please remove it."))
        }
        Some((available, name, false)) => Error::OutOfStock {
            product: name,
            available,
        },
    })
}

async fn audit_status(
    tx: &mut PgConnection,
    me: &Principal,
    order_id: Uuid,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<()> {
    db::audit::record(
        tx,
        me.user_id,
        "order.status",
        "order",
        Some(order_id),
        json!({ "from": from, "to": to }),
    )
    .await?;
    Ok(())
}
