//! Bulk demo data. Generated products are made by PostgreSQL itself (generate_series) in
//! batches, which loads a million rows far faster than sending them one by one.

use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::domain::etims::DEMO_ITEM_CLASSES;

/// Up to `limit` usernames of accounts the demo did not make (the walk-in customer aside),
/// and how many there are in all.
pub async fn real_accounts(
    ex: impl PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<(Vec<String>, i64)> {
    sqlx::query_as(
        "select coalesce((array_agg(username order by date_joined))[1:$1], '{}'), count(*)
         from users where not is_demo and id <> $2",
    )
    .bind(limit)
    .bind(crate::domain::user::WALK_IN)
    .fetch_one(ex)
    .await
}

/// Marks an account as the demo's (its password is public).
pub async fn mark_demo(ex: impl PgExecutor<'_>, username: &str) -> sqlx::Result<()> {
    sqlx::query("update users set is_demo = true where username = $1")
        .bind(username)
        .execute(ex)
        .await?;
    Ok(())
}

/// Inserts a category unless one with that slug exists.
pub async fn category(ex: impl PgExecutor<'_>, name: &str, slug: &str) -> sqlx::Result<()> {
    sqlx::query("insert into categories (name, slug) values ($1, $2) on conflict do nothing")
        .bind(name)
        .bind(slug)
        .execute(ex)
        .await?;
    Ok(())
}

pub struct DemoProduct<'a> {
    pub category_slug: &'a str,
    pub sku: &'a str,
    pub name: &'a str,
    pub price: &'a str,
    pub stock: i32,
    pub description: &'a str,
}

/// Inserts a product unless its SKU exists.
pub async fn product(ex: impl PgExecutor<'_>, slug: &str, p: &DemoProduct<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into products (name, slug, sku, description, price, category_id, stock_quantity)
         select $1, $2, $3, $4, $5::numeric, c.id, $6 from categories c where c.slug = $7
         on conflict do nothing",
    )
    .bind(p.name)
    .bind(slug)
    .bind(p.sku)
    .bind(p.description)
    .bind(p.price)
    .bind(p.stock)
    .bind(p.category_slug)
    .execute(ex)
    .await?;
    Ok(())
}

/// Generated products `from..=to`, numbered into their SKU (`GEN0000001`), so running the
/// seed again adds nothing twice. Names combine a brand, an item and a variant; each takes
/// its category's KRA item class ([`DEMO_ITEM_CLASSES`]), flour tax type A, as the demo's
/// own products do (without a class, KRA would refuse the first invoice selling one).
pub async fn generated_products(ex: impl PgExecutor<'_>, from: i64, to: i64) -> sqlx::Result<u64> {
    let (slugs, classes) = demo_classes();
    let done = sqlx::query(
        "with items as (select *, lower(regexp_replace(item, '[^A-Za-z0-9]+', '-', 'g')) as slug from (values
             (0, 'phones', 'Smartphone', 14999), (1, 'phones', 'Feature Phone', 2499),
             (2, 'accessories', 'Phone Case', 599), (3, 'accessories', 'Fast Charger', 1299),
             (4, 'accessories', 'USB-C Cable', 399), (5, 'accessories', 'Power Bank', 2499),
             (6, 'accessories', 'Earphones', 899), (7, 'electronics', 'Bluetooth Speaker', 3499),
             (8, 'electronics', 'LED TV', 32999), (9, 'electronics', 'Solar Lamp', 1899),
             (10, 'groceries', 'Maize Flour', 189), (11, 'groceries', 'Rice', 279),
             (12, 'groceries', 'Cooking Oil', 449), (13, 'groceries', 'Sugar', 199),
             (14, 'beverages', 'Tea Leaves', 249), (15, 'beverages', 'Instant Coffee', 599),
             (16, 'beverages', 'Mango Juice', 159), (17, 'household', 'Bar Soap', 129),
             (18, 'household', 'Washing Powder', 349), (19, 'household', 'Jerrycan', 499),
             (20, 'personal-care', 'Body Lotion', 399), (21, 'personal-care', 'Toothpaste', 189),
             (22, 'stationery', 'Exercise Book', 59), (23, 'stationery', 'Ballpoint Pens', 149))
             as v (n, category_slug, item, base_price)),
         brands (n, brand, slug) as (
             select n - 1, b, lower(regexp_replace(b, '[^A-Za-z0-9]+', '-', 'g')) from unnest(array[
             'Tecno', 'Infinix', 'Samsung', 'Oraimo', 'Nokia', 'Itel', 'Hisense', 'Sunking',
             'Jogoo', 'Pembe', 'Elianto', 'Kabras', 'Ketepa', 'Dormans', 'Pick n Peel',
             'Menengai', 'Omo', 'Kasuku', 'Nivea', 'Colgate', 'Kasuku Books', 'Bic', 'Mtaani',
             'Shujaa', 'Tuzo']) with ordinality as t(b, n)),
         variants (n, variant, slug) as (
             select n - 1, v, lower(regexp_replace(v, '[^A-Za-z0-9]+', '-', 'g')) from unnest(array[
             'Classic', 'Plus', 'Pro', 'Lite', 'Max', 'Mini', '2kg', '1L', '500g', 'Family Pack',
             'Blue', 'Black', 'Red', 'Gold', 'Eco']) with ordinality as t(v, n)),
         rows as (
             select g, i.category_slug, i.item, i.base_price, b.brand, v.variant,
                    b.slug || '-' || i.slug || '-' || v.slug as slug
             from generate_series($1::bigint, $2::bigint) g
             join items i on i.n = g % 24
             join brands b on b.n = (g / 24) % 25
             join variants v on v.n = (g / 600) % 15)
         insert into products (name, slug, sku, description, price, category_id, stock_quantity,
                               created_at, item_class, tax_type)
         select r.brand || ' ' || r.item || ' ' || r.variant,
                r.slug || '-' || r.g,
                'GEN' || lpad(r.g::text, 7, '0'),
                r.item || ' by ' || r.brand || ', ' || r.variant || '.',
                round(r.base_price * (0.85 + (r.g % 31) / 100.0)),
                c.id,
                (r.g * 7919) % 150,
                now() - (r.g % 2000) * interval '1 hour',
                k.class,
                case when r.item ilike '%flour%' then 'A'::tax_type else 'B'::tax_type end
         from rows r join categories c on c.slug = r.category_slug
         join unnest($3::text[], $4::text[]) as k(slug, class) on k.slug = r.category_slug
         on conflict do nothing",
    )
    .bind(from)
    .bind(to)
    .bind(slugs)
    .bind(classes)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

/// Drops the products table's non-unique indexes for a bulk load, after noting how to build
/// each again in `seed_deferred_indexes` (same transaction, so a crash cannot lose them).
/// Building an index once after the load is several times faster than maintaining it row
/// by row; the unique indexes stay so that `on conflict` still works.
pub async fn defer_secondary_indexes(conn: &mut PgConnection) -> sqlx::Result<usize> {
    sqlx::query("create table if not exists seed_deferred_indexes (statement text primary key)")
        .execute(&mut *conn)
        .await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "select format('drop index %I.%I', i.schemaname, i.indexname),
                replace(i.indexdef, 'CREATE INDEX ', 'CREATE INDEX IF NOT EXISTS ')
         from pg_indexes i
         join pg_class c on c.relname = i.indexname
         join pg_namespace n on n.oid = c.relnamespace and n.nspname = i.schemaname
         join pg_index x on x.indexrelid = c.oid
         where i.tablename = 'products' and i.schemaname = current_schema() and not x.indisunique",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (drop, create) in &indexes {
        sqlx::query("insert into seed_deferred_indexes values ($1) on conflict do nothing")
            .bind(create)
            .execute(&mut *conn)
            .await?;
        sqlx::raw_sql(drop).execute(&mut *conn).await?;
    }
    Ok(indexes.len())
}

/// Indexes a bulk load dropped and that are not built yet (also after an interrupted seed).
pub async fn deferred_indexes(ex: impl PgExecutor<'_> + Copy) -> sqlx::Result<Vec<String>> {
    let noted: bool = sqlx::query_scalar("select to_regclass('seed_deferred_indexes') is not null")
        .fetch_one(ex)
        .await?;
    if !noted {
        return Ok(Vec::new());
    }
    // The slow GIN builds first, so that two builders can take one each.
    sqlx::query_scalar("select statement from seed_deferred_indexes order by statement ilike '%using gin%' desc, statement")
        .fetch_all(ex)
        .await
}

/// Builds one deferred index (with more memory, so it finishes sooner) and crosses it off.
pub async fn build_deferred_index(pool: &PgPool, statement: &str) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("set local maintenance_work_mem = '512MB'")
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(statement).execute(&mut *tx).await?;
    sqlx::query("delete from seed_deferred_indexes where statement = $1")
        .bind(statement)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

pub async fn forget_deferred_indexes(ex: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query("drop table if exists seed_deferred_indexes")
        .execute(ex)
        .await?;
    Ok(())
}

/// Products of the catalog (not the open-price line, migration 33).
pub async fn count_products(ex: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from products where not open_price")
        .fetch_one(ex)
        .await
}

/// Category slugs and their KRA item classes, as two columns to bind.
fn demo_classes() -> (Vec<&'static str>, Vec<&'static str>) {
    DEMO_ITEM_CLASSES
        .iter()
        .map(|(slug, class, _)| (*slug, *class))
        .unzip()
}

/// The demo's KRA classes ([`DEMO_ITEM_CLASSES`], one per category), and flour, which
/// Kenya exempts from VAT, as tax type A. Products already classed, and the generated
/// ones (classed as they are made; a million rows to rewrite), are left as they are.
pub async fn tax_classes(ex: impl PgExecutor<'_>) -> sqlx::Result<()> {
    let (slugs, classes) = demo_classes();
    sqlx::query(
        "update products p
         set item_class = k.class,
             tax_type = case when p.name ilike '%flour%' then 'A'::tax_type else p.tax_type end
         from categories c
         join unnest($1::text[], $2::text[]) as k(slug, class) on k.slug = c.slug
         where c.id = p.category_id and p.item_class = '' and p.sku not like 'GEN%'",
    )
    .bind(slugs)
    .bind(classes)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn analyze(ex: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query("analyze products").execute(ex).await?;
    Ok(())
}
