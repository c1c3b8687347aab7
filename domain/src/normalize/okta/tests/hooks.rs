//! The Event Hook transport: verification answer, delivery split, org host, record keys.
//! The delivery below is Okta's, as printed in aws-samples' "Automatic User Provisioning from
//! Okta to Amazon Connect" README (a real dev org's hook, with actor and targets redacted to
//! null by its authors), shortened to the fields used here.

use super::super::{event_hook_events, event_hook_org, event_hook_verification, record_key};
use super::{run_kind, utc};
use crate::normalize::NormalizeError;
use serde_json::{json, Value};

fn delivery() -> Value {
    json!({
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "source": "https://dev-51269148.okta.com/api/v1/eventHooks/who76u07z3iS7dl2P5d7",
        "eventId": "ffe9af67-e56c-4229-b6c9-96f66ed382f1",
        "data": {"events": [{
            "uuid": "4a19d863-4e0e-4645-bce4-2850f783a55f",
            "published": "2022-12-21T13:47:07.306Z",
            "eventType": "application.user_membership.add",
            "version": "0",
            "displayMessage": "Add user to application membership.",
            "severity": "INFO",
            "client": {"userAgent": {"rawUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:107.0) Gecko/20100101 Firefox/107.0",
                                     "os": "Mac OS X", "browser": "FIREFOX"},
                       "zone": null, "device": "Computer", "id": null, "ipAddress": "27.0.3.153"},
            "actor": null,
            "outcome": {"result": "Success", "reason": null},
            "target": null,
            "transaction": {"type": null, "id": "Y6MOW1BKZOMCPY-0KuwaPAAADLo", "detail": null},
            "debugContext": null,
            "legacyEventType": "app.generic.provision.assign_user_to_app"
        }]},
        "eventTime": "2022-12-21T13:47:07.354Z",
        "contentType": "application/json"
    })
}

#[test]
fn a_hook_delivery_splits_into_its_events_and_names_its_org() {
    let body = serde_json::to_vec(&delivery()).unwrap();
    let events = event_hook_events(&body).unwrap();
    assert_eq!(events.len(), 1);
    let event: Value = serde_json::from_slice(&events[0]).unwrap();
    assert_eq!(event, delivery()["data"]["events"][0]);
    assert_eq!(
        record_key("system_log", &events[0]).as_deref(),
        Some("4a19d863-4e0e-4645-bce4-2850f783a55f")
    );
    let org = event_hook_org(&body).unwrap();
    assert_eq!(org, "dev-51269148.okta.com");

    let normalized = run_kind(&format!("system_log;org={org}"), &events[0]).unwrap();
    let event = &normalized.events[0];
    assert_eq!(event.action, "app.assignment.added");
    assert_eq!(event.occurred_at, utc("2022-12-21T13:47:07.306Z"));
    assert_eq!(event.actor.name, "unknown");
    assert_eq!(event.scope.as_ref().unwrap().id, "dev-51269148.okta.com");
    // Without targets Okta did not say who got which app: an event, no grant.
    assert!(normalized.grant_changes.is_empty());
    assert_eq!(
        event.summary,
        "unknown: Add user to application membership."
    );
}

#[test]
fn hook_deliveries_that_are_not_hooks_are_refused() {
    assert_eq!(
        event_hook_events(br#"{"eventType": "com.okta.event_hook", "data": {}}"#),
        Err(NormalizeError::Missing("data.events"))
    );
    assert!(
        event_hook_events(br#"{"eventType": "com.okta.other", "data": {"events": []}}"#)
            .unwrap_err()
            .to_string()
            .contains("not an Okta Event Hook delivery")
    );
    assert_eq!(
        event_hook_events(br#"{"data": {"events": [{"uuid": "a"}, 3]}}"#),
        Err(NormalizeError::Invalid(
            "data.events[1] is not a JSON object".into()
        ))
    );
    assert!(matches!(
        event_hook_events(b"{\"data\": "),
        Err(NormalizeError::Json(_))
    ));
    assert_eq!(
        event_hook_events(br#"{"data": {"events": []}}"#),
        Ok(vec![])
    );
    assert_eq!(event_hook_org(br#"{"source": "ftp://x"}"#), None);
    assert_eq!(event_hook_org(br#"{"source": "https://a b/"}"#), None);
    assert_eq!(event_hook_org(b"[]"), None);
}

#[test]
fn the_verification_challenge_is_echoed_as_json() {
    assert_eq!(
        event_hook_verification(Some("  c4b8dCUo-XF1pnPDuVdbdvVgAWjk6l7mKDrbgGAd  ")).as_deref(),
        Some(r#"{"verification":"c4b8dCUo-XF1pnPDuVdbdvVgAWjk6l7mKDrbgGAd"}"#)
    );
    // Quotes are escaped by the JSON writer, never pasted into the body.
    assert_eq!(
        event_hook_verification(Some(r#"a"b"#)).as_deref(),
        Some(r#"{"verification":"a\"b"}"#)
    );
    assert_eq!(event_hook_verification(None), None);
    assert_eq!(event_hook_verification(Some("   ")), None);
    assert_eq!(event_hook_verification(Some("a\nb")), None);
    assert_eq!(event_hook_verification(Some(&"x".repeat(2000))), None);
}

#[test]
fn record_keys_are_uuids_of_system_log_records_only() {
    assert_eq!(
        record_key("system_log", br#"{"uuid": "u-1"}"#).as_deref(),
        Some("u-1")
    );
    assert_eq!(
        record_key("system_log;org=a.okta.com", br#"{"UUID": "u-2"}"#).as_deref(),
        Some("u-2")
    );
    assert_eq!(record_key("system_log", br#"{"uuid": 5}"#), None);
    assert_eq!(record_key("system_log", b"not json"), None);
    assert_eq!(record_key("other", br#"{"uuid": "u-1"}"#), None);
}
