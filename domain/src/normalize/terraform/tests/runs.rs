//! Run notifications: every fixture payload, HashiCorp's documented sample checked by hand,
//! the signature check against independently computed vectors, malformed payloads.

use super::super::verify_tfe_signature;
use super::{files, run, utc};
use crate::fixtures;
use crate::model::{ActorKind, NewEvent, Outcome, Scope, Target};
use crate::normalize::NormalizeError;
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    fixtures::read(&format!("terraform/hcp-run-notifications/{name}"))
}

fn single(name: &str) -> NewEvent {
    let mut events = run("run_notification", &fixture(name)).unwrap().events;
    assert_eq!(events.len(), 1, "{name}");
    events.remove(0)
}

#[test]
fn every_run_notification_fixture_is_an_event_or_the_verification_ping() {
    let expected = [
        (
            "hashicorp-docs-sample-payload.json",
            Some("terraform.run.errored"),
        ),
        (
            "zapier-tfbuddy-NotificationRunCreatedUIPayload.json",
            Some("terraform.run.created"),
        ),
        (
            "zapier-tfbuddy-NotificationRunErroredPayload.json",
            Some("terraform.run.errored"),
        ),
        (
            "zapier-tfbuddy-NotificationRunPlannedPayload.json",
            Some("terraform.run.completed"),
        ),
        (
            "zapier-tfbuddy-NotificationRunPlanningPayload.json",
            Some("terraform.run.planning"),
        ),
        ("zapier-tfbuddy-NotificationVerificationPayload.json", None),
    ];
    let names = files("terraform/hcp-run-notifications");
    assert_eq!(
        names,
        expected
            .iter()
            .map(|(n, _)| n.to_string())
            .collect::<Vec<_>>()
    );
    for (name, action) in expected {
        let normalized = run("run_notification", &fixture(name)).unwrap();
        match action {
            Some(action) => {
                assert_eq!(normalized.events.len(), 1, "{name}");
                assert_eq!(normalized.events[0].action, action, "{name}");
            }
            None => {
                assert!(normalized.is_empty(), "{name}");
                assert!(normalized.ignored.unwrap().contains("verification"));
            }
        }
        assert!(normalized.grant_changes.is_empty());
    }
}

#[test]
fn hashicorps_sample_payload_reads_as_documented() {
    let event = single("hashicorp-docs-sample-payload.json");
    assert_eq!(
        event.source_event_id,
        "run-FwnENkvDnrpyFC7M#run:errored#2019-01-25T18:37:04.000Z"
    );
    assert_eq!(event.occurred_at, utc("2019-01-25T18:37:04Z"));
    assert_eq!(event.native_action, "run:errored");
    assert_eq!(event.actor.name, "sample-user");
    assert_eq!(event.actor.kind, ActorKind::Human);
    // The trigger is run:errored but the run was canceled, not failed.
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(
        event.targets,
        vec![
            Target {
                kind: "workspace".into(),
                id: Some("ws-XdeUVMWShTesDMME".into()),
                name: "my-workspace".into()
            },
            Target {
                kind: "terraform_run".into(),
                id: Some("run-FwnENkvDnrpyFC7M".into()),
                name: "run-FwnENkvDnrpyFC7M".into()
            },
        ]
    );
    assert_eq!(
        event.scope,
        Some(Scope {
            kind: "org".into(),
            id: "acme-org".into(),
            name: Some("acme-org".into())
        })
    );
    assert_eq!(
        event.summary,
        "Run Canceled: run run-FwnENkvDnrpyFC7M of acme-org/my-workspace \
         \"Add five new queue workers\" (by sample-user)"
    );
    assert_eq!(
        event.details,
        json!({
            "run_url": "https://app.terraform.io/app/acme-org/my-workspace/runs/run-FwnENkvDnrpyFC7M",
            "run_id": "run-FwnENkvDnrpyFC7M",
            "run_message": "Add five new queue workers",
            "run_created_at": "2019-01-25T18:34:00.000Z",
            "run_created_by": "sample-user",
            "notification_configuration_id": "nc-AeUQ2zfKZzW9TiGZ",
            "payload_version": 1,
            "trigger": "run:errored",
            "run_status": "canceled",
            "message": "Run Canceled",
        })
    );
}

#[test]
fn an_errored_run_without_a_user_is_a_failure_by_hcp_terraform() {
    let event = single("zapier-tfbuddy-NotificationRunErroredPayload.json");
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(event.error.as_deref(), Some("Run Errored"));
    assert_eq!(event.actor.name, "HCP Terraform");
    assert_eq!(event.actor.kind, ActorKind::Service);
    // The run message ends in a newline; the summary stays on one line.
    assert_eq!(
        event.summary,
        "Run Errored: run run-TCmduqLvvFw7WWmC of zapier/service-tfbuddy-dev \"v0.3.10\" \
         (by HCP Terraform)"
    );
}

#[test]
fn each_notification_of_a_payload_is_an_event() {
    let payload = json!({
        "payload_version": 1, "run_id": "run-1", "workspace_name": "ws",
        "organization_name": "org", "run_created_at": "2024-01-01T00:00:00Z",
        "notifications": [
            {"message": "Run Planning", "trigger": "run:planning", "run_status": "planning",
             "run_updated_at": "2024-01-01T00:00:01Z", "run_updated_by": null},
            {"message": "Run Needs Attention", "trigger": "run:needs_attention",
             "run_status": "planned", "run_updated_at": "2024-01-01T00:00:30Z",
             "run_updated_by": "api-org-org-abc"},
            {"message": "Drifted", "trigger": "assessment:drifted", "run_status": null,
             "run_updated_at": null, "run_updated_by": null}
        ]
    });
    let events = run("run_notification", payload.to_string().as_bytes())
        .unwrap()
        .events;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "terraform.run.planning",
            "terraform.run.needs_attention",
            "terraform.assessment.drifted"
        ]
    );
    assert_eq!(
        events[1].actor.kind,
        ActorKind::Service,
        "an organization token"
    );
    // Without its own time a notification falls back to the run's creation.
    assert_eq!(events[2].occurred_at, utc("2024-01-01T00:00:00Z"));
    assert_eq!(events[2].source_event_id, "run-1#assessment:drifted#-");
}

#[test]
fn signatures_match_independently_computed_hmac_sha512() {
    // Computed with Python, not with this crate:
    //   python3 -c "import hmac,hashlib; body=open('zapier-tfbuddy-NotificationRunPlannedPayload.json','rb').read();
    //               print(hmac.new(b'tfbuddy-notification-token', body, hashlib.sha512).hexdigest())"
    let body = fixture("zapier-tfbuddy-NotificationRunPlannedPayload.json");
    let python = "80e4479cf0889053ec13533a4156f6d19c919fcd157bd8c6e7919922971762cc\
                  83c73b9c2a8cf97f3e9ef03d043d498015c2a45bacd531c4a68443516be91fbc";
    assert!(verify_tfe_signature(
        b"tfbuddy-notification-token",
        Some(python),
        &body
    ));
    assert!(verify_tfe_signature(
        b"tfbuddy-notification-token",
        Some(&python.to_uppercase()),
        &body
    ));
    // The HMAC-SHA512 example printed in Wikipedia's HMAC article (also checked with Python).
    let fox = "b42af09057bac1e2d41708e48a902e09b5ff7f12ab428a4fe86653c73dd248fb\
               82f948a549f7b791a5b41915ee4d1ec3935357e4e2317250d0372afa2ebeeb3a";
    assert!(verify_tfe_signature(
        b"key",
        Some(fox),
        b"The quick brown fox jumps over the lazy dog"
    ));

    let mut tampered = body.clone();
    tampered.push(b' ');
    assert!(!verify_tfe_signature(
        b"tfbuddy-notification-token",
        Some(python),
        &tampered
    ));
    assert!(!verify_tfe_signature(b"other-token", Some(python), &body));
    assert!(
        !verify_tfe_signature(b"", Some(python), &body),
        "no token, no trust"
    );
    assert!(!verify_tfe_signature(
        b"tfbuddy-notification-token",
        None,
        &body
    ));
    assert!(
        !verify_tfe_signature(b"key", Some(&fox[..64]), b"x"),
        "too short"
    );
    assert!(!verify_tfe_signature(b"key", Some("zz"), b"x"));
    assert!(!verify_tfe_signature(
        b"key",
        Some(&format!("sha512={fox}")),
        b"x"
    ));
}

#[test]
fn malformed_notifications_are_errors_that_say_why() {
    let err = |body: &str| run("run_notification", body.as_bytes()).unwrap_err();
    assert!(matches!(
        err("{\"notifications\": [{"),
        NormalizeError::Json(_)
    ));
    assert!(err("[]").to_string().contains("JSON object"));
    assert_eq!(err("{}"), NormalizeError::Missing("notifications"));
    assert_eq!(
        err(r#"{"notifications": "x"}"#),
        NormalizeError::Missing("notifications")
    );
    assert_eq!(
        err(r#"{"notifications": [{"message": "x"}]}"#).to_string(),
        "notifications[0] has no trigger"
    );
    assert_eq!(
        err(r#"{"run_id": "r", "notifications": [{"trigger": "run:created"}]}"#),
        NormalizeError::Missing("run_updated_at")
    );
    let empty = run("run_notification", br#"{"notifications": []}"#).unwrap();
    assert!(empty.ignored.is_some());
}
