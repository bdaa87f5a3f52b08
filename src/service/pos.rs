//! The till: a cashier sells to a walk-in or a known customer and takes payment, the order
//! and its payment written in one transaction with the same stock rules as every order.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::audit::NewEntry;
use crate::db::orders::NewOrder;
use crate::db::payments::NewPayment;
use crate::db::users::NewUser;
use crate::db::{self, Db};
use crate::domain::catalog::{OPEN_PRICE, Product, ProductQuery};
use crate::domain::discount::{Discount, net_total};
use crate::domain::etims::FiscalPrint;
use crate::domain::held::HeldSale;
use crate::domain::order::{
    OrderDetail, OrderItem, OrderLine, OrderStatus, RecentSale, UnpaidOrder,
};
use crate::domain::payment::{PaymentMethod, PaymentStatus, PaymentSummary, TransactionId};
use crate::domain::receipt::{PaidPart, Receipt, Shop, Tendered};
use crate::domain::user::{Actor, Role, UserAccount, WALK_IN};
use crate::domain::values::{Phone, Sku, Username, parse_search, person_needle};
use crate::domain::{Error, Money, Result};
use crate::service::Setup;
use crate::service::access::{Principal, authorize};
use crate::service::announce::StockAnnouncer;
use crate::service::etims::EtimsSetup;
use crate::service::gateways::{Gateways, TillConfirmations};
use crate::service::orders::{self, place};
use crate::service::payments::{TILL_PAYMENT_MINUTES, duplicate_or, settle};

/// How the customer pays at the till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tender {
    /// Notes and coins handed over; the change is given back.
    Cash { handed: Money },
    /// An M-Pesa receipt code the customer shows. With till confirmations on, it settles the
    /// sale at once when Safaricom's confirmation of it is in, and is refused when it is
    /// not; otherwise it is recorded for an admin to verify.
    MpesaCode(String),
    /// A code whose confirmation has not come yet, recorded on the cashier's word to settle
    /// the sale by itself when it arrives (or by an admin).
    MpesaCodeAwaited(String),
    /// The card terminal's approval reference (never a card number).
    Card(String),
    /// An STK Push to the customer's phone, sent once the sale is recorded; the sale is
    /// paid when M-Pesa confirms it.
    MpesaPush,
    /// The sale paid in parts, each settled now: cash, a card, or an M-Pesa code Safaricom
    /// has confirmed (till confirmations on). The parts add up to the total exactly.
    Split(Vec<Part>),
}

/// A part of a sale paid in parts: how much, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub amount: Money,
    pub tender: Tender,
}

/// The most parts one sale is paid in.
pub const MAX_PARTS: usize = 4;

/// What the till can show for a tender before the sale is written.
enum Proof {
    /// Confirmed at the till (cash counted, card terminal approved).
    Settled(TransactionId),
    /// A code to verify later.
    Claimed(TransactionId),
    /// The provider confirms it later.
    Later,
    /// Parts, each settled or a code Safaricom confirms now: (amount, method, proof).
    Split(Vec<(Money, PaymentMethod, Proof)>),
}

impl Tender {
    pub fn method(&self) -> PaymentMethod {
        match self {
            Tender::Cash { .. } => PaymentMethod::Cash,
            Tender::MpesaCode(_) | Tender::MpesaCodeAwaited(_) | Tender::MpesaPush => {
                PaymentMethod::Mpesa
            }
            Tender::Card(_) => PaymentMethod::Card,
            // As its first part (the audit and the receipt list every part).
            Tender::Split(parts) => parts
                .first()
                .map_or(PaymentMethod::Cash, |p| p.tender.method()),
        }
    }

    /// Cash handed over, all cash parts together.
    pub fn cash_handed(&self) -> Option<Money> {
        match self {
            Tender::Cash { handed } => Some(*handed),
            Tender::Split(parts) => {
                let handed: Vec<Money> = parts
                    .iter()
                    .filter_map(|p| p.tender.cash_handed())
                    .collect();
                (!handed.is_empty()).then(|| handed.into_iter().sum())
            }
            _ => None,
        }
    }

    /// Checks what can be checked before touching the database.
    fn proof(&self, total: Money) -> Result<Proof> {
        Ok(match self {
            Tender::Cash { handed } if *handed < total => {
                return Err(Error::invalid(
                    "Cash",
                    format!("{handed} is less than the total {total}"),
                ));
            }
            Tender::Cash { .. } => Proof::Settled(TransactionId::new_cash()),
            Tender::Card(reference) => {
                Proof::Settled(TransactionId::parse(PaymentMethod::Card, reference)?)
            }
            Tender::MpesaCode(code) | Tender::MpesaCodeAwaited(code) => {
                Proof::Claimed(TransactionId::parse(PaymentMethod::Mpesa, code)?)
            }
            Tender::MpesaPush => Proof::Later,
            Tender::Split(parts) => split_proof(parts, total)?,
        })
    }
}

/// Checks a split tender: two to [`MAX_PARTS`] parts of more than nothing, each cash, a card
/// or an M-Pesa code (never a push, nor parts within parts), adding up to `total` exactly.
fn split_proof(parts: &[Part], total: Money) -> Result<Proof> {
    let refuse = |message: String| Err(Error::invalid("Payment", message));
    if !(2..=MAX_PARTS).contains(&parts.len()) {
        return refuse(format!("a sale is paid in 2 to {MAX_PARTS} parts"));
    }
    let paid: Money = parts.iter().map(|p| p.amount).sum();
    if paid != total {
        return refuse(format!("the parts come to {paid}, not the total {total}"));
    }
    let mut proofs = Vec::with_capacity(parts.len());
    for part in parts {
        if part.amount <= Money::ZERO {
            return refuse("each part is more than nothing".into());
        }
        let proof = match &part.tender {
            Tender::Cash { .. } | Tender::Card(_) | Tender::MpesaCode(_) => {
                part.tender.proof(part.amount)?
            }
            _ => return refuse("a part is paid in cash, by card or by an M-Pesa code".into()),
        };
        proofs.push((part.amount, part.tender.method(), proof));
    }
    Ok(Proof::Split(proofs))
}

/// What a lookup at the till found.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Sku(Box<Product>),
    Matches(Vec<Product>),
    /// Nothing has this SKU nor matches it: a product the shop has not entered yet.
    Unknown(String),
}

const LOOKUP_MATCHES: i64 = 20;
const UNPAID_LISTED: i64 = 50;
/// Own sales listed to reprint from.
const RECENT_LISTED: i64 = 20;
/// Not a password hash: an account added at the till cannot log in until given a password.
const NO_PASSWORD: &str = "!";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    /// Made when the sale is started: sending the same sale twice writes it once.
    pub key: Uuid,
    /// None for a walk-in customer.
    pub customer: Option<Uuid>,
    pub lines: Vec<OrderLine>,
    pub discounts: Vec<Discount>,
    /// An admin's approval of discounts over the cashier's limit.
    pub approval: Option<Uuid>,
    pub tender: Tender,
}

impl Sale {
    /// The unit price of the open-price line (something the shop has not entered), if any:
    /// more than nothing, as any price.
    fn open_price(&self) -> Result<Option<Money>> {
        let Some(line) = self.lines.iter().find(|l| l.product_id == OPEN_PRICE) else {
            return Ok(None);
        };
        if line.agreed_price <= Money::ZERO {
            return Err(Error::invalid(
                "Price",
                "an open-price line costs more than nothing",
            ));
        }
        Ok(Some(line.agreed_price))
    }

    /// What the buyer pays, discounts taken off as the database will take them.
    pub fn total(&self) -> Result<Money> {
        let lines: Vec<(Uuid, Money)> = self
            .lines
            .iter()
            .map(|l| (l.product_id, l.agreed_price.times(l.quantity)))
            .collect();
        net_total(&lines, &self.discounts)
    }
}

#[derive(Clone)]
pub struct Pos {
    db: Db,
    shop: Shop,
    gateways: Gateways,
    etims: EtimsSetup,
    stock: StockAnnouncer,
}

impl Pos {
    pub(crate) fn new(db: Db, setup: &Setup, stock: StockAnnouncer) -> Self {
        Pos {
            db,
            shop: setup.shop.clone(),
            gateways: setup.gateways.clone(),
            etims: setup.etims.clone(),
            stock,
        }
    }

    /// Rings up a sale. Cash and card are paid at once (the cashier is recorded as the one
    /// who confirmed); an M-Pesa code is kept on the pending payment for an admin to verify.
    /// Any refusal (stock, price, a used or malformed reference) writes nothing.
    pub async fn sell(&self, actor: &Actor, sale: Sale) -> Result<Receipt> {
        let total = sale.total()?;
        let proof = sale.tender.proof(total)?;
        if sale.tender == Tender::MpesaPush && !self.gateways.offers(PaymentMethod::Mpesa) {
            return Err(Error::Conflict(
                "M-Pesa push is not set up in this shop: take the customer's M-Pesa code instead."
                    .into(),
            ));
        }
        self.parts_can_settle(&sale.tender)?;
        let open_price = sale.open_price()?;
        let cash = sale.tender.cash_handed();
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Staff).await?;
        self.lock_typed_code(&mut tx, &sale.tender).await?;
        let buyer = sale.customer.unwrap_or(WALK_IN);
        // Paid in hand, the order is written paid with its successful payment below.
        let status = match proof {
            Proof::Settled(_) | Proof::Split(_) => OrderStatus::Paid,
            Proof::Claimed(_) | Proof::Later => OrderStatus::Pending,
        };
        let order = NewOrder {
            user_id: buyer,
            served_by: Some(me.user_id),
            checkout_key: sale.key,
            status,
            discounts: sale.discounts,
            approval: sale.approval,
            open_price,
        };
        let placed = match place(&mut tx, &me, order, sale.lines).await {
            // The same sale sent twice (a double press, a retry after a lost answer, or at the
            // same moment): the first one written is the sale.
            Err(Error::AlreadyPlaced) => {
                tx.rollback().await?;
                let existing =
                    db::orders::by_checkout_key(&mut *self.db.read().await?, buyer, sale.key)
                        .await?
                        .ok_or(Error::AlreadyPlaced)?;
                return self.sold_before(existing, &me.username, cash).await;
            }
            placed => placed?,
        };
        let method = sale.tender.method();
        let whole = |method, split| NewPayment {
            order_id: placed.id,
            user_id: buyer,
            amount: placed.total,
            method,
            split,
        };
        let audit = |transaction_id: Option<&str>, parts: &[PaymentSummary]| NewEntry {
            actor_id: me.user_id,
            action: "pos.sale",
            entity: "order",
            entity_id: Some(placed.id),
            details: json!({ "total": placed.total, "method": method,
                    "transaction_id": transaction_id, "parts": described(parts),
                    "customer": sale.customer, "open_price": open_price }),
        };
        let mut parts = Vec::new();
        let payment = match &proof {
            // One row, straight to successful, and the sale's audit entry with it.
            Proof::Settled(id) => {
                let noted = audit(Some(id.as_str()), &[]);
                let paid = whole(method, false);
                Some(
                    db::payments::insert_settled(&mut *tx, &paid, id, me.user_id, Some(noted))
                        .await
                        .map_err(|err| duplicate_or(err, id))?,
                )
            }
            Proof::Claimed(id) => {
                let payment =
                    db::payments::open(&mut tx, placed.id, buyer, placed.total, method).await?;
                let claimed = claim_code(&mut tx, &me, &payment, id).await?;
                Some(
                    self.confirmed_by_safaricom(&mut tx, &me, claimed, &sale.tender)
                        .await?,
                )
            }
            Proof::Later => {
                Some(db::payments::open(&mut tx, placed.id, buyer, placed.total, method).await?)
            }
            Proof::Split(proofs) => {
                for (amount, method, proof) in proofs {
                    let part = NewPayment {
                        amount: *amount,
                        ..whole(*method, true)
                    };
                    parts.push(self.take_part(&mut tx, &me, &part, proof).await?);
                }
                None
            }
        };
        // Cash and card wrote the sale's audit entry with their payment.
        if !matches!(proof, Proof::Settled(_)) {
            let transaction_id = payment.as_ref().and_then(|p| p.transaction_id.as_deref());
            db::audit::write(&mut *tx, audit(transaction_id, &parts)).await?;
        }
        let customer = match sale.customer.filter(|id| *id != WALK_IN) {
            Some(id) => db::users::by_id(&mut *tx, id).await?.map(|u| u.username),
            None => None,
        };
        tx.commit().await?;
        self.stock.taken(&placed);
        // Everything the receipt shows is in hand; only an eTIMS invoice, numbered as the
        // sale committed, is read back.
        let sold = Sold {
            order_id: placed.id,
            at: placed.created_at,
            customer,
            total: placed.total,
            payment,
            parts,
            items: placed.items,
        };
        self.receipt(sold, &me.username, cash).await
    }

    /// Orders recorded and not paid, that no payment is under way for (a rejected M-Pesa
    /// code, a failed push, a kiosk order the customer pays at the counter), newest first.
    pub async fn unpaid(&self, actor: &Actor) -> Result<Vec<UnpaidOrder>> {
        authorize(&mut *self.db.read().await?, actor, Role::Staff).await?;
        Ok(db::orders::unpaid(&mut *self.db.read().await?, UNPAID_LISTED).await?)
    }

    /// Takes payment for an order already recorded and unpaid, by any tender but a push
    /// (the pay screen sends that to the provider). Refused, changing nothing, when the order
    /// is not awaiting payment or a payment for it is under way or waits for verification.
    pub async fn pay_order(
        &self,
        actor: &Actor,
        order_id: Uuid,
        tender: Tender,
    ) -> Result<Receipt> {
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Staff).await?;
        // Money taken at the till goes into a shift's drawer.
        if db::shifts::open_of(&mut *tx, me.user_id).await?.is_none() {
            return Err(Error::NoShift);
        }
        self.lock_typed_code(&mut tx, &tender).await?;
        let (owner, status, total) = db::orders::lock(&mut tx, order_id)
            .await?
            .ok_or_else(|| Error::NotFound("The order".into()))?;
        if status != OrderStatus::Pending {
            return Err(Error::Conflict(format!(
                "This order is {status}, not awaiting payment."
            )));
        }
        let method = tender.method();
        let proof = tender.proof(total)?;
        self.parts_can_settle(&tender)?;
        let payer = NewPayment {
            order_id,
            user_id: owner,
            amount: total,
            method,
            split: false,
        };
        let details = match &proof {
            Proof::Settled(id) => {
                let payment = reopen(&mut tx, &payer).await?;
                let paid = settle(&mut tx, Some(&me), &payment, id, total).await?;
                json!({ "total": total, "method": method, "transaction_id": paid.transaction_id })
            }
            Proof::Claimed(id) => {
                let payment = reopen(&mut tx, &payer).await?;
                let claimed = claim_code(&mut tx, &me, &payment, id).await?;
                let paid = self
                    .confirmed_by_safaricom(&mut tx, &me, claimed, &tender)
                    .await?;
                json!({ "total": total, "method": method, "transaction_id": paid.transaction_id })
            }
            Proof::Split(proofs) => {
                let parts = self
                    .pay_recorded_in_parts(&mut tx, &me, payer, proofs)
                    .await?;
                json!({ "total": total, "parts": described(&parts) })
            }
            Proof::Later => {
                return Err(Error::Conflict(
                    "A push for a recorded order is sent from its pay screen.".into(),
                ));
            }
        };
        db::audit::record(
            &mut *tx,
            me.user_id,
            "pos.pay_order",
            "order",
            Some(order_id),
            details,
        )
        .await?;
        tx.commit().await?;
        self.sold_before(order_id, &me.username, tender.cash_handed())
            .await
    }

    /// An M-Pesa code pays a part only where Safaricom's confirmations settle it now.
    fn parts_can_settle(&self, tender: &Tender) -> Result<()> {
        if let Tender::Split(parts) = tender
            && parts
                .iter()
                .any(|p| p.tender.method() == PaymentMethod::Mpesa)
            && self.gateways.till_confirmations() == &TillConfirmations::Off
        {
            return Err(Error::Conflict(
                "An M-Pesa code pays part of a sale only where Safaricom confirms till payments: take it for the whole sale instead."
                    .into(),
            ));
        }
        Ok(())
    }

    /// Pays a recorded order (locked by the caller) in parts: an earlier attempt's payment not
    /// under way gives way (failed: "paid in parts at the till"), the parts are written, and
    /// the order becomes paid (the database checks they add up as it commits).
    async fn pay_recorded_in_parts(
        &self,
        tx: &mut PgConnection,
        me: &Principal,
        payer: NewPayment,
        proofs: &[(Money, PaymentMethod, Proof)],
    ) -> Result<Vec<PaymentSummary>> {
        if let Some(earlier) = db::payments::by_order(&mut *tx, payer.order_id).await? {
            let under_way = earlier.transaction_id.is_some()
                || earlier.gateway_ref.is_some()
                || earlier.request_state.is_some();
            match earlier.status {
                PaymentStatus::Pending if under_way => {
                    return Err(Error::Conflict(format!(
                        "A {} payment for this order is under way: wait for its answer.",
                        earlier.method
                    )));
                }
                PaymentStatus::Pending => {
                    db::payments::mark_failed(&mut *tx, earlier.id, "paid in parts at the till")
                        .await?;
                }
                _ => {}
            }
        }
        let mut parts = Vec::with_capacity(proofs.len());
        for (amount, method, proof) in proofs {
            let part = NewPayment {
                amount: *amount,
                method: *method,
                split: true,
                ..payer
            };
            parts.push(self.take_part(tx, me, &part, proof).await?);
        }
        db::orders::set_status(&mut *tx, payer.order_id, OrderStatus::Paid).await?;
        Ok(parts)
    }

    /// Writes one part of a sale paid in parts, settled now: cash or a card on the cashier's
    /// word, an M-Pesa code on Safaricom's confirmation (else the whole sale is refused).
    async fn take_part(
        &self,
        tx: &mut PgConnection,
        me: &Principal,
        part: &NewPayment,
        proof: &Proof,
    ) -> Result<PaymentSummary> {
        match proof {
            Proof::Settled(id) => {
                db::payments::insert_settled(&mut *tx, part, id, me.user_id, None)
                    .await
                    .map_err(|err| duplicate_or(err, id))
            }
            Proof::Claimed(code) => {
                let opened = db::payments::open_part(&mut *tx, part).await?;
                let claimed = claim_code(tx, me, &opened, code).await?;
                let tender = Tender::MpesaCode(code.to_string());
                self.confirmed_by_safaricom(tx, me, claimed, &tender).await
            }
            Proof::Later | Proof::Split(_) => Err(Error::invalid(
                "Payment",
                "a part is paid in cash, by card or by an M-Pesa code",
            )),
        }
    }

    /// Takes the lock on a typed M-Pesa code's confirmation before any order or payment
    /// lock, as the receiver does, so a confirmation arriving meanwhile is never missed.
    async fn lock_typed_code(&self, tx: &mut PgConnection, tender: &Tender) -> Result<()> {
        if self.gateways.till_confirmations() == &TillConfirmations::Off {
            return Ok(());
        }
        match tender {
            Tender::MpesaCode(code) | Tender::MpesaCodeAwaited(code) => {
                let code = TransactionId::parse(PaymentMethod::Mpesa, code)?;
                db::till_payments::lock_code(tx, &code).await?;
            }
            // Codes in the order they are written, as any other writer takes them.
            Tender::Split(parts) => {
                for part in parts {
                    Box::pin(self.lock_typed_code(tx, &part.tender)).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// With till confirmations on, settles a claimed code's payment on Safaricom's word
    /// (its confirmation: recent, at least the total, unclaimed), or refuses the code in
    /// plain words, or leaves it waiting when the cashier asked for that. Off, it waits
    /// for an admin as before.
    async fn confirmed_by_safaricom(
        &self,
        tx: &mut PgConnection,
        me: &Principal,
        claimed: PaymentSummary,
        tender: &Tender,
    ) -> Result<PaymentSummary> {
        if self.gateways.till_confirmations() == &TillConfirmations::Off {
            return Ok(claimed);
        }
        let code = TransactionId::parse(
            PaymentMethod::Mpesa,
            claimed.transaction_id.as_deref().unwrap_or_default(),
        )?;
        let paid = db::till_payments::claim(&mut *tx, me.session, claimed.id, TILL_PAYMENT_MINUTES)
            .await?;
        if paid.is_some() {
            return settle(tx, None, &claimed, &code, claimed.amount).await;
        }
        if matches!(tender, Tender::MpesaCodeAwaited(_)) {
            return Ok(claimed);
        }
        Err(match db::till_payments::find(&mut *tx, &code).await? {
            None => Error::CodeNotConfirmed(code.to_string()),
            Some(seen) if seen.payment_id.is_some() => {
                Error::DuplicateTransaction(code.to_string())
            }
            Some(seen) if seen.amount < claimed.amount => Error::Conflict(format!(
                "M-Pesa payment {code} is {}, less than the total {}.",
                seen.amount, claimed.amount
            )),
            Some(_) => Error::Conflict(format!(
                "M-Pesa payment {code} was made more than {} hours ago: an admin can match it in the console (Till M-Pesa).",
                TILL_PAYMENT_MINUTES / 60
            )),
        })
    }

    /// The receipt of a sale already written under the same key.
    async fn sold_before(
        &self,
        order_id: Uuid,
        cashier: &str,
        cash: Option<Money>,
    ) -> Result<Receipt> {
        let detail = orders::load(&mut *self.db.read().await?, order_id).await?;
        self.receipt(Sold::from(detail), cashier, cash).await
    }

    /// The most a cashier may take off a line without an admin, in percent.
    pub async fn discount_limit(&self, actor: &Actor) -> Result<Decimal> {
        let mut conn = self.db.read().await?;
        authorize(&mut *conn, actor, Role::Staff).await?;
        Ok(db::discounts::limit(&mut *conn).await?)
    }

    /// The cashier's held sales, oldest first (they survive logout, quit and restarts).
    pub async fn held(&self, actor: &Actor) -> Result<Vec<HeldSale>> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Staff).await?;
        Ok(db::held::of(&mut *self.db.read().await?, me.user_id).await?)
    }

    /// Holds `hold` and/or takes the held sale `recall` back out, in one transaction (F5
    /// swaps the sale on screen for a held one). Recalling a sale that is no longer held
    /// (recalled at another till) is refused, changing nothing.
    pub async fn swap_held(
        &self,
        actor: &Actor,
        hold: Option<&HeldSale>,
        recall: Option<Uuid>,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Staff).await?;
        if let Some(key) = recall
            && !db::held::recall(&mut tx, me.user_id, key).await?
        {
            return Err(Error::NotFound("That held sale".into()));
        }
        if let Some(sale) = hold {
            db::held::hold(&mut tx, me.user_id, sale).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A cashier voided lines of a sale not yet paid (one line, or the whole sale): the
    /// audit log keeps who, which items and how much, though nothing was sold.
    pub async fn record_void(
        &self,
        actor: &Actor,
        sale_key: Uuid,
        whole_sale: bool,
        items: &[OrderItem],
    ) -> Result<()> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Staff).await?;
        let amount: Money = items.iter().map(OrderItem::line_total).sum();
        let action = if whole_sale {
            "pos.void_sale"
        } else {
            "pos.void_line"
        };
        self.db
            .write(async |c| {
                db::audit::record(
                    c,
                    me.user_id,
                    action,
                    "sale",
                    Some(sale_key),
                    json!({ "items": items, "amount": amount }),
                )
                .await
            })
            .await?;
        Ok(())
    }

    /// The cashier's own last sales, newest first, to reprint a receipt from.
    pub async fn recent_sales(&self, actor: &Actor) -> Result<Vec<RecentSale>> {
        let mut conn = self.db.read().await?;
        let me = authorize(&mut *conn, actor, Role::Staff).await?;
        Ok(db::orders::recent_by(&mut *conn, me.user_id, RECENT_LISTED).await?)
    }

    /// Any order's receipt printed again, marked COPY, naming the cashier who rang it up
    /// (or "online" for a customer's own order). Audited: a copy could be shown to claim a
    /// refund.
    pub async fn reprint(&self, actor: &Actor, order_id: Uuid) -> Result<Receipt> {
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Staff).await?;
        let detail = orders::load(&mut tx, order_id).await?;
        let cashier = match detail.order.served_by {
            Some(id) => db::users::by_id(&mut *tx, id)
                .await?
                .map_or_else(|| "—".to_owned(), |u| u.username),
            None => "online".to_owned(),
        };
        let details = json!({ "total": detail.order.total_amount });
        db::audit::record(
            &mut *tx,
            me.user_id,
            "pos.reprint",
            "order",
            Some(order_id),
            details,
        )
        .await?;
        tx.commit().await?;
        let mut receipt = self.receipt(Sold::from(detail), &cashier, None).await?;
        receipt.copy = true;
        Ok(receipt)
    }

    /// A till sale's receipt as it stands now (after an M-Pesa push was paid).
    pub async fn receipt_for(&self, actor: &Actor, order_id: Uuid) -> Result<Receipt> {
        let me = authorize(&mut *self.db.read().await?, actor, Role::Staff).await?;
        let detail = orders::load(&mut *self.db.read().await?, order_id).await?;
        self.receipt(Sold::from(detail), &me.username, None).await
    }

    /// A receipt's invoice as it stands now: signed by KRA since, or still pending.
    pub async fn invoice_now(&self, actor: &Actor, print: &FiscalPrint) -> Result<FiscalPrint> {
        let mut conn = self.db.read().await?;
        authorize(&mut *conn, actor, Role::Staff).await?;
        self.etims.print_now(&mut conn, print).await
    }

    /// What the cashier typed or scanned: an exact SKU gives that product; otherwise the
    /// products whose names match (the first few, for picking).
    pub async fn lookup(&self, actor: &Actor, text: &str) -> Result<Lookup> {
        authorize(&mut *self.db.read().await?, actor, Role::Staff).await?;
        let text = text.trim();
        if let Ok(sku) = Sku::parse(text)
            && let Some(product) =
                db::products::by_sku(&mut *self.db.read().await?, sku.as_str()).await?
            && !product.is_archived
        {
            return Ok(Lookup::Sku(Box::new(product)));
        }
        let query = ProductQuery {
            text: text.to_owned(),
            limit: LOOKUP_MATCHES,
            ..Default::default()
        };
        query.validate()?;
        let found = db::products::search(&mut *self.db.read().await?, &query).await?;
        Ok(match Sku::parse(text) {
            Ok(sku) if found.is_empty() => Lookup::Unknown(sku.as_str().to_owned()),
            _ => Lookup::Matches(found),
        })
    }

    /// Finds customers at the till by username, email or phone (typed any usual way).
    pub async fn find_customer(&self, actor: &Actor, text: &str) -> Result<Vec<UserAccount>> {
        authorize(&mut *self.db.read().await?, actor, Role::Staff).await?;
        let text = parse_search("Customer", text)?;
        let mut found =
            db::users::search(&mut *self.db.read().await?, &person_needle(&text), 20).await?;
        found.retain(|u| u.id != WALK_IN && u.is_active);
        Ok(found)
    }

    /// A customer added at the till by username and phone, to name on the sale. The account
    /// cannot log in (no password) until the customer is given one; a phone that another
    /// customer has is refused, naming them, so nobody is added twice.
    pub async fn add_customer(
        &self,
        actor: &Actor,
        username: &str,
        phone: &str,
    ) -> Result<UserAccount> {
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Staff).await?;
        let username = Username::parse(username)?;
        let phone = Phone::parse(phone)?;
        if let Some(known) = db::users::by_phone(&mut *tx, phone.as_str()).await? {
            return Err(Error::invalid(
                "Phone",
                format!("is {}'s already: find them instead", known.username),
            ));
        }
        let email = format!("{}@customers.bytemtaani.invalid", username.as_str());
        db::users::insert(
            &mut *tx,
            &NewUser {
                username: username.as_str(),
                email: &email,
                phone: Some(phone.as_str()),
                password_hash: NO_PASSWORD,
                is_staff: false,
                is_admin: false,
            },
        )
        .await?;
        let added = match db::users::credentials(&mut *tx, username.as_str()).await? {
            Some(new) => db::users::by_id(&mut *tx, new.id).await?,
            None => None,
        }
        .ok_or_else(|| Error::NotFound("The new customer".into()))?;
        db::audit::record(
            &mut *tx,
            me.user_id,
            "pos.add_customer",
            "user",
            Some(added.id),
            json!({ "username": added.username, "phone": added.phone }),
        )
        .await?;
        tx.commit().await?;
        Ok(added)
    }

    /// The receipt of `sold`; with eTIMS on, its invoice as the database numbered it.
    async fn receipt(&self, sold: Sold, cashier: &str, cash: Option<Money>) -> Result<Receipt> {
        let fiscal = self
            .etims
            .print_after(&self.db, sold.order_id, None)
            .await?;
        // A sale paid in parts is told by its parts (its first for the method).
        let payment = sold.payment.as_ref().or(sold.parts.first());
        let paid_parts = sold
            .parts
            .iter()
            .map(|p| PaidPart {
                method: p.method,
                amount: p.amount,
                transaction_id: p.transaction_id.clone().unwrap_or_default(),
            })
            .collect();
        Ok(Receipt {
            shop: self.shop.clone(),
            order_id: sold.order_id,
            at: sold.at,
            cashier: cashier.to_owned(),
            customer: sold.customer,
            total: sold.total,
            payment: Tendered {
                method: payment.map_or(PaymentMethod::Cash, |p| p.method),
                transaction_id: sold
                    .payment
                    .as_ref()
                    .and_then(|p| p.transaction_id.clone())
                    .unwrap_or_default(),
                cash,
                verified: payment.is_some_and(|p| p.paid_at.is_some()),
            },
            parts: paid_parts,
            sandbox: self.gateways.pretend(),
            refund: None,
            copy: false,
            items: sold.items,
            fiscal,
        })
    }
}

/// What a receipt is printed from: a sale just made, or an order read back.
struct Sold {
    order_id: Uuid,
    at: DateTime<Utc>,
    /// None for the walk-in customer.
    customer: Option<String>,
    total: Money,
    payment: Option<PaymentSummary>,
    parts: Vec<PaymentSummary>,
    items: Vec<OrderItem>,
}

impl From<OrderDetail> for Sold {
    fn from(detail: OrderDetail) -> Self {
        Sold {
            order_id: detail.order.id,
            at: detail.order.created_at,
            customer: (detail.order.user_id != WALK_IN).then_some(detail.order.username),
            total: detail.order.total_amount,
            payment: detail.payment,
            parts: detail.parts,
            items: detail.items,
        }
    }
}

/// Opens (or reopens) a recorded order's one payment for a tender taken at the till;
/// refused when a payment for it is under way with a provider or a code.
async fn reopen(tx: &mut PgConnection, payer: &NewPayment) -> Result<PaymentSummary> {
    let payment = db::payments::open(
        tx,
        payer.order_id,
        payer.user_id,
        payer.amount,
        payer.method,
    )
    .await?;
    let reopened = payment.status == PaymentStatus::Pending
        && payment.method == payer.method
        && payment.transaction_id.is_none()
        && payment.gateway_ref.is_none()
        && payment.request_state.is_none();
    if !reopened {
        return Err(Error::Conflict(format!(
            "A {} payment for this order is under way: wait for its answer.",
            payment.method
        )));
    }
    Ok(payment)
}

/// The parts of a sale paid in parts, as the audit log keeps them.
fn described(parts: &[PaymentSummary]) -> Vec<serde_json::Value> {
    parts
        .iter()
        .map(|p| json!({ "method": p.method, "amount": p.amount, "transaction_id": p.transaction_id }))
        .collect()
}

/// Notes an M-Pesa code shown at the till on its pending payment, for someone other than
/// `me` to verify. Refused for a code another payment carries.
async fn claim_code(
    tx: &mut PgConnection,
    me: &Principal,
    payment: &PaymentSummary,
    code: &TransactionId,
) -> Result<PaymentSummary> {
    if db::payments::transaction_id_used(&mut *tx, code, payment.id).await? {
        return Err(Error::DuplicateTransaction(code.to_string()));
    }
    db::payments::claim_reference(&mut *tx, payment.id, code, me.user_id)
        .await
        .map_err(|err| duplicate_or(err, code))
}
