//! Returns at the till: a sale found by its receipt number, some of its goods taken back
//! (never more than were sold less those already back, even with two tills at once),
//! restocked or not, and refunded by the sale's own method, with a slip for the customer.

use serde_json::json;
use uuid::Uuid;

use crate::db::{self, Db};
use crate::domain::order::{OrderItem, OrderStatus, short_id};
use crate::domain::payment::{PaymentMethod, TransactionId};
use crate::domain::receipt::{Receipt, Refund, Shop, Tendered};
use crate::domain::returns::{
    PendingRefund, RefundStatus, ReturnRequest, ReturnableLine, ReturnableSale,
    parse_receipt_number,
};
use crate::domain::user::{Actor, Role, WALK_IN};
use crate::domain::values::{limits, parse_text};
use crate::domain::{Error, Result};
use crate::service::Setup;
use crate::service::access::authorize;
use crate::service::etims::EtimsSetup;
use crate::service::gateways::Gateways;

#[derive(Clone)]
pub struct Returns {
    db: Db,
    shop: Shop,
    gateways: Gateways,
    etims: EtimsSetup,
}

impl Returns {
    pub fn new(db: Db, setup: &Setup) -> Self {
        Returns {
            db,
            shop: setup.shop.clone(),
            gateways: setup.gateways.clone(),
            etims: setup.etims.clone(),
        }
    }

    /// The sale a receipt number (typed, or scanned whole) stands for, with what is left
    /// to return of each line.
    pub async fn find_sale(&self, actor: &Actor, number: &str) -> Result<ReturnableSale> {
        let mut conn = self.db.read().await?;
        authorize(&mut *conn, actor, Role::Staff).await?;
        let (low, high) = parse_receipt_number(number)?.id_range();
        let found = db::returns::sales_numbered(&mut *conn, low, high).await?;
        let (order_id, at, status) = match found.as_slice() {
            [one] => *one,
            [] => return Err(Error::NotFound("A sale with that receipt number".into())),
            _ => {
                return Err(Error::Conflict(
                    "Two sales share that number: scan the code on the receipt instead.".into(),
                ));
            }
        };
        let method = db::payments::refund_method(&mut *conn, order_id).await?;
        let lines = db::returns::returnable(&mut *conn, order_id).await?;
        Ok(ReturnableSale {
            order_id,
            at,
            status,
            method,
            lines,
        })
    }

    /// Takes the goods back and refunds them by the sale's method: cash from the drawer and
    /// a card by its terminal's refund reference at once; M-Pesa and PayPal wait for an admin
    /// to send the money back. Returns the slip to give the customer.
    pub async fn take(&self, actor: &Actor, request: ReturnRequest) -> Result<Receipt> {
        let mut request = request;
        request.lines.retain(|(_, units)| *units != 0);
        if request.lines.is_empty() {
            return Err(Error::invalid(
                "Quantity",
                "choose at least one unit to take back",
            ));
        }
        request.reason = parse_text("Reason", &request.reason, limits::REASON)?;
        if !request.restock && request.reason.is_empty() {
            return Err(Error::invalid(
                "Reason",
                "say why the goods do not go back on the shelf (e.g. damaged)",
            ));
        }
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Staff).await?;
        // Two tills returning from the same sale take turns here.
        let (buyer, status, _) = db::orders::lock(&mut tx, request.order_id)
            .await?
            .ok_or_else(|| Error::NotFound("The sale".into()))?;
        let method = db::payments::refund_method(&mut *tx, request.order_id).await?;
        let Some(method) = method.filter(|_| is_paid(status)) else {
            return Err(Error::Conflict(format!(
                "This sale is {status}, not paid: nothing was taken to refund."
            )));
        };
        if method == PaymentMethod::Card {
            request.reference = TransactionId::parse(method, &request.reference)
                .map_err(|_| {
                    Error::invalid(
                        "Reference",
                        "the card terminal's refund reference (6 to 40 letters, digits or '-')",
                    )
                })?
                .as_str()
                .to_owned();
        } else {
            request.reference.clear();
        }
        let lines = db::returns::returnable(&mut *tx, request.order_id).await?;
        let items = returned_items(&lines, &request.lines)?;
        let taken = db::returns::take(&mut *tx, me.session, &request).await?;
        db::audit::record(
            &mut *tx,
            me.user_id,
            "pos.return",
            "order",
            Some(request.order_id),
            json!({
                "return": taken.id, "amount": taken.amount, "method": taken.method,
                "restocked": request.restock, "reason": request.reason,
                "lines": request.lines,
            }),
        )
        .await?;
        let customer = match buyer {
            WALK_IN => None,
            id => db::users::by_id(&mut *tx, id).await?.map(|u| u.username),
        };
        tx.commit().await?;
        let fiscal = self
            .etims
            .print_after(&self.db, request.order_id, Some(taken.id))
            .await?;
        Ok(Receipt {
            shop: self.shop.clone(),
            order_id: taken.id,
            at: taken.at,
            cashier: me.username,
            customer,
            items,
            total: taken.amount,
            payment: Tendered {
                method: taken.method,
                transaction_id: request.reference,
                cash: None,
                verified: true,
            },
            parts: Vec::new(),
            sandbox: self.gateways.pretend(),
            refund: Some(Refund {
                of_sale: short_id(request.order_id),
                restocked: request.restock,
                reason: request.reason,
                awaiting_reversal: taken.status == RefundStatus::AwaitingReversal,
            }),
            copy: false,
            fiscal,
        })
    }
}

impl Returns {
    /// Refunds of returned goods an admin still has to send back with M-Pesa or PayPal.
    pub async fn awaiting_reversal(&self, actor: &Actor) -> Result<Vec<PendingRefund>> {
        let mut conn = self.db.read().await?;
        authorize(&mut *conn, actor, Role::Admin).await?;
        Ok(db::returns::awaiting_reversal(&mut *conn, None).await?)
    }

    /// An admin sent a refund back with the provider: recorded with its reference (an
    /// M-Pesa reversal's receipt code, a PayPal refund id) and audited.
    pub async fn complete_reversal(
        &self,
        actor: &Actor,
        return_id: Uuid,
        reference: &str,
    ) -> Result<PendingRefund> {
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        let refund = db::returns::awaiting_reversal(&mut *tx, Some(return_id))
            .await?
            .pop()
            .ok_or_else(|| Error::NotFound("A refund waiting to be sent".into()))?;
        let reference = TransactionId::parse(refund.method, reference)?;
        if !db::returns::complete_reversal(&mut *tx, me.session, return_id, reference.as_str())
            .await?
        {
            return Err(Error::Conflict("That refund was recorded already.".into()));
        }
        let details =
            json!({ "amount": refund.amount, "method": refund.method, "reference": reference });
        db::audit::record(
            &mut *tx,
            me.user_id,
            "return.reversed",
            "order",
            Some(refund.order_id),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(refund)
    }
}

fn is_paid(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
    )
}

/// The lines asked for, as sold; refused in plain words when a product is not in the sale
/// or more units are asked for than are left to return.
fn returned_items(sold: &[ReturnableLine], asked: &[(Uuid, i32)]) -> Result<Vec<OrderItem>> {
    let mut items = Vec::with_capacity(asked.len());
    for (product_id, units) in asked {
        let Some(line) = sold.iter().find(|l| l.product_id == *product_id) else {
            return Err(Error::invalid("Product", "is not in this sale"));
        };
        if *units < 0 || *units > line.left() {
            return Err(Error::invalid(
                "Quantity",
                format!(
                    "{} of {} can still be returned ({} sold, {} back already)",
                    line.left(),
                    line.product_name,
                    line.sold,
                    line.returned
                ),
            ));
        }
        items.push(OrderItem {
            product_id: line.product_id,
            product_name: line.product_name.clone(),
            sku: line.sku.clone(),
            quantity: *units,
            price: line.price,
            discount: line.price.times(*units) - line.refund(*units),
        });
    }
    Ok(items)
}
