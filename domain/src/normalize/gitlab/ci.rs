//! What runs on the code and ships it: CI pipelines and jobs, deployments to environments,
//! releases, and feature flags turned on or off.

use super::event::{name_or, project, scope_of, target, user, Draft};
use super::words::{id, past, pick, snake, text, time_at};
use super::Hook;
use serde_json::Value;

/// Statuses of pipelines, jobs and deployments that mean it did not do what it was asked.
fn failure(status: &str, what: &str) -> Option<String> {
    matches!(status, "failed" | "canceled" | "cancelled").then(|| format!("{what} {status}"))
}

/// A status as the verb of an action: `success` reads `succeeded`, the rest as GitLab says.
fn status_verb(status: &str) -> String {
    match status {
        "success" => "succeeded".into(),
        other => snake(other),
    }
}

/// `pipeline`: a CI pipeline changed status.
pub(super) fn pipeline(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let attrs = body.get("object_attributes").unwrap_or(&Value::Null);
    let status = text(attrs, "/status").unwrap_or("unknown").trim();
    let verb = status_verb(status);
    let actor = user(body);
    let project = project(body);
    let place = name_or(project.as_ref(), "a project");
    let pipeline_id = id(attrs, "/id");
    let name = format!(
        "{place}/-/pipelines/{}",
        pipeline_id.as_deref().unwrap_or("?")
    );
    let on = text(attrs, "/ref")
        .map(|r| format!(" on {r}"))
        .unwrap_or_default();
    let summary = format!(
        "{}: pipeline {}{on} in {place} {}",
        actor.name,
        pipeline_id.as_deref().unwrap_or("(no id)"),
        verb.replace('_', " ")
    );
    let scope = scope_of(project.as_ref());
    Draft::new(format!("pipeline.{verb}"), &summary, actor)
        .target(Some(target("pipeline", pipeline_id, name)))
        .target(project)
        .scope(scope)
        .at(time_at(attrs, &["/finished_at", "/created_at"]))
        .failed(failure(status, "pipeline"))
        .details(pick(
            attrs,
            &[
                "ref",
                "sha",
                "source",
                "status",
                "detailed_status",
                "duration",
                "stages",
            ],
        ))
        .detail(
            "job_count",
            body.get("builds").and_then(Value::as_array).map(Vec::len),
        )
}

/// `build` (`Job Hook`, formerly `Build Hook`): a CI job changed status.
pub(super) fn job(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let status = text(body, "/build_status").unwrap_or("unknown").trim();
    let verb = status_verb(status);
    let actor = user(body);
    let project = project(body);
    let place = name_or(project.as_ref(), "a project");
    let job_id = id(body, "/build_id");
    let job_name = text(body, "/build_name").unwrap_or("(unnamed)");
    let name = format!("{place}/-/jobs/{}", job_id.as_deref().unwrap_or("?"));
    let summary = format!(
        "{}: job {job_name} in {place} {}",
        actor.name,
        verb.replace('_', " ")
    );
    // `build_failure_reason` is filled even for jobs that have not failed.
    let failed = failure(status, "job").map(|f| match text(body, "/build_failure_reason") {
        Some(reason) => format!("{f}: {reason}"),
        None => f,
    });
    let scope = scope_of(project.as_ref());
    Draft::new(format!("job.{verb}"), &summary, actor)
        .target(Some(target("job", job_id, name)))
        .target(project)
        .scope(scope)
        .at(time_at(
            body,
            &[
                "/build_finished_at",
                "/build_started_at",
                "/build_created_at",
            ],
        ))
        .failed(failed)
        .details(pick(
            body,
            &[
                "ref",
                "sha",
                "build_name",
                "build_stage",
                "build_status",
                "build_duration",
                "pipeline_id",
            ],
        ))
        .detail("environment", body.pointer("/environment/name").cloned())
}

/// `deployment`: a deployment to an environment changed status.
pub(super) fn deployment(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let status = text(body, "/status").unwrap_or("unknown").trim();
    let actor = user(body);
    let project = project(body);
    let place = name_or(project.as_ref(), "a project");
    let environment = text(body, "/environment").unwrap_or("an environment");
    let what = match (text(body, "/ref"), text(body, "/short_sha")) {
        (Some(r), Some(sha)) => format!(" {r} ({sha})"),
        (Some(r), None) => format!(" {r}"),
        (None, Some(sha)) => format!(" {sha}"),
        (None, None) => String::new(),
    };
    let summary = format!(
        "{} deployed {place}{what} to {environment}: {status}",
        actor.name
    );
    let deployment_id = id(body, "/deployment_id");
    let scope = scope_of(project.as_ref());
    Draft::new(format!("deployment.{}", snake(status)), &summary, actor)
        .target(Some(target("environment", None, environment)))
        .target(deployment_id.map(|d| {
            target(
                "deployment",
                Some(d.clone()),
                format!("{environment} deployment {d}"),
            )
        }))
        .target(project)
        .scope(scope)
        .at(time_at(body, &["/status_changed_at"]))
        .failed(failure(status, "deployment"))
        .details(pick(
            body,
            &[
                "status",
                "environment",
                "ref",
                "short_sha",
                "commit_title",
                "deployable_id",
            ],
        ))
}

/// `release`: a release created, updated or deleted. Release hooks name no user.
pub(super) fn release(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let verb = h.verb().map_or("updated".into(), past);
    let project = project(body);
    let place = name_or(project.as_ref(), "a project");
    let tag = text(body, "/tag")
        .or_else(|| text(body, "/name"))
        .unwrap_or("(untagged)");
    let summary = format!("release {tag} of {place} was {}", verb.replace('_', " "));
    let at = if verb == "created" {
        time_at(body, &["/created_at"])
    } else {
        None
    };
    let scope = scope_of(project.as_ref());
    Draft::new(format!("release.{verb}"), &summary, user(body))
        .target(Some(target("release", id(body, "/id"), tag)))
        .target(project)
        .scope(scope)
        .at(at)
        .details(pick(body, &["name", "tag", "released_at", "url"]))
}

/// `feature_flag`: a feature flag turned on or off.
pub(super) fn feature_flag(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let attrs = body.get("object_attributes").unwrap_or(&Value::Null);
    let active = attrs.get("active").and_then(Value::as_bool);
    let (verb, words) = match active {
        Some(true) => ("enabled", "turned on"),
        Some(false) => ("disabled", "turned off"),
        None => ("updated", "changed"),
    };
    let actor = user(body);
    let project = project(body);
    let flag = text(attrs, "/name").unwrap_or("(unnamed)");
    let summary = format!(
        "{} {words} feature flag {flag} in {}",
        actor.name,
        name_or(project.as_ref(), "a project")
    );
    let scope = scope_of(project.as_ref());
    Draft::new(format!("feature_flag.{verb}"), &summary, actor)
        .target(Some(target("feature_flag", id(attrs, "/id"), flag)))
        .target(project)
        .scope(scope)
        .details(pick(attrs, &["name", "active", "description"]))
}
