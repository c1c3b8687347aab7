//! The `attest` command line: one subcommand per job, each with `--help`.

mod demo;
mod hook_secret;
pub use demo::load as demo_load;
pub use review::DEFAULT_GRACE_DAYS as REVIEW_GRACE_DAYS;
mod import;
mod ledger;
mod people;
mod review;
mod token;

use crate::config::{DatabaseArgs, ServeArgs};
use crate::routes::{router, AppState};
use anyhow::Context;
use clap::{Parser, Subcommand};
use domain::store::{redact, Store};
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "attest",
    version,
    about = "Access reviews and audit history over infrastructure access"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard, the webhooks and the API.
    Serve(ServeArgs),
    /// Load a synthetic organisation's activity through the real ingest code, then serve it
    /// (loopback only).
    Demo(demo::DemoArgs),
    /// Import files: `attest import cloudtrail PATH...`.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Re-run the normalizers over stored deliveries (after a parser fix); never duplicates.
    Reprocess {
        /// Only deliveries that are not normalized yet (failed or pending).
        #[arg(long)]
        failed_only: bool,
    },
    /// Access-review campaigns: define, list, launch, close a stage, verify revokes.
    #[command(subcommand)]
    Campaign(review::CampaignCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Manage webhook secrets made in Attest (beside those in the settings).
    #[command(subcommand)]
    HookSecret(hook_secret::HookSecretCommand),
    /// Who is who, corrected by hand: link or unlink accounts, merge or split people.
    #[command(subcommand)]
    People(people::PeopleCommand),
    /// Check the ledger: recompute the hash chain and every recorded delivery, and check the
    /// signed checkpoints; names each entry or record that changed. Exit code 1 if any did.
    Verify(ledger::VerifyArgs),
    /// The ledger's signing key and checkpoints.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Apply database migrations and exit (`serve` applies them too).
    Migrate,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let store = open(&cli.database.database_url).await?;
    let code = match cli.command {
        Command::Serve(args) => {
            serve(store.clone(), &args).await?;
            ExitCode::SUCCESS
        }
        Command::Demo(args) => demo::run(store.clone(), args).await?,
        Command::Import(command) => import::run(&store, command).await?,
        Command::Campaign(command) => review::run(&store, command).await?,
        Command::Reprocess { failed_only } => {
            let tally = domain::ingest::reprocess(&store, failed_only).await?;
            println!(
                "reprocessed {} deliveries: {} events, {} grant changes, {} snapshot grants, \
                 {} could not be normalized, {} ignored",
                tally.records,
                tally.events,
                tally.grant_changes,
                tally.snapshot_grants,
                tally.failed,
                tally.ignored
            );
            ExitCode::SUCCESS
        }
        Command::Token(command) => token::run(&store, command).await?,
        Command::HookSecret(command) => hook_secret::run(&store, command).await?,
        Command::People(command) => people::run(&store, command).await?,
        Command::Verify(args) => ledger::verify(&store, args).await?,
        Command::Ledger(command) => ledger::run(&store, command).await?,
        Command::Migrate => {
            println!(
                "migrations applied to {}",
                redact(&cli.database.database_url)
            );
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(code)
}

/// Connects and migrates: every command works on an up-to-date schema.
pub async fn open(url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(url)
        .await
        .with_context(|| format!("cannot open database {}", redact(url)))?;
    store
        .migrate()
        .await
        .with_context(|| format!("cannot migrate database {}", redact(url)))?;
    Ok(store)
}

pub fn leptos_options(site_root: &std::path::Path, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("attest")
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

pub async fn serve(store: Store, args: &ServeArgs) -> anyhow::Result<()> {
    let auth = args.auth()?;
    serve_with(store, args, auth).await
}

/// `serve` with sign-in set up by the caller (`attest demo` adds its personas).
pub async fn serve_with(
    store: Store,
    args: &ServeArgs,
    auth: crate::auth::Auth,
) -> anyhow::Result<()> {
    let addr: SocketAddr = args.listen.parse().with_context(|| {
        format!(
            "--listen {:?} is not an address like 127.0.0.1:3000",
            args.listen
        )
    })?;
    let secrets_key = match &args.secrets_key_file {
        Some(path) => Some(domain::hook_secrets::SecretsKey::read(path)?),
        None => None,
    };
    let hooks =
        domain::hook_secrets::HookKeys::load(store.clone(), args.hook_secrets(), secrets_key)
            .await
            .context("cannot read the webhook secrets")?;
    let gcp_oidc = args.gcp_push_oidc()?;
    if let Some(oidc) = &gcp_oidc {
        tracing::info!(keys = %oidc.jwks_url(), "GCP Pub/Sub push accepts OIDC tokens");
    }
    let configured: Vec<&str> = hooks
        .now()
        .configured()
        .iter()
        .map(|s| s.as_str())
        .collect();
    if configured.is_empty() {
        tracing::warn!(
            "no webhook secret is set (ATTEST_GITHUB_WEBHOOK_SECRET, ATTEST_GITLAB_WEBHOOK_TOKEN, \
             ..., or the webhooks page): every /hooks endpoint refuses deliveries until one is"
        );
    } else {
        tracing::info!(sources = %configured.join(", "), "push endpoints configured");
    }
    if !args.site_root.join("pkg").is_dir() {
        tracing::warn!(
            site_root = %args.site_root.display(),
            "no built front end here (run `cargo leptos build`); pages render without wasm and CSS"
        );
    }
    if let Some(path) = &args.ledger_key_file {
        let key = ledger::read_signing_key(path)?;
        let every = std::time::Duration::from_secs(args.ledger_checkpoint_minutes * 60);
        tokio::spawn(ledger::checkpoint_every(store.clone(), key, every));
        tracing::info!(
            minutes = args.ledger_checkpoint_minutes,
            "the ledger is checkpointed while it grows"
        );
    }
    if auth.provider.is_none() && auth.personas.is_empty() {
        tracing::warn!(
            "no sign-in is configured (ATTEST_OIDC_ISSUER or ATTEST_GITHUB_CLIENT_ID, ATTEST_ROLES): pages cannot be \
             opened; the API answers bearer tokens (`attest token create`)"
        );
    }
    let base_url = if args.public_url.trim().is_empty() {
        format!("http://{addr}")
    } else {
        args.public_url.trim().to_owned()
    };
    let notifier = crate::notify::Notifier::new(
        Some(&args.smtp_url),
        &args.smtp_from,
        Some(&args.slack_webhook_url),
        &base_url,
    )?;
    if notifier.is_none() {
        tracing::info!(
            "no ATTEST_SMTP_URL or ATTEST_SLACK_WEBHOOK_URL: reviewers are not notified \
             (My reviews lists their items)"
        );
    }
    let remediation_hook = crate::notify::RemediationHook::new(
        Some(&args.remediation_webhook_url),
        Some(&args.remediation_webhook_secret),
        &base_url,
    )?;
    tokio::spawn(review::review_jobs_every(
        store.clone(),
        std::time::Duration::from_secs(60),
        chrono::Duration::days(i64::from(args.review_grace_days)),
        notifier,
        remediation_hook,
    ));
    let sessions = crate::auth::sessions::Sessions::new(&store);
    tokio::spawn(sessions.delete_expired_every(std::time::Duration::from_secs(10 * 60)));
    let state = AppState {
        store,
        hooks: Arc::new(hooks),
        gcp_oidc: gcp_oidc.map(Arc::new),
        auth: Arc::new(auth),
        leptos_options: leptos_options(&args.site_root, addr),
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    println!("Attest is serving at http://{local}");
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    // If the handler cannot be installed the server simply runs until killed.
    let _ = tokio::signal::ctrl_c().await;
}
