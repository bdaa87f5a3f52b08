use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::Money;
use crate::domain::catalog::{
    Cursor, PriceChange, Product, ProductDraft, ProductQuery, SEARCH_TERM_CHARS, Sort, StockReason,
    TEXT_MATCHES,
};

/// The columns of a `Product`, read from `p` (products) and `c` (its category).
macro_rules! product_columns {
    () => {
        "select p.id, p.name, p.slug, p.sku, p.description, p.price, p.category_id,
            c.name as category_name, p.stock_quantity, p.in_stock, p.image_url, p.is_archived,
            p.version, p.created_at, p.updated_at, p.tax_type, p.item_class"
    };
}
const PRODUCT_COLUMNS: &str = product_columns!();
const PRODUCT_SELECT: &str = concat!(
    product_columns!(),
    " from products p join categories c on c.id = p.category_id"
);

/// One page of products. Typed words are matched as the starts of words through the search
/// terms (migration 8); a text that matches no word is tried as part of a name through
/// trigrams. Pages are keyset-paged on the sort key and id.
pub async fn search(conn: &mut PgConnection, query: &ProductQuery) -> sqlx::Result<Vec<Product>> {
    let words = query.words();
    if words.is_empty() {
        return page(conn, query, TextMatch::None).await;
    }
    let found = page(&mut *conn, query, TextMatch::Words(&words)).await?;
    let substring = query.text.trim();
    if !found.is_empty() || substring.chars().count() < 3 {
        return Ok(found);
    }
    // Past the first page, an empty page means the end of the word matches, unless there
    // never were any (then the pages are substring matches).
    if query.after.is_some() && any_word_match(&mut *conn, &words).await? {
        return Ok(found);
    }
    page(conn, query, TextMatch::Substring(substring)).await
}

enum TextMatch<'a> {
    None,
    Words(&'a [String]),
    Substring(&'a str),
}

/// `'tec' & 'spark'`: every word as one of the terms, cut to the length terms are indexed
/// at. Cast, not parsed: `words()` yields letters and digits only, so nothing needs quoting.
fn terms_tsquery(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            format!(
                "'{}'",
                w.chars().take(SEARCH_TERM_CHARS).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

async fn any_word_match(ex: impl PgExecutor<'_>, words: &[String]) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select 1 from bytemtaani_catalog_matches($1::tsquery, null, null, null, false, false, 1))",
    )
    .bind(terms_tsquery(words))
    .fetch_one(ex)
    .await
}

async fn page(
    ex: impl PgExecutor<'_>,
    query: &ProductQuery,
    text: TextMatch<'_>,
) -> sqlx::Result<Vec<Product>> {
    let mut sql = QueryBuilder::<Postgres>::new("");
    match text {
        // The first TEXT_MATCHES matches, however common the words: sorting every match
        // of a word in 4% of a million products took 45 ms a keystroke (BENCHMARKS.md).
        // Pages run on within them.
        TextMatch::Words(words) => {
            sql.push(PRODUCT_COLUMNS)
                .push(" from bytemtaani_catalog_matches(")
                .push_bind(terms_tsquery(words))
                .push("::tsquery, ")
                .push_bind(query.category_id)
                .push(", ")
                .push_bind(query.min_price)
                .push(", ")
                .push_bind(query.max_price)
                .push(", ")
                .push_bind(query.in_stock_only)
                .push(", ")
                .push_bind(query.include_archived)
                .push(", ")
                .push_bind(TEXT_MATCHES as i32)
                .push(") p join categories c on c.id = p.category_id where true");
        }
        // Fenced off from the order by, and capped the same way: otherwise PostgreSQL may
        // walk the whole name index hunting for matches at the far end of it.
        TextMatch::Substring(text) => {
            sql.push("select * from (").push(PRODUCT_SELECT);
            sql.push(" where p.name ilike ")
                .push_bind(format!("%{}%", super::escape_like(text)));
            push_filters(&mut sql, query);
            sql.push(" limit ")
                .push_bind(TEXT_MATCHES)
                .push(") p where true");
        }
        TextMatch::None => {
            sql.push(PRODUCT_SELECT).push(" where true");
            push_filters(&mut sql, query);
        }
    }
    match &query.after {
        None => {}
        Some(Cursor::Name(name, id)) => {
            sql.push(" and (p.name, p.id) > (")
                .push_bind(name.clone())
                .push(", ")
                .push_bind(*id)
                .push(")");
        }
        Some(Cursor::Price(price, id)) => {
            let op = if query.sort == Sort::PriceHighLow {
                "<"
            } else {
                ">"
            };
            sql.push(format!(" and (p.price, p.id) {op} ("))
                .push_bind(*price)
                .push(", ")
                .push_bind(*id)
                .push(")");
        }
        Some(Cursor::Created(at, id)) => {
            sql.push(" and (p.created_at, p.id) < (")
                .push_bind(*at)
                .push(", ")
                .push_bind(*id)
                .push(")");
        }
    }
    sql.push(match query.sort {
        Sort::Name => " order by p.name, p.id",
        Sort::PriceLowHigh => " order by p.price, p.id",
        Sort::PriceHighLow => " order by p.price desc, p.id desc",
        Sort::Newest => " order by p.created_at desc, p.id desc",
    });
    sql.push(" limit ").push_bind(query.limit);
    sql.build_query_as().fetch_all(ex).await
}

/// The category, price, stock and archive filters, after a `where`.
fn push_filters(sql: &mut QueryBuilder<'_, Postgres>, query: &ProductQuery) {
    if let Some(category) = query.category_id {
        sql.push(" and p.category_id = ").push_bind(category);
    }
    if let Some(min) = query.min_price {
        sql.push(" and p.price >= ").push_bind(min);
    }
    if let Some(max) = query.max_price {
        sql.push(" and p.price <= ").push_bind(max);
    }
    if query.in_stock_only {
        sql.push(" and p.stock_quantity > 0");
    }
    if !query.include_archived {
        sql.push(" and not p.is_archived");
    }
}

/// Products on sale with `threshold` units or fewer, emptiest first. No index serves it on
/// purpose: one on stock would make every sale's stock update a non-HOT one (migration 7).
pub async fn low_stock(
    ex: impl PgExecutor<'_>,
    threshold: i32,
    limit: i64,
) -> sqlx::Result<Vec<Product>> {
    sqlx::query_as(&format!(
        "{PRODUCT_SELECT} where not p.is_archived and p.stock_quantity <= $1
         order by p.stock_quantity, p.name, p.id limit $2"
    ))
    .bind(threshold)
    .bind(limit)
    .fetch_all(ex)
    .await
}

pub async fn by_id(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Product>> {
    sqlx::query_as(&format!("{PRODUCT_SELECT} where p.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await
}

pub async fn by_slug(ex: impl PgExecutor<'_>, slug: &str) -> sqlx::Result<Option<Product>> {
    sqlx::query_as(&format!("{PRODUCT_SELECT} where p.slug = $1"))
        .bind(slug)
        .fetch_optional(ex)
        .await
}

pub async fn by_sku(ex: impl PgExecutor<'_>, sku: &str) -> sqlx::Result<Option<Product>> {
    sqlx::query_as(&format!("{PRODUCT_SELECT} where p.sku = $1"))
        .bind(sku)
        .fetch_optional(ex)
        .await
}

pub async fn slug_taken(
    ex: impl PgExecutor<'_>,
    slug: &str,
    except: Option<Uuid>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select 1 from products where slug = $1 and id is distinct from $2)",
    )
    .bind(slug)
    .bind(except)
    .fetch_one(ex)
    .await
}

pub async fn insert(
    ex: impl PgExecutor<'_>,
    draft: &ProductDraft,
    slug: &str,
    stock: i32,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "insert into products (name, slug, sku, description, price, category_id, image_url,
                               stock_quantity, tax_type, item_class)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
    )
    .bind(&draft.name)
    .bind(slug)
    .bind(draft.sku.as_str())
    .bind(&draft.description)
    .bind(draft.price)
    .bind(draft.category_id)
    .bind(&draft.image_url)
    .bind(stock)
    .bind(draft.tax_type)
    .bind(&draft.item_class)
    .fetch_one(ex)
    .await
}

/// Saves an edit made from `version`. Returns the old price, or None when someone else
/// saved first (the version moved on), so the caller reports a conflict.
pub async fn update(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    version: i32,
    draft: &ProductDraft,
    slug: &str,
) -> sqlx::Result<Option<Money>> {
    sqlx::query_scalar(
        "update products p set name = $3, slug = $4, sku = $5, description = $6, price = $7,
                category_id = $8, image_url = $9, tax_type = $10, item_class = $11,
                version = p.version + 1
         from (select id, price from products where id = $1) old
         where p.id = old.id and p.version = $2
         returning old.price",
    )
    .bind(id)
    .bind(version)
    .bind(&draft.name)
    .bind(slug)
    .bind(draft.sku.as_str())
    .bind(&draft.description)
    .bind(draft.price)
    .bind(draft.category_id)
    .bind(&draft.image_url)
    .bind(draft.tax_type)
    .bind(&draft.item_class)
    .fetch_optional(ex)
    .await
}

pub async fn set_archived(ex: impl PgExecutor<'_>, id: Uuid, archived: bool) -> sqlx::Result<bool> {
    let done =
        sqlx::query("update products set is_archived = $2, version = version + 1 where id = $1")
            .bind(id)
            .bind(archived)
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a product that was never ordered (the foreign key refuses otherwise).
pub async fn delete(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from products where id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// An admin's count correction by `delta` as the person of `session`, recorded with them
/// (migration 23). Returns the new count, or None when it would go below zero.
pub async fn adjust_stock(
    ex: impl PgExecutor<'_>,
    session: Uuid,
    id: Uuid,
    delta: i32,
    reason: StockReason,
    note: &str,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar("select bytemtaani_adjust_stock($1, $2, $3, $4, $5)")
        .bind(session)
        .bind(id)
        .bind(delta)
        .bind(reason)
        .bind(note)
        .fetch_one(ex)
        .await
}

/// Stock, name and whether it is archived.
pub async fn stock_of(
    ex: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<(i32, String, bool)>> {
    sqlx::query_as("select stock_quantity, name, is_archived from products where id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await
}

pub async fn record_price_change(
    ex: impl PgExecutor<'_>,
    id: Uuid,
    old: Money,
    new: Money,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query("insert into price_history (product_id, old_price, new_price, changed_by) values ($1, $2, $3, $4)")
        .bind(id)
        .bind(old)
        .bind(new)
        .bind(by)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn price_history(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Vec<PriceChange>> {
    sqlx::query_as(
        "select h.old_price, h.new_price, u.username as changed_by_username, h.changed_at
         from price_history h join users u on u.id = h.changed_by
         where h.product_id = $1 order by h.changed_at desc, h.id",
    )
    .bind(id)
    .fetch_all(ex)
    .await
}

pub async fn ever_ordered(ex: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from order_items where product_id = $1)")
        .bind(id)
        .fetch_one(ex)
        .await
}
