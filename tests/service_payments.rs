mod common;

use bytemtaani::domain::order::{OrderStatus, OrderSummary};
use bytemtaani::domain::payment::{PaymentMethod, PaymentStatus};
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::domain::{Error, Money};
use bytemtaani::service::Services;
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

/// An admin who verifies payments, a customer, and `count` pending orders of the customer's.
async fn orders(s: &Services, count: usize) -> (Actor, Actor, Vec<OrderSummary>) {
    let (admin, phones) = shop(s).await;
    let verifier = login_as(s, "verifier", Role::Admin).await;
    let buyer = login_as(s, "amina", Role::Customer).await;
    let item = product(s, &admin, &phones, "Oraimo Power Bank", "2999", 1000).await;
    let mut placed = Vec::new();
    for _ in 0..count {
        s.cart.add(&buyer, item.id, 1).await.unwrap();
        placed.push(
            s.orders
                .place_from_cart(&buyer, Uuid::new_v4())
                .await
                .unwrap()
                .order,
        );
    }
    (verifier, buyer, placed)
}

async fn order_status(pool: &PgPool, id: Uuid) -> OrderStatus {
    sqlx::query_scalar("select status from orders where id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_verified_payment_marks_the_order_paid_in_one_go(pool: PgPool) {
    let s = services(&pool);
    let (verifier, buyer, placed) = orders(&s, 1).await;
    let order = &placed[0];
    let payment = s
        .payments
        .open(&buyer, order.id, PaymentMethod::Mpesa)
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Pending);
    assert_eq!(payment.amount, order.total_amount);
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Pending);

    let paid = s
        .payments
        .confirm(&verifier, payment.id, "qkh94m1z11", order.total_amount)
        .await
        .unwrap();

    assert_eq!(paid.status, PaymentStatus::Successful);
    assert_eq!(paid.transaction_id.as_deref(), Some("QKH94M1Z11"));
    assert!(paid.paid_at.is_some());
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Paid);
    let detail = s.orders.detail(&buyer, order.id).await.unwrap();
    assert_eq!(detail.payment.unwrap().id, payment.id);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn bad_confirmations_are_refused_and_change_nothing(pool: PgPool) {
    let s = services(&pool);
    let (verifier, buyer, placed) = orders(&s, 2).await;
    let (order, other) = (&placed[0], &placed[1]);
    let payment = s
        .payments
        .open(&buyer, order.id, PaymentMethod::Mpesa)
        .await
        .unwrap();

    let malformed = s
        .payments
        .confirm(&verifier, payment.id, "QKH94", order.total_amount)
        .await;
    assert!(
        matches!(malformed, Err(Error::Invalid { .. })),
        "{malformed:?}"
    );
    let short = s
        .payments
        .confirm(&verifier, payment.id, "QKH94M1Z11", Money::from_cents(100))
        .await;
    assert_eq!(
        short.unwrap_err(),
        Error::AmountMismatch {
            expected: order.total_amount,
            got: Money::from_cents(100)
        }
    );
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Pending);

    s.payments
        .confirm(&verifier, payment.id, "QKH94M1Z11", order.total_amount)
        .await
        .unwrap();
    // The same receipt for another order is a duplicate payment.
    let second = s
        .payments
        .open(&buyer, other.id, PaymentMethod::Mpesa)
        .await
        .unwrap();
    let duplicate = s
        .payments
        .confirm(&verifier, second.id, "QKH94M1Z11", other.total_amount)
        .await;
    assert_eq!(
        duplicate.unwrap_err(),
        Error::DuplicateTransaction("QKH94M1Z11".into())
    );
    assert_eq!(order_status(&pool, other.id).await, OrderStatus::Pending);
    // A paid order takes no second payment.
    let again = s
        .payments
        .confirm(&verifier, payment.id, "QKH94M1Z99", order.total_amount)
        .await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    assert!(matches!(
        s.payments.open(&buyer, order.id, PaymentMethod::Card).await,
        Err(Error::Conflict(_))
    ));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn twenty_confirmations_with_one_transaction_id_let_exactly_one_through(pool: PgPool) {
    let s = services(&pool);
    let (verifier, buyer, placed) = orders(&s, 20).await;
    let mut attempts = Vec::new();
    for order in &placed {
        let payment = s
            .payments
            .open(&buyer, order.id, PaymentMethod::Mpesa)
            .await
            .unwrap();
        let (s, verifier, total) = (s.clone(), verifier.clone(), order.total_amount);
        attempts.push(tokio::spawn(async move {
            s.payments
                .confirm(&verifier, payment.id, "QKH94M1Z11", total)
                .await
        }));
    }
    let results = futures::future::join_all(attempts).await;
    let ok = results
        .iter()
        .filter(|r| r.as_ref().unwrap().is_ok())
        .count();
    let duplicates = results
        .iter()
        .filter(|r| matches!(r.as_ref().unwrap(), Err(Error::DuplicateTransaction(_))))
        .count();
    println!(
        "one transaction id: 20 confirmations, {ok} accepted, {duplicates} refused as duplicates"
    );
    assert_eq!(ok, 1);
    assert_eq!(duplicates, 19);
    let paid = count(&pool, "select count(*) from orders where status = 'paid'").await;
    assert_eq!(paid, 1);
    // Checked in the database too: no payment is successful while its order is pending.
    let mismatched = count(
        &pool,
        "select count(*) from payments p join orders o on o.id = p.order_id
         where (p.status = 'successful') <> (o.status = 'paid')",
    )
    .await;
    assert_eq!(mismatched, 0);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_retry_after_a_failure_reuses_the_one_payment(pool: PgPool) {
    let s = services(&pool);
    let (verifier, buyer, placed) = orders(&s, 1).await;
    let order = &placed[0];
    let first = s
        .payments
        .open(&buyer, order.id, PaymentMethod::Mpesa)
        .await
        .unwrap();
    // A customer cannot reject a payment; an admin can, and the audit log says who.
    let refused = s.payments.reject(&buyer, first.id, "no such code").await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let failed = s
        .payments
        .reject(&verifier, first.id, "no such code in the statement")
        .await
        .unwrap();
    assert_eq!(failed.status, PaymentStatus::Failed);
    let (actor, action): (String, String) = sqlx::query_as(
        "select u.username, a.action from audit_log a join users u on u.id = a.actor_id
         where a.entity_id = $1",
    )
    .bind(first.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (actor.as_str(), action.as_str()),
        ("verifier", "payment.reject")
    );
    let retry = s
        .payments
        .open(&buyer, order.id, PaymentMethod::Card)
        .await
        .unwrap();
    assert_eq!(retry.id, first.id);
    assert_eq!(retry.status, PaymentStatus::Pending);
    assert_eq!(retry.method, PaymentMethod::Card);
    // A card number is never taken as a reference.
    let card_number = s
        .payments
        .confirm(&verifier, retry.id, "4111111111111111", order.total_amount)
        .await;
    assert!(matches!(card_number, Err(Error::Invalid { .. })));
    s.payments
        .confirm(&verifier, retry.id, "TRM-000123", order.total_amount)
        .await
        .unwrap();
    let count = count(&pool, "select count(*) from payments").await;
    assert_eq!(count, 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn customers_pay_only_for_themselves_and_never_confirm(pool: PgPool) {
    let s = services(&pool);
    let (_, buyer, placed) = orders(&s, 1).await;
    let order = &placed[0];
    let stranger = login_as(&s, "baraka", Role::Customer).await;
    assert!(matches!(
        s.payments
            .open(&stranger, order.id, PaymentMethod::Mpesa)
            .await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(
        s.payments
            .open(&buyer, order.id, PaymentMethod::Cash)
            .await
            .unwrap_err(),
        Error::Forbidden("staff at a till")
    );
    let payment = s
        .payments
        .open(&buyer, order.id, PaymentMethod::Mpesa)
        .await
        .unwrap();
    assert_eq!(
        s.payments
            .confirm(&buyer, payment.id, "QKH94M1Z11", order.total_amount)
            .await
            .unwrap_err(),
        Error::Forbidden("admins")
    );
    assert_eq!(order_status(&pool, order.id).await, OrderStatus::Pending);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_database_itself_refuses_a_successful_payment_without_proof(pool: PgPool) {
    let s = services(&pool);
    let (_, buyer, placed) = orders(&s, 1).await;
    let payment = s
        .payments
        .open(&buyer, placed[0].id, PaymentMethod::Mpesa)
        .await
        .unwrap();
    let raw = sqlx::query("update payments set status = 'successful' where id = $1")
        .bind(payment.id)
        .execute(&pool)
        .await;
    assert!(
        raw.is_err(),
        "a successful payment needs a transaction id and paid_at"
    );
}
