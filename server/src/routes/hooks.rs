//! Webhook receivers. Each verifies the sender on the raw bytes, commits the delivery to the
//! inbox, and only then answers 2xx.

use super::{ApiError, AppState};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use domain::ingest::{self, GithubRequest, Ingested, GITHUB_MAX_BODY};
use serde_json::json;

/// Headers kept with a GitHub delivery (the signature itself is not: it proves nothing later
/// without the secret, and the ledger records what was accepted).
const GITHUB_KEPT_HEADERS: [&str; 5] = [
    "user-agent",
    "content-type",
    "x-github-hook-id",
    "x-github-hook-installation-target-type",
    "x-github-hook-installation-target-id",
];

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/github",
        // Bodies over GitHub's own 25 MB cap get 413 without being buffered.
        post(github).layer(DefaultBodyLimit::max(GITHUB_MAX_BODY)),
    )
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `POST /hooks/github`: 202 stored, 200 redelivery or ping, 401 bad signature, 400 missing
/// headers, 413 too large.
async fn github(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let request = GithubRequest {
        event: header(&headers, "x-github-event"),
        delivery: header(&headers, "x-github-delivery"),
        signature: header(&headers, "x-hub-signature-256"),
        headers: GITHUB_KEPT_HEADERS
            .iter()
            .filter_map(|name| header(&headers, name).map(|v| ((*name).to_owned(), v)))
            .collect(),
        received_at: Utc::now(),
        body: body.to_vec(),
    };
    let delivery = ingest::github_delivery(&state.github_secrets, request)?;
    let is_ping = delivery.kind.as_deref() == Some("ping");
    let delivery_key = delivery.delivery_key.clone();
    let results = ingest::ingest(&state.store, vec![delivery]).await?;
    let answer = match results.first() {
        Some(Ingested::Duplicate { delivery_id }) => (
            StatusCode::OK,
            json!({"status": "duplicate", "delivery": delivery_key, "delivery_id": delivery_id}),
        ),
        Some(Ingested::New {
            delivery_id,
            events,
            failure,
        }) => {
            if let Some(reason) = failure {
                tracing::warn!(%delivery_key, %reason, "GitHub delivery stored but not normalized");
            }
            let status = if is_ping {
                StatusCode::OK
            } else {
                StatusCode::ACCEPTED
            };
            (
                status,
                json!({
                    "status": "stored",
                    "delivery": delivery_key,
                    "delivery_id": delivery_id,
                    "events": events,
                    "normalize_error": failure,
                }),
            )
        }
        None => return Err(ApiError::Internal("ingest returned no result".to_owned())),
    };
    Ok((answer.0, Json(answer.1)))
}
