//! What every request passes through: the client's address, rate limits, the cross-site check
//! on writes, the session's signed-in person and the role the address needs
//! ([`app::auth::needs`]), and the security headers on the way out.

use super::{Auth, SESSION_USER};
use crate::routes::AppState;
use app::auth::{CspNonce, Need, SignedIn};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;
use tower_sessions::Session;

pub use app::auth::ClientIp;

/// How long a session's last activity is trusted before it is written again.
const TOUCH_EVERY_US: i64 = 60_000_000;
/// The session key of the last activity (microseconds since the epoch).
const SESSION_SEEN: &str = "seen_us";

/// Finds the client's address and applies the rate limits of sign-in and webhooks.
pub async fn client_and_limits(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&state.auth, &req);
    req.extensions_mut().insert(ClientIp(ip));
    let path = req.uri().path();
    let limit = if path.starts_with("/auth/") {
        Some(&state.auth.signin_limit)
    } else if path.starts_with("/hooks/") {
        Some(&state.auth.hook_limit)
    } else {
        None
    };
    if let Some(limit) = limit {
        if let Err(wait) = limit.check(ip, Instant::now()) {
            let seconds = wait.as_secs().max(1);
            tracing::warn!(%ip, path, "rate limited");
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, seconds.to_string())],
                format!("too many requests from {ip}: try again in {seconds} s\n"),
            )
                .into_response();
        }
    }
    next.run(req).await
}

fn client_ip(auth: &Auth, req: &Request) -> IpAddr {
    if let Some(name) = &auth.client_ip_header {
        // The proxy appends the address it saw last: earlier entries are the client's word.
        let forwarded = req
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back();
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Lets a request through only if its address allows who is signed in (or nobody), and cross-
/// site writes not at all.
pub async fn guard(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let need = app::auth::needs(&path);
    let cookie_bound = !path.starts_with("/hooks/") && !path.starts_with("/api/");
    if cookie_bound && !is_safe(req.method()) {
        if let Err(why) = same_origin(req.headers(), &state.auth) {
            tracing::warn!(path, why, "cross-site write refused");
            return (
                StatusCode::FORBIDDEN,
                format!("refused: {why} (cross-site requests cannot change anything here)\n"),
            )
                .into_response();
        }
    }
    let signed_in = if cookie_bound {
        current_user(&session, &state.auth).await
    } else {
        None
    };
    if let Some(user) = &signed_in {
        req.extensions_mut().insert(user.clone());
    }
    let Need::Role(needed) = need else {
        return next.run(req).await;
    };
    match signed_in {
        Some(user) if user.role >= needed => next.run(req).await,
        Some(user) => forbidden(&path, &user, needed),
        None if req.method() == Method::GET && !path.starts_with("/_fn/") => {
            let next_page = req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/");
            Redirect::to(&format!("/signin?next={}", encode_query(next_page))).into_response()
        }
        None => (
            StatusCode::UNAUTHORIZED,
            "sign in first: no session, or it ended\n",
        )
            .into_response(),
    }
}

/// The person the session holds, if it has not ended: idle for longer than the idle limit, or
/// older than the absolute limit, it is ended here (server-side) and `None` returned.
async fn current_user(session: &Session, auth: &Auth) -> Option<SignedIn> {
    let user: SignedIn = match session.get(SESSION_USER).await {
        Ok(Some(user)) => user,
        Ok(None) => return None,
        Err(err) => {
            tracing::warn!(%err, "session unreadable: treated as signed out");
            return None;
        }
    };
    let now = Utc::now().timestamp_micros();
    let seen: i64 = session
        .get(SESSION_SEEN)
        .await
        .ok()
        .flatten()
        .unwrap_or(user.at_us);
    let idle = now - seen > auth.idle.as_micros() as i64;
    let too_old = now - user.at_us > auth.absolute.as_micros() as i64;
    if idle || too_old {
        tracing::info!(email = %user.email, idle, too_old, "session ended");
        if let Err(err) = session.flush().await {
            tracing::warn!(%err, "could not delete an ended session");
        }
        return None;
    }
    if now - seen > TOUCH_EVERY_US {
        // Saving also moves the row's and the cookie's expiry on by the idle limit.
        if let Err(err) = session.insert(SESSION_SEEN, now).await {
            tracing::warn!(%err, "could not record session activity");
        }
    }
    Some(user)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a write comes from Attest's own pages: its `Origin` (or, without one, its `Referer`)
/// must be Attest's public origin, or the origin of the `Host` it was sent to when no public
/// URL is configured.
pub fn same_origin(headers: &HeaderMap, auth: &Auth) -> Result<(), &'static str> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let origin = match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(origin), _) if origin != "null" => origin.to_owned(),
        (Some(_), _) => return Err("the request's origin is hidden (Origin: null)"),
        (None, Some(referer)) => origin_of(referer).ok_or("the Referer is not a URL")?,
        (None, None) => return Err("the request names no Origin or Referer"),
    };
    let expected = match &auth.public_origin {
        Some(public) => public.clone(),
        None => {
            let host = text(header::HOST).ok_or("the request names no Host")?;
            let scheme = if origin.starts_with("https://") {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}")
        }
    };
    if origin.eq_ignore_ascii_case(&expected) {
        Ok(())
    } else {
        Err("the request comes from another site")
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

fn forbidden(path: &str, user: &SignedIn, needed: domain::model::Role) -> Response {
    tracing::info!(email = %user.email, role = user.role.as_str(), path, "refused by role");
    let message = format!(
        "{} is signed in as {}; this needs {}.",
        user.email,
        user.role.as_str(),
        needed.as_str()
    );
    if path.starts_with("/_fn/") || path.starts_with("/auth/") {
        return (StatusCode::FORBIDDEN, format!("{message}\n")).into_response();
    }
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not for your role · \
         Attest</title><link rel=\"stylesheet\" href=\"/pkg/attest.css\"></head><body><main \
         class=\"page\"><h1>Not for your role</h1><p>{}</p><p><a href=\"/\">Back to the \
         timeline</a></p></main></body></html>",
        escape_html(&message)
    );
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Percent-encodes a path and query for use as one query value.
pub fn encode_query(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Security headers on every response, and a nonce for the page's inline script.
pub async fn security_headers(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = super::random_token(16);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    // Everything but the static front end is someone's data (or a token shown once): no
    // browser or proxy keeps a copy.
    let path = req.uri().path();
    let is_static = path.starts_with("/pkg/") || path == "/favicon.ico";
    let mut response = next.run(req).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let policy = if is_html {
        // The wasm bundle and its loader come from /pkg; the one inline script (hydration)
        // carries the nonce; styles only from files. Forms post to Attest only, but the
        // sign-out form's answer may send the browser on to the provider's end-session
        // endpoint, and browsers hold that redirect to `form-action` too.
        let sign_out_at = state
            .auth
            .provider
            .as_ref()
            .and_then(super::Provider::signs_out)
            .and_then(|oidc| oidc.end_session_origin())
            .map(|origin| format!(" {origin}"))
            .unwrap_or_default();
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'{sign_out_at}; frame-ancestors 'none'"
        )
    } else {
        "default-src 'none'; frame-ancestors 'none'; sandbox".to_owned()
    };
    let headers = response.headers_mut();
    let mut set = |name, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_SECURITY_POLICY, &policy);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "same-origin");
    set(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if state.auth.secure_cookies {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    if !is_static && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_from_urls() {
        assert_eq!(
            origin_of("https://attest.example.com:8443/people?q=a").as_deref(),
            Some("https://attest.example.com:8443")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(origin_of("not a url"), None);
        assert_eq!(origin_of("https:///path"), None);
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            encode_query("/people?q=a b&x=1"),
            "/people%3Fq%3Da%20b%26x%3D1"
        );
    }
}
