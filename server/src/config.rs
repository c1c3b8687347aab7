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

    /// Minutes between the ledger's checkpoints (with `--ledger-key-file`).
    #[arg(long, env = "ATTEST_LEDGER_CHECKPOINT_MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub ledger_checkpoint_minutes: u64,

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
