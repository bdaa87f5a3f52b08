//! The database connection is cut in the middle of a checkout (`pg_terminate_backend` on the
//! backend serving it while it waits inside its transaction): nothing of the order is
//! written, stock and cart are as they were, the customer is told the database cannot be
//! reached, and the same checkout goes through once the database answers again.

mod common;

use std::time::Duration;

use bytemtaani::domain::Error;
use bytemtaani::domain::user::Role;
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_checkout_cut_off_half_way_writes_nothing_and_then_succeeds(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    let phone = product(&s, &admin, &phones, "Tecno Spark 20", "15999", 3).await;
    let cable = product(&s, &admin, &phones, "USB-C Cable", "499", 10).await;
    s.cart.add(&buyer, phone.id, 1).await.unwrap();
    s.cart.add(&buyer, cable.id, 2).await.unwrap();

    // Another session holds both products' rows, so the checkout stops inside its
    // transaction after it has started writing.
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("select 1 from products where id = any($1) for update")
        .bind(vec![phone.id, cable.id])
        .execute(&mut *holder)
        .await
        .unwrap();
    let key = Uuid::new_v4();
    let checkout = {
        let (s, buyer) = (s.clone(), buyer.clone());
        tokio::spawn(async move { s.orders.place_from_cart(&buyer, key).await })
    };
    // Find the checkout's backend waiting on the lock, and cut it off.
    let mut killed = 0;
    for _ in 0..100 {
        killed = count(
            &pool,
            "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity
             where datname = current_database() and wait_event_type = 'Lock') t",
        )
        .await;
        if killed > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        killed, 1,
        "the checkout's connection was found waiting and cut"
    );
    let outcome = checkout.await.unwrap();
    assert!(matches!(outcome, Err(Error::Unavailable)), "{outcome:?}");
    assert_eq!(
        outcome.unwrap_err().to_string(),
        "The database cannot be reached. Nothing was changed; please try again."
    );
    holder.rollback().await.unwrap();

    assert_eq!(count(&pool, "select count(*) from orders").await, 0);
    assert_eq!(count(&pool, "select count(*) from order_items").await, 0);
    assert_eq!(
        (stock(&pool, &phone).await, stock(&pool, &cable).await),
        (3, 10)
    );
    assert_eq!(
        s.cart.view(&buyer).await.unwrap().lines.len(),
        2,
        "the cart is still there"
    );

    // The pool opens a new connection by itself: the same checkout now goes through once.
    let placed = s.orders.place_from_cart(&buyer, key).await.unwrap();
    assert_eq!(placed.items.len(), 2);
    assert_eq!(
        (stock(&pool, &phone).await, stock(&pool, &cable).await),
        (2, 8)
    );
    println!(
        "connection cut mid-checkout: 1 backend terminated, 0 rows written, retry placed 1 order"
    );
}
