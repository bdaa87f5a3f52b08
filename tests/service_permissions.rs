//! Every staff and admin operation (40, 27 of them admin-only), called as a customer and as
//! nobody, is refused by the service layer itself, whatever screen (or none) the call came from.

mod common;

use std::future::Future;
use std::pin::Pin;

use bytemtaani::domain::catalog::StockReason;
use bytemtaani::domain::order::OrderStatus;
use bytemtaani::domain::returns::ReturnRequest;
use bytemtaani::domain::shift::ShiftFilter;
use bytemtaani::domain::user::{Actor, Role, Session};
use bytemtaani::domain::{Error, Money};
use bytemtaani::service::Services;
use bytemtaani::service::shifts::CashMove;
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

type Call = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// Each staff/admin operation, named, with the lowest role allowed to call it.
fn operations(s: &Services, actor: &Actor, target: Uuid) -> Vec<(&'static str, Role, Call)> {
    let (s, a) = (s.clone(), actor.clone());
    macro_rules! op {
        ($name:expr, $role:expr, |$s:ident, $a:ident| $body:expr) => {{
            let ($s, $a) = (s.clone(), a.clone());
            (
                $name,
                $role,
                Box::pin(async move { $body.await.map(|_| ()) }) as Call,
            )
        }};
    }
    let form = bytemtaani::domain::catalog::ProductForm {
        name: "X".into(),
        sku: "X1".into(),
        price: "1".into(),
        category_id: Some(target),
        ..Default::default()
    };
    let form2 = form.clone();
    vec![
        op!("create product", Role::Admin, |s, a| s
            .admin
            .create_product(&a, &form, 1)),
        op!("update product", Role::Admin, |s, a| s
            .admin
            .update_product(&a, target, 1, &form2)),
        op!("archive product", Role::Admin, |s, a| s
            .admin
            .set_archived(&a, target, true)),
        op!("delete product", Role::Admin, |s, a| s
            .admin
            .delete_product(&a, target)),
        op!("adjust stock", Role::Admin, |s, a| s.admin.adjust_stock(
            &a,
            target,
            5,
            StockReason::Received,
            ""
        )),
        op!("price history", Role::Admin, |s, a| s
            .admin
            .price_history(&a, target)),
        op!("create category", Role::Admin, |s, a| s
            .admin
            .create_category(&a, "Hacked")),
        op!("rename category", Role::Admin, |s, a| s
            .admin
            .rename_category(&a, target, "Hacked", "")),
        op!("delete category", Role::Admin, |s, a| s
            .admin
            .delete_category(&a, target)),
        op!("list payments", Role::Admin, |s, a| s
            .payments
            .list(&a, None, None, 10)),
        op!("low stock", Role::Admin, |s, a| s.admin.low_stock(&a, 5)),
        op!("admin product list", Role::Admin, |s, a| s
            .admin
            .products(&a, &Default::default())),
        op!("sales report", Role::Admin, |s, a| s.reports.sales(&a)),
        op!("export report", Role::Admin, |s, a| s.reports.export(&a)),
        op!("search users", Role::Admin, |s, a| s.users.search(&a, "")),
        op!("set role", Role::Admin, |s, a| s.users.set_role(
            &a,
            target,
            Role::Admin
        )),
        op!("deactivate user", Role::Admin, |s, a| s
            .users
            .set_active(&a, target, false)),
        op!("reset password", Role::Admin, |s, a| s
            .users
            .reset_password(&a, target, "a new passphrase")),
        op!("audit log", Role::Admin, |s, a| s
            .users
            .audit_log(&a, "", 10)),
        op!("find customer", Role::Staff, |s, a| s
            .pos
            .find_customer(&a, "")),
        op!("till sale", Role::Staff, |s, a| s.pos.sell(
            &a,
            bytemtaani::service::pos::Sale {
                key: Uuid::new_v4(),
                customer: None,
                lines: vec![bytemtaani::domain::order::OrderLine {
                    product_id: target,
                    quantity: 1,
                    agreed_price: Money::ZERO,
                }],
                discounts: Vec::new(),
                approval: None,
                tender: bytemtaani::service::pos::Tender::Cash {
                    handed: Money::ZERO
                },
            }
        )),
        op!("own last sales", Role::Staff, |s, a| s.pos.recent_sales(&a)),
        op!("discount limit", Role::Staff, |s, a| s
            .pos
            .discount_limit(&a)),
        op!("approve a discount", Role::Staff, |s, a| s
            .auth
            .approve_discount(&a, Uuid::new_v4(), "admin", PASSWORD)),
        op!("reprint a receipt", Role::Staff, |s, a| s
            .pos
            .reprint(&a, target)),
        op!("open a shift", Role::Staff, |s, a| s.shifts.open(&a, "0")),
        op!("move cash", Role::Staff, |s, a| s.shifts.move_cash(
            &a,
            CashMove::Out,
            "100",
            "lunch"
        )),
        op!("X report", Role::Staff, |s, a| s.shifts.report(&a)),
        op!("close a shift", Role::Staff, |s, a| s.shifts.close(&a, "0")),
        op!("create an account", Role::Admin, |s, a| s.users.create(
            &a,
            bytemtaani::service::auth::NewAccount {
                username: "mole".into(),
                email: "mole@example.co.ke".into(),
                phone: String::new(),
                password: "a long enough passphrase".into(),
            },
            Role::Admin
        )),
        op!("refunds to send", Role::Admin, |s, a| s
            .returns
            .awaiting_reversal(&a)),
        op!("till payments nobody claimed", Role::Admin, |s, a| s
            .payments
            .unclaimed_till_payments(&a)),
        op!("write off an unpaid till sale", Role::Admin, |s, a| s
            .orders
            .write_off(&a, target, "goods gone")),
        op!("shifts summed", Role::Admin, |s, a| s
            .shifts
            .summary(&a, &Default::default())),
        op!("record a refund sent", Role::Admin, |s, a| s
            .returns
            .complete_reversal(&a, target, "QKH94M1Z11")),
        op!("list shifts", Role::Admin, |s, a| s
            .shifts
            .list(&a, &ShiftFilter::default())),
        op!("find a sale to return", Role::Staff, |s, a| s
            .returns
            .find_sale(&a, "ABCDEF12")),
        op!("take goods back", Role::Staff, |s, a| s.returns.take(
            &a,
            ReturnRequest {
                order_id: target,
                lines: vec![(target, 1)],
                restock: true,
                reason: String::new(),
                reference: String::new(),
            }
        )),
        op!("record a void", Role::Staff, |s, a| s.pos.record_void(
            &a,
            Uuid::new_v4(),
            true,
            &[]
        )),
        op!("list all orders", Role::Staff, |s, a| s.orders.list(
            &a,
            &Default::default(),
            10
        )),
        op!("ship order", Role::Staff, |s, a| s.orders.set_status(
            &a,
            target,
            OrderStatus::Shipped
        )),
        op!("confirm payment", Role::Admin, |s, a| s.payments.confirm(
            &a,
            target,
            "QKH94M1Z11",
            Money::ZERO
        )),
        op!("reject payment", Role::Admin, |s, a| s.payments.reject(
            &a,
            target,
            "not in the statement"
        )),
        op!("payment alerts", Role::Admin, |s, a| s.payments.alerts(&a)),
        op!("resolve payment alert", Role::Admin, |s, a| s
            .payments
            .resolve_alert(&a, 1, "returned by M-Pesa reversal")),
    ]
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn customers_and_nobody_are_refused_every_staff_and_admin_operation(pool: PgPool) {
    let s = services(&pool);
    let (_admin, phones) = shop(&s).await;
    let customer = login_as(&s, "amina", Role::Customer).await;
    let cashier = login_as(&s, "cashier", Role::Staff).await;
    let forged: Actor = Session {
        id: Uuid::new_v4(),
        user_id: customer.session().unwrap().user_id,
        username: "amina".into(),
        role: Role::Admin, // claims admin; the database knows better
    }
    .into();
    let callers = [
        ("customer", customer, Role::Customer),
        ("cashier", cashier, Role::Staff),
        ("nobody", Actor::Anonymous, Role::Customer),
        ("forged session", forged, Role::Customer),
    ];
    let mut checked = 0;
    for (who, actor, role) in callers {
        for (name, needs, call) in operations(&s, &actor, phones.id) {
            if role >= needs {
                continue;
            }
            let outcome = call.await;
            let refused = matches!(outcome, Err(Error::Forbidden(_) | Error::Unauthenticated));
            assert!(refused, "{who} calling '{name}' got {outcome:?}");
            checked += 1;
        }
    }
    println!("permission table: {checked} refusals checked");
    assert_eq!(checked, 45 * 3 + 30);
    // Nothing was changed by any of those calls.
    let audit = count(
        &pool,
        "select count(*) from audit_log where action <> 'category.create'",
    )
    .await;
    assert_eq!(audit, 0);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn nobody_cannot_shop_or_pay(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let p = product(&s, &admin, &phones, "Chai", "249", 5).await;
    let nobody = Actor::Anonymous;
    assert_eq!(
        s.cart.add(&nobody, p.id, 1).await.unwrap_err(),
        Error::Unauthenticated
    );
    assert_eq!(
        s.cart.view(&nobody).await.unwrap_err(),
        Error::Unauthenticated
    );
    assert_eq!(
        s.orders
            .place_from_cart(&nobody, Uuid::new_v4())
            .await
            .unwrap_err(),
        Error::Unauthenticated
    );
    assert_eq!(
        s.payments
            .open(
                &nobody,
                Uuid::new_v4(),
                bytemtaani::domain::payment::PaymentMethod::Mpesa
            )
            .await
            .unwrap_err(),
        Error::Unauthenticated
    );
    // Browsing the catalog is public.
    assert!(s.catalog.by_sku("CHAI").await.is_ok());
}
