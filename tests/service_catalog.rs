mod common;

use std::collections::HashSet;

use bytemtaani::domain::catalog::{ProductQuery, Sort, StockReason};
use bytemtaani::domain::{Error, Money};
use common::*;
use sqlx::PgPool;

async fn names(s: &bytemtaani::service::Services, query: ProductQuery) -> Vec<String> {
    s.catalog
        .search(&query)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| p.name)
        .collect()
}

/// The names on every page of `query`, following its cursors to the end.
async fn every_page(s: &bytemtaani::service::Services, mut query: ProductQuery) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let page = s.catalog.search(&query).await.unwrap();
        seen.extend(page.items.into_iter().map(|p| p.name));
        match page.next {
            Some(next) => query.after = Some(next),
            None => return seen,
        }
    }
}

fn text(t: &str) -> ProductQuery {
    ProductQuery {
        text: t.into(),
        ..Default::default()
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn search_matches_word_prefixes_then_parts_of_names(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let food = category(&s, &admin, "Groceries").await;
    product(&s, &admin, &phones, "Tecno Spark 20", "15999", 5).await;
    product(&s, &admin, &phones, "Samsung Galaxy A15", "21999", 0).await;
    product(&s, &admin, &food, "Jogoo Maize Flour 2kg", "189", 40).await;

    assert_eq!(names(&s, text("tec")).await, ["Tecno Spark 20"]);
    assert_eq!(names(&s, text("SPARK tec")).await, ["Tecno Spark 20"]);
    assert_eq!(
        names(&s, text("flour maize")).await,
        ["Jogoo Maize Flour 2kg"]
    );
    // Words also match the description ("... for the demo shop").
    assert_eq!(names(&s, text("demo")).await.len(), 3);
    // Part of a word inside a name: found through trigrams.
    assert_eq!(names(&s, text("laxy")).await, ["Samsung Galaxy A15"]);
    // Hostile text is only text.
    assert!(
        names(&s, text("'; drop table products; --"))
            .await
            .is_empty()
    );
    assert!(names(&s, text("100%_\\")).await.is_empty());
    assert_eq!(names(&s, text("")).await.len(), 3);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn typed_words_match_starts_of_name_and_sku_words_and_whole_description_words(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let mut tea = form(&phones, "Ketepa Pride Café", "KTP-500G", "249");
    tea.description = "Loose leaf from the Kericho highlands".into();
    s.admin.create_product(&admin, &tea, 3).await.unwrap();
    product(&s, &admin, &phones, "Superconductivityfan Deluxe", "99", 1).await;

    for typed in [
        "pri ket",
        "CAFÉ",
        "ca",
        "500",
        "ktp 5",
        "kericho",
        "leaf pride",
    ] {
        assert_eq!(
            names(&s, text(typed)).await,
            ["Ketepa Pride Café"],
            "{typed}"
        );
    }
    // A description's words count whole only; the start of one is not a match.
    assert!(names(&s, text("keric")).await.is_empty());
    // Words are matched on their first 16 characters: typing past that still finds them
    // (nor is this a part of the name, which would find it by trigrams instead).
    assert_eq!(
        names(&s, text("superconductivityf del")).await,
        ["Superconductivityfan Deluxe"]
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn word_matches_are_gathered_from_every_sixteenth_of_the_catalog(pool: PgPool) {
    let s = services(&pool);
    let (_, phones) = shop(&s).await;
    // Ids ending in bytes 0..96: six products in each of the sixteen index shards, fewer
    // than the cap in all.
    let made = 96;
    sqlx::query(
        "insert into products (id, name, slug, sku, price, category_id, stock_quantity)
         select ('00000000-0000-4000-8000-0000000000' || lpad(to_hex(g), 2, '0'))::uuid,
                'Kiondo Basket ' || lpad(g::text, 3, '0'), 'kiondo-' || g, 'KIO' || g, 1500, $1, 2
         from generate_series(0, $2 - 1) g",
    )
    .bind(phones.id)
    .bind(made)
    .execute(&pool)
    .await
    .unwrap();
    let seen = every_page(&s, text("kiondo bas")).await;
    assert_eq!(seen.len(), made as usize);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "in name order, once each"
    );
    let cheap = ProductQuery {
        max_price: Some(Money::from_cents(100_000)),
        ..text("kiondo")
    };
    assert!(
        names(&s, cheap).await.is_empty(),
        "filters apply in every shard"
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn filters_and_sorts_combine(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let food = category(&s, &admin, "Groceries").await;
    product(&s, &admin, &phones, "B Phone", "300", 1).await;
    product(&s, &admin, &phones, "A Phone", "100", 0).await;
    product(&s, &admin, &phones, "C Phone", "200", 3).await;
    product(&s, &admin, &food, "Rice", "150", 9).await;

    let in_phones = |sort| ProductQuery {
        category_id: Some(phones.id),
        sort,
        ..Default::default()
    };
    assert_eq!(
        names(&s, in_phones(Sort::Name)).await,
        ["A Phone", "B Phone", "C Phone"]
    );
    assert_eq!(
        names(&s, in_phones(Sort::PriceLowHigh)).await,
        ["A Phone", "C Phone", "B Phone"]
    );
    assert_eq!(
        names(&s, in_phones(Sort::PriceHighLow)).await,
        ["B Phone", "C Phone", "A Phone"]
    );
    assert_eq!(
        names(&s, in_phones(Sort::Newest)).await,
        ["C Phone", "A Phone", "B Phone"]
    );
    let ranged = ProductQuery {
        min_price: Some(Money::from_cents(15_000)),
        max_price: Some(Money::from_cents(25_000)),
        in_stock_only: true,
        sort: Sort::PriceLowHigh,
        ..Default::default()
    };
    assert_eq!(names(&s, ranged).await, ["Rice", "C Phone"]);
    let backwards = ProductQuery {
        min_price: Some(Money::from_cents(500)),
        max_price: Some(Money::from_cents(100)),
        ..Default::default()
    };
    assert!(matches!(
        s.catalog.search(&backwards).await,
        Err(Error::Invalid { .. })
    ));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn keyset_pages_cover_everything_once_in_every_sort(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    for i in 0..23 {
        // Repeated prices and names make the id the tie-breaker.
        let f = form(
            &phones,
            &format!("Item {}", i % 5),
            &format!("SKU{i}"),
            &format!("{}", 100 + i % 4),
        );
        s.admin.create_product(&admin, &f, 1).await.unwrap();
    }
    for sort in Sort::ALL {
        let mut query = ProductQuery {
            sort,
            limit: 5,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = s.catalog.search(&query).await.unwrap();
            pages += 1;
            seen.extend(page.items.iter().map(|p| p.id));
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 23, "{sort:?}");
        assert_eq!(
            seen.iter().collect::<HashSet<_>>().len(),
            23,
            "{sort:?}: no duplicates"
        );
        assert_eq!(pages, 5, "{sort:?}");
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_scanner_finds_products_by_sku_and_links_by_slug(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let mut f = form(&phones, "Nokia 105", "6901443112233", "2299");
    f.slug = "nokia-105-black".into();
    let p = s.admin.create_product(&admin, &f, 3).await.unwrap();
    assert_eq!(s.catalog.by_sku(" 6901443112233 ").await.unwrap().id, p.id);
    assert_eq!(s.catalog.by_slug("nokia-105-black").await.unwrap().id, p.id);
    assert!(matches!(
        s.catalog.by_sku("0000000000000").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.catalog.by_sku("not a sku").await,
        Err(Error::Invalid { .. })
    ));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn text_matches_page_to_the_end_in_both_modes(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    for i in 0..7 {
        let f = form(
            &phones,
            &format!("Samsung Galaxy A{i}"),
            &format!("GAL{i}"),
            "100",
        );
        s.admin.create_product(&admin, &f, 1).await.unwrap();
    }
    product(&s, &admin, &phones, "Nokia 105", "100", 1).await;
    // "gal" matches words; "laxy" only parts of names.
    for text in ["gal", "laxy"] {
        let query = ProductQuery {
            text: text.into(),
            limit: 3,
            ..Default::default()
        };
        let seen = every_page(&s, query).await;
        assert_eq!(seen.len(), 7, "{text}: {seen:?}");
        assert!(
            seen.iter().all(|n| n.contains("Galaxy")),
            "{text}: {seen:?}"
        );
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_common_word_pages_through_its_first_matches_in_name_order(pool: PgPool) {
    let s = services(&pool);
    let (_, phones) = shop(&s).await;
    let made = 250;
    sqlx::query(
        "insert into products (name, slug, sku, price, category_id, stock_quantity)
         select 'Solar Lamp ' || lpad(g::text, 3, '0'), 'lamp-' || g, 'LAMP' || g, 1899, $1, 5
         from generate_series(1, $2) g order by random()",
    )
    .bind(phones.id)
    .bind(made)
    .execute(&pool)
    .await
    .unwrap();
    let seen = every_page(&s, text("lamp")).await;
    let cap = bytemtaani::domain::catalog::TEXT_MATCHES as usize;
    assert_eq!(seen.len(), cap, "{made} match; the first {cap} are paged");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "in name order, once each"
    );
    // Typing more finds any of them, also one the cap left out.
    assert_eq!(names(&s, text("lamp 249")).await, ["Solar Lamp 249"]);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn stock_changes_are_announced_as_they_commit(pool: PgPool) {
    use futures::StreamExt;
    use std::time::Duration;

    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let p = product(&s, &admin, &phones, "Last Phone", "100", 1).await;
    let mut changes = s.catalog.changes().await.unwrap();
    let buyer = common::login_as(&s, "amina", bytemtaani::domain::user::Role::Customer).await;
    s.cart.add(&buyer, p.id, 1).await.unwrap();
    s.orders
        .place_from_cart(&buyer, uuid::Uuid::new_v4())
        .await
        .unwrap();

    let heard = tokio::time::timeout(Duration::from_secs(1), changes.next()).await;
    assert_eq!(
        heard.expect("announced within a second").unwrap(),
        bytemtaani::domain::live::Change::Product(p.id)
    );
    // A save that changes nothing a screen shows is not announced.
    let mut same = form(&phones, "Last Phone", "LAST-PHONE", "100");
    same.description = "new words only".into();
    s.admin
        .update_product(&admin, p.id, p.version, &same)
        .await
        .unwrap();
    let quiet = tokio::time::timeout(Duration::from_millis(300), changes.next()).await;
    assert!(quiet.is_err(), "{quiet:?}");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn every_screen_of_a_process_hears_changes_through_one_connection(pool: PgPool) {
    use futures::StreamExt;
    use std::time::Duration;

    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let p = product(&s, &admin, &phones, "Radio", "100", 1).await;
    let mut screens = Vec::new();
    for _ in 0..5 {
        screens.push(s.clone().catalog.changes().await.unwrap());
    }
    let listening = count(
        &pool,
        "select count(*) from pg_stat_activity
         where datname = current_database() and query like 'LISTEN%'",
    )
    .await;
    assert_eq!(listening, 1, "one LISTEN connection for five screens");
    s.admin
        .adjust_stock(&admin, p.id, 4, StockReason::Received, "delivery")
        .await
        .unwrap();
    for screen in &mut screens {
        let heard = tokio::time::timeout(Duration::from_secs(2), screen.next()).await;
        assert_eq!(
            heard.expect("every screen hears it"),
            Some(bytemtaani::domain::live::Change::Product(p.id))
        );
    }
}
