//! `attest hook-secret …`: webhook secrets managed in Attest. Each is derived from the secrets
//! key (a file outside the database) and printed once; several may be live for one endpoint
//! while a sender moves to a new one.

use chrono::Utc;
use clap::Subcommand;
use domain::hook_secrets::{revocation, Changer, HookKeys, SecretsKey};
use domain::model::HookEndpoint;
use domain::signature::HookSecrets;
use domain::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum HookSecretCommand {
    /// Write a new secrets key to FILE (it must not exist; readable by its owner only). Point
    /// ATTEST_SECRETS_KEY_FILE at it, for `serve` and these commands.
    Key { file: PathBuf },
    /// Make a secret for an endpoint and print it (it cannot be shown again).
    Create {
        /// github, gitlab, aws, gcp, azure, okta or terraform.
        #[arg(long, value_parser = parse_endpoint)]
        endpoint: HookEndpoint,
        /// A unique name saying which sender uses it (`github-acme-2026-12`).
        #[arg(long)]
        name: String,
        #[command(flatten)]
        key: KeyArg,
    },
    /// List the secrets, with their fingerprint and last use.
    List,
    /// Revoke a secret by name: the endpoint stops accepting it.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct KeyArg {
    /// The secrets key (the file `attest hook-secret key` wrote).
    #[arg(long, env = "ATTEST_SECRETS_KEY_FILE", value_name = "FILE")]
    secrets_key_file: Option<PathBuf>,
}

fn parse_endpoint(value: &str) -> Result<HookEndpoint, String> {
    value
        .parse()
        .map_err(|err: domain::model::UnknownHookEndpoint| err.to_string())
}

/// The command line as the audit log names it.
fn changer() -> Changer {
    Changer {
        actor: "command line".to_owned(),
        role: String::new(),
        ip: String::new(),
    }
}

pub async fn run(store: &Store, command: HookSecretCommand) -> anyhow::Result<ExitCode> {
    match command {
        HookSecretCommand::Key { file } => {
            SecretsKey::create(&file)?;
            println!(
                "wrote a new secrets key to {}; set ATTEST_SECRETS_KEY_FILE to it, and keep it \
                 apart from the database and its backups",
                file.display()
            );
        }
        HookSecretCommand::Create {
            endpoint,
            name,
            key,
        } => {
            let key = match key.secrets_key_file {
                Some(path) => Some(SecretsKey::read(&path)?),
                None => None,
            };
            let keys = HookKeys::load(store.clone(), HookSecrets::default(), key).await?;
            let made = keys.create(&name, endpoint, &changer(), Utc::now()).await?;
            eprintln!(
                "made {:?} for {} (fingerprint {}); give it to {}. It is shown only now:",
                made.record.name,
                endpoint.path(),
                &made.record.fingerprint[..16],
                endpoint.where_it_goes()
            );
            println!("{}", made.secret);
        }
        HookSecretCommand::List => {
            for s in store.list_hook_secrets().await? {
                println!(
                    "{}\t{}\t{}\tmade {} by {}\tlast used {}{}",
                    s.name,
                    s.endpoint.path(),
                    &s.fingerprint[..s.fingerprint.len().min(16)],
                    s.created_at.format("%Y-%m-%d %H:%M"),
                    s.created_by,
                    s.last_used_at
                        .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "never".to_owned()),
                    s.revoked_at
                        .map(|at| format!("\trevoked {}", at.format("%Y-%m-%d %H:%M")))
                        .unwrap_or_default()
                );
            }
        }
        HookSecretCommand::Revoke { name } => {
            // Revoking needs no key: nothing is derived.
            let revoked = store
                .revoke_hook_secret(name.trim(), &revocation(&name, &changer(), Utc::now()))
                .await;
            match revoked {
                Ok(record) => println!("revoked {:?} ({})", record.name, record.endpoint.path()),
                Err(err) => {
                    eprintln!("{err}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
