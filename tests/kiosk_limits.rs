//! What one customer ordering on their own (at a kiosk) may hold, with the shop's built-in
//! limits: a person cannot empty the shelves by ordering and never paying.

mod common;

use bytemtaani::config::Settings;
use bytemtaani::domain::Error;
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::service::Services;
use bytemtaani::service::auth::NewAccount;
use bytemtaani::service::gateways::Gateways;
use bytemtaani::service::pos::{Sale, Tender};
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

/// Services with the limits of `config/default.toml`, as a real shop gets them.
fn shop_limits(pool: &PgPool) -> Services {
    let customers = Settings::built_in().setup().unwrap().customers;
    services_limited(
        pool.clone().into(),
        Gateways::sandbox(SANDBOX_DELAY),
        customers,
    )
}

async fn order(s: &Services, buyer: &Actor, product: Uuid, quantity: i32) -> Result<Uuid, Error> {
    s.cart.add(buyer, product, quantity).await?;
    Ok(s.orders
        .place_from_cart(buyer, Uuid::new_v4())
        .await?
        .order
        .id)
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_customer_orders_ten_of_a_kind_and_two_unpaid_orders_at_most(pool: PgPool) {
    let s = shop_limits(&pool);
    let (admin, phones) = shop(&s).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "2999", 500).await;
    let amina = login_as(&s, "amina", Role::Customer).await;

    let eleven = s.cart.add(&amina, bank.id, 11).await;
    assert!(
        matches!(&eleven, Err(Error::Invalid { field: "Quantity", message }) if message.contains("at most 10 of Oraimo Power Bank")),
        "{eleven:?}"
    );
    let first = order(&s, &amina, bank.id, 10).await.unwrap();
    order(&s, &amina, bank.id, 10).await.unwrap();
    let third = order(&s, &amina, bank.id, 1).await;
    assert!(
        matches!(&third, Err(Error::Conflict(m)) if m.contains("2 orders waiting for payment")),
        "{third:?}"
    );
    assert_eq!(
        stock(&pool, &bank).await,
        480,
        "the refused order took nothing"
    );
    // Cancelling one makes room again.
    s.orders.cancel(&amina, first).await.unwrap();
    order(&s, &amina, bank.id, 1).await.unwrap();
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_customers_unpaid_order_is_released_sooner_than_a_tills(pool: PgPool) {
    let s = shop_limits(&pool);
    let (admin, phones) = shop(&s).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "2999", 50).await;
    let amina = login_as(&s, "amina", Role::Customer).await;
    let cashier = at_till(&s, "cashier").await;
    order(&s, &amina, bank.id, 5).await.unwrap();
    let sale = Sale {
        key: Uuid::new_v4(),
        customer: None,
        lines: vec![bytemtaani::domain::order::OrderLine {
            product_id: bank.id,
            quantity: 5,
            agreed_price: bank.price,
        }],
        discounts: Vec::new(),
        approval: None,
        tender: Tender::MpesaPush,
    };
    s.pos.sell(&cashier, sale).await.unwrap();
    // Both a quarter of an hour old: past the kiosk's 10 minutes, within the till's 30.
    sqlx::query("update orders set created_at = now() - interval '15 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(s.payments.reconcile().await.unwrap().orders_cancelled, 1);
    let left: Vec<Option<Uuid>> =
        sqlx::query_scalar("select served_by from orders where status = 'pending'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        left.len() == 1 && left[0].is_some(),
        "the till's sale waits: {left:?}"
    );
    assert_eq!(stock(&pool, &bank).await, 45);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_terminal_makes_five_accounts_an_hour(pool: PgPool) {
    let kiosk = shop_limits(&pool);
    let register = |s: &Services, n: usize| {
        let s = s.clone();
        async move {
            s.auth
                .register(NewAccount {
                    username: format!("shopper{n}"),
                    email: format!("shopper{n}@example.co.ke"),
                    phone: String::new(),
                    password: PASSWORD.into(),
                })
                .await
        }
    };
    for n in 0..5 {
        register(&kiosk, n).await.unwrap();
    }
    let sixth = register(&kiosk, 5).await;
    assert!(
        matches!(&sixth, Err(Error::Conflict(m)) if m.contains("ask at the counter")),
        "{sixth:?}"
    );
    // Another terminal counts its own.
    let other = shop_limits(&pool);
    assert!(register(&other, 6).await.is_ok());
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn wrong_passwords_at_a_kiosk_never_lock_staff_out(pool: PgPool) {
    let kiosk = shop_limits(&pool);
    shop(&kiosk).await; // makes the admin
    // Answered like any wrong login, the right password too: a staff password opens
    // nothing where strangers watch, and nothing is charged to the account.
    for guess in [
        "wild guess 1",
        "wild guess 2",
        PASSWORD,
        "wild guess 3",
        "wild guess 4",
    ] {
        let answer = kiosk.auth.login_customer("admin", guess).await;
        assert!(
            matches!(answer, Err(Error::InvalidCredentials)),
            "{answer:?}"
        );
    }
    for _ in 0..3 {
        let answer = kiosk.auth.login_customer("admin", "wild guess 5").await;
        assert!(
            matches!(answer, Err(Error::InvalidCredentials)),
            "{answer:?}"
        );
    }
    let till = shop_limits(&pool);
    till.auth
        .login("admin", PASSWORD)
        .await
        .expect("the admin still logs in at a till");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_terminal_pauses_logins_after_ten_failures_whatever_the_usernames(pool: PgPool) {
    let kiosk = shop_limits(&pool);
    login_as(&kiosk, "amina", Role::Customer).await;
    for n in 0..10 {
        let guess = kiosk
            .auth
            .login_customer(&format!("user{n}"), "password1")
            .await;
        assert!(matches!(guess, Err(Error::InvalidCredentials)), "{guess:?}");
    }
    let paused = kiosk.auth.login_customer("amina", PASSWORD).await;
    assert!(
        matches!(&paused, Err(Error::Conflict(m)) if m.contains("Too many failed logins at this terminal")),
        "{paused:?}"
    );
    // Only this terminal pauses; amina's account is not locked.
    let other = shop_limits(&pool);
    other.auth.login_customer("amina", PASSWORD).await.unwrap();
}
