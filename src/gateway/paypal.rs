//! PayPal Orders v2: create an order, let the customer approve it on their phone (the
//! approval link, shown as a QR code), then capture it. Creating and capturing carry a
//! `PayPal-Request-Id`, so a retried call is one order and one capture.

use serde::Deserialize;
use serde_json::json;

use super::{GatewayError, Token, TokenCache, http, json};

pub const SANDBOX_URL: &str = "https://api-m.sandbox.paypal.com";
pub const LIVE_URL: &str = "https://api-m.paypal.com";

#[derive(Clone, PartialEq, Eq)]
pub struct PaypalConfig {
    pub base_url: String,
    pub client_id: String,
    pub secret: String,
    /// PayPal does not settle in shillings: orders are charged in this currency ...
    pub currency: String,
    /// ... at this many shillings to one unit of it.
    pub kes_per_unit: rust_decimal::Decimal,
}

impl std::fmt::Debug for PaypalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaypalConfig")
            .field("base_url", &self.base_url)
            .field("currency", &self.currency)
            .finish_non_exhaustive()
    }
}

/// An order created at PayPal, waiting for the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub order_id: String,
    pub approve_url: String,
}

/// Where a PayPal order stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    Waiting,
    Approved,
    /// Voided or expired: the customer has to start again.
    Gone(String),
}

/// A completed capture: its id is the payment's transaction id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub capture_id: String,
    pub amount: String,
    pub currency: String,
}

/// What capturing an approved order gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureOutcome {
    Completed(Capture),
    /// PayPal holds the capture (e.g. for review) and completes it later: ask again.
    Pending,
    /// Declined or failed: no money moved.
    Declined(String),
}

#[derive(Debug)]
pub struct Paypal {
    config: PaypalConfig,
    http: reqwest::Client,
    token: TokenCache,
}

#[derive(Deserialize)]
struct Link {
    href: String,
    rel: String,
}

#[derive(Deserialize)]
struct OrderReply {
    id: String,
    status: String,
    #[serde(default)]
    links: Vec<Link>,
    #[serde(default)]
    purchase_units: Vec<PurchaseUnit>,
}

#[derive(Deserialize)]
struct PurchaseUnit {
    payments: Option<Payments>,
}

#[derive(Deserialize)]
struct Payments {
    #[serde(default)]
    captures: Vec<CaptureReply>,
}

#[derive(Deserialize)]
struct CaptureReply {
    id: String,
    status: String,
    amount: Amount,
}

#[derive(Deserialize)]
struct Amount {
    currency_code: String,
    value: String,
}

impl Paypal {
    pub fn new(config: PaypalConfig) -> Paypal {
        Paypal {
            config,
            http: http(super::TIMEOUT),
            token: TokenCache::default(),
        }
    }

    /// The same client giving up sooner (tests of a provider that hangs).
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Paypal {
        self.http = http(timeout);
        self
    }

    /// The order total in PayPal's currency, to the cent.
    pub fn charge_for(&self, total: crate::domain::Money) -> String {
        let amount = (total.amount() / self.config.kes_per_unit)
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        format!("{amount:.2}")
    }

    async fn token(&self) -> Result<String, GatewayError> {
        self.token
            .get(async {
                let response = self
                    .http
                    .post(format!("{}/v1/oauth2/token", self.config.base_url))
                    .basic_auth(&self.config.client_id, Some(&self.config.secret))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await?;
                Token::read(response).await
            })
            .await
    }

    async fn send(
        &self,
        request: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Result<OrderReply, GatewayError> {
        for attempt in 0..2 {
            let token = self.token().await?;
            let response = request(&token).send().await?;
            let status = response.status();
            if status == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                self.token.clear().await;
                continue;
            }
            if !status.is_success() {
                let text = response.text().await.unwrap_or_default();
                let said = format!(
                    "HTTP {}: {}",
                    status.as_u16(),
                    text.chars().take(200).collect::<String>()
                );
                // A server error says nothing about whether the request took effect.
                return Err(if status.is_server_error() {
                    GatewayError::Unreachable(said)
                } else {
                    GatewayError::Refused(said)
                });
            }
            return json(response).await;
        }
        Err(GatewayError::Refused(
            "the access token was refused twice".into(),
        ))
    }

    /// Creates the order for `amount` (see [`Paypal::charge_for`]); `request_id` makes a
    /// repeated call the same order.
    pub async fn create(
        &self,
        reference: &str,
        amount: &str,
        request_id: &str,
    ) -> Result<Created, GatewayError> {
        let body = json!({
            "intent": "CAPTURE",
            "purchase_units": [{
                "reference_id": reference,
                "amount": { "currency_code": self.config.currency, "value": amount },
            }],
        });
        let url = format!("{}/v2/checkout/orders", self.config.base_url);
        let reply = self
            .send(|token| {
                self.http
                    .post(&url)
                    .bearer_auth(token)
                    .header("PayPal-Request-Id", request_id)
                    .json(&body)
            })
            .await?;
        let approve_url = reply
            .links
            .into_iter()
            .find(|l| l.rel == "approve" || l.rel == "payer-action")
            .map(|l| l.href)
            .ok_or_else(|| GatewayError::Malformed("no approval link".into()))?;
        Ok(Created {
            order_id: reply.id,
            approve_url,
        })
    }

    pub async fn approval(&self, order_id: &str) -> Result<Approval, GatewayError> {
        let url = format!("{}/v2/checkout/orders/{order_id}", self.config.base_url);
        let reply = self
            .send(|token| self.http.get(&url).bearer_auth(token))
            .await?;
        Ok(match reply.status.as_str() {
            "APPROVED" | "COMPLETED" => Approval::Approved,
            "VOIDED" => Approval::Gone("The PayPal order was voided.".into()),
            _ => Approval::Waiting,
        })
    }

    /// Captures an approved order. The same `request_id` again returns the same capture.
    pub async fn capture(
        &self,
        order_id: &str,
        request_id: &str,
    ) -> Result<CaptureOutcome, GatewayError> {
        let url = format!(
            "{}/v2/checkout/orders/{order_id}/capture",
            self.config.base_url
        );
        let reply = self
            .send(|token| {
                self.http
                    .post(&url)
                    .bearer_auth(token)
                    .header("PayPal-Request-Id", request_id)
                    .header("Content-Type", "application/json")
                    .body("{}")
            })
            .await?;
        let capture = reply
            .purchase_units
            .into_iter()
            .filter_map(|u| u.payments)
            .flat_map(|p| p.captures)
            .next()
            .ok_or_else(|| {
                GatewayError::Malformed(format!(
                    "no capture in the answer (order {})",
                    reply.status
                ))
            })?;
        Ok(match capture.status.as_str() {
            "COMPLETED" => CaptureOutcome::Completed(Capture {
                capture_id: capture.id,
                amount: capture.amount.value,
                currency: capture.amount.currency_code,
            }),
            "PENDING" => CaptureOutcome::Pending,
            other => CaptureOutcome::Declined(format!("PayPal: the capture is {other}")),
        })
    }

    /// The currency orders are charged in.
    pub fn currency(&self) -> &str {
        &self.config.currency
    }
}
