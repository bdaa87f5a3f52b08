//! eTIMS (issue 17): every paid till sale and every return is numbered in its own
//! transaction with no gap and no repeat, queued, and sent to KRA in number order by the
//! shop's server; KRA is a local mock answering with the OSCU specification's field names
//! (or the built-in sandbox). The till never waits for KRA.

mod common;

use bytemtaani::db::TerminalRole;
use bytemtaani::domain::Error;
use bytemtaani::domain::catalog::{Category, Product};
use bytemtaani::domain::live::Change;
use bytemtaani::domain::returns::ReturnRequest;
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::gateway::etims::{Device, Etims};
use bytemtaani::service::Services;
use bytemtaani::service::etims::Stopped;
use common::*;
use futures::StreamExt;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CMC_KEY: &str = "cmc-key-of-this-device";

fn kra(server: &MockServer) -> Etims {
    Etims::oscu(
        &server.uri(),
        Device {
            pin: bytemtaani::config::Settings::built_in().shop.kra_pin,
            branch: BRANCH.into(),
            cmc_key: CMC_KEY.into(),
        },
    )
}

/// KRA's success answer for invoice `n`.
fn signed(n: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "resultCd": "000",
        "resultMsg": "It is succeeded",
        "resultDt": "20261130120000",
        "data": {
            "curRcptNo": n.to_string(),
            "totRcptNo": n.to_string(),
            "intrlData": "EAHSAV6ECUUXSY6PCCJYAUP6MI",
            "rcptSign": format!("SIGN{n:012}"),
            "sdcDateTime": "20261130120001"
        }
    }))
}

/// KRA's answer `code` with no data: a refusal, "already have it", "already installed".
fn kra_answers(code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "resultCd": code, "resultMsg": message, "data": null
    }))
}

/// Answers every invoice as KRA would, signing each number it is sent.
struct SignsEach;

impl wiremock::Respond for SignsEach {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap();
        signed(body["invcNo"].as_i64().unwrap())
    }
}

/// KRA registering every product and signing every invoice.
async fn kra_signs(server: &MockServer) {
    kra_registers(server).await;
    Mock::given(method("POST"))
        .and(path("/saveTrnsSalesOsdc"))
        .respond_with(SignsEach)
        .mount(server)
        .await;
}

/// KRA registering every product it is sent (`saveItem`).
async fn kra_registers(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/saveItem"))
        .respond_with(kra_answers("000", "It is succeeded"))
        .mount(server)
        .await;
}

/// What KRA was sent to `call`, in the order it was sent.
async fn sent_to(server: &MockServer, call: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == format!("/{call}"))
        .map(|r| r.body_json::<Value>().unwrap())
        .collect()
}

/// The invoice numbers KRA was sent, in the order it was sent them.
async fn sent_numbers(server: &MockServer) -> Vec<i64> {
    sent_to(server, "saveTrnsSalesOsdc")
        .await
        .iter()
        .map(|body| body["invcNo"].as_i64().unwrap())
        .collect()
}

/// A shop with eTIMS on, sending through `sender`: its services, admin, a cashier on shift,
/// 10 radios at KSh 1,500 and their category.
async fn radio_shop(pool: &PgPool, sender: Etims) -> (Services, Actor, Actor, Product, Category) {
    let s = services_with_etims(pool.clone().into(), sender);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;
    let cashier = at_till(&s, "cashier").await;
    (s, admin, cashier, radio, phones)
}

/// One unit of `product` brought back from sale `order_id`, put back on the shelf.
fn one_back(order_id: Uuid, product: &Product) -> ReturnRequest {
    ReturnRequest {
        order_id,
        lines: vec![(product.id, 1)],
        restock: true,
        reason: String::new(),
        reference: String::new(),
    }
}

/// The numbers the database gave, with their kinds, in order.
async fn numbers(pool: &PgPool) -> Vec<(i64, String)> {
    sqlx::query_as("select number, kind::text from etims_invoices order by number")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn fifty_tills_selling_at_once_get_fifty_consecutive_numbers(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    let owner = services_with_etims(pool.clone().into(), kra(&server));
    let (admin, phones) = shop(&owner).await;
    let radio = product(&owner, &admin, &phones, "Radio", "1500", 1000).await;
    // Each till works as the till role, as a shop's tills do.
    let mut tasks = Vec::new();
    for n in 0..50 {
        let name = format!("cashier{n}");
        create_account(&owner, &name, Role::Staff).await;
        let till = served(&owner, TerminalRole::Till);
        let cashier: Actor = till.auth.login(&name, PASSWORD).await.unwrap().into();
        on_shift(&till, &cashier).await;
        let radio = radio.clone();
        tasks.push(tokio::spawn(async move {
            cash_sale(&till, &cashier, vec![line(&radio, 1)]).await
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("every sale goes through");
    }
    let numbers: Vec<i64> = numbers(&pool).await.into_iter().map(|(n, _)| n).collect();
    assert_eq!(numbers, (1..=50).collect::<Vec<_>>());
    assert_eq!(
        count(&pool, "select count(distinct order_id) from etims_invoices").await,
        50
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_sale_that_is_refused_takes_no_number(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    let s = services_with_etims(pool.clone().into(), kra(&server));
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 2).await;
    let cashier = at_till(&s, "cashier").await;
    cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();
    // Short of stock: rolled back whole, its number with it.
    assert!(
        cash_sale(&s, &cashier, vec![line(&radio, 5)])
            .await
            .is_err()
    );
    cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();
    assert_eq!(
        numbers(&pool).await,
        [(1, "sale".to_owned()), (2, "sale".to_owned())]
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_sale_committed_before_a_crash_is_sent_once_after_it(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    kra_registers(&server).await;
    Mock::given(method("POST"))
        .and(path("/saveTrnsSalesOsdc"))
        .respond_with(signed(1))
        .expect(1)
        .mount(&server)
        .await;
    // The till sells; the server that would send went down before sending.
    let (till, _, cashier, radio, _) = radio_shop(&pool, kra(&server)).await;
    let order = cash_sale(&till, &cashier, vec![line(&radio, 2)])
        .await
        .unwrap();
    let pending = till.pos.receipt_for(&cashier, order).await.unwrap().text();
    assert!(pending.contains("eTIMS PENDING"), "{pending}");
    assert!(pending.contains(&format!("{SCU_ID}/1")), "{pending}");

    // A new server process starts: it finds the invoice and sends it, once.
    let restarted = services_with_etims(pool.clone().into(), kra(&server));
    let sent = restarted.etims.send_due().await.unwrap();
    assert_eq!((sent.signed, sent.stopped), (1, Stopped::Done));
    let again = restarted.etims.send_due().await.unwrap();
    assert_eq!((again.signed, again.stopped), (0, Stopped::Done));

    let text = till.pos.receipt_for(&cashier, order).await.unwrap().text();
    assert!(!text.contains("PENDING"), "{text}");
    assert!(text.contains("SIGN000000000001"), "{text}");
    assert!(text.contains("EAHSAV6ECUUXSY6PCCJYAUP6MI"), "{text}");
    // The QR code's link: KRA's checker, the PIN, the branch and the signature.
    let link = format!(
        "{}P051234567X00SIGN000000000001",
        bytemtaani::config::Settings::built_in().etims.verify_url
    );
    assert!(text.replace('\n', "").contains(&link), "{text}");
    assert!(text.contains("B VAT 16%"), "{text}");
    // 3,000.00 with VAT at 16 % included holds 413.79.
    assert!(text.contains("413.79"), "{text}");
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn the_request_has_the_specifications_fields_and_the_devices_key(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/saveTrnsSalesOsdc"))
        .and(header("tin", "P051234567X"))
        .and(header("bhfId", BRANCH))
        .and(header("cmcKey", CMC_KEY))
        .respond_with(signed(1))
        .expect(1)
        .mount(&server)
        .await;
    kra_registers(&server).await;
    let s = services_with_etims(pool.clone().into(), kra(&server));
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1160", 10).await;
    let tea = product(&s, &admin, &phones, "Ketepa tea", "540", 10).await;
    sqlx::query("update products set tax_type = 'E', item_class = '5059690800' where id = $1")
        .bind(tea.id)
        .execute(&pool)
        .await
        .unwrap();
    let cashier = at_till(&s, "cashier").await;
    cash_sale(&s, &cashier, vec![line(&radio, 1), line(&tea, 2)])
        .await
        .unwrap();
    s.etims.send_due().await.unwrap();

    let body = &sent_to(&server, "saveTrnsSalesOsdc").await[0];
    assert_eq!(body["tin"], "P051234567X");
    assert_eq!(body["bhfId"], BRANCH);
    assert_eq!(body["invcNo"], 1);
    assert_eq!(body["orgInvcNo"], 0);
    assert_eq!(body["rcptTyCd"], "S");
    assert_eq!(body["salesTyCd"], "N");
    assert_eq!(body["pmtTyCd"], "01");
    assert_eq!(body["salesSttsCd"], "02");
    assert_eq!(body["totItemCnt"], 2);
    assert_eq!(body["totAmt"], 2240.0);
    // 1,160 at 16 % holds 160; 1,080 at 8 % holds 80.
    assert_eq!(body["taxblAmtB"], 1160.0);
    assert_eq!(body["taxRtB"], 16.0);
    assert_eq!(body["taxAmtB"], 160.0);
    assert_eq!(body["taxblAmtE"], 1080.0);
    assert_eq!(body["taxAmtE"], 80.0);
    assert_eq!(body["taxblAmtA"], 0.0);
    assert_eq!(body["totTaxAmt"], 240.0);
    assert_eq!(body["regrNm"], "cashier");
    let cfm = body["cfmDt"].as_str().unwrap();
    assert!(cfm.len() == 14 && cfm.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(body["salesDt"].as_str().unwrap(), &cfm[..8]);
    let items = body["itemList"].as_array().unwrap();
    let tea_line = items.iter().find(|i| i["itemNm"] == "Ketepa tea").unwrap();
    assert_eq!(tea_line["taxTyCd"], "E");
    assert_eq!(tea_line["itemClsCd"], "5059690800");
    assert_eq!(tea_line["qty"], 2);
    assert_eq!(tea_line["prc"], 540.0);
    assert_eq!(tea_line["splyAmt"], 1080.0);
    assert_eq!(tea_line["taxAmt"], 80.0);
    assert_eq!(tea_line["bcd"], "KETEPA-TEA");
    let code = tea_line["itemCd"].as_str().unwrap();
    assert!(code.starts_with("KE2NTU") && code.len() == 13, "{code}");
    let seqs: Vec<i64> = items
        .iter()
        .map(|i| i["itemSeq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2]);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn kra_down_for_a_while_then_back_gets_everything_in_order(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    kra_signs(&server).await;
    let (s, _, cashier, radio, _) = radio_shop(&pool, kra(&server)).await;
    for _ in 0..3 {
        cash_sale(&s, &cashier, vec![line(&radio, 1)])
            .await
            .unwrap();
    }
    // KRA is down: the first waits for its next try; the till sold all the same.
    let sent = s.etims.send_due().await.unwrap();
    assert_eq!((sent.signed, sent.stopped), (0, Stopped::Waiting(1)));
    let sent = s.etims.send_due().await.unwrap();
    assert_eq!(
        (sent.signed, sent.stopped),
        (0, Stopped::Waiting(1)),
        "not before its time"
    );
    let error: String =
        sqlx::query_scalar("select last_error from etims_invoices where number = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        error.contains("KRA cannot be reached") && error.contains("503"),
        "{error}"
    );

    // Its time comes (by the database's clock) and KRA is still down once more; then back.
    let due = "update etims_invoices set next_attempt_at = now() where state = 'pending'";
    sqlx::query(due).execute(&pool).await.unwrap();
    assert_eq!(
        s.etims.send_due().await.unwrap().stopped,
        Stopped::Waiting(1)
    );
    sqlx::query(due).execute(&pool).await.unwrap();
    let sent = s.etims.send_due().await.unwrap();
    assert_eq!((sent.signed, sent.stopped), (3, Stopped::Done));
    // While KRA was down the radio's registration failed twice; then it and the three
    // invoices went through.
    assert_eq!(sent_to(&server, "saveItem").await.len(), 3);
    assert_eq!(sent_numbers(&server).await, [1, 2, 3]);
    assert_eq!(
        count(
            &pool,
            "select count(*) from etims_invoices where state = 'signed'"
        )
        .await,
        3
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_refused_invoice_holds_the_queue_until_an_admin_resends_it(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/saveTrnsSalesOsdc"))
        .respond_with(kra_answers("910", "Request parameter error"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    kra_signs(&server).await;
    let (s, admin, cashier, radio, _) = radio_shop(&pool, kra(&server)).await;
    cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();
    cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();

    assert_eq!(
        s.etims.send_due().await.unwrap().stopped,
        Stopped::Refused(1)
    );
    // Number 2 is not sent past the refused number 1.
    assert_eq!(
        s.etims.send_due().await.unwrap().stopped,
        Stopped::Refused(1)
    );
    assert_eq!(sent_numbers(&server).await, [1]);
    let invoice: Uuid = sqlx::query_scalar("select id from etims_invoices where number = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    // A cashier cannot resend; an admin can.
    assert!(matches!(
        s.etims.resend(&cashier, invoice).await,
        Err(Error::Forbidden(_))
    ));
    s.etims.resend(&admin, invoice).await.unwrap();
    let sent = s.etims.send_due().await.unwrap();
    assert_eq!((sent.signed, sent.stopped), (2, Stopped::Done));
    assert_eq!(sent_numbers(&server).await, [1, 1, 2]);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_invoice_kra_had_already_is_not_sent_again(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/saveTrnsSalesOsdc"))
        .respond_with(kra_answers("994", "There is an overlapped Data"))
        .expect(1)
        .mount(&server)
        .await;
    kra_registers(&server).await;
    let (s, _, cashier, radio, _) = radio_shop(&pool, kra(&server)).await;
    let order = cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();
    let sent = s.etims.send_due().await.unwrap();
    assert_eq!(
        (sent.signed, sent.stopped),
        (0, Stopped::Done),
        "closed, not signed"
    );
    assert_eq!(s.etims.send_due().await.unwrap().stopped, Stopped::Done);
    let text = s.pos.receipt_for(&cashier, order).await.unwrap().text();
    assert!(
        text.replace('\n', " ")
            .contains("its signature was not received"),
        "{text}"
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_return_is_a_credit_note_naming_its_invoice(pool: PgPool) {
    etims_on(&pool).await;
    let (s, admin, cashier, radio, phones) = radio_shop(&pool, Etims::sandbox()).await;
    let bank = product(&s, &admin, &phones, "Power bank", "2999", 10).await;
    let first = cash_sale(&s, &cashier, vec![line(&radio, 2), line(&bank, 1)])
        .await
        .unwrap();
    cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();
    let slip = s
        .returns
        .take(&cashier, one_back(first, &radio))
        .await
        .unwrap();
    let text = slip.text();
    assert!(text.contains(&format!("{SCU_ID}/3")), "{text}");
    assert!(text.contains("CU credit note"), "{text}");
    assert!(text.contains("SANDBOX: NOT DECLARED TO KRA"), "{text}");
    let note: (i64, Option<i64>, String) = sqlx::query_as(
        "select number, original_number, kind::text from etims_invoices where return_id is not null",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(note, (3, Some(1), "credit_note".to_owned()));
    let sent = s.etims.send_due().await.unwrap();
    assert_eq!((sent.signed, sent.stopped), (3, Stopped::Done));
}

/// A shop with eTIMS on and KRA (the mock) signing, that sold 2 radios and a power bank.
struct Sold {
    server: MockServer,
    s: Services,
    admin: Actor,
    cashier: Actor,
    radio: Product,
    order: Uuid,
}

async fn sold_radios_and_a_bank(pool: &PgPool) -> Sold {
    etims_on(pool).await;
    let server = MockServer::start().await;
    kra_signs(&server).await;
    let (s, admin, cashier, radio, phones) = radio_shop(pool, kra(&server)).await;
    let bank = product(&s, &admin, &phones, "Power bank", "2999", 10).await;
    let order = cash_sale(&s, &cashier, vec![line(&radio, 2), line(&bank, 1)])
        .await
        .unwrap();
    Sold {
        server,
        s,
        admin,
        cashier,
        radio,
        order,
    }
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_credit_note_declares_the_returned_lines_and_the_original(pool: PgPool) {
    let Sold {
        server,
        s,
        cashier,
        radio,
        order,
        ..
    } = sold_radios_and_a_bank(&pool).await;
    s.returns
        .take(&cashier, one_back(order, &radio))
        .await
        .unwrap();
    s.etims.send_due().await.unwrap();
    let note = &sent_to(&server, "saveTrnsSalesOsdc").await[1];
    assert_eq!(note["rcptTyCd"], "R");
    assert_eq!(note["invcNo"], 2);
    assert_eq!(note["orgInvcNo"], 1);
    assert_eq!(note["rfdRsnCd"], "06");
    assert_eq!(note["totAmt"], 1500.0);
    let items = note["itemList"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["itemNm"], "Radio");
    assert_eq!(items[0]["qty"], 1);

    // The other radio comes back broken, not for the shelf: credited as damaged.
    let mut broken = one_back(order, &radio);
    broken.restock = false;
    broken.reason = "screen cracked".into();
    s.returns.take(&cashier, broken).await.unwrap();
    s.etims.send_due().await.unwrap();
    let note = &sent_to(&server, "saveTrnsSalesOsdc").await[2];
    assert_eq!(
        (note["invcNo"].as_i64(), note["rfdRsnCd"].as_str()),
        (Some(3), Some("03"))
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_till_cannot_number_sign_or_unsend_an_invoice(pool: PgPool) {
    etims_on(&pool).await;
    let (s, _, cashier, radio, _) = radio_shop(&pool, Etims::sandbox()).await;
    cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();
    let mut shell = plain(&pool, "bytemtaani_till", None).await;
    for sql in [
        "update etims_invoices set state = 'signed', signature = 'FORGED'",
        "delete from etims_invoices",
        "update etims_counters set last_number = 0",
        "update etims_policy set enabled = false",
        "select bytemtaani_etims_issue(gen_random_uuid(), 'sale', null)",
    ] {
        let refused = sqlx::query(sql).execute(&mut shell).await.unwrap_err();
        assert!(
            refused.to_string().contains("permission denied"),
            "{sql}: {refused}"
        );
    }
    // It reads them, to print them.
    let seen: i64 = sqlx::query_scalar("select count(*) from etims_invoices")
        .fetch_one(&mut shell)
        .await
        .unwrap();
    assert_eq!(seen, 1);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn with_etims_off_nothing_is_numbered(pool: PgPool) {
    let s = services(&pool);
    let (admin, phones) = shop(&s).await;
    let radio = product(&s, &admin, &phones, "Radio", "1500", 10).await;
    let cashier = at_till(&s, "cashier").await;
    let order = cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();
    assert_eq!(count(&pool, "select count(*) from etims_invoices").await, 0);
    let text = s.pos.receipt_for(&cashier, order).await.unwrap().text();
    assert!(
        !text.contains("eTIMS") && text.contains("incl. VAT 16%"),
        "{text}"
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_line_keeps_the_tax_type_its_product_had_when_sold(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    kra_signs(&server).await;
    let s = services_with_etims(pool.clone().into(), kra(&server));
    let (admin, phones) = shop(&s).await;
    let mut tea = form(&phones, "Ketepa tea", "KETEPA-TEA", "540");
    tea.tax_type = "e".into();
    tea.item_class = "5020200000".into();
    let tea = s.admin.create_product(&admin, &tea, 10).await.unwrap();
    assert_eq!(
        (tea.tax_type, tea.item_class.as_str()),
        (bytemtaani::domain::tax::TaxType::E, "5020200000")
    );
    // A letter KRA has no type for, or a class that is not KRA's digits: told at the field.
    for (tax_type, item_class, field) in [("F", "", "Tax type"), ("B", "50-20", "Item class")] {
        let mut bad = form(&phones, "Tea", "TEA", "540");
        bad.tax_type = tax_type.into();
        bad.item_class = item_class.into();
        let refused = s.admin.create_product(&admin, &bad, 1).await.unwrap_err();
        assert!(
            matches!(refused, Error::Invalid { field: f, .. } if f == field),
            "{refused:?}"
        );
    }
    let cashier = at_till(&s, "cashier").await;
    cash_sale(&s, &cashier, vec![line(&tea, 1)]).await.unwrap();
    // The admin reclassifies it after the sale: the invoice still declares what was sold.
    let mut edit = form(&phones, "Ketepa tea", "KETEPA-TEA", "540");
    edit.tax_type = "B".into();
    s.admin
        .update_product(&admin, tea.id, tea.version, &edit)
        .await
        .unwrap();
    s.etims.send_due().await.unwrap();
    let body = &sent_to(&server, "saveTrnsSalesOsdc").await[0];
    assert_eq!(body["itemList"][0]["taxTyCd"], "E");
    assert_eq!(body["taxAmtE"], 40.0);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_admin_cancelling_a_paid_sale_credits_the_whole_of_it(pool: PgPool) {
    let Sold {
        server,
        s,
        admin,
        order,
        ..
    } = sold_radios_and_a_bank(&pool).await;
    on_shift(&s, &admin).await;
    s.orders.cancel(&admin, order).await.unwrap();
    let sent = s.etims.send_due().await.unwrap();
    assert_eq!((sent.signed, sent.stopped), (2, Stopped::Done));
    let note = &sent_to(&server, "saveTrnsSalesOsdc").await[1];
    assert_eq!(
        (note["rcptTyCd"].clone(), note["orgInvcNo"].clone()),
        (json!("R"), json!(1))
    );
    assert_eq!(note["totAmt"], 5999.0);
    assert_eq!(note["itemList"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_device_is_initialised_with_kras_key_and_control_unit_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/selectInitOsdcInfo"))
        .and(wiremock::matchers::body_json(json!({
            "tin": "P051234567X", "bhfId": "00", "dvcSrlNo": "dvcv1130"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "resultCd": "000", "resultMsg": "It is succeeded", "resultDt": "20261130143124",
            "data": { "info": {
                "tin": "P051234567X", "taxprNm": "ByteMtaani", "bhfId": "00",
                "dvcId": "9999911300000001", "sdcId": "KRACU013000001",
                "mrcNo": "WIS01000150", "cmcKey": "f0b9831bd2334874b7ec815e40347bc4"
            } }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let device =
        bytemtaani::gateway::etims::initialise(&server.uri(), "P051234567X", "00", "dvcv1130")
            .await
            .unwrap();
    assert_eq!(device.scu_id, "KRACU013000001");
    assert_eq!(device.cmc_key, "f0b9831bd2334874b7ec815e40347bc4");

    // Installed before: KRA's reason is told.
    let again = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(kra_answers("902", "This device is installed"))
        .mount(&again)
        .await;
    let refused = bytemtaani::gateway::etims::initialise(&again.uri(), "P051234567X", "00", "x")
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("902: This device is installed"),
        "{refused}"
    );
}

/// A sale at the till to `customer`, paid in cash.
async fn sold_to(s: &Services, cashier: &Actor, customer: Uuid, product: &Product) -> Uuid {
    let sale = bytemtaani::service::pos::Sale {
        key: Uuid::new_v4(),
        customer: Some(customer),
        lines: vec![line(product, 1)],
        discounts: Vec::new(),
        approval: None,
        tender: bytemtaani::service::pos::Tender::Cash {
            handed: product.price,
        },
    };
    s.pos.sell(cashier, sale).await.unwrap().order_id
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_customer_sees_their_own_invoice_at_the_kiosk_and_no_one_elses(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    kra_signs(&server).await;
    let (s, _, cashier, radio, _) = radio_shop(&pool, kra(&server)).await;
    create_account(&s, "wanjiku", Role::Customer).await;
    create_account(&s, "otieno", Role::Customer).await;
    // Each kiosk names the customer logged in at it.
    let kiosk = served(&s, TerminalRole::Kiosk);
    let me = kiosk.auth.login("wanjiku", PASSWORD).await.unwrap();
    let other_kiosk = served(&s, TerminalRole::Kiosk);
    let them = other_kiosk.auth.login("otieno", PASSWORD).await.unwrap();
    let my_order = sold_to(&s, &cashier, me.user_id, &radio).await;
    let their_order = sold_to(&s, &cashier, them.user_id, &radio).await;
    let mine: Actor = me.clone().into();
    s.etims.send_due().await.unwrap();

    let seen = kiosk.orders.detail(&mine, my_order).await.unwrap();
    let print = seen.fiscal.expect("the invoice is shown with the order");
    assert_eq!(print.fiscal.number, 1);
    let signed = print.fiscal.signed.expect("KRA signed it");
    assert_eq!(signed.signature, format!("SIGN{:012}", 1));
    let link = print
        .verify_link
        .expect("the checker's link, for the QR code");
    assert!(link.ends_with(&signed.signature), "{link}");

    // Under the kiosk role, with this customer logged in, the rows of others' invoices are
    // not there at all.
    let mut shell = plain(&pool, "bytemtaani_kiosk", Some(me.id)).await;
    let visible: Vec<Uuid> = sqlx::query_scalar("select order_id from etims_invoices")
        .fetch_all(&mut shell)
        .await
        .unwrap();
    assert_eq!(visible, vec![my_order]);
    assert!(matches!(
        kiosk.orders.detail(&mine, their_order).await,
        Err(Error::NotFound(_))
    ));
    let refused = sqlx::query("update etims_invoices set signature = 'FORGED'")
        .execute(&mut shell)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("permission denied"),
        "{refused}"
    );
}

/// Waits for the next "KRA answered" the tills hear.
async fn answer_heard(heard: &mut (impl futures::Stream<Item = Change> + Unpin)) -> Uuid {
    let next = async {
        loop {
            match heard.next().await {
                Some(Change::InvoiceAnswered(id)) => return id,
                Some(_) => {}
                None => panic!("the shop's changes ended"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), next)
        .await
        .expect("KRA's answer is announced")
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_sale_is_sent_as_it_commits_and_the_tills_hear_that_kra_signed_it(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    kra_signs(&server).await;
    let (s, _, cashier, radio, _) = radio_shop(&pool, kra(&server)).await;
    let mut till_hears = s.catalog.changes().await.unwrap();
    // The sender's timer turns once at start, then not for an hour: what it sends after
    // that, it sends because a sale was numbered.
    let sender_hears = s.catalog.changes().await.unwrap();
    tokio::spawn(
        s.etims
            .clone()
            .keep_sending(Duration::from_secs(3600), sender_hears),
    );
    for n in 1..=2 {
        let order = cash_sale(&s, &cashier, vec![line(&radio, 1)])
            .await
            .unwrap();
        let answered = answer_heard(&mut till_hears).await;
        let printed = s.pos.receipt_for(&cashier, order).await.unwrap();
        let print = printed.fiscal.expect("an invoice");
        assert_eq!(answered, print.fiscal.id);
        assert_eq!(print.fiscal.number, n);
        let now = s.pos.invoice_now(&cashier, &print).await.unwrap();
        assert!(!now.awaits_kra());
        assert!(
            now.verify_link
                .as_deref()
                .is_some_and(|l| l.ends_with(&format!("SIGN{n:012}"))),
            "{now:?}"
        );
    }
    assert_eq!(sent_numbers(&server).await, vec![1, 2]);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn each_product_is_registered_before_its_first_invoice_and_again_once_changed(pool: PgPool) {
    let Sold {
        server,
        s,
        admin,
        cashier,
        radio,
        ..
    } = sold_radios_and_a_bank(&pool).await;
    s.etims.send_due().await.unwrap();
    let items = sent_to(&server, "saveItem").await;
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["itemNm"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Radio", "Power bank"], "both, before the invoice");
    let device = s.etims.list(&admin).await.unwrap().device;
    assert!(device.last_signed.is_some(), "{device:?}");
    let first_sent = &server.received_requests().await.unwrap();
    assert_eq!(first_sent.last().unwrap().url.path(), "/saveTrnsSalesOsdc");
    let registered = &items[0];
    assert_eq!(registered["itemCd"].as_str().unwrap().len(), 13);
    assert_eq!(registered["itemClsCd"], "4321150300");
    assert_eq!(registered["taxTyCd"], "B");
    assert_eq!(registered["dftPrc"], 1500.0);
    assert_eq!(registered["bcd"], "RADIO");
    assert_eq!(registered["tin"], "P051234567X");
    assert_eq!(registered["regrNm"], "cashier");

    // Sold again unchanged: nothing to register.
    cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();
    s.etims.send_due().await.unwrap();
    assert_eq!(sent_to(&server, "saveItem").await.len(), 2);

    // A new price is what KRA holds next: registered again before the next invoice.
    let phones = s.catalog.categories().await.unwrap().remove(0);
    let dearer = form(&phones, "Radio", "RADIO", "1650");
    let radio = s
        .admin
        .update_product(&admin, radio.id, radio.version, &dearer)
        .await
        .unwrap();
    cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();
    let sent = s.etims.send_due().await.unwrap();
    assert_eq!((sent.signed, sent.stopped), (1, Stopped::Done));
    let items = sent_to(&server, "saveItem").await;
    assert_eq!(items.len(), 3);
    assert_eq!(
        (items[2]["itemNm"].as_str(), items[2]["dftPrc"].as_f64()),
        (Some("Radio"), Some(1650.0))
    );
    assert_eq!(
        items[2]["itemCd"], items[0]["itemCd"],
        "the same item, changed"
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn a_product_kra_will_not_register_holds_its_invoice_until_an_admin_fixes_it(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    // KRA refuses an item class it does not know.
    Mock::given(method("POST"))
        .and(path("/saveItem"))
        .and(wiremock::matchers::body_partial_json(
            json!({ "itemClsCd": "1234" }),
        ))
        .respond_with(kra_answers("910", "Request parameter error"))
        .with_priority(1)
        .mount(&server)
        .await;
    kra_signs(&server).await;
    let (s, admin, cashier, radio, phones) = radio_shop(&pool, kra(&server)).await;
    let radio = radio_classed(&s, &admin, &phones, &radio, "1234")
        .await
        .unwrap();
    cash_sale(&s, &cashier, vec![line(&radio, 1)])
        .await
        .unwrap();
    assert_eq!(
        s.etims.send_due().await.unwrap().stopped,
        Stopped::Refused(1)
    );
    assert!(
        sent_numbers(&server).await.is_empty(),
        "no invoice for an unregistered item"
    );
    let queue = s.etims.list(&admin).await.unwrap().invoices;
    let reason = queue[0].last_error.clone().unwrap();
    assert!(
        reason.contains("Radio") && reason.contains("\"1234\"") && reason.contains("910"),
        "{reason}"
    );

    // The admin sets the right class and resends: registered, then signed.
    radio_classed(&s, &admin, &phones, &radio, "5213160000")
        .await
        .unwrap();
    s.etims.resend(&admin, queue[0].id).await.unwrap();
    let sent = s.etims.send_due().await.unwrap();
    assert_eq!((sent.signed, sent.stopped), (1, Stopped::Done));
    let items = sent_to(&server, "saveItem").await;
    assert_eq!(items.last().unwrap()["itemClsCd"], "5213160000");
}

/// The radio (KSh 1,500, of `radio_shop`) as the admin saves it with item class `class`.
async fn radio_classed(
    s: &Services,
    admin: &Actor,
    phones: &Category,
    radio: &Product,
    class: &str,
) -> bytemtaani::domain::Result<Product> {
    let mut edit = form(phones, "Radio", "RADIO", "1500");
    edit.item_class = class.into();
    s.admin
        .update_product(admin, radio.id, radio.version, &edit)
        .await
}

/// KRA's item class answer: `classes` as (code, name, in use).
fn kra_classes(classes: &[(&str, &str, bool)], at: &str) -> ResponseTemplate {
    let list: Vec<Value> = classes
        .iter()
        .map(|(code, name, used)| {
            json!({ "itemClsCd": code, "itemClsNm": name, "itemClsLvl": 5, "taxTyCd": "B",
                    "mjrTgYn": "N", "useYn": if *used { "Y" } else { "N" } })
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "resultCd": "000", "resultMsg": "It is succeeded", "resultDt": at,
        "data": { "itemClsList": list }
    }))
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn an_admins_item_class_is_checked_against_kras_list(pool: PgPool) {
    etims_on(&pool).await;
    let server = MockServer::start().await;
    let first_ask = json!({ "lastReqDt": "20180101000000" });
    Mock::given(method("POST"))
        .and(path("/selectItemClsList"))
        .and(wiremock::matchers::body_partial_json(first_ask))
        .respond_with(kra_classes(
            &[
                ("4321150300", "Mobile phones", true),
                ("5213160000", "Audio equipment", true),
                ("5213150000", "Old audio", true),
            ],
            "20261201080000",
        ))
        .mount(&server)
        .await;
    // The next ask brings only what changed since KRA's last answer.
    Mock::given(method("POST"))
        .and(path("/selectItemClsList"))
        .and(wiremock::matchers::body_partial_json(
            json!({ "lastReqDt": "20261201080000" }),
        ))
        .respond_with(kra_classes(
            &[("5213150000", "Old audio", false)],
            "20261202080000",
        ))
        .mount(&server)
        .await;
    let (s, admin, _, radio, phones) = radio_shop(&pool, kra(&server)).await;
    let device = s.etims.list(&admin).await.unwrap().device;
    assert_eq!((device.classes, device.classes_at), (0, None));
    assert_eq!(s.etims.refresh_classes().await.unwrap(), 3);
    assert_eq!(s.etims.refresh_classes().await.unwrap(), 1);
    // The console heads its eTIMS section with the device and KRA's list.
    let device = s.etims.list(&admin).await.unwrap().device;
    assert_eq!(
        (device.signer, device.classes, device.classes_at.as_deref()),
        ("KRA signs", 3, Some("20261202080000"))
    );
    assert_eq!((device.scu_id.as_str(), device.last_signed), (SCU_ID, None));
    let tin = &sent_to(&server, "selectItemClsList").await[0]["tin"];
    assert_eq!(tin, "P051234567X");

    for (class, says) in [
        ("9999999999", "is not one of KRA's item classes"),
        ("5213150000", "KRA no longer uses 5213150000 (Old audio)"),
        ("", "KRA's code is needed"),
    ] {
        match radio_classed(&s, &admin, &phones, &radio, class).await {
            Err(Error::Invalid { field, message }) => {
                assert_eq!(field, "Item class");
                assert!(message.contains(says), "{message}");
            }
            other => panic!("{class:?} was taken: {other:?}"),
        }
    }
    let saved = radio_classed(&s, &admin, &phones, &radio, "5213160000")
        .await
        .unwrap();
    assert_eq!(saved.item_class, "5213160000");
}
