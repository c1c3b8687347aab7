//! Push endpoints on real sample records, wrapped in each platform's documented envelope
//! (EventBridge, Pub/Sub push, Event Grid, Okta Event Hooks): the fixtures hold the records,
//! not the transports.

use super::*;
use crate::fixtures;
use base64::Engine as _;
use chrono::TimeZone;
use serde_json::json;

fn request(headers: &[(&str, &str)], body: Vec<u8>) -> HookRequest {
    HookRequest {
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        received_at: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
        body,
    }
}

fn secrets(value: &str) -> Secrets {
    Secrets::from_comma_separated(value)
}

fn deliveries(reply: HookReply) -> Vec<IncomingDelivery> {
    match reply {
        HookReply::Deliveries(d) => d,
        HookReply::Handshake(h) => panic!("unexpected handshake {h}"),
    }
}

fn refused(result: Result<HookReply, HookError>) -> SignatureError {
    match result {
        Err(HookError::Unauthenticated(reason)) => reason,
        other => panic!("expected an authentication failure, got {other:?}"),
    }
}

/// The first record of a fixture file: an array's first element or an NDJSON file's first line.
fn first_record(path: &str) -> Value {
    let bytes = fixtures::read(path);
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(items)) => items.into_iter().next().unwrap(),
        Ok(Value::Object(map)) => match map.get("Records") {
            Some(Value::Array(items)) => items[0].clone(),
            _ => Value::Object(map),
        },
        _ => {
            let line = bytes.split(|b| *b == b'\n').next().unwrap();
            serde_json::from_slice(line).unwrap()
        }
    }
}

#[test]
fn gitlab_needs_its_token_and_keys_by_idempotency_key_first() {
    let body = fixtures::read("gitlab/webhooks-go-gitlab-testdata/push.json");
    let s = secrets("old, new");
    assert_eq!(
        refused(gitlab(&Secrets::default(), request(&[], body.clone()))),
        SignatureError::NotConfigured
    );
    assert_eq!(
        refused(gitlab(&s, request(&[], body.clone()))),
        SignatureError::Missing("X-Gitlab-Token")
    );
    assert_eq!(
        refused(gitlab(
            &s,
            request(&[("x-gitlab-token", "nope")], body.clone())
        )),
        SignatureError::Mismatch("X-Gitlab-Token")
    );
    let both = [
        ("x-gitlab-token", "new"),
        ("x-gitlab-event", "Push Hook"),
        ("idempotency-key", "idem-1"),
        ("x-gitlab-event-uuid", "uuid-1"),
    ];
    let d = deliveries(gitlab(&s, request(&both, body.clone())).unwrap());
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].source, Source::Gitlab);
    assert_eq!(d[0].delivery_key, "idem-1");
    assert_eq!(d[0].kind.as_deref(), Some("Push Hook"));
    assert_eq!(d[0].body, body);
    assert!(
        d[0].headers.iter().all(|(n, _)| n != "x-gitlab-token"),
        "the token is never kept"
    );

    let uuid_only = [("x-gitlab-token", "old"), ("x-gitlab-event-uuid", "uuid-1")];
    let d = deliveries(gitlab(&s, request(&uuid_only, body.clone())).unwrap());
    assert_eq!(d[0].delivery_key, "uuid-1");
    let neither =
        deliveries(gitlab(&s, request(&[("x-gitlab-token", "old")], body.clone())).unwrap());
    let again = deliveries(gitlab(&s, request(&[("x-gitlab-token", "new")], body)).unwrap());
    assert!(neither[0].delivery_key.starts_with("sha256:"));
    assert_eq!(
        neither[0].delivery_key, again[0].delivery_key,
        "a retry has the same key"
    );
}

#[test]
fn aws_eventbridge_events_become_cloudtrail_records_keyed_by_event_id() {
    let record = first_record("aws-cloudtrail/invictus-aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json");
    let event_id = record["eventID"].as_str().unwrap().to_owned();
    // The documented EventBridge envelope of "AWS API Call via CloudTrail".
    let event = json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
        "account": "111122223333", "time": "2023-01-10T21:04:02Z", "region": "us-east-1",
        "resources": [], "detail": record,
    });
    let other = json!({
        "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "detail": {"instance-id": "i-abcd1111", "state": "pending"},
    });
    let s = secrets("key-1");
    let body = serde_json::to_vec(&json!([event, other])).unwrap();
    assert_eq!(
        refused(aws(&s, request(&[("x-api-key", "wrong")], body.clone()))),
        SignatureError::Mismatch("X-Api-Key")
    );
    let d = deliveries(aws(&s, request(&[("authorization", "Bearer key-1")], body)).unwrap());
    assert_eq!(d.len(), 2);
    assert_eq!(
        (d[0].source, d[0].delivery_key.as_str()),
        (Source::Cloudtrail, event_id.as_str())
    );
    assert_eq!(serde_json::from_slice::<Value>(&d[0].body).unwrap(), record);
    assert_eq!(
        (
            d[1].source,
            d[1].kind.as_deref(),
            d[1].delivery_key.as_str()
        ),
        (
            Source::Aws,
            Some("eventbridge"),
            "7bf73129-1428-4cd3-a780-95db273d1602"
        )
    );

    let garbage = deliveries(
        aws(
            &s,
            request(&[("x-api-key", "key-1")], b"{not json".to_vec()),
        )
        .unwrap(),
    );
    assert_eq!(
        garbage.len(),
        1,
        "an authenticated body is kept even when it does not parse"
    );
    assert!(garbage[0].delivery_key.starts_with("sha256:"));
}

#[test]
fn gcp_pubsub_push_is_unwrapped_to_its_log_entry() {
    let entry = first_record("gcp-audit/panther-analysis-tests/gcp-auditlog.jsonl");
    let entry_bytes = serde_json::to_vec(&entry).unwrap();
    let insert_id = entry["insertId"].as_str().unwrap().to_owned();
    let envelope = json!({
        "message": {
            "data": base64::engine::general_purpose::STANDARD.encode(&entry_bytes),
            "messageId": "2070443601311540", "publishTime": "2021-02-26T19:13:55.749Z",
        },
        "subscription": "projects/myproject/subscriptions/attest",
    });
    let s = secrets("pubsub-token");
    let body = serde_json::to_vec(&envelope).unwrap();
    assert_eq!(
        refused(gcp(&s, request(&[], body.clone()))),
        SignatureError::Missing("Authorization")
    );
    let via_query = [("x-attest-token", "pubsub-token")];
    let d = deliveries(gcp(&s, request(&via_query, body.clone())).unwrap());
    assert_eq!(
        (d[0].source, d[0].kind.as_deref()),
        (Source::Gcp, Some("log_entry"))
    );
    assert_eq!(d[0].delivery_key, insert_id);
    assert_eq!(serde_json::from_slice::<Value>(&d[0].body).unwrap(), entry);

    let bad = json!({"message": {"data": "%%% not base64"}});
    let d = deliveries(
        gcp(
            &s,
            request(
                &[("authorization", "Bearer pubsub-token")],
                serde_json::to_vec(&bad).unwrap(),
            ),
        )
        .unwrap(),
    );
    assert_eq!(
        d[0].kind.as_deref(),
        Some("pubsub_push"),
        "kept whole, to fail with the reason"
    );
}

#[test]
fn azure_answers_the_validation_handshake_and_splits_batches() {
    let s = secrets("grid-key");
    let validation = json!([{
        "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66", "topic": "/subscriptions/xx/resourceGroups/rg",
        "subject": "", "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
        "validationUrl": "https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/x/validate?id=y"},
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2018-01-25T22:12:19.4556811Z", "metadataVersion": "1", "dataVersion": "1",
    }]);
    let body = serde_json::to_vec(&validation).unwrap();
    assert_eq!(
        refused(azure(&s, request(&[], body.clone()))),
        SignatureError::Missing("X-Attest-Key"),
        "the handshake is authenticated too"
    );
    match azure(&s, request(&[("x-attest-key", "grid-key")], body)).unwrap() {
        HookReply::Handshake(answer) => assert_eq!(
            answer,
            json!({"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"})
        ),
        other => panic!("{other:?}"),
    }
    let records = [
        first_record("azure/activity-log-docs/rest-api-schema.administrative.sample.json"),
        json!({"operationName": "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE", "time": "2024-01-01T00:00:00Z"}),
    ];
    let body = serde_json::to_vec(&json!({ "records": records })).unwrap();
    let d = deliveries(azure(&s, request(&[("authorization", "Bearer grid-key")], body)).unwrap());
    assert_eq!(d.len(), 2);
    assert!(d
        .iter()
        .all(|d| d.source == Source::Azure && d.kind.as_deref() == Some("activity_log")));
    assert!(
        d[1].delivery_key.starts_with("sha256:"),
        "a record without an id is keyed by its bytes"
    );
}

#[test]
fn okta_verifies_once_and_splits_event_hooks_into_events() {
    let s = secrets("okta-secret");
    let verify = request(
        &[
            ("authorization", "okta-secret"),
            ("x-okta-verification-challenge", "abc123"),
        ],
        Vec::new(),
    );
    match okta_verification(&s, &verify).unwrap() {
        HookReply::Handshake(answer) => assert_eq!(answer, json!({"verification": "abc123"})),
        other => panic!("{other:?}"),
    }
    let unauthenticated = request(&[("x-okta-verification-challenge", "abc123")], Vec::new());
    assert_eq!(
        refused(okta_verification(&s, &unauthenticated)),
        SignatureError::Missing("Authorization")
    );
    let event = first_record(
        "okta/panther-analysis-tests/scenario-okta-add-administrator-admin_privs_assigned.jsonl",
    );
    let uuid = event["uuid"].as_str().unwrap().to_owned();
    let hook = json!({
        "eventType": "com.okta.event_hook", "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1", "source": "https://example.okta.com/api/v1/eventHooks/who8",
        "eventId": "b5a188b9-5ece-4636-b041-482ffda96311", "eventTime": "2019-03-27T16:59:53.032Z",
        "contentType": "application/json", "data": {"events": [event]},
    });
    let d = deliveries(
        okta(
            &s,
            request(
                &[("authorization", "okta-secret")],
                serde_json::to_vec(&hook).unwrap(),
            ),
        )
        .unwrap(),
    );
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].source, d[0].delivery_key.as_str()),
        (Source::Okta, uuid.as_str())
    );
}

#[test]
fn terraform_checks_the_hmac_sha512_signature() {
    let body = fixtures::read("terraform/hcp-run-notifications/hashicorp-docs-sample-payload.json");
    let s = secrets("tfe-token");
    // HMAC-SHA512 computed here with the RustCrypto crates, checked by the normalizer's own
    // vector test against an independently computed value.
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(b"tfe-token").unwrap();
    mac.update(&body);
    let signature = hex::encode(mac.finalize().into_bytes());
    assert_eq!(
        refused(terraform(&s, request(&[], body.clone()))),
        SignatureError::Missing("X-TFE-Notification-Signature")
    );
    let forged = [("x-tfe-notification-signature", "00ff")];
    assert_eq!(
        refused(terraform(&s, request(&forged, body.clone()))),
        SignatureError::Mismatch("X-TFE-Notification-Signature")
    );
    let signed = [("x-tfe-notification-signature", signature.as_str())];
    let d = deliveries(terraform(&s, request(&signed, body.clone())).unwrap());
    assert_eq!(
        (d[0].source, d[0].kind.as_deref()),
        (Source::Terraform, Some("run_notification"))
    );
    assert_eq!(d[0].body, body);
}
