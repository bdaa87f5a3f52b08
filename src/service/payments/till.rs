//! M-Pesa paid to the shop's till number or paybill, confirmed by Safaricom (Daraja C2B).
//! Every confirmation is kept once, as the bytes that arrived and as a till payment; one
//! that a sale's typed code already waits for settles that sale at once. Nobody else's word
//! counts: the address it is posted to ends in a secret only Safaricom was given.

use serde_json::json;
use uuid::Uuid;

use super::{Payments, callbacks::storable, lock_with_order, settle};
use crate::db;
use crate::db::payments::CallbackRecord;
use crate::db::till_payments::NewTillPayment;
use crate::domain::order::OrderStatus;
use crate::domain::payment::{PaymentMethod, PaymentStatus, TillPayment, TransactionId};
use crate::domain::user::{Actor, Role};
use crate::domain::{Error, Money, Result};
use crate::gateway::mpesa::TillConfirmation;
use crate::service::access::authorize;
use crate::service::gateways::TillConfirmations;

/// A code typed at the till settles its sale only with a confirmation this recent (minutes,
/// by the database's clock).
pub const RECENT_MINUTES: i32 = 120;
const UNCLAIMED_LISTED: i64 = 200;

/// What was made of a till payment's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TillOutcome {
    /// Posted to an address that is not the shop's: nothing kept.
    WrongAddress,
    /// Kept, for a sale to claim (or for an admin: the console lists it).
    Kept,
    /// Kept, and it settled the sale whose code was waiting for it.
    Settled(Uuid),
    /// Kept before: Safaricom sent it again.
    Resent,
    /// Recorded as it arrived, but not a payment to this shop.
    Refused(String),
}

impl Payments {
    /// True when `token` ends the shop's C2B address (Daraja's till confirmations on).
    pub fn till_address_is(&self, token: &str) -> bool {
        matches!(self.gateways.till_confirmations(),
            TillConfirmations::Daraja { token: Some(ours), .. } if same_secret(token, ours))
    }

    /// A confirmation posted to the receiver at `/mpesa/c2b/<token>/confirmation`.
    pub async fn receive_till_payment(&self, token: &str, raw: &[u8]) -> Result<TillOutcome> {
        match self.gateways.till_confirmations() {
            TillConfirmations::Daraja {
                short_code,
                token: Some(ours),
            } if same_secret(token, ours) => {
                let short_code = short_code.clone();
                self.keep_till_payment(raw, &short_code).await
            }
            _ => Ok(TillOutcome::WrongAddress),
        }
    }

    /// The sandbox's customer pays the till from their phone: a confirmation as Safaricom
    /// would post it, kept the same way. Returns the code of the customer's SMS (`code`, to
    /// play a confirmation arriving late for a code already typed at the till) and what the
    /// confirmation did.
    pub async fn sandbox_till_payment(
        &self,
        amount: Money,
        phone: &str,
        code: Option<&str>,
    ) -> Result<(String, TillOutcome)> {
        if self.gateways.till_confirmations() != &TillConfirmations::Sandbox {
            return Err(Error::Conflict(
                "payments.till_confirmations is not \"sandbox\": real till payments come from Safaricom only."
                    .into(),
            ));
        }
        if amount <= Money::ZERO {
            return Err(Error::invalid("Amount", "must be more than zero"));
        }
        let code = match code {
            Some(code) => TransactionId::parse(PaymentMethod::Mpesa, code)?.to_string(),
            None => format!("SB{}", &Uuid::new_v4().simple().to_string()[..8]).to_uppercase(),
        };
        let now = crate::domain::clock::shop_time(chrono::Utc::now());
        let body = json!({
            "TransactionType": "Buy Goods", "TransID": code,
            "TransTime": now.format("%Y%m%d%H%M%S").to_string(),
            "TransAmount": amount.amount().to_string(), "BusinessShortCode": SANDBOX_TILL,
            "BillRefNumber": "", "MSISDN": phone, "FirstName": "Sandbox",
        });
        match self
            .keep_till_payment(body.to_string().as_bytes(), SANDBOX_TILL)
            .await?
        {
            TillOutcome::Refused(why) => Err(Error::Conflict(why)),
            TillOutcome::Resent => Err(Error::DuplicateTransaction(code)),
            outcome => Ok((code, outcome)),
        }
    }

    async fn keep_till_payment(&self, raw: &[u8], short_code: &str) -> Result<TillOutcome> {
        let paid = match serde_json::from_slice::<TillConfirmation>(raw) {
            Ok(paid) => paid,
            Err(_) => {
                self.record_till(raw, None, "refused: unreadable").await?;
                return Ok(TillOutcome::Refused("unreadable".into()));
            }
        };
        let outcome = match self.settle_till(&paid, short_code).await? {
            Ok(outcome) => outcome,
            Err(why) => TillOutcome::Refused(why),
        };
        let text = match &outcome {
            TillOutcome::Refused(why) => format!("refused: {why}"),
            TillOutcome::Settled(_) => "till payment: settled its sale".into(),
            TillOutcome::Resent => "till payment: resent".into(),
            _ => "till payment: kept".into(),
        };
        self.record_till(raw, Some(&paid), &text).await?;
        Ok(outcome)
    }

    /// Keeps the confirmation and settles the sale whose typed code waits for it, in one
    /// transaction; Err(why) when it is not a payment to this shop.
    async fn settle_till(
        &self,
        paid: &TillConfirmation,
        short_code: &str,
    ) -> Result<std::result::Result<TillOutcome, String>> {
        if paid.business_short_code.trim() != short_code {
            return Ok(Err(format!(
                "paid to {}, not this shop's {short_code}",
                storable(&paid.business_short_code)
            )));
        }
        let Ok(code) = TransactionId::parse(PaymentMethod::Mpesa, &paid.trans_id) else {
            return Ok(Err("no valid TransID".into()));
        };
        let (Some(amount), Some(paid_at)) = (paid.amount(), paid.paid_at()) else {
            return Ok(Err("no valid TransAmount or TransTime".into()));
        };
        let mut tx = self.provider.begin().await?;
        db::till_payments::lock_code(&mut tx, &code).await?;
        let kept = NewTillPayment {
            trans_id: &code,
            amount: Money::new(amount),
            short_code,
            msisdn: &cut(&paid.msisdn, 40),
            payer: &cut(&paid.first_name, 120),
            bill_ref: &cut(&paid.bill_ref_number, 40),
            paid_at,
        };
        if !db::till_payments::insert(&mut *tx, &kept).await? {
            return Ok(Ok(TillOutcome::Resent));
        }
        let waiting = db::payments::pending_with_code(&mut *tx, &code).await?;
        let Some(waiting) = waiting else {
            tx.commit().await?;
            return Ok(Ok(TillOutcome::Kept));
        };
        let (status, total, payment) = lock_with_order(&mut tx, waiting.id).await?;
        let settles = payment.status == PaymentStatus::Pending
            && status.can_become(OrderStatus::Paid)
            && kept.amount >= total;
        if !settles {
            // Too little, or the sale is no longer waiting: an admin sees both in the console.
            tx.commit().await?;
            return Ok(Ok(TillOutcome::Kept));
        }
        db::till_payments::claim_for(&mut *tx, &code, payment.id).await?;
        settle(&mut tx, None, &payment, &code, total).await?;
        tx.commit().await?;
        Ok(Ok(TillOutcome::Settled(payment.order_id)))
    }

    async fn record_till(
        &self,
        raw: &[u8],
        paid: Option<&TillConfirmation>,
        outcome: &str,
    ) -> Result<()> {
        let record = CallbackRecord {
            checkout_request_id: None,
            result_code: None,
            receipt: paid.map(|p| storable(&cut(&p.trans_id, 64))),
            amount: paid.and_then(TillConfirmation::amount),
            payment_id: None,
            outcome,
            raw,
        };
        self.provider
            .write(async |c| db::payments::record_callback(c, &record).await)
            .await?;
        Ok(())
    }

    /// Till payments no sale has claimed, newest first: money to match or give back.
    pub async fn unclaimed_till_payments(&self, actor: &Actor) -> Result<Vec<TillPayment>> {
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        Ok(db::till_payments::unclaimed(&mut *self.db.read().await?, UNCLAIMED_LISTED).await?)
    }
}

/// The sandbox's till number.
const SANDBOX_TILL: &str = "000000";

/// Compares a secret in time that does not depend on where the first difference is.
fn same_secret(given: &str, ours: &str) -> bool {
    given.len() == ours.len()
        && given
            .bytes()
            .zip(ours.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// At most `max` characters, storable.
fn cut(text: &str, max: usize) -> String {
    storable(&text.chars().take(max).collect::<String>())
}
