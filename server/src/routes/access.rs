//! `GET /api/v1/access`: what a principal can reach, or who can reach a resource, now or at
//! any past instant, each answer with the paths that give it.

use super::api::{parse_instant, parse_limit, Caller};
use super::ApiError;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::access::graph::{Holder, Reach};
use domain::grant::{GrantChange, Principal, Resource};
use domain::model::Role;
use domain::store::access::ChangesOf;
use domain::store::Store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query of `GET /api/v1/access`: exactly one of `principal` and `resource`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessQuery {
    /// Who: an id (`github:user:583231`), a login or name (`Codertocat`, any case), an ARN
    /// (`arn:aws:iam::123456789012:user/alice`), a GCP member (`user:alice@example.com`), or a
    /// person's e-mail (all accounts the people import links to them).
    principal: Option<String>,
    /// What: an id (`github:repo:1296269`), a name (`octo-org/infra`, a team, a role, an
    /// account number; any case) or an ARN.
    resource: Option<String>,
    /// The instant asked about: RFC 3339 or a date (its UTC midnight); now when absent.
    at: Option<String>,
}

/// What the principals named can reach, or who can reach the resource named.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessAnswer {
    /// The instant the answer holds for.
    pub at: DateTime<Utc>,
    /// The accounts the `principal` text matched, walked together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principals: Option<Vec<Principal>>,
    /// The resource the `resource` text matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// For `principal`: every resource reached, admin-of-everything first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<Vec<Reach>>,
    /// For `resource`: everyone who reaches it, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holders: Option<Vec<Holder>>,
    /// More rows than the answer holds were found.
    pub truncated: bool,
}

fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// What a question's `principal` or `resource` text names.
enum Subject {
    /// The accounts the text matched, walked together.
    Principals(Vec<Principal>),
    Resource(Resource),
}

/// Resolves exactly one of `principal` and `resource` to what grants store.
async fn subject(
    store: &Store,
    principal: &Option<String>,
    resource: &Option<String>,
) -> Result<Subject, ApiError> {
    match (text(principal), text(resource)) {
        (Some(who), None) => {
            let principals = store.find_principals(who).await?;
            if principals.is_empty() {
                return Err(ApiError::NotFound(format!(
                    "principal: nothing named {who:?} holds or has held a grant"
                )));
            }
            Ok(Subject::Principals(principals))
        }
        (None, Some(what)) => {
            let mut resources = store.find_resources(what).await?;
            match resources.len() {
                0 => Err(ApiError::NotFound(format!(
                    "resource: nothing named {what:?} is or was held"
                ))),
                1 => Ok(Subject::Resource(resources.remove(0))),
                _ => {
                    let ids: Vec<String> = resources
                        .iter()
                        .map(|r| format!("{} ({})", r.id, r.kind))
                        .collect();
                    Err(ApiError::BadRequest(format!(
                        "resource: {what:?} names {} resources; ask for one by id: {}",
                        resources.len(),
                        ids.join(", ")
                    )))
                }
            }
        }
        (Some(_), Some(_)) => Err(ApiError::BadRequest(
            "ask about a principal or a resource, not both".into(),
        )),
        (None, None) => Err(ApiError::BadRequest(
            "principal or resource is required (a login, e-mail, ARN, `org/repo` or id)".into(),
        )),
    }
}

fn ids(principals: &[Principal]) -> Vec<String> {
    principals.iter().map(|p| p.id.clone()).collect()
}

/// Effective access with paths, at an instant.
#[utoipa::path(
    get,
    path = "/api/v1/access",
    params(AccessQuery),
    responses(
        (status = 200, description = "The access, each row with its paths", body = AccessAnswer),
        (status = 400, description = "Neither or both of principal and resource, a bad `at`, or a resource name that matches several resources (the detail lists their ids)"),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below reviewer"),
        (status = 404, description = "Nothing has ever held or been held access under that name"),
    ),
    security(("bearer" = []))
)]
pub async fn get_access(
    caller: Caller,
    State(store): State<Store>,
    Query(query): Query<AccessQuery>,
) -> Result<Json<AccessAnswer>, ApiError> {
    caller.require(Role::Reviewer)?;
    let at = match text(&query.at) {
        Some(at) => parse_instant("at", at)?,
        None => Utc::now(),
    };
    match subject(&store, &query.principal, &query.resource).await? {
        Subject::Principals(principals) => {
            let found = store.access_of(&ids(&principals), at).await?;
            Ok(Json(AccessAnswer {
                at,
                principals: Some(principals),
                resource: None,
                access: Some(found.rows),
                holders: None,
                truncated: found.truncated,
            }))
        }
        Subject::Resource(resource) => {
            let found = store.access_to(&resource.id, at).await?;
            Ok(Json(AccessAnswer {
                at,
                principals: None,
                resource: Some(resource),
                access: None,
                holders: Some(found.rows),
                truncated: found.truncated,
            }))
        }
    }
}

/// Query of `GET /api/v1/access/history`: exactly one of `principal` and `resource`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Who, as for `/api/v1/access`: an id, a login or name, an ARN, a GCP member or a
    /// person's e-mail (the history of all their accounts).
    principal: Option<String>,
    /// What, as for `/api/v1/access`: an id, a name or an ARN.
    resource: Option<String>,
    /// Changes at most (1 to 500); 100 when absent.
    limit: Option<String>,
}

/// The grant history of a principal or a resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryAnswer {
    /// The accounts the `principal` text matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principals: Option<Vec<Principal>>,
    /// The resource the `resource` text matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Access gained and lost, newest first: each change with its grant, when it happened
    /// and the evidence it was recorded from.
    pub changes: Vec<GrantChange>,
}

/// Grant changes of a principal (every account of a person) or on a resource, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/access/history",
    params(HistoryQuery),
    responses(
        (status = 200, description = "The changes, newest first", body = HistoryAnswer),
        (status = 400, description = "Neither or both of principal and resource, a bad `limit`, or a resource name that matches several resources"),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below reviewer"),
        (status = 404, description = "Nothing has ever held or been held access under that name"),
    ),
    security(("bearer" = []))
)]
pub async fn get_history(
    caller: Caller,
    State(store): State<Store>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<HistoryAnswer>, ApiError> {
    caller.require(Role::Reviewer)?;
    let limit = parse_limit(text(&query.limit), 100, 500)?;
    Ok(Json(
        match subject(&store, &query.principal, &query.resource).await? {
            Subject::Principals(principals) => HistoryAnswer {
                changes: store
                    .grant_changes(ChangesOf::Principals(&ids(&principals)), limit)
                    .await?,
                principals: Some(principals),
                resource: None,
            },
            Subject::Resource(resource) => HistoryAnswer {
                changes: store
                    .grant_changes(ChangesOf::Resource(&resource.id), limit)
                    .await?,
                principals: None,
                resource: Some(resource),
            },
        },
    ))
}
