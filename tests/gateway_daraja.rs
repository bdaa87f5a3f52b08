//! The Daraja client against a local mock of Safaricom's API, answering with the documented
//! request and response shapes: token caching and expiry, STK Push, every result code a
//! cashier meets, the "still processing" answer, a timeout and malformed JSON.

use std::time::Duration;

use base64::Engine;
use bytemtaani::domain::values::Phone;
use bytemtaani::gateway::GatewayError;
use bytemtaani::gateway::daraja::{Daraja, DarajaConfig};
use bytemtaani::gateway::mpesa::{StkPush, StkStatus};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PASSKEY: &str = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";

fn client(server: &MockServer) -> Daraja {
    Daraja::new(DarajaConfig {
        base_url: server.uri(),
        consumer_key: "key".into(),
        consumer_secret: "secret".into(),
        shortcode: "174379".into(),
        passkey: PASSKEY.into(),
        callback_url: "https://shop.example/mpesa/callback".into(),
        transaction_type: "CustomerPayBillOnline".into(),
    })
}

fn push() -> StkPush {
    StkPush {
        phone: Phone::parse("0712 345 678").unwrap(),
        amount: 2299,
        account_reference: "ORDER-7B45B850-LONG".into(),
        description: "ByteMtaani order".into(),
    }
}

async fn token(server: &MockServer, expires_in: &str, times: u64) {
    Mock::given(method("GET"))
        .and(path("/oauth/v1/generate"))
        .and(query_param("grant_type", "client_credentials"))
        // Basic base64("key:secret")
        .and(header("authorization", "Basic a2V5OnNlY3JldA=="))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": "tok", "expires_in": expires_in })),
        )
        .expect(times)
        .mount(server)
        .await;
}

fn accepted() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "MerchantRequestID": "29115-34620561-1",
        "CheckoutRequestID": "ws_CO_191220191020363925",
        "ResponseCode": "0",
        "ResponseDescription": "Success. Request accepted for processing",
        "CustomerMessage": "Success. Request accepted for processing"
    }))
}

#[tokio::test]
async fn a_push_sends_the_documented_fields_and_the_token_is_reused() {
    let server = MockServer::start().await;
    token(&server, "3599", 1).await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(accepted())
        .expect(2)
        .mount(&server)
        .await;
    let daraja = client(&server);
    let first = daraja.stk_push(&push()).await.unwrap();
    daraja.stk_push(&push()).await.unwrap();
    assert_eq!(first.checkout_request_id, "ws_CO_191220191020363925");

    let requests = server.received_requests().await.unwrap();
    let sent: Value = requests
        .iter()
        .find(|r| r.url.path().ends_with("processrequest"))
        .map(|r: &Request| r.body_json().unwrap())
        .unwrap();
    let timestamp = sent["Timestamp"].as_str().unwrap();
    assert_eq!(timestamp.len(), 14, "YYYYMMDDHHmmss");
    let password = base64::engine::general_purpose::STANDARD
        .decode(sent["Password"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(password).unwrap(),
        format!("174379{PASSKEY}{timestamp}")
    );
    assert_eq!(sent["Amount"], json!(2299), "whole shillings, a number");
    assert_eq!(sent["PhoneNumber"], json!("254712345678"));
    assert_eq!(sent["PartyA"], json!("254712345678"));
    assert_eq!(sent["PartyB"], json!("174379"));
    assert_eq!(
        sent["AccountReference"],
        json!("ORDER-7B45B8"),
        "at most 12"
    );
    assert_eq!(sent["TransactionType"], json!("CustomerPayBillOnline"));
    assert_eq!(
        sent["CallBackURL"],
        json!("https://shop.example/mpesa/callback")
    );
}

#[tokio::test]
async fn an_expiring_token_is_renewed_and_a_refused_one_fetched_again() {
    let server = MockServer::start().await;
    // Expires within the renewal margin: every call fetches a new one.
    token(&server, "30", 3).await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "requestId": "1", "errorCode": "404.001.03", "errorMessage": "Invalid Access Token"
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .respond_with(accepted())
        .mount(&server)
        .await;
    let daraja = client(&server);
    daraja.stk_push(&push()).await.unwrap(); // 401, new token, retried
    daraja.stk_push(&push()).await.unwrap();
}

#[tokio::test]
async fn every_result_code_and_the_processing_answer_are_understood() {
    let server = MockServer::start().await;
    token(&server, "3599", 1).await;
    let codes = [0, 1, 1001, 1019, 1032, 1037, 2001];
    for code in codes {
        Mock::given(method("POST"))
            .and(path("/mpesa/stkpushquery/v1/query"))
            .and(wiremock::matchers::body_partial_json(
                json!({ "CheckoutRequestID": format!("ws_{code}") }),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "ResponseCode": "0",
                "ResponseDescription": "The service request has been accepted successsfully",
                "MerchantRequestID": "22205-34066-1",
                "CheckoutRequestID": format!("ws_{code}"),
                "ResultCode": code.to_string(),
                "ResultDesc": "desc"
            })))
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpushquery/v1/query"))
        .and(wiremock::matchers::body_partial_json(
            json!({ "CheckoutRequestID": "ws_waiting" }),
        ))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "requestId": "2", "errorCode": "500.001.1001",
            "errorMessage": "The transaction is being processed"
        })))
        .mount(&server)
        .await;
    let daraja = client(&server);
    let mut reasons = Vec::new();
    for code in codes {
        match daraja.stk_query(&format!("ws_{code}")).await.unwrap() {
            StkStatus::Paid => assert_eq!(code, 0),
            StkStatus::Failed { code: c, reason } => {
                assert_eq!(c, code);
                reasons.push(reason);
            }
            StkStatus::Pending => panic!("{code} is not pending"),
        }
    }
    println!("result codes in words: {reasons:#?}");
    assert!(reasons[3].contains("cancelled"), "1032");
    assert!(reasons[5].contains("PIN"), "2001");
    assert_eq!(
        daraja.stk_query("ws_waiting").await.unwrap(),
        StkStatus::Pending
    );
}

#[tokio::test]
async fn refusals_timeouts_and_malformed_answers_are_errors_not_panics() {
    let server = MockServer::start().await;
    token(&server, "3599", 1).await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .and(wiremock::matchers::body_partial_json(json!({ "Amount": 1 })))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "requestId": "3", "errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid Amount"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .and(wiremock::matchers::body_partial_json(
            json!({ "Amount": 2 }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway error</html>"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .and(wiremock::matchers::body_partial_json(
            json!({ "Amount": 3 }),
        ))
        .respond_with(accepted().set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let daraja = client(&server).with_timeout(Duration::from_millis(300));
    let with_amount = |amount| StkPush { amount, ..push() };
    let refused = daraja.stk_push(&with_amount(1)).await.unwrap_err();
    assert!(
        matches!(&refused, GatewayError::Refused(m) if m.contains("Invalid Amount")),
        "{refused:?}"
    );
    let malformed = daraja.stk_push(&with_amount(2)).await.unwrap_err();
    assert!(
        matches!(malformed, GatewayError::Malformed(_)),
        "{malformed:?}"
    );
    let slow = daraja.stk_push(&with_amount(3)).await.unwrap_err();
    assert_eq!(slow, GatewayError::Unreachable("timed out".into()));
}

#[tokio::test]
async fn registering_the_till_number_sends_both_addresses_and_reads_the_answer() {
    let server = MockServer::start().await;
    token(&server, "3599", 1).await;
    Mock::given(method("POST"))
        .and(path("/mpesa/c2b/v2/registerurl"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "OriginatorCoversationID": "7619-37765134-1",
            "ResponseCode": "0",
            "ResponseDescription": "success"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let answer = client(&server)
        .register_c2b(
            "600900",
            "https://shop.example/mpesa/c2b/TOKEN/confirmation",
            "https://shop.example/mpesa/c2b/TOKEN/validation",
        )
        .await
        .unwrap();
    assert_eq!(answer, "success");
    let sent: Value = server.received_requests().await.unwrap()[1]
        .body_json()
        .unwrap();
    assert_eq!(
        sent,
        json!({
            "ShortCode": "600900",
            "ResponseType": "Completed",
            "ConfirmationURL": "https://shop.example/mpesa/c2b/TOKEN/confirmation",
            "ValidationURL": "https://shop.example/mpesa/c2b/TOKEN/validation",
        })
    );

    let refused = MockServer::start().await;
    token(&refused, "3599", 1).await;
    Mock::given(method("POST"))
        .and(path("/mpesa/c2b/v2/registerurl"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "requestId": "1", "errorCode": "500.003.1001",
            "errorMessage": "URLs are already registered"
        })))
        .mount(&refused)
        .await;
    let err = client(&refused)
        .register_c2b("600900", "https://a/c", "https://a/v")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already registered"), "{err}");
}
