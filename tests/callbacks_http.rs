//! `bytemtaani callbacks`: Safaricom's POSTs arrive over HTTP, are answered 200 whatever they
//! hold (so they are not resent for ever), and are recorded with what was made of them.

mod common;

use bytemtaani::cli::callbacks::{PATH, serve};
use common::*;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "bytemtaani::MIGRATOR")]
async fn callbacks_over_http_are_acknowledged_and_recorded(pool: PgPool) {
    let s = services(&pool);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{PATH}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, s.clone()));

    let client = bytemtaani::gateway::http(std::time::Duration::from_secs(5));
    let forged = json!({ "Body": { "stkCallback": {
        "MerchantRequestID": "1", "CheckoutRequestID": "ws_CO_FORGED", "ResultCode": 0,
        "ResultDesc": "ok",
        "CallbackMetadata": { "Item": [
            { "Name": "Amount", "Value": 5000 },
            { "Name": "MpesaReceiptNumber", "Value": "QKH94M1Z11" }
        ]}
    }}});
    for body in [forged.to_string(), "not json at all".to_owned()] {
        let reply = client.post(&url).body(body).send().await.unwrap();
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
