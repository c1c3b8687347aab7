//! Hand-checked events. The two group membership events are Okta System Log events as the
//! Cortex XSOAR Okta v2 integration recorded them from a real org (demisto/content,
//! `Packs/Okta/Integrations/Okta_v2/README.md`, "Context Example" of `okta-get-logs` and
//! `okta-get-group-assignments`), transcribed here; the fixtures hold no membership event.

use super::{received, run, run_kind, utc};
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use crate::model::{ActorKind, Outcome, Scope, Target};
use crate::normalize::NormalizeError;
use serde_json::{json, Value};

fn membership_event(event_type: &str, uuid: &str, user: &str, published: &str) -> Value {
    let (message, legacy) = if event_type.ends_with("add") {
        (
            "Add user to group membership",
            "core.user_group_member.user_add",
        )
    } else {
        (
            "Remove user from group membership",
            "core.user_group_member.user_remove",
        )
    };
    json!({
        "actor": {"alternateId": "Test@demisto.com", "detailEntry": null,
                  "displayName": "Test Demisto", "id": "00u66lckd7lpjidYi0h7", "type": "User"},
        "authenticationContext": {"authenticationProvider": null, "authenticationStep": 0,
                                  "credentialProvider": null, "credentialType": null,
                                  "externalSessionId": "trs4IvlVrvVR9G8RPsPtFjwBA",
                                  "interface": null, "issuer": null},
        "client": {"device": "Unknown",
                   "geographicalContext": {"city": "Boardman", "country": "United States",
                                           "geolocation": {"lat": 45.8491, "lon": -119.7143},
                                           "postalCode": "97818", "state": "Oregon"},
                   "id": null, "ipAddress": "127.0.0.1",
                   "userAgent": {"browser": "UNKNOWN", "os": "Unknown",
                                 "rawUserAgent": "Demisto/1.0"},
                   "zone": "null"},
        "debugContext": {"debugData": {
            "requestId": "XXxTqUauHPkBXo4-TEcw9QAAAq0",
            "requestUri": format!("/api/v1/groups/00g8mo0l5wuTxmoIC0h7/users/{user}"),
            "url": format!("/api/v1/groups/00g8mo0l5wuTxmoIC0h7/users/{user}?")}},
        "displayMessage": message,
        "eventType": event_type,
        "legacyEventType": legacy,
        "outcome": {"reason": null, "result": "SUCCESS"},
        "published": published,
        "request": {"ipChain": [{"geographicalContext": {"city": "Boardman"}, "ip": "127.0.0.1",
                                 "source": null, "version": "V4"}]},
        "securityContext": {"asNumber": null, "asOrg": null, "domain": null, "isProxy": null,
                            "isp": null},
        "severity": "INFO",
        "target": [
            {"alternateId": "test@this.com", "detailEntry": null, "displayName": "test this",
             "id": user, "type": "User"},
            {"alternateId": "unknown", "detailEntry": null, "displayName": "test1",
             "id": "00g8mo0l5wuTxmoIC0h7", "type": "UserGroup"}
        ],
        "transaction": {"detail": {}, "id": "XXxTqUauHPkBXo4-TEcw9QAAAq0", "type": "WEB"},
        "uuid": uuid,
        "version": "0"
    })
}

fn added() -> Value {
    membership_event(
        "group.user_membership.add",
        "5741ef53-d699-11e9-a08c-d549acc8afb2",
        "00ued6gq9jItNhAsN0h7",
        "2019-09-14T02:42:49.379Z",
    )
}

fn removed() -> Value {
    membership_event(
        "group.user_membership.remove",
        "d14117f9-5d8c-11ea-a9cb-1f2fbd3b03f7",
        "00uptu0jj9V91p5QM0h7",
        "2020-03-03T20:23:17.573Z",
    )
}

fn membership(op: GrantOp, user: &str, at: &str, event_type: &str) -> GrantChange {
    GrantChange {
        at: utc(at),
        grant: Grant {
            scope: "okta:org:default".into(),
            principal: Principal {
                kind: "user".into(),
                id: format!("okta:user:{user}"),
                name: "test@this.com".into(),
            },
            resource: Resource {
                kind: "group".into(),
                id: "okta:group:00g8mo0l5wuTxmoIC0h7".into(),
                name: "test1".into(),
            },
            permission: "member".into(),
            via: String::new(),
        },
        op,
        evidence: format!("{event_type} by Test@demisto.com"),
    }
}

#[test]
fn a_user_added_to_a_group_gains_membership() {
    let normalized = run(&added()).unwrap();
    assert_eq!(
        normalized.grant_changes,
        vec![membership(
            GrantOp::Added,
            "00ued6gq9jItNhAsN0h7",
            "2019-09-14T02:42:49.379Z",
            "group.user_membership.add"
        )]
    );
    let event = &normalized.events[0];
    assert_eq!(
        event.source_event_id,
        "5741ef53-d699-11e9-a08c-d549acc8afb2"
    );
    assert_eq!(event.occurred_at, utc("2019-09-14T02:42:49.379Z"));
    assert_eq!(event.action, "group.member.added");
    assert_eq!(event.native_action, "group.user_membership.add");
    assert_eq!(event.actor.name, "Test@demisto.com");
    assert_eq!(event.actor.id.as_deref(), Some("00u66lckd7lpjidYi0h7"));
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(event.actor.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(event.actor.user_agent.as_deref(), Some("Demisto/1.0"));
    assert_eq!(
        event.targets,
        vec![
            Target {
                kind: "user".into(),
                id: Some("00ued6gq9jItNhAsN0h7".into()),
                name: "test@this.com".into()
            },
            Target {
                kind: "group".into(),
                id: Some("00g8mo0l5wuTxmoIC0h7".into()),
                name: "test1".into()
            },
        ]
    );
    assert_eq!(
        event.scope,
        Some(Scope {
            kind: "org".into(),
            id: "default".into(),
            name: None
        })
    );
    assert_eq!(
        event.summary,
        "Test@demisto.com added test@this.com to group test1"
    );
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.details["sessionId"], "trs4IvlVrvVR9G8RPsPtFjwBA");
    assert_eq!(
        event.details["debugData"]["requestUri"],
        "/api/v1/groups/00g8mo0l5wuTxmoIC0h7/users/00ued6gq9jItNhAsN0h7"
    );
}

#[test]
fn a_user_removed_from_a_group_loses_membership() {
    let normalized = run(&removed()).unwrap();
    assert_eq!(
        normalized.grant_changes,
        vec![membership(
            GrantOp::Removed,
            "00uptu0jj9V91p5QM0h7",
            "2020-03-03T20:23:17.573Z",
            "group.user_membership.remove"
        )]
    );
    let event = &normalized.events[0];
    assert_eq!(event.action, "group.member.removed");
    assert_eq!(
        event.summary,
        "Test@demisto.com removed test@this.com from group test1"
    );
}

#[test]
fn the_org_named_by_the_transport_is_the_grant_scope() {
    let body = serde_json::to_vec(&added()).unwrap();
    let normalized = run_kind("system_log;org=acme.okta.com", &body).unwrap();
    assert_eq!(
        normalized.grant_changes[0].grant.scope,
        "okta:org:acme.okta.com"
    );
    assert_eq!(
        normalized.events[0].scope.as_ref().unwrap().id,
        "acme.okta.com"
    );
}

#[test]
fn a_failed_membership_change_grants_nothing() {
    let mut event = added();
    event["outcome"] = json!({"result": "FAILURE", "reason": "INSUFFICIENT_PERMISSIONS"});
    let normalized = run(&event).unwrap();
    assert!(normalized.grant_changes.is_empty());
    let event = &normalized.events[0];
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(
        event.error.as_deref(),
        Some("FAILURE: INSUFFICIENT_PERMISSIONS")
    );
    assert!(event
        .summary
        .ends_with("(failed: FAILURE: INSUFFICIENT_PERMISSIONS)"));
}

/// Hand-written (no fixture has one): the target shape of Okta's app assignment events, a
/// user, the app user and the app instance. Checks the grant rule, not a recorded payload.
#[test]
fn app_assignments_grant_assigned_on_the_app() {
    let event = json!({
        "uuid": "u-1", "published": "2024-02-03T04:05:06.789Z",
        "eventType": "application.user_membership.remove",
        "actor": {"id": "00uadmin", "type": "User", "alternateId": "admin@acme.io"},
        "outcome": {"result": "SUCCESS"},
        "target": [
            {"id": "0ua1", "type": "AppUser", "alternateId": "bob@acme.io"},
            {"id": "0oa9", "type": "AppInstance", "alternateId": "GitHub", "displayName": "GitHub Enterprise"},
            {"id": "00ubob", "type": "User", "alternateId": "bob@acme.io", "displayName": "Bob"}
        ]
    });
    let normalized = run(&event).unwrap();
    let change = &normalized.grant_changes;
    assert_eq!(change.len(), 1);
    assert_eq!(change[0].op, GrantOp::Removed);
    assert_eq!(change[0].grant.principal.id, "okta:user:00ubob");
    assert_eq!(change[0].grant.resource.id, "okta:app:0oa9");
    assert_eq!(change[0].grant.resource.name, "GitHub Enterprise");
    assert_eq!(change[0].grant.permission, "assigned");
    assert_eq!(normalized.events[0].action, "app.assignment.removed");
    assert_eq!(
        normalized.events[0].summary,
        "admin@acme.io unassigned bob@acme.io from app GitHub Enterprise"
    );
}

#[test]
fn every_event_type_has_a_verb() {
    use super::super::event::action;
    assert_eq!(action("user.session.start"), "auth.login");
    assert_eq!(
        action("user.account.privilege.revoke"),
        "admin_role.revoked"
    );
    assert_eq!(action("group.privilege.grant"), "admin_role.granted");
    assert_eq!(
        action("application.user_membership.add"),
        "app.assignment.added"
    );
    assert_eq!(
        action("system.api_token.create"),
        "okta.system.api_token.create"
    );
}

#[test]
fn malformed_events_are_errors_that_name_the_field() {
    let err = |body: &[u8]| run_kind("system_log", body).unwrap_err();
    assert!(matches!(
        err(b"{\"eventType\": \"x\""),
        NormalizeError::Json(_)
    ));
    assert!(matches!(err(b"\xff\xfe"), NormalizeError::Json(_)));
    assert!(err(b"[1]").to_string().contains("JSON object"));
    assert_eq!(err(b"{}"), NormalizeError::Missing("eventType"));
    assert_eq!(
        err(br#"{"eventType": 7, "published": "2024-01-01T00:00:00Z"}"#),
        NormalizeError::Missing("eventType")
    );
    assert_eq!(
        err(br#"{"eventType": "user.session.start", "published": "yesterday"}"#),
        NormalizeError::Invalid("published \"yesterday\" is not a time".into())
    );
    assert_eq!(
        err(br#"{"eventType": "user.session.start", "published": 1700000000}"#),
        NormalizeError::Invalid("published 1700000000 is not a time".into())
    );
    assert_eq!(
        err(br#"{"eventType": "user.session.start"}"#),
        NormalizeError::Missing("published")
    );
    assert!(matches!(err(b""), NormalizeError::Json(_)));
    // Wrong types inside an otherwise valid event degrade, they do not fail.
    let odd = json!({"eventType": "group.user_membership.add", "published": "2024-01-01T00:00:00Z",
                     "target": "x", "actor": 3, "outcome": [], "uuid": 9});
    let normalized = run(&odd).unwrap();
    assert!(normalized.grant_changes.is_empty());
    assert_eq!(normalized.events[0].actor.name, "unknown");
    assert_eq!(normalized.events[0].source_event_id, "delivery-1");
    assert_eq!(
        normalized.events[0].occurred_at,
        utc("2024-01-01T00:00:00Z")
    );
    assert_ne!(normalized.events[0].occurred_at, received());
    assert!(run_kind("", b"{}")
        .unwrap_err()
        .to_string()
        .contains("need a kind"));
    assert!(run_kind("event_hook", b"{}")
        .unwrap_err()
        .to_string()
        .contains("unknown okta kind"));
}
