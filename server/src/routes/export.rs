//! `/export/…`: CSV files for auditors, downloaded with a signed-in browser (the guard checks
//! the role). Each export is built whole, hashed, and recorded in the audit log (and so the
//! ledger) before it is sent: who, which file, the filter, how many rows, its SHA-256. The
//! hash is also sent as `X-Attest-Sha256`, so a file can be matched to its record.

use super::{ApiError, AppState};
use app::auth::{ClientIp, SignedIn};
use app::query::TimelineQuery;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use chrono::Utc;
use domain::audit::{actions, ActionFilter, NewAction};
use domain::export::{self, MAX_ROWS};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events.csv", get(events))
        .route("/audit.csv", get(audit_log))
        .route("/rounds/{file}", get(super::evidence::round_csv))
}

/// `GET /export/events.csv?<the timeline's filters>`: every matching event, newest first.
async fn events(
    State(state): State<AppState>,
    Extension(user): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let timeline = TimelineQuery::from_lookup(|key| query.get(key).cloned()).newest();
    let filter = timeline
        .to_filter()
        .map_err(|reasons| ApiError::BadRequest(reasons.join("; ")))?;
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = state
            .store
            .list_events(&filter, cursor.as_deref(), 500)
            .await?;
        // The export has no column for an event's details (the raw record is a click away
        // from its id); dropping them keeps a large export's memory to its columns.
        events.extend(page.events.into_iter().map(|mut event| {
            event.details = serde_json::Value::Null;
            event
        }));
        if events.len() > MAX_ROWS {
            return Err(too_many("events"));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let described = match timeline.href().strip_prefix("/?") {
        Some(params) => format!("filter {params}"),
        None => "no filter".to_owned(),
    };
    let bytes = export::events_csv(&events);
    send(&state, &user, ip, "events", bytes, events.len(), described).await
}

/// `GET /export/audit.csv?actor=&action=&q=` (the audit page's filters): Attest's own audit
/// log, newest first.
async fn audit_log(
    State(state): State<AppState>,
    Extension(user): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let read = |key: &str| {
        query
            .get(key)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut filter = ActionFilter {
        actor: read("actor"),
        action: read("action"),
        text: read("q"),
        before: None,
    };
    let described = [
        ("actor", &filter.actor),
        ("action", &filter.action),
        ("q", &filter.text),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={v}"))
    .collect::<Vec<_>>();
    let described = if described.is_empty() {
        "no filter".to_owned()
    } else {
        format!("filter {}", described.join("&"))
    };
    let mut rows = Vec::new();
    loop {
        let page = state.store.actions(&filter, 500).await?;
        rows.extend(page.actions);
        if rows.len() > MAX_ROWS {
            return Err(too_many("actions"));
        }
        match page.next_before {
            Some(before) => filter.before = Some(before),
            None => break,
        }
    }
    let bytes = export::actions_csv(&rows);
    send(&state, &user, ip, "audit-log", bytes, rows.len(), described).await
}

pub(super) fn too_many(what: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "more than {MAX_ROWS} {what} match: narrow the filter (by days, source or actor), or \
         page through them with the API"
    ))
}

/// Records the export, then sends it as a download named for what and when.
async fn send(
    state: &AppState,
    user: &SignedIn,
    ip: std::net::IpAddr,
    what: &str,
    bytes: Vec<u8>,
    rows: usize,
    described: String,
) -> Result<Response, ApiError> {
    let file = format!("attest-{what}-{}.csv", Utc::now().format("%Y%m%dT%H%M%SZ"));
    let sha256 = export::sha256(&bytes);
    let id = record(state, user, ip, &file, rows, &described, &sha256).await?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        Some(&file),
        &sha256,
        id,
    ))
}

/// Records an export in the audit log (and so the ledger): who, which file, how many rows,
/// what it covers, its SHA-256. Gives the record's id.
pub(super) async fn record(
    state: &AppState,
    user: &SignedIn,
    ip: std::net::IpAddr,
    file: &str,
    rows: usize,
    described: &str,
    sha256: &str,
) -> Result<i64, ApiError> {
    let id = state
        .store
        .record_action(&NewAction {
            at: Utc::now(),
            actor: user.actor(),
            role: user.role.as_str().to_owned(),
            action: actions::EXPORT.to_owned(),
            target: file.to_owned(),
            detail: format!("{rows} rows, {described}, sha256 {sha256}"),
            ip: ip.to_string(),
        })
        .await?;
    tracing::info!(%file, rows, by = %user.email, "exported");
    Ok(id)
}

/// The response carrying an export: an attachment named `file` (or shown inline without one),
/// with its SHA-256 and the id of its record.
pub(super) fn download(
    body: impl IntoResponse,
    content_type: &'static str,
    file: Option<&str>,
    sha256: &str,
    id: i64,
) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(file) = file {
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    if let Ok(value) = HeaderValue::from_str(sha256) {
        headers.insert("x-attest-sha256", value);
    }
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        headers.insert("x-attest-audit-id", value);
    }
    response
}
