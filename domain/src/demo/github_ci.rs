//! CI and delivery in the demo: workflow runs for recent pushes (some fail) and
//! deployments to staging and production.

use super::github::{delivery, organization, repository, repository_short, user, with};
use super::ids::{node_id, pick, pick_str, rfc3339, sha, weighted};
use super::roster::COMMIT_MESSAGES;
use super::world::{Actor, FollowUp, PushRef, World};
use super::DemoDelivery;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

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
    let payload = with(
        with(
            json!({
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
            }),
            [(
                "workflow_run",
                with(
                    json!({
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
                    }),
                    [
                        ("actor", actor.clone()),
                        ("triggering_actor", actor.clone()),
                        ("repository", repository_short(world, push.repo)),
                        ("head_repository", repository_short(world, push.repo)),
                    ],
                ),
            )],
        ),
        [
            ("repository", repository(world, push.repo, at, false)),
            ("organization", organization(world)),
            ("sender", actor),
        ],
    );
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
        _ => Actor::Person(world.repo_member(rng, repo)?),
    };
    let sha = world.repos.get(repo)?.head.clone();
    let id = world.next_id(rng);
    let info = world.org.repos.get(repo)?;
    let api = format!(
        "https://api.github.com/repos/{}/{}",
        world.org.org, info.name
    );
    let production = environment == "production";
    let payload = with(
        with(
            json!({
                "action": "created",
                "workflow": null,
                "workflow_run": null,
            }),
            [(
                "deployment",
                with(
                    json!({
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
                        "sha": sha,
                        "ref": info.default_branch,
                        "payload": {},
                        "transient_environment": false,
                        "production_environment": production,
                        "performed_via_github_app": null,
                    }),
                    [("creator", user(world, creator))],
                ),
            )],
        ),
        [
            ("repository", repository(world, repo, at, false)),
            ("organization", organization(world)),
            ("sender", user(world, creator)),
        ],
    );
    if production && rng.gen_bool(0.6) {
        world.follow_up(FollowUp::ArtifactUpload { repo, sha });
    }
    Some(delivery(rng, "deployment", at, &payload))
}
