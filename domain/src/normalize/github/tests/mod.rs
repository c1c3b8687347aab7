//! Hand-checked results for GitHub's published sample payloads (read from the shared
//! fixtures folder, never copied here); `robustness` runs every sample and odd input.

// Tests fail by panicking; a failed unwrap names the line well enough.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod fixture_files;
mod grants;
mod robustness;
mod settings;
mod snapshot;

use crate::fixtures;
use crate::model::{ActorKind, NewEvent, Outcome, Scope, Source, Target};
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

/// One delivery of `kind` through the GitHub entry point, as the ingest pipeline makes it.
fn deliver(kind: Option<&str>, body: &[u8]) -> Result<Normalized, NormalizeError> {
    super::normalize(&RawDelivery {
        source: Source::Github,
        kind,
        delivery_key: "delivery-1",
        received_at: received(),
        body,
    })
}

/// A webhook's events, the shape these tests were first written against: `event` is the
/// `X-GitHub-Event` header.
fn normalize(
    event: &str,
    delivery_id: &str,
    received_at: DateTime<Utc>,
    body: &[u8],
) -> Result<Vec<NewEvent>, NormalizeError> {
    super::normalize(&RawDelivery {
        source: Source::Github,
        kind: Some(event),
        delivery_key: delivery_id,
        received_at,
        body,
    })
    .map(|normalized| normalized.events)
}

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A payload from `github/webhooks/`, parsed, so a test can change a field before running it.
fn sample(relative: &str) -> Value {
    serde_json::from_slice(&fixtures::read(&format!("github/{relative}"))).unwrap()
}

fn run(event: &str, payload: &Value) -> Result<Vec<NewEvent>, NormalizeError> {
    normalize(
        event,
        "delivery-1",
        received(),
        payload.to_string().as_bytes(),
    )
}

/// The one event a delivery is expected to yield.
fn single(event: &str, payload: &Value) -> NewEvent {
    let mut events = run(event, payload).unwrap();
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = events.remove(0);
    assert_eq!(event.source_event_id, "delivery-1");
    event
}

fn t(kind: &str, id: Option<&str>, name: &str) -> Target {
    Target {
        kind: kind.into(),
        id: id.map(str::to_owned),
        name: name.into(),
    }
}

fn scope(kind: &str, id: &str, name: &str) -> Option<Scope> {
    Some(Scope {
        kind: kind.into(),
        id: id.into(),
        name: Some(name.into()),
    })
}

#[test]
fn push_that_deletes_a_tag() {
    let event = single("push", &sample("webhooks/push/payload.json"));
    assert_eq!(event.action, "repo.push");
    assert_eq!(event.native_action, "push");
    assert_eq!(event.actor.name, "Codertocat");
    assert_eq!(event.actor.id.as_deref(), Some("21031067"));
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(event.actor.ip, None);
    assert_eq!(
        event.targets,
        [
            t("tag", None, "simple-tag"),
            t("repository", Some("186853002"), "Codertocat/Hello-World"),
        ]
    );
    assert_eq!(event.scope, scope("user", "21031067", "Codertocat"));
    assert_eq!(
        event.summary,
        "Codertocat deleted tag simple-tag in Codertocat/Hello-World"
    );
    assert_eq!(event.details["commits"], json!([]));
    assert_eq!(event.details["deleted"], json!(true));
    // `repository.pushed_at` is an epoch number in push payloads.
    assert_eq!(event.occurred_at, utc("2019-05-15T15:20:57Z"));
    assert_eq!(event.outcome, Outcome::Success);
}

#[test]
fn push_of_a_new_branch_lists_its_commits() {
    let event = single(
        "push",
        &sample("webhooks/push/with-new-branch.payload.json"),
    );
    assert_eq!(
        event.summary,
        "Codertocat pushed 1 commit to Codertocat/Hello-World master (new branch)"
    );
    assert_eq!(event.targets[0], t("branch", None, "master"));
    let commits = event.details["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0]["id"], "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
    assert_eq!(commits[0]["message"], "Initial commit");
    assert_eq!(commits[0]["author"]["username"], "Codertocat");
    assert_eq!(commits[0]["timestamp"], "2019-05-15T15:19:25Z");
    assert_eq!(event.details["created"], json!(true));
    assert!(event.details["compare"].is_string());
}

#[test]
fn push_without_sender_is_told_by_the_pusher() {
    let mut payload = sample("webhooks/push/with-new-branch.payload.json");
    payload.as_object_mut().unwrap().remove("sender");
    let event = single("push", &payload);
    assert_eq!(event.actor.name, "Codertocat");
    assert_eq!(event.actor.id, None);
    // Without `pushed_at` the head commit's time is the best the payload offers.
    payload["repository"]
        .as_object_mut()
        .unwrap()
        .remove("pushed_at");
    let event = single("push", &payload);
    assert_eq!(event.occurred_at, utc("2019-05-15T15:19:25Z"));
}

#[test]
fn member_added_is_a_new_collaborator() {
    let event = single("member", &sample("webhooks/member/added.payload.json"));
    assert_eq!(event.action, "repo.collaborator.added");
    assert_eq!(event.native_action, "member.added");
    assert_eq!(event.actor.name, "hacktocat");
    assert_eq!(
        event.targets,
        [
            t("user", Some("39652351"), "hacktocat"),
            t("repository", Some("186853002"), "Codertocat/Hello-World"),
        ]
    );
    assert_eq!(
        event.summary,
        "hacktocat added hacktocat as collaborator to Codertocat/Hello-World"
    );
    // No timestamp in the payload: the time it arrived is the best there is.
    assert_eq!(event.occurred_at, received());

    let mut payload = sample("webhooks/member/added.payload.json");
    payload["changes"] = json!({"permission": {"to": "push"}});
    let event = single("member", &payload);
    assert_eq!(
        event.summary,
        "hacktocat added hacktocat as collaborator (write) to Codertocat/Hello-World"
    );
}

#[test]
fn member_edited_says_the_old_permission() {
    let event = single("member", &sample("webhooks/member/edited.payload.json"));
    assert_eq!(event.action, "repo.collaborator.edited");
    assert_eq!(
        event.summary,
        "Codertocat changed octocat's permission on Codertocat/Hello-World (was write)"
    );
    assert_eq!(event.details["changes"]["old_permission"]["from"], "write");
}

#[test]
fn organization_member_added_and_invited() {
    let event = single(
        "organization",
        &sample("webhooks/organization/member_added.payload.json"),
    );
    assert_eq!(event.action, "org.member.added");
    assert_eq!(event.native_action, "organization.member_added");
    assert_eq!(event.targets, [t("user", Some("39652351"), "hacktocat")]);
    assert_eq!(event.scope, scope("org", "38302899", "Octocoders"));
    assert_eq!(
        event.summary,
        "Codertocat added hacktocat to org Octocoders as member"
    );
    assert_eq!(event.details["state"], "pending");

    let event = single(
        "organization",
        &sample("webhooks/organization/member_invited.payload.json"),
    );
    assert_eq!(event.action, "org.member.invited");
    // "2021-05-24T00:10:21.000-04:00", in UTC.
    assert_eq!(event.occurred_at, utc("2021-05-24T04:10:21Z"));

    let event = single(
        "organization",
        &sample("webhooks-ghes-3.5/organization/member_removed.json"),
    );
    assert_eq!(event.action, "org.member.removed");
    assert_eq!(
        event.summary,
        "Codertocat removed Hacktocat from org Octocoders"
    );
}

#[test]
fn team_add_gives_a_team_a_repository() {
    let event = single("team_add", &sample("webhooks/team_add/payload.json"));
    assert_eq!(event.action, "team.repo.added");
    assert_eq!(event.native_action, "team_add");
    assert_eq!(event.actor.name, "Octocoders");
    assert_eq!(event.actor.kind, ActorKind::Service);
    assert_eq!(
        event.targets,
        [
            t("team", Some("3253328"), "Octocoders/github"),
            t("repository", Some("186853261"), "Octocoders/Hello-World"),
        ]
    );
    assert_eq!(
        event.summary,
        "Octocoders gave team Octocoders/github read access to Octocoders/Hello-World"
    );
}

#[test]
fn membership_added_puts_a_user_in_a_team() {
    let event = single(
        "membership",
        &sample("webhooks/membership/added.payload.json"),
    );
    assert_eq!(event.action, "team.member.added");
    assert_eq!(
        event.targets,
        [
            t("user", Some("21031067"), "Codertocat"),
            t("team", Some("3253328"), "Octocoders/github"),
        ]
    );
    assert_eq!(
        event.summary,
        "Codertocat added Codertocat to team Octocoders/github"
    );

    let event = single(
        "membership",
        &sample("webhooks/membership/removed.with-deleted-team.payload.json"),
    );
    assert_eq!(event.action, "team.member.removed");
    assert_eq!(event.details["team_deleted"], json!(true));
}

#[test]
fn team_repository_permission_change() {
    let mut payload = sample("webhooks/team/added_to_repository.payload.json");
    payload["action"] = json!("edited");
    payload["changes"] = json!({"repository": {"permissions": {"from": {"admin": false, "push": false, "pull": true}}}});
    payload["repository"]["permissions"] = json!({"admin": false, "push": true, "pull": true});
    let event = single("team", &payload);
    assert_eq!(event.action, "team.repo.permission_changed");
    assert_eq!(event.native_action, "team.edited");
    assert_eq!(
        event.summary,
        "Codertocat changed team Octocoders/github's access to Octocoders/Hello-World from read to write"
    );
    assert_eq!(event.targets.len(), 2);

    let event = single("team", &sample("webhooks/team/created.payload.json"));
    assert_eq!(event.action, "team.created");
    let event = single(
        "team",
        &sample("webhooks/team/removed_from_repository.payload.json"),
    );
    assert_eq!(event.action, "team.repo.removed");
}

#[test]
fn pull_request_closed_or_merged() {
    let closed = sample("webhooks/pull_request/closed.payload.json");
    let event = single("pull_request", &closed);
    assert_eq!(event.action, "pull_request.closed");
    assert_eq!(event.native_action, "pull_request.closed");
    assert_eq!(
        event.targets[0],
        t(
            "pull_request",
            Some("279147437"),
            "Codertocat/Hello-World#2"
        )
    );
    assert_eq!(event.occurred_at, utc("2019-05-15T15:21:18Z"));

    // GitHub's samples have no merged pull request: the same close, merged.
    let mut merged = closed;
    merged["pull_request"]["merged"] = json!(true);
    merged["pull_request"]["merged_at"] = json!("2019-05-15T15:21:10Z");
    let event = single("pull_request", &merged);
    assert_eq!(event.action, "pull_request.merged");
    assert_eq!(event.native_action, "pull_request.closed");
    assert_eq!(
        event.summary,
        "Codertocat merged pull request Codertocat/Hello-World#2 \"Update the README with new information.\""
    );
    assert_eq!(event.occurred_at, utc("2019-05-15T15:21:10Z"));
    assert_eq!(event.details["number"], 2);
    assert_eq!(event.details["base"], "master");
}

#[test]
fn pull_request_review_submitted() {
    let event = single(
        "pull_request_review",
        &sample("webhooks/pull_request_review/submitted.payload.json"),
    );
    assert_eq!(event.action, "pull_request.review.submitted");
    assert_eq!(
        event.summary,
        "Codertocat reviewed Codertocat/Hello-World#2 (commented)"
    );
    assert_eq!(event.occurred_at, utc("2019-05-15T15:20:38Z"));
    assert_eq!(event.details["review"]["state"], "commented");
}

#[test]
fn failed_runs_are_failures() {
    let event = single(
        "check_run",
        &sample("webhooks/check_run/completed.1.payload.json"),
    );
    assert_eq!(event.action, "check.run.completed");
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(event.error.as_deref(), Some("failure"));

    let event = single(
        "workflow_job",
        &sample("webhooks/workflow_job/completed.failure.with-organization.payload.json"),
    );
    assert_eq!(event.outcome, Outcome::Failure);

    let completed = sample("webhooks/workflow_run/completed.payload.json");
    let event = single("workflow_run", &completed);
    assert_eq!(event.action, "workflow.run.completed");
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.error, None);
    assert_eq!(event.targets[0], t("workflow", Some("2823525"), "test"));
    assert_eq!(event.occurred_at, utc("2020-10-05T16:33:49Z"));
    assert_eq!(event.details["head_branch"], "master");

    let mut timed_out = completed;
    timed_out["workflow_run"]["conclusion"] = json!("timed_out");
    let event = single("workflow_run", &timed_out);
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(event.error.as_deref(), Some("timed_out"));
}
