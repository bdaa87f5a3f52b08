//! eTIMS invoices: numbered by the database as sales and returns commit (migration 37), sent
//! from here in number order, KRA's answers stored.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::db::listen;
use crate::domain::Money;
use crate::domain::etims::{
    Fiscal, InvoiceKind, InvoiceLine, InvoiceState, Paid, QueuedInvoice, Signed,
};
use crate::domain::payment::PaymentMethod;
use crate::domain::tax::TaxType;
use crate::gateway::etims::Signature;

/// Turns numbering on or off and names the branch (`bytemtaani migrate`, from [etims]).
pub async fn set_policy(ex: impl PgExecutor<'_>, enabled: bool, branch: &str) -> sqlx::Result<()> {
    sqlx::query("update etims_policy set enabled = $1, branch = $2")
        .bind(enabled)
        .bind(branch)
        .execute(ex)
        .await?;
    Ok(())
}

/// An admin's resend of a refused invoice (the database checks the session is an admin's);
/// false when it is not refused.
pub async fn resend(ex: impl PgExecutor<'_>, session: Uuid, invoice: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("select bytemtaani_etims_resend($1, $2)")
        .bind(session)
        .bind(invoice)
        .fetch_one(ex)
        .await
}

/// One sender at a time, for the whole shop, until the transaction ends.
pub async fn try_lock(c: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar("select pg_try_advisory_xact_lock(hashtext('bytemtaani.etims'))")
        .fetch_one(c)
        .await
}

/// The first invoice KRA has not answered yet, with whether its time to be sent has come.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unsent {
    pub id: Uuid,
    pub number: i64,
    pub kind: InvoiceKind,
    pub order_id: Uuid,
    pub return_id: Option<Uuid>,
    pub original_number: Option<i64>,
    pub issued_at: DateTime<Utc>,
    pub state: InvoiceState,
    pub attempts: i32,
    pub due: bool,
    pub cashier: String,
    /// A return's goods went back on the shelf (None: not a return).
    pub restocked: Option<bool>,
}

pub async fn first_unsent(c: &mut PgConnection, branch: &str) -> sqlx::Result<Option<Unsent>> {
    sqlx::query_as(
        "select i.id, i.number, i.kind, i.order_id, i.return_id, i.original_number, i.issued_at,
                i.state, i.attempts, i.next_attempt_at <= now() as due,
                coalesce(u.username, '') as cashier, r.restocked
         -- the first by the unsent index, before any join: KRA away for a day leaves thousands
         from (select * from etims_invoices
               where branch = $1 and state in ('pending', 'refused')
               order by number limit 1) i
         join orders o on o.id = i.order_id
         left join returns r on r.id = i.return_id
         left join users u on u.id = coalesce(r.taken_by, o.served_by, o.user_id)",
    )
    .bind(branch)
    .fetch_optional(c)
    .await
}

#[derive(sqlx::FromRow)]
struct LineRow {
    name: String,
    sku: String,
    item_class: String,
    etims_item: i64,
    tax_type: TaxType,
    quantity: i32,
    price: Money,
    discount: Money,
}

/// What an invoice declares: a sale's lines, a return's lines, or (a paid sale cancelled)
/// the whole sale again; each at the tax type it was sold under.
pub async fn lines(
    c: &mut PgConnection,
    order_id: Uuid,
    return_id: Option<Uuid>,
) -> sqlx::Result<Vec<InvoiceLine>> {
    let rows: Vec<LineRow> = sqlx::query_as(
        "select p.name, p.sku, p.item_class, p.etims_item, i.tax_type,
                coalesce(ri.quantity, i.quantity) as quantity,
                coalesce(ri.price, i.price) as price,
                coalesce(ri.discount, i.discount) as discount
         from order_items i
         -- each line's product by its key (the db module's note on order lines)
         cross join lateral (select id, name, sku, item_class, etims_item from products
                             where id = i.product_id limit 1) p
         left join return_items ri on ri.return_id = $2 and ri.product_id = i.product_id
         where i.order_id = $1 and ($2::uuid is null or ri.return_id is not null)
         order by p.name, p.id",
    )
    .bind(order_id)
    .bind(return_id)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| InvoiceLine {
            name: r.name,
            sku: r.sku,
            item_class: r.item_class,
            item_number: r.etims_item,
            tax_type: r.tax_type,
            quantity: r.quantity,
            price: r.price,
            discount: r.discount,
        })
        .collect())
}

/// How the sale was paid: by one method, or in parts.
pub async fn paid(c: &mut PgConnection, order_id: Uuid) -> sqlx::Result<Paid> {
    let (split, method): (Option<bool>, Option<PaymentMethod>) = sqlx::query_as(
        "select bool_or(split), min(method) from payments
         where order_id = $1 and status = 'successful'",
    )
    .bind(order_id)
    .fetch_one(c)
    .await?;
    Ok(match (split, method) {
        (Some(true), _) => Paid::InParts,
        (_, Some(method)) => Paid::By(method),
        (_, None) => Paid::By(PaymentMethod::Cash),
    })
}

pub async fn signed(c: &mut PgConnection, id: Uuid, s: &Signature) -> sqlx::Result<()> {
    sqlx::query(
        "update etims_invoices set state = 'signed', attempts = attempts + 1, last_error = null,
                receipt_number = $2, total_receipts = $3, internal_data = $4, signature = $5,
                scu_time = $6, signed_at = now()
         where id = $1",
    )
    .bind(id)
    .bind(s.receipt_number)
    .bind(s.total_receipts)
    .bind(&s.internal_data)
    .bind(&s.signature)
    .bind(&s.scu_time)
    .execute(&mut *c)
    .await?;
    // Heard by every terminal as this commits: a till holding its receipt prints the signed one.
    listen::announce(c, listen::INVOICE_ANSWERED_CHANNEL, &[id]).await
}

/// KRA's answer was not a signature: `state` with its reason, to be tried again after
/// `retry_in` seconds when it is still pending.
pub async fn answered(
    c: &mut PgConnection,
    id: Uuid,
    state: InvoiceState,
    reason: &str,
    retry_in: f64,
) -> sqlx::Result<()> {
    sqlx::query(
        "update etims_invoices set state = $2, attempts = attempts + 1, last_error = $3,
                next_attempt_at = now() + make_interval(secs => $4)
         where id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(reason)
    .bind(retry_in)
    .execute(&mut *c)
    .await?;
    if state == InvoiceState::Pending {
        return Ok(());
    }
    listen::announce(c, listen::INVOICE_ANSWERED_CHANNEL, &[id]).await
}

/// What a receipt prints of an invoice ([`FiscalRow`]).
const FISCAL: &str = "select id, number, kind, state, receipt_number, total_receipts,
                             internal_data, signature, scu_time
                      from etims_invoices";

#[derive(sqlx::FromRow)]
struct FiscalRow {
    id: Uuid,
    number: i64,
    kind: InvoiceKind,
    state: InvoiceState,
    receipt_number: Option<i64>,
    total_receipts: Option<i64>,
    internal_data: Option<String>,
    signature: Option<String>,
    scu_time: Option<String>,
}

impl From<FiscalRow> for Fiscal {
    fn from(r: FiscalRow) -> Self {
        let signed = match (r.receipt_number, r.total_receipts, r.signature) {
            (Some(receipt_number), Some(total_receipts), Some(signature)) => Some(Signed {
                receipt_number,
                total_receipts,
                internal_data: r.internal_data.unwrap_or_default(),
                signature,
                scu_time: r.scu_time.unwrap_or_default(),
            }),
            _ => None,
        };
        Fiscal {
            id: r.id,
            number: r.number,
            kind: r.kind,
            state: r.state,
            signed,
        }
    }
}

/// A sale's invoice, or with `return_id` that return's credit note, if it has one (the
/// same choice as [`lines`]).
pub async fn fiscal(
    ex: impl PgExecutor<'_>,
    order_id: Uuid,
    return_id: Option<Uuid>,
) -> sqlx::Result<Option<Fiscal>> {
    let row: Option<FiscalRow> = sqlx::query_as(&format!(
        "{FISCAL} where order_id = $1
           and case when $2::uuid is null then kind = 'sale' else return_id = $2 end"
    ))
    .bind(order_id)
    .bind(return_id)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(Fiscal::from))
}

/// The invoice `id` as it stands now.
pub async fn fiscal_by_id(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Fiscal>> {
    let row: Option<FiscalRow> = sqlx::query_as(&format!("{FISCAL} where id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(Fiscal::from))
}

/// KRA's item classes kept, KRA's time of its last answer about them (the list `classes`
/// of `etims_lists_asked`), and when KRA last signed an invoice.
pub async fn device(
    ex: impl PgExecutor<'_>,
    classes: &str,
) -> sqlx::Result<(i64, Option<String>, Option<DateTime<Utc>>)> {
    sqlx::query_as(
        "select (select count(*) from etims_item_classes),
                (select answered_at from etims_lists_asked where list = $1),
                (select signed_at from etims_invoices where state = 'signed'
                 order by number desc limit 1)",
    )
    .bind(classes)
    .fetch_one(ex)
    .await
}

/// Invoices not yet answered (oldest first), then the latest answered: `limit` in all.
pub async fn queue(ex: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<QueuedInvoice>> {
    sqlx::query_as(
        "select id, number, kind, order_id, issued_at, state, attempts, last_error, signature
         from etims_invoices
         order by state in ('pending', 'refused') desc,
                  case when state in ('pending', 'refused') then number end,
                  number desc
         limit $1",
    )
    .bind(limit)
    .fetch_all(ex)
    .await
}
