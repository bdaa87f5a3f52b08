//! `bytemtaani callbacks`: Safaricom's POSTs arrive over HTTP, are answered 200 whatever they
//! hold (so they are not resent for ever), and are recorded with what was made of them.

mod common;

use std::time::Duration;

use bytemtaani::cli::callbacks::{Limits, PATH, serve};
use common::*;
use serde_json::json;
use sqlx::PgPool;

/// The receiver serving on a free port, with `limits`; its callback URL.
async fn receiver(pool: &PgPool, limits: Limits) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{PATH}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, services(pool), limits));
    url
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn callbacks_over_http_are_acknowledged_and_recorded(pool: PgPool) {
    let url = receiver(&pool, Limits::default()).await;
    let client = bytemtaani::gateway::http(Duration::from_secs(5));
    let forged = json!({ "Body": { "stkCallback": {
        "MerchantRequestID": "1", "CheckoutRequestID": "ws_CO_FORGED", "ResultCode": 0,
        "ResultDesc": "ok",
        "CallbackMetadata": { "Item": [
            { "Name": "Amount", "Value": 5000 },
            { "Name": "MpesaReceiptNumber", "Value": "QKH94M1Z11" }
        ]}
    }}});
    for body in [forged.to_string(), "not json at all".to_owned()] {
        let reply = client
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        let answer: serde_json::Value = reply.json().await.unwrap();
        assert_eq!(answer["ResultCode"], json!(0));
    }
    let outcomes: Vec<String> =
        sqlx::query_scalar("select outcome from mpesa_callbacks order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        outcomes,
        ["refused: unknown request", "refused: unreadable"]
    );
    assert_eq!(count(&pool, "select count(*) from payments").await, 0);
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn big_bodies_and_other_content_types_are_refused_unrecorded(pool: PgPool) {
    let url = receiver(&pool, Limits::default()).await;
    let client = bytemtaani::gateway::http(Duration::from_secs(5));
    let padded = json!({ "Body": { "stkCallback": { "ResultDesc": "x".repeat(20_000) } } });
    let big = client
        .post(&url)
        .header("Content-Type", "application/json")
        .body(padded.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
        let mut request = client.post(&url).body("{}");
        if !content_type.is_empty() {
            request = request.header("Content-Type", content_type);
        }
        assert_eq!(
            request.send().await.unwrap().status(),
            415,
            "{content_type:?}"
        );
    }
    let json = client
        .post(&url)
        .header("Content-Type", "Application/JSON; charset=utf-8")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 200);
    assert_eq!(
        count(&pool, "select count(*) from mpesa_callbacks").await,
        1,
        "only the JSON one is recorded"
    );
}

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn slow_clients_are_cut_off_and_a_genuine_callback_is_still_answered(pool: PgPool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limits = Limits {
        connections: 8,
        headers: Duration::from_secs(1),
        connection: Duration::from_secs(3),
        ..Limits::default()
    };
    let url = receiver(&pool, limits).await;
    let address = url
        .trim_start_matches("http://")
        .trim_end_matches(PATH)
        .to_owned();
    // Three times the connection cap, each sending half its headers and then nothing.
    let mut slow = Vec::new();
    for _ in 0..24 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(b"POST /mpesa/callback HTTP/1.1\r\nHost: shop\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    let client = bytemtaani::gateway::http(Duration::from_secs(15));
    let genuine = client
        .post(&url)
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("answered while slow clients hold the receiver");
    assert_eq!(genuine.status(), 200);
    // The first slow clients were cut off, not held for ever.
    let mut rest = Vec::new();
    let cut = tokio::time::timeout(Duration::from_secs(5), slow[0].read_to_end(&mut rest)).await;
    assert!(
        cut.is_ok(),
        "a client that never finished its headers is still held"
    );
}

/// Payments to the till number (C2B) count only at the shop's secret address: anything
/// posted elsewhere is a 404 and leaves no trace.
#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn till_payments_are_taken_only_at_the_shops_secret_address(pool: PgPool) {
    use bytemtaani::service::gateways::{Gateways, TillConfirmations};
    const TOKEN: &str = "c2b0secret0of0the0shop0000001";
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/mpesa/c2b", listener.local_addr().unwrap());
    let gateways =
        Gateways::none(SANDBOX_DELAY).with_till_confirmations(TillConfirmations::Daraja {
            short_code: "600900".into(),
            token: Some(TOKEN.into()),
        });
    tokio::spawn(serve(
        listener,
        services_with(&pool, gateways),
        Limits::default(),
    ));
    let client = bytemtaani::gateway::http(Duration::from_secs(5));
    let paid = json!({
        "TransactionType": "Buy Goods", "TransID": "QKT4R5Y6U7", "TransTime": "20261130101500",
        "TransAmount": "1250.00", "BusinessShortCode": "600900", "BillRefNumber": "",
        "MSISDN": "2547 ***** 149", "FirstName": "Achieng"
    });
    let post = |path: String| {
        client
            .post(format!("{base}/{path}"))
            .header("Content-Type", "application/json")
            .body(paid.to_string())
            .send()
    };

    for wrong in [
        "guessed/confirmation",
        "guessed/validation",
        "/confirmation",
    ] {
        assert_eq!(post(wrong.into()).await.unwrap().status(), 404, "{wrong}");
    }
    assert_eq!(
        count(&pool, "select count(*) from mpesa_callbacks").await,
        0
    );

    let validated = post(format!("{TOKEN}/validation")).await.unwrap();
    assert_eq!(validated.status(), 200);
    let answer: serde_json::Value = validated.json().await.unwrap();
    assert_eq!(answer["ResultCode"], json!("0"));
    let confirmed = post(format!("{TOKEN}/confirmation")).await.unwrap();
    assert_eq!(confirmed.status(), 200);
    let answer: serde_json::Value = confirmed.json().await.unwrap();
    assert_eq!(answer["ResultCode"], json!(0));
    let kept: (String, rust_decimal::Decimal) =
        sqlx::query_as("select trans_id, amount from till_payments")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        kept,
        ("QKT4R5Y6U7".into(), rust_decimal::Decimal::new(125000, 2))
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from mpesa_callbacks where receipt = 'QKT4R5Y6U7'"
        )
        .await,
        1
    );
}
