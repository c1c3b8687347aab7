//! OpenID Connect sign-in, authorization code flow with PKCE, with any issuer that publishes a
//! discovery document (GitLab, Okta, Entra ID, Google, Keycloak…). The `oauth2` crate builds the
//! authorization request and redeems the code; the ID token is checked here: its RS256
//! signature against the issuer's published keys, issuer, audience (and `azp` when there are
//! several), expiry, and the nonce this browser's session holds.

use super::Failure;
use crate::jwks::KeySet;
use chrono::Utc;
use domain::jwt::{self, Expected};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq;
use tokio::sync::OnceCell;

/// How long a sign-in may take at the provider.
const PENDING_FOR_US: i64 = 10 * 60 * 1_000_000;
/// A discovery document or token response larger than this is not one.
const MAX_RESPONSE: usize = 256 * 1024;

/// The provider's settings, as configured.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// What the sign-in button says ("Okta", "GitLab").
    pub name: String,
    /// The issuer URL exactly as its ID tokens name it (`https://gitlab.com`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The claim holding the person's groups (`groups`; Entra ID: `groups` or `roles`).
    pub groups_claim: String,
    /// Scopes asked for besides `openid email profile`.
    pub extra_scopes: Vec<String>,
    /// Whether signing out of Attest also ends the session at the provider (OpenID Connect
    /// RP-Initiated Logout), which signs the person out of every application using it.
    pub sign_out_at_provider: bool,
}

/// The ID token's `id_token` beside the access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenFields {
    id_token: Option<String>,
}
impl ExtraTokenFields for IdTokenFields {}

type Client = oauth2::Client<
    BasicErrorResponse,
    StandardTokenResponse<IdTokenFields, BasicTokenType>,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What discovery tells: where to send people and codes, and the signing keys.
struct Discovered {
    authorization_endpoint: String,
    token_endpoint: String,
    end_session_endpoint: Option<String>,
    keys: KeySet,
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    /// RP-Initiated Logout 1.0, when the provider offers it.
    end_session_endpoint: Option<String>,
}

pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    /// Read on first use, so Attest starts (and serves tokens and webhooks) while the provider
    /// is down; a failed discovery is retried on the next sign-in.
    discovered: OnceCell<Discovered>,
}

/// A sign-in under way, kept in the server-side session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    /// Where to go once signed in (a local path).
    pub next: String,
    started_us: i64,
}

impl Pending {
    /// A sign-in started now, going on to `next`.
    pub(super) fn new(state: String, nonce: String, verifier: String, next: String) -> Pending {
        Pending {
            state,
            nonce,
            verifier,
            next,
            started_us: Utc::now().timestamp_micros(),
        }
    }

    pub(super) fn verifier(&self) -> &str {
        &self.verifier
    }

    /// Whether `returned` is this sign-in's state, and the sign-in is recent.
    pub fn state_matches(&self, returned: &str) -> bool {
        let recent = Utc::now().timestamp_micros() - self.started_us < PENDING_FOR_US;
        let same: bool = self.state.as_bytes().ct_eq(returned.as_bytes()).into();
        recent && same
    }
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `<issuer>#<sub>`.
    pub subject: String,
    pub email: String,
    pub name: String,
    pub groups: Vec<String>,
    /// The ID token itself, for the provider's sign-out (`id_token_hint`).
    pub id_token: String,
}

impl Oidc {
    pub fn new(config: OidcConfig) -> Result<Oidc, String> {
        let http = reqwest::Client::builder()
            // A provider never needs redirects followed by its relying party; following them
            // would let a compromised endpoint point Attest's requests anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|err| format!("cannot build an HTTP client: {err}"))?;
        Ok(Oidc {
            config,
            http,
            discovered: OnceCell::new(),
        })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    async fn discovered(&self) -> Result<&Discovered, String> {
        self.discovered
            .get_or_try_init(|| async {
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    self.config.issuer.trim_end_matches('/')
                );
                let response = self
                    .http
                    .get(&url)
                    .send()
                    .await
                    .map_err(|err| format!("cannot fetch {url}: {err}"))?;
                if !response.status().is_success() {
                    return Err(format!("{url} answered {}", response.status()));
                }
                let body = response
                    .bytes()
                    .await
                    .map_err(|err| format!("cannot read {url}: {err}"))?;
                if body.len() > MAX_RESPONSE {
                    return Err(format!("{url} is larger than {MAX_RESPONSE} bytes"));
                }
                let doc: DiscoveryDocument = serde_json::from_slice(&body)
                    .map_err(|err| format!("{url} is not a discovery document: {err}"))?;
                // OpenID Connect Discovery §4.3: the document must name the issuer it was
                // fetched for, or its keys could be another issuer's.
                if doc.issuer != self.config.issuer {
                    return Err(format!(
                        "{url} names issuer {:?}, not the configured {:?}",
                        doc.issuer, self.config.issuer
                    ));
                }
                Ok(Discovered {
                    authorization_endpoint: doc.authorization_endpoint,
                    token_endpoint: doc.token_endpoint,
                    end_session_endpoint: doc.end_session_endpoint,
                    keys: KeySet::new(doc.jwks_uri)?,
                })
            })
            .await
    }

    fn client(&self, discovered: &Discovered, redirect_uri: &str) -> Result<Client, String> {
        Ok(
            oauth2::Client::new(ClientId::new(self.config.client_id.clone()))
                .set_client_secret(ClientSecret::new(self.config.client_secret.clone()))
                .set_auth_uri(
                    AuthUrl::new(discovered.authorization_endpoint.clone())
                        .map_err(|err| format!("authorization endpoint: {err}"))?,
                )
                .set_token_uri(
                    TokenUrl::new(discovered.token_endpoint.clone())
                        .map_err(|err| format!("token endpoint: {err}"))?,
                )
                .set_redirect_uri(
                    RedirectUrl::new(redirect_uri.to_owned())
                        .map_err(|err| format!("redirect URI {redirect_uri:?}: {err}"))?,
                ),
        )
    }

    /// The provider's authorization URL for a new sign-in, and what the session must keep.
    pub async fn start(
        &self,
        redirect_uri: &str,
        next: String,
    ) -> Result<(oauth2::url::Url, Pending), String> {
        let discovered = self.discovered().await?;
        let client = self.client(discovered, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = super::random_token(24);
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .add_extra_param("nonce", nonce.clone())
            .set_pkce_challenge(challenge);
        for scope in &self.config.extra_scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state) = request.url();
        Ok((
            url,
            Pending {
                state: state.secret().clone(),
                nonce,
                verifier: verifier.secret().clone(),
                next,
                started_us: Utc::now().timestamp_micros(),
            },
        ))
    }

    /// Redeems `code` and checks the ID token against `pending`: who signed in, or why not.
    pub async fn finish(
        &self,
        redirect_uri: &str,
        code: &str,
        pending: &Pending,
    ) -> Result<Identity, (Failure, String)> {
        let discovered = self
            .discovered()
            .await
            .map_err(|err| (Failure::Provider, err))?;
        let client = self
            .client(discovered, redirect_uri)
            .map_err(|err| (Failure::Provider, err))?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|err| match err {
                RequestTokenError::ServerResponse(refused) => (
                    Failure::Code,
                    format!("the provider refused the code: {refused}"),
                ),
                other => (
                    Failure::Provider,
                    format!("cannot redeem the code at the provider: {other}"),
                ),
            })?;
        let id_token = response
            .extra_fields()
            .id_token
            .as_deref()
            .ok_or((Failure::Token, "the provider sent no ID token".to_owned()))?;
        let claims = self
            .verify_id_token(discovered, id_token, &pending.nonce)
            .await
            .map_err(|err| (Failure::Token, err))?;
        let mut identity = self.identity(&claims)?;
        identity.id_token = id_token.to_owned();
        Ok(identity)
    }

    /// Whether signing out here also signs out at the provider.
    pub fn signs_out_at_provider(&self) -> bool {
        self.config.sign_out_at_provider
    }

    /// The origin (`https://host[:port]`) of the provider's end-session endpoint, once
    /// discovery has found one; the issuer's until then.
    pub fn end_session_origin(&self) -> Option<String> {
        let url = match self
            .discovered
            .get()
            .and_then(|d| d.end_session_endpoint.as_deref())
        {
            Some(endpoint) => endpoint,
            None => self.config.issuer.as_str(),
        };
        let url = oauth2::url::Url::parse(url).ok()?;
        let origin = url.origin();
        origin.is_tuple().then(|| origin.ascii_serialization())
    }

    /// Where to send a browser to end its session at the provider (RP-Initiated Logout 1.0
    /// §2), coming back to `back`; `None` when the provider has no end-session endpoint or
    /// cannot be reached (the person is then signed out of Attest only).
    pub async fn end_session_url(&self, id_token: &str, back: &str) -> Option<oauth2::url::Url> {
        let discovered = match self.discovered().await {
            Ok(discovered) => discovered,
            Err(err) => {
                tracing::warn!(%err, "cannot sign out at the provider");
                return None;
            }
        };
        let endpoint = discovered.end_session_endpoint.as_deref()?;
        let mut url = match oauth2::url::Url::parse(endpoint) {
            Ok(url) => url,
            Err(err) => {
                tracing::warn!(%err, endpoint, "the provider's end_session_endpoint is not a URL");
                return None;
            }
        };
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &self.config.client_id)
            .append_pair("post_logout_redirect_uri", back);
        Some(url)
    }

    /// The claims of `id_token` if it is this issuer's, for this client, current, and carries
    /// `nonce`.
    async fn verify_id_token(
        &self,
        discovered: &Discovered,
        id_token: &str,
        nonce: &str,
    ) -> Result<Value, String> {
        let kid = jwt::decode(id_token).map_err(|err| err.to_string())?.kid;
        let keys = discovered.keys.keys_for(kid.as_deref()).await?;
        let expected = Expected {
            issuers: vec![self.config.issuer.clone()],
            audience: self.config.client_id.clone(),
            leeway: chrono::Duration::seconds(60),
        };
        let claims =
            jwt::verify(id_token, &keys, &expected, Utc::now()).map_err(|e| e.to_string())?;
        check_id_claims(&claims, &self.config.client_id, nonce)?;
        Ok(claims)
    }

    /// The claims of `id_token` if it passes every check [`Oidc::finish`] makes of the ID token
    /// it redeems (signature, issuer, audience, expiry, `nonce`). For checking tokens obtained
    /// elsewhere: the tests give it a real token issued to another client.
    pub async fn check_id_token(&self, id_token: &str, nonce: &str) -> Result<Value, String> {
        let discovered = self.discovered().await?;
        self.verify_id_token(discovered, id_token, nonce).await
    }

    fn identity(&self, claims: &Value) -> Result<Identity, (Failure, String)> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
        let sub = text("sub");
        if sub.is_empty() {
            return Err((Failure::Token, "the ID token has no sub".to_owned()));
        }
        let email = text("email").trim().to_lowercase();
        // A provider that says the address is unverified is not vouching for it; one that
        // says nothing (Entra ID) is giving its directory's address.
        let unverified = claims.get("email_verified").is_some_and(|v| {
            v == &Value::Bool(false) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false"))
        });
        if email.is_empty() || !email.contains('@') || unverified {
            return Err((
                Failure::Email,
                format!("the provider gave no verified e-mail for {sub}"),
            ));
        }
        let groups = match claims.get(&self.config.groups_claim) {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        let name = match text("name") {
            "" => email.clone(),
            name => name.to_owned(),
        };
        Ok(Identity {
            subject: format!("{}#{sub}", self.config.issuer),
            email,
            name,
            groups,
            id_token: String::new(),
        })
    }
}

/// The checks OpenID Connect Core §3.1.3.7 adds to a JWT's: the nonce this sign-in sent, and
/// `azp` naming this client when the token has several audiences.
fn check_id_claims(claims: &Value, client_id: &str, nonce: &str) -> Result<(), String> {
    let sent: bool = claims
        .get("nonce")
        .and_then(Value::as_str)
        .is_some_and(|n| n.as_bytes().ct_eq(nonce.as_bytes()).into());
    if !sent {
        return Err("the ID token's nonce is not this sign-in's".to_owned());
    }
    if let Some(Value::Array(audiences)) = claims.get("aud") {
        if audiences.len() > 1 && claims.get("azp").and_then(Value::as_str) != Some(client_id) {
            return Err(
                "the ID token has several audiences and is not authorized for this client"
                    .to_owned(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_nonce_and_authorized_party_are_checked() {
        let ok = json!({"nonce": "n1", "aud": "attest"});
        assert!(check_id_claims(&ok, "attest", "n1").is_ok());
        assert!(check_id_claims(&ok, "attest", "n2").is_err());
        assert!(check_id_claims(&json!({"aud": "attest"}), "attest", "n1").is_err());
        let several = json!({"nonce": "n1", "aud": ["attest", "other"]});
        assert!(check_id_claims(&several, "attest", "n1").is_err());
        let authorized = json!({"nonce": "n1", "aud": ["attest", "other"], "azp": "attest"});
        assert!(check_id_claims(&authorized, "attest", "n1").is_ok());
    }
}
