//! The terminal roles of migration 6: what someone who escapes the app at a kiosk (or a
//! till) gets at the database, proved with plain SQL; and the app's own work under each role.

mod common;

use bytemtaani::db::{Db, TerminalRole};
use bytemtaani::domain::catalog::ProductQuery;
use bytemtaani::domain::order::{OrderLine, OrderStatus, OrderSummary};
use bytemtaani::domain::payment::PaymentStatus;
use bytemtaani::domain::returns::ReturnRequest;
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::domain::{Error, Money};
use bytemtaani::service::Services;
use bytemtaani::service::auth::NewAccount;
use bytemtaani::service::pos::{Sale, Tender};
use bytemtaani::service::shifts::CashMove;
use common::{
    PASSWORD, at_till, count, create_account, login_as, plain, product, served, services,
    services_through, shop,
};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

/// `quantity` of one product put in the cart and ordered.
async fn ordered(s: &Services, buyer: &Actor, product_id: Uuid, quantity: i32) -> OrderSummary {
    s.cart.add(buyer, product_id, quantity).await.unwrap();
    s.orders
        .place_from_cart(buyer, Uuid::new_v4())
        .await
        .unwrap()
        .order
}

/// A customer with one order paid by card and a cart line; returns their session.
async fn customer_with_an_order(s: &Services, name: &str, product_id: Uuid) -> Actor {
    let buyer = login_as(s, name, Role::Customer).await;
    let order = ordered(s, &buyer, product_id, 1).await;
    s.payments.pay_by_card(&buyer, order.id).await.unwrap();
    s.cart.add(&buyer, product_id, 1).await.unwrap();
    buyer
}

/// What a statement did: its rows (read or changed), or the SQLSTATE that refused it.
async fn outcome(conn: &mut PgConnection, sql: &str) -> Result<u64, String> {
    let mut tx = conn.begin().await.unwrap();
    let result = match sql.trim_start().starts_with("select") {
        true => sqlx::query(sql)
            .fetch_all(&mut *tx)
            .await
            .map(|rows| rows.len() as u64),
        false => sqlx::query(sql)
            .execute(&mut *tx)
            .await
            .map(|done| done.rows_affected()),
    };
    // Nothing an attempt did is kept, so each line is judged on the same rows.
    tx.rollback().await.unwrap();
    result.map_err(|err| match err {
        sqlx::Error::Database(db) => db.code().unwrap_or_default().into_owned(),
        other => other.to_string(),
    })
}

const REFUSED: Result<u64, &str> = Err("42501");
/// No such function (any more).
const GONE: Result<u64, &str> = Err("42883");

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn each_terminal_role_is_refused_what_it_must_not_do(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    let amina = customer_with_an_order(&s, "amina", bank.id).await;
    customer_with_an_order(&s, "baraka", bank.id).await;
    let amina_session = amina.session().unwrap().id;
    s.admin
        .adjust_stock(
            &admin,
            bank.id,
            5,
            bytemtaani::domain::catalog::StockReason::Received,
            "delivery",
        )
        .await
        .unwrap();
    assert!(count(&pool, "select count(*) from audit_log").await > 0);
    let admin_session = admin.session().unwrap().id;

    let kiosk: &[(&str, Result<u64, &str>)] = &[
        ("update products set price = 1", REFUSED),
        ("update products set name = 'Free'", REFUSED),
        (
            "insert into products (name, slug, sku, price, category_id) select 'X', 'x', 'X-1', 1, id from categories",
            REFUSED,
        ),
        ("delete from products", REFUSED),
        ("update categories set name = 'Mine'", REFUSED),
        ("select password_hash from users", REFUSED),
        ("select * from users", REFUSED),
        ("select id from user_sessions", REFUSED),
        ("select * from audit_log", REFUSED),
        (
            "insert into audit_log (actor_id, action, entity) select id, 'x', 'y' from users limit 1",
            REFUSED,
        ),
        ("select * from login_attempts", REFUSED),
        ("select * from mpesa_callbacks", REFUSED),
        ("select * from price_history", REFUSED),
        // A kiosk may sign people up, never as staff.
        (
            "insert into users (username, email, password_hash, is_staff, is_admin) values ('boss', 'b@x.ke', 'x', true, true)",
            REFUSED,
        ),
        ("update users set is_admin = true", REFUSED),
        // Row policies: only amina's things are there at all.
        ("select id from orders", Ok(1)),
        ("select order_id from order_items", Ok(1)),
        ("select id from payments", Ok(1)),
        // Only the process holding a provider's credentials settles a payment (migration 22).
        ("update payments set transaction_id = 'MADEUP1234'", REFUSED),
        ("update payments set status = 'refunded'", REFUSED),
        (
            "insert into payments (order_id, user_id, amount, method, status, transaction_id)
             select id, user_id, total_amount, 'card', 'successful', 'MADEUP1234' from orders",
            REFUSED,
        ),
        ("select product_id from cart_items", Ok(1)),
        (
            "update orders set status = 'cancelled' where user_id <> bytemtaani_viewer()",
            Ok(0),
        ),
        (
            "delete from cart_items where user_id <> bytemtaani_viewer()",
            Ok(0),
        ),
        (
            "update users set password_hash = 'x' where username = 'baraka'",
            Ok(0),
        ),
        (
            "update orders set user_id = (select id from users where username = 'baraka')",
            REFUSED,
        ),
        ("select id, username from users", Ok(1)),
        (
            "select email, phone from users where username = 'baraka'",
            Ok(0),
        ),
        ("select bytemtaani_password_setting('baraka')", Ok(1)),
        // Logins are throttled inside the database: the throttle is out of reach, and the
        // unthrottled digest checks of migration 6 are gone.
        ("select * from login_throttle", REFUSED),
        ("delete from login_throttle", REFUSED),
        ("update login_policy set max_failures = 1000000", REFUSED),
        ("select bytemtaani_password_matches('baraka', 'x')", GONE),
        ("select bytemtaani_open_session('baraka', 'x')", GONE),
        (
            "update products set stock_quantity = stock_quantity - 1",
            REFUSED,
        ),
        // A customer reads their own orders' returns (none here), and writes none.
        ("select id from returns", Ok(0)),
        ("select product_id from return_items", Ok(0)),
        ("delete from returns", REFUSED),
        // Payments to the till number are the shop's business, not a kiosk's.
        ("select trans_id from till_payments", REFUSED),
        (
            "select bytemtaani_claim_till_payment(gen_random_uuid(), gen_random_uuid(), 120)",
            REFUSED,
        ),
    ];
    let till: &[(&str, Result<u64, &str>)] = &[
        // Only Safaricom's word (the receiver, with its own login) writes a till payment, and
        // only a sale's own cashier claims one, through bytemtaani_claim_till_payment.
        (
            "insert into till_payments (trans_id, amount, short_code, paid_at) values ('QFORGED001', 5000, '600900', now())",
            REFUSED,
        ),
        ("update till_payments set payment_id = null", REFUSED),
        // Writing a sale off (no restock) is an admin's decision, never a till's.
        (
            "update orders set status = 'cancelled', written_off_at = now(), write_off_reason = 'x'",
            REFUSED,
        ),
        ("delete from till_payments", REFUSED),
        ("select trans_id from till_payments", Ok(0)),
        (
            "select bytemtaani_claim_till_payment(gen_random_uuid(), gen_random_uuid(), 120)",
            REFUSED,
        ),
        ("update products set price = 1", REFUSED),
        (
            "insert into categories (name, slug) values ('X', 'x')",
            REFUSED,
        ),
        ("select password_hash from users", REFUSED),
        ("update users set is_admin = true", REFUSED),
        (
            "update users set password_hash = 'x' where username = 'admin'",
            REFUSED,
        ),
        ("select * from audit_log", REFUSED),
        ("update audit_log set action = 'x'", REFUSED),
        ("delete from audit_log", REFUSED),
        ("select id from user_sessions", REFUSED),
        ("select id from orders", Ok(2)),
        // Only the logged-in person's own cart (migration 21), and nobody is logged in.
        ("select product_id from cart_items", Ok(0)),
        (
            "insert into cart_items (user_id, product_id, quantity) select id, (select id from products limit 1), 1 from users where username = 'amina'",
            Err("42501"),
        ),
        // A till adds customers who cannot log in, never staff or a usable password.
        (
            "insert into users (username, email, password_hash, is_staff) values ('boss', 'b@x.ke', '!', true)",
            REFUSED,
        ),
        (
            "insert into users (username, email, password_hash) values ('boss', 'b@x.ke', '$argon2id$known')",
            REFUSED,
        ),
        (
            "insert into users (username, email, phone, password_hash) values ('jane', 'j@x.ke', '254722000111', '!')",
            Ok(1),
        ),
    ];
    let admin_role: &[(&str, Result<u64, &str>)] = &[
        ("select password_hash from users", REFUSED),
        ("update audit_log set action = 'x'", REFUSED),
        ("delete from audit_log", REFUSED),
        ("truncate audit_log", REFUSED),
        ("select id from audit_log limit 1", Ok(1)),
        // Its catalog's prices (the open-price line has none of its own).
        (
            "update products set price = 3100 where not open_price",
            Ok(1),
        ),
        ("select id from orders", Ok(2)),
    ];
    // Not even the owner (who ran the migrations) rewrites history.
    let owner: &[(&str, Result<u64, &str>)] = &[
        ("update audit_log set action = 'x'", REFUSED),
        ("delete from audit_log", REFUSED),
        ("truncate audit_log cascade", REFUSED),
    ];

    let mut refusals = 0;
    let mut checked = 0;
    for (role, session, table) in [
        ("bytemtaani_kiosk", Some(amina_session), kiosk),
        ("bytemtaani_till", None, till),
        ("bytemtaani_admin", Some(admin_session), admin_role),
    ] {
        let mut conn = plain(&pool, role, session).await;
        for (sql, expected) in table {
            let got = outcome(&mut conn, sql).await;
            assert_eq!(got, expected.map_err(String::from), "{role}: {sql}");
            checked += 1;
            refusals += usize::from(expected.is_err());
        }
    }
    let mut conn = pool.acquire().await.unwrap();
    for (sql, expected) in owner {
        let got = outcome(&mut conn, sql).await;
        assert_eq!(got, expected.map_err(String::from), "owner: {sql}");
        checked += 1;
        refusals += 1;
    }

    // Without a logged-in session a kiosk sees no one's orders, cart or payments.
    let mut nobody = plain(&pool, "bytemtaani_kiosk", None).await;
    for sql in [
        "select id from orders",
        "select id from payments",
        "select user_id from cart_items",
    ] {
        assert_eq!(outcome(&mut nobody, sql).await, Ok(0), "no session: {sql}");
        checked += 1;
    }
    // Nor can it change any stock count.
    for role in ["bytemtaani_kiosk", "bytemtaani_till"] {
        let mut nobody = plain(&pool, role, None).await;
        assert_eq!(
            outcome(&mut nobody, "update products set stock_quantity = 0").await,
            REFUSED.map_err(String::from),
            "{role} with nobody logged in"
        );
        checked += 1;
        refusals += 1;
    }
    // A session that has ended proves nothing either.
    s.auth.logout(&amina).await.unwrap();
    let mut ended = plain(&pool, "bytemtaani_kiosk", Some(amina_session)).await;
    assert_eq!(outcome(&mut ended, "select id from orders").await, Ok(0));
    checked += 1;
    println!("terminal roles: {checked} statements checked, {refusals} refused");
}

/// Services on a pool that works as `role`, the way a terminal configured with it does.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn guessing_through_the_database_is_throttled_like_the_app(pool: PgPool) {
    let s = services(&pool);
    s.auth
        .register(NewAccount {
            username: "baraka".into(),
            email: "baraka@example.ke".into(),
            phone: String::new(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    // Someone who escaped a kiosk's app calls the login function by hand.
    let mut escaped = plain(&pool, "bytemtaani_kiosk", None).await;
    let mut outcomes = Vec::new();
    for guess in 0..7 {
        let (outcome,): (String,) =
            sqlx::query_as("select outcome from bytemtaani_log_in('BARAKA ', $1, false, false)")
                .bind(format!("guess{guess}"))
                .fetch_one(&mut escaped)
                .await
                .unwrap();
        outcomes.push(outcome);
    }
    assert_eq!(
        outcomes,
        [
            "wrong", "wrong", "wrong", "wrong", "wrong", "locked", "locked"
        ]
    );
    // The account is locked for the app too, right password and all.
    assert!(matches!(
        s.auth.login("baraka", PASSWORD).await,
        Err(Error::Locked { minutes: 15 })
    ));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_kiosk_learns_nothing_about_names_and_cannot_lock_staff_out(pool: PgPool) {
    let s = services(&pool);
    shop(&s).await; // the admin
    let mut escaped = plain(&pool, "bytemtaani_kiosk", None).await;
    // Whose id and role: not a kiosk's to ask.
    assert_eq!(
        outcome(&mut escaped, "select * from bytemtaani_account('admin')").await,
        REFUSED.map_err(String::from)
    );
    // A known and an unknown name get settings alike, the unknown one the same each time.
    let setting = |name: &'static str| {
        sqlx::query_scalar::<_, String>("select bytemtaani_password_setting($1)").bind(name)
    };
    let known = setting("admin").fetch_one(&mut escaped).await.unwrap();
    let unknown = setting("nobody").fetch_one(&mut escaped).await.unwrap();
    let again = setting("NOBODY").fetch_one(&mut escaped).await.unwrap();
    assert_eq!(unknown, again);
    assert_ne!(unknown, known);
    let shape = |s: &str| (s.len(), s.rsplit_once('$').unwrap().0.to_owned());
    assert_eq!(shape(&known), shape(&unknown), "{known} / {unknown}");
    // Guessing the admin's password by hand at a kiosk, either way, never locks the admin.
    for (guess, customers_only) in (0..8).map(|g| (g, g % 2 == 0)) {
        let (answer,): (String,) =
            sqlx::query_as("select outcome from bytemtaani_log_in('admin', $1, false, $2)")
                .bind(format!("guess{guess}"))
                .bind(customers_only)
                .fetch_one(&mut escaped)
                .await
                .unwrap();
        assert_ne!(answer, "ok");
    }
    s.auth
        .login("admin", PASSWORD)
        .await
        .expect("the admin still logs in where staff work");
    assert!(
        count(
            &pool,
            "select count(*) from login_attempts where outcome = 'staff_at_kiosk'"
        )
        .await
            >= 4
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn every_screen_works_under_its_terminal_role(pool: PgPool) {
    let owner = services(&pool);
    let (admin, phones) = shop(&owner).await;
    let bank = product(&owner, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    let baraka = customer_with_an_order(&owner, "baraka", bank.id).await;
    let barakas_order = owner.orders.history(&baraka, None).await.unwrap()[0].id;
    create_account(&owner, "cashier", Role::Staff).await;
    create_account(&owner, "manager", Role::Admin).await;

    // Kiosk: sign up, browse, search, cart, order, pay by card, own history, new password.
    let kiosk = served(&owner, TerminalRole::Kiosk);
    let wanjiku: Actor = kiosk
        .auth
        .register(NewAccount {
            username: "wanjiku".into(),
            email: "wanjiku@example.co.ke".into(),
            phone: "0712345678".into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap()
        .into();
    assert_eq!(kiosk.catalog.categories().await.unwrap().len(), 1);
    let found = kiosk
        .catalog
        .search(&ProductQuery {
            text: "oraimo".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    let order = ordered(&kiosk, &wanjiku, bank.id, 2).await;
    let paid = kiosk
        .payments
        .pay_by_card(&wanjiku, order.id)
        .await
        .unwrap();
    assert_eq!(paid.status, PaymentStatus::Successful);
    // A kiosk app run on its own database login settles nothing: its customer is sent to
    // M-Pesa (settled by the receiver) or the till, before anything is written.
    let direct = services_through(Db::from(pool.clone()).working_as(TerminalRole::Kiosk));
    let direct_buyer: Actor = direct.auth.login("wanjiku", PASSWORD).await.unwrap().into();
    let third = ordered(&direct, &direct_buyer, bank.id, 1).await;
    let refused = direct.payments.pay_by_card(&direct_buyer, third.id).await;
    assert!(
        matches!(&refused, Err(Error::Conflict(why)) if why.contains("shop's server")),
        "{refused:?}"
    );
    direct.orders.cancel(&direct_buyer, third.id).await.unwrap();
    // A second order paid by M-Pesa: the push and the customer's screen run as the kiosk
    // role, the sandbox's callback and the settlement with the server's rights.
    let second = ordered(&kiosk, &wanjiku, bank.id, 1).await;
    let push = kiosk
        .payments
        .pay_by_mpesa(&wanjiku, second.id, "0712 345 678")
        .await
        .unwrap();
    let mut settled = push.status;
    for _ in 0..50 {
        settled = kiosk
            .payments
            .status(&wanjiku, push.id)
            .await
            .unwrap()
            .status;
        if settled != PaymentStatus::Pending {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(settled, PaymentStatus::Successful);
    let mine = kiosk.orders.history(&wanjiku, None).await.unwrap();
    let paid = mine
        .iter()
        .filter(|o| o.status == OrderStatus::Paid)
        .count();
    let cancelled = mine.iter().filter(|o| o.status == OrderStatus::Cancelled);
    assert_eq!((paid, cancelled.count()), (2, 1), "{mine:?}");
    assert!(matches!(
        kiosk.orders.detail(&wanjiku, barakas_order).await,
        Err(Error::NotFound(_))
    ));
    kiosk
        .auth
        .change_password(&wanjiku, PASSWORD, "a new kiosk password")
        .await
        .unwrap();
    kiosk.auth.logout(&wanjiku).await.unwrap();
    let again: Actor = kiosk
        .auth
        .login("wanjiku", "a new kiosk password")
        .await
        .unwrap()
        .into();
    assert_eq!(kiosk.cart.view(&again).await.unwrap().lines.len(), 0);
    assert!(matches!(
        kiosk.auth.login("wanjiku", PASSWORD).await,
        Err(Error::InvalidCredentials)
    ));

    // Till: a cash sale, a customer found by phone, an order moved along.
    let till = served(&owner, TerminalRole::Till);
    let cashier: Actor = till.auth.login("cashier", PASSWORD).await.unwrap().into();
    till.shifts.open(&cashier, "5000").await.unwrap();
    let receipt = till
        .pos
        .sell(
            &cashier,
            Sale {
                key: Uuid::new_v4(),
                customer: None,
                lines: vec![OrderLine {
                    product_id: bank.id,
                    quantity: 1,
                    agreed_price: bank.price,
                }],
                discounts: Vec::new(),
                approval: None,
                tender: Tender::Cash {
                    handed: Money::parse("Cash", "3000").unwrap(),
                },
            },
        )
        .await
        .unwrap();
    assert!(receipt.payment.verified);
    // …and taken back again against its receipt, onto the shelf.
    let sale = till
        .returns
        .find_sale(&cashier, &receipt.number())
        .await
        .unwrap();
    let slip = till
        .returns
        .take(
            &cashier,
            ReturnRequest {
                order_id: sale.order_id,
                lines: vec![(bank.id, 1)],
                restock: true,
                reason: String::new(),
                reference: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(slip.total, receipt.total);
    // Cash out of the drawer, and the shift closed with its count.
    till.shifts
        .move_cash(&cashier, CashMove::Out, "200", "airtime")
        .await
        .unwrap();
    assert_eq!(
        till.shifts
            .report(&cashier)
            .await
            .unwrap()
            .figures
            .expected_cash,
        Money::parse("", "4800").unwrap()
    );
    let found = till
        .pos
        .find_customer(&cashier, "0712 345 678")
        .await
        .unwrap();
    let names: Vec<_> = found.iter().map(|c| c.username.as_str()).collect();
    assert_eq!(names, ["wanjiku"]);
    let added = till
        .pos
        .add_customer(&cashier, "jane", "0722 000 111")
        .await
        .unwrap();
    assert_eq!(added.phone.as_deref(), Some("254722000111"));
    till.orders
        .set_status(&cashier, order.id, OrderStatus::Shipped)
        .await
        .unwrap();
    let z = till.shifts.close(&cashier, "4800").await.unwrap();
    assert_eq!(z.shift.difference(), Some(Money::ZERO));

    // Admin: a price change, stock received, a user deactivated, the audit log read.
    let console = served(&owner, TerminalRole::Admin);
    let manager: Actor = console
        .auth
        .login("manager", PASSWORD)
        .await
        .unwrap()
        .into();
    let current = console.catalog.product(bank.id).await.unwrap();
    let mut form = common::form(&phones, "Oraimo Power Bank", &current.sku, "3100");
    form.description = current.description.clone();
    console
        .admin
        .update_product(&manager, bank.id, current.version, &form)
        .await
        .unwrap();
    console
        .admin
        .adjust_stock(
            &manager,
            bank.id,
            4,
            bytemtaani::domain::catalog::StockReason::Received,
            "delivery",
        )
        .await
        .unwrap();
    let cashier_id = cashier.session().unwrap().user_id;
    console
        .users
        .set_active(&manager, cashier_id, false)
        .await
        .unwrap();
    // A new member of staff made from the console, who can log in.
    let made = console
        .users
        .create(
            &manager,
            NewAccount {
                username: "otieno".into(),
                email: "otieno@example.co.ke".into(),
                phone: "0722 123 456".into(),
                password: PASSWORD.into(),
            },
            Role::Staff,
        )
        .await
        .unwrap();
    assert!(made.is_staff && !made.is_admin);
    assert!(till.auth.login("otieno", PASSWORD).await.is_ok());
    let log = console.users.audit_log(&manager, "", 50).await.unwrap();
    assert!(log.len() >= 3, "price, stock and user changes audited");
    assert!(console.reports.sales(&manager).await.is_ok());

    // The deactivated cashier's open session is refused at its next action.
    assert!(matches!(
        till.pos.find_customer(&cashier, "wanjiku").await,
        Err(Error::Inactive | Error::Unauthenticated)
    ));
    assert_eq!(
        common::stock(&pool, &bank).await,
        10 - 1 - 2 - 1 - 1 + 1 + 4
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_audit_row_names_the_logged_in_person_whoever_the_client_says(pool: PgPool) {
    let s = services(&pool);
    shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let forged = "insert into audit_log (actor_id, action, entity)
                  select id, 'payment.confirm', 'payment' from users where username = 'admin'";

    let mut till = plain(
        &pool,
        "bytemtaani_till",
        Some(cashier.session().unwrap().id),
    )
    .await;
    sqlx::query(forged).execute(&mut till).await.unwrap();
    let named: String = sqlx::query_scalar(
        "select u.username from audit_log a join users u on u.id = a.actor_id
         where a.action = 'payment.confirm'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        named, "cashier",
        "the session's person, not the one the client named"
    );

    let mut nobody = plain(&pool, "bytemtaani_till", None).await;
    assert_eq!(
        outcome(&mut nobody, forged).await,
        REFUSED.map_err(String::from)
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn no_terminal_role_writes_a_price_or_a_total_of_its_own(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;
    let amina = customer_with_an_order(&s, "amina", bank.id).await;
    let cashier = at_till(&s, "cashier").await;
    for (role, session) in [
        ("bytemtaani_kiosk", amina.session().unwrap().id),
        ("bytemtaani_till", cashier.session().unwrap().id),
    ] {
        let mut conn = plain(&pool, role, Some(session)).await;
        for sql in [
            "update orders set total_amount = 0".to_owned(),
            "update order_items set price = 0".to_owned(),
            format!(
                "insert into order_items (order_id, product_id, quantity, price)
                 select id, '{}', 1, 0 from orders",
                radio.id
            ),
            // Even at the shelf price: lines are written only with their order (migration 23).
            format!(
                "insert into order_items (order_id, product_id, quantity, price)
                 select id, '{}', 1, 1500 from orders where status = 'paid' limit 1",
                radio.id
            ),
        ] {
            assert_eq!(
                outcome(&mut conn, &sql).await,
                REFUSED.map_err(String::from),
                "{role}: {sql}"
            );
        }
    }
    assert_eq!(count(&pool, "select count(*) from order_items").await, 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn no_terminal_role_marks_an_order_paid_without_a_payment(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    let amina = login_as(&s, "amina", Role::Customer).await;
    ordered(&s, &amina, bank.id, 1).await;
    let cashier = at_till(&s, "cashier").await;
    let mark_paid = "update orders set status = 'paid' where status = 'pending'";
    // A kiosk never moves an order but to cancelled (migration 23)…
    let mut kiosk = plain(&pool, "bytemtaani_kiosk", Some(amina.session().unwrap().id)).await;
    assert_eq!(
        outcome(&mut kiosk, mark_paid).await,
        REFUSED.map_err(String::from)
    );
    // …and a till's order is refused when its transaction commits without the payment.
    let mut till = plain(
        &pool,
        "bytemtaani_till",
        Some(cashier.session().unwrap().id),
    )
    .await;
    let mut tx = till.begin().await.unwrap();
    sqlx::query(mark_paid).execute(&mut *tx).await.unwrap();
    assert_refused_at_commit(tx, "bytemtaani_till").await;
    // Nor with parts that fall short of the total (migration 31), however many.
    let mut tx = till.begin().await.unwrap();
    sqlx::query(mark_paid).execute(&mut *tx).await.unwrap();
    for (reference, amount) in [("CASH-PART-1", "1000"), ("AUTH-PART-2", "1998.99")] {
        sqlx::query(
            "insert into payments (order_id, user_id, amount, method, split, status,
                                   transaction_id, paid_at)
             select id, user_id, $2::numeric, 'cash', true, 'successful', $1, now()
             from orders where status = 'paid'",
        )
        .bind(reference)
        .bind(amount)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    assert_refused_at_commit(tx, "bytemtaani_till").await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from orders where status = 'pending'"
        )
        .await,
        1
    );
}

/// Stock moves only with an order or an adjustment of the logged-in session (migration 23):
/// no bare UPDATE of a count, no order or adjustment written by hand, an order only for the
/// session's own person, and units back on the shelf only by cancelling, forward.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn stock_moves_only_with_an_order_or_an_adjustment_of_the_session(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    let amina = login_as(&s, "amina", Role::Customer).await;
    let baraka = login_as(&s, "baraka", Role::Customer).await;
    let cashier = at_till(&s, "cashier").await;
    let paid = ordered(&s, &amina, bank.id, 1).await;
    s.payments.pay_by_card(&amina, paid.id).await.unwrap();
    let pending = ordered(&s, &amina, bank.id, 2).await;
    let session = |a: &Actor| a.session().unwrap().id;
    let person = |a: &Actor| a.session().unwrap().user_id;
    let place = |session: Uuid, buyer: Uuid, served_by: Option<Uuid>| {
        let served_by = served_by.map_or("null".to_owned(), |id| format!("'{id}'"));
        format!(
            "select * from bytemtaani_place_order('{session}', '{buyer}', {served_by},
                 gen_random_uuid(), 'pending', array['{}']::uuid[], array[1], '[]', null, null)",
            bank.id
        )
    };
    let adjust = |session: Uuid| {
        format!(
            "select bytemtaani_adjust_stock('{session}', '{}', 100, 'received', 'found')",
            bank.id
        )
    };
    let by_hand = [
        "update products set stock_quantity = 0".to_owned(),
        "update products set stock_quantity = stock_quantity + 100".to_owned(),
        "insert into orders (user_id, checkout_key, total_amount)
         select id, gen_random_uuid(), 0 from users"
            .to_owned(),
        "update orders set total_amount = 1".to_owned(),
        "insert into stock_adjustments (product_id, delta, reason, adjusted_by)
         select p.id, 100, 'received', u.id from products p, users u limit 1"
            .to_owned(),
    ];
    let cases = [
        (
            "bytemtaani_kiosk",
            session(&amina),
            vec![
                (place(session(&amina), person(&baraka), None), REFUSED),
                (
                    place(session(&amina), person(&baraka), Some(person(&amina))),
                    REFUSED,
                ),
                (place(Uuid::new_v4(), person(&amina), None), REFUSED),
                (place(session(&amina), person(&amina), None), Ok(1)),
                (adjust(session(&admin)), REFUSED),
                // A kiosk cancels its own pending order only; nobody moves an order back.
                (
                    "update orders set status = 'cancelled' where status = 'paid'".to_owned(),
                    REFUSED,
                ),
                (
                    "update orders set status = 'pending' where status = 'paid'".to_owned(),
                    Err("23514"),
                ),
            ],
        ),
        (
            "bytemtaani_till",
            session(&cashier),
            vec![
                (
                    place(session(&cashier), person(&baraka), Some(person(&admin))),
                    REFUSED,
                ),
                (
                    place(session(&cashier), person(&baraka), Some(person(&cashier))),
                    Ok(1),
                ),
                (adjust(session(&admin)), REFUSED),
                (
                    "update orders set status = 'pending' where status = 'paid'".to_owned(),
                    Err("23514"),
                ),
            ],
        ),
        (
            "bytemtaani_admin",
            session(&admin),
            vec![
                (adjust(session(&cashier)), REFUSED),
                (adjust(session(&admin)), Ok(1)),
            ],
        ),
    ];
    for (role, logged_in, own) in cases {
        let mut conn = plain(&pool, role, Some(logged_in)).await;
        let hand = by_hand.iter().map(|sql| (sql.clone(), REFUSED));
        for (sql, expected) in hand.chain(own) {
            assert_eq!(
                outcome(&mut conn, &sql).await,
                expected.map_err(String::from),
                "{role}: {sql}"
            );
        }
    }
    assert_eq!(common::stock(&pool, &bank).await, 10 - 1 - 2);

    // The kiosk cancels amina's pending order: its two units are back, once.
    let mut kiosk = plain(&pool, "bytemtaani_kiosk", Some(session(&amina))).await;
    let cancel = format!(
        "update orders set status = 'cancelled' where id = '{}'",
        pending.id
    );
    for _ in 0..2 {
        sqlx::query(&cancel).execute(&mut kiosk).await.unwrap();
    }
    assert_eq!(common::stock(&pool, &bank).await, 10 - 1);
    assert_eq!(
        count(&pool, "select count(*) from stock_adjustments").await,
        0
    );
}

/// A transaction whose commit the database refuses (a check deferred to the commit).
async fn assert_refused_at_commit(tx: sqlx::Transaction<'_, sqlx::Postgres>, role: &str) {
    let committed = tx.commit().await;
    assert!(
        matches!(&committed, Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42501")),
        "{role}: {committed:?}"
    );
}

/// Terminals share connections: who a transaction works as is set inside it (`set local`),
/// so one connection serves a kiosk, the owner and a till in turn, each as itself, and
/// nothing of one is left for the next.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn one_connection_serves_each_terminal_as_itself(pool: PgPool) {
    let one = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let owner = Db::from(one);
    let kiosk = owner.working_as(TerminalRole::Kiosk);
    let till = owner.working_as(TerminalRole::Till);
    let session = Uuid::new_v4();
    kiosk.viewer().set(Some(session));
    let who = async |db: &Db| -> (String, String, i32) {
        sqlx::query_as(
            "select current_user::text, current_setting('bytemtaani.session', true),
                    pg_backend_pid()",
        )
        .fetch_one(&mut *db.read().await.unwrap())
        .await
        .unwrap()
    };
    let (as_kiosk, kiosk_session, first) = who(&kiosk).await;
    let (as_owner, owner_session, second) = who(&owner).await;
    let (as_till, till_session, third) = who(&till).await;
    assert_eq!((first, second), (third, third), "one connection all along");
    assert_eq!(as_kiosk, "bytemtaani_kiosk");
    assert_eq!(kiosk_session, session.to_string());
    assert_ne!(
        as_owner, "bytemtaani_kiosk",
        "the kiosk's role stayed behind"
    );
    assert_ne!(
        owner_session,
        session.to_string(),
        "the kiosk's session stayed behind"
    );
    assert_eq!(as_till, "bytemtaani_till");
    assert_eq!(till_session, "", "nobody is logged in at the till");
    // What a terminal writes is kept, and written as the terminal.
    let written: String = till
        .write(async |c| {
            sqlx::query_scalar("select current_user::text")
                .fetch_one(c)
                .await
        })
        .await
        .unwrap();
    assert_eq!(written, "bytemtaani_till");
}

/// Discounts (migration 30) from a till's shell: over the limit only with an approval that
/// only an admin's fresh login makes; no line's discount or approval written by hand; the
/// old function without discounts closed to terminals; a kiosk gives none.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn discounts_are_given_only_through_the_function_within_the_limit(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    let amina = login_as(&s, "amina", Role::Customer).await;
    let cashier = at_till(&s, "cashier").await;
    let (till, customer) = (cashier.session().unwrap(), amina.session().unwrap());
    let place = |session: Uuid, served_by: Option<Uuid>, buyer: Uuid, off: &str| {
        let served_by = served_by.map_or("null".to_owned(), |id| format!("'{id}'"));
        format!(
            "select * from bytemtaani_place_order('{session}', '{buyer}', {served_by},
                 gen_random_uuid(), 'pending', array['{}']::uuid[], array[1],
                 '[{{\"product\": null, \"percent\": \"{off}\", \"reason\": \"x\"}}]', null, null)",
            bank.id
        )
    };
    let cases =
        [
            (
                "bytemtaani_till",
                till.id,
                vec![
                    (
                        place(till.id, Some(till.user_id), customer.user_id, "10"),
                        Ok(1),
                    ),
                    (
                        place(till.id, Some(till.user_id), customer.user_id, "50"),
                        Err("BM002"),
                    ),
                    (
                        format!(
                        "select * from bytemtaani_place_order('{}', '{}', '{}', gen_random_uuid(),
                             'pending', array['{}']::uuid[], array[1])",
                        till.id, customer.user_id, till.user_id, bank.id
                    ),
                        REFUSED,
                    ),
                    (
                        format!(
                            "insert into discount_approvals (session_id, sale_key, admin_id)
                         values ('{}', gen_random_uuid(), '{}')",
                            till.id,
                            admin.session().unwrap().user_id
                        ),
                        REFUSED,
                    ),
                    // The cashier's own session is no admin's.
                    (
                        format!(
                            "select bytemtaani_approve_discount('{0}', gen_random_uuid(), '{0}')",
                            till.id
                        ),
                        REFUSED,
                    ),
                    ("update order_items set discount = 0".to_owned(), REFUSED),
                    (
                        "update till_policy set discount_limit_percent = 100".to_owned(),
                        REFUSED,
                    ),
                ],
            ),
            (
                "bytemtaani_kiosk",
                customer.id,
                vec![
                    (place(customer.id, None, customer.user_id, "5"), REFUSED),
                    // Nor sells at an open price (migration 33).
                    (
                        format!(
                        "select * from bytemtaani_place_order('{}', '{}', null, gen_random_uuid(),
                             'pending', array['{}']::uuid[], array[1], '[]', null, 1)",
                        customer.id, customer.user_id, bytemtaani::domain::catalog::OPEN_PRICE
                    ),
                        REFUSED,
                    ),
                ],
            ),
        ];
    for (role, logged_in, attempts) in cases {
        let mut conn = plain(&pool, role, Some(logged_in)).await;
        for (sql, expected) in attempts {
            assert_eq!(
                outcome(&mut conn, &sql).await,
                expected.map_err(String::from),
                "{role}: {sql}"
            );
        }
    }
}
