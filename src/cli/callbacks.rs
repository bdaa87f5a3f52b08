//! `bytemtaani callbacks --listen ADDR`: the small HTTP receiver Safaricom posts STK Push
//! results to (`POST /mpesa/callback`). Each body is handed to the payments service, which
//! records it and decides what it is worth; Safaricom always gets a 200 so it stops
//! resending. Reconciliation runs alongside, on the configured timer.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::service::Services;

pub const PATH: &str = "/mpesa/callback";

pub async fn listen(
    services: Services,
    address: SocketAddr,
    reconcile_every: Duration,
) -> Result<()> {
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("listening on {address}"))?;
    println!("Receiving M-Pesa callbacks at http://{address}{PATH} (Ctrl+C stops).");
    tokio::spawn(services.payments.clone().keep_reconciling(reconcile_every));
    serve(listener, services).await
}

/// Serves callbacks on an already bound listener (tests bind port 0).
pub async fn serve(listener: TcpListener, services: Services) -> Result<()> {
    let app = Router::new()
        .route(PATH, post(receive))
        .with_state(services);
    axum::serve(listener, app)
        .await
        .context("serving callbacks")
}

async fn receive(State(services): State<Services>, body: Bytes) -> axum::Json<Value> {
    // Whatever arrives is recorded, readable or not.
    match services.payments.receive_callback(&body).await {
        Ok(outcome) => tracing::info!(?outcome, "M-Pesa callback"),
        Err(err) => tracing::error!(%err, "M-Pesa callback not recorded"),
    }
    axum::Json(json!({ "ResultCode": 0, "ResultDesc": "Accepted" }))
}
