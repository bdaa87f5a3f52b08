//! Returns against a till sale's receipt (issue 16): part of a sale, never more than was
//! sold less what came back, restocked or not, refunded by the sale's method, also under
//! concurrency (the till's database role: tests/db_roles.rs).

mod common;

use bytemtaani::domain::catalog::Product;
use bytemtaani::domain::order::{AfterSale, OrderLine, short_id};
use bytemtaani::domain::returns::ReturnRequest;
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::domain::{Error, Money};
use bytemtaani::service::Services;
use bytemtaani::service::pos::{Sale, Tender};
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

fn line(product: &Product, quantity: i32) -> OrderLine {
    OrderLine {
        product_id: product.id,
        quantity,
        agreed_price: product.price,
    }
}

async fn sold(s: &Services, cashier: &Actor, lines: Vec<OrderLine>, tender: Tender) -> Uuid {
    s.pos
        .sell(
            cashier,
            Sale {
                key: Uuid::new_v4(),
                customer: None,
                lines,
                discounts: Vec::new(),
                approval: None,
                tender,
            },
        )
        .await
        .unwrap()
        .order_id
}

fn cash() -> Tender {
    Tender::Cash {
        handed: Money::parse("Cash", "100000").unwrap(),
    }
}

fn back(order_id: Uuid, lines: &[(&Product, i32)], restock: bool, reason: &str) -> ReturnRequest {
    ReturnRequest {
        order_id,
        lines: lines.iter().map(|(p, n)| (p.id, *n)).collect(),
        restock,
        reason: reason.into(),
        reference: String::new(),
    }
}

fn money(text: &str) -> Money {
    Money::parse("", text).unwrap()
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_cashier_takes_back_part_of_a_sale_and_refunds_exactly_that(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    let order = sold(&s, &cashier, vec![line(&radio, 3), line(&bank, 2)], cash()).await;

    // Found by the number printed on the receipt, typed in lower case.
    let sale = s
        .returns
        .find_sale(&cashier, &short_id(order).to_lowercase())
        .await
        .unwrap();
    assert_eq!(sale.order_id, order);
    let left: Vec<(String, i32)> = sale
        .lines
        .iter()
        .map(|l| (l.product_name.clone(), l.left()))
        .collect();
    assert_eq!(left, [("Oraimo Power Bank".into(), 2), ("Radio".into(), 3)]);

    let slip = s
        .returns
        .take(&cashier, back(order, &[(&radio, 1)], true, ""))
        .await
        .unwrap();
    assert_eq!(slip.total, money("1500"));
    let text = slip.text();
    assert!(
        text.contains(&short_id(order)) && text.contains("REFUND"),
        "{text}"
    );
    assert_eq!(stock(&pool, &radio).await, 10 - 3 + 1);

    // Never more than is left: 2 radios now.
    let refused = s
        .returns
        .take(&cashier, back(order, &[(&radio, 3)], true, ""))
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("2 of Radio can still be returned"),
        "{refused}"
    );
    // Not restocked needs a reason.
    let refused = s
        .returns
        .take(&cashier, back(order, &[(&bank, 2)], false, " "))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Invalid { .. }), "{refused}");

    let slip = s
        .returns
        .take(
            &cashier,
            back(
                order,
                &[(&radio, 2), (&bank, 2)],
                false,
                "damaged in the box",
            ),
        )
        .await
        .unwrap();
    assert_eq!(slip.total, money("8998"));
    let text = slip.text().replace('\n', " ");
    assert!(text.contains("Not restocked: damaged in the box"), "{text}");
    assert_eq!(
        stock(&pool, &radio).await,
        8,
        "damaged goods stay off the shelf"
    );
    assert_eq!(stock(&pool, &bank).await, 8);

    // Everything is back: the refunds add up to what was paid, and nothing more comes back.
    let refunded = count(&pool, "select sum(amount * 100)::bigint from returns").await;
    let paid = count(&pool, "select sum(amount * 100)::bigint from payments").await;
    assert_eq!(refunded, paid);
    let sale = s
        .returns
        .find_sale(&cashier, &short_id(order))
        .await
        .unwrap();
    assert!(sale.lines.iter().all(|l| l.left() == 0));
    assert!(
        s.returns
            .take(&cashier, back(order, &[(&bank, 1)], true, ""))
            .await
            .is_err()
    );
    // A sale with returns is not cancelled as a whole (the units would come back twice).
    let refused = s.orders.cancel(&admin, order).await.unwrap_err();
    assert!(matches!(refused, Error::Conflict(_)), "{refused}");
    assert_eq!(stock(&pool, &radio).await, 8);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn two_tills_returning_one_receipt_never_take_back_more_than_was_sold(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;
    let order = sold(&s, &cashier, vec![line(&radio, 5)], cash()).await;
    on_shift(&s, &admin).await;

    let attempts = (0..12).map(|i| {
        let s = s.clone();
        let who = if i % 2 == 0 {
            cashier.clone()
        } else {
            admin.clone()
        };
        let radio = radio.clone();
        tokio::spawn(async move {
            s.returns
                .take(&who, back(order, &[(&radio, 1)], true, ""))
                .await
        })
    });
    let mut taken = 0;
    let mut refused = 0;
    for attempt in futures::future::join_all(attempts).await {
        match attempt.unwrap() {
            Ok(_) => taken += 1,
            Err(Error::Invalid { .. }) => refused += 1,
            Err(other) => panic!("{other}"),
        }
    }
    println!("returns of one receipt: 12 attempts, {taken} taken, {refused} refused");
    assert_eq!((taken, refused), (5, 7));
    assert_eq!(stock(&pool, &radio).await, 10);
    assert_eq!(count(&pool, "select count(*) from return_items").await, 5);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_refund_goes_back_by_the_sales_own_method(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;

    // Card: the terminal's refund reference, never a card number.
    let card = sold(
        &s,
        &cashier,
        vec![line(&radio, 1)],
        Tender::Card("AUTH-778812".into()),
    )
    .await;
    for wrong in ["", "4111 1111 1111 1111"] {
        let mut request = back(card, &[(&radio, 1)], true, "");
        request.reference = wrong.into();
        let refused = s.returns.take(&cashier, request).await.unwrap_err();
        assert!(
            refused.to_string().contains("refund reference"),
            "{refused}"
        );
    }
    let mut request = back(card, &[(&radio, 1)], true, "");
    request.reference = "rf-99120".into();
    let slip = s.returns.take(&cashier, request).await.unwrap();
    assert_eq!(slip.payment.transaction_id, "RF-99120");
    assert!(!slip.text().contains("SOON"));

    // An M-Pesa code still waiting for an admin: nothing was taken, nothing to refund.
    let mpesa = sold(
        &s,
        &cashier,
        vec![line(&radio, 1)],
        Tender::MpesaCode("QKH94M1Z11".into()),
    )
    .await;
    let refused = s
        .returns
        .take(&cashier, back(mpesa, &[(&radio, 1)], true, ""))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Conflict(_)), "{refused}");
    // Once verified, its refund waits for an admin to send it back through M-Pesa.
    let payment = payment_of(&pool, mpesa).await;
    s.payments
        .confirm(&admin, payment, "QKH94M1Z11", radio.price)
        .await
        .unwrap();
    let slip = s
        .returns
        .take(&cashier, back(mpesa, &[(&radio, 1)], true, ""))
        .await
        .unwrap();
    assert!(slip.text().contains("REFUND SENT BY THE SHOP SOON"));
    let states: Vec<String> =
        sqlx::query_scalar("select refund_status::text from returns order by created_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(states, ["refunded", "awaiting_reversal"]);

    // The admin sends it back with M-Pesa and records the reversal's receipt code.
    let waiting = s.returns.awaiting_reversal(&admin).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].amount, radio.price);
    assert!(matches!(
        s.returns.awaiting_reversal(&cashier).await,
        Err(Error::Forbidden(_))
    ));
    let refund = waiting[0].return_id;
    let refused = s
        .returns
        .complete_reversal(&admin, refund, "not a code")
        .await;
    assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
    s.returns
        .complete_reversal(&admin, refund, "qkh94m1z99")
        .await
        .unwrap();
    assert!(
        s.returns
            .awaiting_reversal(&admin)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.returns
            .complete_reversal(&admin, refund, "QKH94M1Z98")
            .await,
        Err(Error::NotFound(_))
    ));
    let (reference, audited): (String, i64) = sqlx::query_as(
        "select r.refund_reference,
                (select count(*) from audit_log where action = 'return.reversed')
         from returns r where r.id = $1 and r.reversed_by is not null",
    )
    .bind(refund)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((reference.as_str(), audited), ("QKH94M1Z99", 1));
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn only_staff_take_returns_and_a_number_finds_one_sale(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;
    let cashier = at_till(&s, "cashier").await;
    let order = sold(&s, &cashier, vec![line(&radio, 2)], cash()).await;
    s.returns
        .take(&cashier, back(order, &[(&radio, 1)], true, ""))
        .await
        .unwrap();

    // A customer reaching the till's functions by any path is refused.
    let amina = login_as(&s, "amina", Role::Customer).await;
    let refused = s
        .returns
        .find_sale(&amina, &short_id(order))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Forbidden(_)), "{refused}");
    let refused = s
        .returns
        .take(&amina, back(order, &[(&radio, 1)], true, ""))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Forbidden(_)), "{refused}");

    for wrong in ["", "12345", "ZZZZZZZZ"] {
        let refused = s.returns.find_sale(&cashier, wrong).await.unwrap_err();
        assert!(
            matches!(refused, Error::Invalid { .. }),
            "{wrong}: {refused}"
        );
    }
    let unknown = match short_id(order).starts_with('F') {
        true => "00000000",
        false => "FFFFFFFF",
    };
    let refused = s.returns.find_sale(&cashier, unknown).await.unwrap_err();
    assert!(matches!(refused, Error::NotFound(_)), "{refused}");
    // The scanned code is the whole order id.
    let found = s
        .returns
        .find_sale(&cashier, &order.to_string())
        .await
        .unwrap();
    assert_eq!(found.lines[0].returned, 1);
}

/// Each returned line keeps its own product's price, whatever order the lines come in (the
/// till lists them by name; the database takes them in product id order).
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn each_returned_line_keeps_its_own_price(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let one = product(&s, &admin, &phones, "One", "1500", 10).await;
    let two = product(&s, &admin, &phones, "Two", "20", 10).await;
    // The lines listed first are those whose ids sort last.
    let (first, last) = if one.id > two.id {
        (&one, &two)
    } else {
        (&two, &one)
    };
    let order = sold(&s, &cashier, vec![line(&one, 1), line(&two, 1)], cash()).await;
    s.returns
        .take(&cashier, back(order, &[(first, 1), (last, 1)], true, ""))
        .await
        .unwrap();
    let kept: Vec<(Uuid, Money)> =
        sqlx::query_as("select product_id, price from return_items order by price")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(kept, [(two.id, two.price), (one.id, one.price)]);
    // The sale's history shows the return to staff: units, refund, method, who.
    let history = s.orders.detail(&admin, order).await.unwrap().after_sale;
    assert!(
        matches!(&history[..], [AfterSale::Returned { units: 2, refund, restocked: true, by, .. }]
            if *refund == one.price + two.price && by == "cashier"),
        "{history:?}"
    );
    // The cashier's last sales (F11) say what went back.
    let recent = s.pos.recent_sales(&cashier).await.unwrap();
    assert_eq!(recent[0].refunded, one.price + two.price);
}

/// A customer's own order history shows what they brought back and the refund, read under
/// the kiosk's database role: their own returns only, and not who took them.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_customer_sees_their_own_returns_and_nobody_elses(pool: PgPool) {
    use bytemtaani::db::TerminalRole;
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;
    login_as(&s, "amina", Role::Customer).await;
    login_as(&s, "baraka", Role::Customer).await;
    let mut sales = Vec::new();
    for name in ["amina", "baraka"] {
        let customer: Uuid = sqlx::query_scalar("select id from users where username = $1")
            .bind(name)
            .fetch_one(&pool)
            .await
            .unwrap();
        let order = s
            .pos
            .sell(
                &cashier,
                Sale {
                    key: Uuid::new_v4(),
                    customer: Some(customer),
                    lines: vec![line(&radio, 2)],
                    discounts: Vec::new(),
                    approval: None,
                    tender: cash(),
                },
            )
            .await
            .unwrap()
            .order_id;
        s.returns
            .take(&cashier, back(order, &[(&radio, 1)], false, "dented"))
            .await
            .unwrap();
        sales.push(order);
    }

    let kiosk = served(&s, TerminalRole::Kiosk);
    let amina: Actor = kiosk.auth.login("amina", PASSWORD).await.unwrap().into();
    let history = kiosk
        .orders
        .detail(&amina, sales[0])
        .await
        .unwrap()
        .after_sale;
    assert!(
        matches!(&history[..], [AfterSale::Returned { units: 1, refund, restocked: false, by, .. }]
            if *refund == radio.price && by.is_empty()),
        "{history:?}"
    );
    assert!(kiosk.orders.detail(&amina, sales[1]).await.is_err());
    // Straight SQL under the kiosk's role with Amina logged in: her return only.
    let mut conn = plain(&pool, "bytemtaani_kiosk", Some(amina.session().unwrap().id)).await;
    let seen: Vec<Uuid> = sqlx::query_scalar("select order_id from returns")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(seen, [sales[0]]);
}
