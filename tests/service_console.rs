//! What the admin console reads: orders by status, date and customer; payments by status
//! and method; low stock; the audit log by action or person; sales reports and their CSV.

mod common;

use bytemtaani::domain::Money;
use bytemtaani::domain::clock::shop_date;
use bytemtaani::domain::order::{OrderFilter, OrderStatus};
use bytemtaani::domain::payment::{PaymentMethod, PaymentStatus};
use bytemtaani::domain::user::Role;
use bytemtaani::service::pos::{Sale, Tender};
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn orders_filter_by_status_dates_and_customer(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let item = product(&s, &admin, &phones, "Nokia 105", "2299", 50).await;
    s.auth
        .register(bytemtaani::service::auth::NewAccount {
            username: "wanjiku".into(),
            email: "w@example.co.ke".into(),
            phone: "0712 345 678".into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    let wanjiku = s.auth.login("wanjiku", PASSWORD).await.unwrap().into();
    let amina = login_as(&s, "amina", Role::Customer).await;
    for buyer in [&wanjiku, &wanjiku, &amina] {
        s.cart.add(buyer, item.id, 1).await.unwrap();
        s.orders
            .place_from_cart(buyer, Uuid::new_v4())
            .await
            .unwrap();
    }
    // One of Wanjiku's orders was placed three days ago.
    sqlx::query(
        "update orders set created_at = now() - interval '3 days'
         where id = (select o.id from orders o join users u on u.id = o.user_id
                     where u.username = 'wanjiku' order by o.created_at limit 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let today = shop_date(chrono::Utc::now());
    let list = |filter: OrderFilter| {
        let (s, admin) = (s.clone(), admin.clone());
        async move { s.orders.list(&admin, &filter, 100).await.unwrap().len() }
    };

    assert_eq!(list(OrderFilter::default()).await, 3);
    let by_phone = OrderFilter {
        customer: "0712345678".into(),
        ..Default::default()
    };
    assert_eq!(list(by_phone).await, 2, "a phone typed the usual way");
    let today_only = OrderFilter {
        from: Some(today),
        to: Some(today),
        ..Default::default()
    };
    assert_eq!(list(today_only).await, 2);
    let paid = OrderFilter {
        status: Some(OrderStatus::Paid),
        ..Default::default()
    };
    assert_eq!(list(paid).await, 0);
    let backwards = OrderFilter {
        from: Some(today),
        to: today.pred_opt(),
        ..Default::default()
    };
    assert!(s.orders.list(&admin, &backwards, 10).await.is_err());
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn payments_low_stock_and_audit_are_listed_for_admins(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let radio = product(&s, &admin, &phones, "Radio", "1000", 6).await;
    product(&s, &admin, &phones, "Torch", "300", 50).await;
    let lines = |quantity| {
        vec![bytemtaani::domain::order::OrderLine {
            product_id: radio.id,
            quantity,
            agreed_price: radio.price,
        }]
    };
    for tender in [
        Tender::Cash {
            handed: Money::from_cents(100_000),
        },
        Tender::MpesaCode("QKH94M1Z11".into()),
    ] {
        let sale = Sale {
            key: Uuid::new_v4(),
            customer: None,
            lines: lines(1),
            discounts: Vec::new(),
            approval: None,
            tender,
        };
        s.pos.sell(&cashier, sale).await.unwrap();
    }

    let pending = s
        .payments
        .list(&admin, Some(PaymentStatus::Pending), None, 50)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].payment.method, PaymentMethod::Mpesa);
    assert_eq!(pending[0].username, "walk-in");
    assert_eq!(pending[0].order_status, OrderStatus::Pending);
    let cash = s
        .payments
        .list(&admin, None, Some(PaymentMethod::Cash), 50)
        .await
        .unwrap();
    assert_eq!(cash.len(), 1);

    let low = s.admin.low_stock(&admin, 5).await.unwrap();
    assert_eq!(
        low.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Radio"],
        "4 left of the radio; the torch has 50"
    );

    let by_cashier = s.users.audit_log(&admin, "cashier", 50).await.unwrap();
    // The shift opened, then two sales; each sale names its payment (the cash one settled
    // at once by the cashier).
    let actions: Vec<_> = by_cashier.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["pos.sale", "pos.sale", "shift.open"]);
    let references: Vec<_> = by_cashier
        .iter()
        .map(|e| e.details["transaction_id"].as_str().unwrap_or_default())
        .collect();
    assert!(
        references.iter().any(|r| r.starts_with("CASH-")),
        "{references:?}"
    );
    let sales = s.users.audit_log(&admin, "pos", 50).await.unwrap();
    assert!(sales.iter().all(|e| e.action == "pos.sale") && sales.len() == 2);
    let products = s.users.audit_log(&admin, "product", 50).await.unwrap();
    assert_eq!(products.len(), 2, "two products created");
    // Each names its product, not only its id.
    let mut named: Vec<_> = products.iter().filter_map(|e| e.subject.clone()).collect();
    named.sort();
    assert_eq!(named, ["Radio", "Torch"]);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn sales_reports_count_paid_orders_and_export_csv(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let radio = product(&s, &admin, &phones, "Radio", "1000", 50).await;
    let torch = product(&s, &admin, &phones, "Torch", "300", 50).await;
    let sell = |product: &bytemtaani::domain::catalog::Product, quantity, tender| Sale {
        key: Uuid::new_v4(),
        customer: None,
        lines: vec![bytemtaani::domain::order::OrderLine {
            product_id: product.id,
            quantity,
            agreed_price: product.price,
        }],
        discounts: Vec::new(),
        approval: None,
        tender,
    };
    let cash = || Tender::Cash {
        handed: Money::from_cents(1_000_000),
    };
    for sale in [
        sell(&radio, 2, cash()),
        sell(&torch, 3, Tender::Card("TRM-000123".into())),
        // Not verified yet: not a sale.
        sell(&radio, 1, Tender::MpesaCode("QKH94M1Z11".into())),
        sell(&torch, 1, cash()),
    ] {
        s.pos.sell(&cashier, sale).await.unwrap();
    }
    // Yesterday's sale of two radios, paid yesterday.
    sqlx::query(
        "with moved as (
             update payments set paid_at = paid_at - interval '1 day'
             where id = (select id from payments where method = 'cash' order by created_at limit 1)
             returning order_id)
         update orders set created_at = created_at - interval '1 day'
         where id = (select order_id from moved)",
    )
    .execute(&pool)
    .await
    .unwrap();

    let report = s.reports.sales(&admin).await.unwrap();
    assert_eq!(report.days.len(), 30);
    let today = report.today_total();
    assert_eq!(
        (today.orders, today.amount),
        (2, Money::from_cents(120_000))
    );
    assert_eq!(report.days[28].amount, Money::from_cents(200_000));
    let methods: Vec<_> = report
        .methods_today
        .iter()
        .map(|m| (m.method, m.payments))
        .collect();
    assert_eq!(
        methods,
        [(PaymentMethod::Card, 1), (PaymentMethod::Cash, 1)],
        "sales settled today by method, biggest first"
    );
    let by_method: Money = report.methods_today.iter().map(|m| m.amount).sum();
    assert_eq!(by_method, today.amount);
    assert!(report.refunds_today.is_empty());
    // The torch sold for cash comes back: today's refunds say so; the sales stand.
    let torch_sale: Uuid = sqlx::query_scalar(
        "select o.id from orders o join payments p on p.order_id = o.id
         where p.method = 'cash' order by o.created_at desc limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    s.returns
        .take(
            &cashier,
            bytemtaani::domain::returns::ReturnRequest {
                order_id: torch_sale,
                lines: vec![(torch.id, 1)],
                restock: true,
                reason: String::new(),
                reference: String::new(),
            },
        )
        .await
        .unwrap();
    let after = s.reports.sales(&admin).await.unwrap();
    let refunds: Vec<_> = after
        .refunds_today
        .iter()
        .map(|m| (m.method, m.payments, m.amount))
        .collect();
    assert_eq!(refunds, [(PaymentMethod::Cash, 1, torch.price)]);
    assert_eq!(after.today_total(), today);
    assert_eq!(report.top[0].name, "Radio");
    assert_eq!(
        (report.top[0].units, report.top[1].units),
        (2, 4),
        "the unverified radio is not counted"
    );

    let path = s.reports.export(&admin).await.unwrap();
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.starts_with("date,orders,sales_kes\n"));
    assert!(csv.contains("Radio,RADIO,2,2000.00"), "{csv}");
    std::fs::remove_file(path).unwrap();
    assert!(
        s.reports.sales(&cashier).await.is_err(),
        "reports are for admins"
    );
}

/// One basis for every figure: a sale counts on the day its payment settled, as it does in
/// its shift. A till sale taken on an M-Pesa code yesterday and verified today is today's, in
/// the day's total, the method split and the best sellers alike, so the day's total is the
/// sum of its methods.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn every_report_figure_counts_a_sale_when_its_payment_settled(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let cashier = at_till(&s, "cashier").await;
    let radio = product(&s, &admin, &phones, "Radio", "1000", 50).await;
    let sale = |tender| Sale {
        key: Uuid::new_v4(),
        customer: None,
        lines: vec![bytemtaani::domain::order::OrderLine {
            product_id: radio.id,
            quantity: 1,
            agreed_price: radio.price,
        }],
        discounts: Vec::new(),
        approval: None,
        tender,
    };
    let on_code = s
        .pos
        .sell(&cashier, sale(Tender::MpesaCode("QKH94M1Z11".into())))
        .await
        .unwrap();
    s.pos
        .sell(
            &cashier,
            sale(Tender::Cash {
                handed: radio.price,
            }),
        )
        .await
        .unwrap();
    // The code was taken yesterday...
    for table in ["orders", "payments"] {
        sqlx::query(&format!(
            "update {table} set created_at = now() - interval '1 day' where {} = $1",
            if table == "orders" { "id" } else { "order_id" }
        ))
        .bind(on_code.order_id)
        .execute(&pool)
        .await
        .unwrap();
    }
    // ... and an admin checks the statement and verifies it today.
    let payment = payment_of(&pool, on_code.order_id).await;
    s.payments
        .confirm(&admin, payment, "QKH94M1Z11", radio.price)
        .await
        .unwrap();

    let report = s.reports.sales(&admin).await.unwrap();
    let today = report.today_total();
    let by_method: Money = report.methods_today.iter().map(|m| m.amount).sum();
    assert_eq!(
        (today.orders, today.amount),
        (2, Money::from_cents(200_000)),
        "both sales settled today"
    );
    assert_eq!(today.amount, by_method, "the day is the sum of its methods");
    assert_eq!(
        report.days[28].amount,
        Money::ZERO,
        "nothing settled yesterday"
    );
    assert_eq!(report.top[0].units, 2);
}
