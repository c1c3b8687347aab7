//! The API's error type: every failure becomes `application/problem+json` with a status and a
//! reason a caller can act on. Internal details are logged, never sent.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::ingest::WebhookError;
use domain::model::HookEndpoint;
use domain::signature::SignatureError;
use domain::store::StoreError;
use domain::webhook::HookError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            // The request id of the surrounding span ties this line to the response header.
            tracing::error!(%detail, "request failed");
        }
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: match &self {
                ApiError::Internal(_) => {
                    "internal error; the server log has the details under this request's \
                     x-request-id"
                        .to_owned()
                }
                other => other.to_string(),
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::BadCursor(reason) => ApiError::BadRequest(format!("cursor: {reason}")),
            StoreError::Conflict(reason) => ApiError::Conflict(reason),
            StoreError::Invalid(reason) => ApiError::BadRequest(reason),
            StoreError::NotFound(reason) => ApiError::NotFound(reason),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(err: WebhookError) -> Self {
        match err {
            WebhookError::Unauthenticated(SignatureError::NotConfigured) => {
                not_configured(HookEndpoint::Github)
            }
            WebhookError::Unauthenticated(reason) => {
                ApiError::Unauthorized(format!("{reason}; nothing was stored"))
            }
            WebhookError::MissingHeader(_) => ApiError::BadRequest(err.to_string()),
            WebhookError::Store(store) => store.into(),
        }
    }
}

/// 503 from an endpoint without secrets, naming both ways to give it one.
fn not_configured(endpoint: HookEndpoint) -> ApiError {
    ApiError::Unavailable(format!(
        "no webhook secret is configured for this source (make one on the webhooks page or \
         with `attest hook-secret create --endpoint {endpoint}`, or set {}); nothing was stored",
        endpoint.setting()
    ))
}

/// A push endpoint's refusal.
pub fn hook_error(err: HookError, endpoint: HookEndpoint) -> ApiError {
    match err {
        HookError::Unauthenticated(SignatureError::NotConfigured) => not_configured(endpoint),
        HookError::Unauthenticated(reason) => {
            ApiError::Unauthorized(format!("{reason}; nothing was stored"))
        }
        HookError::MissingHeader(_) => ApiError::BadRequest(err.to_string()),
    }
}
