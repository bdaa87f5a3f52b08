//! Paying through providers (the sandbox, which answers like them): M-Pesa STK Push with its
//! callback confirmed by a query, failures in plain words and a retry on the same payment,
//! replayed, forged and wrong-amount callbacks refused and recorded, card and PayPal,
//! refunds, and reconciliation that can run twice or on two terminals at once.

mod common;

use std::time::Duration;

use bytemtaani::domain::order::{OrderStatus, OrderSummary};
use bytemtaani::domain::payment::{PaymentMethod, PaymentStatus, PaymentSummary};
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::service::Services;
use bytemtaani::service::payments::CallbackOutcome;
use common::*;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// A customer with one pending order of a KSh 2,999 power bank (10 in stock).
async fn ordered(s: &Services) -> (Actor, Actor, OrderSummary) {
    let (admin, phones) = shop(s).await;
    let buyer = login_as(s, "amina", Role::Customer).await;
    let bank = product(s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    s.cart.add(&buyer, bank.id, 1).await.unwrap();
    let order = s
        .orders
        .place_from_cart(&buyer, Uuid::new_v4())
        .await
        .unwrap()
        .order;
    (admin, buyer, order)
}

/// Asks for the payment's state until it is no longer pending (or 5 s pass).
async fn settled(s: &Services, actor: &Actor, payment: &PaymentSummary) -> PaymentSummary {
    for _ in 0..50 {
        let now = s.payments.status(actor, payment.id).await.unwrap();
        if now.status != PaymentStatus::Pending {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the payment stayed pending");
}

async fn order_status(pool: &PgPool, id: Uuid) -> OrderStatus {
    sqlx::query_scalar("select status from orders where id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn never_paid_while_pending(pool: &PgPool) {
    let bad = count(
        pool,
        "select count(*) from payments p join orders o on o.id = p.order_id
         where p.status = 'successful' and o.status = 'pending'",
    )
    .await;
    assert_eq!(bad, 0, "a successful payment with a pending order");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_mpesa_push_is_paid_when_its_callback_is_confirmed(pool: PgPool) {
    let s = services(&pool);
    let (_, buyer, order) = ordered(&s).await;
    let pushed = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap();
    assert_eq!(pushed.status, PaymentStatus::Pending);
    assert!(pushed.gateway_ref.as_deref().unwrap().starts_with("ws_CO_"));
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Pending);

    let paid = settled(&s, &buyer, &pushed).await;
    assert_eq!(paid.status, PaymentStatus::Successful);
    let receipt = paid.transaction_id.unwrap();
    assert_eq!(
        receipt.len(),
        10,
        "the MpesaReceiptNumber is the transaction id"
    );
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Paid);
    // Recorded in the transaction that settled the payment: there as soon as it is paid.
    assert_eq!(
        count(
            &pool,
            "select count(*) from mpesa_callbacks where outcome = 'accepted'"
        )
        .await,
        1
    );
    never_paid_while_pending(&pool).await;
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_cancelled_push_says_why_and_a_retry_reuses_the_payment(pool: PgPool) {
    let s = services(&pool);
    let (_, buyer, order) = ordered(&s).await;
    // The sandbox: a number ending in 2 is a customer who cancels on the phone.
    let first = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 672")
        .await
        .unwrap();
    let failed = settled(&s, &buyer, &first).await;
    assert_eq!(failed.status, PaymentStatus::Failed);
    assert_eq!(
        failed.failure_reason.as_deref(),
        Some("The customer cancelled the request on their phone.")
    );
    let retry = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap();
    assert_eq!(retry.id, first.id, "one payment per order");
    assert_eq!(
        settled(&s, &buyer, &retry).await.status,
        PaymentStatus::Successful
    );
    assert_eq!(count(&pool, "select count(*) from payments").await, 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn replayed_forged_and_wrong_amount_callbacks_are_refused_and_recorded(pool: PgPool) {
    let s = services(&pool);
    let (_, buyer, order) = ordered(&s).await;
    let pushed = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap();
    let checkout = pushed.gateway_ref.clone().unwrap();
    let callback = |checkout: &str, amount: i64, receipt: &str| {
        json!({ "Body": { "stkCallback": {
            "MerchantRequestID": "1", "CheckoutRequestID": checkout, "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
            "CallbackMetadata": { "Item": [
                { "Name": "Amount", "Value": amount },
                { "Name": "MpesaReceiptNumber", "Value": receipt },
                { "Name": "PhoneNumber", "Value": 254712345678u64 }
            ]}
        }}})
        .to_string()
        .into_bytes()
    };

    // Before the customer has answered, a "success" for the real request is forged:
    // STK Push Query says it is still pending.
    let forged = s
        .payments
        .receive_callback(&callback(&checkout, 2999, "QKH94M1Z11"))
        .await
        .unwrap();
    assert!(
        matches!(&forged, CallbackOutcome::Refused(r) if r.contains("Pending")),
        "{forged:?}"
    );
    let unknown = s
        .payments
        .receive_callback(&callback("ws_CO_NOBODY", 2999, "QKH94M1Z12"))
        .await
        .unwrap();
    assert_eq!(unknown, CallbackOutcome::Refused("unknown request".into()));
    let cheap = s
        .payments
        .receive_callback(&callback(&checkout, 1, "QKH94M1Z13"))
        .await
        .unwrap();
    assert!(
        matches!(&cheap, CallbackOutcome::Refused(r) if r.contains("differs")),
        "{cheap:?}"
    );
    let garbage = s
        .payments
        .receive_callback(br#"{ "hello": "world" }"#)
        .await
        .unwrap();
    assert_eq!(garbage, CallbackOutcome::Refused("unreadable".into()));
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Pending);

    // The real answer (delivered by the sandbox), then the same callback replayed.
    let paid = settled(&s, &buyer, &pushed).await;
    assert_eq!(paid.status, PaymentStatus::Successful);
    let replay = callback(&checkout, 2999, paid.transaction_id.as_deref().unwrap());
    let replayed = s.payments.receive_callback(&replay).await.unwrap();
    assert!(
        matches!(&replayed, CallbackOutcome::Refused(r) if r.contains("replayed")),
        "{replayed:?}"
    );

    let outcomes: Vec<String> =
        sqlx::query_scalar("select outcome from mpesa_callbacks order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    println!("callbacks recorded: {outcomes:#?}");
    assert_eq!(outcomes.len(), 6, "every callback is recorded");
    assert_eq!(outcomes.iter().filter(|o| *o == "accepted").count(), 1);
    never_paid_while_pending(&pool).await;
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn card_and_paypal_are_paid_through_their_providers(pool: PgPool) {
    let s = services(&pool);
    let (admin, buyer, order) = ordered(&s).await;
    let card = s.payments.pay_by_card(&buyer, order.id).await.unwrap();
    assert_eq!(card.status, PaymentStatus::Successful);
    assert_eq!(card.method, PaymentMethod::Card);
    assert!(card.transaction_id.unwrap().starts_with("TRM-"));
    assert_eq!(
        (card.card_brand.as_deref(), card.card_last4.as_deref()),
        (Some("VISA"), Some("4242")),
        "at most the brand and the last four digits"
    );

    let phones = s.catalog.categories().await.unwrap().remove(0);
    let radio = product(&s, &admin, &phones, "Radio", "1295", 5).await;
    s.cart.add(&buyer, radio.id, 1).await.unwrap();
    let second = s
        .orders
        .place_from_cart(&buyer, Uuid::new_v4())
        .await
        .unwrap()
        .order;
    let (pending, link) = s.payments.pay_by_paypal(&buyer, second.id).await.unwrap();
    assert!(link.starts_with("https://www.sandbox.paypal.com/checkoutnow?token="));
    let captured = settled(&s, &buyer, &pending).await;
    assert_eq!(captured.status, PaymentStatus::Successful);
    assert_eq!(captured.transaction_id.unwrap().len(), 17, "a capture id");
    assert_eq!(order_status(&pool, second.id).await, OrderStatus::Paid);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn cancelling_a_paid_order_records_the_refund_and_restocks(pool: PgPool) {
    let s = services(&pool);
    let (admin, buyer, order) = ordered(&s).await;
    s.payments.pay_by_card(&buyer, order.id).await.unwrap();
    let cancelled = s.orders.cancel(&admin, order.id).await.unwrap();
    assert_eq!(cancelled.refund_due, Some(order.total_amount));
    let status: PaymentStatus = sqlx::query_scalar("select status from payments")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, PaymentStatus::Refunded);
    assert_eq!(
        count(&pool, "select sum(stock_quantity)::bigint from products").await,
        10
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn reconciliation_cancels_unpaid_orders_once_however_often_it_runs(pool: PgPool) {
    let s = services(&pool);
    let (_, _, order) = ordered(&s).await;
    let (_, fresh) = {
        // A second, recent order stays.
        let buyer = login_as(&s, "otieno", Role::Customer).await;
        let item = s
            .catalog
            .search(&Default::default())
            .await
            .unwrap()
            .items
            .remove(0);
        s.cart.add(&buyer, item.id, 2).await.unwrap();
        let placed = s
            .orders
            .place_from_cart(&buyer, Uuid::new_v4())
            .await
            .unwrap();
        (buyer, placed.order)
    };
    sqlx::query("update orders set created_at = now() - interval '31 minutes' where id = $1")
        .bind(order.id)
        .execute(&pool)
        .await
        .unwrap();

    // Two terminals reconcile at the same moment, then one again.
    let (a, b) = tokio::join!(s.payments.reconcile(), s.payments.reconcile());
    let again = s.payments.reconcile().await.unwrap();
    let cancelled = a.unwrap().orders_cancelled + b.unwrap().orders_cancelled;
    println!(
        "reconciliation: {cancelled} cancelled by two at once, {} by the next run",
        again.orders_cancelled
    );
    assert_eq!((cancelled, again.orders_cancelled), (1, 0));
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Cancelled);
    assert_eq!(order_status(&pool, fresh.id).await, OrderStatus::Pending);
    assert_eq!(
        count(&pool, "select sum(stock_quantity)::bigint from products").await,
        8,
        "the old order's unit is back; the fresh order's two are not"
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_settled_payment_is_announced_to_waiting_terminals(pool: PgPool) {
    use bytemtaani::domain::live::Change;
    use futures::StreamExt;
    let s = services(&pool);
    let (_, buyer, order) = ordered(&s).await;
    let mut changes = s.catalog.changes().await.unwrap();
    let paid = s.payments.pay_by_card(&buyer, order.id).await.unwrap();
    let heard = loop {
        let next = tokio::time::timeout(Duration::from_secs(2), changes.next())
            .await
            .expect("announced")
            .unwrap();
        if let Change::Payment(id) = next {
            break id;
        }
    };
    assert_eq!(heard, paid.id);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_method_can_change_until_a_provider_has_the_payment(pool: PgPool) {
    let s = services(&pool);
    let (_, buyer, order) = ordered(&s).await;
    // Checkout opened it for PayPal; the customer pays by M-Pesa instead.
    let opened = s
        .payments
        .open(&buyer, order.id, PaymentMethod::Paypal)
        .await
        .unwrap();
    let pushed = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap();
    assert_eq!(
        (pushed.id, pushed.method),
        (opened.id, PaymentMethod::Mpesa)
    );
    // With the push on the phone, a card attempt does not take the payment over.
    let card = s.payments.pay_by_card(&buyer, order.id).await.unwrap();
    assert_eq!(
        (card.method, card.status),
        (PaymentMethod::Mpesa, PaymentStatus::Pending)
    );
    assert_eq!(
        settled(&s, &buyer, &pushed).await.status,
        PaymentStatus::Successful
    );
    assert_eq!(count(&pool, "select count(*) from payments").await, 1);
}
