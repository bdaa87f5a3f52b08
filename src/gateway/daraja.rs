//! Safaricom's Daraja API: an OAuth token (kept until shortly before it expires), STK Push,
//! STK Push Query, and C2B Register URL (where payments to the till number are posted).

use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use super::mpesa::{PushAccepted, StkPush, StkStatus};
use super::{GatewayError, Token, TokenCache, http, json};
use crate::domain::clock::shop_time;

/// Daraja's sandbox and production addresses.
pub const SANDBOX_URL: &str = "https://sandbox.safaricom.co.ke";
pub const PRODUCTION_URL: &str = "https://api.safaricom.co.ke";

/// STK Push Query's answer while the customer has not yet answered the push.
const STILL_PROCESSING: &str = "500.001.1001";

#[derive(Clone, PartialEq, Eq)]
pub struct DarajaConfig {
    pub base_url: String,
    pub consumer_key: String,
    pub consumer_secret: String,
    pub shortcode: String,
    pub passkey: String,
    pub callback_url: String,
    /// `CustomerPayBillOnline` (paybill) or `CustomerBuyGoodsOnline` (till number).
    pub transaction_type: String,
}

/// Never shows the secrets (settings are logged).
impl std::fmt::Debug for DarajaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DarajaConfig")
            .field("base_url", &self.base_url)
            .field("shortcode", &self.shortcode)
            .field("callback_url", &self.callback_url)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct Daraja {
    config: DarajaConfig,
    http: reqwest::Client,
    token: TokenCache,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PushReply {
    #[serde(rename = "MerchantRequestID")]
    merchant_request_id: String,
    #[serde(rename = "CheckoutRequestID")]
    checkout_request_id: String,
    response_code: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueryReply {
    result_code: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RegisterReply {
    response_code: String,
    #[serde(default)]
    response_description: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorReply {
    error_code: String,
    error_message: String,
}

impl ErrorReply {
    fn refused(self) -> GatewayError {
        GatewayError::Refused(format!("{} ({})", self.error_message, self.error_code))
    }
}

/// Daraja's error answer (`errorMessage (errorCode)`), or why it could not be read.
async fn refusal(response: reqwest::Response) -> GatewayError {
    match json::<ErrorReply>(response).await {
        Ok(error) => error.refused(),
        Err(err) => err,
    }
}

impl Daraja {
    pub fn new(config: DarajaConfig) -> Daraja {
        Daraja {
            config,
            http: http(super::TIMEOUT),
            token: TokenCache::default(),
        }
    }

    /// The same client giving up sooner (tests of a provider that hangs).
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Daraja {
        self.http = http(timeout);
        self
    }

    async fn token(&self) -> Result<String, GatewayError> {
        self.token
            .get(async {
                let response = self
                    .http
                    .get(format!("{}/oauth/v1/generate", self.config.base_url))
                    .query(&[("grant_type", "client_credentials")])
                    .basic_auth(
                        &self.config.consumer_key,
                        Some(&self.config.consumer_secret),
                    )
                    .send()
                    .await?;
                Token::read(response).await
            })
            .await
    }

    /// The shortcode, the request's password and its timestamp (Nairobi time).
    fn credentials(&self) -> (String, String) {
        let timestamp = shop_time(chrono::Utc::now())
            .format("%Y%m%d%H%M%S")
            .to_string();
        let password = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}{}{}",
            self.config.shortcode, self.config.passkey, timestamp
        ));
        (password, timestamp)
    }

    /// POSTs `body`; a token refused as expired is renewed once and the call repeated.
    async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<reqwest::Response, GatewayError> {
        for attempt in 0..2 {
            let token = self.token().await?;
            let response = self
                .http
                .post(format!("{}{path}", self.config.base_url))
                .bearer_auth(token)
                .json(body)
                .send()
                .await?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                self.token.clear().await;
                continue;
            }
            return Ok(response);
        }
        Err(GatewayError::Refused(
            "the access token was refused twice".into(),
        ))
    }

    pub async fn stk_push(&self, push: &StkPush) -> Result<PushAccepted, GatewayError> {
        let (password, timestamp) = self.credentials();
        let phone = push.phone.to_string();
        let body = json!({
            "BusinessShortCode": self.config.shortcode,
            "Password": password,
            "Timestamp": timestamp,
            "TransactionType": self.config.transaction_type,
            "Amount": push.amount,
            "PartyA": phone,
            "PartyB": self.config.shortcode,
            "PhoneNumber": phone,
            "CallBackURL": self.config.callback_url,
            "AccountReference": push.account_reference.chars().take(12).collect::<String>(),
            "TransactionDesc": push.description,
        });
        let response = self.post("/mpesa/stkpush/v1/processrequest", &body).await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let reply: PushReply = json(response).await?;
        if reply.response_code != "0" {
            return Err(GatewayError::Refused(format!(
                "response code {}",
                reply.response_code
            )));
        }
        Ok(PushAccepted {
            merchant_request_id: reply.merchant_request_id,
            checkout_request_id: reply.checkout_request_id,
        })
    }

    /// Tells Safaricom where to post the payments made to `short_code` (C2B Register URL,
    /// v2: phone numbers come masked). "Completed": a payment goes through when the
    /// validation address cannot be reached; the confirmation is what the shop counts.
    pub async fn register_c2b(
        &self,
        short_code: &str,
        confirmation_url: &str,
        validation_url: &str,
    ) -> Result<String, GatewayError> {
        let body = json!({
            "ShortCode": short_code,
            "ResponseType": "Completed",
            "ConfirmationURL": confirmation_url,
            "ValidationURL": validation_url,
        });
        let response = self.post("/mpesa/c2b/v2/registerurl", &body).await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let reply: RegisterReply = json(response).await?;
        if reply.response_code != "0" {
            return Err(GatewayError::Refused(format!(
                "response code {}: {}",
                reply.response_code, reply.response_description
            )));
        }
        Ok(reply.response_description)
    }

    pub async fn stk_query(&self, checkout_request_id: &str) -> Result<StkStatus, GatewayError> {
        let (password, timestamp) = self.credentials();
        let body = json!({
            "BusinessShortCode": self.config.shortcode,
            "Password": password,
            "Timestamp": timestamp,
            "CheckoutRequestID": checkout_request_id,
        });
        let response = self.post("/mpesa/stkpushquery/v1/query", &body).await?;
        if !response.status().is_success() {
            let error: ErrorReply = json(response).await?;
            if error.error_code == STILL_PROCESSING {
                return Ok(StkStatus::Pending);
            }
            return Err(error.refused());
        }
        let reply: QueryReply = json(response).await?;
        let code = match &reply.result_code {
            serde_json::Value::String(s) => s.parse().ok(),
            other => other.as_i64(),
        }
        .ok_or_else(|| GatewayError::Malformed(format!("ResultCode {}", reply.result_code)))?;
        Ok(StkStatus::from_code(code))
    }
}
