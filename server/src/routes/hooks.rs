//! Webhook receivers. Each verifies the sender on the raw bytes, commits the delivery to the
//! inbox, and only then answers 2xx. The platform-specific work (authentication, handshakes,
//! splitting batches, idempotency keys) lives in `domain::webhook`; this is the HTTP shell.

use super::error::hook_error;
use super::{ApiError, AppState};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::{Json, Router};
use chrono::Utc;
use domain::ingest::{self, GithubRequest, Ingested, WebhookError, GITHUB_MAX_BODY};
use domain::model::HookEndpoint;
use domain::signature::{Secrets, SignatureError};
use domain::webhook::{self, HookError, HookReply, HookRequest};
use serde_json::json;
use std::collections::HashMap;

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
    Router::new()
        .route(
            "/github",
            // Bodies over GitHub's own 25 MB cap get 413 without being buffered.
            post(github).layer(DefaultBodyLimit::max(GITHUB_MAX_BODY)),
        )
        .route("/gitlab", endpoint(&GITLAB))
        .route("/aws", endpoint(&AWS))
        .route("/gcp", post(gcp))
        .route(
            "/azure",
            endpoint(&AZURE).options(azure_cloudevents_handshake),
        )
        .route("/okta", endpoint(&OKTA).get(okta_verification))
        .route("/terraform", endpoint(&TERRAFORM))
        .layer(DefaultBodyLimit::max(webhook::MAX_BODY))
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
    let received_at = Utc::now();
    let request = || GithubRequest {
        event: header(&headers, "x-github-event"),
        delivery: header(&headers, "x-github-delivery"),
        signature: header(&headers, "x-hub-signature-256"),
        headers: GITHUB_KEPT_HEADERS
            .iter()
            .filter_map(|name| header(&headers, name).map(|v| ((*name).to_owned(), v)))
            .collect(),
        received_at,
        body: body.to_vec(),
    };
    let delivery = authenticated(&state, HookEndpoint::Github, |secrets| {
        ingest::github_delivery(secrets, request())
    })
    .await?;
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
            ..
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

/// A push request with lowercase header names; a secret given in the URL query (`?token=`,
/// `?key=`: what Pub/Sub and Event Grid can be configured with) is passed on as a header.
fn hook_request(headers: &HeaderMap, query: &HashMap<String, String>, body: Bytes) -> HookRequest {
    let mut pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| {
            value
                .to_str()
                .ok()
                .map(|v| (name.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    for (param, header) in [("token", "x-attest-token"), ("key", "x-attest-key")] {
        if let Some(value) = query.get(param) {
            pairs.push((header.to_owned(), value.clone()));
        }
    }
    HookRequest {
        headers: pairs,
        received_at: Utc::now(),
        body: body.to_vec(),
    }
}

type Handler = fn(&Secrets, HookRequest) -> Result<HookReply, HookError>;

/// A refusal that a secret made since the secrets were loaded might turn into a match.
trait Unauthenticated {
    fn unauthenticated(&self) -> bool;
}

impl Unauthenticated for HookError {
    fn unauthenticated(&self) -> bool {
        matches!(
            self,
            HookError::Unauthenticated(SignatureError::Mismatch(_) | SignatureError::NotConfigured)
        )
    }
}

impl Unauthenticated for WebhookError {
    fn unauthenticated(&self) -> bool {
        matches!(
            self,
            WebhookError::Unauthenticated(
                SignatureError::Mismatch(_) | SignatureError::NotConfigured
            )
        )
    }
}

/// Runs `check` with `endpoint`'s secrets; when none matched, once more with the secrets read
/// again if that changed them (a secret just made by the CLI or another instance). Managed
/// secrets that matched have their use recorded.
async fn authenticated<T, E: Unauthenticated>(
    state: &AppState,
    endpoint: HookEndpoint,
    check: impl Fn(&Secrets) -> Result<T, E>,
) -> Result<T, E> {
    let secrets = state.hooks.fresh().await;
    let result = match check(secrets.get(endpoint)) {
        Err(err) if err.unauthenticated() => match state.hooks.after_miss().await {
            Some(reloaded) => check(reloaded.get(endpoint)),
            None => Err(err),
        },
        other => other,
    };
    if result.is_ok() {
        state.hooks.record_uses().await;
    }
    result
}

/// `POST /hooks/gcp`: a Pub/Sub push. An OIDC token (when an audience is configured) is
/// checked against Google's keys; anything else must be a configured shared token.
async fn gcp(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if let Some(oidc) = &state.gcp_oidc {
        let request = hook_request(&headers, &query, body.clone());
        match webhook::gcp_oidc_token(&request) {
            Some(token) => {
                oidc.verify(token).await.map_err(|reason| {
                    ApiError::Unauthorized(format!("{reason}; nothing was stored"))
                })?;
                return answer(&state, webhook::gcp_authenticated(request)).await;
            }
            None if state.hooks.fresh().await.gcp.is_empty() => {
                return Err(ApiError::Unauthorized(
                    "missing Authorization: Bearer <Pub/Sub OIDC token>; nothing was stored"
                        .to_owned(),
                ))
            }
            None => {}
        }
    }
    push(&state, &GCP, &headers, &query, body).await
}

/// Authenticates, stores, normalizes and answers: 202 when anything new was stored, 200 when
/// everything was a duplicate or the request was a handshake.
async fn push(
    state: &AppState,
    endpoint: &Endpoint,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let reply = authenticated(state, endpoint.endpoint, |secrets| {
        (endpoint.handle)(secrets, hook_request(headers, query, body.clone()))
    })
    .await
    .map_err(|err| hook_error(err, endpoint.endpoint))?;
    answer(state, reply).await
}

/// Stores, normalizes and answers an authenticated request's reply.
async fn answer(state: &AppState, reply: HookReply) -> Result<Response, ApiError> {
    let deliveries = match reply {
        HookReply::Handshake(answer) => return Ok((StatusCode::OK, Json(answer)).into_response()),
        HookReply::Deliveries(deliveries) => deliveries,
    };
    let keys: Vec<String> = deliveries.iter().map(|d| d.delivery_key.clone()).collect();
    let results = ingest::ingest(&state.store, deliveries).await?;
    let mut any_new = false;
    let items: Vec<serde_json::Value> = keys
        .iter()
        .zip(&results)
        .map(|(key, result)| match result {
            Ingested::Duplicate { delivery_id } => {
                json!({"delivery": key, "delivery_id": delivery_id, "status": "duplicate"})
            }
            Ingested::New {
                delivery_id,
                events,
                grant_changes,
                failure,
                ignored,
                ..
            } => {
                any_new = true;
                if let Some(reason) = failure {
                    tracing::warn!(delivery = %key, %reason, "delivery stored but not normalized");
                }
                let status = if *ignored { "ignored" } else { "stored" };
                json!({
                    "delivery": key,
                    "delivery_id": delivery_id,
                    "status": status,
                    "events": events,
                    "grant_changes": grant_changes,
                    "normalize_error": failure,
                })
            }
        })
        .collect();
    let status = if any_new {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({ "deliveries": items }))).into_response())
}

/// A token-authenticated push endpoint and the `domain::webhook` function that handles its
/// requests.
struct Endpoint {
    endpoint: HookEndpoint,
    handle: Handler,
}

const GITLAB: Endpoint = Endpoint {
    endpoint: HookEndpoint::Gitlab,
    handle: webhook::gitlab,
};
const AWS: Endpoint = Endpoint {
    endpoint: HookEndpoint::Aws,
    handle: webhook::aws,
};
const GCP: Endpoint = Endpoint {
    endpoint: HookEndpoint::Gcp,
    handle: webhook::gcp,
};
const AZURE: Endpoint = Endpoint {
    endpoint: HookEndpoint::Azure,
    handle: webhook::azure,
};
const OKTA: Endpoint = Endpoint {
    endpoint: HookEndpoint::Okta,
    handle: webhook::okta,
};
const TERRAFORM: Endpoint = Endpoint {
    endpoint: HookEndpoint::Terraform,
    handle: webhook::terraform,
};

/// `POST` of a push endpoint.
fn endpoint(endpoint: &'static Endpoint) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              Query(query): Query<HashMap<String, String>>,
              headers: HeaderMap,
              body: Bytes| async move { push(&state, endpoint, &headers, &query, body).await },
    )
}

/// `OPTIONS /hooks/azure`: the CloudEvents webhook abuse-protection handshake Event Grid sends
/// for the CloudEvents schema. Allowed only when a key is configured.
async fn azure_cloudevents_handshake(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if state.hooks.fresh().await.azure.is_empty() {
        return Err(hook_error(
            HookError::Unauthenticated(SignatureError::NotConfigured),
            HookEndpoint::Azure,
        ));
    }
    let origin = headers
        .get("webhook-request-origin")
        .cloned()
        .ok_or_else(|| ApiError::BadRequest("missing WebHook-Request-Origin header".to_owned()))?;
    let mut response = StatusCode::OK.into_response();
    response
        .headers_mut()
        .insert(HeaderName::from_static("webhook-allowed-origin"), origin);
    response.headers_mut().insert(
        HeaderName::from_static("allow"),
        HeaderValue::from_static("POST, OPTIONS"),
    );
    Ok(response)
}

/// `GET /hooks/okta`: the one-time verification.
async fn okta_verification(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let request = hook_request(&headers, &HashMap::new(), Bytes::new());
    let verified = authenticated(&state, HookEndpoint::Okta, |secrets| {
        webhook::okta_verification(secrets, &request)
    })
    .await;
    match verified {
        Ok(HookReply::Handshake(answer)) => Ok((StatusCode::OK, Json(answer)).into_response()),
        Ok(HookReply::Deliveries(_)) => Err(ApiError::Internal(
            "verification stored deliveries".to_owned(),
        )),
        Err(err) => Err(hook_error(err, HookEndpoint::Okta)),
    }
}
