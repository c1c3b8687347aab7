//! `/api/v1/people`: who is who. The people import states people and their accounts; an admin
//! corrects it by hand (link or unlink an account, merge two people who are one human, split
//! them again), and every such decision is recorded with who took it and why.

use super::api::{parse_limit, Caller};
use super::ApiError;
use app::auth::ClientIp;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use domain::model::{Role, Source};
use domain::people::{LinkAction, LinkEntry, Person, PersonAccount, PersonProfile};
use domain::store::{Decision, Store};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query of `GET /api/v1/people`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Only people whose e-mail, name or one of the accounts the import lists for them
    /// contains this (any case).
    q: Option<String>,
    /// `next_after` of the previous page.
    after: Option<String>,
    /// People at most (1 to 1000); 100 when absent.
    limit: Option<String>,
}

/// A page of people, in e-mail order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeoplePage {
    /// Each with every account that counts as theirs.
    pub people: Vec<Person>,
    /// Pass as `after` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// People, in e-mail order, with their accounts.
#[utoipa::path(
    get,
    path = "/api/v1/people",
    params(PeopleQuery),
    responses(
        (status = 200, description = "A page of people", body = PeoplePage),
        (status = 400, description = "A bad `limit`"),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below auditor"),
    ),
    security(("bearer" = []))
)]
pub async fn list_people(
    caller: Caller,
    State(store): State<Store>,
    Query(query): Query<PeopleQuery>,
) -> Result<Json<PeoplePage>, ApiError> {
    caller.require(Role::Auditor)?;
    let limit = parse_limit(query.limit.as_deref(), 100, 1000)?;
    let people = store
        .people(query.q.as_deref(), query.after.as_deref(), limit)
        .await?;
    let next_after = (people.len() as i64 == limit)
        .then(|| people.last().map(|p| p.email.clone()))
        .flatten();
    Ok(Json(PeoplePage { people, next_after }))
}

/// One person: what the import says, every account that counts as theirs and why, and every
/// decision taken about them by hand.
#[utoipa::path(
    get,
    path = "/api/v1/people/{email}",
    params(("email" = String, Path, description = "The person's e-mail (any case)")),
    responses(
        (status = 200, description = "The person", body = PersonProfile),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below auditor"),
        (status = 404, description = "No people import names this e-mail"),
    ),
    security(("bearer" = []))
)]
pub async fn get_person(
    caller: Caller,
    State(store): State<Store>,
    Path(email): Path<String>,
) -> Result<Json<PersonProfile>, ApiError> {
    caller.require(Role::Auditor)?;
    store
        .person_profile(&email)
        .await?
        .map(Json)
        .ok_or_else(|| no_person(&email))
}

fn no_person(email: &str) -> ApiError {
    ApiError::NotFound(format!(
        "no person {:?}: people come from `attest import people`",
        email.trim()
    ))
}

/// Body of `POST /api/v1/people/{email}/link` and `/unlink`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountDecision {
    /// The account's source: `github`, `gitlab`, `aws`, `gcp`, `azure`, `okta`, …
    pub source: String,
    /// The account as its source names it: a login, an IAM user name or ARN, a GCP
    /// `user:` member, a UPN.
    pub account_id: String,
    /// Why, for the record.
    pub reason: String,
}

/// Body of `POST /api/v1/people/{email}/merge` and `/split`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonDecision {
    /// The other person's e-mail: the one merged in, or split off.
    pub person: String,
    /// Why, for the record.
    pub reason: String,
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|err| ApiError::BadRequest(format!("the JSON body does not fit: {err}")))
}

fn account(decision: &AccountDecision) -> Result<PersonAccount, ApiError> {
    let source = decision
        .source
        .trim()
        .parse::<Source>()
        .map_err(|err| ApiError::BadRequest(format!("source: {err}")))?;
    Ok(PersonAccount {
        source,
        account_id: decision.account_id.clone(),
    })
}

/// Links an account to the person by hand, taking it from whoever held it.
#[utoipa::path(
    post,
    path = "/api/v1/people/{email}/link",
    params(("email" = String, Path, description = "The person's e-mail")),
    request_body = AccountDecision,
    responses(
        (status = 201, description = "Linked; the recorded decision", body = LinkEntry),
        (status = 400, description = "A body that does not fit, an unknown source, an empty account id or reason"),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below admin"),
        (status = 404, description = "No such person"),
        (status = 409, description = "The account is already theirs, or the person was merged into another (act on that one)"),
    ),
    security(("bearer" = []))
)]
pub async fn link(
    caller: Caller,
    State(store): State<Store>,
    Path(email): Path<String>,
    ip: Option<Extension<ClientIp>>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<LinkEntry>), ApiError> {
    let ip = ip
        .map(|Extension(ClientIp(ip))| ip.to_string())
        .unwrap_or_default();
    decide_by_hand(LinkAction::Link, &caller, &store, &email, &ip, &bytes).await
}

/// Takes an account away from the person by hand: it then belongs to no one, whatever later
/// imports say, until it is linked again.
#[utoipa::path(
    post,
    path = "/api/v1/people/{email}/unlink",
    params(("email" = String, Path, description = "The person's e-mail")),
    request_body = AccountDecision,
    responses(
        (status = 201, description = "Unlinked; the recorded decision", body = LinkEntry),
        (status = 400, description = "A body that does not fit, an unknown source, an empty account id or reason"),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below admin"),
        (status = 404, description = "No such person"),
        (status = 409, description = "The account is not theirs, or the person was merged into another"),
    ),
    security(("bearer" = []))
)]
pub async fn unlink(
    caller: Caller,
    State(store): State<Store>,
    Path(email): Path<String>,
    ip: Option<Extension<ClientIp>>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<LinkEntry>), ApiError> {
    let ip = ip
        .map(|Extension(ClientIp(ip))| ip.to_string())
        .unwrap_or_default();
    decide_by_hand(LinkAction::Unlink, &caller, &store, &email, &ip, &bytes).await
}

/// Merges another person into this one: the same human under two e-mails, whose accounts are
/// then walked together and who is found by either.
#[utoipa::path(
    post,
    path = "/api/v1/people/{email}/merge",
    params(("email" = String, Path, description = "The person merged into")),
    request_body = PersonDecision,
    responses(
        (status = 201, description = "Merged; the recorded decision", body = LinkEntry),
        (status = 400, description = "A body that does not fit, an empty reason, a person merged into themselves"),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below admin"),
        (status = 404, description = "No such person (either one)"),
        (status = 409, description = "Either was already merged into someone"),
    ),
    security(("bearer" = []))
)]
pub async fn merge(
    caller: Caller,
    State(store): State<Store>,
    Path(email): Path<String>,
    ip: Option<Extension<ClientIp>>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<LinkEntry>), ApiError> {
    let ip = ip
        .map(|Extension(ClientIp(ip))| ip.to_string())
        .unwrap_or_default();
    decide_by_hand(LinkAction::Merge, &caller, &store, &email, &ip, &bytes).await
}

/// Splits a merged person off this one again.
#[utoipa::path(
    post,
    path = "/api/v1/people/{email}/split",
    params(("email" = String, Path, description = "The person merged into")),
    request_body = PersonDecision,
    responses(
        (status = 201, description = "Split; the recorded decision", body = LinkEntry),
        (status = 400, description = "A body that does not fit, an empty reason"),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below admin"),
        (status = 404, description = "No such person (either one)"),
        (status = 409, description = "That person is not merged into this one"),
    ),
    security(("bearer" = []))
)]
pub async fn split(
    caller: Caller,
    State(store): State<Store>,
    Path(email): Path<String>,
    ip: Option<Extension<ClientIp>>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<LinkEntry>), ApiError> {
    let ip = ip
        .map(|Extension(ClientIp(ip))| ip.to_string())
        .unwrap_or_default();
    decide_by_hand(LinkAction::Split, &caller, &store, &email, &ip, &bytes).await
}

/// Takes one decision by hand for an admin: reads its body, records it with the token's name,
/// and answers 201 with the recorded entry.
async fn decide_by_hand(
    action: LinkAction,
    caller: &Caller,
    store: &Store,
    email: &str,
    ip: &str,
    bytes: &Bytes,
) -> Result<(StatusCode, Json<LinkEntry>), ApiError> {
    caller.require(Role::Admin)?;
    let actor = format!("token:{}", caller.0.name);
    let role = caller.0.role.as_str();
    let entry = match action {
        LinkAction::Link | LinkAction::Unlink => {
            let body: AccountDecision = body(bytes)?;
            let account = account(&body)?;
            let decision = Decision {
                actor: &actor,
                role,
                ip,
                reason: &body.reason,
                at: Utc::now(),
            };
            if action == LinkAction::Link {
                store.link_account(email, &account, decision).await?
            } else {
                store.unlink_account(email, &account, decision).await?
            }
        }
        LinkAction::Merge | LinkAction::Split => {
            let body: PersonDecision = body(bytes)?;
            let decision = Decision {
                actor: &actor,
                role,
                ip,
                reason: &body.reason,
                at: Utc::now(),
            };
            if action == LinkAction::Merge {
                store.merge_people(email, &body.person, decision).await?
            } else {
                store.split_people(email, &body.person, decision).await?
            }
        }
    };
    Ok((StatusCode::CREATED, Json(entry)))
}
