//! Money never lies in the set-up a real shop runs: providers chosen by the settings (real
//! Daraja and PayPal clients pointed at a local stand-in for their APIs), nothing pretend
//! unless asked for, and every M-Pesa answer checked with Daraja before it counts.

mod common;

use bytemtaani::config::Settings;
use bytemtaani::domain::Error;
use bytemtaani::domain::order::OrderStatus;
use bytemtaani::domain::payment::{PaymentMethod, PaymentStatus};
use bytemtaani::service::payments::CallbackOutcome;
use bytemtaani::service::pos::{Sale, Tender};
use common::providers::*;
use common::*;
use sqlx::PgPool;
use uuid::Uuid;
use wiremock::MockServer;

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_kiosk_in_a_real_shop_never_takes_a_pretend_card(pool: PgPool) {
    let server = MockServer::start().await;
    let s = real_shop(&pool, &server);
    assert_eq!(
        s.payments.offered(),
        [PaymentMethod::Mpesa, PaymentMethod::Paypal]
    );
    assert!(!s.payments.pretend());
    let (buyer, order) = ordered(&s).await;
    let refused = s.payments.pay_by_card(&buyer, order.id).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Conflict(m) if m.contains("no card terminal")),
        "{refused:?}"
    );
    assert_eq!(count(&pool, "select count(*) from payments").await, 0);
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Pending);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn nothing_is_pretend_unless_the_settings_ask_and_then_receipts_say_so(pool: PgPool) {
    let built_in = Settings::built_in()
        .payments
        .gateways_from(|_| None)
        .unwrap();
    let s = services_with(&pool, built_in);
    assert!(s.payments.offered().is_empty() && !s.payments.pretend());
    let (buyer, order) = ordered(&s).await;
    let refused = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap_err();
    assert!(matches!(&refused, Error::Conflict(m) if m.contains("M-Pesa is not offered")));
    let refused = s
        .payments
        .pay_by_paypal(&buyer, order.id)
        .await
        .unwrap_err();
    assert!(matches!(&refused, Error::Conflict(m) if m.contains("PayPal is not offered")));

    let cashier = at_till(&s, "cashier").await;
    let bank = s.catalog.search(&Default::default()).await.unwrap().items[0].clone();
    let sale = |tender| Sale {
        key: Uuid::new_v4(),
        customer: None,
        lines: vec![bytemtaani::domain::order::OrderLine {
            product_id: bank.id,
            quantity: 1,
            agreed_price: bank.price,
        }],
        discounts: Vec::new(),
        approval: None,
        tender,
    };
    let push = s.pos.sell(&cashier, sale(Tender::MpesaPush)).await;
    assert!(
        matches!(&push, Err(Error::Conflict(m)) if m.contains("M-Pesa code")),
        "{push:?}"
    );
    let cash = Tender::Cash { handed: bank.price };
    let real = s.pos.sell(&cashier, sale(cash.clone())).await.unwrap();
    assert!(!real.text().contains("SANDBOX"), "{}", real.text());

    // The demo's settings file asks for the sandbox: every receipt says so.
    let demo: toml::Table = toml::from_str(include_str!("../config/demo.toml")).unwrap();
    let mut settings = Settings::built_in();
    for (key, value) in demo["payments"].as_table().unwrap() {
        match key.as_str() {
            "mpesa" => settings.payments.mpesa = value.as_str().unwrap().into(),
            "paypal" => settings.payments.paypal = value.as_str().unwrap().into(),
            "card" => settings.payments.card = value.as_str().unwrap().into(),
            "till_confirmations" => {
                settings.payments.till_confirmations = value.as_str().unwrap().into()
            }
            other => panic!("demo.toml sets payments.{other}"),
        }
    }
    let pretend = settings.payments.gateways_from(|_| None).unwrap();
    let demo = services_with(&pool, pretend);
    assert!(demo.payments.pretend());
    let sold = demo.pos.sell(&cashier, sale(cash)).await.unwrap();
    assert_eq!(sold.lines()[0].trim(), "SANDBOX — NO MONEY");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_failure_callback_counts_only_when_daraja_confirms_it(pool: PgPool) {
    let server = MockServer::start().await;
    let (s, buyer, order, pushed) = pushed(&pool, &server, None).await;
    let first = pushed.gateway_ref.clone().unwrap();
    assert!(first.starts_with("ws_CO_TEST_"), "{first}");

    // "Cancelled by the customer", while Daraja still has the push on the phone.
    let early = s
        .payments
        .receive_callback(&callback(&first, 1032, "Request cancelled by user", 0, ""))
        .await
        .unwrap();
    assert!(
        matches!(&early, CallbackOutcome::Refused(r) if r.contains("Pending")),
        "{early:?}"
    );
    assert_eq!(
        s.payments.status(&buyer, pushed.id).await.unwrap().status,
        PaymentStatus::Pending
    );

    // A failure Daraja confirms fails the payment; the customer tries again and pays.
    daraja_query_says(&server, Some(1032)).await;
    let failed = s
        .payments
        .receive_callback(&callback(&first, 1032, "Request cancelled by user", 0, ""))
        .await
        .unwrap();
    assert_eq!(
        failed,
        CallbackOutcome::Failed("The customer cancelled the request on their phone.".into())
    );
    let retry = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap();
    assert_eq!(
        (retry.id, retry.status),
        (pushed.id, PaymentStatus::Pending)
    );
    daraja_query_says(&server, Some(0)).await;
    let paid = s
        .payments
        .receive_callback(&callback(
            retry.gateway_ref.as_deref().unwrap(),
            0,
            "ok",
            2999,
            "TKA1B2C3D4",
        ))
        .await
        .unwrap();
    assert_eq!(paid, CallbackOutcome::Accepted);
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Paid);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_callback_carrying_a_nul_is_recorded_and_still_settles(pool: PgPool) {
    let server = MockServer::start().await;
    let (s, _, order, pushed) = pushed(&pool, &server, Some(0)).await;

    // Not JSON at all, with a raw NUL byte: recorded as it came.
    let garbage = b"\x00\xffnot json".to_vec();
    let unreadable = s.payments.receive_callback(&garbage).await.unwrap();
    assert_eq!(unreadable, CallbackOutcome::Refused("unreadable".into()));
    let nul = callback(
        pushed.gateway_ref.as_deref().unwrap(),
        0,
        r"The service request \u0000 is processed",
        2999,
        "TKA1B2C3D5",
    );
    let outcome = s.payments.receive_callback(&nul).await.unwrap();
    assert_eq!(outcome, CallbackOutcome::Accepted);
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Paid);

    let kept: Vec<Vec<u8>> = sqlx::query_scalar("select raw from mpesa_callbacks order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(kept, [garbage, nul], "both kept byte for byte");
}
