//! Sign-in and who may do what: sessions in Attest's database, OpenID Connect sign-in (any
//! issuer with discovery: GitLab, Okta, Entra ID, Google, Keycloak…), demo personas (demo mode
//! only, on loopback), role rules, and the guard every request passes ([`guard`]).

pub mod github;
pub mod guard;
pub mod limits;
pub mod oidc;
pub mod roles;
pub mod sessions;

use crate::routes::AppState;
use app::auth::{Persona, SignedIn, SigninOptions};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;
use domain::audit::{actions, NewAction};
use guard::ClientIp;
use limits::RateLimit;
use oidc::Oidc;
use rand::RngCore;
use roles::RoleRules;
use serde::Deserialize;
use std::time::Duration;
use tower_sessions::Session;

/// The session key of the signed-in person.
pub const SESSION_USER: &str = "user";
/// The session key of a sign-in under way (state, nonce, PKCE verifier).
const SESSION_PENDING: &str = "pending_signin";
/// The ID token of a person signed in with the provider, kept (server-side) only when signing
/// out also ends the provider's session, which needs it as `id_token_hint`.
const SESSION_ID_TOKEN: &str = "id_token";

/// How sign-in and sessions are set up.
pub struct Auth {
    /// `scheme://host[:port]` Attest is reached at, when configured: redirect URIs are built on
    /// it and writes must come from it.
    pub public_origin: Option<String>,
    /// Cookies only over HTTPS, and HSTS (the public URL is `https://`).
    pub secure_cookies: bool,
    /// Where people sign in, when anywhere.
    pub provider: Option<Provider>,
    pub rules: RoleRules,
    /// Demo personas; empty outside demo mode.
    pub personas: Vec<Persona>,
    /// A session ends after this long without a request…
    pub idle: Duration,
    /// …and this long after sign-in, however active.
    pub absolute: Duration,
    pub signin_limit: RateLimit,
    pub hook_limit: RateLimit,
    /// The header a trusted reverse proxy puts the client's address in.
    pub client_ip_header: Option<axum::http::HeaderName>,
}

impl Auth {
    /// No provider, no personas: nobody can sign in (tests add what they need).
    pub fn closed() -> Auth {
        Auth {
            public_origin: None,
            secure_cookies: false,
            provider: None,
            rules: RoleRules::default(),
            personas: Vec::new(),
            idle: Duration::from_secs(60 * 60),
            absolute: Duration::from_secs(12 * 60 * 60),
            signin_limit: RateLimit::per_minute(30),
            hook_limit: RateLimit::per_minute(6_000),
            client_ip_header: None,
        }
    }

    pub fn signin_options(&self) -> SigninOptions {
        SigninOptions {
            provider: self.provider.as_ref().map(|p| p.name().to_owned()),
            personas: self.personas.clone(),
        }
    }
}

/// The identity provider people sign in with.
pub enum Provider {
    /// Any OpenID Connect issuer (boxed: its discovered keys make it the larger one).
    Oidc(Box<Oidc>),
    /// GitHub's OAuth (github.com or GitHub Enterprise Server).
    Github(github::Github),
}

impl Provider {
    pub fn name(&self) -> &str {
        match self {
            Provider::Oidc(oidc) => oidc.name(),
            Provider::Github(github) => github.name(),
        }
    }

    async fn start(
        &self,
        redirect_uri: &str,
        next: String,
    ) -> Result<(oauth2::url::Url, oidc::Pending), String> {
        match self {
            Provider::Oidc(oidc) => oidc.start(redirect_uri, next).await,
            Provider::Github(github) => github.start(redirect_uri, next),
        }
    }

    async fn finish(
        &self,
        redirect_uri: &str,
        code: &str,
        pending: &oidc::Pending,
    ) -> Result<oidc::Identity, (Failure, String)> {
        match self {
            Provider::Oidc(oidc) => oidc.finish(redirect_uri, code, pending).await,
            Provider::Github(github) => github.finish(redirect_uri, code, pending).await,
        }
    }

    /// The OpenID provider whose session signing out also ends, if so configured.
    pub(crate) fn signs_out(&self) -> Option<&Oidc> {
        match self {
            Provider::Oidc(oidc) if oidc.signs_out_at_provider() => Some(oidc),
            _ => None,
        }
    }
}

/// `n` random bytes, base64url.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/logout", post(logout))
        .route("/demo", post(demo))
}

/// Why a sign-in failed, as the sign-in page names it (`/signin?error=<code>`): codes, not
/// text, so nobody can put words on Attest's sign-in page through a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No provider is configured.
    NoProvider,
    /// The provider could not be reached or its discovery document is wrong.
    Provider,
    /// The provider answered with an error (the person cancelled, or the client is refused).
    Denied,
    /// The state does not match the sign-in this browser started (tampered, replayed, or the
    /// session expired in between).
    State,
    /// The provider refused the code (used already, expired, not for this client).
    Code,
    /// The ID token failed a check (signature, issuer, audience, expiry, nonce).
    Token,
    /// The provider gave no verified e-mail.
    Email,
    /// The e-mail's domain is not allowed.
    Domain,
    /// No role rule gives the person a role.
    NoRole,
    /// The store failed.
    Server,
}

impl Failure {
    pub fn code(self) -> &'static str {
        match self {
            Failure::NoProvider => "no_provider",
            Failure::Provider => "provider",
            Failure::Denied => "denied",
            Failure::State => "state",
            Failure::Code => "code",
            Failure::Token => "token",
            Failure::Email => "email",
            Failure::Domain => "domain",
            Failure::NoRole => "no_role",
            Failure::Server => "server",
        }
    }

    fn to_signin(self) -> Response {
        Redirect::to(&format!("/signin?error={}", self.code())).into_response()
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Starts a sign-in at the provider: state, nonce and PKCE verifier go in the session (never
/// in the browser), the browser goes to the provider.
async fn login(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<LoginQuery>,
) -> Response {
    let Some(provider) = &state.auth.provider else {
        return Failure::NoProvider.to_signin();
    };
    let next = local_path(query.next.as_deref());
    match provider.start(&redirect_uri(&state), next).await {
        Ok((url, pending)) => {
            if let Err(err) = session.insert(SESSION_PENDING, pending).await {
                tracing::error!(%err, "cannot store a sign-in in the session");
                return Failure::Server.to_signin();
            }
            Redirect::to(url.as_str()).into_response()
        }
        Err(err) => {
            tracing::error!(%err, "cannot start a sign-in");
            Failure::Provider.to_signin()
        }
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The provider's answer: checks it, and signs the person in with a new session id.
async fn callback(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(provider) = &state.auth.provider else {
        return Failure::NoProvider.to_signin();
    };
    // Whatever happens next, this sign-in is over: its state cannot be used twice.
    let pending: Option<oidc::Pending> = session.remove(SESSION_PENDING).await.ok().flatten();
    let refuse = |failure: Failure, actor: String, detail: String| {
        let store = state.store.clone();
        async move {
            tracing::warn!(reason = %detail, "sign-in refused");
            record(
                &store,
                NewAction {
                    at: Utc::now(),
                    actor,
                    role: String::new(),
                    action: actions::SIGN_IN_REFUSED.to_owned(),
                    target: String::new(),
                    detail,
                    ip: ip.to_string(),
                },
            )
            .await;
            failure.to_signin()
        }
    };
    if let Some(error) = query.error {
        return refuse(
            Failure::Denied,
            String::new(),
            format!("the provider answered {error:?}"),
        )
        .await;
    }
    let (Some(code), Some(returned_state), Some(pending)) = (query.code, query.state, pending)
    else {
        return refuse(
            Failure::State,
            String::new(),
            "an answer without a sign-in started in this browser".to_owned(),
        )
        .await;
    };
    if !pending.state_matches(&returned_state) {
        return refuse(
            Failure::State,
            String::new(),
            "the state does not match the sign-in this browser started".to_owned(),
        )
        .await;
    }
    let identity = match provider
        .finish(&redirect_uri(&state), &code, &pending)
        .await
    {
        Ok(identity) => identity,
        Err((failure, detail)) => return refuse(failure, String::new(), detail).await,
    };
    let role = match state.auth.rules.role_for(&roles::Claims {
        email: &identity.email,
        groups: &identity.groups,
    }) {
        Ok(role) => role,
        Err(refusal) => {
            let failure = match refusal {
                roles::Refusal::DomainNotAllowed(_) => Failure::Domain,
                roles::Refusal::NoRole => Failure::NoRole,
            };
            return refuse(failure, identity.email.clone(), refusal.to_string()).await;
        }
    };
    let user = SignedIn {
        subject: identity.subject,
        name: identity.name,
        email: identity.email,
        role,
        via: provider.name().to_owned(),
        at_us: Utc::now().timestamp_micros(),
    };
    if let Err(failure) = sign_in(&state, &session, user, ip).await {
        return failure.to_signin();
    }
    if provider.signs_out().is_some() {
        if let Err(err) = session.insert(SESSION_ID_TOKEN, &identity.id_token).await {
            tracing::warn!(%err, "cannot keep the ID token: signing out will not reach the provider");
        }
    }
    Redirect::to(&pending.next).into_response()
}

/// Starts the person's session under a new id (so an id planted before sign-in is worth
/// nothing after it) and records the sign-in.
async fn sign_in(
    state: &AppState,
    session: &Session,
    user: SignedIn,
    ip: std::net::IpAddr,
) -> Result<(), Failure> {
    let stored = async {
        session.cycle_id().await?;
        session.insert(SESSION_USER, &user).await
    };
    if let Err(err) = stored.await {
        tracing::error!(%err, "cannot store a session");
        return Err(Failure::Server);
    }
    tracing::info!(email = %user.email, role = user.role.as_str(), via = %user.via, "signed in");
    record(
        &state.store,
        NewAction {
            at: Utc::now(),
            actor: user.email.clone(),
            role: user.role.as_str().to_owned(),
            action: actions::SIGN_IN.to_owned(),
            target: String::new(),
            detail: format!("signed in with {} as {}", user.via, user.subject),
            ip: ip.to_string(),
        },
    )
    .await;
    Ok(())
}

/// Ends the session on the server (the row is deleted, the cookie cleared). When so configured
/// and the person signed in with the provider, the browser then goes on to end its session
/// there, and comes back to the sign-in page.
async fn logout(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    session: Session,
) -> Response {
    let user: Option<SignedIn> = session.get(SESSION_USER).await.ok().flatten();
    let id_token: Option<String> = session.get(SESSION_ID_TOKEN).await.ok().flatten();
    if let Err(err) = session.flush().await {
        tracing::error!(%err, "cannot end a session");
        return (StatusCode::INTERNAL_SERVER_ERROR, "could not sign out\n").into_response();
    }
    if let Some(user) = user {
        record(
            &state.store,
            NewAction {
                at: Utc::now(),
                actor: user.email,
                role: user.role.as_str().to_owned(),
                action: actions::SIGN_OUT.to_owned(),
                target: String::new(),
                detail: String::new(),
                ip: ip.to_string(),
            },
        )
        .await;
    }
    const SIGNED_OUT: &str = "/signin?signed_out=1";
    let signs_out = state.auth.provider.as_ref().and_then(Provider::signs_out);
    if let (Some(oidc), Some(id_token)) = (signs_out, id_token) {
        let back = format!("{}{SIGNED_OUT}", public_base(&state));
        if let Some(url) = oidc.end_session_url(&id_token, &back).await {
            return Redirect::to(url.as_str()).into_response();
        }
    }
    Redirect::to(SIGNED_OUT).into_response()
}

#[derive(Deserialize)]
struct DemoForm {
    persona: String,
    next: Option<String>,
}

/// Demo mode only: signs in as a persona, without a provider. Nothing answers here unless the
/// server was started by `attest demo` (on loopback), and only loopback clients are served.
async fn demo(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    session: Session,
    Form(form): Form<DemoForm>,
) -> Response {
    if state.auth.personas.is_empty() || !ip.is_loopback() {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    let Some(persona) = state.auth.personas.iter().find(|p| p.key == form.persona) else {
        return (
            StatusCode::BAD_REQUEST,
            format!("no demo persona {:?}\n", form.persona),
        )
            .into_response();
    };
    let user = SignedIn {
        subject: format!("demo#{}", persona.key),
        name: persona.name.clone(),
        email: persona.email.clone(),
        role: persona.role,
        via: "demo".to_owned(),
        at_us: Utc::now().timestamp_micros(),
    };
    match sign_in(&state, &session, user, ip).await {
        Ok(()) => Redirect::to(&local_path(form.next.as_deref())).into_response(),
        Err(failure) => failure.to_signin(),
    }
}

/// Where people reach Attest: the public URL, else `http://<listen address>`.
fn public_base(state: &AppState) -> String {
    state
        .auth
        .public_origin
        .clone()
        .unwrap_or_else(|| format!("http://{}", state.leptos_options.site_addr))
}

/// Where the provider sends the browser back to.
fn redirect_uri(state: &AppState) -> String {
    format!("{}/auth/callback", public_base(state))
}

/// `next` if it is a path on this site; `/` otherwise (never another site: `//evil.test`,
/// `/\evil.test` and `https://…` are all refused).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control())
                && !path.starts_with("/signin")
                && !path.starts_with("/auth/") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Records an action; a failure is logged, not shown: the action itself already happened.
async fn record(store: &domain::store::Store, action: NewAction) {
    if let Err(err) = store.record_action(&action).await {
        tracing::error!(%err, action = %action.action, "cannot record an action in the audit log");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path(Some("/people?q=a")), "/people?q=a");
        for bad in [
            "//evil.test/x",
            "/\\evil.test",
            "https://evil.test",
            "evil",
            "/signin",
            "/auth/logout",
            "/a\r\nSet-Cookie: x",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }
}
