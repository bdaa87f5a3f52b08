//! Shifts at the till: a cashier opens one with the float counted into the drawer, moves
//! cash in or out with a reason, asks for an X report at any time and closes with the cash
//! counted (the Z report: expected against counted, the difference recorded and audited).
//! The database ties every till sale, payment and return to the open shift and refuses them
//! without one. Admins list shifts and read any shift's report.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::{self, Db};
use crate::domain::clock::day_start;
use crate::domain::receipt::Shop;
use crate::domain::shift::{Shift, ShiftFigures, ShiftFilter, ShiftReport, ShiftSummary};
use crate::domain::user::{Actor, Role};
use crate::domain::values::{limits, parse_search, parse_text};
use crate::domain::{Error, Money, Result};
use crate::service::access::authorize;

/// Shifts listed at most.
const LISTED: i64 = 200;
/// Shifts summed in one summary at most.
const SUMMED: i64 = 1_000;

/// Which way cash moves through the drawer outside sales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CashMove {
    In,
    Out,
}

#[derive(Clone)]
pub struct Shifts {
    db: Db,
    shop: Shop,
}

impl Shifts {
    pub fn new(db: Db, shop: Shop) -> Self {
        Shifts { db, shop }
    }

    /// The actor's open shift, if any.
    pub async fn current(&self, actor: &Actor) -> Result<Option<Shift>> {
        let mut conn = self.db.read().await?;
        let me = authorize(&mut *conn, actor, Role::Staff).await?;
        Ok(db::shifts::open_of(&mut *conn, me.user_id).await?)
    }

    pub async fn open(&self, actor: &Actor, float: &str) -> Result<Shift> {
        let float = Money::parse("Float", float)?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Staff).await?;
        let id = db::shifts::open(&mut *tx, me.session, float).await?;
        let details = json!({ "float": float });
        db::audit::record(
            &mut *tx,
            me.user_id,
            "shift.open",
            "shift",
            Some(id),
            details,
        )
        .await?;
        let shift = db::shifts::by_id(&mut *tx, id)
            .await?
            .ok_or_else(not_found)?;
        tx.commit().await?;
        Ok(shift)
    }

    /// Cash put into the drawer or taken out of it (a supplier paid), with the reason.
    pub async fn move_cash(
        &self,
        actor: &Actor,
        way: CashMove,
        amount: &str,
        reason: &str,
    ) -> Result<Money> {
        let amount = Money::parse("Amount", amount)?;
        if amount == Money::ZERO {
            return Err(Error::invalid("Amount", "more than 0"));
        }
        let reason = parse_text("Reason", reason, limits::REASON)?;
        if reason.is_empty() {
            return Err(Error::invalid("Reason", "say what the cash is for"));
        }
        let signed = match way {
            CashMove::In => amount.amount(),
            CashMove::Out => -amount.amount(),
        };
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Staff).await?;
        db::shifts::move_cash(&mut *tx, me.session, signed, &reason).await?;
        let details = json!({ "amount": signed, "reason": reason });
        db::audit::record(&mut *tx, me.user_id, "shift.cash", "shift", None, details).await?;
        tx.commit().await?;
        Ok(amount)
    }

    /// The X report of the actor's open shift.
    pub async fn report(&self, actor: &Actor) -> Result<ShiftReport> {
        let mut conn = self.db.read().await?;
        let me = authorize(&mut *conn, actor, Role::Staff).await?;
        let shift = db::shifts::open_of(&mut *conn, me.user_id)
            .await?
            .ok_or(Error::NoShift)?;
        self.report_on(&mut conn, shift).await
    }

    /// Closes the actor's shift with the cash counted: the Z report.
    pub async fn close(&self, actor: &Actor, counted: &str) -> Result<ShiftReport> {
        let counted = Money::parse("Counted cash", counted)?;
        let mut tx = self.db.begin().await?;
        let me = authorize(&mut *tx, actor, Role::Staff).await?;
        let id = db::shifts::close(&mut *tx, me.session, counted).await?;
        let shift = db::shifts::by_id(&mut *tx, id)
            .await?
            .ok_or_else(not_found)?;
        let details = json!({
            "expected": shift.expected_cash, "counted": shift.counted_cash,
            "difference": shift.difference(),
        });
        db::audit::record(
            &mut *tx,
            me.user_id,
            "shift.close",
            "shift",
            Some(id),
            details,
        )
        .await?;
        let report = self.report_on(&mut tx, shift).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Shifts opened between two of the shop's days (inclusive), by cashier, newest first.
    pub async fn list(&self, actor: &Actor, filter: &ShiftFilter) -> Result<Vec<Shift>> {
        let (from, to, cashier) = wanted(filter)?;
        let mut conn = self.db.read().await?;
        authorize(&mut *conn, actor, Role::Admin).await?;
        Ok(db::shifts::list(&mut *conn, from, to, &cashier, LISTED).await?)
    }

    /// The shifts a filter finds, summed (a cashier's week, the whole shop's day), for
    /// admins: every figure of their reports added up, with the cash counted at the closes.
    pub async fn summary(&self, actor: &Actor, filter: &ShiftFilter) -> Result<ShiftSummary> {
        let (from, to, cashier) = wanted(filter)?;
        let mut conn = self.db.read().await?;
        authorize(&mut *conn, actor, Role::Admin).await?;
        let shifts = db::shifts::list(&mut *conn, from, to, &cashier, SUMMED + 1).await?;
        if shifts.len() > SUMMED as usize {
            return Err(Error::invalid(
                "Dates",
                format!("more than {SUMMED} shifts: choose fewer days or one cashier"),
            ));
        }
        let mut figures = ShiftFigures::default();
        let (mut floats, mut counted, mut difference) = (Money::ZERO, Money::ZERO, Money::ZERO);
        for shift in &shifts {
            figures.add(&db::shifts::figures(&mut conn, shift).await?);
            floats = floats + shift.opening_float;
            counted = counted + shift.counted_cash.unwrap_or(Money::ZERO);
            difference = difference + shift.difference().unwrap_or(Money::ZERO);
        }
        Ok(ShiftSummary {
            shop: self.shop.clone(),
            filter: filter.clone(),
            shifts: shifts.len() as i64,
            open: shifts.iter().filter(|s| s.closed_at.is_none()).count() as i64,
            floats,
            figures,
            counted,
            difference,
            at: db::now(&mut *conn).await?,
        })
    }

    /// Any shift's report (X while open, Z once closed), for admins.
    pub async fn report_of(&self, actor: &Actor, id: Uuid) -> Result<ShiftReport> {
        let mut conn = self.db.read().await?;
        authorize(&mut *conn, actor, Role::Admin).await?;
        let shift = db::shifts::by_id(&mut *conn, id)
            .await?
            .ok_or_else(not_found)?;
        self.report_on(&mut conn, shift).await
    }

    async fn report_on(&self, conn: &mut PgConnection, shift: Shift) -> Result<ShiftReport> {
        let figures = db::shifts::figures(conn, &shift).await?;
        Ok(ShiftReport {
            shop: self.shop.clone(),
            at: shift.closed_at.unwrap_or_else(Utc::now),
            shift,
            figures,
        })
    }
}

fn not_found() -> Error {
    Error::NotFound("The shift".into())
}

/// A filter as the database takes it: opened from, opened before, part of a cashier's name.
type Wanted = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, String);

fn wanted(filter: &ShiftFilter) -> Result<Wanted> {
    filter.validate()?;
    let cashier = match filter.cashier.trim() {
        "" => String::new(),
        text => parse_search("Cashier", text)?,
    };
    Ok((
        filter.from.map(day_start),
        filter.to.and_then(|d| d.succ_opt()).map(day_start),
        cashier,
    ))
}
