//! One till sale paid by several methods (issue 16): each part a payment with every rule of
//! a payment, the sale paid only when its parts add up to its total exactly, nothing written
//! when any part is refused; returns of it refunded in cash, a cancel gives every part back.
//! The till works under its database role, as in a shop.

mod common;

use bytemtaani::db::TerminalRole;
use bytemtaani::domain::catalog::Product;
use bytemtaani::domain::order::{OrderLine, OrderStatus};
use bytemtaani::domain::payment::PaymentMethod;
use bytemtaani::domain::returns::ReturnRequest;
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::domain::{Error, Money};
use bytemtaani::service::Services;
use bytemtaani::service::pos::{Part, Sale, Tender};
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

fn money(text: &str) -> Money {
    Money::parse("", text).unwrap()
}

fn cash(amount: &str, handed: &str) -> Part {
    Part {
        amount: money(amount),
        tender: Tender::Cash {
            handed: money(handed),
        },
    }
}

fn card(amount: &str, reference: &str) -> Part {
    Part {
        amount: money(amount),
        tender: Tender::Card(reference.into()),
    }
}

/// Two radios at 1,500: a sale of 3,000.
fn sale(radio: &Product, parts: Vec<Part>) -> Sale {
    Sale {
        key: Uuid::new_v4(),
        customer: None,
        lines: vec![OrderLine {
            product_id: radio.id,
            quantity: 2,
            agreed_price: radio.price,
        }],
        discounts: Vec::new(),
        approval: None,
        tender: Tender::Split(parts),
    }
}

async fn till(pool: &PgPool) -> (Services, Services, Actor, Actor, Product) {
    let s = services(pool);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 20).await;
    create_account(&s, "cashier", Role::Staff).await;
    let till = served(&s, TerminalRole::Till);
    let cashier: Actor = till.auth.login("cashier", PASSWORD).await.unwrap().into();
    on_shift(&till, &cashier).await;
    (s, till, admin, cashier, radio)
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn part_cash_part_card_pays_the_sale_exactly(pool: PgPool) {
    let (_, t, _, cashier, radio) = till(&pool).await;
    let parts = vec![cash("1000", "1200"), card("2000", "AUTH-778812")];
    let receipt = t.pos.sell(&cashier, sale(&radio, parts)).await.unwrap();
    assert_eq!(receipt.total, money("3000"));
    // 1,200 handed for the 1,000 cash part.
    assert_eq!(receipt.change(), Some(money("200")));
    let text = receipt.text();
    for expected in [
        "Paid by (in parts)",
        "  Cash",
        "1,000.00",
        "  Card",
        "AUTH-778812",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    assert!(!text.contains("AWAITING"));

    let rows: Vec<(PaymentMethod, Money, String, bool)> = sqlx::query_as(
        "select method, amount, status::text, split from payments where order_id = $1
         order by amount",
    )
    .bind(receipt.order_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            (
                PaymentMethod::Cash,
                money("1000"),
                "successful".into(),
                true
            ),
            (
                PaymentMethod::Card,
                money("2000"),
                "successful".into(),
                true
            )
        ]
    );
    let detail = t.orders.detail(&cashier, receipt.order_id).await.unwrap();
    assert_eq!(detail.order.status, OrderStatus::Paid);
    assert_eq!((detail.payment, detail.parts.len()), (None, 2));

    // The drawer expects only the cash part; the shift counts one sale, both methods.
    let report = t.shifts.report(&cashier).await.unwrap();
    assert_eq!(report.figures.expected_cash, money("1000"));
    assert_eq!(report.figures.sales, 1);
    assert_eq!(
        report.figures.taken,
        [
            (PaymentMethod::Card, money("2000")),
            (PaymentMethod::Cash, money("1000"))
        ]
    );
    // A reprint tells the same parts.
    let copy = t.pos.reprint(&cashier, receipt.order_id).await.unwrap();
    assert_eq!(copy.parts, receipt.parts);
    // One audit entry for the sale, naming both parts (none of its own for a part).
    let audited: Vec<(Option<Uuid>, serde_json::Value)> = sqlx::query_as(
        "select entity_id, details->'parts' from audit_log where action = 'pos.sale'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].0, Some(receipt.order_id));
    let methods: Vec<&str> = audited[0]
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["Cash", "Card"]);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn parts_that_do_not_add_up_or_cannot_settle_now_write_nothing(pool: PgPool) {
    let (_, t, _, cashier, radio) = till(&pool).await;
    let first = t
        .pos
        .sell(
            &cashier,
            sale(&radio, vec![cash("1000", "1000"), card("2000", "AUTH-1")]),
        )
        .await
        .unwrap();
    let refused = [
        vec![cash("1000", "1000"), card("1999", "AUTH-2")],
        vec![cash("3000", "3000")],
        vec![cash("0", "0"), card("3000", "AUTH-3")],
        vec![
            cash("1000", "1000"),
            Part {
                amount: money("2000"),
                tender: Tender::MpesaPush,
            },
        ],
        // Till confirmations are off here: an M-Pesa code cannot pay a part.
        vec![
            cash("1000", "1000"),
            Part {
                amount: money("2000"),
                tender: Tender::MpesaCode("QKH94M1Z11".into()),
            },
        ],
        // A card reference another payment carries, in any part.
        vec![cash("1000", "1000"), card("2000", "AUTH-1")],
    ];
    for parts in refused {
        let outcome = t.pos.sell(&cashier, sale(&radio, parts.clone())).await;
        assert!(
            matches!(
                outcome,
                Err(Error::Invalid { .. } | Error::Conflict(_) | Error::DuplicateTransaction(_))
            ),
            "{parts:?}: {outcome:?}"
        );
    }
    assert_eq!(stock(&pool, &radio).await, 20 - 2, "only the first sale");
    assert_eq!(count(&pool, "select count(*) from orders").await, 1);
    assert_eq!(count(&pool, "select count(*) from payments").await, 2);
    assert_eq!(
        t.pos.recent_sales(&cashier).await.unwrap()[0].order_id,
        first.order_id
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_split_sale_is_refunded_in_cash_and_cancelled_whole(pool: PgPool) {
    let (s, t, admin, cashier, radio) = till(&pool).await;
    let parts = |reference| vec![cash("500", "500"), card("2500", reference)];
    let returned = t
        .pos
        .sell(&cashier, sale(&radio, parts("AUTH-RET")))
        .await
        .unwrap();
    let sale_found = t
        .returns
        .find_sale(&cashier, &returned.order_id.to_string())
        .await
        .unwrap();
    assert_eq!(sale_found.method, Some(PaymentMethod::Cash));
    let slip = t
        .returns
        .take(
            &cashier,
            ReturnRequest {
                order_id: returned.order_id,
                lines: vec![(radio.id, 1)],
                restock: true,
                reason: String::new(),
                reference: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (slip.total, slip.payment.method),
        (money("1500"), PaymentMethod::Cash)
    );

    let cancelled = t
        .pos
        .sell(&cashier, sale(&radio, parts("AUTH-CAN")))
        .await
        .unwrap();
    let outcome = s.orders.cancel(&admin, cancelled.order_id).await.unwrap();
    assert_eq!(outcome.refund_due, Some(money("3000")));
    let left: i64 = count(
        &pool,
        &format!(
            "select count(*) from payments where order_id = '{}' and status = 'successful'",
            cancelled.order_id
        ),
    )
    .await;
    assert_eq!(left, 0, "every part is refunded");
    // Two sold, one back, two more sold and put back by the cancel.
    assert_eq!(stock(&pool, &radio).await, 20 - 2 + 1);
}

/// A kiosk order paid at the counter in parts: the customer's own order, recorded unpaid,
/// settled by two parts under the order's lock.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_recorded_order_is_paid_in_parts_at_the_till(pool: PgPool) {
    let (s, t, _, cashier, radio) = till(&pool).await;
    let amina = login_as(&s, "amina", Role::Customer).await;
    s.cart.add(&amina, radio.id, 2).await.unwrap();
    let order = s
        .orders
        .place_from_cart(&amina, Uuid::new_v4())
        .await
        .unwrap();
    let tender = Tender::Split(vec![cash("1000", "1000"), card("2000", "AUTH-KIOSK")]);
    let receipt = t
        .pos
        .pay_order(&cashier, order.order.id, tender.clone())
        .await
        .unwrap();
    assert_eq!(receipt.parts.len(), 2);
    let detail = t.orders.detail(&cashier, order.order.id).await.unwrap();
    assert_eq!(detail.order.status, OrderStatus::Paid);
    // Paid is paid: the same parts again are refused, nothing written twice.
    assert!(
        t.pos
            .pay_order(&cashier, order.order.id, tender)
            .await
            .is_err()
    );
    assert_eq!(
        count(&pool, "select count(*) from payments where split").await,
        2
    );
}
