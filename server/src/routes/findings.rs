//! `GET /api/v1/findings`: the policy findings at an instant (now by default), from the latest
//! snapshot of each account and the grants held then, filtered by kind and scope.

use super::api::{parse_instant, Caller};
use super::ApiError;
use axum::extract::{Query, State};
use axum::Json;
use chrono::Utc;
use domain::access::findings::{self, FindingsReport, KINDS};
use domain::model::Role;
use domain::store::Store;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query of `GET /api/v1/findings`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingsQuery {
    /// One kind: `aws.full_admin`, `aws.privilege_escalation`, `github.deploy_key_write`, …
    /// (an unknown kind is refused with the list).
    kind: Option<String>,
    /// One account or org: its scope (`aws:account:123456789012`, `github:org:octo-org`) or
    /// its number or login.
    scope: Option<String>,
    /// The instant asked about: RFC 3339 or a date (its UTC midnight); now when absent.
    at: Option<String>,
}

fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The findings, most severe first.
#[utoipa::path(
    get,
    path = "/api/v1/findings",
    params(FindingsQuery),
    responses(
        (status = 200, description = "The findings and the snapshots they were read from", body = FindingsReport),
        (status = 400, description = "An unknown `kind` (the detail lists the known ones) or a bad `at`"),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below auditor"),
    ),
    security(("bearer" = []))
)]
pub async fn get_findings(
    caller: Caller,
    State(store): State<Store>,
    Query(query): Query<FindingsQuery>,
) -> Result<Json<FindingsReport>, ApiError> {
    caller.require(Role::Auditor)?;
    let kind = text(&query.kind);
    if let Some(kind) = kind {
        if findings::kind(kind).is_none() {
            let known: Vec<&str> = KINDS.iter().map(|k| k.id).collect();
            return Err(ApiError::BadRequest(format!(
                "kind: {kind:?} is not a kind of finding; known: {}",
                known.join(", ")
            )));
        }
    }
    let at = match text(&query.at) {
        Some(at) => parse_instant("at", at)?,
        None => Utc::now(),
    };
    let mut report = store.findings(at).await?;
    report.findings.retain(|finding| {
        kind.is_none_or(|kind| finding.kind == kind)
            && text(&query.scope).is_none_or(|scope| findings::in_scope(finding, scope))
    });
    Ok(Json(report))
}
