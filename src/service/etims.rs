//! Tax invoices KRA accepts (issue 17). The database numbers each paid sale and each return
//! as it commits (migration 37); this sends them to KRA in number order, one sender for
//! the whole shop at a time, and stores each answer as it comes. KRA unreachable: the
//! invoice waits and is tried again (5 s, doubling, at most 10 minutes), and the till never
//! waits for it. KRA refuses one: the queue stops there (numbers go to KRA in order) until
//! an admin resends it. KRA had it already (an answer lost in a crash): it is not sent again.

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use sqlx::PgConnection;

use crate::db::etims::Unsent;
use crate::db::{self, Db};
use uuid::Uuid;

use crate::domain::etims::{
    CreditReason, DeviceStatus, Fiscal, FiscalPrint, Invoice, InvoiceLine, InvoiceQueue,
    InvoiceState, verify_link,
};
use crate::domain::live::Change;
use crate::domain::tax::totals;
use crate::domain::user::{Actor, Role};
use crate::domain::{Error, Result};
use crate::gateway::GatewayError;
use crate::gateway::etims::{Answer, Etims, ItemAnswer, trouble};
use crate::service::access::authorize;

/// What the shop's eTIMS set-up prints and where it sends.
#[derive(Debug, Clone, Default)]
pub struct EtimsSetup {
    /// Sales are numbered as invoices and receipts print them.
    pub on: bool,
    /// Who sends: the sandbox, or KRA with the device's key (only the shop's server holds
    /// it; a terminal prints without it).
    pub sender: Option<Arc<Etims>>,
    pub pin: String,
    pub branch: String,
    /// The control unit's id, printed before each invoice number.
    pub scu_id: String,
    /// KRA's invoice checker, the receipt's QR code's start.
    pub verify_url: String,
}

/// Why a run of [`EtimsQueue::send_due`] stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// eTIMS is off here.
    Off,
    /// Another sender is at work.
    Busy,
    /// Everything numbered is answered.
    Done,
    /// The next invoice waits for its next try (KRA was unreachable).
    Waiting(i64),
    /// KRA refused this invoice; it waits for an admin.
    Refused(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub signed: usize,
    pub stopped: Stopped,
}

#[derive(Clone)]
pub struct EtimsQueue {
    /// The terminal's: what people do to the queue.
    db: Db,
    /// The process's own rights: only the shop's server stores KRA's answers.
    sender_db: Db,
    setup: EtimsSetup,
}

/// The list of KRA's item classes, as `etims_lists_asked` names it.
const CLASSES: &str = "item_classes";
/// How often the sender asks KRA for item classes changed since (KRA: daily or weekly).
const CLASSES_EVERY: Duration = Duration::from_secs(24 * 3600);
/// Asked "what changed since" for the first time: since before eTIMS began.
const KRA_BEGINNING: &str = "20180101000000";

/// KRA's way of writing a time: `YYYYMMDDhhmmss`.
fn is_kra_time(text: &str) -> bool {
    text.len() == 14 && text.bytes().all(|b| b.is_ascii_digit())
}

/// How many invoices the console lists.
const LISTED: i64 = 200;

/// After `attempts` tries that found KRA unreachable: 5 s, doubling, at most 10 minutes.
fn retry_in(attempts: i32) -> f64 {
    let doublings = attempts.clamp(0, 7);
    (5.0 * f64::from(1 << doublings)).min(600.0)
}

impl EtimsQueue {
    pub fn new(db: Db, sender_db: Db, setup: EtimsSetup) -> Self {
        EtimsQueue {
            db,
            sender_db,
            setup,
        }
    }

    /// How the device stands, then the invoices KRA has not answered and the latest it
    /// has (admins only).
    pub async fn list(&self, actor: &Actor) -> Result<InvoiceQueue> {
        let mut conn = self.db.read().await?;
        authorize(&mut *conn, actor, Role::Admin).await?;
        let (classes, classes_at, last_signed) = db::etims::device(&mut *conn, CLASSES).await?;
        let device = DeviceStatus {
            signer: match &self.setup.sender {
                Some(sender) if sender.pretend() => "The sandbox signs (nothing declared)",
                Some(_) => "KRA signs",
                None => "The shop's server sends to KRA",
            },
            scu_id: self.setup.scu_id.clone(),
            branch: self.setup.branch.clone(),
            classes,
            classes_at,
            last_signed,
        };
        let invoices = db::etims::queue(&mut *conn, LISTED).await?;
        Ok(InvoiceQueue { device, invoices })
    }

    /// Puts an invoice KRA refused back in the queue, to be sent at once (after an admin
    /// fixed what KRA named: a product's item class, say). Admins only.
    pub async fn resend(&self, actor: &Actor, invoice: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Admin).await?;
        if !db::etims::resend(&mut *tx, me.session, invoice).await? {
            return Err(Error::Conflict(
                "Only an invoice KRA refused is sent again.".into(),
            ));
        }
        db::audit::record(
            &mut *tx,
            me.user_id,
            "etims.resend",
            "etims_invoice",
            Some(invoice),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends every invoice that is due, in number order, until one cannot be sent now.
    pub async fn send_due(&self) -> Result<Sent> {
        let mut signed = 0;
        let Some(sender) = self.setup.sender.clone() else {
            return Ok(Sent {
                signed,
                stopped: Stopped::Off,
            });
        };
        loop {
            // The lock and the row are held across KRA's answer: one sender, and an answer
            // is stored with the try it answers (a crash before the commit sends again, and
            // KRA's "received already" then closes the invoice).
            let mut tx = self.sender_db.begin().await?;
            let step = if !db::etims::try_lock(&mut tx).await? {
                Step::Stop(Stopped::Busy)
            } else {
                match db::etims::first_unsent(&mut tx, &self.setup.branch).await? {
                    None => Step::Stop(Stopped::Done),
                    Some(i) if i.state == InvoiceState::Refused => {
                        Step::Stop(Stopped::Refused(i.number))
                    }
                    Some(i) if !i.due => Step::Stop(Stopped::Waiting(i.number)),
                    Some(unsent) => send(&mut tx, &sender, &unsent).await?,
                }
            };
            tx.commit().await?;
            match step {
                Step::Stop(stopped) => return Ok(Sent { signed, stopped }),
                Step::Signed => signed += 1,
                Step::Closed => {}
            }
        }
    }

    /// Keeps KRA's item classes up to date: asks for those changed since the last ask (all
    /// of them the first time) and returns how many came. Admins' classes are checked
    /// against them.
    pub async fn refresh_classes(&self) -> Result<usize> {
        let Some(sender) = self.setup.sender.clone() else {
            return Ok(0);
        };
        let since = db::etims_items::asked_at(&mut *self.sender_db.read().await?, CLASSES)
            .await?
            .unwrap_or_else(|| KRA_BEGINNING.into());
        // No connection is held while KRA answers.
        let answer = sender
            .item_classes(&since)
            .await
            .map_err(|err| Error::Conflict(trouble(err)))?;
        let mut tx = self.sender_db.begin().await?;
        db::etims_items::save_classes(&mut tx, &answer.classes).await?;
        if is_kra_time(&answer.answered_at) {
            db::etims_items::set_asked_at(&mut tx, CLASSES, &answer.answered_at).await?;
        }
        tx.commit().await?;
        Ok(answer.classes.len())
    }

    /// Sends what is due as soon as a sale is numbered (`heard`: the shop's changes) and every
    /// `every` (a retry coming due, a notification missed), for as long as the program runs:
    /// the shop's server, the payment receiver, or a terminal without a terminal role;
    /// several at once are safe: one sends, the others find it busy.
    pub async fn keep_sending(
        self,
        every: Duration,
        mut heard: impl Stream<Item = Change> + Unpin,
    ) {
        if !self.setup.on {
            return;
        }
        let mut timer = tokio::time::interval(every.max(Duration::from_millis(200)));
        let mut classes = tokio::time::interval(CLASSES_EVERY);
        let mut listening = true;
        loop {
            tokio::select! {
                _ = timer.tick() => {}
                _ = classes.tick() => {
                    match self.refresh_classes().await {
                        Ok(changed) => tracing::info!(changed, "KRA's item classes"),
                        Err(err) => tracing::warn!(%err, "KRA's item classes"),
                    }
                    continue;
                }
                change = heard.next(), if listening => match change {
                    Some(Change::InvoiceQueued) => {}
                    Some(_) => continue,
                    None => {
                        listening = false;
                        continue;
                    }
                },
            }
            match self.send_due().await {
                Ok(Sent { signed: 0, .. }) => {}
                Ok(sent) => tracing::info!(?sent, "eTIMS"),
                Err(err) => tracing::warn!(%err, "eTIMS"),
            }
        }
    }
}

/// What sending one invoice came to.
enum Step {
    Signed,
    /// KRA had it already: done with, unsigned.
    Closed,
    /// The queue stops at it.
    Stop(Stopped),
}

/// Sends one invoice, after registering the products it names, and stores KRA's answer.
async fn send(tx: &mut PgConnection, sender: &Etims, unsent: &Unsent) -> Result<Step> {
    let (state, reason, retry, step) = match declare(tx, sender, unsent).await? {
        Ok(Answer::Signed(signature)) => {
            db::etims::signed(tx, unsent.id, &signature).await?;
            return Ok(Step::Signed);
        }
        Ok(Answer::AlreadyReceived(message)) => (
            InvoiceState::Received,
            format!(
                "KRA had this invoice already ({message}); its signature was not received here"
            ),
            0.0,
            Step::Closed,
        ),
        Ok(Answer::Refused { code, message }) => (
            InvoiceState::Refused,
            format!("KRA refused it ({code}): {message}"),
            0.0,
            Step::Stop(Stopped::Refused(unsent.number)),
        ),
        Err(err) => (
            InvoiceState::Pending,
            trouble(err),
            retry_in(unsent.attempts),
            Step::Stop(Stopped::Waiting(unsent.number)),
        ),
    };
    tracing::warn!(number = unsent.number, %reason, "eTIMS");
    db::etims::answered(tx, unsent.id, state, &reason, retry).await?;
    Ok(step)
}

/// KRA's answer to the invoice. First each product on it that KRA does not hold as it is
/// now is registered (`saveItem`); KRA refusing one is the invoice's refusal, naming it.
async fn declare(
    tx: &mut PgConnection,
    sender: &Etims,
    unsent: &Unsent,
) -> Result<std::result::Result<Answer, GatewayError>> {
    for (item, registered) in
        db::etims_items::of_invoice(tx, unsent.order_id, unsent.return_id).await?
    {
        let master = item.master();
        if registered.as_ref() == Some(&master) {
            continue;
        }
        match sender.save_item(&item.request(&unsent.cashier)).await {
            Ok(ItemAnswer::Registered) => {
                db::etims_items::registered(tx, item.product_id, &master).await?
            }
            Ok(ItemAnswer::Refused { code, message }) => {
                let message = format!(
                    "the product {} (SKU {}, item class \"{}\") was not registered: {message}",
                    item.name, item.sku, item.item_class
                );
                return Ok(Ok(Answer::Refused { code, message }));
            }
            Err(err) => return Ok(Err(err)),
        }
    }
    let invoice = Invoice {
        number: unsent.number,
        kind: unsent.kind,
        original_number: unsent.original_number,
        issued_at: unsent.issued_at,
        paid: db::etims::paid(&mut *tx, unsent.order_id).await?,
        cashier: unsent.cashier.clone(),
        reason: CreditReason::of_return(unsent.restocked),
        lines: db::etims::lines(&mut *tx, unsent.order_id, unsent.return_id).await?,
    };
    Ok(sender.save_sale(&invoice.request()).await)
}

impl EtimsSetup {
    /// KRA's checker link of a signed invoice.
    fn link(&self, fiscal: &Fiscal) -> Option<String> {
        fiscal
            .signed
            .as_ref()
            .map(|s| verify_link(&self.verify_url, &self.pin, &self.branch, &s.signature))
    }

    /// What a receipt prints of `fiscal`, whose invoice declares `lines`.
    pub(crate) fn print(&self, fiscal: Fiscal, lines: &[InvoiceLine]) -> FiscalPrint {
        FiscalPrint {
            cu_invoice: format!("{}/{}", self.scu_id, fiscal.number),
            taxes: totals(lines.iter().map(|l| (l.tax_type, l.net()))),
            verify_link: self.link(&fiscal),
            fiscal,
            sandbox: self.sender.as_ref().is_some_and(|s| s.pretend()),
        }
    }

    /// `print` as it stands now (KRA may have signed it since it was printed).
    pub(crate) async fn print_now(
        &self,
        c: &mut sqlx::PgConnection,
        print: &FiscalPrint,
    ) -> Result<FiscalPrint> {
        let fiscal = db::etims::fiscal_by_id(c, print.fiscal.id)
            .await?
            .ok_or_else(|| Error::NotFound("The invoice".into()))?;
        Ok(FiscalPrint {
            verify_link: self.link(&fiscal),
            fiscal,
            ..print.clone()
        })
    }

    /// [`Self::print_of`] for a receipt printed just after its sale or return committed,
    /// through a connection of its own, taken only where eTIMS is on (else a till sale would
    /// pay two round trips for an empty transaction under its terminal role).
    pub(crate) async fn print_after(
        &self,
        db: &Db,
        order_id: uuid::Uuid,
        return_id: Option<uuid::Uuid>,
    ) -> Result<Option<FiscalPrint>> {
        if !self.on {
            return Ok(None);
        }
        self.print_of(&mut *db.read().await?, order_id, return_id)
            .await
    }

    /// A sale's invoice (or with `return_id`, a return's credit note) as its receipt
    /// prints it; None where eTIMS is off or it has none (sold before eTIMS was on).
    pub(crate) async fn print_of(
        &self,
        c: &mut sqlx::PgConnection,
        order_id: uuid::Uuid,
        return_id: Option<uuid::Uuid>,
    ) -> Result<Option<FiscalPrint>> {
        if !self.on {
            return Ok(None);
        }
        let Some(fiscal) = db::etims::fiscal(&mut *c, order_id, return_id).await? else {
            return Ok(None);
        };
        let lines = db::etims::lines(c, order_id, return_id).await?;
        Ok(Some(self.print(fiscal, &lines)))
    }
}
