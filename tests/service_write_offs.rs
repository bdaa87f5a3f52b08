//! A till sale on an M-Pesa code that turned out false: the goods left with the customer and
//! the money never came. Cancelling would put back stock the shop no longer has; an admin
//! writes it off instead — closed, stock as it is, audited, and in the day's report.

mod common;

use bytemtaani::domain::Error;
use bytemtaani::domain::catalog::Product;
use bytemtaani::domain::order::{AfterSale, OrderLine, OrderStatus};
use bytemtaani::domain::payment::PaymentStatus;
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::service::Services;
use bytemtaani::service::pos::{Sale, Tender};
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

fn sale(radio: &Product, tender: Tender) -> Sale {
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
        tender,
    }
}

/// A sale of two radios on a code an admin then found nowhere in the statement.
async fn false_code_sale(s: &Services, admin: &Actor, cashier: &Actor, radio: &Product) -> Uuid {
    let sold = s
        .pos
        .sell(cashier, sale(radio, Tender::MpesaCode("QFALSE0001".into())))
        .await
        .unwrap();
    let payment = s.orders.detail(admin, sold.order_id).await.unwrap().payment;
    s.payments
        .reject(admin, payment.unwrap().id, "not in the M-Pesa statement")
        .await
        .unwrap();
    sold.order_id
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_false_code_sale_is_written_off_with_its_stock_gone_audited_and_reported(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;
    let order = false_code_sale(&s, &admin, &cashier, &radio).await;
    assert_eq!(stock(&pool, &radio).await, 8);

    let closed = s
        .orders
        .write_off(&admin, order, "  customer showed a fake SMS ")
        .await
        .unwrap();
    assert_eq!(closed.status, OrderStatus::Cancelled);
    assert_eq!(stock(&pool, &radio).await, 8, "the radios left the shop");
    let (reason, by): (String, Uuid) =
        sqlx::query_as("select write_off_reason, written_off_by from orders where id = $1")
            .bind(order)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(reason, "customer showed a fake SMS");
    assert_eq!(by, admin.session().unwrap().user_id);
    assert_eq!(
        count(
            &pool,
            "select count(*) from audit_log where action = 'order.write_off'"
        )
        .await,
        1
    );
    let report = s.reports.sales(&admin).await.unwrap();
    assert_eq!(
        (
            report.written_off_today.sales,
            report.written_off_today.amount
        ),
        (1, radio.price.times(2))
    );
    assert_eq!(report.today_total().orders, 0, "not a sale");
    assert!(
        report
            .csv()
            .contains("written_off_today,sales,amount_kes\n,1,3000.00\n")
    );
    // The order's history says so, for staff.
    let history = s.orders.detail(&admin, order).await.unwrap().after_sale;
    assert!(
        matches!(&history[..], [AfterSale::Tally { by, reason, .. }]
            if by == "admin" && reason == "customer showed a fake SMS"),
        "{history:?}"
    );

    // Closed for good: neither written off again nor cancelled into a restock.
    let again = s.orders.write_off(&admin, order, "twice").await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    let cancel = s.orders.cancel(&admin, order).await;
    assert!(cancel.is_err(), "{cancel:?}");
    assert_eq!(stock(&pool, &radio).await, 8);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn only_an_unpaid_till_sale_is_written_off(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;
    let paid = s
        .pos
        .sell(
            &cashier,
            sale(
                &radio,
                Tender::Cash {
                    handed: radio.price.times(2),
                },
            ),
        )
        .await
        .unwrap()
        .order_id;
    let refused = s.orders.write_off(&admin, paid, "changed my mind").await;
    assert!(
        matches!(&refused, Err(Error::Conflict(m)) if m.contains("is paid")),
        "{refused:?}"
    );

    let customer = login_as(&s, "amina", Role::Customer).await;
    s.cart.add(&customer, radio.id, 1).await.unwrap();
    let own = s
        .orders
        .place_from_cart(&customer, Uuid::new_v4())
        .await
        .unwrap()
        .order
        .id;
    let refused = s.orders.write_off(&admin, own, "never paid").await;
    assert!(
        matches!(&refused, Err(Error::Conflict(m)) if m.contains("cancel it instead")),
        "{refused:?}"
    );

    let order = false_code_sale(&s, &admin, &cashier, &radio).await;
    let blank = s.orders.write_off(&admin, order, "   ").await;
    assert!(matches!(blank, Err(Error::Invalid { .. })), "{blank:?}");
    let cashier_tries = s.orders.write_off(&cashier, order, "lost").await;
    assert!(
        matches!(cashier_tries, Err(Error::Forbidden(_))),
        "{cashier_tries:?}"
    );
    assert_eq!(stock(&pool, &radio).await, 5);

    // The database holds the same line for anyone writing SQL: a paid order is not written
    // off, nor is a customer's own.
    for id in [paid, own] {
        let direct = sqlx::query(
            "update orders set status = 'cancelled', written_off_at = now(),
                    written_off_by = $2, write_off_reason = 'by hand'
             where id = $1",
        )
        .bind(id)
        .bind(admin.session().unwrap().user_id)
        .execute(&pool)
        .await;
        assert!(direct.is_err(), "{id}: {direct:?}");
    }
    let status: PaymentStatus =
        sqlx::query_scalar("select status from payments where order_id = $1")
            .bind(paid)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, PaymentStatus::Successful);
}
