//! The HTTP surface: webhooks under `/hooks`, the JSON API under `/api/v1`, `/healthz`, and the
//! Leptos pages for everything else.

mod access;
mod api;
mod error;
mod evidence;
mod export;
mod findings;
mod hooks;
mod people;
mod reviews;

pub use error::ApiError;

use crate::auth::guard;
use crate::auth::sessions::Sessions;
use crate::auth::Auth;
use app::{shell, App};
use axum::extract::{FromRef, State};
use axum::http::{HeaderValue, Request, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use domain::hook_secrets::HookKeys;
use domain::model::ConfiguredSources;
use domain::store::Store;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::{Arc, OnceLock};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    /// The secrets of every push endpoint: the settings' and those managed in Attest.
    pub hooks: Arc<HookKeys>,
    /// How `/hooks/gcp` checks Pub/Sub OIDC tokens, when configured.
    pub gcp_oidc: Option<Arc<crate::jwks::PubsubOidc>>,
    /// Sign-in, sessions and rate limits.
    pub auth: Arc<Auth>,
    pub leptos_options: LeptosOptions,
}

pub fn router(state: AppState) -> Router {
    let leptos_options = state.leptos_options.clone();
    let routes = page_routes();
    let store = state.store.clone();
    let signin_options = state.auth.signin_options();
    let sessions = session_layer(&state);
    let hooks = state.hooks.clone();
    let gcp_oidc = state.gcp_oidc.is_some();
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/hooks", hooks::router())
        .nest("/api/v1", api::router())
        .nest("/export", export::router())
        .nest("/reports", evidence::reports())
        .nest("/auth", crate::auth::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(store.clone());
                provide_context(configured_sources(&hooks, gcp_oidc));
                provide_context(hooks.clone());
                provide_context(signin_options.clone());
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn_with_state(state.clone(), guard::guard))
        .layer(sessions)
        .layer(from_fn_with_state(state.clone(), guard::client_and_limits))
        .layer(from_fn_with_state(state.clone(), guard::security_headers))
        .with_state(state)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
}

/// The app's page routes, worked out once per process. Working them out renders the whole app
/// with resource loading switched off *for the whole process* (leptos_server's
/// `SuppressResourceLoad` is a global flag), and a resource first polled meanwhile waits
/// forever (leptos-rs/leptos#4773). So a second router built while another serves pages (the
/// tests build one per test, in parallel) must not work them out again; the routes come from
/// the code alone, so once is enough.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The sources whose push endpoint accepts deliveries now (Pub/Sub OIDC tokens count for
/// GCP).
fn configured_sources(hooks: &HookKeys, gcp_oidc: bool) -> ConfiguredSources {
    let mut configured = hooks.now().configured();
    if gcp_oidc && !configured.contains(&domain::model::Source::Gcp) {
        configured.push(domain::model::Source::Gcp);
        configured.sort();
    }
    ConfiguredSources(configured)
}

/// Sessions in Attest's database behind an HttpOnly, SameSite=Lax cookie (`__Host-` prefixed
/// and Secure behind HTTPS), ending after the idle limit without a request.
fn session_layer(state: &AppState) -> SessionManagerLayer<Sessions> {
    let secure = state.auth.secure_cookies;
    // Whole seconds (a cookie's Max-Age), never shorter than the idle limit itself.
    let idle = i64::try_from(state.auth.idle.as_millis().div_ceil(1000)).unwrap_or(i64::MAX);
    SessionManagerLayer::new(Sessions::new(&state.store))
        .with_name(if secure {
            "__Host-attest_session"
        } else {
            "attest_session"
        })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::seconds(idle),
        ))
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
