//! Stand-ins for the providers' APIs (wiremock, answering with the documented shapes) and
//! the services of a real shop's set-up pointed at them.

use bytemtaani::config::Settings;
use bytemtaani::domain::order::{OrderStatus, OrderSummary};
use bytemtaani::domain::payment::PaymentSummary;
use bytemtaani::domain::user::{Actor, Role};
use bytemtaani::service::Services;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{login_as, product, services_with, shop};

/// The shop's settings with M-Pesa by Daraja and PayPal live, both at `server`, and the
/// built-in choice for cards (none).
pub fn real_settings(server: &MockServer) -> Settings {
    let mut settings = Settings::built_in();
    settings.payments.mpesa = "daraja".into();
    settings.payments.paypal = "paypal".into();
    settings.payments.daraja.base_url = server.uri();
    settings.payments.paypal_api.base_url = server.uri();
    settings
}

pub fn real_shop(pool: &PgPool, server: &MockServer) -> Services {
    let gateways = real_settings(server)
        .payments
        .gateways_from(|_| Some("from-the-environment".into()))
        .unwrap();
    services_with(pool, gateways)
}

/// Daraja accepting a push: each gets a CheckoutRequestID of its own (`ws_CO_TEST_1`, …).
pub struct Accepts;

static PUSHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Respond for Accepts {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = PUSHES.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "MerchantRequestID": "29115-34620561-1",
            "CheckoutRequestID": format!("ws_CO_TEST_{n}"),
            "ResponseCode": "0",
            "ResponseDescription": "Success. Request accepted for processing",
            "CustomerMessage": "Success. Request accepted for processing"
        }))
    }
}

/// Daraja's token and STK Push endpoints.
pub async fn daraja_accepts_pushes(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/oauth/v1/generate"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": "tok", "expires_in": "3599" })),
        )
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .respond_with(Accepts)
        .mount(server)
        .await;
}

/// From now on STK Push Query answers `code` (None: "still processing").
pub async fn daraja_query_says(server: &MockServer, code: Option<i64>) {
    server.reset().await;
    daraja_accepts_pushes(server).await;
    let answer = match code {
        Some(code) => ResponseTemplate::new(200).set_body_json(json!({
            "ResponseCode": "0", "MerchantRequestID": "29115-34620561-1",
            "ResultCode": code.to_string(),
            "ResultDesc": "as Daraja says"
        })),
        None => ResponseTemplate::new(500).set_body_json(json!({
            "requestId": "1", "errorCode": "500.001.1001",
            "errorMessage": "The transaction is being processed"
        })),
    };
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpushquery/v1/query"))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// Daraja's callback for the push `checkout`: a success for `amount` with `receipt`, or the
/// failure `code`; `desc` is its ResultDesc as JSON text (escapes and all).
pub fn callback(checkout: &str, code: i64, desc: &str, amount: i64, receipt: &str) -> Vec<u8> {
    let metadata = if code == 0 {
        format!(
            r#","CallbackMetadata":{{"Item":[{{"Name":"Amount","Value":{amount}}},
            {{"Name":"MpesaReceiptNumber","Value":"{receipt}"}},
            {{"Name":"PhoneNumber","Value":254712345678}}]}}"#
        )
    } else {
        String::new()
    };
    format!(
        r#"{{"Body":{{"stkCallback":{{"MerchantRequestID":"29115-34620561-1",
        "CheckoutRequestID":"{checkout}","ResultCode":{code},"ResultDesc":"{desc}"{metadata}}}}}}}"#
    )
    .into_bytes()
}

/// A customer with one pending order of a KSh 2,999 power bank.
pub async fn ordered(s: &Services) -> (Actor, OrderSummary) {
    let (admin, phones) = shop(s).await;
    let buyer = login_as(s, "amina", Role::Customer).await;
    let bank = product(s, &admin, &phones, "Oraimo Power Bank", "2999", 10).await;
    s.cart.add(&buyer, bank.id, 1).await.unwrap();
    let order = s
        .orders
        .place_from_cart(&buyer, Uuid::new_v4())
        .await
        .unwrap()
        .order;
    (buyer, order)
}

pub async fn order_status(pool: &PgPool, id: Uuid) -> OrderStatus {
    sqlx::query_scalar("select status from orders where id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// PayPal's token endpoint, and order creation answering `order_id` with its approval link.
pub async fn paypal_creates(server: &MockServer, order_id: &str) {
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "tok", "token_type": "Bearer", "expires_in": 32400
        })))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": order_id, "status": "CREATED",
            "links": [{ "href": format!("https://www.paypal.com/checkoutnow?token={order_id}"),
                        "rel": "approve", "method": "GET" }]
        })))
        .mount(server)
        .await;
}

/// PayPal's order `order_id` approved by the customer, and its capture answering with
/// `status` for `value` in `currency`.
pub async fn paypal_captures(
    server: &MockServer,
    order_id: &str,
    status: &str,
    value: &str,
    currency: &str,
) {
    Mock::given(method("GET"))
        .and(path(format!("/v2/checkout/orders/{order_id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": order_id, "status": "APPROVED", "links": []
        })))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v2/checkout/orders/{order_id}/capture")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": order_id, "status": "COMPLETED",
            "purchase_units": [{ "payments": { "captures": [{
                "id": "3C679366HH908993F", "status": status,
                "amount": { "currency_code": currency, "value": value }
            }]}}]
        })))
        .mount(server)
        .await;
}

/// How many requests `server` received at `path`.
pub async fn requests_to(server: &MockServer, at: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == at)
        .count()
}

/// A real shop whose Daraja stand-in answers STK Push Query with `code` (None: still
/// processing), and a customer's KSh 2,999 order whose M-Pesa push was sent.
pub async fn pushed(
    pool: &PgPool,
    server: &MockServer,
    code: Option<i64>,
) -> (Services, Actor, OrderSummary, PaymentSummary) {
    daraja_query_says(server, code).await;
    let s = real_shop(pool, server);
    let (buyer, order) = ordered(&s).await;
    let pushed = s
        .payments
        .pay_by_mpesa(&buyer, order.id, "0712 345 678")
        .await
        .unwrap();
    (s, buyer, order, pushed)
}
