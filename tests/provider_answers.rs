//! Every provider answer honoured, in a real shop's set-up (real Daraja and PayPal clients
//! against local stand-ins): one request however many presses race, a slow answer is not a
//! refusal, a held or wrong capture never settles, a lost callback never costs the customer
//! their order, and no order with a push on the phone is cancelled without asking Daraja.
//! Money that cannot settle is shown to an admin.

mod common;

use std::time::Duration;

use bytemtaani::domain::Error;
use bytemtaani::domain::alert::AlertKind;
use bytemtaani::domain::order::OrderStatus;
use bytemtaani::domain::payment::{PaymentMethod, PaymentStatus, RequestState};
use bytemtaani::gateway::daraja::{Daraja, DarajaConfig};
use bytemtaani::service::Services;
use bytemtaani::service::gateways::Gateways;
use bytemtaani::service::payments::CallbackOutcome;
use common::providers::*;
use common::*;
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PUSH: &str = "/mpesa/stkpush/v1/processrequest";

/// The kinds of the alerts open for an admin, oldest first.
async fn alert_kinds(s: &Services) -> Vec<AlertKind> {
    let admin = s.auth.login("admin", PASSWORD).await.unwrap().into();
    s.payments
        .alerts(&admin)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.kind)
        .collect()
}

/// A success callback for the payment's current push, for the KSh 2,999 order.
fn paid_callback(checkout: &str, receipt: &str) -> Vec<u8> {
    callback(checkout, 0, "ok", 2999, receipt)
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn racing_presses_send_one_request_and_a_retry_after_a_real_failure_works(pool: PgPool) {
    let server = MockServer::start().await;
    daraja_query_says(&server, None).await;
    let s = real_shop(&pool, &server);
    let (buyer, order) = ordered(&s).await;
    let presses = (0..3).map(|_| s.payments.pay_by_mpesa(&buyer, order.id, "0712 345 678"));
    let answers = futures::future::join_all(presses).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(requests_to(&server, PUSH).await, 1, "one push on the phone");
    let pushed = s
        .payments
        .status(&buyer, answers[0].as_ref().unwrap().id)
        .await;
    let checkout = pushed.unwrap().gateway_ref.unwrap();

    // Daraja confirms the customer cancelled: a new press sends a new push.
    daraja_query_says(&server, Some(1032)).await;
    let failed = s
        .payments
        .receive_callback(&callback(&checkout, 1032, "cancelled", 0, ""))
        .await
        .unwrap();
    assert!(matches!(failed, CallbackOutcome::Failed(_)), "{failed:?}");
    let retry = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap();
    assert_eq!(
        requests_to(&server, PUSH).await,
        1,
        "after the reset: one more"
    );
    assert_ne!(retry.gateway_ref.as_deref(), Some(checkout.as_str()));
    assert_eq!(retry.request_state, Some(RequestState::Sent));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn racing_paypal_presses_create_one_paypal_order_and_cards_settle_once(pool: PgPool) {
    let server = MockServer::start().await;
    paypal_creates(&server, "5O190127TN364715T").await;
    let s = real_shop(&pool, &server);
    let (buyer, order) = ordered(&s).await;
    let presses = (0..5).map(|_| s.payments.pay_by_paypal(&buyer, order.id));
    let answers = futures::future::join_all(presses).await;
    assert_eq!(requests_to(&server, "/v2/checkout/orders").await, 1);
    assert_eq!(
        answers.iter().filter(|a| a.is_ok()).count(),
        1,
        "{answers:?}"
    );

    // The demo's pretend card terminal: five presses, one approval, no errors.
    let demo = services(&pool);
    let phones = demo.catalog.categories().await.unwrap().remove(0);
    let admin = demo.auth.login("admin", PASSWORD).await.unwrap().into();
    let radio = product(&demo, &admin, &phones, "Radio", "1295", 5).await;
    demo.cart.add(&buyer, radio.id, 1).await.unwrap();
    let second = demo
        .orders
        .place_from_cart(&buyer, uuid::Uuid::new_v4())
        .await
        .unwrap()
        .order;
    let cards = (0..5).map(|_| demo.payments.pay_by_card(&buyer, second.id));
    let cards = futures::future::join_all(cards).await;
    assert!(cards.iter().all(Result::is_ok), "{cards:?}");
    let paid = count(
        &pool,
        "select count(*) from payments where method = 'card' and status = 'successful'",
    )
    .await;
    assert_eq!(paid, 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_push_answered_too_late_stays_unresolved_and_its_money_is_shown(pool: PgPool) {
    let server = MockServer::start().await;
    daraja_query_says(&server, Some(0)).await;
    // Daraja takes the push but answers after the client gave up.
    Mock::given(method("POST"))
        .and(path(PUSH))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .with_priority(1)
        .mount(&server)
        .await;
    let settings = real_settings(&server).payments.daraja;
    let daraja = Daraja::new(DarajaConfig {
        base_url: settings.base_url,
        consumer_key: "key".into(),
        consumer_secret: "secret".into(),
        shortcode: settings.shortcode,
        passkey: "passkey".into(),
        callback_url: settings.callback_url,
        transaction_type: settings.transaction_type,
    })
    .with_timeout(Duration::from_millis(300));
    let gateways = Gateways::none(SANDBOX_DELAY).with_daraja(daraja);
    let s = services_with(&pool, gateways);
    let (buyer, order) = ordered(&s).await;

    let pushed = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap();
    assert_eq!(
        (pushed.status, pushed.request_state),
        (PaymentStatus::Pending, Some(RequestState::Unresolved)),
        "a timeout is not a refusal"
    );
    let again = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap();
    assert_eq!(again.request_state, Some(RequestState::Unresolved));
    assert_eq!(
        requests_to(&server, PUSH).await,
        1,
        "no second push meanwhile"
    );

    // The customer paid the push whose id never reached the shop.
    let unknown = s
        .payments
        .receive_callback(&paid_callback("ws_CO_NEVER_HEARD", "TKA1B2C3D6"))
        .await
        .unwrap();
    assert!(
        matches!(&unknown, CallbackOutcome::Refused(r) if r.contains("money to match")),
        "{unknown:?}"
    );
    // Reconciliation never cancels it, however old.
    sqlx::query("update orders set created_at = now() - interval '2 hours'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(s.payments.reconcile().await.unwrap().orders_cancelled, 0);
    assert_eq!(
        alert_kinds(&s).await,
        [AlertKind::UnresolvedRequest, AlertKind::UnmatchedMoney]
    );
    // An admin matches it: confirmed with the receipt, the order is paid.
    let admin = s.auth.login("admin", PASSWORD).await.unwrap().into();
    s.payments
        .confirm(&admin, pushed.id, "TKA1B2C3D6", pushed.amount)
        .await
        .unwrap();
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Paid);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_held_or_wrong_paypal_capture_never_settles_and_a_lost_answer_is_asked_again(
    pool: PgPool,
) {
    let server = MockServer::start().await;
    let paypal_order = "5O190127TN364715T";
    paypal_creates(&server, paypal_order).await;
    let s = real_shop(&pool, &server);
    let (buyer, order) = ordered(&s).await;
    let (pending, _) = s.payments.pay_by_paypal(&buyer, order.id).await.unwrap();
    // KSh 2,999 at 129.50 a dollar.
    let asked = "23.16";

    // Held for review: still pending, asked again later.
    paypal_captures(&server, paypal_order, "PENDING", asked, "USD").await;
    let held = s.payments.status(&buyer, pending.id).await.unwrap();
    assert_eq!(held.status, PaymentStatus::Pending);

    // The capture's answer is lost (PayPal's server fails after taking it): still pending,
    // never failed, and an M-Pesa retry neither starts nor overwrites the PayPal order.
    server.reset().await;
    paypal_creates(&server, paypal_order).await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/checkout/orders/{paypal_order}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({ "id": paypal_order, "status": "APPROVED" })),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v2/checkout/orders/{paypal_order}/capture")))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let lost = s.payments.status(&buyer, pending.id).await.unwrap();
    assert_eq!(lost.status, PaymentStatus::Pending);
    let retry = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap();
    assert_eq!(
        (retry.method, retry.gateway_ref.as_deref()),
        (PaymentMethod::Paypal, Some(paypal_order)),
        "the PayPal order that may hold money is kept"
    );

    // Completed, but for another amount: never settles; an admin is told.
    server.reset().await;
    paypal_creates(&server, paypal_order).await;
    paypal_captures(&server, paypal_order, "COMPLETED", "2.32", "USD").await;
    let wrong = s.payments.status(&buyer, pending.id).await.unwrap();
    assert_eq!(wrong.status, PaymentStatus::Pending);
    assert_eq!(alert_kinds(&s).await, [AlertKind::AmountMismatch]);

    server.reset().await;
    paypal_creates(&server, paypal_order).await;
    paypal_captures(&server, paypal_order, "COMPLETED", asked, "USD").await;
    let paid = s.payments.status(&buyer, pending.id).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Successful);
    assert_eq!(paid.transaction_id.as_deref(), Some("3C679366HH908993F"));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_push_daraja_calls_paid_is_settled_though_its_callback_is_lost(pool: PgPool) {
    let server = MockServer::start().await;
    let (s, buyer, order, pushed) = pushed(&pool, &server, Some(0)).await;
    let checkout = pushed.gateway_ref.clone().unwrap();
    // No callback comes; the order is old enough to be cancelled, the push a minute old.
    sqlx::query("alter table payments disable trigger payments_updated_at")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update payments set updated_at = now() - interval '2 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update orders set created_at = now() - interval '2 hours'")
        .execute(&pool)
        .await
        .unwrap();
    let done = s.payments.reconcile().await.unwrap();
    assert_eq!((done.payments_settled, done.orders_cancelled), (1, 0));
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Paid);
    let settled = s.payments.status(&buyer, pushed.id).await.unwrap();
    assert_eq!(settled.transaction_id.as_deref(), Some(checkout.as_str()));

    // The callback turns up after all: its receipt replaces the stand-in.
    let late = s
        .payments
        .receive_callback(&paid_callback(&checkout, "TKA1B2C3D7"))
        .await
        .unwrap();
    assert_eq!(late, CallbackOutcome::Accepted);
    let now = s.payments.status(&buyer, pushed.id).await.unwrap();
    assert_eq!(now.transaction_id.as_deref(), Some("TKA1B2C3D7"));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn no_order_with_a_push_on_the_phone_is_cancelled_without_asking_daraja(pool: PgPool) {
    let server = MockServer::start().await;
    let (s, buyer, order, _) = pushed(&pool, &server, None).await;
    let cashier = at_till(&s, "cashier").await;

    // Still on the phone: neither the customer nor the till may cancel.
    for who in [&buyer, &cashier] {
        let refused = s.orders.cancel(who, order.id).await.unwrap_err();
        assert!(
            matches!(&refused, Error::Conflict(m) if m.contains("still on the customer's phone")),
            "{refused:?}"
        );
    }
    // The customer entered the PIN just then: the order is paid, not cancelled.
    daraja_query_says(&server, Some(0)).await;
    let refused = s.orders.cancel(&cashier, order.id).await.unwrap_err();
    assert!(matches!(&refused, Error::Conflict(m) if m.contains("just paid")));
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Paid);

    // Another order: Daraja says the push failed, so the cancel goes on; a success that
    // Daraja confirms afterwards is money to give back, shown to an admin.
    let (_, second) = {
        let item = s.catalog.search(&Default::default()).await.unwrap().items[0].clone();
        s.cart.add(&buyer, item.id, 1).await.unwrap();
        let placed = s
            .orders
            .place_from_cart(&buyer, uuid::Uuid::new_v4())
            .await
            .unwrap();
        ((), placed.order)
    };
    let push = s
        .payments
        .pay_by_mpesa(&buyer, second.id, "0712 345 678")
        .await
        .unwrap();
    daraja_query_says(&server, Some(1037)).await;
    s.orders.cancel(&buyer, second.id).await.unwrap();
    daraja_query_says(&server, Some(0)).await;
    let late = s
        .payments
        .receive_callback(&paid_callback(
            push.gateway_ref.as_deref().unwrap(),
            "TKA1B2C3D8",
        ))
        .await
        .unwrap();
    assert!(
        matches!(&late, CallbackOutcome::Refused(r) if r.contains("money to return")),
        "{late:?}"
    );
    assert_eq!(order_status(&pool, second.id).await, OrderStatus::Cancelled);
    assert_eq!(alert_kinds(&s).await, [AlertKind::MoneyToReturn]);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_success_after_a_recorded_failure_settles_when_daraja_confirms_it(pool: PgPool) {
    let server = MockServer::start().await;
    let (s, buyer, order, pushed) = pushed(&pool, &server, Some(1032)).await;
    let checkout = pushed.gateway_ref.clone().unwrap();
    s.payments
        .receive_callback(&callback(&checkout, 1032, "cancelled", 0, ""))
        .await
        .unwrap();
    assert_eq!(
        s.payments.status(&buyer, pushed.id).await.unwrap().status,
        PaymentStatus::Failed
    );
    daraja_query_says(&server, Some(0)).await;
    let paid = s
        .payments
        .receive_callback(&paid_callback(&checkout, "TKA1B2C3D9"))
        .await
        .unwrap();
    assert_eq!(paid, CallbackOutcome::Accepted);
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Paid);
    assert_eq!(alert_kinds(&s).await, [AlertKind::SettledAfterFailure]);
}
