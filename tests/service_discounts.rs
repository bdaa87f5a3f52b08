//! Discounts at the till (issue 16): per line and per sale, amount or percent, with a reason;
//! over the cashier's limit only with an admin's password; each line keeping its shelf price
//! and discount so totals, receipts, shift reports and refunds are exact to the cent. Run the
//! way a shop runs: the till under its own database role.

mod common;

use bytemtaani::db::TerminalRole;
use bytemtaani::domain::catalog::Product;
use bytemtaani::domain::discount::{Approval, Discount, Off};
use bytemtaani::domain::order::OrderLine;
use bytemtaani::domain::returns::ReturnRequest;
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::domain::{Error, Money};
use bytemtaani::service::Services;
use bytemtaani::service::pos::{Sale, Tender};
use common::*;
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

fn money(text: &str) -> Money {
    Money::parse("", text).unwrap()
}

fn line(product: &Product, quantity: i32) -> OrderLine {
    OrderLine {
        product_id: product.id,
        quantity,
        agreed_price: product.price,
    }
}

fn off(product: Option<&Product>, off: &str, reason: &str) -> Discount {
    Discount {
        product: product.map(|p| p.id),
        off: Off::parse(off).unwrap(),
        reason: reason.into(),
    }
}

fn sale(lines: Vec<OrderLine>, discounts: Vec<Discount>) -> Sale {
    Sale {
        key: Uuid::new_v4(),
        customer: None,
        lines,
        discounts,
        approval: None,
        tender: Tender::Cash {
            handed: money("100000"),
        },
    }
}

/// The shop with a cashier on shift at a till running under the till's database role.
async fn till(pool: &PgPool) -> (Services, Services, Actor, Product, Product) {
    let s = services(pool);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "33.33", 50).await;
    let bank = product(&s, &admin, &phones, "Oraimo Power Bank", "100", 50).await;
    create_account(&s, "cashier", Role::Staff).await;
    let at_till = served(&s, TerminalRole::Till);
    let cashier: Actor = at_till
        .auth
        .login("cashier", PASSWORD)
        .await
        .unwrap()
        .into();
    on_shift(&at_till, &cashier).await;
    (s, at_till, cashier, radio, bank)
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_line_and_a_sale_discount_are_kept_exact_to_the_cent(pool: PgPool) {
    let (_, t, cashier, radio, bank) = till(&pool).await;
    let sale = sale(
        vec![line(&radio, 3), line(&bank, 1)],
        vec![
            off(Some(&radio), "5%", "dented box"),
            off(None, "10", "regular customer"),
        ],
    );
    // 99.99 - 5.00 + 100 - 10 = 184.99, as the till shows before it is written.
    assert_eq!(sale.total().unwrap(), money("184.99"));
    let receipt = t.pos.sell(&cashier, sale).await.unwrap();
    assert_eq!(receipt.total, money("184.99"));

    // Each line keeps its shelf price and what came off it: the radio its 5.00 and its
    // share of the 10 (94.99 of 194.99 → 4.87), the bank the rest (5.13).
    let lines: Vec<(Money, i32, Money)> = sqlx::query_as(
        "select price, quantity, discount from order_items where order_id = $1 order by price",
    )
    .bind(receipt.order_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        lines,
        [
            (money("33.33"), 3, money("9.87")),
            (money("100"), 1, money("5.13"))
        ]
    );
    let (total, paid): (Money, Money) = sqlx::query_as(
        "select o.total_amount, p.amount from orders o join payments p on p.order_id = o.id
         where o.id = $1",
    )
    .bind(receipt.order_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((total, paid), (money("184.99"), money("184.99")));
    let given: Vec<(Option<Uuid>, Money, String, Option<Uuid>)> = sqlx::query_as(
        "select product_id, amount, reason, approved_by from order_discounts
         where order_id = $1 order by amount",
    )
    .bind(receipt.order_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        given,
        [
            (Some(radio.id), money("5"), "dented box".to_owned(), None),
            (None, money("10"), "regular customer".to_owned(), None)
        ]
    );

    let text = receipt.text();
    for expected in [
        "-9.87",
        "-5.13",
        "Subtotal",
        "199.99",
        "Discounts",
        "-15.00",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    // The shift's report counts what came off.
    let report = t.shifts.report(&cashier).await.unwrap();
    assert_eq!(report.figures.discounts, money("15.00"));
    assert!(
        report
            .lines()
            .iter()
            .any(|l| l.starts_with("Discounts given"))
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn over_the_limit_a_sale_waits_for_an_admins_password(pool: PgPool) {
    let (s, t, cashier, radio, bank) = till(&pool).await;
    assert_eq!(t.pos.discount_limit(&cashier).await.unwrap(), Decimal::TEN);
    // 10% of the line and 2% of the sale: the radio leaves at 11.8% off.
    let discounts = vec![
        off(Some(&radio), "10%", "last one"),
        off(None, "2%", "loyal"),
    ];
    let asked = sale(vec![line(&radio, 1), line(&bank, 1)], discounts.clone());
    assert_eq!(
        t.pos.sell(&cashier, asked.clone()).await.unwrap_err(),
        Error::DiscountNeedsApproval
    );
    assert_eq!(stock(&pool, &radio).await, 50, "nothing was written");

    // A wrong password, or a cashier's, approves nothing.
    let refused = t
        .auth
        .approve_discount(&cashier, asked.key, "admin", "not the password")
        .await;
    assert_eq!(refused.unwrap_err(), Error::InvalidCredentials);
    create_account(&s, "otieno", Role::Staff).await;
    let refused = t
        .auth
        .approve_discount(&cashier, asked.key, "otieno", PASSWORD)
        .await;
    assert_eq!(refused.unwrap_err(), Error::Forbidden("admins"));

    // An approval for another sale does not do for this one.
    let elsewhere = t
        .auth
        .approve_discount(&cashier, Uuid::new_v4(), "admin", PASSWORD)
        .await
        .unwrap();
    let with = |approval: &Approval| Sale {
        approval: Some(approval.id),
        ..asked.clone()
    };
    assert_eq!(
        t.pos.sell(&cashier, with(&elsewhere)).await.unwrap_err(),
        Error::DiscountNeedsApproval
    );

    let approval = t
        .auth
        .approve_discount(&cashier, asked.key, "admin", PASSWORD)
        .await
        .unwrap();
    assert_eq!(approval.admin, "admin");
    let receipt = t.pos.sell(&cashier, with(&approval)).await.unwrap();
    let approved_by: Vec<String> = sqlx::query_scalar(
        "select u.username from order_discounts d join users u on u.id = d.approved_by
         where d.order_id = $1",
    )
    .bind(receipt.order_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(approved_by, ["admin", "admin"]);
    // The admin's password opened a session only for the approval.
    assert_eq!(
        count(
            &pool,
            "select count(*) from user_sessions s join users u on u.id = s.user_id
             where u.username = 'admin' and s.ended_at is null"
        )
        .await,
        1,
        "only the admin's own login from shop() is open"
    );
    // Used once: the same sale key rung up for another buyer (a new order, so not a double
    // submit) cannot use it again.
    create_account(&s, "amina", Role::Customer).await;
    let amina = s
        .users
        .search(
            &s.auth.login("admin", PASSWORD).await.unwrap().into(),
            "amina",
        )
        .await
        .unwrap()[0]
        .id;
    let reused = Sale {
        customer: Some(amina),
        ..with(&approval)
    };
    assert_eq!(
        t.pos.sell(&cashier, reused).await.unwrap_err(),
        Error::DiscountNeedsApproval
    );
    // The first key is already a sale: its second submit is that sale, written once.
    let again = Sale {
        key: asked.key,
        ..sale(vec![line(&radio, 1)], vec![off(None, "50%", "friend")])
    };
    let same = t.pos.sell(&cashier, again).await.unwrap();
    assert_eq!(same.order_id, receipt.order_id);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn discounts_that_leave_nothing_or_exceed_a_line_are_refused(pool: PgPool) {
    let (_, t, cashier, radio, _) = till(&pool).await;
    let whole = sale(vec![line(&radio, 1)], vec![off(None, "100%", "free")]);
    assert!(matches!(
        t.pos.sell(&cashier, whole).await,
        Err(Error::Invalid { .. })
    ));
    let too_much = sale(
        vec![line(&radio, 1)],
        vec![off(Some(&radio), "40", "too much")],
    );
    assert!(matches!(
        t.pos.sell(&cashier, too_much).await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(stock(&pool, &radio).await, 50);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn returns_refund_each_lines_net_and_add_up_to_it(pool: PgPool) {
    let (_, t, cashier, radio, bank) = till(&pool).await;
    // 3 radios at 33.33 with 10% off the sale: the radios' net 89.99 (99.99 - 10.00 share
    // of 20.00 over 199.99... worked out by the database), the bank's the rest.
    let receipt = t
        .pos
        .sell(
            &cashier,
            sale(
                vec![line(&radio, 3), line(&bank, 1)],
                vec![off(None, "8%", "opening week")],
            ),
        )
        .await
        .unwrap();
    let net: Money = sqlx::query_scalar(
        "select price * quantity - discount from order_items
         where order_id = $1 and product_id = $2",
    )
    .bind(receipt.order_id)
    .bind(radio.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let mut refunds = Vec::new();
    for _ in 0..3 {
        let slip = t
            .returns
            .take(
                &cashier,
                ReturnRequest {
                    order_id: receipt.order_id,
                    lines: vec![(radio.id, 1)],
                    restock: true,
                    reason: String::new(),
                    reference: String::new(),
                },
            )
            .await
            .unwrap();
        refunds.push(slip.total);
    }
    assert_eq!(refunds.iter().copied().sum::<Money>(), net);
    assert!(refunds.iter().all(|r| *r < radio.price), "{refunds:?}");
    let taken_back: Money = sqlx::query_scalar("select sum(amount) from returns")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(taken_back, net);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_held_sale_keeps_its_discounts(pool: PgPool) {
    let (_, t, cashier, radio, _) = till(&pool).await;
    let held = bytemtaani::domain::held::HeldSale {
        key: Uuid::new_v4(),
        label: "walk-in · Radio".into(),
        customer: None,
        lines: vec![bytemtaani::domain::held::HeldLine {
            product_id: radio.id,
            name: radio.name.clone(),
            sku: radio.sku.clone(),
            price: radio.price,
            quantity: 2,
        }],
        discounts: vec![off(Some(&radio), "5%", "dented")],
        held_at: chrono::Utc::now(),
    };
    t.pos.swap_held(&cashier, Some(&held), None).await.unwrap();
    let kept = t.pos.held(&cashier).await.unwrap();
    assert_eq!(kept[0].discounts, held.discounts);
    // 66.66 - 3.33
    assert_eq!(kept[0].total(), money("63.33"));
}
