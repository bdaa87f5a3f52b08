//! M-Pesa paid to the shop's till number, confirmed by Safaricom (Daraja C2B), as a real shop
//! runs it: confirmations reach the receiver's secret address, and a code typed at the till
//! settles its sale only when Safaricom's confirmation of it is in (recent, enough, unused).
//! Tills work under the till's database role, as in a shop.

mod common;

use bytemtaani::db::TerminalRole;
use bytemtaani::domain::catalog::Product;
use bytemtaani::domain::order::{OrderLine, OrderStatus};
use bytemtaani::domain::user::Actor;
use bytemtaani::domain::{Error, Money};
use bytemtaani::service::Services;
use bytemtaani::service::gateways::{Gateways, TillConfirmations};
use bytemtaani::service::payments::TillOutcome;
use bytemtaani::service::pos::{Sale, Tender};
use common::*;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

const TOKEN: &str = "c2b0secret0of0the0shop0000001";
const TILL: &str = "600900";

fn real_shop(pool: &PgPool) -> Services {
    services_with(
        pool,
        Gateways::none(SANDBOX_DELAY).with_till_confirmations(TillConfirmations::Daraja {
            short_code: TILL.into(),
            token: Some(TOKEN.into()),
        }),
    )
}

/// What Safaricom posts when a customer pays `amount` to `till`, `minutes_ago`.
fn confirmation(code: &str, amount: &str, till: &str, minutes_ago: i64) -> Vec<u8> {
    let at = bytemtaani::domain::clock::shop_time(
        chrono::Utc::now() - chrono::Duration::minutes(minutes_ago),
    );
    json!({
        "TransactionType": "Buy Goods", "TransID": code,
        "TransTime": at.format("%Y%m%d%H%M%S").to_string(), "TransAmount": amount,
        "BusinessShortCode": till, "BillRefNumber": "", "InvoiceNumber": "",
        "OrgAccountBalance": "", "ThirdPartyTransID": "", "MSISDN": "2547 ***** 149",
        "FirstName": "Achieng",
    })
    .to_string()
    .into_bytes()
}

async fn confirmed(s: &Services, code: &str, amount: &str) -> TillOutcome {
    s.payments
        .receive_till_payment(TOKEN, &confirmation(code, amount, TILL, 1))
        .await
        .unwrap()
}

/// The shop (admin, a cashier on shift at a till terminal) and a radio at KSh 2,999 (100 in stock).
async fn shop_with_radio(owner: &Services) -> (Services, Actor, Product) {
    let (admin, phones) = shop(owner).await;
    let radio = product(owner, &admin, &phones, "Radio", "2999", 100).await;
    let till = served(owner, TerminalRole::Till);
    let cashier = cashier_at(owner, &till, "cashier").await;
    (till, cashier, radio)
}

/// A cashier whose account the owner made, logged in and on shift at the till terminal.
async fn cashier_at(owner: &Services, till: &Services, name: &str) -> Actor {
    create_account(owner, name, bytemtaani::domain::user::Role::Staff).await;
    let cashier: Actor = till.auth.login(name, PASSWORD).await.unwrap().into();
    on_shift(till, &cashier).await;
    cashier
}

fn radio_sale(radio: &Product, tender: Tender) -> Sale {
    Sale {
        key: Uuid::new_v4(),
        customer: None,
        lines: vec![OrderLine {
            product_id: radio.id,
            quantity: 1,
            agreed_price: radio.price,
        }],
        discounts: Vec::new(),
        approval: None,
        tender,
    }
}

async fn status_of(pool: &PgPool, order: Uuid) -> OrderStatus {
    sqlx::query_scalar("select status from orders where id = $1")
        .bind(order)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn code(text: &str) -> Tender {
    Tender::MpesaCode(text.into())
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_code_safaricom_confirmed_settles_the_sale_at_once_and_only_once(pool: PgPool) {
    let owner = real_shop(&pool);
    let (till, cashier, radio) = shop_with_radio(&owner).await;
    assert_eq!(
        confirmed(&owner, "QKA1B2C3D4", "3000").await,
        TillOutcome::Kept
    );

    let receipt = till
        .pos
        .sell(&cashier, radio_sale(&radio, code("qka1b2c3d4")))
        .await
        .unwrap();
    assert!(receipt.payment.verified, "settled with no admin step");
    let (status, confirmed_by): (OrderStatus, Option<Uuid>) = sqlx::query_as(
        "select o.status, p.confirmed_by from orders o join payments p on p.order_id = o.id
         where o.id = $1",
    )
    .bind(receipt.order_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(status, OrderStatus::Paid);
    assert_eq!(confirmed_by, None, "Safaricom confirmed it, not a person");
    let claimed: Option<Uuid> =
        sqlx::query_scalar("select payment_id from till_payments where trans_id = 'QKA1B2C3D4'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(claimed.is_some());

    // The same SMS shown again for another sale: refused, and nothing written.
    let again = till
        .pos
        .sell(&cashier, radio_sale(&radio, code("QKA1B2C3D4")))
        .await;
    assert!(
        matches!(again, Err(Error::DuplicateTransaction(_))),
        "{again:?}"
    );
    assert_eq!(count(&pool, "select count(*) from orders").await, 1);
    assert_eq!(stock(&pool, &radio).await, 99);
    assert!(
        owner
            .payments
            .unclaimed_till_payments(&login_admin(&owner).await)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn login_admin(s: &Services) -> Actor {
    login_as(s, "owner", bytemtaani::domain::user::Role::Admin).await
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_unknown_code_is_refused_unless_the_cashier_waits_then_its_confirmation_settles_it(
    pool: PgPool,
) {
    let owner = real_shop(&pool);
    let (till, cashier, radio) = shop_with_radio(&owner).await;

    let made_up = till
        .pos
        .sell(&cashier, radio_sale(&radio, code("QZZ9Y8X7W6")))
        .await;
    assert!(
        matches!(&made_up, Err(Error::CodeNotConfirmed(c)) if c == "QZZ9Y8X7W6"),
        "{made_up:?}"
    );
    assert!(made_up.unwrap_err().to_string().contains("Check the code"));
    assert_eq!(count(&pool, "select count(*) from orders").await, 0);
    assert_eq!(stock(&pool, &radio).await, 100, "nothing left the shop");

    // The customer insists the SMS came: recorded, unpaid, waiting for Safaricom.
    let waiting = till
        .pos
        .sell(
            &cashier,
            radio_sale(&radio, Tender::MpesaCodeAwaited("QZZ9Y8X7W6".into())),
        )
        .await
        .unwrap();
    assert!(!waiting.payment.verified);
    assert_eq!(
        confirmed(&owner, "QZZ9Y8X7W6", "2999").await,
        TillOutcome::Settled(waiting.order_id)
    );
    let status = status_of(&pool, waiting.order_id).await;
    assert_eq!(status, OrderStatus::Paid);
    // Resent by Safaricom: kept once, settles nothing again.
    assert_eq!(
        confirmed(&owner, "QZZ9Y8X7W6", "2999").await,
        TillOutcome::Resent
    );
    assert_eq!(count(&pool, "select count(*) from till_payments").await, 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn too_little_or_too_old_is_refused_in_plain_words(pool: PgPool) {
    let owner = real_shop(&pool);
    let (till, cashier, radio) = shop_with_radio(&owner).await;
    confirmed(&owner, "QLOW000001", "2998.99").await;
    let old = confirmation("QOLD000001", "2999", TILL, 3 * 60);
    owner
        .payments
        .receive_till_payment(TOKEN, &old)
        .await
        .unwrap();

    let low = till
        .pos
        .sell(&cashier, radio_sale(&radio, code("QLOW000001")))
        .await
        .unwrap_err()
        .to_string();
    assert!(low.contains("KSh 2,998.99, less than the total"), "{low}");
    let stale = till
        .pos
        .sell(&cashier, radio_sale(&radio, code("QOLD000001")))
        .await
        .unwrap_err()
        .to_string();
    assert!(stale.contains("more than 2 hours ago"), "{stale}");
    assert_eq!(count(&pool, "select count(*) from orders").await, 0);
    let admin = login_admin(&owner).await;
    let unclaimed = owner
        .payments
        .unclaimed_till_payments(&admin)
        .await
        .unwrap();
    assert_eq!(unclaimed.len(), 2, "both listed for an admin to match");

    // The customer paid the last cent in cash: the cashier records the code to wait, and
    // an admin at the console verifies it by hand, which matches its till payment.
    let waiting = till
        .pos
        .sell(
            &cashier,
            radio_sale(&radio, Tender::MpesaCodeAwaited("QLOW000001".into())),
        )
        .await
        .unwrap();
    let console = served(&owner, TerminalRole::Admin);
    let admin: Actor = console.auth.login("owner", PASSWORD).await.unwrap().into();
    let payment = payment_of(&pool, waiting.order_id).await;
    console
        .payments
        .confirm(&admin, payment, "QLOW000001", radio.price)
        .await
        .unwrap();
    let left = console
        .payments
        .unclaimed_till_payments(&admin)
        .await
        .unwrap();
    assert_eq!(
        left.iter().map(|p| p.trans_id.as_str()).collect::<Vec<_>>(),
        ["QOLD000001"]
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn forged_foreign_and_malformed_confirmations_settle_nothing(pool: PgPool) {
    let owner = real_shop(&pool);
    let (till, cashier, radio) = shop_with_radio(&owner).await;
    let forged = confirmation("QFORGED001", "2999", TILL, 1);
    assert_eq!(
        owner
            .payments
            .receive_till_payment("guessed0token0of0anyone00000", &forged)
            .await
            .unwrap(),
        TillOutcome::WrongAddress
    );
    assert_eq!(
        count(&pool, "select count(*) from mpesa_callbacks").await,
        0
    );

    let elsewhere = confirmation("QOTHER0001", "2999", "123456", 1);
    let junk = [
        elsewhere,
        b"{\"TransID\": 5}".to_vec(),
        confirmation("not-a-code", "2999", TILL, 1),
        confirmation("QNEG000001", "-5", TILL, 1),
    ];
    for body in junk {
        let outcome = owner
            .payments
            .receive_till_payment(TOKEN, &body)
            .await
            .unwrap();
        assert!(matches!(outcome, TillOutcome::Refused(_)), "{outcome:?}");
    }
    assert_eq!(count(&pool, "select count(*) from till_payments").await, 0);
    assert_eq!(
        count(
            &pool,
            "select count(*) from mpesa_callbacks where outcome like 'refused:%'"
        )
        .await,
        4,
        "each recorded as it arrived"
    );
    for made_up in ["QFORGED001", "QOTHER0001"] {
        let sold = till
            .pos
            .sell(&cashier, radio_sale(&radio, code(made_up)))
            .await;
        assert!(matches!(sold, Err(Error::CodeNotConfirmed(_))), "{sold:?}");
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn two_tills_showing_one_sms_at_once_settle_one_sale(pool: PgPool) {
    let owner = real_shop(&pool);
    let (till, first, radio) = shop_with_radio(&owner).await;
    let second = cashier_at(&owner, &till, "cashier2").await;
    confirmed(&owner, "QTWICE0001", "2999").await;

    let (a, b) = tokio::join!(
        till.pos
            .sell(&first, radio_sale(&radio, code("QTWICE0001"))),
        till.pos
            .sell(&second, radio_sale(&radio, code("QTWICE0001"))),
    );
    let paid = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(paid, 1, "{a:?} / {b:?}");
    let refused = if a.is_err() { a } else { b };
    assert!(
        matches!(refused, Err(Error::DuplicateTransaction(_))),
        "{refused:?}"
    );
    assert_eq!(stock(&pool, &radio).await, 99);
}

/// A confirmation arriving while the till records an awaited code is never missed, whichever
/// transaction goes first: every sale ends paid.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_confirmation_racing_its_awaited_sale_always_settles_it(pool: PgPool) {
    let owner = real_shop(&pool);
    let (till, cashier, radio) = shop_with_radio(&owner).await;
    for n in 0..40 {
        let code = format!("QRACE{n:05}");
        let (sold, heard) = tokio::join!(
            till.pos.sell(
                &cashier,
                radio_sale(&radio, Tender::MpesaCodeAwaited(code.clone()))
            ),
            confirmed(&owner, &code, "2999"),
        );
        let order = sold.unwrap().order_id;
        assert!(matches!(heard, TillOutcome::Kept | TillOutcome::Settled(_)));
        let status = status_of(&pool, order).await;
        assert_eq!(status, OrderStatus::Paid, "race {n}: {heard:?}");
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_sandbox_pays_the_till_only_where_it_is_the_choice(pool: PgPool) {
    let sandbox = services_with(
        &pool,
        Gateways::sandbox(SANDBOX_DELAY).with_till_confirmations(TillConfirmations::Sandbox),
    );
    let (till, cashier, radio) = shop_with_radio(&sandbox).await;
    let (sms, _) = sandbox
        .payments
        .sandbox_till_payment(
            Money::parse("Amount", "2999").unwrap(),
            "2547 ***** 149",
            None,
        )
        .await
        .unwrap();
    let receipt = till
        .pos
        .sell(&cashier, radio_sale(&radio, code(&sms)))
        .await
        .unwrap();
    assert!(receipt.payment.verified);
    // A code typed before its confirmation came: the sandbox's late SMS settles it.
    let waiting = till
        .pos
        .sell(
            &cashier,
            radio_sale(&radio, Tender::MpesaCodeAwaited("QLATE00001".into())),
        )
        .await
        .unwrap();
    sandbox
        .payments
        .sandbox_till_payment(
            Money::parse("Amount", "2999").unwrap(),
            "2547 ***** 149",
            Some("qlate00001"),
        )
        .await
        .unwrap();
    let again = sandbox
        .payments
        .sandbox_till_payment(
            Money::parse("Amount", "2999").unwrap(),
            "2547 ***** 149",
            Some("QLATE00001"),
        )
        .await;
    assert!(
        matches!(again, Err(Error::DuplicateTransaction(_))),
        "{again:?}"
    );
    let status = status_of(&pool, waiting.order_id).await;
    assert_eq!(status, OrderStatus::Paid);

    let real = real_shop(&pool);
    let refused = real
        .payments
        .sandbox_till_payment(
            Money::parse("Amount", "2999").unwrap(),
            "2547 ***** 149",
            None,
        )
        .await;
    assert!(matches!(refused, Err(Error::Conflict(_))), "{refused:?}");
}

/// With till confirmations off, a typed code waits for an admin as before.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn without_till_confirmations_a_code_waits_for_an_admin(pool: PgPool) {
    let owner = services(&pool);
    let (till, cashier, radio) = shop_with_radio(&owner).await;
    let receipt = till
        .pos
        .sell(&cashier, radio_sale(&radio, code("QADMIN0001")))
        .await
        .unwrap();
    assert!(!receipt.payment.verified);
    assert_eq!(count(&pool, "select count(*) from till_payments").await, 0);
}

/// Part cash, the rest by an M-Pesa code: the code's part settles on Safaricom's
/// confirmation in the sale's own transaction; without one the whole sale is refused.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_confirmed_code_pays_part_of_a_sale(pool: PgPool) {
    let owner = real_shop(&pool);
    let (till, cashier, radio) = shop_with_radio(&owner).await;
    let in_parts = |code_text: &str| {
        Tender::Split(vec![
            bytemtaani::service::pos::Part {
                amount: Money::parse("", "999").unwrap(),
                tender: Tender::Cash {
                    handed: Money::parse("", "1000").unwrap(),
                },
            },
            bytemtaani::service::pos::Part {
                amount: Money::parse("", "2000").unwrap(),
                tender: code(code_text),
            },
        ])
    };
    let unconfirmed = till
        .pos
        .sell(&cashier, radio_sale(&radio, in_parts("QKP0ART001")))
        .await;
    assert!(
        matches!(unconfirmed, Err(Error::CodeNotConfirmed(_))),
        "{unconfirmed:?}"
    );
    assert_eq!(count(&pool, "select count(*) from orders").await, 0);

    confirmed(&owner, "QKP0ART001", "2000").await;
    let receipt = till
        .pos
        .sell(&cashier, radio_sale(&radio, in_parts("QKP0ART001")))
        .await
        .unwrap();
    assert_eq!(status_of(&pool, receipt.order_id).await, OrderStatus::Paid);
    assert_eq!(receipt.change(), Some(Money::parse("", "1").unwrap()));
    let parts: Vec<(String, Money)> = sqlx::query_as(
        "select method::text, amount from payments
         where order_id = $1 and split and status = 'successful' order by created_at",
    )
    .bind(receipt.order_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        parts,
        [
            ("cash".into(), Money::parse("", "999").unwrap()),
            ("mpesa".into(), Money::parse("", "2000").unwrap())
        ]
    );
}
