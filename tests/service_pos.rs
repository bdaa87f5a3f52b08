mod common;

use bytemtaani::domain::catalog::Product;
use bytemtaani::domain::order::{OrderLine, OrderStatus};
use bytemtaani::domain::payment::PaymentMethod;
use bytemtaani::domain::user::{Actor, Role, WALK_IN};
use bytemtaani::domain::{Error, Money};
use bytemtaani::service::Services;
use bytemtaani::service::pos::{Sale, Tender};
use bytemtaani::service::receipts::{Printer, Receipts};
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

/// A cashier and two products: a power bank (KSh 2,999, 10 in stock) and tea (KSh 250.50, 50).
async fn till(s: &Services) -> (Actor, Actor, Product, Product) {
    let (admin, phones) = shop(s).await;
    let cashier = at_till(s, "cashier").await;
    let bank = product(s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    let tea = product(s, &admin, &phones, "Ketepa Tea", "250.50", 50).await;
    (admin, cashier, bank, tea)
}

fn line(product: &Product, quantity: i32) -> OrderLine {
    OrderLine {
        product_id: product.id,
        quantity,
        agreed_price: product.price,
    }
}

fn sale(lines: Vec<OrderLine>, tender: Tender) -> Sale {
    Sale {
        key: Uuid::new_v4(),
        customer: None,
        lines,
        discounts: Vec::new(),
        approval: None,
        tender,
    }
}

fn cash(amount: &str) -> Tender {
    Tender::Cash {
        handed: Money::parse("Cash", amount).unwrap(),
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_cash_sale_is_paid_at_once_with_change_and_a_receipt(pool: PgPool) {
    let s = services(&pool);
    let (_, cashier, bank, tea) = till(&s).await;

    let receipt = s
        .pos
        .sell(
            &cashier,
            sale(vec![line(&bank, 1), line(&tea, 3)], cash("4000")),
        )
        .await
        .unwrap();

    assert_eq!(receipt.total, Money::parse("", "3750.50").unwrap());
    assert_eq!(receipt.change(), Some(Money::parse("", "249.50").unwrap()));
    assert_eq!(receipt.cashier, "cashier");
    assert_eq!(receipt.customer, None);
    assert!(receipt.payment.verified && receipt.payment.transaction_id.starts_with("CASH-"));
    let (status, buyer, served_by): (OrderStatus, Uuid, Option<Uuid>) =
        sqlx::query_as("select status, user_id, served_by from orders where id = $1")
            .bind(receipt.order_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status, buyer), (OrderStatus::Paid, WALK_IN));
    assert!(served_by.is_some());
    let (method, state, confirmed_by): (PaymentMethod, String, Option<Uuid>) = sqlx::query_as(
        "select method, status::text, confirmed_by from payments where order_id = $1",
    )
    .bind(receipt.order_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (method, state.as_str()),
        (PaymentMethod::Cash, "successful")
    );
    assert_eq!(
        confirmed_by, served_by,
        "the cashier is recorded as confirming"
    );
    assert_eq!(
        (stock(&pool, &bank).await, stock(&pool, &tea).await),
        (9, 47)
    );
    // The sale's one audit entry (written with its payment) names the cashier, the order
    // and the payment's transaction id.
    let audited: Vec<(Option<Uuid>, Option<Uuid>, serde_json::Value)> = sqlx::query_as(
        "select actor_id, entity_id, details from audit_log where action = 'pos.sale'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited.len(), 1, "{audited:?}");
    let (actor, entity, details) = &audited[0];
    assert_eq!((*actor, *entity), (served_by, Some(receipt.order_id)));
    assert_eq!(
        details["transaction_id"],
        receipt.payment.transaction_id.as_str()
    );
    assert_eq!(details["total"], "3750.50");
    assert_eq!(details["method"], "Cash");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn refused_sales_write_nothing(pool: PgPool) {
    let s = services(&pool);
    let (_, cashier, bank, tea) = till(&s).await;
    let refusals = [
        (vec![line(&bank, 1)], cash("2000")),
        (vec![line(&bank, 11)], cash("50000")),
        (
            vec![line(&tea, 1), line(&bank, 1)],
            Tender::Card("4111 1111 1111 1111".into()),
        ),
        (vec![line(&bank, 1)], Tender::MpesaCode("QKH-94".into())),
        (Vec::new(), cash("10")),
    ];
    let mut reasons = Vec::new();
    for (lines, tender) in refusals {
        let err = s.pos.sell(&cashier, sale(lines, tender)).await.unwrap_err();
        reasons.push(err.to_string());
    }
    println!("refusals: {reasons:#?}");
    assert!(reasons[0].contains("less than the total"));
    assert!(reasons[1].contains("Only 10"));
    assert!(reasons[2].contains("card number"));
    assert!(reasons[3].contains("M-Pesa code"));
    assert!(reasons[4].contains("empty"));
    assert_eq!(count(&pool, "select count(*) from orders").await, 0);
    assert_eq!(count(&pool, "select count(*) from payments").await, 0);
    assert_eq!(
        (stock(&pool, &bank).await, stock(&pool, &tea).await),
        (10, 50)
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_mpesa_code_waits_for_an_admin_and_is_never_used_twice(pool: PgPool) {
    let s = services(&pool);
    let (admin, cashier, bank, _) = till(&s).await;
    let code = Tender::MpesaCode("qkh94m1z11".into());

    let receipt = s
        .pos
        .sell(&cashier, sale(vec![line(&bank, 1)], code.clone()))
        .await
        .unwrap();
    assert!(!receipt.payment.verified);
    assert_eq!(receipt.payment.transaction_id, "QKH94M1Z11");
    assert!(receipt.text().contains("AWAITING VERIFICATION"));

    let again = s
        .pos
        .sell(&cashier, sale(vec![line(&bank, 1)], code))
        .await
        .unwrap_err();
    assert!(matches!(again, Error::DuplicateTransaction(_)), "{again}");
    assert_eq!(count(&pool, "select count(*) from orders").await, 1);
    assert_eq!(stock(&pool, &bank).await, 9);

    // An admin who took a code at the till never verifies it himself.
    on_shift(&s, &admin).await;
    let own = s
        .pos
        .sell(
            &admin,
            sale(vec![line(&bank, 1)], Tender::MpesaCode("QKH94M1Z12".into())),
        )
        .await
        .unwrap();
    let own_payment = payment_of(&pool, own.order_id).await;
    let refused = s
        .payments
        .confirm(&admin, own_payment, "QKH94M1Z12", own.total)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::Conflict(m) if m.contains("another admin")),
        "{refused}"
    );

    // The admin checks the code with Safaricom and confirms the same payment with it.
    let payment_id = payment_of(&pool, receipt.order_id).await;
    s.payments
        .confirm(&admin, payment_id, "QKH94M1Z11", receipt.total)
        .await
        .unwrap();
    assert_eq!(
        count(&pool, "select count(*) from orders where status = 'paid'").await,
        1
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_same_sale_sent_twice_is_written_once(pool: PgPool) {
    let s = services(&pool);
    let (_, cashier, bank, _) = till(&s).await;
    let once = sale(vec![line(&bank, 2)], Tender::Card("TRM-000123".into()));
    let first = s.pos.sell(&cashier, once.clone()).await.unwrap();
    let second = s.pos.sell(&cashier, once).await.unwrap();
    assert_eq!(first.order_id, second.order_id);
    assert_eq!(count(&pool, "select count(*) from orders").await, 1);
    assert_eq!(stock(&pool, &bank).await, 8);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_same_sale_sent_ten_times_at_once_answers_every_caller_with_it(pool: PgPool) {
    let s = services(&pool);
    let (_, cashier, bank, _) = till(&s).await;
    for tender in [cash("3000"), Tender::Card("TRM-000124".into())] {
        let once = sale(vec![line(&bank, 1)], tender);
        let calls = (0..10).map(|_| s.pos.sell(&cashier, once.clone()));
        let answers = futures::future::join_all(calls).await;
        let orders: std::collections::HashSet<Uuid> = answers
            .into_iter()
            .map(|answer| answer.expect("every caller gets the sale").order_id)
            .collect();
        assert_eq!(orders.len(), 1, "one sale, the same for all");
    }
    assert_eq!(count(&pool, "select count(*) from orders").await, 2);
    assert_eq!(stock(&pool, &bank).await, 8);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_known_customer_is_found_by_phone_and_named_on_the_receipt(pool: PgPool) {
    let s = services(&pool);
    let (_, cashier, bank, _) = till(&s).await;
    s.auth
        .register(bytemtaani::service::auth::NewAccount {
            username: "wanjiku".into(),
            email: "wanjiku@example.co.ke".into(),
            phone: "+254 712 345 678".into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();

    let found = s.pos.find_customer(&cashier, "0712345678").await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        s.pos
            .find_customer(&cashier, "walk")
            .await
            .unwrap()
            .is_empty(),
        "the walk-in account is not a customer to pick"
    );
    let mut with_customer = sale(vec![line(&bank, 1)], cash("3000"));
    with_customer.customer = Some(found[0].id);
    let receipt = s.pos.sell(&cashier, with_customer).await.unwrap();
    assert_eq!(receipt.customer.as_deref(), Some("wanjiku"));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn till_sales_and_kiosk_orders_race_for_the_last_unit_and_one_wins(pool: PgPool) {
    let s = services(&pool);
    let (admin, cashier, _, _) = till(&s).await;
    let phones = s.catalog.categories().await.unwrap().remove(0);
    let last = product(&s, &admin, &phones, "Last Radio", "1500", 1).await;
    let mut buyers = Vec::new();
    for i in 0..25 {
        let buyer = login_as(&s, &format!("kiosk{i}"), Role::Customer).await;
        s.cart.add(&buyer, last.id, 1).await.unwrap();
        buyers.push(buyer);
    }
    let mut tasks = Vec::new();
    for buyer in buyers {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.orders
                .place_from_cart(&buyer, Uuid::new_v4())
                .await
                .is_ok()
        }));
    }
    for _ in 0..25 {
        let (s, cashier, one) = (s.clone(), cashier.clone(), line(&last, 1));
        tasks.push(tokio::spawn(async move {
            s.pos
                .sell(&cashier, sale(vec![one], cash("1500")))
                .await
                .is_ok()
        }));
    }
    let mut sold = 0;
    for task in tasks {
        sold += usize::from(task.await.unwrap());
    }
    let units: i64 = sqlx::query_scalar(
        "select coalesce(sum(quantity), 0)::bigint from order_items where product_id = $1",
    )
    .bind(last.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    println!("50 buyers (25 kiosk, 25 till) for the last unit: {sold} sold, {units} unit ordered");
    assert_eq!((sold, units), (1, 1));
    assert_eq!(stock(&pool, &last).await, 0);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn receipts_are_saved_and_sent_to_the_printer(pool: PgPool) {
    let s = services(&pool);
    let (_, cashier, bank, _) = till(&s).await;
    let receipt = s
        .pos
        .sell(&cashier, sale(vec![line(&bank, 1)], cash("3000")))
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("receipts-{}", Uuid::new_v4()));

    let printer = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = printer.local_addr().unwrap();
    let received = tokio::spawn(async move {
        let (mut conn, _) = printer.accept().await.unwrap();
        let mut bytes = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut conn, &mut bytes)
            .await
            .unwrap();
        bytes
    });
    let desk = Receipts::new(
        dir.clone(),
        Printer::from_setting(&format!("tcp://{address}")),
    );
    let issued = desk.issue(&receipt).await.unwrap();
    assert_eq!(issued.printed, Some(Ok(())));
    assert_eq!(
        std::fs::read_to_string(&issued.path).unwrap(),
        receipt.text()
    );
    let bytes = received.await.unwrap();
    assert!(bytes.starts_with(b"\x1b@"), "ESC/POS initialise first");
    assert!(bytes.ends_with(b"\x1dVB\x00"), "cut last");
    let printed = String::from_utf8_lossy(&bytes);
    assert!(printed.contains("Oraimo Power Bank") && printed.contains("Change"));

    // A printer that is off: the sale stands, the file is saved, the cashier is told.
    let dead = Receipts::new(dir.clone(), Printer::from_setting("tcp://127.0.0.1:1"));
    let issued = dead.issue(&receipt).await.unwrap();
    assert!(matches!(issued.printed, Some(Err(ref why)) if why.contains("saved")));
    assert!(issued.path.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_walk_in_account_can_never_become_a_login(pool: PgPool) {
    let s = services(&pool);
    let (admin, _) = shop(&s).await;
    for refused in [
        s.users.set_active(&admin, WALK_IN, true).await.err(),
        s.users.set_role(&admin, WALK_IN, Role::Admin).await.err(),
        s.users
            .reset_password(&admin, WALK_IN, "a fine passphrase")
            .await
            .err(),
    ] {
        assert!(matches!(refused, Some(Error::Conflict(_))), "{refused:?}");
    }
    let login = s.auth.login("walk-in", "!").await.unwrap_err();
    assert!(
        matches!(login, Error::InvalidCredentials | Error::Inactive),
        "{login:?}"
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_till_sale_paid_by_mpesa_push_gets_its_receipt_once_paid(pool: PgPool) {
    let s = services(&pool);
    let (_, cashier, bank, tea) = till(&s).await;
    let recorded = s
        .pos
        .sell(&cashier, sale(vec![line(&bank, 1)], Tender::MpesaPush))
        .await
        .unwrap();
    assert!(!recorded.payment.verified);
    assert_eq!(
        stock(&pool, &bank).await,
        9,
        "the goods are held for the sale"
    );
    let pushed = s
        .payments
        .pay_by_mpesa(&cashier, recorded.order_id, "0712 345 678")
        .await
        .unwrap();
    let mut receipt = s
        .pos
        .receipt_for(&cashier, recorded.order_id)
        .await
        .unwrap();
    for _ in 0..50 {
        if receipt.payment.verified {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        s.payments.status(&cashier, pushed.id).await.unwrap();
        receipt = s
            .pos
            .receipt_for(&cashier, recorded.order_id)
            .await
            .unwrap();
    }
    assert!(receipt.payment.verified, "paid through the sandbox");
    assert_eq!(receipt.payment.transaction_id.len(), 10);
    // Paid by M-Pesa's word, not the cashier's: still the shift's sale by M-Pesa.
    let x = s.shifts.report(&cashier).await.unwrap();
    assert_eq!(x.figures.taken, [(PaymentMethod::Mpesa, bank.price)]);

    // A push the customer cancels: the cashier cancels the sale and the stock returns.
    let second = s
        .pos
        .sell(&cashier, sale(vec![line(&tea, 2)], Tender::MpesaPush))
        .await
        .unwrap();
    assert_eq!(stock(&pool, &tea).await, 48);
    s.orders.cancel(&cashier, second.order_id).await.unwrap();
    assert_eq!(stock(&pool, &tea).await, 50);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_code_awaiting_verification_is_not_cancelled_as_unpaid(pool: PgPool) {
    let s = services(&pool);
    let (_, cashier, bank, _) = till(&s).await;
    s.pos
        .sell(
            &cashier,
            sale(vec![line(&bank, 1)], Tender::MpesaCode("QKH94M1Z11".into())),
        )
        .await
        .unwrap();
    sqlx::query("update orders set created_at = now() - interval '2 hours'")
        .execute(&pool)
        .await
        .unwrap();
    let done = s.payments.reconcile().await.unwrap();
    assert_eq!(
        done.orders_cancelled, 0,
        "the customer took the goods; an admin verifies"
    );
    assert_eq!(stock(&pool, &bank).await, 9);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_code_awaiting_verification_cannot_be_paid_again_from_the_kiosk(pool: PgPool) {
    let s = services(&pool);
    let (admin, cashier, bank, _) = till(&s).await;
    let amina = login_as(&s, "amina", Role::Customer).await;
    let mut claimed = sale(vec![line(&bank, 1)], Tender::MpesaCode("QKH94M1Z11".into()));
    claimed.customer = Some(amina.session().unwrap().user_id);
    let sold = s.pos.sell(&cashier, claimed).await.unwrap();

    let history = s.orders.detail(&amina, sold.order_id).await.unwrap();
    assert!(!history.payable(), "not shown as payable in the kiosk");
    for attempt in [
        s.payments
            .pay_by_mpesa(&amina, sold.order_id, "0712 345 678")
            .await,
        s.payments.pay_by_card(&amina, sold.order_id).await,
    ] {
        assert!(
            matches!(&attempt, Err(Error::Conflict(m)) if m.contains("QKH94M1Z11")),
            "{attempt:?}"
        );
    }
    // The admin's item is still there, with its code, and verifies as before.
    let waiting = s
        .payments
        .list(
            &admin,
            Some(bytemtaani::domain::payment::PaymentStatus::Pending),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1);
    let payment = &waiting[0].payment;
    assert_eq!(payment.transaction_id.as_deref(), Some("QKH94M1Z11"));
    assert_eq!(payment.gateway_ref, None, "no push was sent");
    s.payments
        .confirm(&admin, payment.id, "QKH94M1Z11", payment.amount)
        .await
        .unwrap();
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn held_sales_are_kept_per_cashier_until_recalled(pool: PgPool) {
    use bytemtaani::domain::held::{HeldLine, HeldSale};
    let s = services(&pool);
    let (_, cashier, bank, tea) = till(&s).await;
    let other = login_as(&s, "otieno", Role::Staff).await;
    let held = |product: &Product, quantity| {
        let lines = vec![HeldLine {
            product_id: product.id,
            name: product.name.clone(),
            sku: product.sku.clone(),
            price: product.price,
            quantity,
        }];
        HeldSale {
            key: Uuid::new_v4(),
            label: HeldSale::label_for(None, &lines),
            customer: None,
            lines,
            discounts: Vec::new(),
            held_at: chrono::Utc::now(),
        }
    };
    let (first, second) = (held(&bank, 1), held(&tea, 3));
    s.pos.swap_held(&cashier, Some(&first), None).await.unwrap();
    s.pos
        .swap_held(&cashier, Some(&second), None)
        .await
        .unwrap();

    // A new login (a restart) finds them, oldest first; another cashier sees none.
    let again = s.auth.login("cashier", PASSWORD).await.unwrap().into();
    let kept = s.pos.held(&again).await.unwrap();
    let labels: Vec<&str> = kept.iter().map(|h| h.label.as_str()).collect();
    assert_eq!(
        labels,
        ["walk-in · Oraimo Power Bank", "walk-in · Ketepa Tea"]
    );
    assert_eq!(kept[1].lines, second.lines);
    assert_eq!(kept[1].total(), Money::from_cents(75_150));
    assert!(s.pos.held(&other).await.unwrap().is_empty());

    // F5: the first comes back, the sale on screen is held in exchange, in one step.
    let on_screen = held(&tea, 1);
    s.pos
        .swap_held(&again, Some(&on_screen), Some(first.key))
        .await
        .unwrap();
    let keys: Vec<Uuid> = s
        .pos
        .held(&again)
        .await
        .unwrap()
        .iter()
        .map(|h| h.key)
        .collect();
    assert_eq!(keys, [second.key, on_screen.key]);
    let twice = s.pos.swap_held(&again, None, Some(first.key)).await;
    assert!(matches!(twice, Err(Error::NotFound(_))), "{twice:?}");
    let stolen = s.pos.swap_held(&other, None, Some(second.key)).await;
    assert!(
        matches!(stolen, Err(Error::NotFound(_))),
        "another cashier's held sale"
    );
}

/// A till sale whose M-Pesa code an admin rejected.
async fn rejected_code_sale(
    s: &Services,
    pool: &PgPool,
    admin: &Actor,
    cashier: &Actor,
    product: &Product,
    code: &str,
) -> Uuid {
    let sold = s
        .pos
        .sell(
            cashier,
            sale(vec![line(product, 1)], Tender::MpesaCode(code.into())),
        )
        .await
        .unwrap();
    let payment: Uuid = sqlx::query_scalar("select id from payments where order_id = $1")
        .bind(sold.order_id)
        .fetch_one(pool)
        .await
        .unwrap();
    s.payments
        .reject(admin, payment, "not on the statement")
        .await
        .unwrap();
    sold.order_id
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_rejected_code_is_paid_again_by_any_method_at_the_till(pool: PgPool) {
    let s = services(&pool);
    let (admin, cashier, bank, tea) = till(&s).await;
    let order = rejected_code_sale(&s, &pool, &admin, &cashier, &bank, "QKH94M1Z11").await;
    let other = rejected_code_sale(&s, &pool, &admin, &cashier, &tea, "QKH94M1Z12").await;

    // Both wait at the till for payment, newest first, saying why.
    let unpaid = s.pos.unpaid(&cashier).await.unwrap();
    let listed: Vec<Uuid> = unpaid.iter().map(|u| u.order_id).collect();
    assert_eq!(listed, vec![other, order]);
    assert!(
        unpaid[0].why.contains("not on the statement"),
        "{:?}",
        unpaid[0]
    );

    // Cash now: paid, with change, by this cashier.
    let receipt = s
        .pos
        .pay_order(&cashier, order, cash("3000"))
        .await
        .unwrap();
    assert!(receipt.payment.verified);
    assert_eq!(receipt.change(), Some(Money::parse("", "1").unwrap()));
    assert_eq!(receipt.items.len(), 1);
    assert_eq!(stock(&pool, &bank).await, 9, "sold once");
    // Paid once only: a second press is refused, changing nothing.
    let again = s.pos.pay_order(&cashier, order, cash("3000")).await;
    assert!(
        matches!(&again, Err(Error::Conflict(m)) if m.contains("paid")),
        "{again:?}"
    );

    // Another code for the other sale: it waits for an admin who did not take it.
    let second = login_as(&s, "second", Role::Admin).await;
    on_shift(&s, &second).await;
    let claimed = s
        .pos
        .pay_order(&second, other, Tender::MpesaCode("QKH94M1Z22".into()))
        .await
        .unwrap();
    assert!(!claimed.payment.verified);
    let payment = payment_of(&pool, other).await;
    let own = s
        .payments
        .confirm(&second, payment, "QKH94M1Z22", claimed.total)
        .await;
    assert!(
        matches!(&own, Err(Error::Conflict(m)) if m.contains("another admin")),
        "the one who took the new code does not verify it: {own:?}"
    );
    s.payments
        .confirm(&admin, payment, "QKH94M1Z22", claimed.total)
        .await
        .unwrap();
    assert!(s.pos.unpaid(&cashier).await.unwrap().is_empty());
    assert_eq!(
        count(&pool, "select count(*) from orders where status = 'paid'").await,
        2
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_rejected_code_sale_is_voided_with_its_stock_back_and_customers_cannot_pay_at_the_till(
    pool: PgPool,
) {
    let s = services(&pool);
    let (admin, cashier, bank, _) = till(&s).await;
    let order = rejected_code_sale(&s, &pool, &admin, &cashier, &bank, "QKH94M1Z11").await;
    assert_eq!(stock(&pool, &bank).await, 9);

    let amina = login_as(&s, "amina", Role::Customer).await;
    let refused = s.pos.pay_order(&amina, order, cash("2999")).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    assert!(s.pos.unpaid(&amina).await.is_err());

    s.orders.cancel(&cashier, order).await.unwrap();
    assert_eq!(stock(&pool, &bank).await, 10, "stock back");
    assert!(s.pos.unpaid(&cashier).await.unwrap().is_empty());
    let late = s.pos.pay_order(&cashier, order, cash("2999")).await;
    assert!(
        matches!(&late, Err(Error::Conflict(m)) if m.contains("cancelled")),
        "{late:?}"
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_cashier_adds_a_customer_on_the_spot_who_cannot_log_in_until_given_a_password(
    pool: PgPool,
) {
    let s = services(&pool);
    let (_, cashier, _, _) = till(&s).await;
    assert!(
        s.pos
            .find_customer(&cashier, "0722 000 111")
            .await
            .unwrap()
            .is_empty()
    );

    let jane = s
        .pos
        .add_customer(&cashier, "jane", "0722 000 111")
        .await
        .unwrap();
    assert_eq!(jane.role(), Role::Customer);
    assert_eq!(jane.phone.as_deref(), Some("254722000111"));
    let found = s.pos.find_customer(&cashier, "0722000111").await.unwrap();
    assert_eq!(
        found.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![jane.id]
    );
    assert!(matches!(
        s.auth.login("jane", "!").await,
        Err(Error::InvalidCredentials)
    ));
    assert_eq!(
        count(
            &pool,
            "select count(*) from audit_log where action = 'pos.add_customer'"
        )
        .await,
        1
    );

    // The same phone again names who has it; a bad username or phone names its field.
    let again = s
        .pos
        .add_customer(&cashier, "jane2", "+254 722 000 111")
        .await;
    assert!(
        matches!(&again, Err(Error::Invalid { field: "Phone", message }) if message.contains("jane")),
        "{again:?}"
    );
    let bad = s.pos.add_customer(&cashier, "j", "0722 000 222").await;
    assert!(
        matches!(
            bad,
            Err(Error::Invalid {
                field: "Username",
                ..
            })
        ),
        "{bad:?}"
    );
    let amina = login_as(&s, "amina", Role::Customer).await;
    let refused = s.pos.add_customer(&amina, "mary", "0722 000 333").await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_receipt_is_printed_again_marked_copy_and_the_reprint_is_audited(pool: PgPool) {
    let s = services(&pool);
    let (admin, cashier, bank, _) = till(&s).await;
    let sold = s
        .pos
        .sell(&cashier, sale(vec![line(&bank, 1)], cash("3000")))
        .await
        .unwrap();
    let other = at_till(&s, "otieno").await;
    assert!(
        s.pos.recent_sales(&other).await.unwrap().is_empty(),
        "only one's own"
    );
    let recent = s.pos.recent_sales(&cashier).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].order_id, sold.order_id);

    let copy = s.pos.reprint(&other, sold.order_id).await.unwrap();
    assert!(copy.copy);
    assert_eq!(copy.cashier, "cashier", "the one who rang it up");
    assert_eq!((copy.total, copy.number()), (sold.total, sold.number()));
    assert_eq!(copy.text().matches("*** COPY ***").count(), 2);
    let dir = std::env::temp_dir().join(format!("copies-{}", Uuid::new_v4()));
    let issued = Receipts::new(dir.clone(), None).issue(&copy).await.unwrap();
    assert!(
        issued.path.to_string_lossy().ends_with("-COPY.txt"),
        "{issued:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
    let by: String = sqlx::query_scalar(
        "select u.username from audit_log a join users u on u.id = a.actor_id
         where a.action = 'pos.reprint'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(by, "otieno");
    // A customer's own order is printed too, from the console.
    let amina = login_as(&s, "amina", Role::Customer).await;
    s.cart.add(&amina, bank.id, 1).await.unwrap();
    let online = s
        .orders
        .place_from_cart(&amina, Uuid::new_v4())
        .await
        .unwrap();
    let copy = s.pos.reprint(&admin, online.order.id).await.unwrap();
    assert_eq!(copy.cashier, "online");
    assert!(matches!(
        s.pos.reprint(&amina, online.order.id).await,
        Err(Error::Forbidden(_))
    ));
}

/// A scan nothing matches is told apart from words nothing matches: the first is a product
/// the shop has not entered yet (an admin adds it at the till), the second just nothing.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_unknown_sku_is_named_as_such(pool: PgPool) {
    use bytemtaani::service::pos::Lookup;
    let s = services(&pool);
    let (_, cashier, bank, _) = till(&s).await;
    assert!(matches!(
        s.pos.lookup(&cashier, &bank.sku).await.unwrap(),
        Lookup::Sku(found) if found.id == bank.id
    ));
    assert_eq!(
        s.pos.lookup(&cashier, " 4006381333931 ").await.unwrap(),
        Lookup::Unknown("4006381333931".into())
    );
    assert_eq!(
        s.pos.lookup(&cashier, "blue kettle").await.unwrap(),
        Lookup::Matches(Vec::new())
    );
}

/// Something the shop has not entered, sold at the price the cashier types (migration 33):
/// no stock taken, on the receipt and in the shift's report, audited; refused at nothing,
/// and never for a customer.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_open_price_line_sells_what_the_shop_has_not_entered(pool: PgPool) {
    use bytemtaani::domain::catalog::OPEN_PRICE;
    let s = services(&pool);
    let (_, cashier, _, tea) = till(&s).await;
    let open = |cents| OrderLine {
        product_id: OPEN_PRICE,
        quantity: 2,
        agreed_price: Money::from_cents(cents),
    };
    let receipt = s
        .pos
        .sell(
            &cashier,
            sale(vec![line(&tea, 1), open(35_000)], cash("1000")),
        )
        .await
        .unwrap();
    // 250.50 + 2 × 350.00
    assert_eq!(receipt.total, Money::from_cents(95_050));
    assert!(receipt.text().contains("Miscellaneous (open price)"));
    let (price, stock): (Money, i32) = sqlx::query_as(
        "select i.price, p.stock_quantity from order_items i join products p on p.id = i.product_id
         where i.order_id = $1 and p.open_price",
    )
    .bind(receipt.order_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((price, stock), (Money::from_cents(35_000), 0));
    let audited: Option<String> = sqlx::query_scalar(
        "select details->>'open_price' from audit_log where action = 'pos.sale'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited.as_deref(), Some("350.00"));
    let report = s.shifts.report(&cashier).await.unwrap();
    assert_eq!(report.figures.open_priced, Money::from_cents(70_000));
    assert!(
        report
            .lines()
            .iter()
            .any(|l| l.starts_with("Open-price sales"))
    );

    let free = s.pos.sell(&cashier, sale(vec![open(0)], cash("0"))).await;
    assert!(matches!(free, Err(Error::Invalid { .. })), "{free:?}");
    // Nowhere in the catalog: a search or a scan of its SKU finds nothing to sell.
    let found = s.pos.lookup(&cashier, "OPEN-PRICE").await.unwrap();
    assert!(
        !matches!(found, bytemtaani::service::pos::Lookup::Sku(_)),
        "{found:?}"
    );
}

/// PostgreSQL holds one database-wide lock from queueing a transaction's notifications until
/// its commit has reached the disk, so sales whose commits notify are flushed one at a time.
/// The order function announces nothing itself; the till announces the stock a sale took
/// once the sale has committed.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_sales_stock_is_announced_after_its_commit_not_by_it(pool: PgPool) {
    use std::time::Duration;
    let s = services(&pool);
    let (_, cashier, bank, tea) = till(&s).await;
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool)
        .await
        .unwrap();
    listener.listen("product_changed").await.unwrap();

    let session = cashier.session().unwrap();
    let mut order = pool.begin().await.unwrap();
    sqlx::query(
        "select * from bytemtaani_place_order($1, $2, $3, $4, 'pending', $5, $6, '[]', null, null)",
    )
    .bind(session.id)
    .bind(WALK_IN)
    .bind(session.user_id)
    .bind(Uuid::new_v4())
    .bind(vec![bank.id])
    .bind(vec![1i32])
    .execute(&mut *order)
    .await
    .unwrap();
    order.commit().await.unwrap();
    assert_eq!(stock(&pool, &bank).await, 9);
    let by_the_commit = tokio::time::timeout(Duration::from_millis(300), listener.recv()).await;
    assert!(by_the_commit.is_err(), "{by_the_commit:?}");

    s.pos
        .sell(
            &cashier,
            sale(vec![line(&tea, 2), line(&bank, 1)], cash("3600")),
        )
        .await
        .unwrap();
    let mut heard = Vec::new();
    for _ in 0..2 {
        let note = tokio::time::timeout(Duration::from_secs(1), listener.recv())
            .await
            .expect("announced once sold")
            .unwrap();
        heard.push(note.payload().to_owned());
    }
    heard.sort();
    let mut sold = vec![bank.id.to_string(), tea.id.to_string()];
    sold.sort();
    assert_eq!(heard, sold);
}
