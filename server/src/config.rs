//! Settings shared by every subcommand, from flags or `ATTEST_*` environment variables.

use clap::Args;
use domain::signature::Secrets;
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
}

impl ServeArgs {
    pub fn github_secrets(&self) -> Secrets {
        Secrets::from_comma_separated(&self.github_webhook_secret)
    }
}
