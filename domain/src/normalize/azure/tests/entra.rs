//! Entra ID records: Graph's documented "Add member to group", directory role and RBAC grants
//! from exports, Log Analytics rows with JSON inside strings, sign-ins, and malformed records.

use super::super::record_key;
use super::{record, run, run_bytes, utc};
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use crate::model::{ActorKind, Outcome, Scope, Target};
use crate::normalize::NormalizeError;
use serde_json::json;

const AUDIT: &str = "panther-analysis-tests/azure-audit.jsonl";
const GRAPH: &str = "entra-graph-docs/directoryAudits-list.example1.json";

#[test]
fn graphs_add_member_to_group_grants_membership() {
    let normalized = run("entra_audit", &record(GRAPH, 1)).unwrap();
    assert_eq!(
        normalized.grant_changes,
        vec![GrantChange {
            at: utc("2018-01-09T21:20:02.7215374Z"),
            grant: Grant {
                // Graph's directoryAudit does not name its tenant.
                scope: "azure:tenant:default".into(),
                principal: Principal {
                    kind: "user".into(),
                    id: "azure:principal:1f0e98f5-3161-4c6b-9b50-d488572f2bb7".into(),
                    name: "bob@contoso.com".into(),
                },
                resource: Resource {
                    kind: "group".into(),
                    id: "azure:principal:ef7e527d-6c92-4234-8c6d-cf6fdfb57f95".into(),
                    name: "Example.com".into(),
                },
                permission: "member".into(),
                via: String::new(),
            },
            op: GrantOp::Added,
            evidence: "Entra ID \"Add member to group\" by bob@wingtiptoysonline.com".into(),
        }]
    );
    let event = &normalized.events[0];
    assert_eq!(event.source_event_id, "id");
    assert_eq!(event.action, "group.member.added");
    assert_eq!(event.native_action, "Add member to group");
    assert_eq!(event.actor.name, "bob@wingtiptoysonline.com");
    assert_eq!(
        event.actor.id.as_deref(),
        Some("728309ae-1a37-4937-9afe-e35d964db09b")
    );
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(event.actor.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        event.targets,
        vec![
            Target {
                kind: "group".into(),
                id: Some("ef7e527d-6c92-4234-8c6d-cf6fdfb57f95".into()),
                name: "Example.com".into()
            },
            Target {
                kind: "user".into(),
                id: Some("1f0e98f5-3161-4c6b-9b50-d488572f2bb7".into()),
                name: "bob@contoso.com".into()
            },
        ]
    );
    assert_eq!(event.scope, None);
    assert_eq!(
        event.summary,
        "bob@wingtiptoysonline.com added bob@contoso.com to group Example.com"
    );
    assert_eq!(event.details["category"], "UserManagement");
    assert_eq!(
        event.details["resultReason"],
        "Successfully added member to group"
    );
    assert_eq!(
        event.details["additionalDetails"],
        json!({"Additional Detail Name": "Additional Detail Value"})
    );
    assert_eq!(
        event.details["modifiedProperties"],
        json!([{"target": "Example.com", "property": "Action Client Name", "old": null, "new": "DirectorySync"}])
    );

    // The import can name the tenant the records come from.
    let scoped = run("entra_audit;tenant=AB12", &record(GRAPH, 1)).unwrap();
    assert_eq!(scoped.grant_changes[0].grant.scope, "azure:tenant:ab12");
    assert_eq!(
        scoped.events[0].scope,
        Some(Scope {
            kind: "tenant".into(),
            id: "ab12".into(),
            name: None
        })
    );
}

#[test]
fn a_directory_role_membership_is_the_role_on_the_tenant() {
    let normalized = run("entra_audit", &record(AUDIT, 40)).unwrap();
    let change = &normalized.grant_changes;
    assert_eq!(change.len(), 1);
    assert_eq!(change[0].op, GrantOp::Added);
    assert_eq!(change[0].at, utc("2024-12-16T16:32:16.087554Z"));
    assert_eq!(change[0].grant.permission, "Application Administrator");
    assert_eq!(change[0].grant.scope, "azure:tenant:12345");
    assert_eq!(change[0].grant.resource.id, "azure:tenant:12345");
    assert_eq!(change[0].grant.resource.kind, "tenant");
    assert_eq!(change[0].grant.principal.id, "azure:principal:12345");
    assert_eq!(change[0].grant.principal.name, "Malenia");
    let event = &normalized.events[0];
    assert_eq!(event.action, "directory_role.member.added");
    assert_eq!(
        event.summary,
        "Radahn@Starscourge.onmicrosoft.com added Malenia to role Application Administrator"
    );
    // The PIM request (39) asks; only the directory's own record (40) is the change.
    assert!(run("entra_audit", &record(AUDIT, 39))
        .unwrap()
        .grant_changes
        .is_empty());
}

#[test]
fn an_rbac_assignment_logged_by_entra_joins_the_activity_log_ids() {
    let normalized = run("entra_audit", &record(AUDIT, 8)).unwrap();
    let change = &normalized.grant_changes[0];
    assert_eq!(change.op, GrantOp::Removed);
    assert_eq!(change.grant.permission, "Reader");
    assert_eq!(change.grant.scope, "azure:subscription:sub-def");
    assert_eq!(
        change.grant.resource.id,
        "azure:scope:/subscriptions/sub-def"
    );
    assert_eq!(change.grant.principal.id, "azure:principal:user-former-888");
    assert_eq!(change.grant.principal.name, "former@company.com");
    assert_eq!(normalized.events[0].action, "role_assignment.deleted");
}

#[test]
fn log_analytics_rows_carry_json_inside_strings() {
    let relative = "otrf-security-datasets/GoldenSAMLADFSMailAccess-AADAuditEvents.json";
    let event = run("entra_audit", &record(relative, 1))
        .unwrap()
        .events
        .remove(0);
    assert_eq!(
        event.source_event_id,
        "Directory_10065ffb-8199-48bc-8ff5-912cb5b8295a_AUMVX_13992832"
    );
    assert_eq!(event.occurred_at, utc("2021-08-02T13:29:25.983Z"));
    assert_eq!(event.actor.name, "pgustavo@simulandlabs.com");
    assert_eq!(
        event.actor.id.as_deref(),
        Some("aead923d-498b-4f64-a66c-2af91447a8b6")
    );
    assert_eq!(
        event.actor.user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.17763.1971")
    );
    assert_eq!(
        event.targets,
        vec![Target {
            kind: "application".into(),
            id: Some("11b49e19-2326-4be6-93cb-7f37439bbd81".into()),
            name: "SimuLandApp".into()
        }]
    );
    assert_eq!(
        event.action,
        "entra.update_application_certificates_and_secrets_management"
    );
    assert_eq!(
        event.details["modifiedProperties"][0]["property"],
        "KeyDescription"
    );
    assert_eq!(
        event.scope,
        Some(Scope {
            kind: "tenant".into(),
            id: "00000000-0000-0000-0000-000000000000".into(),
            name: None
        })
    );
}

/// Written here in the shape Entra uses for membership removals (the member as the target, the
/// group in its modified properties), which no fixture has.
#[test]
fn a_removal_names_the_group_in_modified_properties() {
    let record = json!({
        "id": "Directory_r1", "activityDateTime": "2024-06-01T10:00:00Z",
        "activityDisplayName": "Remove member from group", "result": "success",
        "initiatedBy": {"app": {"appId": "a1", "displayName": "Sync Agent", "servicePrincipalId": "sp-9"}},
        "targetResources": [{
            "id": "U-1", "type": "User", "userPrincipalName": "carol@contoso.com",
            "modifiedProperties": [
                {"displayName": "Group.ObjectID", "oldValue": "\"G-7\"", "newValue": null},
                {"displayName": "Group.DisplayName", "oldValue": "\"Admins\"", "newValue": null}
            ]
        }]
    });
    let normalized = run("entra_audit;tenant=t1", &record).unwrap();
    let change = &normalized.grant_changes[0];
    assert_eq!(change.op, GrantOp::Removed);
    assert_eq!(change.grant.principal.id, "azure:principal:u-1");
    assert_eq!(change.grant.resource.id, "azure:principal:g-7");
    assert_eq!(change.grant.resource.name, "Admins");
    assert_eq!(normalized.events[0].actor.kind, ActorKind::Service);
    assert_eq!(normalized.events[0].actor.name, "Sync Agent");
}

/// Written here in the shape of Entra's app role assignment records (no fixture has one).
#[test]
fn an_app_role_assignment_is_the_role_on_the_application() {
    let record = json!({
        "id": "Directory_a1", "activityDateTime": "2024-06-01T10:00:00Z",
        "activityDisplayName": "Add app role assignment grant to user", "result": "success",
        "initiatedBy": {"user": {"id": "u-admin", "userPrincipalName": "admin@contoso.com"}},
        "targetResources": [
            {"id": "SP-1", "type": "ServicePrincipal", "displayName": "GitHub Enterprise",
             "modifiedProperties": [
                 {"displayName": "AppRole.Id", "oldValue": null, "newValue": "\"r-1\""},
                 {"displayName": "AppRole.Value", "oldValue": null, "newValue": "\"org-admin\""},
                 {"displayName": "User.ObjectID", "oldValue": null, "newValue": "\"U-2\""},
                 {"displayName": "User.UPN", "oldValue": null, "newValue": "\"dave@contoso.com\""}
             ]},
            {"id": "U-2", "type": "User", "userPrincipalName": "dave@contoso.com"}
        ]
    });
    let normalized = run("entra_audit", &record).unwrap();
    assert_eq!(normalized.events[0].action, "app.assignment.added");
    let grant = &normalized.grant_changes[0].grant;
    assert_eq!(grant.permission, "org-admin");
    assert_eq!(
        grant.resource,
        Resource {
            kind: "app".into(),
            id: "azure:principal:sp-1".into(),
            name: "GitHub Enterprise".into(),
        }
    );
    assert_eq!(grant.principal.id, "azure:principal:u-2");
    assert_eq!(grant.principal.name, "dave@contoso.com");
}

#[test]
fn sign_ins_are_logins_with_their_failure_reason() {
    let event = run("entra_audit", &record(AUDIT, 9))
        .unwrap()
        .events
        .remove(0);
    assert_eq!(event.action, "auth.login");
    assert_eq!(event.native_action, "SignInLogs");
    assert_eq!(event.actor.name, "boromir@lotr.com");
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(
        event.actor.user_agent.as_deref(),
        Some("python-requests/2.28.0")
    );
    assert_eq!(event.occurred_at, utc("2025-01-15T08:15:23.456Z"));
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(
        event.error.as_deref(),
        Some("50053: The account is locked, you\u{2019}ve tried to sign in too many times with an incorrect user ID or password.")
    );
    assert_eq!(event.scope.as_ref().unwrap().id, "tenant-123");

    let service = run("entra_audit", &record(AUDIT, 13))
        .unwrap()
        .events
        .remove(0);
    assert_eq!(service.actor.kind, ActorKind::Service);
    assert_eq!(service.actor.name, "very-normal-service-principal");
    assert_eq!(service.outcome, Outcome::Success);
    assert_eq!(
        service.source_event_id,
        "55270060-d8fe-435e-9bf2-219a1d456b60"
    );
}

#[test]
fn record_keys_are_the_records_ids() {
    let key =
        |value: serde_json::Value| record_key("entra_audit", &serde_json::to_vec(&value).unwrap());
    assert_eq!(key(record(GRAPH, 1)).as_deref(), Some("id"));
    assert_eq!(key(record(AUDIT, 40)).as_deref(), Some("PIM_123415"));
    assert_eq!(
        key(json!({"Id": "Directory_1", "Type": "AuditLogs"})).as_deref(),
        Some("Directory_1")
    );
    assert_eq!(key(json!({"activityDisplayName": "x"})), None);
}

#[test]
fn malformed_entra_records_are_errors_that_say_why() {
    let err = |body: &[u8]| run_bytes("entra_audit", body).unwrap_err();
    assert!(matches!(err(b"{\"value\": ["), NormalizeError::Json(_)));
    assert!(err(b"\"text\"")
        .to_string()
        .contains("must be a JSON object"));
    assert_eq!(err(b"{}"), NormalizeError::Missing("activityDisplayName"));
    assert_eq!(
        err(br#"{"activityDisplayName": "Add user", "activityDateTime": 12}"#.as_slice()),
        NormalizeError::Missing("activityDateTime")
    );
    assert_eq!(
        err(br#"{"category": "SignInLogs", "properties": {"userPrincipalName": "a@b.c"}}"#),
        NormalizeError::Missing("createdDateTime")
    );
    // Wrong types inside a valid record degrade to fewer facts, not to a failure.
    let odd = json!({"activityDisplayName": "Add member to group", "activityDateTime": "2024-01-01T00:00:00Z",
                     "initiatedBy": "{not json", "targetResources": [1, "x", {"type": 5}]});
    let normalized = run("entra_audit", &odd).unwrap();
    assert!(normalized.grant_changes.is_empty());
    assert_eq!(normalized.events[0].actor.name, "unknown");
}
