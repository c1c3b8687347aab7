//! Settings shared by every subcommand, from flags or `ATTEST_*` environment variables.

use clap::Args;
use domain::signature::{HookSecrets, Secrets};
use std::path::PathBuf;

/// The embedded default: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://attest.db";

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` (created if missing) or `postgres://…`.
    #[arg(long, env = "ATTEST_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ATTEST_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: String,

    /// The ledger's signing key (the file `attest ledger key` wrote). With it, `serve` signs a
    /// checkpoint of the ledger at start and then every `--ledger-checkpoint-minutes` while
    /// the ledger grows.
    #[arg(long, env = "ATTEST_LEDGER_KEY_FILE", value_name = "FILE")]
    pub ledger_key_file: Option<PathBuf>,

    /// The key webhook secrets made in Attest are derived from (the file `attest hook-secret
    /// key` wrote). Without it, only the settings' webhook secrets are used.
    #[arg(long, env = "ATTEST_SECRETS_KEY_FILE", value_name = "FILE")]
    pub secrets_key_file: Option<PathBuf>,

    /// Days a revoke decided in an access review may stay undone at its source before its
    /// remediation is reported failed.
    #[arg(long, env = "ATTEST_REVIEW_GRACE_DAYS", default_value_t = crate::cli::REVIEW_GRACE_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub review_grace_days: u32,

    /// SMTP server for access-review notifications: `smtp://host:25` (plain),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS), `smtps://host:465`.
    #[arg(
        long,
        env = "ATTEST_SMTP_URL",
        default_value = "",
        hide_env_values = true
    )]
    pub smtp_url: String,

    /// The sender of notification e-mails.
    #[arg(
        long,
        env = "ATTEST_SMTP_FROM",
        default_value = "Attest <attest@localhost>"
    )]
    pub smtp_from: String,

    /// A Slack-compatible incoming-webhook URL that gets every notification digest too.
    #[arg(
        long,
        env = "ATTEST_SLACK_WEBHOOK_URL",
        default_value = "",
        hide_env_values = true
    )]
    pub slack_webhook_url: String,

    /// A URL that gets each access-review remediation task as it opens (a JSON POST per
    /// revoke, `X-Attest-Event: remediation.opened`), for a ticket system or automation.
    #[arg(
        long,
        env = "ATTEST_REMEDIATION_WEBHOOK_URL",
        default_value = "",
        hide_env_values = true
    )]
    pub remediation_webhook_url: String,

    /// Signs those posts: `X-Attest-Signature-256: sha256=<HMAC-SHA256 of the body>`.
    #[arg(
        long,
        env = "ATTEST_REMEDIATION_WEBHOOK_SECRET",
        default_value = "",
        hide_env_values = true
    )]
    pub remediation_webhook_secret: String,

    /// Minutes between the ledger's checkpoints (with `--ledger-key-file`).
    #[arg(long, env = "ATTEST_LEDGER_CHECKPOINT_MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub ledger_checkpoint_minutes: u64,

    /// The URL people reach Attest at (`https://attest.example.com`), when it is not
    /// `http://<listen address>`: sign-in callbacks are built on it, writes must come from it,
    /// and with `https://` cookies are Secure and HSTS is sent.
    #[arg(long, env = "ATTEST_PUBLIC_URL", default_value = "")]
    pub public_url: String,

    /// OpenID Connect issuer to sign in with (`https://gitlab.com`, an Okta or Keycloak realm
    /// URL, `https://login.microsoftonline.com/<tenant>/v2.0`, `https://accounts.google.com`);
    /// its discovery document is read from `<issuer>/.well-known/openid-configuration`.
    #[arg(long, env = "ATTEST_OIDC_ISSUER", default_value = "")]
    pub oidc_issuer: String,

    /// The client id Attest is registered under at the issuer.
    #[arg(long, env = "ATTEST_OIDC_CLIENT_ID", default_value = "")]
    pub oidc_client_id: String,

    /// The client secret (the redirect URI to register is `<public URL>/auth/callback`).
    #[arg(
        long,
        env = "ATTEST_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        default_value = ""
    )]
    pub oidc_client_secret: String,

    /// What the sign-in button calls the provider.
    #[arg(long, env = "ATTEST_OIDC_NAME", default_value = "single sign-on")]
    pub oidc_name: String,

    /// Scopes to ask for besides `openid email profile`, comma-separated (`groups` for
    /// Keycloak and Okta group claims).
    #[arg(long, env = "ATTEST_OIDC_SCOPES", default_value = "")]
    pub oidc_scopes: String,

    /// Signing out of Attest also ends the session at the provider (OpenID Connect
    /// RP-Initiated Logout), which signs the person out of every application that uses it.
    /// Register `<public URL>/signin?signed_out=1` as a post-logout redirect URI there.
    #[arg(
        long,
        env = "ATTEST_OIDC_SIGN_OUT_AT_PROVIDER",
        default_value_t = false
    )]
    pub oidc_sign_out_at_provider: bool,

    /// Sign in with GitHub instead of an OpenID issuer: the OAuth app's client id (register
    /// `<public URL>/auth/callback` as its callback URL). Groups for ATTEST_ROLES are the
    /// person's teams as `org/team-slug`, and their organizations.
    #[arg(long, env = "ATTEST_GITHUB_CLIENT_ID", default_value = "")]
    pub github_client_id: String,

    /// The GitHub OAuth app's client secret.
    #[arg(
        long,
        env = "ATTEST_GITHUB_CLIENT_SECRET",
        hide_env_values = true,
        default_value = ""
    )]
    pub github_client_secret: String,

    /// GitHub's URL: `https://github.com`, or a GitHub Enterprise Server's.
    #[arg(long, env = "ATTEST_GITHUB_URL", default_value = "https://github.com")]
    pub github_url: String,

    /// GitHub's REST API (default: api.github.com for github.com, `<URL>/api/v3` otherwise).
    #[arg(long, env = "ATTEST_GITHUB_API_URL", default_value = "")]
    pub github_api_url: String,

    /// The ID token claim that lists a person's groups.
    #[arg(long, env = "ATTEST_OIDC_GROUPS_CLAIM", default_value = "groups")]
    pub oidc_groups_claim: String,

    /// Who gets which role: `role:kind:value` items, comma-separated; kinds `email`, `domain`,
    /// `group` (e.g. `admin:group:attest-admins,auditor:email:bob@example.com,
    /// viewer:domain:example.com`). Roles: viewer, reviewer, auditor, admin. A person no rule
    /// matches cannot sign in.
    #[arg(long, env = "ATTEST_ROLES", default_value = "")]
    pub roles: String,

    /// E-mail domains allowed to sign in at all, comma-separated (empty: any a rule admits).
    #[arg(long, env = "ATTEST_ALLOWED_EMAIL_DOMAINS", default_value = "")]
    pub allowed_email_domains: String,

    /// Minutes without a request after which a session ends.
    #[arg(long, env = "ATTEST_SESSION_IDLE_MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub session_idle_minutes: u64,

    /// Hours after sign-in after which a session ends, however active.
    #[arg(long, env = "ATTEST_SESSION_MAX_HOURS", default_value_t = 12,
          value_parser = clap::value_parser!(u64).range(1..=720))]
    pub session_max_hours: u64,

    /// Requests per minute one client may make to the sign-in endpoints (0: no limit).
    #[arg(long, env = "ATTEST_SIGNIN_RATE_LIMIT", default_value_t = 30)]
    pub signin_rate_limit: u32,

    /// Requests per minute one client may make to the webhook endpoints (0: no limit).
    #[arg(long, env = "ATTEST_HOOK_RATE_LIMIT", default_value_t = 6_000)]
    pub hook_rate_limit: u32,

    /// The header a trusted reverse proxy puts the client's address in (`X-Forwarded-For`):
    /// its last address is used for rate limits and the audit log. Unset, the peer's address.
    #[arg(long, env = "ATTEST_CLIENT_IP_HEADER", default_value = "")]
    pub client_ip_header: String,

    /// Folder with the built front end (`pkg/` with the wasm bundle and CSS), as cargo-leptos
    /// writes it.
    #[arg(long, env = "ATTEST_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Secrets GitHub signs webhooks with, comma-separated (two during a rotation).
    #[arg(
        long,
        env = "ATTEST_GITHUB_WEBHOOK_SECRET",
        hide_env_values = true,
        default_value = ""
    )]
    pub github_webhook_secret: String,

    /// Secret tokens GitLab sends as `X-Gitlab-Token`, comma-separated.
    #[arg(
        long,
        env = "ATTEST_GITLAB_WEBHOOK_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub gitlab_webhook_token: String,

    /// API keys the EventBridge connection sends (`X-Api-Key`), comma-separated.
    #[arg(
        long,
        env = "ATTEST_AWS_WEBHOOK_KEY",
        hide_env_values = true,
        default_value = ""
    )]
    pub aws_webhook_key: String,

    /// Tokens of the Pub/Sub push subscription (`?token=` or `Authorization: Bearer`),
    /// comma-separated.
    #[arg(
        long,
        env = "ATTEST_GCP_WEBHOOK_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub gcp_webhook_token: String,

    /// The audience of the Pub/Sub push subscription's OIDC tokens (what `gcloud pubsub
    /// subscriptions create --push-auth-token-audience` was given, else the push URL). Set, it
    /// lets `/hooks/gcp` accept Google-signed tokens; it needs `--gcp-push-service-account`.
    #[arg(long, env = "ATTEST_GCP_PUSH_AUDIENCE", default_value = "")]
    pub gcp_push_audience: String,

    /// The service accounts the push subscription signs its tokens as
    /// (`--push-auth-service-account`), comma-separated.
    #[arg(long, env = "ATTEST_GCP_PUSH_SERVICE_ACCOUNT", default_value = "")]
    pub gcp_push_service_account: String,

    /// Where the keys that sign Pub/Sub push tokens are published.
    #[arg(long, env = "ATTEST_GCP_JWKS_URL", default_value = domain::webhook::GOOGLE_JWKS_URL)]
    pub gcp_jwks_url: String,

    /// Keys Event Grid sends (`?key=`, `X-Attest-Key` or `Authorization: Bearer`),
    /// comma-separated.
    #[arg(
        long,
        env = "ATTEST_AZURE_WEBHOOK_KEY",
        hide_env_values = true,
        default_value = ""
    )]
    pub azure_webhook_key: String,

    /// The `Authorization` header values Okta sends with Event Hooks, comma-separated.
    #[arg(
        long,
        env = "ATTEST_OKTA_WEBHOOK_SECRET",
        hide_env_values = true,
        default_value = ""
    )]
    pub okta_webhook_secret: String,

    /// HCP Terraform notification tokens (HMAC-SHA512 keys), comma-separated.
    #[arg(
        long,
        env = "ATTEST_TERRAFORM_WEBHOOK_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub terraform_webhook_token: String,
}

impl ServeArgs {
    pub fn github_secrets(&self) -> Secrets {
        Secrets::from_comma_separated(&self.github_webhook_secret)
    }

    /// How `/hooks/gcp` checks Pub/Sub's OIDC tokens, when an audience is set: an error when
    /// the setting is incomplete, since an audience alone admits any Google account's tokens.
    pub fn gcp_push_oidc(&self) -> anyhow::Result<Option<crate::jwks::PubsubOidc>> {
        let audience = self.gcp_push_audience.trim();
        let accounts: Vec<String> = self
            .gcp_push_service_account
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect();
        match (audience.is_empty(), accounts.is_empty()) {
            (true, true) => Ok(None),
            (true, false) => anyhow::bail!(
                "ATTEST_GCP_PUSH_SERVICE_ACCOUNT is set but ATTEST_GCP_PUSH_AUDIENCE is not: \
                 set the audience the push subscription's tokens carry"
            ),
            (false, true) => anyhow::bail!(
                "ATTEST_GCP_PUSH_AUDIENCE is set but ATTEST_GCP_PUSH_SERVICE_ACCOUNT is not: \
                 without it any Google account's push subscription could deliver here"
            ),
            (false, false) => {
                let keys =
                    crate::jwks::KeySet::new(&self.gcp_jwks_url).map_err(anyhow::Error::msg)?;
                Ok(Some(crate::jwks::PubsubOidc::new(keys, audience, accounts)))
            }
        }
    }

    /// Sign-in and sessions as configured (no demo personas: `attest demo` adds them).
    pub fn auth(&self) -> anyhow::Result<crate::auth::Auth> {
        use crate::auth::github::{Github, GithubConfig};
        use crate::auth::{limits::RateLimit, oidc, roles::RoleRules, Auth, Provider};
        let public = self.public_url.trim().trim_end_matches('/');
        let public_origin = if public.is_empty() {
            None
        } else {
            let (scheme, rest) = public.split_once("://").ok_or_else(|| {
                anyhow::anyhow!("ATTEST_PUBLIC_URL {public:?} is not a URL like https://host")
            })?;
            if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains('/') {
                anyhow::bail!(
                    "ATTEST_PUBLIC_URL {public:?} must be http(s)://host[:port], without a path"
                );
            }
            Some(public.to_owned())
        };
        let secure_cookies = public.starts_with("https://");
        let rules = RoleRules::parse(&self.roles, &self.allowed_email_domains)
            .map_err(anyhow::Error::msg)?;
        let issuer = self.oidc_issuer.trim();
        let github_id = self.github_client_id.trim();
        let setting = match (issuer.is_empty(), github_id.is_empty()) {
            (true, true) => None,
            (false, false) => anyhow::bail!(
                "ATTEST_OIDC_ISSUER and ATTEST_GITHUB_CLIENT_ID are both set: Attest signs people \
                 in with one provider; unset one of them"
            ),
            (false, true) => {
                if self.oidc_client_id.trim().is_empty() || self.oidc_client_secret.is_empty() {
                    anyhow::bail!(
                        "ATTEST_OIDC_ISSUER is set: ATTEST_OIDC_CLIENT_ID and \
                         ATTEST_OIDC_CLIENT_SECRET are needed too"
                    );
                }
                Some("ATTEST_OIDC_ISSUER")
            }
            (true, false) => {
                if self.github_client_secret.is_empty() {
                    anyhow::bail!(
                        "ATTEST_GITHUB_CLIENT_ID is set: ATTEST_GITHUB_CLIENT_SECRET is needed too"
                    );
                }
                Some("ATTEST_GITHUB_CLIENT_ID")
            }
        };
        if let Some(setting) = setting {
            // Without a public URL the callback is `http://<listen address>`: on every
            // interface that names no host a browser could come back to.
            let listen_anywhere = self
                .listen
                .parse::<std::net::SocketAddr>()
                .is_ok_and(|addr| addr.ip().is_unspecified());
            if public_origin.is_none() && listen_anywhere {
                anyhow::bail!(
                    "ATTEST_PUBLIC_URL is needed with {setting} when listening on {}: \
                     the provider sends people back to <public URL>/auth/callback \
                     (e.g. ATTEST_PUBLIC_URL=https://attest.example.com)",
                    self.listen
                );
            }
            if rules.is_empty() {
                anyhow::bail!(
                    "{setting} is set but ATTEST_ROLES is empty: nobody could sign in \
                     (e.g. ATTEST_ROLES=admin:email:you@example.com)"
                );
            }
        }
        let provider = if !issuer.is_empty() {
            Some(Provider::Oidc(Box::new(
                oidc::Oidc::new(oidc::OidcConfig {
                    name: self.oidc_name.trim().to_owned(),
                    issuer: issuer.to_owned(),
                    client_id: self.oidc_client_id.trim().to_owned(),
                    client_secret: self.oidc_client_secret.clone(),
                    groups_claim: self.oidc_groups_claim.trim().to_owned(),
                    extra_scopes: self
                        .oidc_scopes
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    sign_out_at_provider: self.oidc_sign_out_at_provider,
                })
                .map_err(anyhow::Error::msg)?,
            )))
        } else if !github_id.is_empty() {
            let web_url = self.github_url.trim().trim_end_matches('/').to_owned();
            if !(web_url.starts_with("https://") || web_url.starts_with("http://")) {
                anyhow::bail!("ATTEST_GITHUB_URL {web_url:?} must be an http(s) URL");
            }
            let api_url = match self.github_api_url.trim() {
                "" => GithubConfig::api_url_for(&web_url),
                url => url.trim_end_matches('/').to_owned(),
            };
            Some(Provider::Github(
                Github::new(GithubConfig {
                    name: "GitHub".to_owned(),
                    web_url,
                    api_url,
                    client_id: github_id.to_owned(),
                    client_secret: self.github_client_secret.clone(),
                })
                .map_err(anyhow::Error::msg)?,
            ))
        } else {
            None
        };
        let client_ip_header = match self.client_ip_header.trim() {
            "" => None,
            name => Some(name.parse().map_err(|_| {
                anyhow::anyhow!("ATTEST_CLIENT_IP_HEADER {name:?} is not a header name")
            })?),
        };
        Ok(Auth {
            public_origin,
            secure_cookies,
            provider,
            rules,
            personas: Vec::new(),
            idle: std::time::Duration::from_secs(self.session_idle_minutes * 60),
            absolute: std::time::Duration::from_secs(self.session_max_hours * 3600),
            signin_limit: RateLimit::per_minute(self.signin_rate_limit),
            hook_limit: RateLimit::per_minute(self.hook_rate_limit),
            client_ip_header,
        })
    }

    /// The secrets of every push endpoint; an empty one means that endpoint answers 503.
    pub fn hook_secrets(&self) -> HookSecrets {
        HookSecrets {
            github: self.github_secrets(),
            gitlab: Secrets::from_comma_separated(&self.gitlab_webhook_token),
            aws: Secrets::from_comma_separated(&self.aws_webhook_key),
            gcp: Secrets::from_comma_separated(&self.gcp_webhook_token),
            azure: Secrets::from_comma_separated(&self.azure_webhook_key),
            okta: Secrets::from_comma_separated(&self.okta_webhook_secret),
            terraform: Secrets::from_comma_separated(&self.terraform_webhook_token),
        }
    }
}
