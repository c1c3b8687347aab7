//! The HTTP surface: webhooks under `/hooks`, the JSON API under `/api/v1`, `/healthz`, and the
//! Leptos pages for everything else.

mod access;
mod api;
mod error;
mod findings;
mod hooks;
mod people;

pub use error::ApiError;

use app::{shell, App};
use axum::extract::{FromRef, State};
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use domain::model::ConfiguredSources;
use domain::signature::HookSecrets;
use domain::store::Store;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    /// The secrets of every push endpoint.
    pub hooks: Arc<HookSecrets>,
    /// How `/hooks/gcp` checks Pub/Sub OIDC tokens, when configured.
    pub gcp_oidc: Option<Arc<crate::jwks::PubsubOidc>>,
    pub leptos_options: LeptosOptions,
}

pub fn router(state: AppState) -> Router {
    let leptos_options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let store = state.store.clone();
    let mut configured = state.hooks.configured();
    if state.gcp_oidc.is_some() && !configured.contains(&domain::model::Source::Gcp) {
        configured.push(domain::model::Source::Gcp);
        configured.sort();
    }
    let configured = ConfiguredSources(configured);
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/hooks", hooks::router())
        .nest("/api/v1", api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(store.clone());
                provide_context(configured.clone());
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(store): State<Store>) -> impl IntoResponse {
    match store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(err) => {
            tracing::error!(%err, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
        }
    }
}

/// Request ids shown on error responses and written in the logs, so a user's report can be
/// matched to the server's record of it.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::random::<u64>());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}
