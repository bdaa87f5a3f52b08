//! `bytemtaani callbacks --listen ADDR`: the small HTTP receiver Safaricom posts STK Push
//! results to (`POST /mpesa/callback`), and payments made to the shop's till number (C2B,
//! `POST /mpesa/c2b/<token>/confirmation`). Each body is handed to the payments service, which
//! records it and decides what it is worth; Safaricom always gets a 200 so it stops
//! resending. Reconciliation runs alongside, on the configured timer.
//!
//! It faces the internet, so it holds little for anyone: a JSON body of at most
//! [`Limits::body`] bytes (Daraja's are about 1 KB), a few requests handled at once, a cap
//! on open connections, headers within a few seconds and a whole connection within
//! [`Limits::connection`]. Anything but `application/json` is refused (415) unrecorded:
//! Daraja sends JSON, and a callback lost any other way is found by reconciliation's query.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::service::Services;
use crate::service::payments::TillOutcome;

pub const PATH: &str = "/mpesa/callback";
/// Where Safaricom posts payments made to the till number (C2B): the token is the secret
/// BYTEMTAANI_C2B_TOKEN, given to Safaricom only, by C2B Register URL.
pub const TILL_CONFIRMATION: &str = "/mpesa/c2b/{token}/confirmation";
pub const TILL_VALIDATION: &str = "/mpesa/c2b/{token}/validation";

/// What the receiver holds at most, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of one body; more is refused (413).
    pub body: usize,
    /// Requests handled at once; the rest wait their turn.
    pub in_flight: usize,
    /// Open connections; more wait to be accepted.
    pub connections: usize,
    /// To send the request's headers.
    pub headers: Duration,
    /// For a whole connection, bodies and keep-alive included.
    pub connection: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body: 16 * 1024,
            in_flight: 16,
            connections: 256,
            headers: Duration::from_secs(5),
            connection: Duration::from_secs(30),
        }
    }
}

pub async fn listen(services: Services, address: SocketAddr) -> Result<()> {
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("listening on {address}"))?;
    println!("Receiving M-Pesa callbacks at http://{address}{PATH} (Ctrl+C stops).");
    serve(listener, services, Limits::default()).await
}

/// Serves callbacks on an already bound listener (tests bind port 0).
pub async fn serve(listener: TcpListener, services: Services, limits: Limits) -> Result<()> {
    let in_flight = Arc::new(Semaphore::new(limits.in_flight));
    let app = Router::new()
        .route(PATH, post(receive))
        .route(TILL_CONFIRMATION, post(receive_till_payment))
        .route(TILL_VALIDATION, post(validate_till_payment))
        .layer(DefaultBodyLimit::max(limits.body))
        .layer(middleware::from_fn_with_state(in_flight, one_of_few))
        .with_state(services);
    let connections = Arc::new(Semaphore::new(limits.connections));
    loop {
        // At the cap, nobody new is accepted until a connection closes (they wait in the
        // kernel's queue), so slow clients cost a bounded amount.
        let permit = connections.clone().acquire_owned().await?;
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(%err, "accepting a callback connection");
                continue;
            }
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.headers)
                .serve_connection(TokioIo::new(stream), service);
            // A client that trickles its body, or idles on keep-alive, is cut off.
            let _ = tokio::time::timeout(limits.connection, connection).await;
            drop(permit);
        });
    }
}

/// Lets only a few requests be handled (their bodies read) at once.
async fn one_of_few(State(slots): State<Arc<Semaphore>>, request: Request, next: Next) -> Response {
    match slots.acquire().await {
        Ok(_slot) => next.run(request).await,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn receive(State(services): State<Services>, headers: HeaderMap, body: Bytes) -> Response {
    if !is_json(&headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        )
            .into_response();
    }
    // Whatever JSON claims to arrive is recorded, readable or not.
    match services.payments.receive_callback(&body).await {
        Ok(outcome) => tracing::info!(?outcome, "M-Pesa callback"),
        Err(err) => tracing::error!(%err, "M-Pesa callback not recorded"),
    }
    axum::Json(json!({ "ResultCode": 0, "ResultDesc": "Accepted" })).into_response()
}

async fn receive_till_payment(
    State(services): State<Services>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        )
            .into_response();
    }
    match services.payments.receive_till_payment(&token, &body).await {
        Ok(TillOutcome::WrongAddress) => return StatusCode::NOT_FOUND.into_response(),
        Ok(outcome) => tracing::info!(?outcome, "M-Pesa till payment"),
        Err(err) => tracing::error!(%err, "M-Pesa till payment not recorded"),
    }
    axum::Json(json!({ "ResultCode": 0, "ResultDesc": "Accepted" })).into_response()
}

/// Safaricom asks before completing a payment when the short code has external validation
/// on: every payment to the shop is welcome, at the shop's address only.
async fn validate_till_payment(
    State(services): State<Services>,
    Path(token): Path<String>,
) -> Response {
    if !services.payments.till_address_is(&token) {
        return StatusCode::NOT_FOUND.into_response();
    }
    axum::Json(json!({ "ResultCode": "0", "ResultDesc": "Accepted" })).into_response()
}

/// `application/json`, with or without parameters (`; charset=utf-8`), in any case.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}
