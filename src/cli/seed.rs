//! `bytemtaani seed --demo`: a believable Kenyan shop to try the app on.

use std::time::Instant;

use anyhow::{Result, bail};
use sqlx::PgPool;

use crate::db::seed::{self, DemoProduct};
use crate::domain::Error;
use crate::domain::user::Role;
use crate::domain::values::Slug;
use crate::service::Services;
use crate::service::auth::NewAccount;

const CATEGORIES: [(&str, &str); 8] = [
    ("Phones", "phones"),
    ("Accessories", "accessories"),
    ("Electronics", "electronics"),
    ("Groceries", "groceries"),
    ("Beverages", "beverages"),
    ("Household", "household"),
    ("Personal Care", "personal-care"),
    ("Stationery", "stationery"),
];

/// (category, SKU, name, price, stock, description)
#[rustfmt::skip]
const PRODUCTS: [(&str, &str, &str, &str, i32, &str); 24] = [
    (
        "phones",
        "6941059612345",
        "Tecno Spark 20 128GB",
        "15999",
        12,
        "6.6\" display, 50MP camera, 5000mAh battery, dual SIM.",
    ),
    (
        "phones",
        "6941059623456",
        "Infinix Hot 40i 256GB",
        "17499",
        8,
        "Big storage, 5000mAh battery, 18W fast charging.",
    ),
    (
        "phones",
        "8801643512345",
        "Samsung Galaxy A15 128GB",
        "21999",
        5,
        "Super AMOLED display, 4 years of security updates.",
    ),
    (
        "phones",
        "6901443112233",
        "Nokia 105 Feature Phone",
        "2299",
        30,
        "Long-lasting battery, FM radio, torch. M-Pesa menu ready.",
    ),
    (
        "accessories",
        "6941057412345",
        "Oraimo FreePods Lite",
        "2799",
        20,
        "True wireless earbuds with 40 hours of playback.",
    ),
    (
        "accessories",
        "6941057423456",
        "Oraimo 20000mAh Power Bank",
        "2999",
        15,
        "Charges two phones at once; fast charging in and out.",
    ),
    (
        "accessories",
        "BM-CBL-USBC1",
        "USB-C Charging Cable 1m",
        "399",
        60,
        "Braided, 3A fast-charge cable.",
    ),
    (
        "accessories",
        "BM-CASE-A15",
        "Galaxy A15 Silicone Case",
        "699",
        25,
        "Soft-touch case with camera protection.",
    ),
    (
        "electronics",
        "6921734912345",
        "Sunking Solar Lamp Pro",
        "3499",
        10,
        "Solar lamp with phone charging: lights a home all night.",
    ),
    (
        "electronics",
        "6942147412345",
        "Hisense 32\" Smart TV",
        "22999",
        4,
        "HD smart TV with YouTube and Netflix; free-to-air decoder built in.",
    ),
    (
        "electronics",
        "BM-SPK-BT10",
        "Mtaani Bluetooth Speaker",
        "1899",
        18,
        "Portable speaker, 10 hours of music, FM radio.",
    ),
    (
        "groceries",
        "6161100940012",
        "Jogoo Maize Flour 2kg",
        "189",
        80,
        "Sifted maize meal for ugali.",
    ),
    (
        "groceries",
        "6161101600012",
        "Pembe Home Baking Flour 2kg",
        "219",
        45,
        "All-purpose wheat flour for chapati and mandazi.",
    ),
    (
        "groceries",
        "6164001122334",
        "Pishori Rice 1kg",
        "279",
        40,
        "Aromatic Mwea pishori rice.",
    ),
    (
        "groceries",
        "6161100512345",
        "Elianto Corn Oil 1L",
        "449",
        35,
        "Cholesterol-free cooking oil.",
    ),
    (
        "groceries",
        "6161102312345",
        "Kabras Sugar 1kg",
        "199",
        50,
        "Pure cane sugar.",
    ),
    (
        "beverages",
        "6161100280012",
        "Ketepa Pride Tea Leaves 250g",
        "249",
        40,
        "Kenyan black tea for chai.",
    ),
    (
        "beverages",
        "6161100281234",
        "Dormans Instant Coffee 100g",
        "599",
        20,
        "Kenyan AA instant coffee.",
    ),
    (
        "beverages",
        "6161106612345",
        "Pick n Peel Mango Juice 1L",
        "229",
        30,
        "100% mango juice.",
    ),
    (
        "household",
        "6161100120012",
        "Menengai Bar Soap 800g",
        "189",
        50,
        "Multi-purpose washing bar.",
    ),
    (
        "household",
        "6001087412345",
        "Omo Washing Powder 1kg",
        "399",
        30,
        "Hand-wash detergent powder.",
    ),
    (
        "personal-care",
        "4005900123456",
        "Nivea Body Lotion 400ml",
        "699",
        15,
        "Deep moisture lotion.",
    ),
    (
        "personal-care",
        "6001067012345",
        "Colgate Toothpaste 100ml",
        "189",
        40,
        "Cavity protection with calcium.",
    ),
    (
        "stationery",
        "6161108812345",
        "Kasuku Exercise Book 96pg",
        "59",
        200,
        "Ruled A5 exercise book.",
    ),
];

/// Demo accounts, printed by the README for trying the app. Never use them in a real shop.
pub const DEMO_USERS: [(&str, &str, &str, Role); 3] = [
    (
        "admin",
        "admin@bytemtaani.co.ke",
        "duka-admin-2026",
        Role::Admin,
    ),
    (
        "cashier",
        "cashier@bytemtaani.co.ke",
        "duka-till-2026",
        Role::Staff,
    ),
    (
        "wanjiku",
        "wanjiku@example.co.ke",
        "duka-kiosk-2026",
        Role::Customer,
    ),
];

const BATCH: i64 = 100_000;
/// From this many generated products on, indexes are dropped and rebuilt around the load.
const BULK: i64 = 50_000;

/// Loads the demo shop; running it again adds only what is missing. `products` is the
/// catalog size wanted: the hand-picked ones plus generated ones up to that number. A
/// database holding accounts the demo did not make is refused unless `beside_real_accounts`:
/// the demo's passwords are public, so its logins would be a way into a real shop.
pub async fn demo(
    pool: &PgPool,
    services: &Services,
    products: i64,
    beside_real_accounts: bool,
) -> Result<()> {
    let (names, real) = seed::real_accounts(pool, 3).await?;
    if real > 0 && !beside_real_accounts {
        bail!(
            "this database holds {real} account(s) the demo did not make ({}{}): the demo's \
             logins have passwords printed in the README, so they would be a way into this \
             shop. Load the demo into a database of its own (scripts/demo.sh uses \
             bytemtaani_demo), or pass --add-demo-logins-beside-real-accounts if you really mean it.",
            names.join(", "),
            if real > 3 { ", …" } else { "" }
        );
    }
    for (name, slug) in CATEGORIES {
        seed::category(pool, name, slug).await?;
    }
    for (category_slug, sku, name, price, stock, description) in PRODUCTS {
        let product = DemoProduct {
            category_slug,
            sku,
            name,
            price,
            stock,
            description,
        };
        seed::product(pool, Slug::from_name(name).as_str(), &product).await?;
    }
    generate_products(pool, products - PRODUCTS.len() as i64).await?;
    seed::tax_classes(pool).await?;
    seed::analyze(pool).await?;
    for (username, email, password, role) in DEMO_USERS {
        let account = NewAccount {
            username: username.into(),
            email: email.into(),
            phone: String::new(),
            password: password.into(),
        };
        match services.auth.create_account(account, role).await {
            Ok(_) => seed::mark_demo(pool, username).await?,
            // Made by an earlier run: the username (or its email) is taken.
            Err(Error::Invalid {
                field: "Username" | "Email",
                ..
            }) => {}
            Err(err) => return Err(err.into()),
        }
    }
    println!(
        "Demo shop ready: {} products. Log in as admin, cashier or wanjiku (passwords in the README).",
        seed::count_products(pool).await?
    );
    Ok(())
}

/// Adds generated products numbered 1..=count. Large loads drop the secondary indexes,
/// load on two connections at once (one per core), then build the indexes two at a time.
/// Batches are idempotent and dropped indexes are noted in the database, so an interrupted
/// seed is finished by running it again.
async fn generate_products(pool: &PgPool, count: i64) -> Result<()> {
    build_deferred_indexes(pool).await?;
    if count <= 0 {
        return Ok(());
    }
    let started = Instant::now();
    if count >= BULK {
        let mut tx = pool.begin().await?;
        seed::defer_secondary_indexes(&mut tx).await?;
        tx.commit().await?;
    }
    let half = count / 2;
    tokio::try_join!(load(pool, 1, half), load(pool, half + 1, count))?;
    println!(
        "  loaded {count} products in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let building = Instant::now();
    if build_deferred_indexes(pool).await? > 0 {
        println!(
            "  built the search indexes in {:.1} s",
            building.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

async fn load(pool: &PgPool, from: i64, to: i64) -> Result<()> {
    let mut start = from;
    while start <= to {
        let end = (start + BATCH - 1).min(to);
        seed::generated_products(pool, start, end).await?;
        println!("  products {start}..={end}");
        start = end + 1;
    }
    Ok(())
}

/// Builds the indexes a bulk load dropped, two at a time; returns how many.
async fn build_deferred_indexes(pool: &PgPool) -> Result<usize> {
    let statements = seed::deferred_indexes(pool).await?;
    let count = statements.len();
    // Alternate them between two builders, so the two slow GIN builds run side by side.
    let (first, second): (Vec<_>, Vec<_>) = statements
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    tokio::try_join!(build_indexes(pool, first), build_indexes(pool, second))?;
    seed::forget_deferred_indexes(pool).await?;
    Ok(count)
}

async fn build_indexes(pool: &PgPool, statements: Vec<(usize, String)>) -> sqlx::Result<()> {
    for (_, statement) in statements {
        seed::build_deferred_index(pool, &statement).await?;
    }
    Ok(())
}
