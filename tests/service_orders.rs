mod common;

use bytemtaani::domain::order::OrderStatus;
use bytemtaani::domain::payment::PaymentMethod;
use bytemtaani::domain::user::Role;
use bytemtaani::domain::{Error, Money};
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_order_takes_stock_snapshots_prices_and_clears_the_cart(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let spark = product(&s, &admin, &phones, "Tecno Spark 20", "15999", 5).await;
    let case = product(&s, &admin, &phones, "Phone Case", "599.50", 10).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    s.cart.add(&buyer, spark.id, 1).await.unwrap();
    s.cart.add(&buyer, case.id, 2).await.unwrap();

    let placed = s
        .orders
        .place_from_cart(&buyer, Uuid::new_v4())
        .await
        .unwrap();

    assert_eq!(placed.order.status, OrderStatus::Pending);
    assert_eq!(
        placed.order.total_amount,
        Money::from_cents(1_599_900 + 2 * 59_950)
    );
    assert_eq!(placed.items.len(), 2);
    assert_eq!(stock(&pool, &spark).await, 4);
    assert_eq!(stock(&pool, &case).await, 8);
    assert!(s.cart.view(&buyer).await.unwrap().is_empty());
    // The price paid stays with the order when the catalog price changes later.
    let mut edit = form(&phones, "Phone Case", "PHONE-CASE", "650");
    edit.slug = case.slug.clone();
    s.admin
        .update_product(&admin, case.id, case.version, &edit)
        .await
        .unwrap();
    let detail = s.orders.detail(&buyer, placed.order.id).await.unwrap();
    let line = detail
        .items
        .iter()
        .find(|i| i.product_id == case.id)
        .unwrap();
    assert_eq!(line.price, Money::from_cents(59_950));
    assert_eq!(detail.order.total_amount, placed.order.total_amount);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_empty_cart_places_nothing(pool: PgPool) {
    let s = services(&pool);
    let buyer = login_as(&s, "amina", Role::Customer).await;
    assert_eq!(
        s.orders
            .place_from_cart(&buyer, Uuid::new_v4())
            .await
            .unwrap_err(),
        Error::EmptyCart
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn short_stock_refuses_the_whole_order_and_changes_nothing(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let plenty = product(&s, &admin, &phones, "Plenty", "100", 10).await;
    let scarce = product(&s, &admin, &phones, "Scarce", "100", 2).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    s.cart.add(&buyer, plenty.id, 3).await.unwrap();
    s.cart.add(&buyer, scarce.id, 2).await.unwrap();
    // Someone else buys one of the scarce ones first.
    s.admin
        .adjust_stock(
            &admin,
            scarce.id,
            -1,
            bytemtaani::domain::catalog::StockReason::Damaged,
            "dropped",
        )
        .await
        .unwrap();

    let err = s
        .orders
        .place_from_cart(&buyer, Uuid::new_v4())
        .await
        .unwrap_err();

    assert_eq!(
        err,
        Error::OutOfStock {
            product: "Scarce".into(),
            available: 1
        }
    );
    assert_eq!(stock(&pool, &plenty).await, 10, "no partial order");
    assert_eq!(
        s.cart.view(&buyer).await.unwrap().lines.len(),
        2,
        "the cart is kept"
    );
    let orders = count(&pool, "select count(*) from orders").await;
    assert_eq!(orders, 0);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_changed_price_is_flagged_before_ordering_never_silently_charged(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let spark = product(&s, &admin, &phones, "Tecno Spark 20", "15999", 5).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    s.cart.add(&buyer, spark.id, 1).await.unwrap();
    let mut dearer = form(&phones, "Tecno Spark 20", "TECNO-SPARK-20", "16999");
    dearer.slug = spark.slug.clone();
    s.admin
        .update_product(&admin, spark.id, spark.version, &dearer)
        .await
        .unwrap();

    assert!(s.cart.view(&buyer).await.unwrap().has_problems());
    // Touching the line in any way does not accept the new price for the customer.
    s.cart.add(&buyer, spark.id, 1).await.unwrap();
    s.cart.set_quantity(&buyer, spark.id, 3).await.unwrap();
    let cart = s.cart.view(&buyer).await.unwrap();
    assert!(cart.has_problems(), "still flagged after adding a unit");
    assert_eq!(
        cart.lines[0].price_seen, spark.price,
        "the agreed price stays"
    );
    let err = s
        .orders
        .place_from_cart(&buyer, Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::PriceChanged(what) if what.contains("KSh 15,999.00 → KSh 16,999.00")),
        "{err:?}"
    );
    assert_eq!(stock(&pool, &spark).await, 5);

    s.cart.accept_prices(&buyer).await.unwrap();
    let placed = s
        .orders
        .place_from_cart(&buyer, Uuid::new_v4())
        .await
        .unwrap();
    assert_eq!(placed.order.total_amount, Money::from_cents(3 * 1_699_900));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_same_checkout_sent_twice_makes_one_order(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let spark = product(&s, &admin, &phones, "Tecno Spark 20", "15999", 5).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    s.cart.add(&buyer, spark.id, 2).await.unwrap();
    let key = Uuid::new_v4();

    let (first, second) = tokio::join!(
        s.orders.place_from_cart(&buyer, key),
        s.orders.place_from_cart(&buyer, key)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    let retried = s.orders.place_from_cart(&buyer, key).await.unwrap();

    assert_eq!(first.order.id, second.order.id);
    assert_eq!(first.order.id, retried.order.id);
    assert_eq!(stock(&pool, &spark).await, 3, "stock taken once");
    let orders = count(&pool, "select count(*) from orders").await;
    assert_eq!(orders, 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn fifty_buyers_of_the_last_unit_make_exactly_one_order(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let last = product(&s, &admin, &phones, "Last One", "999", 50).await;
    let mut buyers = Vec::new();
    for i in 0..50 {
        let buyer = login_as(&s, &format!("buyer{i}"), Role::Customer).await;
        s.cart.add(&buyer, last.id, 1).await.unwrap();
        buyers.push(buyer);
    }
    // All 50 carts hold it; now only one unit is left.
    s.admin
        .adjust_stock(
            &admin,
            last.id,
            -49,
            bytemtaani::domain::catalog::StockReason::CountCorrection,
            "",
        )
        .await
        .unwrap();

    let attempts = buyers.into_iter().map(|buyer| {
        let s = s.clone();
        tokio::spawn(async move { s.orders.place_from_cart(&buyer, Uuid::new_v4()).await })
    });
    let results = futures::future::join_all(attempts).await;
    let ok = results
        .iter()
        .filter(|r| r.as_ref().unwrap().is_ok())
        .count();
    let sold_out = results
        .iter()
        .filter(|r| {
            matches!(
                r.as_ref().unwrap(),
                Err(Error::OutOfStock { available: 0, .. })
            )
        })
        .count();

    println!("last unit: 50 attempts, {ok} succeeded, {sold_out} refused as out of stock");
    assert_eq!(ok, 1);
    assert_eq!(sold_out, 49);
    assert_eq!(stock(&pool, &last).await, 0);
    let sold = count(&pool, "select coalesce(sum(quantity), 0) from order_items").await;
    assert_eq!(sold, 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn opposite_carts_never_deadlock(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let a = product(&s, &admin, &phones, "Product A", "100", 1000).await;
    let b = product(&s, &admin, &phones, "Product B", "100", 1000).await;
    let mut runs = Vec::new();
    for i in 0..20 {
        let buyer = login_as(&s, &format!("buyer{i}"), Role::Customer).await;
        let (first, second) = if i % 2 == 0 {
            (a.id, b.id)
        } else {
            (b.id, a.id)
        };
        s.cart.add(&buyer, first, 1).await.unwrap();
        s.cart.add(&buyer, second, 1).await.unwrap();
        let s = s.clone();
        runs.push(tokio::spawn(async move {
            s.orders.place_from_cart(&buyer, Uuid::new_v4()).await
        }));
    }
    for run in futures::future::join_all(runs).await {
        run.unwrap().expect("no deadlock, no refusal");
    }
    assert_eq!(stock(&pool, &a).await, 980);
    assert_eq!(stock(&pool, &b).await, 980);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn cancelling_restores_stock_and_follows_the_state_machine(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let spark = product(&s, &admin, &phones, "Tecno Spark 20", "15999", 5).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    s.cart.add(&buyer, spark.id, 3).await.unwrap();
    let order = s
        .orders
        .place_from_cart(&buyer, Uuid::new_v4())
        .await
        .unwrap()
        .order;
    assert_eq!(stock(&pool, &spark).await, 2);

    let cancelled = s.orders.cancel(&buyer, order.id).await.unwrap();
    assert_eq!(cancelled.order.status, OrderStatus::Cancelled);
    assert_eq!(cancelled.units_restocked, 3);
    assert_eq!(cancelled.refund_due, None);
    assert_eq!(stock(&pool, &spark).await, 5);

    // Nothing leaves cancelled: a second cancel restocks nothing.
    let again = s.orders.cancel(&admin, order.id).await.unwrap_err();
    assert!(
        matches!(again, Error::InvalidTransition { .. }),
        "{again:?}"
    );
    assert_eq!(stock(&pool, &spark).await, 5);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_paid_order_is_shipped_delivered_or_cancelled_with_a_refund_due(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let spark = product(&s, &admin, &phones, "Tecno Spark 20", "15999", 5).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    let mut paid_orders = Vec::new();
    for receipt in ["QKH94M1Z11", "QKH94M1Z12"] {
        s.cart.add(&buyer, spark.id, 1).await.unwrap();
        let order = s
            .orders
            .place_from_cart(&buyer, Uuid::new_v4())
            .await
            .unwrap()
            .order;
        let payment = s
            .payments
            .open(&buyer, order.id, PaymentMethod::Mpesa)
            .await
            .unwrap();
        s.payments
            .confirm(&admin, payment.id, receipt, order.total_amount)
            .await
            .unwrap();
        paid_orders.push(order);
    }
    let (shipped, refunded) = (&paid_orders[0], &paid_orders[1]);

    // Staff may not jump a step, and paid/cancelled are not set by hand.
    let skip = s
        .orders
        .set_status(&cashier, shipped.id, OrderStatus::Delivered)
        .await
        .unwrap_err();
    assert!(matches!(skip, Error::InvalidTransition { .. }));
    assert!(
        s.orders
            .set_status(&cashier, shipped.id, OrderStatus::Paid)
            .await
            .is_err()
    );
    assert_eq!(
        s.orders
            .set_status(&cashier, shipped.id, OrderStatus::Shipped)
            .await
            .unwrap()
            .status,
        OrderStatus::Shipped
    );
    assert_eq!(
        s.orders
            .set_status(&cashier, shipped.id, OrderStatus::Delivered)
            .await
            .unwrap()
            .status,
        OrderStatus::Delivered
    );
    assert!(
        s.orders.cancel(&admin, shipped.id).await.is_err(),
        "nothing leaves delivered"
    );

    // The customer cannot cancel a paid order alone; staff can, and learn a refund is due.
    assert!(matches!(
        s.orders.cancel(&buyer, refunded.id).await,
        Err(Error::Conflict(_))
    ));
    let outcome = s.orders.cancel(&cashier, refunded.id).await.unwrap();
    assert_eq!(outcome.refund_due, Some(Money::from_cents(1_599_900)));
    assert_eq!(stock(&pool, &spark).await, 4);
    let audited = count(
        &pool,
        "select count(*) from audit_log where action = 'order.status'",
    )
    .await;
    assert_eq!(audited, 3);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn history_is_newest_first_and_private(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let spark = product(&s, &admin, &phones, "Tecno Spark 20", "100", 100).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    let other = login_as(&s, "baraka", Role::Customer).await;
    let mut placed = Vec::new();
    for _ in 0..3 {
        s.cart.add(&buyer, spark.id, 1).await.unwrap();
        placed.push(
            s.orders
                .place_from_cart(&buyer, Uuid::new_v4())
                .await
                .unwrap()
                .order
                .id,
        );
    }
    let history: Vec<Uuid> = s
        .orders
        .history(&buyer, None)
        .await
        .unwrap()
        .iter()
        .map(|o| o.id)
        .collect();
    placed.reverse();
    assert_eq!(history, placed);
    assert!(s.orders.history(&other, None).await.unwrap().is_empty());
    assert!(matches!(
        s.orders.detail(&other, placed[0]).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.orders.cancel(&other, placed[0]).await,
        Err(Error::NotFound(_))
    ));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_cart_is_kept_per_user_with_current_prices(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let tea = product(&s, &admin, &phones, "Ketepa Tea", "249", 10).await;
    let sugar = product(&s, &admin, &phones, "Kabras Sugar", "199", 10).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    s.cart.add(&buyer, tea.id, 2).await.unwrap();
    s.cart.add(&buyer, tea.id, 1).await.unwrap();
    let cart = s.cart.add(&buyer, sugar.id, 1).await.unwrap();
    assert_eq!(cart.lines[0].quantity, 3, "adding again adds up");
    assert_eq!(cart.total(), Money::from_cents(3 * 24_900 + 19_900));

    let too_many = s.cart.add(&buyer, tea.id, 8).await.unwrap_err();
    assert_eq!(
        too_many,
        Error::OutOfStock {
            product: "Ketepa Tea".into(),
            available: 10
        }
    );
    assert!(matches!(
        s.cart.set_quantity(&buyer, tea.id, 0).await,
        Err(Error::Invalid { .. })
    ));
    let cart = s.cart.set_quantity(&buyer, tea.id, 5).await.unwrap();
    assert_eq!(cart.lines[0].quantity, 5);
    assert!(matches!(
        s.cart.set_quantity(&buyer, tea.id, 11).await,
        Err(Error::OutOfStock { available: 10, .. })
    ));
    // Stock that ran short since still lets the customer lower the quantity.
    s.admin
        .adjust_stock(
            &admin,
            tea.id,
            -8,
            bytemtaani::domain::catalog::StockReason::Damaged,
            "",
        )
        .await
        .unwrap();
    assert_eq!(
        s.cart.set_quantity(&buyer, tea.id, 4).await.unwrap().lines[0].quantity,
        4
    );
    let cart = s.cart.remove(&buyer, sugar.id).await.unwrap();
    assert_eq!(cart.lines.len(), 1);

    // A new login (a crash, a dropped SSH session) finds the same cart.
    let again = s.auth.login("amina", PASSWORD).await.unwrap().into();
    assert_eq!(s.cart.view(&again).await.unwrap().lines.len(), 1);
    let other = login_as(&s, "baraka", Role::Customer).await;
    assert!(s.cart.view(&other).await.unwrap().is_empty());
    assert!(s.cart.clear(&again).await.unwrap().is_empty());
}

/// Taking stock must stay a HOT update (no index on a column it changes): otherwise every
/// sale rewrites all of a product's index entries, both GIN indexes included (migration 7).
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn taking_stock_is_a_hot_update(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    let buyer = login_as(&s, "amina", Role::Customer).await;
    let session = buyer.session().unwrap();
    let order = bytemtaani::db::orders::NewOrder {
        user_id: session.user_id,
        served_by: None,
        checkout_key: Uuid::new_v4(),
        status: OrderStatus::Pending,
        discounts: Vec::new(),
        approval: None,
        open_price: None,
    };
    let mut tx = pool.begin().await.unwrap();
    let written = bytemtaani::db::orders::place(&mut *tx, session.id, &order, &[(bank.id, 1)])
        .await
        .unwrap();
    assert!(matches!(
        written,
        bytemtaani::db::orders::Written::Placed { .. }
    ));
    let (updated, hot): (i64, i64) = sqlx::query_as(
        "select pg_stat_get_xact_tuples_updated('products'::regclass),
                pg_stat_get_xact_tuples_hot_updated('products'::regclass)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!((updated, hot), (1, 1), "the stock update was not HOT");
}
