//! Hand-checked events and grant changes of real audit-log entries.

use super::*;
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use crate::model::{ActorKind, Outcome, Scope, Target};
use serde_json::json;

const ELASTIC: &str = "gcp-audit/elastic-integrations/test-cloudresourcemanager-googleapis-com.log";

fn elastic() -> Value {
    records(ELASTIC).swap_remove(0)
}

fn target(kind: &str, id: &str, name: &str) -> Target {
    Target {
        kind: kind.into(),
        id: Some(id.into()),
        name: name.into(),
    }
}

#[test]
fn set_iam_policy_on_a_project_adds_the_delta_grant() {
    let normalized = single(run_entry(&elastic()));
    let event = &normalized.events[0];
    assert_eq!(event.source_event_id, "-30102re2sad8");
    assert_eq!(event.occurred_at, utc("2024-11-19T13:12:20.942393Z"));
    assert_eq!(event.action, "iam.policy.set");
    assert_eq!(
        event.native_action,
        "cloudresourcemanager.googleapis.com:SetIamPolicy"
    );
    assert_eq!(
        event.actor.name,
        "made-up-ci-account@project-id.iam.gserviceaccount.com"
    );
    assert_eq!(event.actor.kind, ActorKind::Service);
    assert_eq!(event.actor.ip.as_deref(), Some("192.168.0.1"));
    assert!(event
        .actor
        .user_agent
        .as_deref()
        .unwrap()
        .starts_with("google-cloud-sdk gcloud/501.0.0"));
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(
        event.scope,
        Some(Scope {
            kind: "project".into(),
            id: "project-id".into(),
            name: None
        })
    );
    let member = "serviceAccount:project-id@cloudservices.gserviceaccount.com";
    assert_eq!(
        event.targets,
        [
            target("project", "gcp:project:project-id", "project-id"),
            target(
                "service_account",
                &format!("gcp:{member}"),
                "project-id@cloudservices.gserviceaccount.com"
            ),
        ]
    );
    assert_eq!(
        event.summary,
        format!(
            "made-up-ci-account@project-id.iam.gserviceaccount.com granted \
             roles/resourcemanager.projectIamAdmin to {member} on project project-id"
        )
    );
    assert_eq!(event.details["log"], "activity");
    assert_eq!(event.details["binding_deltas"][0]["action"], "ADD");

    // The request's and response's whole policies are not deltas: only the one delta counts.
    let project = Resource {
        kind: "project".into(),
        id: "gcp:project:project-id".into(),
        name: "project-id".into(),
    };
    assert_eq!(
        normalized.grant_changes,
        [GrantChange {
            at: utc("2024-11-19T13:12:20.942393Z"),
            grant: Grant {
                scope: "gcp:project:project-id".into(),
                principal: Principal {
                    kind: "service_account".into(),
                    id: format!("gcp:{member}"),
                    name: "project-id@cloudservices.gserviceaccount.com".into(),
                },
                resource: project,
                permission: "roles/resourcemanager.projectIamAdmin".into(),
                via: String::new(),
            },
            op: GrantOp::Added,
            evidence: "cloudresourcemanager.googleapis.com:SetIamPolicy by \
                       made-up-ci-account@project-id.iam.gserviceaccount.com"
                .into(),
        }]
    );
}

#[test]
fn set_iam_policy_on_an_organization_removes_the_delta_grant() {
    // Panther's "GCP SA removed from org owner" style sample: serviceName sits outside
    // protoPayload there, so the service comes from the permission check's resource.
    let normalized = single(run_entry(&panther(65)));
    let event = &normalized.events[0];
    assert_eq!(event.source_event_id, "-yoga2udnx8s");
    assert_eq!(event.actor.name, "chris@example.com");
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(
        event.actor.id.as_deref(),
        Some("gcp:user:chris@example.com")
    );
    assert_eq!(
        event.native_action,
        "cloudresourcemanager.googleapis.com:SetIamPolicy"
    );
    assert_eq!(
        event.scope,
        Some(Scope {
            kind: "org".into(),
            id: "888888888888".into(),
            name: None
        })
    );
    assert_eq!(
        event.summary,
        "chris@example.com revoked roles/owner from \
         serviceAccount:diana@platform.iam.gserviceaccount.com on organization 888888888888"
    );
    let [change] = normalized.grant_changes.as_slice() else {
        panic!("{:#?}", normalized.grant_changes)
    };
    assert_eq!(change.op, GrantOp::Removed);
    assert_eq!(change.at, utc("2022-02-17T22:52:02.692083Z"));
    assert_eq!(change.grant.scope, "gcp:organization:888888888888");
    assert_eq!(change.grant.resource.id, "gcp:organization:888888888888");
    assert_eq!(change.grant.resource.kind, "organization");
    assert_eq!(
        change.grant.principal.id,
        "gcp:serviceAccount:diana@platform.iam.gserviceaccount.com"
    );
    assert_eq!(change.grant.principal.kind, "service_account");
    assert_eq!(change.grant.permission, "roles/owner");
    assert_eq!(change.grant.via, "");
}

#[test]
fn making_a_bucket_public_is_a_grant_to_all_users_on_the_bucket() {
    let normalized = single(run_entry(&panther(51)));
    let event = &normalized.events[0];
    assert_eq!(event.action, "iam.policy.set");
    assert_eq!(
        event.native_action,
        "storage.googleapis.com:storage.setIamPermissions"
    );
    let [change] = normalized.grant_changes.as_slice() else {
        panic!("{:#?}", normalized.grant_changes)
    };
    let bucket = "gcp://storage.googleapis.com/jacks-test-bucket";
    assert_eq!(change.grant.resource.id, bucket);
    assert_eq!(change.grant.resource.kind, "bucket");
    assert_eq!(change.grant.scope, bucket);
    assert_eq!(change.grant.principal.id, "gcp:allUsers");
    assert_eq!(change.grant.principal.kind, "public");
    assert_eq!(change.grant.permission, "roles/storage.objectViewer");
    assert_eq!(change.op, GrantOp::Added);
    // The event still happened in the bucket's project.
    assert_eq!(event.scope.as_ref().unwrap().id, "western-verve-123456");
}

#[test]
fn a_denied_call_is_a_failure_with_the_status_message() {
    // A VPC Service Controls refusal from the `policy` audit log.
    let normalized = single(run_entry(&panther(2)));
    let event = &normalized.events[0];
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(
        event.error.as_deref(),
        Some(
            "PERMISSION_DENIED: Request is prohibited by organization's policy. \
             vpcServiceControlsUniqueIdentifier: \
             gBc-wuGVCapNMnTUePoHos_VyJmr3CsMKlr48kVa4b6XpsT_OWKRng"
        )
    );
    assert_eq!(event.action, "storage.object.get");
    assert_eq!(event.details["log"], "policy");
    assert_eq!(event.actor.ip.as_deref(), Some("1.2.3.4"));
    assert_eq!(
        event.summary,
        "user1@serviceaccount.gcp.com called objects.get on project 197946410614 \
         (denied: PERMISSION_DENIED)"
    );
}

#[test]
fn a_failed_policy_write_changes_no_grant() {
    let mut entry = elastic();
    entry["protoPayload"]["status"] = json!({"code": 9, "message": "stale etag"});
    let normalized = single(run_entry(&entry));
    assert_eq!(normalized.events[0].outcome, Outcome::Failure);
    assert_eq!(
        normalized.events[0].error.as_deref(),
        Some("FAILED_PRECONDITION: stale etag")
    );
    assert!(normalized.events[0]
        .summary
        .ends_with("(failed: FAILED_PRECONDITION)"));
    assert!(normalized.grant_changes.is_empty());
}

#[test]
fn a_conditional_delta_is_its_own_grant_and_several_deltas_are_summarized() {
    let mut entry = elastic();
    entry["protoPayload"]["serviceData"]["policyDelta"]["bindingDeltas"] = json!([
        {"action": "ADD", "member": "user:alice@example.com", "role": "roles/viewer",
         "condition": {"title": "until-june", "expression": "request.time < timestamp('2024-06-30T00:00:00Z')"}},
        {"action": "REMOVE", "member": "group:ops@example.com", "role": "roles/editor"},
        {"action": "ADD", "member": "domain:example.com", "role": "roles/browser"},
    ]);
    let normalized = single(run_entry(&entry));
    let changes = &normalized.grant_changes;
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[0].grant.via, "condition:until-june");
    assert_eq!(changes[1].op, GrantOp::Removed);
    assert_eq!(changes[1].grant.principal.kind, "group");
    assert_eq!(changes[2].grant.principal.kind, "domain");
    assert_eq!(
        normalized.events[0].summary,
        "made-up-ci-account@project-id.iam.gserviceaccount.com changed the IAM policy of \
         project project-id: granted roles/viewer to user:alice@example.com \
         (condition:until-june), revoked roles/editor from group:ops@example.com and 1 more"
    );
}

#[test]
fn deltas_in_metadata_count_like_deltas_in_service_data() {
    let mut entry = elastic();
    let payload = entry["protoPayload"].as_object_mut().unwrap();
    let service_data = payload.remove("serviceData").unwrap();
    payload.insert("metadata".into(), service_data);
    let normalized = single(run_entry(&entry));
    assert_eq!(normalized.grant_changes.len(), 1);
}

#[test]
fn an_unreadable_delta_is_an_error() {
    for (delta, expected) in [
        (
            json!({"action": "FLIP", "member": "user:a@b.c", "role": "roles/x"}),
            "neither ADD nor REMOVE",
        ),
        (
            json!({"action": "ADD", "role": "roles/x"}),
            "has no `member`",
        ),
        (
            json!({"action": "ADD", "member": "user:a@b.c", "role": 7}),
            "has no `role`",
        ),
    ] {
        let mut entry = elastic();
        entry["protoPayload"]["serviceData"]["policyDelta"]["bindingDeltas"] = json!([delta]);
        let err = run_entry(&entry).unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[test]
fn a_topic_created_with_a_service_account_key() {
    let normalized = single(run_entry(
        &records("gcp-audit/google-cloudevents/LogEntryData-pubsubCreateTopic.json")[0],
    ));
    let event = &normalized.events[0];
    assert_eq!(event.source_event_id, "9frck8cf9j");
    assert_eq!(event.action, "pubsub.topic.created");
    assert_eq!(
        event.native_action,
        "pubsub.googleapis.com:google.pubsub.v1.Publisher.CreateTopic"
    );
    assert_eq!(
        event.targets,
        [target(
            "topic",
            "gcp://pubsub.googleapis.com/projects/test-project/topics/test-auditlogs-source",
            "test-auditlogs-source"
        )]
    );
    assert_eq!(
        event.summary,
        "robot@test-project.iam.gserviceaccount.com called Publisher.CreateTopic on topic \
         test-auditlogs-source"
    );
    assert!(event.details["service_account_key"]
        .as_str()
        .unwrap()
        .ends_with("/keys/90f662482321f1ca8e82ea675b1a1c30c1fe681f"));
    assert_eq!(
        event.details["permissions"],
        json!(["pubsub.topics.create"])
    );
    assert!(normalized.grant_changes.is_empty());
}

#[test]
fn service_account_and_key_creation_and_instance_deletion() {
    let by_method = |method: &str| {
        records(PANTHER)
            .into_iter()
            .filter(|r| r["protoPayload"]["methodName"] == method && r["insertId"].is_string())
            .map(|r| single(run_entry(&r)).events.remove(0))
            .next()
            .unwrap_or_else(|| panic!("no complete {method} entry"))
    };
    let created = by_method("google.iam.admin.v1.CreateServiceAccount");
    assert_eq!(created.action, "iam.service_account.created");
    let key = by_method("google.iam.admin.v1.CreateServiceAccountKey");
    assert_eq!(key.action, "iam.service_account_key.created");
    let deleted = by_method("v1.compute.instances.delete");
    assert_eq!(deleted.action, "compute.instance.deleted");
    assert_eq!(deleted.targets[0].kind, "instance");
}

#[test]
fn a_system_event_without_a_caller_is_done_by_the_system() {
    let mut entry = records("gcp-audit/gcpdiag-test-data/gce5.logging-entries-1.json")
        .into_iter()
        .find(|e| e["protoPayload"]["methodName"] == "ScheduledVMs")
        .unwrap();
    assert_eq!(entry["insertId"], "-3kpfhrdus74");
    entry["protoPayload"]
        .as_object_mut()
        .unwrap()
        .remove("authenticationInfo");
    let event = single(run_entry(&entry)).events.remove(0);
    assert_eq!(event.actor.name, "system");
    assert_eq!(event.actor.kind, ActorKind::Service);
    // No serviceName: the long-running operation's producer names the service.
    assert_eq!(event.native_action, "compute.googleapis.com:ScheduledVMs");
    assert_eq!(event.action, "compute.vms.scheduled");
    assert_eq!(event.details["log"], "system_event");
    assert!(event.targets.is_empty());
    assert_eq!(event.summary, "system called ScheduledVMs");
}

#[test]
fn entries_that_are_not_audit_logs_are_ignored() {
    let text = records("gcp-audit/gcpdiag-test-data/gcf2.logging-entries-1.json")
        .into_iter()
        .find(|e| e.get("textPayload").is_some())
        .unwrap();
    let normalized = run_entry(&text).unwrap();
    assert!(normalized.is_empty());
    assert!(normalized
        .ignored
        .unwrap()
        .starts_with("not an audit log: a textPayload entry of projects/"));

    let request_log = json!({"insertId": "x", "timestamp": "2024-01-01T00:00:00Z",
        "protoPayload": {"@type": "type.googleapis.com/google.appengine.logging.v1.RequestLog"}});
    let normalized = run_entry(&request_log).unwrap();
    assert_eq!(
        normalized.ignored.as_deref(),
        Some("not an audit log: protoPayload is type.googleapis.com/google.appengine.logging.v1.RequestLog")
    );
}

#[test]
fn siem_timestamps_and_every_refused_check_without_status() {
    // Panther keeps `2024-02-02 09:44:26.029835000`; the entry lost its status but every
    // permission check says `granted: false`.
    let event = single(run_entry(&panther(9))).events.remove(0);
    assert_eq!(event.occurred_at, utc("2024-02-02T09:44:26.029835Z"));
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(event.action, "iam.policy.set");
    // The same call granted: the new policy is logged, but without deltas there is no change.
    let granted = single(run_entry(&panther(8)));
    assert_eq!(granted.events[0].outcome, Outcome::Success);
    assert!(granted.grant_changes.is_empty());
    assert_eq!(
        granted.events[0].summary,
        "some.user@company.com set the IAM policy of service cloudrun-exfil"
    );
}

#[test]
fn malformed_entries_name_what_is_wrong() {
    let complete = elastic();
    let without = |pointer: &str| {
        let mut entry = complete.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = if parent.is_empty() {
            &mut entry
        } else {
            entry.pointer_mut(parent).unwrap()
        };
        parent.as_object_mut().unwrap().remove(key);
        entry
    };
    let err = |entry: &Value| run_entry(entry).unwrap_err();
    // Without insertId the delivery key is the id; without either there is no id at all.
    let anonymous = without("/insertId");
    assert_eq!(
        single(run_entry(&anonymous)).events[0].source_event_id,
        "key-1"
    );
    let keyless = normalize(&RawDelivery {
        source: Source::Gcp,
        kind: Some("log_entry"),
        delivery_key: "",
        received_at: received(),
        body: anonymous.to_string().as_bytes(),
    });
    assert_eq!(keyless.unwrap_err(), NormalizeError::Missing("insertId"));
    assert_eq!(
        err(&without("/protoPayload/methodName")),
        NormalizeError::Missing("protoPayload.methodName")
    );
    let mut no_time = without("/timestamp");
    no_time.as_object_mut().unwrap().remove("receiveTimestamp");
    assert_eq!(err(&no_time), NormalizeError::Missing("timestamp"));
    let mut bad_time = complete.clone();
    bad_time["timestamp"] = json!("yesterday");
    assert!(err(&bad_time).to_string().contains("is not a time"));
    let mut wrong_type = complete.clone();
    wrong_type["protoPayload"] = json!("SetIamPolicy");
    assert_eq!(err(&wrong_type), NormalizeError::Missing("protoPayload"));
    let mut no_resource = without("/protoPayload/resourceName");
    no_resource["resource"] = json!({});
    assert_eq!(
        err(&no_resource),
        NormalizeError::Missing("protoPayload.resourceName")
    );

    assert_eq!(err(&json!({})), NormalizeError::Missing("protoPayload"));
    assert!(err(&json!([1, 2]))
        .to_string()
        .contains("must be a JSON object"));
    assert!(err(&json!({"entries": [complete.clone()]}))
        .to_string()
        .contains("list of log entries"));
    let text = complete.to_string();
    let truncated = &text.as_bytes()[..text.len() / 2];
    assert!(matches!(
        run("log_entry", truncated),
        Err(NormalizeError::Json(_))
    ));
    assert!(matches!(
        run("log_entry", b"\xff\xfe"),
        Err(NormalizeError::Json(_))
    ));
    assert!(run("log_entry", b"").is_err());
}

#[test]
fn wrong_types_read_as_absent_rather_than_panicking() {
    let mut entry = elastic();
    entry["protoPayload"]["authenticationInfo"] = json!(["x"]);
    entry["protoPayload"]["requestMetadata"] = json!("...");
    entry["protoPayload"]["status"] = json!({"code": "not a number"});
    entry["protoPayload"]["authorizationInfo"] = json!(7);
    entry["resource"] = json!("...");
    entry["protoPayload"]["resourceName"] = json!("projects/p/".repeat(10_000));
    let event = single(run_entry(&entry)).events.remove(0);
    assert_eq!(event.actor.kind, ActorKind::Unknown);
    assert_eq!(event.actor.ip, None);
    assert_eq!(event.outcome, Outcome::Success);
}
