//! Sign-in with GitHub (github.com or GitHub Enterprise Server). GitHub's OAuth apps speak
//! OAuth 2.0, not OpenID Connect: there is no ID token. The authorization code flow runs as for
//! OpenID Connect (state and PKCE verifier in the server-side session); who signed in then
//! comes from GitHub's REST API, asked with the access token just issued:
//! - `GET /user`: the numeric id (stable across renames), login and name;
//! - `GET /user/emails`: the primary address, which must be verified;
//! - `GET /user/teams`: every team as `org/team-slug`, and each team's `org`, as the groups the
//!   role rules match (`admin:group:acme/platform-admins`).
//!
//! Scopes asked for: `read:user user:email read:org`. The access token is used for these three
//! reads only and is not kept.

use super::oidc::{Identity, Pending};
use super::Failure;
use oauth2::basic::{BasicClient, BasicErrorResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// A GitHub API answer larger than this is not one of the three asked for.
const MAX_RESPONSE: usize = 1024 * 1024;
/// Teams read at most (100 a page).
const MAX_TEAM_PAGES: u32 = 10;

/// GitHub as configured.
#[derive(Debug, Clone)]
pub struct GithubConfig {
    /// What the sign-in button says ("GitHub").
    pub name: String,
    /// Where people sign in: `https://github.com`, or a GitHub Enterprise Server's URL.
    pub web_url: String,
    /// Its REST API: `https://api.github.com`, or `<server>/api/v3`.
    pub api_url: String,
    pub client_id: String,
    pub client_secret: String,
}

impl GithubConfig {
    /// The REST API of the GitHub at `web_url`: api.github.com for github.com, `/api/v3` on a
    /// GitHub Enterprise Server.
    pub fn api_url_for(web_url: &str) -> String {
        let web = web_url.trim_end_matches('/');
        if web == "https://github.com" {
            "https://api.github.com".to_owned()
        } else {
            format!("{web}/api/v3")
        }
    }
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

pub struct Github {
    config: GithubConfig,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    primary: bool,
    verified: bool,
}

#[derive(Deserialize)]
struct Team {
    slug: String,
    organization: Org,
}

#[derive(Deserialize)]
struct Org {
    login: String,
}

impl Github {
    pub fn new(config: GithubConfig) -> Result<Github, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            // GitHub's API refuses requests without a User-Agent.
            .user_agent(concat!("attest/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| format!("cannot build an HTTP client: {err}"))?;
        Ok(Github { config, http })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    fn client(&self, redirect_uri: &str) -> Result<Client, String> {
        let web = self.config.web_url.trim_end_matches('/');
        Ok(
            BasicClient::new(ClientId::new(self.config.client_id.clone()))
                .set_client_secret(ClientSecret::new(self.config.client_secret.clone()))
                // GitHub takes the client's credentials in the form, not in Basic authentication.
                .set_auth_type(AuthType::RequestBody)
                .set_auth_uri(
                    AuthUrl::new(format!("{web}/login/oauth/authorize"))
                        .map_err(|err| format!("GitHub URL: {err}"))?,
                )
                .set_token_uri(
                    TokenUrl::new(format!("{web}/login/oauth/access_token"))
                        .map_err(|err| format!("GitHub URL: {err}"))?,
                )
                .set_redirect_uri(
                    RedirectUrl::new(redirect_uri.to_owned())
                        .map_err(|err| format!("redirect URI {redirect_uri:?}: {err}"))?,
                ),
        )
    }

    /// GitHub's authorization URL for a new sign-in, and what the session must keep.
    pub fn start(
        &self,
        redirect_uri: &str,
        next: String,
    ) -> Result<(oauth2::url::Url, Pending), String> {
        let client = self.client(redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("read:user".into()))
            .add_scope(Scope::new("user:email".into()))
            .add_scope(Scope::new("read:org".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url,
            Pending::new(
                state.secret().clone(),
                String::new(),
                verifier.secret().clone(),
                next,
            ),
        ))
    }

    /// Redeems `code` and asks GitHub who it was issued for.
    pub async fn finish(
        &self,
        redirect_uri: &str,
        code: &str,
        pending: &Pending,
    ) -> Result<Identity, (Failure, String)> {
        let client = self
            .client(redirect_uri)
            .map_err(|err| (Failure::Provider, err))?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier().to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|err| {
                // GitHub answers a refused code with 200 and an error object, which the
                // `oauth2` crate reports as a token response it cannot parse.
                let refused = match &err {
                    RequestTokenError::ServerResponse(refused) => Some(refused.to_string()),
                    RequestTokenError::Parse(_, body) => {
                        serde_json::from_slice::<BasicErrorResponse>(body)
                            .ok()
                            .map(|refused| refused.to_string())
                    }
                    _ => None,
                };
                match refused {
                    Some(refused) => (Failure::Code, format!("GitHub refused the code: {refused}")),
                    None => (
                        Failure::Provider,
                        format!("cannot redeem the code at GitHub: {err}"),
                    ),
                }
            })?;
        let token = response.access_token().secret();
        let provider = |err: String| (Failure::Provider, err);
        let user: User = self.api(token, "/user").await.map_err(provider)?;
        let emails: Vec<Email> = self.api(token, "/user/emails").await.map_err(provider)?;
        let email = emails
            .iter()
            .find(|e| e.primary && e.verified)
            .map(|e| e.email.trim().to_lowercase())
            .filter(|e| e.contains('@'))
            .ok_or_else(|| {
                (
                    Failure::Email,
                    format!(
                        "GitHub gave no verified primary e-mail for {} (#{})",
                        user.login, user.id
                    ),
                )
            })?;
        let mut groups = Vec::new();
        for page in 1..=MAX_TEAM_PAGES {
            let teams: Vec<Team> = self
                .api(token, &format!("/user/teams?per_page=100&page={page}"))
                .await
                .map_err(provider)?;
            let last = teams.len() < 100;
            for team in teams {
                let org = team.organization.login.to_lowercase();
                groups.push(format!("{org}/{}", team.slug.to_lowercase()));
                groups.push(org);
            }
            if last {
                break;
            }
        }
        groups.sort();
        groups.dedup();
        Ok(Identity {
            subject: format!("{}#{}", self.config.web_url.trim_end_matches('/'), user.id),
            name: user
                .name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| user.login.clone()),
            email,
            groups,
            id_token: String::new(),
        })
    }

    /// `GET <api><path>` with the access token, as JSON.
    async fn api<T: DeserializeOwned>(&self, token: &str, path: &str) -> Result<T, String> {
        let url = format!("{}{path}", self.config.api_url.trim_end_matches('/'));
        let response = self
            .http
            .get(&url)
            .bearer_auth(token)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
            .await
            .map_err(|err| format!("cannot reach {url}: {err}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|err| format!("cannot read {url}: {err}"))?;
        if body.len() > MAX_RESPONSE {
            return Err(format!("{url} answered more than {MAX_RESPONSE} bytes"));
        }
        if !status.is_success() {
            let said = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            return Err(format!("{url} answered {status}: {said}"));
        }
        serde_json::from_slice(&body)
            .map_err(|err| format!("{url} answered unexpected JSON: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_of_github_com_and_of_an_enterprise_server() {
        assert_eq!(
            GithubConfig::api_url_for("https://github.com/"),
            "https://api.github.com"
        );
        assert_eq!(
            GithubConfig::api_url_for("https://ghe.example.com"),
            "https://ghe.example.com/api/v3"
        );
    }
}
