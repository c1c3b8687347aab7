//! `attest people …`: who is who, corrected by hand. Each decision is recorded with who took
//! it (`cli:` and the login running the command) and why.

use chrono::Utc;
use clap::Subcommand;
use domain::model::Source;
use domain::people::{AccountOrigin, LinkEntry, PersonAccount};
use domain::store::{Decision, Store, StoreError};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Show a person: their accounts and why each is theirs, and the decisions about them.
    Show { email: String },
    /// Link an account to a person, taking it from whoever held it.
    Link {
        email: String,
        /// github, gitlab, aws, gcp, azure, okta, …
        source: String,
        /// As the source names it: a login, an IAM user name or ARN, `user:…`, a UPN.
        account_id: String,
        #[arg(long)]
        reason: String,
    },
    /// Take an account away from a person: it belongs to no one, whatever imports say.
    Unlink {
        email: String,
        source: String,
        account_id: String,
        #[arg(long)]
        reason: String,
    },
    /// Merge the person FROM into INTO: one human under two e-mails.
    Merge {
        into: String,
        from: String,
        #[arg(long)]
        reason: String,
    },
    /// Split the person FROM off INTO again.
    Split {
        into: String,
        from: String,
        #[arg(long)]
        reason: String,
    },
}

fn account(source: &str, account_id: &str) -> anyhow::Result<PersonAccount> {
    let source = source
        .trim()
        .parse::<Source>()
        .map_err(anyhow::Error::new)?;
    Ok(PersonAccount {
        source,
        account_id: account_id.to_owned(),
    })
}

fn decision<'a>(actor: &'a str, reason: &'a str) -> Decision<'a> {
    Decision {
        actor,
        role: "cli",
        ip: "",
        reason,
        at: Utc::now(),
    }
}

/// Who runs the command, for the record.
fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{user}")
}

pub async fn run(store: &Store, command: PeopleCommand) -> anyhow::Result<ExitCode> {
    let actor = actor();
    let decided = match command {
        PeopleCommand::Show { email } => return show(store, &email).await,
        PeopleCommand::Link {
            email,
            source,
            account_id,
            reason,
        } => {
            store
                .link_account(
                    &email,
                    &account(&source, &account_id)?,
                    decision(&actor, &reason),
                )
                .await
        }
        PeopleCommand::Unlink {
            email,
            source,
            account_id,
            reason,
        } => {
            store
                .unlink_account(
                    &email,
                    &account(&source, &account_id)?,
                    decision(&actor, &reason),
                )
                .await
        }
        PeopleCommand::Merge { into, from, reason } => {
            store
                .merge_people(&into, &from, decision(&actor, &reason))
                .await
        }
        PeopleCommand::Split { into, from, reason } => {
            store
                .split_people(&into, &from, decision(&actor, &reason))
                .await
        }
    };
    match decided {
        Ok(entry) => {
            println!("recorded #{}: {}", entry.id, describe(&entry));
            Ok(ExitCode::SUCCESS)
        }
        Err(
            StoreError::Conflict(reason)
            | StoreError::Invalid(reason)
            | StoreError::NotFound(reason),
        ) => {
            eprintln!("nothing changed: {reason}");
            Ok(ExitCode::FAILURE)
        }
        Err(err) => Err(err.into()),
    }
}

/// One decision in a line: `link github:alice-gh to alice@example.com (from bob@…)`.
pub fn describe(entry: &LinkEntry) -> String {
    let account = entry
        .account
        .as_ref()
        .map(|a| format!("{}:{}", a.source, a.account_id))
        .unwrap_or_default();
    let other = entry.other_email.as_deref().unwrap_or_default();
    match entry.action {
        domain::people::LinkAction::Link if other.is_empty() => {
            format!("linked {account} to {}", entry.email)
        }
        domain::people::LinkAction::Link => {
            format!("linked {account} to {} (it was {other}'s)", entry.email)
        }
        domain::people::LinkAction::Unlink => format!("unlinked {account} from {}", entry.email),
        domain::people::LinkAction::Merge => format!("merged {other} into {}", entry.email),
        domain::people::LinkAction::Split => format!("split {other} off {}", entry.email),
    }
}

async fn show(store: &Store, email: &str) -> anyhow::Result<ExitCode> {
    let Some(person) = store.person_profile(email).await? else {
        eprintln!("no person {email:?}: people come from `attest import people`");
        return Ok(ExitCode::FAILURE);
    };
    println!("{} <{}>", person.name, person.email);
    if let Some(into) = &person.merged_into {
        println!("merged into {into}");
    }
    for merged in &person.merged {
        println!("merged in: {merged}");
    }
    for linked in &person.accounts {
        let why = match &linked.origin {
            AccountOrigin::Import { email } if *email == person.email => "import".to_owned(),
            AccountOrigin::Import { email } => format!("import, as {email}'s"),
            AccountOrigin::Linked { log_id } => format!("linked by hand, #{log_id}"),
        };
        println!(
            "account {}:{}\t{why}",
            linked.account.source, linked.account.account_id
        );
    }
    for taken in &person.taken_away {
        println!(
            "not theirs (by hand): {}:{}",
            taken.source, taken.account_id
        );
    }
    for entry in &person.log {
        println!(
            "#{}\t{}\t{}\t{}\t{}",
            entry.id,
            entry.at.format("%Y-%m-%d %H:%M"),
            entry.actor,
            describe(entry),
            entry.reason
        );
    }
    Ok(ExitCode::SUCCESS)
}
