//! `attest campaign …` and `attest import owners|codeowners`: access-review campaigns from the
//! command line, the owners imports that route items to resource owners, and the scheduler
//! `serve` runs (launch due campaigns, close due stages, verify revokes).

use anyhow::Context;
use chrono::{Duration, Utc};
use clap::Subcommand;
use domain::review::owners::{parse_codeowners, parse_owners_csv, LineProblem, OwnerRule};
use domain::review::CampaignDefinition;
use domain::store::reviews::{codeowners_origin, OWNERS_FILE};
use domain::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// Days a revoke may stay undone at its source before its remediation is reported failed.
pub const DEFAULT_GRACE_DAYS: u32 = 7;

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Define a campaign from a JSON file (the shape of `GET /api/v1/campaigns` items'
    /// `definition`; the README shows one). Prints its id.
    Create { file: PathBuf },
    /// List campaigns and their rounds.
    List,
    /// Launch a campaign now (freezes the grants in its scope into a new round).
    Launch { id: i64 },
    /// Close the current stage of a round now (defaults and the lockout guard apply).
    Close { round: i64 },
    /// Check every revoke against the grants imported since: verified, failed or regressed.
    Verify {
        /// Days a revoke may stay undone before it is reported failed.
        #[arg(long, default_value_t = DEFAULT_GRACE_DAYS)]
        grace_days: u32,
    },
}

/// Who the command line acts as, in the review log.
fn actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned())
    )
}

pub async fn run(store: &Store, command: CampaignCommand) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    match command {
        CampaignCommand::Create { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let definition: CampaignDefinition = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a campaign definition", file.display()))?;
            let id = store.create_campaign(&definition, &actor(), now).await?;
            println!("{id}");
        }
        CampaignCommand::List => {
            for campaign in store.campaigns().await? {
                let next = campaign
                    .next_launch_at
                    .map_or_else(|| "none".to_owned(), |at| at.to_rfc3339());
                println!(
                    "campaign {}: {} ({}, next launch {next})",
                    campaign.id,
                    campaign.definition.name,
                    campaign.definition.recurrence.as_str()
                );
                for round in store.rounds(Some(campaign.id), now).await? {
                    let p = &round.progress;
                    println!(
                        "  round {}: {} · stage {} · {} · {}/{} decided, {} kept, {} revoked, \
                         {} overdue · population {} sha256 {}",
                        round.id,
                        round.name,
                        round.stage,
                        round.status.as_str(),
                        p.decided,
                        p.items,
                        p.keep,
                        p.revoke,
                        p.overdue,
                        round.population,
                        round.population_hash
                    );
                }
            }
        }
        CampaignCommand::Launch { id } => {
            let round = store.launch_campaign(id, None, &actor(), now).await?;
            let round = store
                .round(round, now)
                .await?
                .context("the round just launched is gone")?;
            println!(
                "round {}: {} grants frozen, sha256 {}",
                round.id, round.population, round.population_hash
            );
        }
        CampaignCommand::Close { round } => {
            let report = store.close_stage(round, &actor(), now).await?;
            println!(
                "{} kept, {} revoked ({} by default, {} kept by the lockout guard), {} on to \
                 the next stage{}",
                report.kept,
                report.revoked,
                report.defaulted,
                report.guarded,
                report.advanced,
                if report.round_closed {
                    "; the round is closed"
                } else {
                    ""
                }
            );
        }
        CampaignCommand::Verify { grace_days } => {
            let report = store
                .verify_remediations(Duration::days(i64::from(grace_days)), now)
                .await?;
            println!(
                "{} verified, {} failed, {} regressed",
                report.verified, report.failed, report.regressed
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Says which lines of an owners file were skipped, and why.
fn report_skipped(file: &std::path::Path, problems: &[LineProblem]) {
    for problem in problems {
        eprintln!(
            "{}:{}: skipped: {}",
            file.display(),
            problem.line,
            problem.message
        );
    }
}

/// `attest import owners FILE`: replaces the owners file's rules.
pub async fn import_owners(store: &Store, file: &PathBuf) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let parsed = parse_owners_csv(&bytes).with_context(|| file.display().to_string())?;
    report_skipped(file, &parsed.problems);
    let stored = store
        .import_owners(OWNERS_FILE, &parsed.rules, &actor(), Utc::now())
        .await?;
    println!(
        "owners: {stored} rules imported ({} lines skipped)",
        parsed.problems.len()
    );
    Ok(if parsed.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `attest import codeowners --repo org/name FILE`: the repository's owners are its
/// catch-all rule's (`*`); replaces what the last import of that repository said.
pub async fn import_codeowners(
    store: &Store,
    repo: &str,
    file: &PathBuf,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let parsed = parse_codeowners(repo, &bytes).with_context(|| file.display().to_string())?;
    report_skipped(file, &parsed.problems);
    let rules = if parsed.repository_owners.is_empty() {
        Vec::new()
    } else {
        vec![OwnerRule {
            pattern: repo.to_owned(),
            owners: parsed.repository_owners.clone(),
            note: format!("CODEOWNERS of {repo}"),
        }]
    };
    store
        .import_owners(&codeowners_origin(repo), &rules, &actor(), Utc::now())
        .await?;
    let owners: Vec<String> = parsed
        .repository_owners
        .iter()
        .map(|o| o.as_text())
        .collect();
    if owners.is_empty() {
        println!("{repo}: no catch-all (`*`) rule, so no repository owners");
    } else {
        println!("{repo}: owned by {}", owners.join(", "));
    }
    Ok(if parsed.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What `serve` runs in the background: launches due campaigns, closes due stages, checks
/// revokes against later imports, sends the notices due and posts new remediation tasks to
/// the outgoing webhook, every `every`.
pub async fn review_jobs_every(
    store: Store,
    every: std::time::Duration,
    grace: Duration,
    notifier: Option<crate::notify::Notifier>,
    remediation_hook: Option<crate::notify::RemediationHook>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = Utc::now();
        match store.launch_due_campaigns(now).await {
            Ok(rounds) if !rounds.is_empty() => {
                tracing::info!(?rounds, "review campaigns launched")
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "launching due campaigns failed"),
        }
        match store.close_due_rounds(now).await {
            Ok(0) => {}
            Ok(closed) => tracing::info!(closed, "review stages closed"),
            Err(err) => tracing::warn!(error = %err, "closing due review stages failed"),
        }
        match store.verify_remediations(grace, now).await {
            Ok(report) if report != Default::default() => tracing::info!(
                verified = report.verified,
                failed = report.failed,
                regressed = report.regressed,
                "revokes checked"
            ),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "checking revokes failed"),
        }
        if let Some(notifier) = &notifier {
            match notifier.run(&store, now).await {
                Ok(sent) if sent.digests > 0 => tracing::info!(
                    digests = sent.digests,
                    emails = sent.emails,
                    slack = sent.slack_posts,
                    failures = sent.failures,
                    "review notifications sent"
                ),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "review notifications failed"),
            }
        }
        if let Some(hook) = &remediation_hook {
            match hook.run(&store, now).await {
                Ok(done) if done != Default::default() => tracing::info!(
                    posted = done.posted,
                    failures = done.failures,
                    "remediation tasks posted"
                ),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "posting remediation tasks failed"),
            }
        }
    }
}
