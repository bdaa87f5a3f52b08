//! Everything that locks product rows at once: till sales, kiosk checkouts, cancels (a
//! restock), reconciliation cancelling unpaid orders, and stock adjustments, for many
//! rounds. Nobody deadlocks, nobody is told "the shop is busy", and stock adds up exactly.

mod common;

use bytemtaani::domain::catalog::{Product, StockReason};
use bytemtaani::domain::order::OrderLine;
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::service::Services;
use common::*;
use futures::future::join_all;
use sqlx::PgPool;
use uuid::Uuid;

const ROUNDS: usize = 10;
const PRODUCTS: usize = 6;
const STOCK: i32 = 10_000;

/// Two or three products out of `products`, picked by `seed`, in a shuffled order.
fn lines(products: &[Product], seed: usize) -> Vec<OrderLine> {
    let n = 2 + seed % 2;
    let mut picked: Vec<&Product> = (0..n)
        .map(|k| &products[(seed * 7 + k * 5) % products.len()])
        .collect();
    picked.dedup_by_key(|p| p.id);
    if seed.is_multiple_of(3) {
        picked.reverse();
    }
    picked
        .into_iter()
        .map(|p| OrderLine {
            product_id: p.id,
            quantity: 1 + (seed % 3) as i32,
            agreed_price: p.price,
        })
        .collect()
}

async fn till_sale(s: &Services, cashier: &Actor, lines: Vec<OrderLine>) -> Result<Uuid, String> {
    cash_sale(s, cashier, lines)
        .await
        .map_err(|e| e.to_string())
}

async fn kiosk_order(s: &Services, buyer: &Actor, lines: Vec<OrderLine>) -> Result<(), String> {
    for line in &lines {
        s.cart
            .add(buyer, line.product_id, line.quantity)
            .await
            .map_err(|e| e.to_string())?;
    }
    s.orders
        .place_from_cart(buyer, Uuid::new_v4())
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn sales_cancels_reconciliation_and_adjustments_never_deadlock(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let mut products = Vec::new();
    for n in 0..PRODUCTS {
        products.push(product(&s, &admin, &phones, &format!("Item {n}"), "10", STOCK).await);
    }
    let mut buyers = Vec::new();
    for n in 0..4 {
        buyers.push(login_as(&s, &format!("buyer{n}"), Role::Customer).await);
    }
    let mut sold: Vec<Uuid> = Vec::new();
    let mut adjusted = 0i64;
    let mut refusals = Vec::new();
    for round in 0..ROUNDS {
        // Kiosk orders of the last round are old enough for reconciliation to cancel.
        sqlx::query(
            "update orders set created_at = now() - interval '2 hours' where status = 'pending'",
        )
        .execute(&pool)
        .await
        .unwrap();
        let sales = (0..20).map(|k| till_sale(&s, &cashier, lines(&products, round * 20 + k)));
        let orders = buyers
            .iter()
            .enumerate()
            .map(|(k, b)| kiosk_order(&s, b, lines(&products, round * 4 + k + 1)));
        let cancels = sold.iter().rev().take(6).map(|id| async {
            s.orders
                .cancel(&admin, *id)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        });
        let adjustments = products.iter().take(2).map(|p| async {
            s.admin
                .adjust_stock(&admin, p.id, 3, StockReason::Received, "delivery")
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        });
        let reconciled = async {
            s.payments
                .reconcile()
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        };
        let (sales, orders, cancels, adjustments, reconciled) = tokio::join!(
            join_all(sales),
            join_all(orders),
            join_all(cancels),
            join_all(adjustments),
            reconciled
        );
        adjusted += 3 * adjustments.iter().filter(|r| r.is_ok()).count() as i64;
        let cancelled = sold.len().saturating_sub(6);
        sold.truncate(cancelled);
        for sale in sales {
            match sale {
                Ok(id) => sold.push(id),
                Err(e) => refusals.push(e),
            }
        }
        refusals.extend(orders.into_iter().filter_map(Result::err));
        refusals.extend(cancels.into_iter().filter_map(Result::err));
        refusals.extend(adjustments.into_iter().filter_map(Result::err));
        refusals.extend(reconciled.err());
    }
    assert!(
        refusals.is_empty(),
        "{} refused: {refusals:?}",
        refusals.len()
    );
    // What left the shelves is exactly what orders still hold.
    let on_shelf: i64 = sqlx::query_scalar("select sum(stock_quantity)::bigint from products")
        .fetch_one(&pool)
        .await
        .unwrap();
    let held: i64 = sqlx::query_scalar(
        "select coalesce(sum(i.quantity), 0)::bigint from order_items i
         join orders o on o.id = i.order_id where o.status <> 'cancelled'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        on_shelf + held,
        (PRODUCTS as i64) * i64::from(STOCK) + adjusted
    );
    assert!(
        count(
            &pool,
            "select count(*) from orders where status = 'cancelled'"
        )
        .await
            >= 50,
        "cancels and reconciliation did run"
    );
}
