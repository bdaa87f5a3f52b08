//! Shifts and cash-up at the till (issue 16): no till sale, payment or return without an
//! open shift; cash in and out; the X report mid-shift and the Z report at the close, whose
//! expected cash is the float, the cash taken and moved, less cash refunded; a closed shift
//! takes nothing more, also for a sale under way as it closes.

mod common;

use bytemtaani::domain::catalog::Product;
use bytemtaani::domain::order::OrderLine;
use bytemtaani::domain::payment::PaymentMethod;
use bytemtaani::domain::returns::ReturnRequest;
use bytemtaani::domain::shift::ShiftFilter;
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::domain::{Error, Money};
use bytemtaani::service::Services;
use bytemtaani::service::pos::{Sale, Tender};
use bytemtaani::service::shifts::CashMove;
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

fn money(text: &str) -> Money {
    Money::parse("", text).unwrap()
}

fn sale(product: &Product, quantity: i32, tender: Tender) -> Sale {
    Sale {
        key: Uuid::new_v4(),
        customer: None,
        lines: vec![OrderLine {
            product_id: product.id,
            quantity,
            agreed_price: product.price,
        }],
        discounts: Vec::new(),
        approval: None,
        tender,
    }
}

fn cash(amount: &str) -> Tender {
    Tender::Cash {
        handed: money(amount),
    }
}

async fn sell(s: &Services, cashier: &Actor, product: &Product, tender: Tender) -> Uuid {
    s.pos
        .sell(cashier, sale(product, 1, tender))
        .await
        .unwrap()
        .order_id
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_shift_counts_its_cash_from_float_to_close(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 20).await;
    let cashier = login_as(&s, "cashier", Role::Staff).await;

    // No shift, no sale: said in plain words, nothing written.
    let refused = s.pos.sell(&cashier, sale(&radio, 1, cash("1500"))).await;
    assert_eq!(refused.unwrap_err(), Error::NoShift);
    assert_eq!(count(&pool, "select count(*) from orders").await, 0);
    assert_eq!(stock(&pool, &radio).await, 20);

    let shift = s.shifts.open(&cashier, "5,000").await.unwrap();
    assert_eq!(shift.opening_float, money("5000"));
    assert!(matches!(
        s.shifts.open(&cashier, "100").await,
        Err(Error::Conflict(_))
    ));
    let first = sell(&s, &cashier, &radio, cash("2000")).await;
    sell(&s, &cashier, &radio, cash("1500")).await;
    sell(&s, &cashier, &radio, Tender::Card("AUTH-778812".into())).await;
    sell(&s, &cashier, &radio, Tender::MpesaCode("QKH94M1Z11".into())).await;
    s.shifts
        .move_cash(&cashier, CashMove::In, "1000", "change from the bank")
        .await
        .unwrap();
    s.shifts
        .move_cash(&cashier, CashMove::Out, "300", "tea for the shop")
        .await
        .unwrap();
    for (amount, reason) in [("0", "nothing"), ("100", " "), ("-5", "negative")] {
        let refused = s
            .shifts
            .move_cash(&cashier, CashMove::Out, amount, reason)
            .await;
        assert!(
            matches!(refused, Err(Error::Invalid { .. })),
            "{amount:?} {reason:?}"
        );
    }
    s.returns
        .take(
            &cashier,
            ReturnRequest {
                order_id: first,
                lines: vec![(radio.id, 1)],
                restock: true,
                reason: String::new(),
                reference: String::new(),
            },
        )
        .await
        .unwrap();

    // X: 5,000 float + 3,000 cash taken + 1,000 in − 300 out − 1,500 refunded = 7,200.
    let x = s.shifts.report(&cashier).await.unwrap();
    assert_eq!(x.figures.expected_cash, money("7200"));
    assert_eq!(
        x.figures.taken,
        [
            (PaymentMethod::Card, money("1500")),
            (PaymentMethod::Cash, money("3000"))
        ]
    );
    assert_eq!(
        x.figures.awaiting,
        money("1500"),
        "the M-Pesa code waits for an admin"
    );
    assert_eq!((x.figures.sales, x.figures.returns), (4, 1));
    assert_eq!(
        (x.figures.cash_in, x.figures.cash_out),
        (money("1000"), money("300"))
    );
    assert!(x.text().contains("X REPORT"));

    // Z: 7,100 counted, 100 short, recorded and audited; the shift takes nothing more.
    let z = s.shifts.close(&cashier, "7,100").await.unwrap();
    assert_eq!(z.shift.expected_cash, Some(money("7200")));
    assert_eq!(z.shift.difference(), Some(money("0") - money("100")));
    let text = z.text();
    assert!(
        text.contains("Z REPORT") && text.contains("SHORT"),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 32), "{text}");
    let audited: String = sqlx::query_scalar(
        "select details->>'difference' from audit_log where action = 'shift.close'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, "-100.00");
    let refused = s.pos.sell(&cashier, sale(&radio, 1, cash("1500"))).await;
    assert_eq!(refused.unwrap_err(), Error::NoShift);
    assert!(matches!(
        s.shifts.report(&cashier).await,
        Err(Error::NoShift)
    ));
    // The admin reads it back in the console, closed, with the same figures.
    let listed = s
        .shifts
        .list(
            &admin,
            &ShiftFilter {
                cashier: "cash".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let today = bytemtaani::domain::clock::shop_date(chrono::Utc::now());
    let tomorrow = today.succ_opt().unwrap();
    let later = ShiftFilter {
        from: Some(tomorrow),
        ..Default::default()
    };
    assert!(s.shifts.list(&admin, &later).await.unwrap().is_empty());
    let backwards = ShiftFilter {
        from: Some(tomorrow),
        to: Some(today),
        ..Default::default()
    };
    assert!(matches!(
        s.shifts.list(&admin, &backwards).await,
        Err(Error::Invalid { .. })
    ));
    let again = s.shifts.report_of(&admin, listed[0].id).await.unwrap();
    assert_eq!(again.figures.expected_cash, money("7200"));
    assert_eq!(again.figures.taken, z.figures.taken);
    // Only admins list shifts; a customer opens none.
    assert!(matches!(
        s.shifts.list(&cashier, &ShiftFilter::default()).await,
        Err(Error::Forbidden(_))
    ));
    let amina = login_as(&s, "amina", Role::Customer).await;
    assert!(matches!(
        s.shifts.open(&amina, "0").await,
        Err(Error::Forbidden(_))
    ));
}

/// A sale under way when its shift closes is in that shift's count, and a sale after the
/// close is refused: the close waits for the sales holding the shift.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn sales_racing_the_close_are_counted_or_refused_never_lost(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 100).await;
    let cashier = at_till(&s, "cashier").await;
    let sales = (0..20).map(|_| {
        let (s, cashier, radio) = (s.clone(), cashier.clone(), radio.clone());
        tokio::spawn(async move { s.pos.sell(&cashier, sale(&radio, 1, cash("1500"))).await })
    });
    let close = {
        let (s, cashier) = (s.clone(), cashier.clone());
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            s.shifts.close(&cashier, "0").await
        })
    };
    let mut sold = 0;
    for sale in futures::future::join_all(sales).await {
        match sale.unwrap() {
            Ok(_) => sold += 1,
            Err(Error::NoShift) => {}
            Err(other) => panic!("{other}"),
        }
    }
    let z = close.await.unwrap().unwrap();
    println!("close during 20 sales: {sold} sold in the shift");
    assert_eq!(z.figures.sales, sold);
    assert_eq!(z.figures.expected_cash, radio.price.times(sold as i32));
    assert_eq!(
        count(&pool, "select count(*) from orders where shift_id is null").await,
        0
    );
    assert_eq!(stock(&pool, &radio).await, 100 - sold as i32);
}

/// Shifts summed over days and cashiers: every figure of their reports added up, the
/// closes' counts and differences too; a cashier's name narrows it to their shifts.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn shifts_are_summed_over_days_and_cashiers(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 20).await;
    let otieno = login_as(&s, "otieno", Role::Staff).await;
    let achieng = login_as(&s, "achieng", Role::Staff).await;
    s.shifts.open(&otieno, "1000").await.unwrap();
    s.shifts.open(&achieng, "500").await.unwrap();
    sell(&s, &otieno, &radio, cash("1500")).await;
    sell(&s, &otieno, &radio, Tender::Card("TRM-000777".into())).await;
    sell(&s, &achieng, &radio, cash("2000")).await;
    s.shifts
        .move_cash(&achieng, CashMove::Out, "200", "airtime for the shop")
        .await
        .unwrap();
    // Otieno counts 100 short at his close; Achieng's shift is still open.
    s.shifts.close(&otieno, "2400").await.unwrap();

    let all = s
        .shifts
        .summary(&admin, &ShiftFilter::default())
        .await
        .unwrap();
    assert_eq!((all.shifts, all.open), (2, 1));
    assert_eq!(all.figures.sales, 3);
    assert_eq!(
        all.figures.taken,
        [
            (PaymentMethod::Cash, money("3000")),
            (PaymentMethod::Card, money("1500"))
        ]
    );
    assert_eq!(all.floats, money("1500"));
    assert_eq!(all.figures.cash_out, money("200"));
    assert_eq!(
        all.figures.expected_cash,
        money("2500") + money("1800"),
        "each drawer's expected cash"
    );
    assert_eq!(
        (all.counted, all.difference),
        (money("2400"), money("0") - money("100"))
    );
    let text = all.lines().join("\n");
    assert!(
        text.contains("2 (1 open)") && text.contains("-KSh 100.00"),
        "{text}"
    );

    let his = s
        .shifts
        .summary(
            &admin,
            &ShiftFilter {
                cashier: "OTIE".into(),
                ..ShiftFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((his.shifts, his.figures.sales), (1, 2));
    let tomorrow = bytemtaani::domain::clock::shop_date(chrono::Utc::now()).succ_opt();
    let none = s
        .shifts
        .summary(
            &admin,
            &ShiftFilter {
                from: tomorrow,
                ..ShiftFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((none.shifts, none.figures.sales), (0, 0));
    assert!(
        s.shifts
            .summary(&otieno, &ShiftFilter::default())
            .await
            .is_err(),
        "for admins"
    );
}
