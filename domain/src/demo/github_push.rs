//! Pushes in the demo: people's feature branches and direct commits, dependency bots'
//! update branches, and GitHub's own merge pushes, with what each changes in the world.

use super::github::{delivery, organization, repository, user, with};
use super::ids::{pick, pick_str, rfc3339, sha, slug, weighted, ZERO_SHA};
use super::roster::{COMMIT_MESSAGES, DEPENDENCIES};
use super::world::{Actor, FollowUp, OpenPr, PushRef, World};
use super::DemoDelivery;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

/// One push: the branch, who pushed, and the commits' messages (empty when deleting).
pub(super) struct Push {
    pub repo: usize,
    pub branch: String,
    pub actor: Actor,
    pub before: String,
    pub messages: Vec<String>,
    pub created: bool,
    pub deleted: bool,
    pub forced: bool,
    /// Merge commits are committed by GitHub itself (`web-flow`) with the id the pull
    /// request announced.
    pub merge: Option<String>,
}

/// A push chosen at random: mostly people, dependency bots more so outside office hours.
pub(super) fn random_push(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    if rng.gen_bool(if world.office_hours { 0.06 } else { 0.3 }) {
        if let Some(push) = dependency_push(world, rng) {
            return Some(push_delivery(world, rng, at, push));
        }
    }
    let person = world.person(rng, |_, _| true)?;
    let actor = Actor::Person(person);
    let login = world.login(actor).to_owned();
    let own_pr = world.open_prs.iter().rposition(|pr| pr.author == actor);
    let push = match own_pr {
        Some(index) if rng.gen_bool(0.45) => {
            let pr = world.open_prs.get(index)?;
            Push {
                repo: pr.repo,
                branch: pr.branch.clone(),
                actor,
                before: pr.head.clone(),
                messages: messages(rng),
                created: false,
                deleted: false,
                forced: rng.gen_bool(0.05),
                merge: None,
            }
        }
        _ if rng.gen_bool(0.03) => {
            let old = world
                .pushes
                .iter()
                .find(|p| p.actor == actor && p.branch.contains('/'))?;
            Push {
                repo: old.repo,
                branch: old.branch.clone(),
                actor,
                before: old.sha.clone(),
                messages: Vec::new(),
                created: false,
                deleted: true,
                forced: false,
                merge: None,
            }
        }
        _ => {
            let repo = world.repo_for(rng, actor);
            if rng.gen_bool(0.3) {
                let state = world.repos.get(repo)?;
                let branch = world.org.repos.get(repo)?.default_branch.clone();
                Push {
                    repo,
                    branch,
                    actor,
                    before: state.head.clone(),
                    messages: messages(rng),
                    created: false,
                    deleted: false,
                    forced: false,
                    merge: None,
                }
            } else {
                let messages = messages(rng);
                let topic = slug(messages.first().map_or("change", String::as_str));
                let branch = match rng.gen_range(0..3) {
                    0 => format!("{login}/{topic}"),
                    1 => format!("feat/{topic}"),
                    _ => format!("fix/{topic}"),
                };
                Push {
                    repo,
                    branch,
                    actor,
                    before: ZERO_SHA.to_owned(),
                    messages,
                    created: true,
                    deleted: false,
                    forced: false,
                    merge: None,
                }
            }
        }
    };
    Some(push_delivery(world, rng, at, push))
}

/// Dependabot or Renovate pushing a branch that bumps one dependency.
fn dependency_push(world: &World, rng: &mut StdRng) -> Option<Push> {
    let (package, from, to, ecosystem) = *pick(rng, DEPENDENCIES)?;
    let renovate = rng.gen_bool(0.35);
    let actor = world.bot(if renovate { "renovate" } else { "dependabot" })?;
    let repo = rng.gen_range(0..world.org.repos.len().max(1));
    let (branch, message) = if renovate {
        let major = to.split('.').next().unwrap_or(to);
        (
            format!("renovate/{}-{major}.x", slug(package)),
            format!("chore(deps): update dependency {package} to v{to}"),
        )
    } else {
        (
            format!("dependabot/{ecosystem}/{package}-{to}"),
            format!("build(deps): bump {package} from {from} to {to}"),
        )
    };
    Some(Push {
        repo,
        branch,
        actor,
        before: ZERO_SHA.to_owned(),
        messages: vec![message],
        created: true,
        deleted: false,
        forced: false,
        merge: None,
    })
}

fn messages(rng: &mut StdRng) -> Vec<String> {
    let count = weighted(rng, [40.0, 25.0, 15.0, 10.0, 10.0].into_iter()).unwrap_or(0) + 1;
    (0..count)
        .map(|_| {
            let message = pick_str(rng, COMMIT_MESSAGES);
            if rng.gen_bool(0.15) {
                format!("{message}\n\nCloses #{}", rng.gen_range(10..900))
            } else {
                message.to_owned()
            }
        })
        .collect()
}

fn changed_files(language: Option<&str>) -> &'static [&'static str] {
    match language {
        Some("Go") => &[
            "internal/api/handlers.go",
            "internal/store/postgres.go",
            "cmd/server/main.go",
            "go.mod",
        ],
        Some("HCL") => &["main.tf", "iam.tf", "variables.tf", "modules/vpc/main.tf"],
        Some("TypeScript") => &["src/App.tsx", "src/api/client.ts", "package.json"],
        Some("Python") => &[
            "pipeline/transform.py",
            "dags/export.py",
            "requirements.txt",
        ],
        Some("Rust") => &["src/lib.rs", "src/main.rs", "Cargo.toml"],
        Some("Swift") => &["App/Login/LoginView.swift", "App/Cart/CartStore.swift"],
        Some("Kotlin") => &[
            "app/src/main/java/com/acme/MainActivity.kt",
            "app/build.gradle.kts",
        ],
        _ => &["README.md", ".github/workflows/ci.yml"],
    }
}

/// The push delivery, and what it changes: the branch tip, open pull requests, memory.
pub(super) fn push_delivery(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    push: Push,
) -> DemoDelivery {
    if let Some(state) = world.repos.get_mut(push.repo) {
        state.pushed_at = at;
    }
    let full_name = world
        .org
        .repos
        .get(push.repo)
        .map(|r| format!("{}/{}", world.org.org, r.name))
        .unwrap_or_default();
    let files = changed_files(
        world
            .org
            .repos
            .get(push.repo)
            .and_then(|r| r.language.as_deref()),
    );
    let (name, email) = world.git_identity(push.actor);
    let login = world.login(push.actor).to_owned();
    let author = json!({ "name": name, "email": email, "username": login });
    let committer = if push.merge.is_some() {
        json!({ "name": "GitHub", "email": "noreply@github.com", "username": "web-flow" })
    } else {
        author.clone()
    };
    let count = push.messages.len();
    let commits: Vec<Value> = push
        .messages
        .iter()
        .enumerate()
        .map(|(i, message)| {
            let id = match &push.merge {
                Some(merge) if i + 1 == count => merge.clone(),
                _ => sha(rng),
            };
            let minutes_before = ((count - 1 - i) as i64) * rng.gen_range(2..40);
            with(json!({
                "id": id,
                "tree_id": sha(rng),
                "distinct": true,
                "message": message,
                "timestamp": rfc3339(at - Duration::minutes(minutes_before)),
                "url": format!("https://github.com/{full_name}/commit/{id}"),
                "added": if i == 0 && push.created { json!([pick_str(rng, files)]) } else { json!([]) },
                "removed": [],
                "modified": [pick_str(rng, files)],
            }), [("author", author.clone()), ("committer", committer.clone())])
        })
        .collect();
    let after = commits
        .last()
        .and_then(|c| c["id"].as_str())
        .unwrap_or(ZERO_SHA)
        .to_owned();
    let short = |s: &str| s.get(..12).unwrap_or(s).to_owned();
    let compare = if push.created {
        format!("https://github.com/{full_name}/commit/{after}")
    } else {
        format!(
            "https://github.com/{full_name}/compare/{}...{}",
            short(&push.before),
            short(&after)
        )
    };
    let body = with(
        json!({
            "ref": format!("refs/heads/{}", push.branch),
            "before": push.before,
            "after": after,
            "pusher": { "name": login, "email": email },
            "created": push.created,
            "deleted": push.deleted,
            "forced": push.forced,
            "base_ref": null,
            "compare": compare,
        }),
        [
            ("repository", repository(world, push.repo, at, true)),
            ("organization", organization(world)),
            ("sender", user(world, push.actor)),
            (
                "head_commit",
                commits.last().cloned().unwrap_or(Value::Null),
            ),
            ("commits", Value::Array(commits)),
        ],
    );
    let default_branch = world
        .org
        .repos
        .get(push.repo)
        .is_some_and(|r| r.default_branch == push.branch);
    if !push.deleted {
        if default_branch {
            if let Some(state) = world.repos.get_mut(push.repo) {
                state.head.clone_from(&after);
            }
        }
        for pr in world
            .open_prs
            .iter_mut()
            .filter(|pr| pr.repo == push.repo && pr.branch == push.branch)
        {
            pr.head.clone_from(&after);
        }
        let message = push.messages.last().cloned().unwrap_or_default();
        let has_pr = default_branch || !push.created;
        world.remember_push(PushRef {
            repo: push.repo,
            branch: push.branch,
            sha: after,
            message,
            actor: push.actor,
            at,
            has_pr,
        });
    }
    delivery(rng, "push", at, &body)
}

/// GitHub's push of a merged pull request onto the default branch; staging deploys follow.
pub(super) fn merge_push(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    pr: &OpenPr,
    merger: Actor,
    merge_sha: &str,
) -> Option<DemoDelivery> {
    let repo = world.org.repos.get(pr.repo)?;
    let branch = repo.default_branch.clone();
    let deploys = repo.deploys;
    let before = world.repos.get(pr.repo)?.head.clone();
    let message = format!(
        "Merge pull request #{} from {}/{}\n\n{}",
        pr.number, world.org.org, pr.branch, pr.title
    );
    let push = Push {
        repo: pr.repo,
        branch,
        actor: merger,
        before,
        messages: vec![message],
        created: false,
        deleted: false,
        forced: false,
        merge: Some(merge_sha.to_owned()),
    };
    if deploys && rng.gen_bool(0.6) {
        world.follow_up(FollowUp::Deployment {
            repo: pr.repo,
            environment: "staging",
        });
    }
    Some(push_delivery(world, rng, at, push))
}
