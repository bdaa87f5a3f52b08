//! Tax invoices KRA accepts (issue 17). The database numbers each paid sale and each return
//! as it commits (migration 37); this sends them to KRA in number order, one sender for
//! the whole shop at a time, and stores each answer as it comes. KRA unreachable: the
//! invoice waits and is tried again (5 s, doubling, at most 10 minutes), and the till never
//! waits for it. KRA refuses one: the queue stops there (numbers go to KRA in order) until
//! an admin resends it. KRA had it already (an answer lost in a crash): it is not sent again.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgConnection;

use crate::db::etims::Unsent;
use crate::db::{self, Db};
use uuid::Uuid;

use crate::domain::etims::{
    Fiscal, FiscalPrint, Invoice, InvoiceLine, InvoiceState, QueuedInvoice, verify_link,
};
use crate::domain::tax::totals;
use crate::domain::user::{Actor, Role};
use crate::domain::{Error, Result};
use crate::gateway::etims::{Answer, Etims};
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

    /// The invoices KRA has not answered, then the latest it has (admins only).
    pub async fn list(&self, actor: &Actor) -> Result<Vec<QueuedInvoice>> {
        let mut conn = self.db.read().await?;
        authorize(&mut *conn, actor, Role::Admin).await?;
        Ok(db::etims::queue(&mut *conn, LISTED).await?)
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

    /// Sends what is due every `every` for as long as the program runs (the shop's server,
    /// the payment receiver, or a terminal without a terminal role; several at once are
    /// safe: one sends, the others find it busy).
    pub async fn keep_sending(self, every: Duration) {
        if !self.setup.on {
            return;
        }
        let mut timer = tokio::time::interval(every.max(Duration::from_millis(200)));
        loop {
            timer.tick().await;
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

/// Sends one invoice and stores KRA's answer.
async fn send(tx: &mut PgConnection, sender: &Etims, unsent: &Unsent) -> Result<Step> {
    let invoice = Invoice {
        number: unsent.number,
        kind: unsent.kind,
        original_number: unsent.original_number,
        issued_at: unsent.issued_at,
        paid: db::etims::paid(&mut *tx, unsent.order_id).await?,
        cashier: unsent.cashier.clone(),
        lines: db::etims::lines(&mut *tx, unsent.order_id, unsent.return_id).await?,
    };
    let (state, reason, retry, step) = match sender.save_sale(&invoice.request()).await {
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
            err.to_string(),
            retry_in(unsent.attempts),
            Step::Stop(Stopped::Waiting(unsent.number)),
        ),
    };
    tracing::warn!(number = unsent.number, %reason, "eTIMS");
    db::etims::answered(tx, unsent.id, state, &reason, retry).await?;
    Ok(step)
}

impl EtimsSetup {
    /// What a receipt prints of `fiscal`, whose invoice declares `lines`.
    pub(crate) fn print(&self, fiscal: Fiscal, lines: &[InvoiceLine]) -> FiscalPrint {
        let verify_link = fiscal
            .signed
            .as_ref()
            .map(|s| verify_link(&self.verify_url, &self.pin, &self.branch, &s.signature));
        FiscalPrint {
            cu_invoice: format!("{}/{}", self.scu_id, fiscal.number),
            taxes: totals(lines.iter().map(|l| (l.tax_type, l.net()))),
            verify_link,
            fiscal,
            sandbox: self.sender.as_ref().is_some_and(|s| s.pretend()),
        }
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
