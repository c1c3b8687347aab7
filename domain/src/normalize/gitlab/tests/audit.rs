//! Audit events: the streaming example from GitLab's docs (a fixture), records shaped like the
//! audit events API's documented examples and like what GitLab's member services record
//! (written here, since no published sample has a membership change), and the files of the
//! audit fixture folders that are not audit events.

use super::{deliver, fixture, received, scope, single, t, utc, KEY};
use crate::grant::{GrantChange, GrantOp};
use crate::model::{ActorKind, Outcome};
use crate::normalize::gitlab::{record_key, AUDIT_EVENT};
use crate::normalize::{NormalizeError, Normalized};
use serde_json::{json, Value};

fn audit(record: &Value) -> Result<Normalized, NormalizeError> {
    deliver(Some(AUDIT_EVENT), record.to_string().as_bytes())
}

/// The member-changing records written by GitLab's `Members::UpdateService` (EE): the event
/// name, the old and new role, the expiry, and `member_id` beside the user in `target_id`.
fn member_updated() -> Value {
    json!({
        "id": 4471,
        "author_id": 1,
        "entity_id": 60,
        "entity_type": "Group",
        "details": {
            "event_name": "member_updated",
            "change": "access_level",
            "from": "Developer",
            "to": "Maintainer",
            "expiry_from": null,
            "expiry_to": "2025-06-30",
            "as": "Maintainer",
            "member_id": 913,
            "author_name": "Administrator",
            "author_class": "User",
            "target_id": 51,
            "target_type": "User",
            "target_details": "Andreas",
            "ip_address": "127.0.0.1",
            "entity_path": "flightjs"
        },
        "created_at": "2024-05-02T10:00:00.000Z"
    })
}

#[test]
fn audit_event_of_a_role_change_removes_the_old_role_and_adds_the_new() {
    let (event, grants) = single(audit(&member_updated()).unwrap());
    assert_eq!(event.source_event_id, "4471");
    assert_eq!(event.action, "group.member.updated");
    assert_eq!(event.native_action, "member_updated");
    assert_eq!(event.actor.name, "Administrator");
    assert_eq!(event.actor.id.as_deref(), Some("1"));
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(event.actor.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        event.targets,
        [
            t("user", Some("51"), "Andreas"),
            t("group", Some("60"), "flightjs")
        ]
    );
    assert_eq!(event.scope, scope("group", "60", "flightjs"));
    assert_eq!(
        event.summary,
        "Administrator changed Andreas's role in group flightjs from developer to maintainer"
    );
    assert_eq!(event.occurred_at, utc("2024-05-02T10:00:00Z"));
    assert_eq!(event.details["expiry_to"], "2025-06-30");
    let at = utc("2024-05-02T10:00:00Z");
    let evidence = "GitLab audit event 4471 (member_updated) by Administrator, expires 2025-06-30";
    let expected = |op, permission: &str| GrantChange {
        at,
        grant: super::grant(("51", "Andreas"), "group", ("60", "flightjs"), permission),
        op,
        evidence: evidence.into(),
    };
    assert_eq!(
        grants,
        [
            expected(GrantOp::Removed, "developer"),
            expected(GrantOp::Added, "maintainer")
        ]
    );
}

#[test]
fn a_change_of_expiry_only_changes_no_role() {
    let mut record = member_updated();
    record["details"]["from"] = json!("Maintainer");
    let (event, grants) = single(audit(&record).unwrap());
    assert_eq!(event.action, "group.member.updated");
    assert!(grants.is_empty());
}

#[test]
fn streamed_member_created_and_destroyed_on_a_project() {
    let created = json!({
        "id": "9001",
        "author_id": 7,
        "author_name": "maria",
        "entity_id": 7,
        "entity_type": "Project",
        "entity_path": "twitter/typeahead-js",
        "details": {"add": "user_access", "as": "Default role: Developer", "member_id": 77,
                    "author_class": "User"},
        "target_id": 42,
        "target_type": "User",
        "target_details": "Jane Doe",
        "ip_address": "10.0.0.1",
        "created_at": "2024-03-01T08:00:00Z",
        "event_type": "member_created"
    });
    let (event, grants) = single(audit(&created).unwrap());
    assert_eq!(event.action, "project.member.added");
    assert_eq!(
        event.summary,
        "maria added Jane Doe to project twitter/typeahead-js as developer"
    );
    let jane = super::grant(
        ("42", "Jane Doe"),
        "project",
        ("7", "twitter/typeahead-js"),
        "developer",
    );
    assert_eq!(grants.len(), 1);
    assert_eq!((grants[0].op, &grants[0].grant), (GrantOp::Added, &jane));
    assert_eq!(grants[0].at, utc("2024-03-01T08:00:00Z"));

    let mut destroyed = created.clone();
    destroyed["id"] = json!("9002");
    destroyed["event_type"] = json!("member_destroyed");
    destroyed["details"] = json!({"remove": "user_access", "as": "Developer", "member_id": 77});
    let (event, grants) = single(audit(&destroyed).unwrap());
    assert_eq!(event.action, "project.member.removed");
    assert_eq!(
        event.summary,
        "maria removed Jane Doe from project twitter/typeahead-js"
    );
    assert_eq!(grants.len(), 1);
    assert_eq!((grants[0].op, &grants[0].grant), (GrantOp::Removed, &jane));
}

#[test]
fn an_expired_membership_is_removed_by_the_system() {
    let expired = json!({
        "id": 12,
        "author_id": -1,
        "author_name": "(System)",
        "entity_id": 60,
        "entity_type": "Group",
        "entity_path": "flightjs",
        "details": {"event_name": "member_destroyed", "remove": "user_access", "as": "Guest",
                    "member_id": 5, "system_event": true,
                    "reason": "access expired on 2024-05-01",
                    "author_class": "Gitlab::Audit::UnauthenticatedAuthor"},
        "target_id": 64, "target_type": "User", "target_details": "Test User",
        "created_at": "2024-05-02T00:00:05Z"
    });
    let (event, grants) = single(audit(&expired).unwrap());
    assert_eq!(event.actor.kind, ActorKind::Service);
    assert_eq!(event.actor.id, None);
    assert_eq!(
        event.summary,
        "Test User's membership of group flightjs ended: access expired on 2024-05-01"
    );
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].op, GrantOp::Removed);
    assert_eq!(grants[0].grant.permission, "guest");
}

#[test]
fn old_member_records_without_member_id_change_no_grants() {
    // Before `member_id` existed, GitLab wrote the membership's id into `target_id`.
    let legacy = json!({
        "id": 3,
        "author_id": 1,
        "entity_id": 7,
        "entity_type": "Project",
        "details": {"add": "user_access", "as": "Developer", "author_name": "Administrator",
                    "target_id": 1201, "target_type": "User", "target_details": "Jane Doe",
                    "entity_path": "twitter/typeahead-js"},
        "created_at": "2019-08-30T07:00:41.885Z"
    });
    let (event, grants) = single(audit(&legacy).unwrap());
    assert_eq!(event.action, "project.member.added");
    assert_eq!(event.native_action, "add user_access");
    assert!(grants.is_empty());
}

#[test]
fn streaming_git_operation_by_a_deploy_key() {
    let body =
        fixture("audit-event-streaming-docs/repository_git_operation.ssh-deploy-key-fetch.json");
    let (event, grants) = single(deliver(Some(AUDIT_EVENT), &body).unwrap());
    assert_eq!(event.source_event_id, "1");
    assert_eq!(event.action, "audit.repository_git_operation");
    assert_eq!(event.native_action, "repository_git_operation");
    assert_eq!(event.actor.name, "deploy-key-name");
    assert_eq!(event.actor.id, None);
    assert_eq!(event.actor.kind, ActorKind::Service);
    assert_eq!(event.actor.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        event.summary,
        "deploy-key-name ran git-upload-pack over ssh on example-group/example-project"
    );
    assert_eq!(event.targets, [t("project", Some("29"), "example-project")]);
    assert_eq!(
        event.scope,
        scope("project", "29", "example-group/example-project")
    );
    assert_eq!(event.occurred_at, utc("2022-07-26T05:43:53.662Z"));
    assert!(grants.is_empty());
    // Streaming posts come without an X-Gitlab-Event header; the body says what it is.
    let (without_kind, _) = single(deliver(None, &body).unwrap());
    assert_eq!(without_kind, event);
    assert_eq!(record_key(AUDIT_EVENT, &body).as_deref(), Some("1"));
}

#[test]
fn documented_api_examples() {
    let archived = json!({
        "id": 1, "author_id": 1, "entity_id": 6, "entity_type": "Project",
        "details": {"custom_message": "Project archived", "author_name": "Administrator",
                    "author_email": "admin@example.com", "target_id": "flightjs/flight",
                    "target_type": "Project", "target_details": "flightjs/flight",
                    "ip_address": "127.0.0.1", "entity_path": "flightjs/flight"},
        "created_at": "2019-08-30T07:00:41.885Z"
    });
    let (event, _) = single(audit(&archived).unwrap());
    assert_eq!(event.action, "audit.custom_message");
    assert_eq!(
        event.summary,
        "Administrator: Project archived (flightjs/flight)"
    );
    assert_eq!(
        event.targets,
        [t("project", Some("flightjs/flight"), "flightjs/flight")]
    );
    assert_eq!(event.details["custom_message"], "Project archived");

    let email = json!({
        "id": 3, "author_id": 51, "entity_id": 51, "entity_type": "User",
        "details": {"change": "email address", "from": "hello@flightjs.com",
                    "to": "maintainer@flightjs.com", "author_name": "Andreas",
                    "target_id": 51, "target_type": "User", "target_details": "Andreas",
                    "ip_address": null, "entity_path": "Andreas"},
        "created_at": "2019-08-22T16:34:25.639Z"
    });
    let (event, _) = single(audit(&email).unwrap());
    assert_eq!(event.action, "audit.change_email_address");
    assert_eq!(
        event.summary,
        "Andreas changed email address of Andreas from hello@flightjs.com to maintainer@flightjs.com (Andreas)"
    );
    assert_eq!(event.scope, scope("user", "51", "Andreas"));
    assert_eq!(event.actor.ip, None);

    let header = json!({
        "id": 4, "author_id": 43, "entity_id": 1, "entity_type": "Gitlab::Audit::InstanceScope",
        "details": {"author_name": "Administrator", "author_class": "User", "target_id": 32,
                    "target_type": "AuditEvents::Streaming::InstanceHeader",
                    "target_details": "unknown",
                    "custom_message": "Created custom HTTP header with key X-arg.",
                    "ip_address": "127.0.0.1", "entity_path": "gitlab_instance"},
        "ip_address": "127.0.0.1", "author_name": "Administrator",
        "entity_path": "gitlab_instance", "target_details": "unknown",
        "created_at": "2023-08-01T11:29:44.764Z",
        "target_type": "AuditEvents::Streaming::InstanceHeader", "target_id": 32,
        "event_type": "audit_events_streaming_instance_headers_create"
    });
    let (event, _) = single(audit(&header).unwrap());
    assert_eq!(
        event.action,
        "audit.audit_events_streaming_instance_headers_create"
    );
    assert_eq!(event.scope, None);
    assert_eq!(
        event.targets[0].kind,
        "auditevents_streaming_instanceheader"
    );
    assert_eq!(event.outcome, Outcome::Success);
}

#[test]
fn record_keys_are_audit_event_ids() {
    assert_eq!(
        record_key(AUDIT_EVENT, member_updated().to_string().as_bytes()).as_deref(),
        Some("4471")
    );
    assert_eq!(
        record_key("audit_event", br#"{"id":" 77 "}"#).as_deref(),
        Some("77")
    );
    // Lines of audit_json.log have no id; the importer hashes them.
    assert_eq!(
        record_key(AUDIT_EVENT, br#"{"time":"2024-01-01T00:00:00Z"}"#),
        None
    );
    assert_eq!(record_key(AUDIT_EVENT, b"[1,2]"), None);
    assert_eq!(record_key(AUDIT_EVENT, b"{\"id\":"), None);
    assert_eq!(record_key("System Hook", br#"{"id":1}"#), None);
}

#[test]
fn a_log_line_without_id_takes_the_delivery_key() {
    let line = json!({
        "severity": "INFO", "time": "2018-10-17T17:38:22.523Z", "author_id": 3,
        "entity_id": 2, "entity_type": "Project", "change": "visibility", "from": "Private",
        "to": "Public", "author_name": "John Doe4", "target_id": 2, "target_type": "Project",
        "target_details": "namespace2/project2"
    });
    let (event, _) = single(audit(&line).unwrap());
    assert_eq!(event.source_event_id, KEY);
    assert_eq!(event.action, "audit.change_visibility");
    assert_eq!(event.occurred_at, utc("2018-10-17T17:38:22.523Z"));
    assert_ne!(event.occurred_at, received());
}

/// Panther's GitLab.Audit test records are fragments of `audit_json.log` lines: only the
/// fields its rule reads, no time and no author. They are not accepted as whole events.
#[test]
fn panther_audit_fragments_are_rejected_for_lack_of_a_time() {
    for line in super::coverage::lines("panther-analysis-tests/gitlab-audit.jsonl") {
        assert_eq!(
            audit(&line).unwrap_err(),
            NormalizeError::Missing("created_at"),
            "{line}"
        );
    }
}

/// Panther's GitLab.Production records are Rails request log lines, not audit events.
#[test]
fn production_request_log_lines_are_set_aside() {
    let lines = super::coverage::lines("panther-analysis-tests/gitlab-production.jsonl");
    assert_eq!(lines.len(), 3);
    for line in lines {
        let normalized = audit(&line).unwrap();
        assert!(normalized.is_empty());
        let reason = normalized.ignored.unwrap();
        assert!(reason.contains("production_json.log"), "{reason}");
    }
}
