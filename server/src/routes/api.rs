//! The JSON API under `/api/v1`: bearer-token authentication, events with keyset paging, and the
//! OpenAPI document generated from these handlers.

use super::{ApiError, AppState};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use domain::model::{EventDetail, EventFilter, EventPage, Role, Source};
use domain::store::{Store, TokenRecord};
use serde::Deserialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(list_events))
        .route("/events/{id}", get(get_event))
        .route("/access", get(super::access::get_access))
        .route("/access/history", get(super::access::get_history))
        .route("/findings", get(super::findings::get_findings))
        .route("/people", get(super::people::list_people))
        .route("/people/{email}", get(super::people::get_person))
        .route("/people/{email}/link", post(super::people::link))
        .route("/people/{email}/unlink", post(super::people::unlink))
        .route("/people/{email}/merge", post(super::people::merge))
        .route("/people/{email}/split", post(super::people::split))
        .route("/campaigns", get(super::reviews::list_campaigns))
        .route("/campaigns/{id}/launch", post(super::reviews::launch))
        .route("/rounds/{id}", get(super::reviews::get_round))
        .route("/rounds/{id}/close", post(super::reviews::close))
        .route("/review-items", get(super::reviews::list_review_items))
        .route("/review-items/decisions", post(super::reviews::decide))
        .route("/openapi.json", get(openapi))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Attest API", description = "Audit history over infrastructure access."),
    paths(
        list_events,
        get_event,
        super::access::get_access,
        super::access::get_history,
        super::findings::get_findings,
        super::people::list_people,
        super::people::get_person,
        super::people::link,
        super::people::unlink,
        super::people::merge,
        super::people::split,
        super::reviews::list_campaigns,
        super::reviews::launch,
        super::reviews::get_round,
        super::reviews::close,
        super::reviews::list_review_items,
        super::reviews::decide
    ),
    components(schemas(
        EventPage,
        EventDetail,
        super::access::AccessAnswer,
        super::access::HistoryAnswer,
        domain::access::findings::FindingsReport,
        super::people::PeoplePage,
        super::people::AccountDecision,
        super::people::PersonDecision,
        domain::people::PersonProfile,
        domain::people::LinkEntry,
        super::reviews::CampaignList,
        super::reviews::RoundItems,
        super::reviews::DecisionRequest,
        super::reviews::DecisionDone
    )),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A caller authenticated by `Authorization: Bearer <token>`.
pub struct Caller(pub TokenRecord);

impl Caller {
    pub(super) fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.0.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "token {:?} has role {}, this needs {}",
                self.0.name,
                self.0.role.as_str(),
                role.as_str()
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthorized("missing Authorization: Bearer <token>".into()))?
            .to_str()
            .map_err(|_| ApiError::Unauthorized("Authorization header is not text".into()))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("Authorization must be `Bearer <token>`".into())
            })?;
        let store: &Store = &state.store;
        match store
            .use_token(&domain::tokens::hash(token), Utc::now())
            .await?
        {
            Some(record) => Ok(Caller(record)),
            None => Err(ApiError::Unauthorized("unknown or revoked token".into())),
        }
    }
}

/// Query of `GET /api/v1/events`. All filters combine with AND.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Actor name or id, exact (`octocat`, `arn:aws:iam::123456789012:user/alice`).
    actor: Option<String>,
    /// Exact action, or a prefix ending in `*` (`repo.*`).
    action: Option<String>,
    /// `github` or `cloudtrail`.
    source: Option<String>,
    /// Target name or id, exact (`octo-org/hello-world`).
    target: Option<String>,
    /// RFC 3339 instant or a date (`2026-03-01`), inclusive.
    since: Option<String>,
    /// RFC 3339 instant or a date, exclusive.
    until: Option<String>,
    /// Free text over actor, action, targets and summary.
    q: Option<String>,
    /// Page size, 1 to 500 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A `limit` query value: `default` when absent or blank, else a number from 1 to `max`.
pub fn parse_limit(value: Option<&str>, default: i64, max: i64) -> Result<i64, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(limit) => match limit.parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::BadRequest(format!(
                "limit: {limit:?} is not a number from 1 to {max}"
            ))),
        },
    }
}

/// Parses an RFC 3339 instant, or a plain date as its UTC midnight.
pub fn parse_instant(field: &str, value: &str) -> Result<DateTime<Utc>, ApiError> {
    let value = value.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{field}: {value:?} is neither an RFC 3339 time (2026-03-01T12:00:00Z) nor a \
                 date (2026-03-01)"
            ))
        })
}

impl EventsQuery {
    fn filter(&self) -> Result<EventFilter, ApiError> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok(EventFilter {
            actor: text(&self.actor),
            action: text(&self.action),
            source: text(&self.source)
                .map(|s| s.parse::<Source>())
                .transpose()
                .map_err(|err| ApiError::BadRequest(format!("source: {err}")))?,
            target: text(&self.target),
            since: text(&self.since)
                .map(|v| parse_instant("since", &v))
                .transpose()?,
            until: text(&self.until)
                .map(|v| parse_instant("until", &v))
                .transpose()?,
            q: text(&self.q),
        })
    }

    fn limit(&self) -> Result<i64, ApiError> {
        match self
            .limit
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Ok(50),
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (1..=500).contains(&n) => Ok(n),
                _ => Err(ApiError::BadRequest(format!(
                    "limit: {text:?} is not a whole number from 1 to 500"
                ))),
            },
        }
    }
}

/// Events, newest first, one page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    params(EventsQuery),
    responses(
        (status = 200, description = "A page of events, newest first", body = EventPage),
        (status = 400, description = "A filter value is invalid (the detail names it)"),
        (status = 401, description = "No valid bearer token"),
    ),
    security(("bearer" = []))
)]
async fn list_events(
    caller: Caller,
    State(store): State<Store>,
    Query(query): Query<EventsQuery>,
) -> Result<Json<EventPage>, ApiError> {
    caller.require(Role::Viewer)?;
    let filter = query.filter()?;
    let page = store
        .list_events(&filter, query.cursor.as_deref(), query.limit()?)
        .await?;
    Ok(Json(page))
}

/// One event with its delivery and the raw payload it was normalized from.
#[utoipa::path(
    get,
    path = "/api/v1/events/{id}",
    params(("id" = i64, Path, description = "Event id")),
    responses(
        (status = 200, description = "The event", body = EventDetail),
        (status = 404, description = "No such event"),
        (status = 401, description = "No valid bearer token"),
    ),
    security(("bearer" = []))
)]
async fn get_event(
    caller: Caller,
    State(store): State<Store>,
    Path(id): Path<String>,
) -> Result<Json<EventDetail>, ApiError> {
    caller.require(Role::Viewer)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("event id {id:?} is not a number")))?;
    store
        .event_detail(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no event with id {id}")))
}
