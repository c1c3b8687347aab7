//! `attest token …`: API tokens are printed once at creation; only their hash is stored.

use chrono::Utc;
use clap::Subcommand;
use domain::model::Role;
use domain::store::Store;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (it cannot be shown again).
    Create {
        /// A unique name saying who or what uses it (`ci-export`, `alice-laptop`).
        #[arg(long)]
        name: String,
        /// admin, auditor or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List tokens with their role and last use.
    List,
    /// Revoke a token by name.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    value
        .parse()
        .map_err(|err: domain::model::UnknownRole| err.to_string())
}

pub async fn run(store: &Store, command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create { name, role } => {
            let name = name.trim();
            if name.is_empty() {
                anyhow::bail!("--name must not be empty");
            }
            let token = domain::tokens::generate();
            store
                .create_token(name, role, &domain::tokens::hash(&token), Utc::now())
                .await?;
            eprintln!(
                "created token {name:?} with role {}; it is shown only now:",
                role.as_str()
            );
            println!("{token}");
        }
        TokenCommand::List => {
            for t in store.list_tokens().await? {
                println!(
                    "{}\t{}\tcreated {}\tlast used {}{}",
                    t.name,
                    t.role.as_str(),
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    t.last_used_at
                        .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "never".to_owned()),
                    if t.revoked { "\trevoked" } else { "" }
                );
            }
        }
        TokenCommand::Revoke { name } => {
            if store.revoke_token(&name, Utc::now()).await? {
                println!("revoked {name:?}");
            } else {
                eprintln!("no live token named {name:?}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
