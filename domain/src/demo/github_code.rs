//! Day-to-day GitHub activity in the demo: pushes, pull requests and their reviews,
//! workflow runs and deployments, linked to each other through the world's memory.

use super::github::{
    association, delivery, organization, pull_request, repository, repository_short, user, PrState,
};
use super::ids::{node_id, pick, pick_str, rfc3339, sha, slug, weighted, ZERO_SHA};
use super::roster::{COMMIT_MESSAGES, DEPENDENCIES, REVIEW_COMMENTS};
use super::world::{Actor, FollowUp, OpenPr, PushRef, World};
use super::DemoDelivery;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};
use std::cell::OnceCell;

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
        state.json = OnceCell::new();
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
            json!({
                "id": id,
                "tree_id": sha(rng),
                "distinct": true,
                "message": message,
                "timestamp": rfc3339(at - Duration::minutes(minutes_before)),
                "url": format!("https://github.com/{full_name}/commit/{id}"),
                "author": author,
                "committer": committer,
                "added": if i == 0 && push.created { json!([pick_str(rng, files)]) } else { json!([]) },
                "removed": [],
                "modified": [pick_str(rng, files)],
            })
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
    let body = json!({
        "ref": format!("refs/heads/{}", push.branch),
        "before": push.before,
        "after": after,
        "repository": repository(world, push.repo, at, true),
        "pusher": { "name": login, "email": email },
        "organization": organization(world),
        "sender": user(world, push.actor),
        "created": push.created,
        "deleted": push.deleted,
        "forced": push.forced,
        "base_ref": null,
        "compare": compare,
        "head_commit": commits.last().cloned().unwrap_or(Value::Null),
        "commits": commits,
    });
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

pub(super) fn pull_request_opened(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let from_push = world
        .pushes
        .iter()
        .rposition(|p| !p.has_pr)
        .filter(|_| rng.gen_bool(0.8));
    let (repo, branch, head, author, title) = match from_push.and_then(|i| world.pushes.get_mut(i))
    {
        Some(push) => {
            push.has_pr = true;
            let title = push.message.lines().next().unwrap_or_default().to_owned();
            (
                push.repo,
                push.branch.clone(),
                push.sha.clone(),
                push.actor,
                title,
            )
        }
        None => {
            let author = Actor::Person(world.person(rng, |_, _| true)?);
            let repo = world.repo_for(rng, author);
            let title = pick_str(rng, COMMIT_MESSAGES).to_owned();
            (
                repo,
                format!("{}/{}", world.login(author), slug(&title)),
                sha(rng),
                author,
                title,
            )
        }
    };
    let state = world.repos.get_mut(repo)?;
    let number = state.next_number;
    state.next_number += 1;
    let base = state.head.clone();
    let reviewers = (0..rng.gen_range(1..=2))
        .filter_map(|_| world.teammate(rng, author, repo))
        .collect::<Vec<_>>();
    let body = match author {
        Actor::Bot(_) => format!("{title}.\n\n---\nThis pull request was opened automatically."),
        Actor::Person(_) => {
            format!("## Summary\n{title}\n\n## Testing\n- [x] unit tests\n- [ ] staging smoke test")
        }
    };
    let pr = OpenPr {
        repo,
        number,
        id: world.next_id(rng),
        title,
        body,
        branch,
        head,
        base,
        author,
        opened_at: at,
        reviewers,
        draft: matches!(author, Actor::Person(_)) && rng.gen_bool(0.08),
    };
    let payload = json!({
        "action": "opened",
        "number": number,
        "pull_request": pull_request(world, &pr, at, PrState::Open, true),
        "repository": repository(world, repo, at, false),
        "organization": organization(world),
        "sender": user(world, author),
    });
    world.open_pr(pr);
    Some(delivery(rng, "pull_request", at, &payload))
}

pub(super) fn pull_request_closed(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    // Older pull requests are more likely to be done.
    let len = world.open_prs.len();
    let index = rng
        .gen_range(0..len.max(1))
        .min(rng.gen_range(0..len.max(1)));
    let pr = world.open_prs.remove(index)?;
    let merged = rng.gen_bool(if matches!(pr.author, Actor::Bot(_)) {
        0.9
    } else {
        0.85
    });
    let closer = match pr.reviewers.first() {
        Some(reviewer) if rng.gen_bool(0.6) => Actor::Person(*reviewer),
        _ => pr.author,
    };
    let merge_sha = sha(rng);
    let state = if merged {
        PrState::Merged {
            by: closer,
            sha: &merge_sha,
        }
    } else {
        PrState::Closed
    };
    let payload = json!({
        "action": "closed",
        "number": pr.number,
        "pull_request": pull_request(world, &pr, at, state, true),
        "repository": repository(world, pr.repo, at, false),
        "organization": organization(world),
        "sender": user(world, closer),
    });
    if merged {
        world.follow_up(FollowUp::MergePush {
            pr,
            merger: closer,
            merge_sha,
        });
    }
    Some(delivery(rng, "pull_request", at, &payload))
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

pub(super) fn review(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let ready: Vec<usize> = (0..world.open_prs.len())
        .filter(|i| world.open_prs.get(*i).is_some_and(|pr| !pr.draft))
        .collect();
    let pr = world.open_prs.get(*pick(rng, &ready)?)?.clone();
    let reviewer = match pick(rng, &pr.reviewers) {
        Some(r) if Actor::Person(*r) != pr.author => Actor::Person(*r),
        _ => Actor::Person(world.teammate(rng, pr.author, pr.repo)?),
    };
    let id = world.next_id(rng);
    let (state, body) = match weighted(rng, [55.0, 30.0, 15.0].into_iter()) {
        Some(0) => (
            "approved",
            if rng.gen_bool(0.5) {
                Value::Null
            } else {
                json!("LGTM")
            },
        ),
        Some(1) => ("commented", json!(pick_str(rng, REVIEW_COMMENTS))),
        _ => ("changes_requested", json!(pick_str(rng, REVIEW_COMMENTS))),
    };
    let repo = world.org.repos.get(pr.repo)?;
    let html = format!(
        "https://github.com/{}/{}/pull/{}",
        world.org.org, repo.name, pr.number
    );
    let api = format!(
        "https://api.github.com/repos/{}/{}/pulls/{}",
        world.org.org, repo.name, pr.number
    );
    let payload = json!({
        "action": "submitted",
        "review": {
            "id": id,
            "node_id": node_id("PullRequestReview", id),
            "user": user(world, reviewer),
            "body": body,
            "commit_id": pr.head,
            "submitted_at": rfc3339(at),
            "state": state,
            "html_url": format!("{html}#pullrequestreview-{id}"),
            "pull_request_url": api,
            "author_association": association(world, reviewer),
            "_links": { "html": { "href": format!("{html}#pullrequestreview-{id}") }, "pull_request": { "href": api } },
        },
        "pull_request": pull_request(world, &pr, at, PrState::Open, false),
        "repository": repository(world, pr.repo, at, false),
        "organization": organization(world),
        "sender": user(world, reviewer),
    });
    Some(delivery(rng, "pull_request_review", at, &payload))
}

pub(super) fn workflow_run(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let recent = world.pushes.len().saturating_sub(16)..world.pushes.len();
    let push = match world
        .pushes
        .get(rng.gen_range(recent.start..recent.end.max(recent.start + 1)))
    {
        Some(push) => push.clone(),
        None => {
            let actor = Actor::Person(world.person(rng, |_, _| true)?);
            let repo = world.repo_for(rng, actor);
            let message = pick_str(rng, COMMIT_MESSAGES).to_owned();
            let branch = world.org.repos.get(repo)?.default_branch.clone();
            PushRef {
                repo,
                branch,
                sha: world.repos.get(repo)?.head.clone(),
                message,
                actor,
                at,
                has_pr: true,
            }
        }
    };
    let run_id = world.next_id(rng);
    let suite_id = world.next_id(rng);
    let repo = world.org.repos.get(push.repo)?;
    let on_default = push.branch == repo.default_branch;
    let mut workflows = vec![("CI", "ci.yml")];
    if repo.deploys && on_default {
        workflows.push(("Deploy", "deploy.yml"));
    }
    match repo.language.as_deref() {
        Some("HCL") => workflows.push(("Terraform Plan", "terraform.yml")),
        Some("Go" | "TypeScript" | "Python") => workflows.push(("CodeQL", "codeql.yml")),
        _ => {}
    }
    let which = rng.gen_range(0..workflows.len());
    let (name, file) = *workflows.get(which)?;
    let conclusion = match weighted(rng, [82.0, 14.0, 4.0].into_iter()) {
        Some(0) => "success",
        Some(1) => "failure",
        _ => "cancelled",
    };
    let full_name = format!("{}/{}", world.org.org, repo.name);
    let workflow_id = 60_000_000 + repo.id % 10_000_000 * 4 + which as u64;
    let created = (at - Duration::minutes(rng.gen_range(1..25)))
        .max(push.at)
        .min(at);
    let state = world.repos.get_mut(push.repo)?;
    let run_number = state.next_run;
    state.next_run += 1;
    let repo_created = state.created_at;
    let (name_of_actor, email) = world.git_identity(push.actor);
    let actor = user(world, push.actor);
    let path = format!(".github/workflows/{file}");
    let runs = format!("https://api.github.com/repos/{full_name}/actions/runs/{run_id}");
    let payload = json!({
        "action": "completed",
        "workflow": {
            "id": workflow_id,
            "node_id": node_id("Workflow", workflow_id),
            "name": name,
            "path": path,
            "state": "active",
            "created_at": rfc3339(repo_created),
            "updated_at": rfc3339(repo_created),
            "url": format!("https://api.github.com/repos/{full_name}/actions/workflows/{workflow_id}"),
            "html_url": format!("https://github.com/{full_name}/blob/{}/{path}", repo.default_branch),
            "badge_url": format!("https://github.com/{full_name}/workflows/{name}/badge.svg"),
        },
        "workflow_run": {
            "id": run_id,
            "name": name,
            "node_id": node_id("WorkflowRun", run_id),
            "head_branch": push.branch,
            "head_sha": push.sha,
            "path": path,
            "display_title": push.message.lines().next().unwrap_or_default(),
            "run_number": run_number,
            "event": "push",
            "status": "completed",
            "conclusion": conclusion,
            "workflow_id": workflow_id,
            "check_suite_id": suite_id,
            "check_suite_node_id": node_id("CheckSuite", suite_id),
            "url": runs,
            "html_url": format!("https://github.com/{full_name}/actions/runs/{run_id}"),
            "pull_requests": [],
            "created_at": rfc3339(created),
            "updated_at": rfc3339(at),
            "actor": actor,
            "triggering_actor": actor,
            "run_attempt": 1,
            "referenced_workflows": [],
            "run_started_at": rfc3339(created),
            "jobs_url": format!("{runs}/jobs"),
            "logs_url": format!("{runs}/logs"),
            "check_suite_url": format!("https://api.github.com/repos/{full_name}/check-suites/{suite_id}"),
            "artifacts_url": format!("{runs}/artifacts"),
            "cancel_url": format!("{runs}/cancel"),
            "rerun_url": format!("{runs}/rerun"),
            "previous_attempt_url": null,
            "workflow_url": format!("https://api.github.com/repos/{full_name}/actions/workflows/{workflow_id}"),
            "head_commit": {
                "id": push.sha,
                "tree_id": sha(rng),
                "message": push.message,
                "timestamp": rfc3339(push.at),
                "author": { "name": name_of_actor, "email": email },
                "committer": { "name": name_of_actor, "email": email },
            },
            "repository": repository_short(world, push.repo),
            "head_repository": repository_short(world, push.repo),
        },
        "repository": repository(world, push.repo, at, false),
        "organization": organization(world),
        "sender": actor,
    });
    Some(delivery(rng, "workflow_run", at, &payload))
}

/// A deployment of a service's default branch; production ones upload an artifact to AWS.
pub(super) fn deployment(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    repo: Option<usize>,
    environment: Option<&str>,
) -> Option<DemoDelivery> {
    let deployable: Vec<usize> = (0..world.org.repos.len())
        .filter(|i| world.org.repos.get(*i).is_some_and(|r| r.deploys))
        .collect();
    let repo = repo.or_else(|| pick(rng, &deployable).copied())?;
    let environment = environment.unwrap_or(if rng.gen_bool(0.4) {
        "production"
    } else {
        "staging"
    });
    let creator = match world.bot("github-actions") {
        Some(bot) if rng.gen_bool(0.7) => bot,
        _ => Actor::Person(world.teammate(rng, Actor::Bot(usize::MAX), repo)?),
    };
    let sha = world.repos.get(repo)?.head.clone();
    let id = world.next_id(rng);
    let info = world.org.repos.get(repo)?;
    let api = format!(
        "https://api.github.com/repos/{}/{}",
        world.org.org, info.name
    );
    let production = environment == "production";
    let payload = json!({
        "action": "created",
        "deployment": {
            "url": format!("{api}/deployments/{id}"),
            "id": id,
            "node_id": node_id("Deployment", id),
            "task": "deploy",
            "original_environment": environment,
            "environment": environment,
            "description": format!("Deploy {} to {environment}", info.name),
            "created_at": rfc3339(at),
            "updated_at": rfc3339(at),
            "statuses_url": format!("{api}/deployments/{id}/statuses"),
            "repository_url": api,
            "creator": user(world, creator),
            "sha": sha,
            "ref": info.default_branch,
            "payload": {},
            "transient_environment": false,
            "production_environment": production,
            "performed_via_github_app": null,
        },
        "workflow": null,
        "workflow_run": null,
        "repository": repository(world, repo, at, false),
        "organization": organization(world),
        "sender": user(world, creator),
    });
    if production && rng.gen_bool(0.6) {
        world.follow_up(FollowUp::ArtifactUpload { repo, sha });
    }
    Some(delivery(rng, "deployment", at, &payload))
}
