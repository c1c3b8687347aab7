//! Event Grid: Microsoft's documented resource events and the subscription validation
//! handshake (both from the Azure Event Grid documentation, placeholders as published).

use super::super::{event_grid_validation_code, record_key};
use super::{run, run_bytes, utc};
use crate::model::{ActorKind, Outcome};
use crate::normalize::NormalizeError;
use serde_json::{json, Value};

/// `Microsoft.Resources.ResourceDeleteSuccess` as printed in "Azure subscription as an Event
/// Grid source" (event-schema-subscriptions.md), claims shortened to the ones read here.
fn delete_success() -> Value {
    json!({
        "subject": "/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-name}",
        "eventType": "Microsoft.Resources.ResourceDeleteSuccess",
        "eventTime": "2018-07-19T19:24:12.763881Z",
        "id": "19a69642-1aad-4a96-a5ab-8d05494513ce",
        "data": {
            "authorization": {
                "scope": "/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-name}",
                "action": "Microsoft.Storage/storageAccounts/delete",
                "evidence": {"role": "Subscription Admin"}
            },
            "claims": {
                "appid": "{ID}",
                "name": "{full-name}",
                "http://schemas.microsoft.com/identity/claims/objectidentifier": "{ID}",
                "http://schemas.microsoft.com/identity/claims/tenantid": "{ID}",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "{user-name}"
            },
            "correlationId": "{ID}",
            "httpRequest": {
                "clientRequestId": "{ID}",
                "clientIpAddress": "{IP-address}",
                "method": "DELETE",
                "url": "https://management.azure.com/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-name}?api-version=2018-02-01"
            },
            "resourceProvider": "Microsoft.Storage",
            "resourceUri": "/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-name}",
            "operationName": "Microsoft.Storage/storageAccounts/delete",
            "status": "Succeeded",
            "subscriptionId": "{subscription-id}",
            "tenantId": "{tenant-id}"
        },
        "dataVersion": "2",
        "metadataVersion": "1",
        "topic": "/subscriptions/{subscription-id}"
    })
}

/// The validation event as printed in "Webhook event delivery" (webhook-event-delivery.md).
fn validation() -> Value {
    json!({
        "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
        "topic": "/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        "subject": "",
        "data": {
            "validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
            "validationUrl": "https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/estest/validate?id=512d38b6-c7b8-40c8-89fe-f46f9e9622b6&t=2018-04-26T20:30:54.4538837Z&apiVersion=2018-05-01-preview&token=1A1A1A1A"
        },
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2018-01-25T22:12:19.4556811Z",
        "metadataVersion": "1",
        "dataVersion": "1"
    })
}

#[test]
fn a_resource_event_reads_like_an_activity_log_record() {
    let normalized = run("event_grid", &delete_success()).unwrap();
    assert!(normalized.grant_changes.is_empty());
    let event = &normalized.events[0];
    assert_eq!(
        event.source_event_id,
        "19a69642-1aad-4a96-a5ab-8d05494513ce"
    );
    assert_eq!(event.occurred_at, utc("2018-07-19T19:24:12.763881Z"));
    assert_eq!(event.action, "azure.storage.storageaccounts.delete");
    assert_eq!(
        event.native_action,
        "Microsoft.Storage/storageAccounts/delete"
    );
    assert_eq!(event.actor.name, "{user-name}");
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(event.actor.ip.as_deref(), Some("{IP-address}"));
    assert_eq!(event.targets[0].kind, "storageaccounts");
    assert_eq!(event.targets[0].name, "{storage-name}");
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(
        event.details["eventType"],
        "Microsoft.Resources.ResourceDeleteSuccess"
    );
    assert_eq!(
        event.details["authorization"]["evidence"]["role"],
        "Subscription Admin"
    );
    assert_eq!(
        record_key(
            "event_grid",
            &serde_json::to_vec(&delete_success()).unwrap()
        )
        .as_deref(),
        Some("19a69642-1aad-4a96-a5ab-8d05494513ce")
    );
}

#[test]
fn failure_events_fail_and_role_assignments_without_bodies_grant_nothing() {
    let mut failure = delete_success();
    failure["eventType"] = json!("Microsoft.Resources.ResourceDeleteFailure");
    let event = run("event_grid", &failure).unwrap().events.remove(0);
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(
        event.error.as_deref(),
        Some("Microsoft.Resources.ResourceDeleteFailure")
    );

    // Event Grid's resource events carry no request body: the assignment's principal and role
    // are unknown, so the event is kept and no grant is claimed.
    let mut assignment = delete_success();
    assignment["eventType"] = json!("Microsoft.Resources.ResourceWriteSuccess");
    assignment["data"]["operationName"] = json!("Microsoft.Authorization/roleAssignments/write");
    let normalized = run("event_grid", &assignment).unwrap();
    assert_eq!(normalized.events[0].action, "role_assignment.created");
    assert!(normalized.grant_changes.is_empty());
}

#[test]
fn the_validation_handshake_is_answered_not_stored_as_an_event() {
    let delivery = json!([validation()]);
    let body = serde_json::to_vec(&delivery).unwrap();
    assert_eq!(
        event_grid_validation_code(&body).as_deref(),
        Some("512d38b6-c7b8-40c8-89fe-f46f9e9622b6")
    );
    assert_eq!(
        event_grid_validation_code(&serde_json::to_vec(&validation()).unwrap()).as_deref(),
        Some("512d38b6-c7b8-40c8-89fe-f46f9e9622b6")
    );
    assert_eq!(
        event_grid_validation_code(&serde_json::to_vec(&json!([delete_success()])).unwrap()),
        None
    );
    assert_eq!(event_grid_validation_code(b"not json"), None);
    let mut odd = validation();
    odd["data"]["validationCode"] = json!("a\r\nInjected: header");
    assert_eq!(
        event_grid_validation_code(&serde_json::to_vec(&odd).unwrap()),
        None
    );
    odd["data"]["validationCode"] = json!(42);
    assert_eq!(
        event_grid_validation_code(&serde_json::to_vec(&odd).unwrap()),
        None
    );

    let normalized = run("event_grid", &validation()).unwrap();
    assert!(normalized.is_empty());
    assert!(normalized.ignored.unwrap().contains("validation handshake"));
}

#[test]
fn a_whole_delivery_array_is_read_event_by_event() {
    let mut blob = delete_success();
    blob["eventType"] = json!("Microsoft.Storage.BlobCreated");
    blob["data"] = json!({"api": "PutBlob", "url": "https://x.blob.core.windows.net/c/b"});
    let normalized = run("event_grid", &json!([delete_success(), blob.clone()])).unwrap();
    assert_eq!(normalized.events.len(), 1);
    let only_blob = run("event_grid", &json!([blob])).unwrap();
    assert!(only_blob
        .ignored
        .unwrap()
        .contains("not an Azure Resource Manager operation"));
    assert!(run("event_grid", &json!([])).unwrap().ignored.is_some());
}

#[test]
fn malformed_events_are_errors_that_say_why() {
    let err = |body: &[u8]| run_bytes("event_grid", body).unwrap_err();
    assert!(matches!(err(b"[{\"id\": "), NormalizeError::Json(_)));
    assert!(err(b"7").to_string().contains("must be a JSON object"));
    assert_eq!(err(b"{}"), NormalizeError::Missing("eventType"));
    assert_eq!(
        err(br#"{"eventType": "Microsoft.Resources.ResourceWriteSuccess"}"#),
        NormalizeError::Missing("data")
    );
    assert_eq!(
        err(br#"{"eventType": "Microsoft.Resources.ResourceWriteSuccess", "data": {"operationName": "a/b"}}"#),
        NormalizeError::Missing("time")
    );
    assert_eq!(
        err(br#"[{"eventType": 1}]"#),
        NormalizeError::Missing("eventType")
    );
}
