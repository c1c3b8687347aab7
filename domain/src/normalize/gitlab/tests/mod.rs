//! Hand-checked results for GitLab's published sample payloads (read from the shared fixtures
//! folder, never copied here). This file holds the membership events and their grant changes;
//! `webhooks` the other hooks, `audit` the audit events, `coverage` runs every fixture file,
//! `robustness` odd and hostile input.

// Tests fail by panicking; a failed unwrap names the line well enough.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod coverage;
mod robustness;
mod webhooks;

use super::normalize;
use crate::fixtures;
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use crate::model::{ActorKind, NewEvent, Scope, Source, Target};
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

const KEY: &str = "6e8fca1b-delivery";

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A fixture below `gitlab/`.
fn fixture(relative: &str) -> Vec<u8> {
    fixtures::read(&format!("gitlab/{relative}"))
}

fn sample(relative: &str) -> Value {
    serde_json::from_slice(&fixture(relative)).unwrap()
}

fn deliver(kind: Option<&str>, body: &[u8]) -> Result<Normalized, NormalizeError> {
    normalize(&RawDelivery {
        source: Source::Gitlab,
        kind,
        delivery_key: KEY,
        received_at: received(),
        body,
    })
}

/// The one event a webhook fixture yields, with what else the delivery said.
fn hook(kind: &str, relative: &str) -> (NewEvent, Vec<GrantChange>) {
    let normalized =
        deliver(Some(kind), &fixture(relative)).unwrap_or_else(|err| panic!("{relative}: {err}"));
    single(normalized)
}

fn single(normalized: Normalized) -> (NewEvent, Vec<GrantChange>) {
    assert_eq!(normalized.events.len(), 1, "{normalized:#?}");
    assert!(normalized.snapshots.is_empty());
    assert_eq!(normalized.ignored, None);
    let mut events = normalized.events;
    (events.remove(0), normalized.grant_changes)
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

/// A direct grant of a GitLab user on a project or group, scoped to that project or group.
fn grant(user: (&str, &str), place: &str, resource: (&str, &str), permission: &str) -> Grant {
    let resource_id = format!("gitlab:{place}:{}", resource.0);
    Grant {
        scope: resource_id.clone(),
        principal: Principal {
            kind: "user".into(),
            id: format!("gitlab:user:{}", user.0),
            name: user.1.into(),
        },
        resource: Resource {
            kind: place.into(),
            id: resource_id,
            name: resource.1.into(),
        },
        permission: permission.into(),
        via: String::new(),
    }
}

#[test]
fn system_hook_user_add_to_group_grants_the_group_role() {
    let (event, grants) = hook("System Hook", "system-hooks-docs/user_add_to_group.json");
    assert_eq!(event.source, Source::Gitlab);
    assert_eq!(event.source_event_id, KEY);
    assert_eq!(event.action, "group.member.added");
    assert_eq!(event.native_action, "user_add_to_group");
    // System hooks do not say who made the change.
    assert_eq!(event.actor.name, "unknown");
    assert_eq!(event.actor.kind, ActorKind::Unknown);
    assert_eq!(
        event.targets,
        [
            t("user", Some("41"), "johnsmith"),
            t("group", Some("78"), "storecloud")
        ]
    );
    assert_eq!(event.scope, scope("group", "78", "storecloud"));
    assert_eq!(
        event.summary,
        "johnsmith was added to group storecloud as maintainer"
    );
    assert_eq!(event.occurred_at, utc("2012-07-21T07:30:56Z"));
    assert_eq!(event.details["role"], "maintainer");
    assert_eq!(event.details["user_email"], "johnsmith@example.com");
    assert_eq!(event.details["hook"], "System Hook");
    assert_eq!(
        grants,
        [GrantChange {
            at: utc("2012-07-21T07:30:56Z"),
            grant: grant(
                ("41", "johnsmith"),
                "group",
                ("78", "storecloud"),
                "maintainer"
            ),
            op: GrantOp::Added,
            evidence: "GitLab System Hook user_add_to_group".into(),
        }]
    );
}

#[test]
fn system_hook_user_remove_from_team_removes_the_project_role_when_received() {
    let (event, grants) = hook(
        "System Hook",
        "system-hooks-docs/user_remove_from_team.json",
    );
    assert_eq!(event.action, "project.member.removed");
    assert_eq!(event.native_action, "user_remove_from_team");
    assert_eq!(
        event.targets,
        [
            t("user", Some("41"), "johnsmith"),
            t("project", Some("74"), "jsmith/storecloud")
        ]
    );
    assert_eq!(event.scope, scope("project", "74", "jsmith/storecloud"));
    assert_eq!(
        event.summary,
        "johnsmith was removed from project jsmith/storecloud (was maintainer)"
    );
    // The payload's times belong to the deleted membership, not to its removal.
    assert_eq!(event.occurred_at, received());
    assert_eq!(event.details["project_visibility"], "private");
    assert_eq!(
        grants,
        [GrantChange {
            at: received(),
            grant: grant(
                ("41", "johnsmith"),
                "project",
                ("74", "jsmith/storecloud"),
                "maintainer"
            ),
            op: GrantOp::Removed,
            evidence: "GitLab System Hook user_remove_from_team".into(),
        }]
    );
}

#[test]
fn member_hook_update_adds_the_new_role_only_with_its_expiry() {
    let (event, grants) = hook(
        "Member Hook",
        "group-webhooks-docs/member_hook.user_update_for_group.json",
    );
    assert_eq!(event.action, "group.member.updated");
    assert_eq!(
        event.summary,
        "test_user is now developer in group webhook-test until 2020-12-20T00:00:00Z"
    );
    assert_eq!(event.occurred_at, utc("2020-12-12T08:48:19Z"));
    assert_eq!(event.details["expires_at"], "2020-12-20T00:00:00Z");
    // The old role is not in the payload, so only the new one is stated.
    assert_eq!(
        grants,
        [GrantChange {
            at: utc("2020-12-12T08:48:19Z"),
            grant: grant(
                ("64", "test_user"),
                "group",
                ("100", "webhook-test"),
                "developer"
            ),
            op: GrantOp::Added,
            evidence: "GitLab Member Hook user_update_for_group, expires 2020-12-20T00:00:00Z"
                .into(),
        }]
    );
}

#[test]
fn member_hook_add_and_remove_are_the_guest_role_of_the_same_member() {
    let (added, add) = hook(
        "Member Hook",
        "group-webhooks-docs/member_hook.user_add_to_group.json",
    );
    let (removed, remove) = hook(
        "Member Hook",
        "group-webhooks-docs/member_hook.user_remove_from_group.json",
    );
    assert_eq!(added.action, "group.member.added");
    assert_eq!(removed.action, "group.member.removed");
    let guest = grant(
        ("64", "test_user"),
        "group",
        ("100", "webhook-test"),
        "guest",
    );
    assert_eq!(add.len(), 1);
    assert_eq!((add[0].op, &add[0].grant), (GrantOp::Added, &guest));
    assert_eq!(add[0].at, utc("2020-12-11T04:57:22Z"));
    assert_eq!(remove.len(), 1);
    assert_eq!((remove[0].op, &remove[0].grant), (GrantOp::Removed, &guest));
    assert_eq!(remove[0].at, received());
}

#[test]
fn project_membership_update_from_a_system_hook() {
    let (event, grants) = hook(
        "System Hook",
        "system-hooks-go-gitlab-testdata/user_update_for_team.json",
    );
    assert_eq!(event.action, "project.member.updated");
    assert_eq!(event.occurred_at, utc("2012-07-21T07:38:22Z"));
    // go-gitlab's copy writes the visibility as it prints an enum; it is shown as sent.
    assert_eq!(
        event.details["project_visibility"],
        "visibilitylevel|private"
    );
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].op, GrantOp::Added);
    assert_eq!(grants[0].grant.permission, "maintainer");
    assert_eq!(grants[0].grant.resource.id, "gitlab:project:74");
    assert_eq!(grants[0].grant.scope, "gitlab:project:74");
}

#[test]
fn access_levels_as_numbers_and_labels_read_as_role_names() {
    let mut body = sample("system-hooks-docs/user_add_to_team.json");
    for (level, expected) in [
        (Value::from(5), "minimal_access"),
        (Value::from(10), "guest"),
        (Value::from(15), "planner"),
        (Value::from(20), "reporter"),
        (Value::from("30"), "developer"),
        (Value::from(40), "maintainer"),
        (Value::from(50), "owner"),
        (Value::from("Minimal Access"), "minimal_access"),
        (Value::from("Default role: Reporter"), "reporter"),
        (
            Value::from("Custom role: Code reader"),
            "custom:Code reader",
        ),
        (Value::from(77), "access_level_77"),
    ] {
        body["access_level"] = level.clone();
        let (_, grants) =
            single(deliver(Some("System Hook"), body.to_string().as_bytes()).unwrap());
        assert_eq!(grants[0].grant.permission, expected, "{level}");
    }
}

#[test]
fn access_requests_change_no_access() {
    let cases = [
        (
            "Member Hook",
            "group-webhooks-docs/member_hook.user_access_request_to_group.json",
            "group.access_request.created",
            "test_user requested access to group webhook-test as guest",
        ),
        (
            "Member Hook",
            "group-webhooks-docs/member_hook.user_access_request_denied_for_group.json",
            "group.access_request.denied",
            "test_user's access request to group webhook-test was denied",
        ),
        (
            "System Hook",
            "system-hooks-docs/user_access_request_to_project.json",
            "project.access_request.created",
            "johnsmith requested access to project jsmith/storecloud as maintainer",
        ),
        (
            "System Hook",
            "system-hooks-docs/user_access_request_revoked_for_group.json",
            "group.access_request.revoked",
            "johnsmith's access request to group storecloud was withdrawn",
        ),
    ];
    for (kind, file, action, summary) in cases {
        let (event, grants) = hook(kind, file);
        assert_eq!(event.action, action, "{file}");
        assert_eq!(event.summary, summary, "{file}");
        assert!(grants.is_empty(), "{file}");
    }
    // Asking is the requester's own doing.
    let (request, _) = hook(
        "System Hook",
        "system-hooks-docs/user_access_request_to_group.json",
    );
    assert_eq!(request.actor.name, "johnsmith");
    assert_eq!(request.actor.id.as_deref(), Some("41"));
    assert_eq!(request.actor.kind, ActorKind::Human);
}

#[test]
fn a_membership_event_without_its_member_or_resource_is_an_error() {
    let body = sample("system-hooks-docs/user_add_to_group.json");
    for (field, missing) in [
        ("user_id", "user_id"),
        ("group_id", "group_id"),
        ("group_access", "group_access"),
    ] {
        let mut broken = body.clone();
        broken.as_object_mut().unwrap().remove(field);
        let err = deliver(Some("System Hook"), broken.to_string().as_bytes()).unwrap_err();
        assert_eq!(err, NormalizeError::Missing(missing), "{field}");
    }
    let mut wrong = body.clone();
    wrong["user_id"] = Value::Bool(true);
    assert_eq!(
        deliver(Some("System Hook"), wrong.to_string().as_bytes()).unwrap_err(),
        NormalizeError::Missing("user_id")
    );
}
