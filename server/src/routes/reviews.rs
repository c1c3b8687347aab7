//! `/api/v1` for access reviews, for automation: campaigns and their rounds, a round's items,
//! a reviewer's open items, decisions, launching and closing. The same role checks as the
//! pages: auditors read; deciding, launching and closing need an admin token (a token is not a
//! person, so it decides on a reviewer's behalf, which only admins may; nobody, token or not,
//! decides on the access of the person it acts for).

use super::api::Caller;
use super::ApiError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use domain::model::Role;
use domain::review::{Campaign, Decision, ReviewItem, Round};
use domain::store::reviews::Decider;
use domain::store::Store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Campaigns and every round of them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<Campaign>,
    pub rounds: Vec<Round>,
}

/// Campaigns, by name, and their rounds, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    responses(
        (status = 200, description = "Campaigns and rounds", body = CampaignList),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below auditor"),
    ),
    security(("bearer" = []))
)]
pub async fn list_campaigns(
    caller: Caller,
    State(store): State<Store>,
) -> Result<Json<CampaignList>, ApiError> {
    caller.require(Role::Auditor)?;
    Ok(Json(CampaignList {
        campaigns: store.campaigns().await?,
        rounds: store.rounds(None, Utc::now()).await?,
    }))
}

/// A round and its items.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundItems {
    pub round: Round,
    pub items: Vec<ReviewItem>,
}

#[utoipa::path(
    get,
    path = "/api/v1/rounds/{id}",
    params(("id" = i64, Path, description = "The round")),
    responses(
        (status = 200, description = "The round with its items", body = RoundItems),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below auditor"),
        (status = 404, description = "No such round"),
    ),
    security(("bearer" = []))
)]
pub async fn get_round(
    caller: Caller,
    State(store): State<Store>,
    Path(id): Path<i64>,
) -> Result<Json<RoundItems>, ApiError> {
    caller.require(Role::Auditor)?;
    let round = store
        .round(id, Utc::now())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no round {id}")))?;
    Ok(Json(RoundItems {
        round,
        items: store.round_items(id).await?,
    }))
}

/// Query of `GET /api/v1/review-items`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewerQuery {
    /// The reviewer's e-mail.
    reviewer: String,
}

/// A reviewer's open items across rounds, undecided and soonest due first.
#[utoipa::path(
    get,
    path = "/api/v1/review-items",
    params(ReviewerQuery),
    responses(
        (status = 200, description = "The reviewer's open items", body = Vec<ReviewItem>),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below auditor"),
    ),
    security(("bearer" = []))
)]
pub async fn list_review_items(
    caller: Caller,
    State(store): State<Store>,
    Query(query): Query<ReviewerQuery>,
) -> Result<Json<Vec<ReviewItem>>, ApiError> {
    caller.require(Role::Auditor)?;
    Ok(Json(store.reviews_for(&query.reviewer).await?))
}

/// A decision on one or more items.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionRequest {
    pub ids: Vec<i64>,
    pub decision: Decision,
    /// Required when the campaign asks for one (for revokes, by default).
    #[serde(default)]
    pub justification: String,
    /// The person the decision is made for (their e-mail); they may not be the holder of any
    /// of the items.
    pub on_behalf_of: String,
}

/// What was decided.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionDone {
    pub decided: usize,
}

/// Records a decision on items, in the review log and the ledger, as `token:<name> for
/// <on_behalf_of>`.
#[utoipa::path(
    post,
    path = "/api/v1/review-items/decisions",
    request_body = DecisionRequest,
    responses(
        (status = 201, description = "Decided", body = DecisionDone),
        (status = 400, description = "A body that does not fit, a missing justification, or a decision on one's own access"),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below admin"),
        (status = 404, description = "No such item"),
        (status = 409, description = "An item is closed"),
    ),
    security(("bearer" = []))
)]
pub async fn decide(
    caller: Caller,
    State(store): State<Store>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<DecisionDone>), ApiError> {
    caller.require(Role::Admin)?;
    let request: DecisionRequest = serde_json::from_slice(&bytes)
        .map_err(|err| ApiError::BadRequest(format!("the JSON body does not fit: {err}")))?;
    let person = request.on_behalf_of.trim().to_lowercase();
    if !domain::review::looks_like_email(&person) {
        return Err(ApiError::BadRequest(
            "on_behalf_of: the e-mail of the person the decision is made for".into(),
        ));
    }
    let decider = Decider {
        actor: format!("token:{} for {person}", caller.0.name),
        email: Some(person),
        may_act_for_others: true,
    };
    let decided = store
        .decide_items(
            &request.ids,
            request.decision,
            &request.justification,
            &decider,
            Utc::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(DecisionDone { decided })))
}

/// Launches a campaign now; gives the round.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/launch",
    params(("id" = i64, Path, description = "The campaign")),
    responses(
        (status = 201, description = "The round launched", body = Round),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below admin"),
        (status = 404, description = "No such campaign"),
    ),
    security(("bearer" = []))
)]
pub async fn launch(
    caller: Caller,
    State(store): State<Store>,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<Round>), ApiError> {
    caller.require(Role::Admin)?;
    let now = Utc::now();
    let actor = format!("token:{}", caller.0.name);
    let round = store.launch_campaign(id, None, &actor, now).await?;
    let round = store
        .round(round, now)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("round {round} vanished")))?;
    Ok((StatusCode::CREATED, Json(round)))
}

/// Closes a round's current stage now; gives the round as it stands after.
#[utoipa::path(
    post,
    path = "/api/v1/rounds/{id}/close",
    params(("id" = i64, Path, description = "The round")),
    responses(
        (status = 200, description = "The round after closing the stage", body = Round),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The token's role is below admin"),
        (status = 404, description = "No such round"),
        (status = 409, description = "The round is closed already"),
    ),
    security(("bearer" = []))
)]
pub async fn close(
    caller: Caller,
    State(store): State<Store>,
    Path(id): Path<i64>,
) -> Result<Json<Round>, ApiError> {
    caller.require(Role::Admin)?;
    let now = Utc::now();
    store
        .close_stage(id, &format!("token:{}", caller.0.name), now)
        .await?;
    let round = store
        .round(id, now)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no round {id}")))?;
    Ok(Json(round))
}
