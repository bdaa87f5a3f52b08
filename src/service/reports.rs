//! Sales reports for admins, and their export as CSV files.

use std::path::PathBuf;

use chrono::Days;

use crate::db::{self, Db};
use crate::domain::clock::{day_start, shop_date, shop_time};
use crate::domain::payment::PaymentMethod;
use crate::domain::report::{DAYS, DayTotal, MethodTotal, SalesReport, Tally};
use crate::domain::user::{Actor, Role};
use crate::domain::{Error, Money, Result};
use crate::service::access::authorize;

const TOP: i64 = 10;

#[derive(Clone)]
pub struct Reports {
    db: Db,
    /// Where exported CSV files go.
    dir: PathBuf,
}

impl Reports {
    pub fn new(db: Db, dir: PathBuf) -> Self {
        Reports { db, dir }
    }

    pub async fn sales(&self, actor: &Actor) -> Result<SalesReport> {
        authorize(&mut *self.db.read().await?, actor, Role::Admin).await?;
        let today = shop_date(db::now(&mut *self.db.read().await?).await?);
        let first = today
            .checked_sub_days(Days::new(DAYS as u64 - 1))
            .expect("30 days back is a date");
        let since = day_start(first);
        let found = db::reports::days(&mut *self.db.read().await?, since).await?;
        let days = first
            .iter_days()
            .take(DAYS as usize)
            .map(|date| {
                let (orders, amount) = found
                    .iter()
                    .find(|(day, ..)| *day == date)
                    .map_or((0, Money::ZERO), |(_, orders, amount)| (*orders, *amount));
                DayTotal {
                    date,
                    orders,
                    amount,
                }
            })
            .collect();
        let by_method = |rows: Vec<(PaymentMethod, i64, Money)>| {
            rows.into_iter()
                .map(|(method, payments, amount)| MethodTotal {
                    method,
                    payments,
                    amount,
                })
                .collect()
        };
        let methods_today =
            by_method(db::reports::methods(&mut *self.db.read().await?, day_start(today)).await?);
        let refunds_today =
            by_method(db::reports::refunds(&mut *self.db.read().await?, day_start(today)).await?);
        let top = db::reports::top_products(&mut *self.db.read().await?, since, TOP).await?;
        let tally = |(sales, amount)| Tally { sales, amount };
        let written_off =
            db::reports::written_off(&mut *self.db.read().await?, day_start(today)).await?;
        let discounted =
            db::reports::discounted(&mut *self.db.read().await?, day_start(today)).await?;
        Ok(SalesReport {
            today,
            days,
            methods_today,
            refunds_today,
            top,
            written_off_today: tally(written_off),
            discounted_today: tally(discounted),
        })
    }

    /// Writes the current report as a CSV file; returns where.
    pub async fn export(&self, actor: &Actor) -> Result<PathBuf> {
        let report = self.sales(actor).await?;
        let path = self.dir.join(format!(
            "sales-{}.csv",
            shop_time(db::now(&mut *self.db.read().await?).await?).format("%Y%m%d-%H%M%S")
        ));
        let written = async {
            tokio::fs::create_dir_all(&self.dir).await?;
            tokio::fs::write(&path, report.csv()).await
        };
        written
            .await
            .map_err(|err| Error::internal("writing a report", &err))?;
        Ok(path)
    }
}
