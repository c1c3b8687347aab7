//! Pub/Sub push envelopes, CloudEvents and the idempotency key.

use super::*;
use crate::normalize::gcp::{pubsub_log_entry, record_key};
use base64::Engine;
use serde_json::json;

const TOPIC: &str = "gcp-audit/google-cloudevents/LogEntryData-pubsubCreateTopic.json";

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What a push subscription on a log sink's topic POSTs.
fn push_envelope(entry: &[u8]) -> Value {
    json!({
        "message": {
            "attributes": {"logging.googleapis.com/timestamp": "2020-06-30T16:14:47.593398572Z"},
            "data": base64(entry),
            "messageId": "2070443601311540",
            "publishTime": "2020-06-30T16:14:48.5Z"
        },
        "subscription": "projects/test-project/subscriptions/attest-push"
    })
}

#[test]
fn pubsub_envelope_gives_back_the_entry_bytes() {
    let entry = fixtures::read(TOPIC);
    let envelope = push_envelope(&entry).to_string();
    assert_eq!(pubsub_log_entry(envelope.as_bytes()).unwrap(), entry);
    // The endpoint keys by insertId after decoding; normalize also opens the envelope itself.
    assert_eq!(
        record_key("log_entry", &pubsub_log_entry(envelope.as_bytes()).unwrap()).as_deref(),
        Some("9frck8cf9j")
    );
    let direct = single(run("log_entry", envelope.as_bytes()));
    let bare = single(run("log_entry", &entry));
    assert_eq!(direct, bare);
    assert_eq!(
        record_key("log_entry", envelope.as_bytes()).as_deref(),
        Some("9frck8cf9j")
    );
}

#[test]
fn pubsub_envelope_errors_name_the_field() {
    let bad = json!({"message": {"data": "not*base64!"}, "subscription": "s"});
    let err = pubsub_log_entry(bad.to_string().as_bytes()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("message.data is not valid base64"),
        "{err}"
    );
    let no_data = json!({"message": {"messageId": "1"}, "subscription": "s"});
    assert_eq!(
        pubsub_log_entry(no_data.to_string().as_bytes()).unwrap_err(),
        NormalizeError::Missing("message.data")
    );
    let data_not_text = json!({"message": {"data": 42}});
    assert_eq!(
        pubsub_log_entry(data_not_text.to_string().as_bytes()).unwrap_err(),
        NormalizeError::Missing("message.data")
    );
    assert_eq!(
        pubsub_log_entry(br#"{"subscription": "s"}"#).unwrap_err(),
        NormalizeError::Missing("message")
    );
    assert!(matches!(
        pubsub_log_entry(b"{\"message\":"),
        Err(NormalizeError::Json(_))
    ));
    // Valid base64 of something that is not JSON: decoding succeeds, normalizing says why not.
    let garbage = json!({"message": {"data": base64(b"\x00\x01 not json")}});
    assert_eq!(
        pubsub_log_entry(garbage.to_string().as_bytes()).unwrap(),
        b"\x00\x01 not json"
    );
    let err = run("log_entry", garbage.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("message.data"), "{err}");
}

#[test]
fn a_structured_cloudevent_is_opened() {
    let wrapped = records(
        "gcp-audit/google-cloudevents/cloudevent-structured-LogEntryData-bigqueryjobcompleted.json",
    )
    .swap_remove(0);
    assert_eq!(wrapped["specversion"], "1.0");
    let event = single(run_entry(&wrapped)).events.remove(0);
    assert_eq!(event.source_event_id, "1234567");
    assert_eq!(
        event.native_action,
        "bigquery.googleapis.com:jobservice.jobcompleted"
    );
    assert_eq!(
        event.actor.name,
        "robot@test-project.iam.gserviceaccount.com"
    );
    assert_eq!(event.details["log"], "data_access");
    assert_eq!(
        record_key("log_entry", wrapped.to_string().as_bytes()).as_deref(),
        Some("1234567")
    );

    let mut no_data = wrapped.clone();
    no_data.as_object_mut().unwrap().remove("data");
    assert_eq!(
        run_entry(&no_data).unwrap_err(),
        NormalizeError::Missing("data")
    );
}

#[test]
fn record_keys() {
    let entry = fixtures::read(TOPIC);
    assert_eq!(
        record_key("log_entry", &entry).as_deref(),
        Some("9frck8cf9j")
    );
    assert_eq!(record_key("", &entry).as_deref(), Some("9frck8cf9j"));
    assert_eq!(record_key("iam_policy:projects/p", &entry), None);
    assert_eq!(record_key("asset_inventory", &entry), None);
    assert_eq!(record_key("log_entry", br#"{"insertId": ""}"#), None);
    assert_eq!(record_key("log_entry", br#"{"insertId": 5}"#), None);
    assert_eq!(record_key("log_entry", b"{truncated"), None);
}

#[test]
fn unknown_kinds_are_refused() {
    let err = run("gcp_audit", b"{}").unwrap_err();
    assert!(
        err.to_string().contains("unknown gcp delivery kind"),
        "{err}"
    );
}
