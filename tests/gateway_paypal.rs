//! The PayPal Orders v2 client against a local mock: token, create with an idempotency
//! request id, the approval link, approval status, capture (same request id again is the
//! same capture), an expired token, a refusal and malformed JSON.

use bytemtaani::domain::Money;
use bytemtaani::gateway::GatewayError;
use bytemtaani::gateway::paypal::{Approval, CaptureOutcome, Paypal, PaypalConfig};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Paypal {
    Paypal::new(PaypalConfig {
        base_url: server.uri(),
        client_id: "id".into(),
        secret: "secret".into(),
        currency: "USD".into(),
        kes_per_unit: rust_decimal::Decimal::new(12950, 2),
    })
}

async fn token(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        .and(header("authorization", "Basic aWQ6c2VjcmV0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "scope": "https://uri.paypal.com/services/payments",
            "access_token": "A21AA",
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": 32400,
            "nonce": "2020-04-03T15:35:36ZaYZlGvEkV4yVSz8g6bAKFoGSEzuy3CQcz3ljhibkOHg"
        })))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_order_is_created_approved_and_captured_once() {
    let server = MockServer::start().await;
    token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .and(header("PayPal-Request-Id", "order-7b45b850"))
        .and(body_partial_json(json!({
            "intent": "CAPTURE",
            "purchase_units": [{ "amount": { "currency_code": "USD", "value": "17.75" } }]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "5O190127TN364715T",
            "status": "PAYER_ACTION_REQUIRED",
            "links": [
                { "href": "https://api-m.paypal.com/v2/checkout/orders/5O190127TN364715T", "rel": "self", "method": "GET" },
                { "href": "https://www.paypal.com/checkoutnow?token=5O190127TN364715T", "rel": "payer-action", "method": "GET" }
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/5O190127TN364715T"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "5O190127TN364715T", "status": "APPROVED", "links": []
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/5O190127TN364715T/capture"))
        .and(header("PayPal-Request-Id", "capture-7b45b850"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "5O190127TN364715T",
            "status": "COMPLETED",
            "purchase_units": [{
                "reference_id": "7B45B850",
                "payments": { "captures": [{
                    "id": "3C679366HH908993F",
                    "status": "COMPLETED",
                    "amount": { "currency_code": "USD", "value": "17.75" }
                }]}
            }],
            "links": []
        })))
        .expect(2)
        .mount(&server)
        .await;

    let paypal = client(&server);
    // KSh 2,299 at 129.50 to the dollar
    let amount = paypal.charge_for(Money::from_cents(229_900));
    assert_eq!(amount, "17.75");
    let created = paypal
        .create("7B45B850", &amount, "order-7b45b850")
        .await
        .unwrap();
    assert_eq!(
        created.approve_url,
        "https://www.paypal.com/checkoutnow?token=5O190127TN364715T"
    );
    assert_eq!(
        paypal.approval(&created.order_id).await.unwrap(),
        Approval::Approved
    );
    let first = paypal
        .capture(&created.order_id, "capture-7b45b850")
        .await
        .unwrap();
    let again = paypal
        .capture(&created.order_id, "capture-7b45b850")
        .await
        .unwrap();
    assert_eq!(first, again, "a retried capture is the same capture");
    let CaptureOutcome::Completed(first) = first else {
        panic!("completed: {first:?}");
    };
    assert_eq!(first.capture_id, "3C679366HH908993F");
}

#[tokio::test]
async fn a_refused_token_is_renewed_and_bad_answers_are_errors() {
    let server = MockServer::start().await;
    token(&server, 2).await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/OLD"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_token", "error_description": "Token signature verification failed"
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/OLD"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "OLD", "status": "PAYER_ACTION_REQUIRED", "links": []
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/GARBLED"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"id\": "))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/NOPE/capture"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "name": "UNPROCESSABLE_ENTITY",
            "details": [{ "issue": "ORDER_NOT_APPROVED" }]
        })))
        .mount(&server)
        .await;
    let paypal = client(&server);
    assert_eq!(paypal.approval("OLD").await.unwrap(), Approval::Waiting);
    assert!(matches!(
        paypal.approval("GARBLED").await.unwrap_err(),
        GatewayError::Malformed(_)
    ));
    let refused = paypal.capture("NOPE", "capture-x").await.unwrap_err();
    assert!(
        matches!(&refused, GatewayError::Refused(m) if m.contains("ORDER_NOT_APPROVED")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_held_capture_is_pending_and_a_server_error_is_no_refusal() {
    let server = MockServer::start().await;
    token(&server, 1).await;
    let held = |status: &str| {
        ResponseTemplate::new(201).set_body_json(json!({
            "id": "HELD", "status": "COMPLETED",
            "purchase_units": [{ "payments": { "captures": [{
                "id": "3C679366HH908993F", "status": status,
                "amount": { "currency_code": "USD", "value": "17.75" }
            }]}}]
        }))
    };
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/HELD/capture"))
        .respond_with(held("PENDING"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/DECLINED/capture"))
        .respond_with(held("DECLINED"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/BROKEN/capture"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream busy"))
        .mount(&server)
        .await;
    let paypal = client(&server);
    assert_eq!(
        paypal.capture("HELD", "capture-1").await.unwrap(),
        CaptureOutcome::Pending
    );
    assert!(matches!(
        paypal.capture("DECLINED", "capture-2").await.unwrap(),
        CaptureOutcome::Declined(_)
    ));
    assert!(matches!(
        paypal.capture("BROKEN", "capture-3").await.unwrap_err(),
        GatewayError::Unreachable(_)
    ));
}
