use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::alert::{Alert, AlertKind, NewAlert};

/// Raises an alert; one about the same kind and provider reference is raised once.
pub async fn raise(ex: impl PgExecutor<'_>, alert: &NewAlert) -> sqlx::Result<()> {
    sqlx::query(
        "insert into payment_alerts (kind, payment_id, provider_ref, amount, detail)
         values ($1, $2, $3, $4, $5)
         on conflict (kind, provider_ref) where provider_ref is not null do nothing",
    )
    .bind(alert.kind.code())
    .bind(alert.payment_id)
    .bind(&alert.provider_ref)
    .bind(alert.amount)
    .bind(&alert.detail)
    .execute(ex)
    .await?;
    Ok(())
}

type Row = (
    i64,
    DateTime<Utc>,
    String,
    Option<Uuid>,
    Option<Uuid>,
    Option<String>,
    Option<Money>,
    String,
);

/// Alerts no admin has resolved yet, oldest first.
pub async fn open(ex: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Alert>> {
    let rows: Vec<Row> = sqlx::query_as(
        "select a.id, a.raised_at, a.kind, a.payment_id, p.order_id, a.provider_ref, a.amount,
                a.detail
         from payment_alerts a left join payments p on p.id = a.payment_id
         where a.resolved_at is null order by a.raised_at, a.id limit $1",
    )
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(id, raised_at, kind, payment_id, order_id, provider_ref, amount, detail)| {
                Some(Alert {
                    id,
                    raised_at,
                    kind: AlertKind::from_code(&kind)?,
                    payment_id,
                    order_id,
                    provider_ref,
                    amount,
                    detail,
                })
            },
        )
        .collect())
}

/// Marks an open alert resolved by `by`; false when it is not open (or not there).
pub async fn resolve(
    ex: impl PgExecutor<'_>,
    id: i64,
    by: Uuid,
    resolution: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update payment_alerts set resolved_at = now(), resolved_by = $2, resolution = $3
         where id = $1 and resolved_at is null",
    )
    .bind(id)
    .bind(by)
    .bind(resolution)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many alerts wait for an admin.
pub async fn count_open(ex: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from payment_alerts where resolved_at is null")
        .fetch_one(ex)
        .await
}
