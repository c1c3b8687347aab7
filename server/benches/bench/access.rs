//! Part 4 of the bench: effective access over a generated organisation of about 100,000
//! principals and 1,000,000 grants, imported as a GitHub org snapshot through `attest import
//! github-org`'s own path: "what can this person reach" and "who can reach this repository"
//! straight from the store, and the access page (`/access`, rendered on the server) and the
//! access graph (`/access/graph`, laid out and drawn on the server) over HTTP.

use super::report;
use domain::import::{self, ImportKind, ImportOptions};
use domain::store::Store;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// The organisation's shape: with these, 90,000 users + 5,000 teams + 5,000 deploy keys are the
/// principals, and members (90k) + team memberships (450k) + team repositories (250k) +
/// collaborators (200k) + deploy keys (5k) + nested teams (~4k) are the grants.
const USERS: usize = 90_000;
const TEAMS: usize = 5_000;
const REPOS: usize = 5_000;
const TEAMS_PER_USER: usize = 5;
const REPOS_PER_TEAM: usize = 50;
const COLLABORATORS_PER_REPO: usize = 40;
const QUERIES: usize = 200;
/// Graph pages drawn: each lays out up to 300 boxes, so fewer than the other questions.
const GRAPH_PAGES: usize = 60;

fn user(id: usize, role: &str) -> Value {
    json!({"login": format!("user{id}"), "id": 1_000_000 + id, "role": role})
}

/// The org snapshot file, built the way a script paging through GitHub's API would nest it.
fn snapshot(rng: &mut StdRng) -> Value {
    let members: Vec<Value> = (0..USERS)
        .map(|u| user(u, if u < 20 { "admin" } else { "member" }))
        .collect();
    let mut team_members: Vec<Vec<Value>> = vec![Vec::new(); TEAMS];
    for u in 0..USERS {
        for team in rand::seq::index::sample(rng, TEAMS, TEAMS_PER_USER) {
            let role = if rng.gen_bool(0.05) {
                "maintainer"
            } else {
                "member"
            };
            team_members[team].push(user(u, role));
        }
    }
    let repo = |r: usize| json!({"id": 2_000_000 + r, "full_name": format!("bench/repo{r}")});
    let teams: Vec<Value> = team_members
        .into_iter()
        .enumerate()
        .map(|(t, members)| {
            // Teams nest in groups of five, up to four levels: every fifth team is a root.
            let parent = (t % 5 != 0).then(|| json!({"id": 3_000_000 + t - t % 5 + (t % 5) / 2, "slug": format!("team{}", t - t % 5 + (t % 5) / 2)}));
            let repos: Vec<Value> = rand::seq::index::sample(rng, REPOS, REPOS_PER_TEAM)
                .into_iter()
                .map(|r| {
                    let mut item = repo(r);
                    item["role_name"] = json!(["read", "write", "maintain", "admin"].choose(rng));
                    item
                })
                .collect();
            json!({"id": 3_000_000 + t, "slug": format!("team{t}"), "parent": parent,
                   "members": members, "repos": repos})
        })
        .collect();
    let repos: Vec<Value> = (0..REPOS)
        .map(|r| {
            let collaborators: Vec<Value> =
                rand::seq::index::sample(rng, USERS, COLLABORATORS_PER_REPO)
                    .into_iter()
                    .map(|u| {
                        let mut item = user(u, "member");
                        item["role_name"] = json!("write");
                        item
                    })
                    .collect();
            let mut item = repo(r);
            item["collaborators"] = json!(collaborators);
            item["deploy_keys"] = json!([{"id": 4_000_000 + r, "title": format!("deploy{r}"), "read_only": r % 2 == 0}]);
            item
        })
        .collect();
    json!({
        "org": {"login": "bench", "id": 9_000_000, "default_repository_permission": "none"},
        "members": members, "teams": teams, "repos": repos, "outside_collaborators": []
    })
}

pub async fn access_part(dir: &Path, base: Option<&str>, store: &Store) -> anyhow::Result<()> {
    println!("\n## Effective access: {USERS} users, {TEAMS} nested teams, {REPOS} repositories");
    let mut rng = StdRng::seed_from_u64(4);
    let file = dir.join("org.json");
    std::fs::write(&file, serde_json::to_vec(&snapshot(&mut rng))?)?;
    let started = Instant::now();
    let summary = import::import_files(
        store,
        ImportKind::GithubOrg,
        &ImportOptions::default(),
        &[file],
        &mut |_| {},
    )
    .await?;
    println!(
        "imported the org snapshot: {} grants in {:.1}s",
        summary.tally.snapshot_grants,
        started.elapsed().as_secs_f64()
    );
    let now = chrono::Utc::now();
    let mut of = Vec::with_capacity(QUERIES);
    let mut reached = 0;
    for _ in 0..QUERIES {
        let id = format!("github:user:{}", 1_000_000 + rng.gen_range(0..USERS));
        let started = Instant::now();
        let answer = store.access_of(&[id], now).await?;
        of.push(started.elapsed());
        reached += answer.rows.len();
    }
    report("access of a person", &mut of, &[50.0, 95.0, 99.0]);
    println!("  ({} rows per answer on average)", reached / QUERIES);
    let mut to = Vec::with_capacity(QUERIES);
    let mut holders = 0;
    for _ in 0..QUERIES {
        let id = format!("github:repo:{}", 2_000_000 + rng.gen_range(0..REPOS));
        let started = Instant::now();
        let answer = store.access_to(&id, now).await?;
        to.push(started.elapsed());
        holders += answer.rows.len();
    }
    report("who can reach a repo", &mut to, &[50.0, 95.0, 99.0]);
    println!("  ({} holders per answer on average)", holders / QUERIES);
    if let Some(base) = base {
        let client = crate::signed_in_client(base).await?;
        let mut pages = time_pages(&client, base, "/access", QUERIES, &mut rng).await?;
        report("GET /access page", &mut pages, &[50.0, 95.0, 99.0]);
        let mut graphs = time_pages(&client, base, "/access/graph", GRAPH_PAGES, &mut rng).await?;
        report("GET /access/graph page", &mut graphs, &[50.0, 95.0, 99.0]);
    }
    Ok(())
}

/// Loads `count` pages at `path`, asking in turn about a random user and a random repository,
/// and returns how long each took to arrive whole.
async fn time_pages(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    count: usize,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<Duration>> {
    let mut took = Vec::with_capacity(count);
    for n in 0..count {
        let query = if n % 2 == 0 {
            format!("who=user{}", rng.gen_range(0..USERS))
        } else {
            format!("what=bench/repo{}", rng.gen_range(0..REPOS))
        };
        let started = Instant::now();
        let response = client.get(format!("{base}{path}?{query}")).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{path}?{query}: {}",
            response.status()
        );
        response.bytes().await?;
        took.push(started.elapsed());
    }
    Ok(took)
}

/// Part 5: an access review launched over the generated organisation: a campaign over every
/// grant on 100 of its repositories (about 9,000 grants: team repositories and collaborators),
/// each frozen with the holder's last use and a reviewer; then a reviewer's inbox and the
/// round's items read back, as My reviews and the round page read them.
pub async fn review_part(store: &Store) -> anyhow::Result<()> {
    use domain::review::{CampaignDefinition, CampaignScope, Recurrence, ReviewerRule};
    let now = chrono::Utc::now();
    let mut definition =
        CampaignDefinition::by_managers("Bench review", "security@example.com", now);
    definition.recurrence = Recurrence::Once;
    definition.scope = CampaignScope {
        resources: "bench/repo10??".into(),
        ..CampaignScope::default()
    };
    // Nobody here has a manager: the resource owners (none) fall back too, so every item is
    // routed through the whole chain before landing on the fallback reviewer.
    definition.stages[0].reviewer = ReviewerRule::ResourceOwner;
    let campaign = store.create_campaign(&definition, "bench", now).await?;
    let started = Instant::now();
    let round = store.launch_campaign(campaign, None, "bench", now).await?;
    let took = started.elapsed();
    let items = store.round_items(round).await?;
    println!(
        "\n## Access review launch over the same organisation\n\
         launched a round of {} grants in {:.2}s ({:.0} grants/s: usage, recommendation and \
         reviewer for each, population hashed into the ledger)",
        items.len(),
        took.as_secs_f64(),
        items.len() as f64 / took.as_secs_f64().max(1e-9)
    );
    let mut reads = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        store.round(round, now).await?;
        store.round_items(round).await?;
        reads.push(started.elapsed());
    }
    report("round with all its items", &mut reads, &[50.0, 95.0]);
    let mut inbox = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        store.reviews_for("security@example.com").await?;
        inbox.push(started.elapsed());
    }
    report("the fallback reviewer's inbox", &mut inbox, &[50.0, 95.0]);
    Ok(())
}
