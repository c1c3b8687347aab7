//! Audit-log records: hand-checked events and grant changes, the record key, every record of
//! the fixtures, and malformed records.

use super::{deliver, received, t, utc};
use crate::fixtures;
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use crate::model::{ActorKind, Scope};
use crate::normalize::github::record_key;
use crate::normalize::{NormalizeError, Normalized};
use serde_json::{json, Value};

const PANTHER: &str = "github/audit-log/panther-analysis-tests/github-audit.jsonl";
const DOCS: &str = "github/rest-api-docs-examples/GET_orgs_org_audit-log.200.audit-log.json";

fn audit(record: &Value) -> Normalized {
    deliver(Some("audit_log"), record.to_string().as_bytes()).unwrap()
}

/// The records of an NDJSON file, one a line, as the file reader splits them.
pub(super) fn lines(relative: &str) -> Vec<Value> {
    String::from_utf8(fixtures::read(relative))
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The one record of `action` in Panther's file.
fn panther(action: &str) -> Value {
    let mut found: Vec<Value> = lines(PANTHER)
        .into_iter()
        .filter(|r| r["action"] == action)
        .collect();
    assert_eq!(found.len(), 1, "{action}");
    found.remove(0)
}

fn docs_records() -> Vec<Value> {
    serde_json::from_slice::<Value>(&fixtures::read(DOCS))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn org_add_member_by_login() {
    // {"actor": "cat", "action": "org.add_member", "created_at": 1621305118553,
    //  "org": "my-org", "user": "cat"}: no ids, so the names stand in.
    let normalized = audit(&panther("org.add_member"));
    let at = utc("2021-05-18T02:31:58.553Z");
    assert_eq!(
        normalized.grant_changes,
        [GrantChange {
            at,
            grant: Grant {
                scope: "github:org:my-org".into(),
                principal: Principal {
                    kind: "user".into(),
                    id: "github:login:cat".into(),
                    name: "cat".into(),
                },
                resource: Resource {
                    kind: "org".into(),
                    id: "github:org:my-org".into(),
                    name: "my-org".into(),
                },
                permission: "member".into(),
                via: String::new(),
            },
            op: GrantOp::Added,
            evidence: "org.add_member audit-log entry by cat".into(),
        }]
    );
    let event = &normalized.events[0];
    assert_eq!(normalized.events.len(), 1);
    assert_eq!(event.action, "org.member.added");
    assert_eq!(event.native_action, "org.add_member");
    assert_eq!(event.occurred_at, at);
    assert_eq!(event.actor.name, "cat");
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(event.targets, [t("user", None, "cat")]);
    assert_eq!(event.summary, "cat added cat to org my-org");
    // No `_document_id`: the delivery's key, which `record_key` made.
    assert_eq!(event.source_event_id, "delivery-1");
    assert_eq!(
        event.scope,
        Some(Scope {
            kind: "org".into(),
            id: "my-org".into(),
            name: Some("my-org".into()),
        })
    );

    let removed = audit(&panther("org.remove_member")).grant_changes;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].op, GrantOp::Removed);
    assert_eq!(removed[0].grant.principal.id, "github:login:bob");
    // The record does not say which role ended: whichever was held.
    assert_eq!(removed[0].grant.permission, crate::grant::ANY);
}

#[test]
fn the_documented_records() {
    let records = docs_records();
    let team_add = audit(&records[0]);
    let event = &team_add.events[0];
    assert_eq!(event.source_event_id, "xJJFlFOhQ6b-5vaAFy9Rjw");
    assert_eq!(event.action, "team.member.added");
    assert_eq!(event.occurred_at, utc("2020-12-02T17:24:34.512Z"));
    assert_eq!(
        event.targets,
        [
            t("user", None, "monalisa"),
            t("team", None, "octo-corp/example-team")
        ]
    );
    assert_eq!(
        event.summary,
        "octocat added monalisa to team octo-corp/example-team"
    );
    let change = &team_add.grant_changes[0];
    assert_eq!(team_add.grant_changes.len(), 1);
    assert_eq!(change.op, GrantOp::Added);
    assert_eq!(change.grant.scope, "github:org:octo-corp");
    assert_eq!(change.grant.principal.id, "github:login:monalisa");
    assert_eq!(
        change.grant.resource.id,
        "github:team:octo-corp/example-team"
    );
    assert_eq!(change.grant.resource.kind, "team");
    assert_eq!(change.grant.permission, "member");
    assert_eq!(change.at, event.occurred_at);

    let created = audit(&records[1]);
    assert_eq!(created.events[0].action, "org.created");
    assert_eq!(
        created.events[0].targets,
        [t("org", None, "octocat-test-org")]
    );
    assert!(created.grant_changes.is_empty());

    let destroyed = audit(&records[2]);
    assert_eq!(destroyed.events[0].action, "repo.deleted");
    assert_eq!(
        destroyed.events[0].summary,
        "monalisa deleted repository mona-org/mona-test-repo"
    );
    assert_eq!(destroyed.events[0].details["visibility"], "private");
    // Every grant on a deleted repository ends with it.
    let ended: Vec<_> = destroyed
        .grant_changes
        .iter()
        .map(|c| {
            let g = &c.grant;
            (
                c.op,
                g.principal.id.as_str(),
                g.resource.name.as_str(),
                g.permission.as_str(),
            )
        })
        .collect();
    assert_eq!(
        ended,
        [(GrantOp::Removed, "*", "mona-org/mona-test-repo", "*")]
    );
}

#[test]
fn ids_in_a_record_are_preferred_to_names() {
    let record = json!({
        "action": "org.update_member", "actor": "mona", "actor_id": "5",
        "user": "Hubot", "user_id": "42", "org": "Octo-Org", "org_id": 99,
        "permission": "admin", "old_permission": "read",
        "@timestamp": 1_700_000_000_000_i64,
        "actor_location": {"country_code": "NL"}, "actor_ip": "192.0.2.1",
    });
    let normalized = audit(&record);
    let brief: Vec<_> = normalized
        .grant_changes
        .iter()
        .map(|c| {
            (
                c.op,
                c.grant.principal.id.as_str(),
                c.grant.resource.id.as_str(),
                c.grant.permission.as_str(),
            )
        })
        .collect();
    // The audit log writes an org member's role as `read`.
    assert_eq!(
        brief,
        [
            (
                GrantOp::Removed,
                "github:user:42",
                "github:org:99",
                "member"
            ),
            (GrantOp::Added, "github:user:42", "github:org:99", "admin"),
        ]
    );
    assert_eq!(
        normalized.grant_changes[0].grant.scope,
        "github:org:octo-org"
    );
    let event = &normalized.events[0];
    assert_eq!(event.action, "org.member.edited");
    assert_eq!(
        event.summary,
        "mona changed Hubot's role in org Octo-Org (member → admin)"
    );
    assert_eq!(event.actor.id.as_deref(), Some("5"));
    assert_eq!(event.actor.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(event.details["country_code"], "NL");
    assert_eq!(event.occurred_at, utc("2023-11-14T22:13:20Z"));

    let repo = json!({
        "action": "repo.add_member", "actor": "mona", "user": "hubot", "user_id": 42,
        "repo": "octo-org/app", "repo_id": 1296269, "permission": "push",
    });
    let changes = audit(&repo).grant_changes;
    assert_eq!(changes[0].grant.principal.id, "github:user:42");
    assert_eq!(changes[0].grant.resource.id, "github:repo:1296269");
    assert_eq!(changes[0].grant.permission, "write");
    // No `org`: the repository's owner is the organization.
    assert_eq!(changes[0].grant.scope, "github:org:octo-org");
    assert_eq!(changes[0].at, received());

    let promoted = json!({
        "action": "team.promote_maintainer", "actor": "mona", "user": "hubot",
        "team": "octo-org/platform", "org": "octo-org",
    });
    let changes = audit(&promoted).grant_changes;
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.op, c.grant.permission.as_str()))
            .collect::<Vec<_>>(),
        [(GrantOp::Removed, "member"), (GrantOp::Added, "maintainer")]
    );

    let owner = json!({
        "action": "business.add_admin", "actor": "mona", "user": "hubot",
        "business": "Acme", "business_id": 7,
    });
    let changes = audit(&owner).grant_changes;
    assert_eq!(changes[0].grant.scope, "github:enterprise:acme");
    assert_eq!(changes[0].grant.resource.id, "github:enterprise:7");
    assert_eq!(changes[0].grant.permission, "admin");
}

#[test]
fn record_keys() {
    let records = docs_records();
    let bytes = |v: &Value| v.to_string().into_bytes();
    assert_eq!(
        record_key("audit_log", &bytes(&records[0])).as_deref(),
        Some("xJJFlFOhQ6b-5vaAFy9Rjw")
    );
    assert_eq!(
        record_key("audit_log", &bytes(&panther("repo.add_member"))).as_deref(),
        Some("1621305118553:repo.add_member:bob:cat:my-org/my-repo:")
    );
    // Panther's `at_sign_timestamp` text and `@timestamp` milliseconds give the same key.
    let text = json!({"action": "org.add_member", "actor": "a", "user": "b",
                      "at_sign_timestamp": "2022-12-11 05:17:28.078"});
    let millis = json!({"action": "org.add_member", "actor": "a", "user": "b",
                        "@timestamp": 1_670_735_848_078_i64});
    assert_eq!(
        record_key("audit_log", &bytes(&text)),
        record_key("audit_log", &bytes(&millis))
    );
    assert!(record_key("audit_log", &bytes(&text)).is_some());
    // No time: no key, rather than one a later record would collide with.
    assert_eq!(
        record_key("audit_log", &bytes(&panther("business.add_admin"))),
        None
    );
    assert_eq!(record_key("audit_log", b"{\"action\": "), None);
    assert_eq!(record_key("audit_log", b"{\"@timestamp\": 5}"), None);
    assert_eq!(record_key("member", &bytes(&records[0])), None);
    assert_eq!(record_key("org_snapshot", &bytes(&records[0])), None);
}

#[test]
fn times_in_the_forms_records_write() {
    // at_sign_timestamp "2022-12-11 05:17:28.078", with a `_document_id`.
    let normalized = audit(&panther("organization_moderators.add_user"));
    assert_eq!(
        normalized.events[0].occurred_at,
        utc("2022-12-11T05:17:28.078Z")
    );
    assert_eq!(normalized.events[0].source_event_id, "Ab123");
    assert_eq!(normalized.events[0].details["country_code"], "US");
    // "2024-12-17 00:00:00000000" reads as no time at all: the time it arrived.
    let normalized = audit(&panther("repository_ruleset.create"));
    assert_eq!(normalized.events[0].occurred_at, received());
    assert_eq!(
        normalized.events[0].action,
        "audit.repository_ruleset.create"
    );
}

#[test]
fn every_record_of_the_fixtures_is_an_event() {
    let records: Vec<Value> = lines(PANTHER).into_iter().chain(docs_records()).collect();
    assert_eq!(records.len(), 98 + 3);
    let mut granting = std::collections::BTreeSet::new();
    for record in &records {
        let normalized = audit(record);
        let native = record["action"].as_str().unwrap();
        assert_eq!(normalized.events.len(), 1, "{record}");
        let event = &normalized.events[0];
        assert_eq!(event.native_action, native);
        assert!(
            !event.action.starts_with("audit.") || event.action == format!("audit.{native}"),
            "{record}"
        );
        assert!(!event.summary.is_empty() && !event.summary.contains('\n'));
        if !normalized.grant_changes.is_empty() {
            granting.insert(native.to_owned());
        }
    }
    // The records that both change access and name whom and what: the others in the file
    // leave out the team, the permission or the enterprise.
    assert_eq!(
        granting.into_iter().collect::<Vec<_>>(),
        [
            "org.add_member",
            "org.remove_member",
            "repo.add_member",
            "repo.destroy",
            "repo.remove_member",
            "team.add_member",
            "team.add_repository",
            "team.destroy",
        ]
    );
    // The one record with nothing but an action has an actor nobody knows.
    let bare = audit(&panther("not_repository_vulnerability_alert.dismiss"));
    assert_eq!(bare.events[0].actor.kind, ActorKind::Unknown);
    assert_eq!(bare.events[0].actor.name, "unknown");
    // `github-actions[bot]` acting with an app's own token.
    let bot = lines(PANTHER)
        .into_iter()
        .find(|r| r["actor"] == "github-actions[bot]")
        .unwrap();
    assert_eq!(audit(&bot).events[0].actor.kind, ActorKind::Bot);
    // Panther keeps a team it does not know under `data`.
    let team_repo = audit(&panther("team.add_repository")).grant_changes;
    assert_eq!(
        team_repo[0].grant.principal.id,
        "github:team:my-org/my-team"
    );
    assert_eq!(team_repo[0].grant.resource.id, "github:repo:my-org/my-repo");
    assert_eq!(team_repo[0].grant.permission, "read");
}

#[test]
fn malformed_records_are_refused() {
    let run = |body: &[u8]| deliver(Some("audit_log"), body);
    assert!(matches!(
        run(b"{\"action\": \"org."),
        Err(NormalizeError::Json(_))
    ));
    assert!(matches!(run(b"\xff\xfe"), Err(NormalizeError::Json(_))));
    assert_eq!(
        run(b"[]"),
        Err(NormalizeError::Invalid(
            "an audit-log record is not a JSON object".into()
        ))
    );
    assert_eq!(run(b"{}"), Err(NormalizeError::Missing("action")));
    assert_eq!(
        run(b"{\"action\": 5, \"actor\": \"cat\"}"),
        Err(NormalizeError::Missing("action"))
    );
    // Wrong types elsewhere read as absent: an event, and no grant without a user.
    let odd = audit(
        &json!({"action": "org.add_member", "user": 7, "org": [], "actor": {},
                            "@timestamp": "soon", "data": "x"}),
    );
    assert_eq!(odd.events[0].occurred_at, received());
    assert_eq!(odd.events[0].actor.name, "unknown");
    assert!(odd.grant_changes.is_empty());
}

/// Each field of each record replaced by values of every type: any result, never a panic.
#[test]
fn odd_field_types_never_panic() {
    let odd = super::robustness::odd_values();
    for record in lines(PANTHER).into_iter().chain(docs_records()) {
        for key in record.as_object().unwrap().keys() {
            for value in &odd {
                let mut changed = record.clone();
                changed[key.as_str()] = value.clone();
                let bytes = changed.to_string().into_bytes();
                let _ = deliver(Some("audit_log"), &bytes);
                let _ = record_key("audit_log", &bytes);
            }
        }
    }
}
