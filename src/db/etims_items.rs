//! What KRA must know before it takes an invoice: each product registered with it, and its
//! item classes to check products against (migration 39).

use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::etims::Item;
use crate::domain::tax::TaxType;
use crate::gateway::etims::ItemClass;

#[derive(sqlx::FromRow)]
struct ItemRow {
    product_id: Uuid,
    name: String,
    sku: String,
    item_class: String,
    etims_item: i64,
    tax_type: TaxType,
    price: Money,
    registered: Option<Value>,
}

/// The products an invoice names (a sale's, or a return's with `return_id`), each with
/// what KRA last accepted of it (None: never registered).
pub async fn of_invoice(
    c: &mut PgConnection,
    order_id: Uuid,
    return_id: Option<Uuid>,
) -> sqlx::Result<Vec<(Item, Option<Value>)>> {
    let rows: Vec<ItemRow> = sqlx::query_as(
        "select p.id as product_id, p.name, p.sku, p.item_class, p.etims_item, p.tax_type,
                p.price, e.registered
         from order_items i
         -- each line's product by its key (the db module's note on order lines)
         cross join lateral (select id, name, sku, item_class, etims_item, tax_type, price
                             from products where id = i.product_id limit 1) p
         left join etims_items e on e.product_id = p.id
         where i.order_id = $1
           and ($2::uuid is null or i.product_id in (select product_id from return_items
                                                     where return_id = $2))
         order by p.etims_item",
    )
    .bind(order_id)
    .bind(return_id)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let item = Item {
                product_id: r.product_id,
                name: r.name,
                sku: r.sku,
                item_class: r.item_class,
                item_number: r.etims_item,
                tax_type: r.tax_type,
                price: r.price,
            };
            (item, r.registered)
        })
        .collect())
}

/// KRA accepted `master` for the product.
pub async fn registered(
    c: &mut PgConnection,
    product_id: Uuid,
    master: &Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into etims_items (product_id, registered) values ($1, $2)
         on conflict (product_id) do update
         set registered = excluded.registered, registered_at = now()",
    )
    .bind(product_id)
    .bind(master)
    .execute(c)
    .await?;
    Ok(())
}

/// The open-price line's item class (`bytemtaani migrate`, from [etims]).
pub async fn set_open_price_class(ex: impl PgExecutor<'_>, class: &str) -> sqlx::Result<()> {
    sqlx::query("update products set item_class = $1 where open_price")
        .bind(class)
        .execute(ex)
        .await?;
    Ok(())
}

/// KRA's clock when it last answered for `list` (None: never asked).
pub async fn asked_at(ex: impl PgExecutor<'_>, list: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select answered_at from etims_lists_asked where list = $1")
        .bind(list)
        .fetch_optional(ex)
        .await
}

pub async fn set_asked_at(c: &mut PgConnection, list: &str, at: &str) -> sqlx::Result<()> {
    sqlx::query(
        "insert into etims_lists_asked (list, answered_at) values ($1, $2)
         on conflict (list) do update set answered_at = excluded.answered_at",
    )
    .bind(list)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// Keeps KRA's item classes, added or changed.
pub async fn save_classes(c: &mut PgConnection, classes: &[ItemClass]) -> sqlx::Result<()> {
    let column = |f: fn(&ItemClass) -> Option<String>| classes.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "insert into etims_item_classes (code, name, level, tax_type, in_use)
         select code, name, level, nullif(tax, '')::tax_type, coalesce(used, 'Y') = 'Y'
         from unnest($1::text[], $2::text[], $3::int2[], $4::text[], $5::text[])
              as k(code, name, level, tax, used)
         where tax is null or tax in ('', 'A', 'B', 'C', 'D', 'E')
         on conflict (code) do update
         set name = excluded.name, level = excluded.level, tax_type = excluded.tax_type,
             in_use = excluded.in_use",
    )
    .bind(column(|k| Some(k.code.clone())))
    .bind(column(|k| Some(k.name.clone())))
    .bind(classes.iter().map(|k| k.level).collect::<Vec<_>>())
    .bind(column(|k| k.tax_type.clone()))
    .bind(column(|k| k.in_use.clone()))
    .execute(c)
    .await?;
    Ok(())
}

/// The class `code` as KRA's list kept here has it: not listed, listed (with its name and
/// whether KRA still uses it), or nothing to check against (no list fetched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnownClass {
    NoList,
    Unknown,
    Listed { name: String, in_use: bool },
}

pub async fn class(c: &mut PgConnection, code: &str) -> sqlx::Result<KnownClass> {
    let (any, name, in_use): (bool, Option<String>, Option<bool>) = sqlx::query_as(
        "select exists (select 1 from etims_item_classes), k.name, k.in_use
         from (select 1) one left join etims_item_classes k on k.code = $1",
    )
    .bind(code)
    .fetch_one(c)
    .await?;
    Ok(match (any, name, in_use) {
        (false, ..) => KnownClass::NoList,
        (true, Some(name), Some(in_use)) => KnownClass::Listed { name, in_use },
        _ => KnownClass::Unknown,
    })
}
