//! Changes to code and what runs on it: pushes, pull requests and their reviews, workflow and
//! check runs, deployments.

use super::json::{count, first_time, flag, id, number, pick, text};
use super::{target, Delivery, Draft};
use crate::model::Target;
use serde_json::{json, Value};

/// Conclusions that mean the run did not do what it was asked to.
const FAILED_CONCLUSIONS: [&str; 3] = ["failure", "cancelled", "timed_out"];

/// `push`: one event per push, however many commits it carries.
pub(super) fn push(d: &Delivery<'_>) -> Draft {
    let body = d.body;
    let git_ref = text(body, "/ref");
    let (ref_kind, ref_name) = split_ref(git_ref.unwrap_or("an unknown ref"));
    let commits: Vec<Value> = body
        .get("commits")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(commit).collect())
        .unwrap_or_default();
    let repo = d.repo_name();
    let who = d.who();
    let summary = if flag(body, "/deleted") {
        format!("{who} deleted {ref_kind} {ref_name} in {repo}")
    } else if commits.is_empty() && flag(body, "/created") {
        format!("{who} created {ref_kind} {ref_name} in {repo}")
    } else {
        let verb = if flag(body, "/forced") {
            "force-pushed"
        } else {
            "pushed"
        };
        let new = if flag(body, "/created") {
            format!(" (new {ref_kind})")
        } else {
            String::new()
        };
        let commits = count(commits.len(), "commit", "commits");
        format!("{who} {verb} {commits} to {repo} {ref_name}{new}")
    };
    let mut extras = pick(
        body,
        &[
            "ref", "before", "after", "created", "deleted", "forced", "base_ref", "compare",
        ],
    );
    extras.insert("commit_count".into(), commits.len().into());
    extras.insert("commits".into(), Value::Array(commits));
    // `pushed_at` is when the push happened; a commit's timestamp is when it was written,
    // which may be days earlier (rebases keep it), so it is only the fallback.
    Draft::new("repo.push", summary)
        .target(git_ref.map(|_| target(ref_kind, None, ref_name)))
        .target(d.repo())
        .at(first_time(
            body,
            &["/repository/pushed_at", "/head_commit/timestamp"],
        ))
        .details(extras)
}

/// `create` and `delete`: a branch or tag made or removed (the push event says it too, with
/// the commits).
pub(super) fn git_ref(d: &Delivery<'_>) -> Draft {
    let verb = if d.kind == "create" {
        "created"
    } else {
        "deleted"
    };
    let kind = match text(d.body, "/ref_type") {
        Some("branch") => "branch",
        Some("tag") => "tag",
        _ => "ref",
    };
    let name = text(d.body, "/ref");
    let summary = format!(
        "{} {verb} {kind} {} in {}",
        d.who(),
        name.unwrap_or("an unknown ref"),
        d.repo_name()
    );
    Draft::new(format!("repo.{kind}.{verb}"), summary)
        .target(name.map(|name| target(kind, None, name)))
        .target(d.repo())
        .details(pick(
            d.body,
            &["ref", "ref_type", "master_branch", "pusher_type"],
        ))
}

/// `refs/heads/main` → (`branch`, `main`); `refs/tags/v1` → (`tag`, `v1`).
fn split_ref(git_ref: &str) -> (&'static str, &str) {
    if let Some(branch) = git_ref.strip_prefix("refs/heads/") {
        ("branch", branch)
    } else if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
        ("tag", tag)
    } else {
        ("ref", git_ref)
    }
}

fn commit(c: &Value) -> Value {
    json!({
        "id": text(c, "/id"),
        "message": text(c, "/message"),
        "author": {
            "name": text(c, "/author/name"),
            "username": text(c, "/author/username"),
        },
        "timestamp": text(c, "/timestamp"),
        "url": text(c, "/url"),
    })
}

/// A pull request as `owner/repo#42`, the way GitHub writes cross-repository references.
fn pull_request_target(d: &Delivery<'_>) -> Option<Target> {
    let pr = d.body.get("pull_request")?;
    let number = number(pr, "/number").or_else(|| number(d.body, "/number"))?;
    Some(target(
        "pull_request",
        id(pr, "/id"),
        format!("{}#{number}", d.repo_name()),
    ))
}

fn pull_request_details(pr: &Value) -> serde_json::Map<String, Value> {
    let mut extras = pick(
        pr,
        &["number", "title", "state", "merged", "draft", "html_url"],
    );
    if let Some(base) = text(pr, "/base/ref") {
        extras.insert("base".into(), base.into());
    }
    if let Some(head) = text(pr, "/head/ref") {
        extras.insert("head".into(), head.into());
    }
    extras
}

/// `pull_request`: opened, closed, merged (a close with `merged: true`), reviewers requested...
pub(super) fn pull_request(d: &Delivery<'_>) -> Draft {
    let pr = d.body.get("pull_request").unwrap_or(&Value::Null);
    let raw_action = d.action_or("updated");
    let action = if raw_action == "closed" && flag(pr, "/merged") {
        "merged"
    } else {
        raw_action
    };
    let target = pull_request_target(d);
    let name = target
        .as_ref()
        .map_or("a pull request", |t| t.name.as_str());
    let title = text(pr, "/title")
        .map(|t| format!(" \"{t}\""))
        .unwrap_or_default();
    let pr_label = format!("pull request {name}{title}");
    let assignee = text(d.body, "/assignee/login").unwrap_or("someone");
    let label = text(d.body, "/label/name").unwrap_or("a label");
    let reviewer = text(d.body, "/requested_reviewer/login")
        .or_else(|| text(d.body, "/requested_team/name"))
        .unwrap_or("someone");
    let who = d.who();
    let summary = match action {
        "synchronize" => format!("{who} pushed new commits to {pr_label}"),
        "assigned" => format!("{who} assigned {assignee} to {pr_label}"),
        "unassigned" => format!("{who} unassigned {assignee} from {pr_label}"),
        "labeled" => format!("{who} added label {label} to {pr_label}"),
        "unlabeled" => format!("{who} removed label {label} from {pr_label}"),
        "review_requested" => format!("{who} requested a review from {reviewer} on {pr_label}"),
        "review_request_removed" => {
            format!("{who} withdrew the review request for {reviewer} on {pr_label}")
        }
        "ready_for_review" => format!("{who} marked {pr_label} ready for review"),
        "converted_to_draft" => format!("{who} converted {pr_label} to a draft"),
        other => format!("{who} {} {pr_label}", other.replace('_', " ")),
    };
    let at = match action {
        "merged" => first_time(pr, &["/merged_at", "/closed_at", "/updated_at"]),
        "closed" => first_time(pr, &["/closed_at", "/updated_at"]),
        "opened" => first_time(pr, &["/created_at", "/updated_at"]),
        _ => first_time(pr, &["/updated_at"]),
    };
    Draft::new(format!("pull_request.{action}"), summary)
        .target(target)
        .target(d.repo())
        .at(at)
        .details(pull_request_details(pr))
        .detail("assignee", text(d.body, "/assignee/login"))
        .detail("label", text(d.body, "/label/name"))
        .detail(
            "requested_reviewer",
            text(d.body, "/requested_reviewer/login"),
        )
        .detail("changes", d.changes())
}

/// `pull_request_review`: a review submitted, edited or dismissed.
pub(super) fn review(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("submitted");
    let state = text(d.body, "/review/state").unwrap_or("commented");
    let target = pull_request_target(d);
    let name = target
        .as_ref()
        .map_or("a pull request", |t| t.name.as_str());
    let reviewer = text(d.body, "/review/user/login").unwrap_or("someone");
    let who = d.who();
    let summary = match (action, state.to_lowercase().as_str()) {
        ("submitted", "approved") => format!("{who} approved {name}"),
        ("submitted", "changes_requested") => format!("{who} requested changes on {name}"),
        ("submitted", _) => format!("{who} reviewed {name} ({})", state.replace('_', " ")),
        ("dismissed", _) => format!("{who} dismissed {reviewer}'s review of {name}"),
        (other, _) => format!("{who} {other} a review of {name}"),
    };
    // `submitted_at` is when the review was submitted, not when it was later dismissed.
    let at = match action {
        "submitted" => first_time(d.body, &["/review/submitted_at"]),
        _ => None,
    };
    let pr = d.body.get("pull_request").unwrap_or(&Value::Null);
    Draft::new(format!("pull_request.review.{action}"), summary)
        .target(target)
        .target(d.repo())
        .at(at)
        .detail(
            "review",
            pick(
                d.body.get("review").unwrap_or(&Value::Null),
                &["id", "state", "html_url"],
            ),
        )
        .detail("reviewer", text(d.body, "/review/user/login"))
        .details(pull_request_details(pr))
}

/// `workflow_run`, `workflow_job`, `check_run`, `check_suite`: CI runs and their outcome.
pub(super) fn run(d: &Delivery<'_>) -> Draft {
    let kind = d.kind.as_str();
    let run = d.body.get(kind).unwrap_or(&Value::Null);
    let action = d.action_or("completed");
    let (our_action, label, target_kind, at) = match kind {
        "workflow_run" => (
            "workflow.run",
            "Workflow",
            "workflow",
            &["/updated_at", "/created_at"][..],
        ),
        "workflow_job" => (
            "workflow.job",
            "Job",
            "workflow_job",
            &["/completed_at", "/started_at", "/created_at"][..],
        ),
        "check_run" => (
            "check.run",
            "Check",
            "check_run",
            &["/completed_at", "/started_at"][..],
        ),
        _ => (
            "check.suite",
            "Check suite",
            "check_suite",
            &["/updated_at", "/created_at"][..],
        ),
    };
    // A run's own `name` is often empty; the workflow's name is what people know it by.
    let name = text(run, "/name")
        .or_else(|| text(d.body, "/workflow/name"))
        .or_else(|| text(run, "/app/name"))
        .unwrap_or("unnamed");
    let target_id = match kind {
        "workflow_run" => id(run, "/workflow_id").or_else(|| id(d.body, "/workflow/id")),
        _ => id(run, "/id"),
    };
    let conclusion = text(run, "/conclusion");
    // Only a completed run has an outcome: a re-run of a failed check is not itself a failure.
    let failure = conclusion
        .filter(|c| action == "completed" && FAILED_CONCLUSIONS.contains(c))
        .map(str::to_owned);
    let run_number = number(run, "/run_number")
        .map(|n| format!(" #{n}"))
        .unwrap_or_default();
    let branch = text(run, "/head_branch")
        .map(|b| format!(" on {b}"))
        .unwrap_or_default();
    let outcome = conclusion.map(|c| format!(": {c}")).unwrap_or_default();
    let summary = format!(
        "{label} {name}{run_number}{branch} in {} {}{outcome} (by {})",
        d.repo_name(),
        action.replace('_', " "),
        d.who()
    );
    let mut extras = pick(
        run,
        &[
            "run_number",
            "run_attempt",
            "status",
            "conclusion",
            "head_branch",
            "head_sha",
            "event",
            "html_url",
        ],
    );
    extras.insert("name".into(), name.into());
    Draft::new(format!("{our_action}.{action}"), summary)
        .target(Some(target(target_kind, target_id, name)))
        .target(d.repo())
        .at(first_time(run, at))
        .failed(failure)
        .details(extras)
}

fn deployment_words<'a>(d: &Delivery<'a>) -> (String, &'a str) {
    let git_ref = text(d.body, "/deployment/ref").unwrap_or("a commit");
    let environment = text(d.body, "/deployment/environment").unwrap_or("an environment");
    (
        format!("{git_ref} to {environment} in {}", d.repo_name()),
        environment,
    )
}

fn deployment_target(d: &Delivery<'_>, environment: &str) -> Target {
    target("deployment", id(d.body, "/deployment/id"), environment)
}

/// `deployment`: someone (or a workflow) asked for a ref to be deployed.
pub(super) fn deployment(d: &Delivery<'_>) -> Draft {
    // GHES sends deployments without an `action`; creation is the only thing it reports.
    let action = d.action_or("created");
    let (what, environment) = deployment_words(d);
    let summary = match action {
        "created" => format!("{} started a deployment of {what}", d.who()),
        other => format!("{} {other} a deployment of {what}", d.who()),
    };
    Draft::new(format!("deployment.{action}"), summary)
        .target(Some(deployment_target(d, environment)))
        .target(d.repo())
        .at(first_time(d.body, &["/deployment/created_at"]))
        .details(pick(
            d.body.get("deployment").unwrap_or(&Value::Null),
            &["environment", "ref", "sha", "task", "description"],
        ))
}

/// `deployment_status`: a deployment went pending, succeeded, failed.
pub(super) fn deployment_status(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("created");
    let state = text(d.body, "/deployment_status/state").unwrap_or("unknown");
    let (what, environment) = deployment_words(d);
    let summary = format!("Deployment of {what}: {state} (by {})", d.who());
    let failure = matches!(state, "failure" | "error").then(|| state.to_owned());
    Draft::new(format!("deployment.status.{action}"), summary)
        .target(Some(deployment_target(d, environment)))
        .target(d.repo())
        .at(first_time(
            d.body,
            &[
                "/deployment_status/updated_at",
                "/deployment_status/created_at",
            ],
        ))
        .failed(failure)
        .details(pick(
            d.body.get("deployment_status").unwrap_or(&Value::Null),
            &["state", "environment", "description", "target_url"],
        ))
        .detail("ref", text(d.body, "/deployment/ref"))
}
