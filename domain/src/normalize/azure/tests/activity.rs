//! Activity Log records: role assignment writes and deletes checked by hand, both record
//! shapes, what is ignored, record keys and malformed records.

use super::super::record_key;
use super::{record, run, run_bytes, utc};
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use crate::model::{ActorKind, Outcome, Scope, Target};
use crate::normalize::NormalizeError;
use serde_json::{json, Value};

const MONITOR: &str = "panther-analysis-tests/azure-monitor-activity.jsonl";
const SUBSCRIPTION: &str = "12345678-1234-1234-1234-123456789abc";

fn target(kind: &str, id: &str, name: &str) -> Target {
    Target {
        kind: kind.into(),
        id: Some(id.into()),
        name: name.into(),
    }
}

#[test]
fn a_role_assignment_write_grants_the_role_on_its_scope() {
    let normalized = run("activity_log", &record(MONITOR, 120)).unwrap();
    let subscription_path = format!("/subscriptions/{SUBSCRIPTION}");
    assert_eq!(
        normalized.grant_changes,
        vec![GrantChange {
            at: utc("2024-12-17T13:30:00Z"),
            grant: Grant {
                scope: format!("azure:subscription:{SUBSCRIPTION}"),
                // From properties.requestbody, not identity.authorization.evidence: the
                // evidence is the caller's own role assignment that allowed the call.
                principal: Principal {
                    kind: "user".into(),
                    id: "azure:principal:22222222-3333-4444-5555-666666666666".into(),
                    name: "22222222-3333-4444-5555-666666666666".into(),
                },
                resource: Resource {
                    kind: "subscription".into(),
                    id: format!("azure:scope:{subscription_path}"),
                    name: SUBSCRIPTION.into(),
                },
                permission: "Reader".into(),
                via: String::new(),
            },
            op: GrantOp::Added,
            evidence: "Microsoft.Authorization/roleAssignments/write by unknown".into(),
        }]
    );
    let event = &normalized.events[0];
    assert_eq!(event.action, "role_assignment.created");
    assert_eq!(
        event.native_action,
        "Microsoft.Authorization/roleAssignments/write"
    );
    assert_eq!(event.occurred_at, utc("2024-12-17T13:30:00Z"));
    assert_eq!(event.actor.ip.as_deref(), Some("1.2.3.4"));
    assert_eq!(
        event.targets,
        vec![
            target(
                "roleassignments",
                &format!("{subscription_path}/providers/Microsoft.Authorization/roleAssignments/c3d4e5f6-a7b8-9012-cdef-111111111111"),
                "c3d4e5f6-a7b8-9012-cdef-111111111111"
            ),
            target(
                "user",
                "22222222-3333-4444-5555-666666666666",
                "22222222-3333-4444-5555-666666666666"
            ),
            target("subscription", &subscription_path, SUBSCRIPTION),
        ]
    );
    assert_eq!(
        event.scope,
        Some(Scope {
            kind: "subscription".into(),
            id: SUBSCRIPTION.into(),
            name: None
        })
    );
    assert_eq!(
        event.summary,
        format!(
            "unknown assigned Reader on subscription {SUBSCRIPTION} to user \
             22222222-3333-4444-5555-666666666666"
        )
    );
    assert_eq!(event.details["roleAssignment"]["role"], "Reader");
    assert_eq!(event.details["authorization"]["evidence"]["role"], "Owner");
}

#[test]
fn resource_scopes_and_unknown_role_ids_are_kept_as_written() {
    let storage = run("activity_log", &record(MONITOR, 121)).unwrap();
    let grant = &storage.grant_changes[0].grant;
    assert_eq!(grant.permission, "Storage Blob Data Owner");
    assert_eq!(grant.principal.kind, "service_principal");
    assert_eq!(
        grant.resource,
        Resource {
            kind: "resource".into(),
            id: format!(
                "azure:scope:/subscriptions/{SUBSCRIPTION}/resourcegroups/storage-rg/providers/\
                 microsoft.storage/storageaccounts/mystorageacct"
            ),
            name: "mystorageacct".into(),
        }
    );
    assert_eq!(grant.scope, format!("azure:subscription:{SUBSCRIPTION}"));

    // Panther's record names 8e3af657-…-2fe8c4bcb635, one letter off Owner's
    // 8e3af657-…-2fe8c4bfa635: not a built-in role, so the GUID is the permission.
    let typo = run("activity_log", &record(MONITOR, 119)).unwrap();
    assert_eq!(
        typo.grant_changes[0].grant.permission,
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    );
    assert_eq!(
        super::super::rbac::role_name(
            "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/8E3AF657-A8FF-443C-A75C-2FE8C4BFA635"
        ),
        "Owner"
    );
}

/// A delete in the REST shape, written here from the documented role assignment resource
/// (no fixture has one): the response body names what was removed.
fn delete_record(status: &str) -> Value {
    let body = json!({
        "properties": {
            "roleDefinitionId": "/subscriptions/5a1d/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
            "principalId": "AAAA1111-2222-3333-4444-555566667777",
            "principalType": "Group",
            "scope": "/subscriptions/5A1D/resourceGroups/Prod-RG"
        },
        "id": "/subscriptions/5a1d/resourceGroups/Prod-RG/providers/Microsoft.Authorization/roleAssignments/9f1e",
        "type": "Microsoft.Authorization/roleAssignments",
        "name": "9f1e"
    });
    json!({
        "caller": "alice@contoso.com",
        "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": "0b0b",
                   "http://schemas.microsoft.com/identity/claims/tenantid": "7e7e"},
        "correlationId": "c-1",
        "eventDataId": "e-1",
        "eventTimestamp": "2024-03-04T05:06:07.1234567Z",
        "operationName": {"value": "Microsoft.Authorization/roleAssignments/delete",
                          "localizedValue": "Delete role assignment"},
        "resourceId": "/subscriptions/5a1d/resourceGroups/Prod-RG/providers/Microsoft.Authorization/roleAssignments/9f1e",
        "status": {"value": status, "localizedValue": status},
        "subscriptionId": "5a1d",
        "httpRequest": {"clientIpAddress": "203.0.113.9", "method": "DELETE"},
        "properties": {"statusCode": "OK", "responseBody": body.to_string()}
    })
}

#[test]
fn a_finished_role_assignment_delete_removes_the_grant() {
    let normalized = run("activity_log", &delete_record("Succeeded")).unwrap();
    let change = &normalized.grant_changes;
    assert_eq!(change.len(), 1);
    assert_eq!(change[0].op, GrantOp::Removed);
    assert_eq!(change[0].at, utc("2024-03-04T05:06:07.1234567Z"));
    assert_eq!(change[0].grant.permission, "Contributor");
    assert_eq!(
        change[0].grant.principal,
        Principal {
            kind: "group".into(),
            id: "azure:principal:aaaa1111-2222-3333-4444-555566667777".into(),
            name: "aaaa1111-2222-3333-4444-555566667777".into(),
        }
    );
    assert_eq!(
        change[0].grant.resource.id,
        "azure:scope:/subscriptions/5a1d/resourcegroups/prod-rg"
    );
    assert_eq!(change[0].grant.resource.kind, "resource_group");
    assert_eq!(change[0].grant.resource.name, "Prod-RG");
    assert_eq!(change[0].grant.scope, "azure:subscription:5a1d");
    assert_eq!(
        change[0].evidence,
        "Microsoft.Authorization/roleAssignments/delete by alice@contoso.com"
    );
    let event = &normalized.events[0];
    assert_eq!(event.source_event_id, "e-1");
    assert_eq!(event.action, "role_assignment.deleted");
    assert_eq!(event.actor.name, "alice@contoso.com");
    assert_eq!(event.actor.id.as_deref(), Some("0b0b"));
    assert_eq!(event.actor.ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(
        event.summary,
        "alice@contoso.com removed Contributor on resource group Prod-RG from group \
         aaaa1111-2222-3333-4444-555566667777"
    );

    // The `Started` record of the same operation, and a failed one, change nothing.
    let started = run("activity_log", &delete_record("Started")).unwrap();
    assert!(started.grant_changes.is_empty());
    assert_eq!(started.events[0].outcome, Outcome::Success);
    let failed = run("activity_log", &delete_record("Failed")).unwrap();
    assert!(failed.grant_changes.is_empty());
    assert_eq!(failed.events[0].outcome, Outcome::Failure);
    assert_eq!(failed.events[0].error.as_deref(), Some("Failed"));
}

#[test]
fn the_documented_rest_record_reads_field_by_field() {
    let event = run(
        "activity_log",
        &record(
            "activity-log-docs/rest-api-schema.administrative.sample.json",
            1,
        ),
    )
    .unwrap()
    .events
    .remove(0);
    assert_eq!(
        event.source_event_id,
        "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e"
    );
    assert_eq!(event.occurred_at, utc("2018-01-29T20:42:31.3810679Z"));
    assert_eq!(event.action, "azure.network.networksecuritygroups.write");
    assert_eq!(event.actor.name, "rob@contoso.com");
    assert_eq!(
        event.actor.id.as_deref(),
        Some("f409edeb-4d29-44b5-9763-ee9348ad91bb")
    );
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(
        event.actor.ip.as_deref(),
        Some("111.111.1.111"),
        "the ipaddr claim"
    );
    let nsg = "/subscriptions/<subscription ID>/resourcegroups/myResourceGroup/providers/Microsoft.Network/networkSecurityGroups/myNSG";
    assert_eq!(
        event.targets,
        vec![target("networksecuritygroups", nsg, "myNSG")]
    );
    assert_eq!(
        event.summary,
        "rob@contoso.com called Microsoft.Network/networkSecurityGroups/write on myNSG"
    );
    assert_eq!(event.details["category"], "Administrative");
    assert_eq!(event.details["eventName"], "EndRequest");
    assert_eq!(event.details["status"], "Succeeded");
    assert_eq!(
        event.details["properties"],
        json!({"statusCode": "Created", "serviceRequestId": "a4c11dbd-697e-47c5-9663-12362307157d"})
    );
}

#[test]
fn the_documented_export_record_reads_its_identity_claims() {
    let relative = "activity-log-docs/storage-eventhub-schema.records.sample.json";
    let event = run("activity_log", &record(relative, 1))
        .unwrap()
        .events
        .remove(0);
    assert_eq!(event.actor.name, "admin@contoso.com");
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(event.actor.ip.as_deref(), Some("111.111.111.11"));
    assert_eq!(event.occurred_at, utc("2019-01-21T22:14:26.9792776Z"));
    assert_eq!(event.action, "azure.support.supporttickets.write");
    assert_eq!(event.scope.as_ref().unwrap().id, "s1");
    // No eventDataId in this shape: the delivery key (the record key below) is the id.
    assert_eq!(event.source_event_id, "delivery-1");
    let bytes = serde_json::to_vec(&record(relative, 1)).unwrap();
    assert_eq!(
        record_key("activity_log", &bytes).as_deref(),
        Some("aaaa6666-bb77-8888-99cc-000000dddddd/microsoft.support/supporttickets/write/success/2019-01-21t22:14:26.979277600+00:00")
    );
}

#[test]
fn record_keys_prefer_event_data_ids() {
    let rest = serde_json::to_vec(&delete_record("Succeeded")).unwrap();
    assert_eq!(record_key("activity_log", &rest).as_deref(), Some("e-1"));
    let started = record_key("activity_log", &serde_json::to_vec(&json!({
        "correlationId": "C", "operationName": "Op/Write", "resultType": "Start", "time": "2024-01-01T00:00:00Z"
    })).unwrap());
    let done = record_key("activity_log", &serde_json::to_vec(&json!({
        "correlationId": "C", "operationName": "Op/Write", "resultType": "Success", "time": "2024-01-01T00:00:00Z"
    })).unwrap());
    assert_ne!(started, done, "an operation's records have their own keys");
    assert_eq!(
        record_key(
            "activity_log",
            br#"{"operationName": "x", "time": "2024-01-01T00:00:00Z"}"#
        ),
        None
    );
    assert_eq!(record_key("activity_log", b"{"), None);
    assert_eq!(record_key("nope", &rest), None);
}

#[test]
fn failures_elevations_and_data_plane_records() {
    let lock = run("activity_log", &record(MONITOR, 114))
        .unwrap()
        .events
        .remove(0);
    assert_eq!(lock.outcome, Outcome::Failure);
    assert_eq!(lock.error.as_deref(), Some("Failed: 403"));
    assert!(lock
        .summary
        .ends_with("on CriticalLock (failed: Failed: 403)"));

    let elevate = run("activity_log", &record(MONITOR, 122))
        .unwrap()
        .events
        .remove(0);
    assert_eq!(elevate.action, "access.elevated");
    assert_eq!(
        elevate.native_action,
        "Microsoft.Authorization/elevateAccess/action"
    );
    assert_eq!(elevate.actor.name, "attacker@example.com");

    let put = run("activity_log", &record(MONITOR, 188))
        .unwrap()
        .events
        .remove(0);
    assert_eq!(put.action, "azure.storage.putblob");
    assert!(put.targets.contains(&Target {
        kind: "blob".into(),
        id: None,
        name: "/internaldata/logs/app.log".into()
    }));

    let read = run("activity_log", &record(MONITOR, 158)).unwrap();
    assert!(read.ignored.unwrap().contains("data-plane read (GetBlob)"));
    let kube = run("activity_log", &record(MONITOR, 217)).unwrap();
    assert!(kube.ignored.unwrap().contains("kube-audit"));
}

#[test]
fn malformed_activity_records_are_errors_that_say_why() {
    let err = |body: &[u8]| run_bytes("activity_log", body).unwrap_err();
    assert!(matches!(
        err(b"{\"operationName\": "),
        NormalizeError::Json(_)
    ));
    assert!(matches!(err(b"\xff"), NormalizeError::Json(_)));
    assert!(err(b"[]").to_string().contains("must be a JSON object"));
    assert_eq!(err(b"{}"), NormalizeError::Missing("operationName"));
    assert_eq!(
        err(br#"{"operationName": {"value": 5}}"#),
        NormalizeError::Missing("operationName")
    );
    assert_eq!(
        err(br#"{"operationName": "Microsoft.X/y/write", "time": "soon"}"#),
        NormalizeError::Missing("time")
    );
    // A role assignment whose body is not JSON is still an event, without a grant.
    let broken = json!({"operationName": "Microsoft.Authorization/roleAssignments/write",
                        "time": "2024-01-01T00:00:00Z", "properties": {"requestbody": "{\"Properties\": "}});
    let normalized = run("activity_log", &broken).unwrap();
    assert!(normalized.grant_changes.is_empty());
    assert_eq!(normalized.events[0].action, "role_assignment.created");
    assert!(run_bytes("", b"{}")
        .unwrap_err()
        .to_string()
        .contains("need a kind"));
    assert!(run_bytes("signin", b"{}")
        .unwrap_err()
        .to_string()
        .contains("unknown azure kind"));
}
