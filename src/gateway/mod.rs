//! Payment providers, spoken to over HTTP: Safaricom's Daraja (M-Pesa STK Push) and PayPal
//! Orders v2, plus a sandbox that behaves like them without credentials. The service layer
//! decides what a provider's answer means for an order; this layer only talks.

pub mod daraja;
pub mod etims;
pub mod mpesa;
pub mod paypal;
pub mod sandbox;

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// How long any provider call may take before the cashier is told it is unreachable.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Why a provider call did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("the payment provider cannot be reached ({0})")]
    Unreachable(String),
    #[error("the payment provider refused the request: {0}")]
    Refused(String),
    #[error("the payment provider's answer could not be read ({0})")]
    Malformed(String),
    #[error("the payment provider is not set up: {0}")]
    NotConfigured(String),
}

impl From<reqwest::Error> for GatewayError {
    fn from(err: reqwest::Error) -> Self {
        if err.is_decode() {
            GatewayError::Malformed(err.to_string())
        } else {
            GatewayError::Unreachable(if err.is_timeout() {
                "timed out".into()
            } else {
                err.to_string()
            })
        }
    }
}

/// An HTTP client that gives up after `timeout`. TLS uses ring, the crypto sqlx already
/// builds (installed once for the process; later calls find it there).
pub fn http(timeout: Duration) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .unwrap_or_default()
}

/// Reads a JSON body, keeping the text for the error when it is not the JSON expected.
async fn json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, GatewayError> {
    let text = response.text().await?;
    serde_json::from_str(&text).map_err(|err| {
        GatewayError::Malformed(format!(
            "{err}: {}",
            text.chars().take(200).collect::<String>()
        ))
    })
}

/// An OAuth access token kept until shortly before it expires.
#[derive(Debug, Default)]
pub struct TokenCache(Mutex<Option<(String, Instant)>>);

/// A token is renewed this long before the provider says it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

impl TokenCache {
    /// The cached token, or `fetch`'s (a token and its lifetime in seconds) when it is
    /// missing or about to expire. Callers wait for one fetch rather than each making one.
    pub async fn get<F>(&self, fetch: F) -> Result<String, GatewayError>
    where
        F: Future<Output = Result<(String, u64), GatewayError>>,
    {
        let mut cached = self.0.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let (token, seconds) = fetch.await?;
        let until = Instant::now() + Duration::from_secs(seconds).saturating_sub(TOKEN_MARGIN);
        *cached = Some((token.clone(), until));
        Ok(token)
    }

    /// Forgets the token (the provider refused it before its time).
    pub async fn clear(&self) {
        *self.0.lock().await = None;
    }
}

/// An OAuth client-credentials answer, as Daraja and PayPal both send it.
#[derive(serde::Deserialize)]
struct Token {
    access_token: String,
    /// Seconds, as a number (PayPal) or a string ("3599", Daraja).
    expires_in: serde_json::Value,
}

impl Token {
    /// The token and its lifetime in seconds from a token endpoint's answer, for
    /// [`TokenCache::get`].
    async fn read(response: reqwest::Response) -> Result<(String, u64), GatewayError> {
        if !response.status().is_success() {
            return Err(GatewayError::Refused(format!(
                "credentials not accepted (HTTP {})",
                response.status().as_u16()
            )));
        }
        json::<Token>(response).await.map(Token::lifetime)
    }

    fn lifetime(self) -> (String, u64) {
        let seconds = match &self.expires_in {
            serde_json::Value::String(s) => s.parse().unwrap_or(0),
            other => other.as_u64().unwrap_or(0),
        };
        (self.access_token, seconds)
    }
}
