//! Who is signed in, and what each address of the site needs of them.
//!
//! [`needs`] is the one table of who may open what: the server's guard applies it to every
//! request before a page renders or a server function runs, and the navigation uses it to show
//! only the pages the signed-in person may open. The server functions check again themselves
//! ([`require`]), so a function that a page of a lesser role calls in-process cannot leak.

use domain::model::Role;
use serde::{Deserialize, Serialize};

/// A signed-in person, as their session holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// Who the identity provider says they are: `<issuer>#<sub>` (or `demo#<persona>`), the key
    /// of the audit log.
    pub subject: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The provider they signed in with (its name in the configuration, or `demo`).
    pub via: String,
    /// When they signed in (microseconds since the epoch): a session ends a fixed time after
    /// this, however active.
    pub at_us: i64,
}

impl SignedIn {
    /// How Attest's records name them: their e-mail, or the provider's subject when the
    /// provider gave none.
    pub fn actor(&self) -> String {
        if self.email.is_empty() {
            self.subject.clone()
        } else {
            self.email.clone()
        }
    }
}

/// The client's address as the server sees it: the peer, or the last hop of the header a
/// trusted proxy sets (`--client-ip-header`). The server puts it in every request's
/// extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub std::net::IpAddr);

/// The client's address of the request being answered (empty outside a request).
#[cfg(feature = "ssr")]
pub fn client_ip() -> String {
    use leptos::prelude::use_context;
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<ClientIp>()
                .map(|ip| ip.0.to_string())
        })
        .unwrap_or_default()
}

/// What the sign-in page offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninOptions {
    /// The configured identity provider's name ("Okta", "GitLab"), when there is one.
    pub provider: Option<String>,
    /// Demo mode only: the people one may sign in as without a provider.
    pub personas: Vec<Persona>,
}

/// A demo persona.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persona {
    /// What the sign-in form posts (`manager`, `auditor`, …).
    pub key: String,
    pub name: String,
    pub email: String,
    pub title: String,
    pub role: Role,
}

/// What the sign-in page says for a failure code the server sent it back with.
pub fn failure_text(code: &str) -> &'static str {
    match code {
        "no_provider" => "No identity provider is configured, so nobody can sign in here.",
        "provider" => "The identity provider could not be reached. Try again in a moment.",
        "denied" => "The identity provider did not sign you in.",
        "state" => {
            "That sign-in answer does not belong to a sign-in started in this browser, or it \
             took too long. Start again."
        }
        "code" => "The identity provider refused the sign-in code (already used, or expired).",
        "token" => "The identity provider's answer did not pass Attest's checks.",
        "email" => "The identity provider gave no verified e-mail address for you.",
        "domain" => "Your e-mail domain is not allowed to sign in to Attest.",
        "no_role" => {
            "You proved who you are, but Attest gives your account no role. Ask an Attest \
             administrator to add you."
        }
        _ => "Sign-in failed. Start again.",
    }
}

/// The nonce of the page being served: the server's security headers allow inline scripts
/// carrying it (the hydration script), and no others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspNonce(pub String);

/// What an address needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Open to anyone: the sign-in page and what it needs (styles, the wasm bundle, icons).
    Anyone,
    /// A signed-in person of at least this role.
    Role(Role),
    /// Checked by the handler itself against its own credentials: webhooks (signatures,
    /// tokens), the JSON API (bearer tokens), sign-in (the provider's answer).
    OwnCredentials,
}

/// What `path` (no query string) needs. Pages not listed need a viewer, so a new page is closed
/// until it is placed here; server functions not listed need an admin.
pub fn needs(path: &str) -> Need {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "pkg" | "favicon.svg" | "healthz" | "signin" => Need::Anyone,
        "hooks" | "api" | "auth" => Need::OwnCredentials,
        "_fn" => match path.trim_start_matches("/_fn/") {
            "get_signin_options" | "get_signed_in" => Need::Anyone,
            endpoint => Need::Role(server_fn_needs(endpoint)),
        },
        "access" | "reviews" => Need::Role(Role::Reviewer),
        "findings" | "people" | "ingest" | "audit" | "export" | "campaigns" | "reports" => {
            Need::Role(Role::Auditor)
        }
        "tokens" | "webhooks" => Need::Role(Role::Admin),
        _ => Need::Role(Role::Viewer),
    }
}

/// The role a server function (by its endpoint under `/_fn/`) needs.
pub fn server_fn_needs(endpoint: &str) -> Role {
    match endpoint {
        "list_events" | "get_event" | "get_activity_chart" => Role::Viewer,
        "get_access"
        | "get_access_graph"
        | "list_recent_grant_changes"
        | "list_my_reviews"
        | "decide_review_items"
        | "delegate_review_item" => Role::Reviewer,
        "list_findings" | "list_people" | "get_person" | "get_ingest_health" | "list_actions"
        | "list_campaigns" | "get_round" => Role::Auditor,
        // Named, though any other function needs an admin too.
        "decide_person" | "list_tokens" | "create_token" | "revoke_token" | "list_hook_secrets"
        | "create_hook_secret" | "revoke_hook_secret" | "create_campaign" | "launch_campaign"
        | "close_review_stage" => Role::Admin,
        _ => Role::Admin,
    }
}

/// Whether a person of `role` may open `path` (for links: the navigation shows no page that
/// would answer 403).
pub fn may_open(role: Role, path: &str) -> bool {
    match needs(path) {
        Need::Anyone | Need::OwnCredentials => true,
        Need::Role(needed) => role >= needed,
    }
}

/// The signed-in person of the request being served, as the server's guard found them.
#[cfg(feature = "ssr")]
pub fn signed_in() -> Option<SignedIn> {
    use leptos::prelude::use_context;
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SignedIn>().cloned())
}

/// The signed-in person, if their role is at least `role`; the error a server function returns
/// otherwise.
#[cfg(feature = "ssr")]
pub fn require(role: Role) -> Result<SignedIn, crate::error::AppError> {
    use crate::error::AppError;
    let who = signed_in().ok_or_else(|| AppError::Unauthorized("sign in first".into()))?;
    if who.role >= role {
        Ok(who)
    } else {
        Err(AppError::Forbidden(format!(
            "this needs the {} role; {} has {}",
            role.as_str(),
            who.email,
            who.role.as_str()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_need_what_the_roles_promise() {
        assert_eq!(needs("/signin"), Need::Anyone);
        assert_eq!(needs("/pkg/attest.wasm"), Need::Anyone);
        assert_eq!(needs("/hooks/github"), Need::OwnCredentials);
        assert_eq!(needs("/api/v1/events"), Need::OwnCredentials);
        assert_eq!(needs("/"), Need::Role(Role::Viewer));
        assert_eq!(needs("/events/12"), Need::Role(Role::Viewer));
        assert_eq!(needs("/access/graph"), Need::Role(Role::Reviewer));
        assert_eq!(needs("/people/a@b.c"), Need::Role(Role::Auditor));
        assert_eq!(needs("/tokens"), Need::Role(Role::Admin));
        // Unknown pages are closed to the anonymous; unknown functions to all but admins.
        assert_eq!(needs("/no-such-page"), Need::Role(Role::Viewer));
        assert_eq!(needs("/_fn/no_such_fn"), Need::Role(Role::Admin));
        assert_eq!(needs("/_fn/list_events"), Need::Role(Role::Viewer));
        assert_eq!(needs("/_fn/get_signin_options"), Need::Anyone);
        // A look-alike is not the sign-in page.
        assert_eq!(needs("/signin-x"), Need::Role(Role::Viewer));
    }

    #[test]
    fn links_follow_the_roles() {
        assert!(may_open(Role::Viewer, "/"));
        assert!(!may_open(Role::Viewer, "/access"));
        assert!(may_open(Role::Reviewer, "/access"));
        assert!(!may_open(Role::Reviewer, "/findings"));
        assert!(may_open(Role::Auditor, "/audit"));
        assert!(!may_open(Role::Auditor, "/tokens"));
        assert!(may_open(Role::Admin, "/tokens"));
    }
}
