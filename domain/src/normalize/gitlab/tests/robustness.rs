//! Odd and hostile input is an error that names the problem, never a panic: truncated JSON,
//! bytes that are not UTF-8, wrong types, empty objects, huge strings, and every fixture with
//! each of its fields replaced by values of the wrong type.

use super::{deliver, fixture, sample, single};
use crate::fixtures;
use crate::model::Source;
use crate::normalize::gitlab::{normalize, AUDIT_EVENT};
use crate::normalize::{NormalizeError, RawDelivery};
use serde_json::{json, Value};

#[test]
fn truncated_and_non_utf8_bodies_are_json_errors() {
    let body = fixture("system-hooks-docs/user_add_to_group.json");
    let truncated = &body[..body.len() / 2];
    for kind in [Some("System Hook"), None, Some(AUDIT_EVENT)] {
        assert!(
            matches!(deliver(kind, truncated), Err(NormalizeError::Json(_))),
            "{kind:?}"
        );
        assert!(matches!(
            deliver(
                kind,
                b"{\"event_name\": \"user_create\", \"username\": \"\xff\xfe\"}"
            ),
            Err(NormalizeError::Json(_))
        ));
        assert!(matches!(deliver(kind, b""), Err(NormalizeError::Json(_))));
    }
}

#[test]
fn bodies_that_are_not_objects_say_what_they_are() {
    let err = deliver(Some("Push Hook"), b"[1, 2]").unwrap_err();
    assert_eq!(
        err.to_string(),
        "a GitLab webhook payload must be a JSON object, not an array"
    );
    let err = deliver(Some(AUDIT_EVENT), br#""text""#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "an audit event must be a JSON object, not a string"
    );
    assert!(deliver(None, b"null").is_err());
}

#[test]
fn empty_objects_are_not_understood() {
    let err = deliver(Some("System Hook"), b"{}").unwrap_err();
    assert!(err.to_string().contains("`System Hook`"), "{err}");
    assert!(err.to_string().contains("object_kind"), "{err}");
    let err = deliver(None, b"{}").unwrap_err();
    assert!(err.to_string().contains("no X-Gitlab-Event kind"), "{err}");
    let err = deliver(Some(AUDIT_EVENT), b"{}").unwrap_err();
    assert!(
        err.to_string().contains("not a GitLab audit event"),
        "{err}"
    );
}

#[test]
fn names_of_the_wrong_type_are_not_names() {
    for body in [
        json!({"object_kind": 7}),
        json!({"event_name": ["user_create"]}),
        json!({"object_kind": "  ", "event_name": null}),
    ] {
        assert!(
            matches!(
                deliver(None, body.to_string().as_bytes()),
                Err(NormalizeError::Invalid(_))
            ),
            "{body}"
        );
    }
}

#[test]
fn an_empty_delivery_key_is_refused() {
    let body = fixture("webhooks-go-gitlab-testdata/push.json");
    let err = normalize(&RawDelivery {
        source: Source::Gitlab,
        kind: Some("Push Hook"),
        delivery_key: "  ",
        received_at: super::received(),
        body: &body,
    })
    .unwrap_err();
    assert!(err.to_string().contains("delivery key is empty"), "{err}");
}

#[test]
fn an_audit_event_without_a_time_or_any_id_is_an_error() {
    let record = json!({"id": 5, "author_id": 1, "entity_type": "Project", "details": {}});
    assert_eq!(
        deliver(Some(AUDIT_EVENT), record.to_string().as_bytes()).unwrap_err(),
        NormalizeError::Missing("created_at")
    );
    let record = json!({"author_id": 1, "created_at": "2024-01-01T00:00:00Z"});
    let err = normalize(&RawDelivery {
        source: Source::Gitlab,
        kind: Some(AUDIT_EVENT),
        delivery_key: "",
        received_at: super::received(),
        body: record.to_string().as_bytes(),
    })
    .unwrap_err();
    assert_eq!(err, NormalizeError::Missing("id"));
}

#[test]
fn huge_strings_are_cut_in_actions_roles_and_summaries() {
    let huge = "x".repeat(1_000_000);
    let mut body = sample("system-hooks-docs/user_add_to_team.json");
    body["access_level"] = json!(huge);
    body["user_username"] = json!(huge);
    let (event, grants) =
        single(deliver(Some("System Hook"), body.to_string().as_bytes()).unwrap());
    assert!(grants[0].grant.permission.len() <= 64);
    assert!(event.summary.chars().count() <= 301);

    let generic = json!({"object_kind": huge, "object_attributes": {"action": huge}});
    let (event, _) = single(deliver(None, generic.to_string().as_bytes()).unwrap());
    assert!(event.action.len() <= 129, "{}", event.action.len());
}

/// Values of every type in every place, to catch a reader that trusts a type.
fn wrong_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5e300),
        json!(""),
        json!("0000000000000000000000000000000000000000"),
        json!([]),
        json!([{}]),
        json!({}),
        json!({"id": {}, "username": [], "path_with_namespace": 3}),
    ]
}

fn mutants(body: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let Some(map) = body.as_object() else {
        return out;
    };
    for (key, value) in map {
        for wrong in wrong_values() {
            let mut changed = body.clone();
            changed[key.as_str()] = wrong.clone();
            out.push(changed);
        }
        // One level down too: `object_attributes`, `project`, `user`, `details`.
        if let Some(inner) = value.as_object() {
            for inner_key in inner.keys() {
                for wrong in wrong_values() {
                    let mut changed = body.clone();
                    changed[key.as_str()][inner_key.as_str()] = wrong;
                    out.push(changed);
                }
            }
        }
    }
    out
}

#[test]
fn every_fixture_with_fields_of_the_wrong_type_never_panics() {
    let root = fixtures::dir().join("gitlab");
    let mut runs = 0;
    for folder in std::fs::read_dir(&root).unwrap() {
        let folder = folder.unwrap().path();
        for file in std::fs::read_dir(&folder).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            let Ok(body) = serde_json::from_slice::<Value>(&std::fs::read(&path).unwrap()) else {
                continue;
            };
            let records = match body {
                Value::Array(records) => records,
                other => vec![other],
            };
            for record in records {
                for mutant in mutants(&record) {
                    let bytes = mutant.to_string();
                    for kind in [Some("System Hook"), None, Some(AUDIT_EVENT)] {
                        // Ok or Err: either is fine, a panic is not.
                        let _ = deliver(kind, bytes.as_bytes());
                        runs += 1;
                    }
                }
            }
        }
    }
    assert!(runs > 10_000, "only {runs} runs");
}
