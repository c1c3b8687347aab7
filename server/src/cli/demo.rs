//! `attest demo`: a synthetic organisation's months of activity, generated as signed GitHub
//! webhooks and CloudTrail records and fed through the same ingest code as real deliveries, then
//! served on loopback.

use crate::config::ServeArgs;
use app::auth::Persona;
use chrono::Utc;
use clap::Args;
use domain::demo::{self, DemoConfig, DemoDelivery, DemoOrg};
use domain::ingest::{self, GithubRequest, Tally};
use domain::model::Role;
use domain::signature::{github_signature, Secrets};
use domain::store::Store;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

/// The secret demo deliveries are signed with when none is configured.
const DEMO_SECRET: &str = "attest-demo-secret";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many deliveries to generate (GitHub webhooks and CloudTrail records together).
    #[arg(long, default_value_t = 5_000)]
    pub events: usize,
    /// Days of history, ending now.
    #[arg(long, default_value_t = 120)]
    pub days: u32,
    /// Seed of the generator: the same seed gives the same organisation.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Load demo data even if the database already holds deliveries (by default a second
    /// `attest demo` serves what is there, so `make run` can be run again safely).
    #[arg(long)]
    pub force: bool,
    /// Load the data and exit instead of serving it.
    #[arg(long)]
    pub no_serve: bool,
    #[command(flatten)]
    pub serve: ServeArgs,
}

pub async fn run(store: Store, mut args: DemoArgs) -> anyhow::Result<ExitCode> {
    if args.serve.github_webhook_secret.trim().is_empty() {
        args.serve.github_webhook_secret = DEMO_SECRET.to_owned();
    }
    let addr: SocketAddr = args.serve.listen.parse()?;
    if !args.no_serve && !addr.ip().is_loopback() {
        anyhow::bail!(
            "demo mode serves on loopback only; --listen {addr} is not a loopback address"
        );
    }
    let secrets = args.serve.github_secrets();
    let config = DemoConfig {
        events: args.events,
        seed: args.seed,
        end: Utc::now(),
        days: args.days.max(1),
    };
    if store.has_deliveries().await? && !args.force {
        println!(
            "the database already holds deliveries: demo data not loaded again (--force adds more)"
        );
    } else {
        println!(
            "generating {} deliveries over {} days (seed {})…",
            config.events, config.days, config.seed
        );
        let started = Instant::now();
        let tally = load(&store, &secrets, &config).await?;
        println!(
            "demo data: {} deliveries, {} new, {} already loaded, {} events, {} failed to \
             normalize ({:.1}s)",
            tally.records,
            tally.new,
            tally.duplicates,
            tally.events,
            tally.failed,
            started.elapsed().as_secs_f64()
        );
        let people = import_people(&store, &DemoOrg::generate(config.seed)).await?;
        println!("people directory: {people} people with their managers and GitHub logins");
        let (round, items) = start_review(&store, &DemoOrg::generate(config.seed)).await?;
        println!(
            "access review: round {round} running, {items} grants for their managers to review"
        );
    }
    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    println!("GitHub webhooks to /hooks/github are checked against the secret {DEMO_SECRET:?} unless ATTEST_GITHUB_WEBHOOK_SECRET is set");
    let mut auth = args.serve.auth()?;
    auth.personas = personas(&DemoOrg::generate(args.seed));
    println!(
        "sign in at /signin as one of: {}",
        auth.personas
            .iter()
            .map(|p| format!("{} ({}, {})", p.name, p.key, p.role.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    super::serve_with(store, &args.serve, auth).await?;
    Ok(ExitCode::SUCCESS)
}

/// The people of the demo organisation one may sign in as in demo mode, one per role: the
/// platform lead (admin), a security analyst (auditor), the payments lead, who manages a team
/// (reviewer), and one of that team's engineers (viewer).
pub fn personas(org: &DemoOrg) -> Vec<Persona> {
    [
        ("admin", "Platform Engineering Lead", Role::Admin),
        ("auditor", "Cloud Security Analyst", Role::Auditor),
        ("manager", "Payments Engineering Lead", Role::Reviewer),
        ("engineer", "Backend Engineer", Role::Viewer),
    ]
    .into_iter()
    .filter_map(|(key, title, role)| {
        let person = org.people.iter().find(|p| p.title == title)?;
        Some(Persona {
            key: key.to_owned(),
            name: person.name.clone(),
            email: person.email.clone(),
            title: person.title.clone(),
            role,
        })
    })
    .collect()
}

/// Feeds the generated deliveries through webhook authentication and the ingest pipeline, in
/// batches so a million deliveries stream with flat memory.
pub async fn load(store: &Store, secrets: &Secrets, config: &DemoConfig) -> anyhow::Result<Tally> {
    const BATCH: usize = 500;
    let signing_secret = secrets
        .first()
        .ok_or_else(|| anyhow::anyhow!("a webhook secret is needed to sign demo deliveries"))?
        .to_vec();
    let org = DemoOrg::generate(config.seed);
    let mut tally = Tally::default();
    let mut batch = Vec::with_capacity(BATCH);
    for delivery in demo::deliveries(&org, config) {
        batch.push(match delivery {
            DemoDelivery::Github {
                event,
                delivery_id,
                at,
                body,
            } => ingest::github_delivery(
                secrets,
                GithubRequest {
                    event: Some(event),
                    delivery: Some(delivery_id),
                    signature: Some(github_signature(&signing_secret, &body)),
                    headers: vec![
                        (
                            "user-agent".to_owned(),
                            "GitHub-Hookshot/attest-demo".to_owned(),
                        ),
                        ("content-type".to_owned(), "application/json".to_owned()),
                    ],
                    received_at: at,
                    body,
                },
            )?,
            DemoDelivery::Cloudtrail { at, body } => domain::import::cloudtrail_delivery(body, at),
        });
        if batch.len() >= BATCH {
            tally.add(&ingest::ingest(store, std::mem::take(&mut batch)).await?);
        }
    }
    if !batch.is_empty() {
        tally.add(&ingest::ingest(store, batch).await?);
    }
    Ok(tally)
}

/// The organisation's people directory (e-mail, name, manager, department, GitHub login),
/// written as a people file and imported as a user would, so the people pages and "what can
/// this person reach" by e-mail work on demo data.
/// A quarterly review of every person's access by their manager, launched now, so each demo
/// manager has items waiting (the platform lead reviews what no manager can). Gives the round
/// and its size.
async fn start_review(store: &Store, org: &DemoOrg) -> anyhow::Result<(i64, i64)> {
    use domain::review::{CampaignDefinition, CampaignScope, Holders};
    let now = Utc::now();
    let fallback = org
        .people
        .iter()
        .find(|p| p.title == "Platform Engineering Lead")
        .map_or_else(|| "security@example.com".to_owned(), |p| p.email.clone());
    let definition = CampaignDefinition {
        description: "Does each person still need their GitHub and AWS access? Reviewed by \
                      their manager."
            .to_owned(),
        scope: CampaignScope {
            holders: Holders::People,
            ..CampaignScope::default()
        },
        ..CampaignDefinition::by_managers("Quarterly access review", &fallback, now)
    };
    let campaign = store.create_campaign(&definition, "demo", now).await?;
    let round = store
        .launch_campaign(campaign, Some(now), "demo", now)
        .await?;
    let population = store.round(round, now).await?.map_or(0, |r| r.population);
    Ok((round, population))
}

async fn import_people(store: &Store, org: &DemoOrg) -> anyhow::Result<usize> {
    let email_of: std::collections::HashMap<&str, &str> = org
        .people
        .iter()
        .map(|p| (p.login.as_str(), p.email.as_str()))
        .collect();
    let people: Vec<serde_json::Value> = org
        .people
        .iter()
        .map(|p| {
            serde_json::json!({
                "email": p.email,
                "name": p.name,
                "manager": p.manager.as_deref().and_then(|m| email_of.get(m)),
                "department": p.department,
                "github": p.login,
            })
        })
        .collect();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("demo-people.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&people)?)?;
    let summary = domain::import::import_files(
        store,
        domain::import::ImportKind::People,
        &domain::import::ImportOptions::default(),
        &[path],
        &mut |_| {},
    )
    .await?;
    if let Some((_, reason)) = summary.failed_files.first() {
        anyhow::bail!("the demo people directory did not import: {reason}");
    }
    Ok(org.people.len())
}
