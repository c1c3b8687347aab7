//! Every published sample normalizes, the same way twice, and odd or hostile input is an
//! error rather than a panic.

use super::{normalize, received, run};
use crate::fixtures;
use crate::model::Source;
use crate::normalize::NormalizeError;
use serde_json::{json, Value};
use std::path::PathBuf;

/// Every sample payload as (event, path): the folder a file is in is its `X-GitHub-Event`.
fn all_samples() -> Vec<(String, PathBuf)> {
    let mut samples = Vec::new();
    for collection in ["webhooks", "webhooks-ghes-3.5"] {
        let root = fixtures::dir().join("github").join(collection);
        let folders = std::fs::read_dir(&root)
            .unwrap_or_else(|err| panic!("fixtures {}: {err}", root.display()));
        for folder in folders.map(|entry| entry.unwrap().path()) {
            let event = folder.file_name().unwrap().to_string_lossy().into_owned();
            for file in std::fs::read_dir(&folder).unwrap() {
                let path = file.unwrap().path();
                if path.extension().is_some_and(|ext| ext == "json") {
                    samples.push((event.clone(), path));
                }
            }
        }
    }
    samples.sort();
    samples
}

#[test]
fn every_sample_payload_normalizes() {
    let samples = all_samples();
    assert!(
        samples.len() > 250,
        "only {} sample payloads found",
        samples.len()
    );
    for (event, path) in &samples {
        let body = std::fs::read(path).unwrap();
        let events = normalize(event, "d-1", received(), &body)
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        assert!(!events.is_empty(), "{}: no events", path.display());
        for (n, e) in events.iter().enumerate() {
            let place = path.display();
            assert_eq!(e.source, Source::Github);
            let expected_id = if events.len() > 1 {
                format!("d-1:{n}")
            } else {
                "d-1".into()
            };
            assert_eq!(e.source_event_id, expected_id, "{place}");
            assert!(
                e.native_action.starts_with(event.as_str()),
                "{place}: {}",
                e.native_action
            );
            assert!(
                !e.action.is_empty()
                    && e.action == e.action.to_lowercase()
                    && !e.action.contains(' ')
                    && !e.action.starts_with('.')
                    && !e.action.ends_with('.'),
                "{place}: action {:?}",
                e.action
            );
            assert!(!e.actor.name.is_empty(), "{place}");
            assert!(
                !e.summary.is_empty() && !e.summary.contains('\n'),
                "{place}: {:?}",
                e.summary
            );
            assert!(e.details.is_object(), "{place}");
            assert!(
                e.targets
                    .iter()
                    .all(|t| !t.name.is_empty() && !t.kind.is_empty()),
                "{place}"
            );
            assert_eq!(
                e.error.is_some(),
                e.outcome == crate::model::Outcome::Failure,
                "{place}"
            );
        }
    }
}

#[test]
fn same_delivery_gives_the_same_events() {
    for (event, path) in all_samples() {
        let body = std::fs::read(&path).unwrap();
        let first = normalize(&event, "d-1", received(), &body);
        let second = normalize(&event, "d-1", received(), &body);
        assert_eq!(first, second, "{}", path.display());
    }
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let sender = json!({"sender": {"login": "octocat", "id": 1, "type": "User"}});
    let cases: [(&str, &[u8]); 7] = [
        ("push", b"not json"),
        ("push", b""),
        ("push", b"[1, 2]"),
        ("push", b"null"),
        ("push", b"{}"),
        ("member", b"{\"sender\": \"octocat\"}"),
        (
            "member",
            b"{\"sender\": {\"login\": 42, \"id\": \"x\"}, \"member\": 7}",
        ),
    ];
    for (event, body) in cases {
        let result = normalize(event, "d-1", received(), body);
        assert!(
            result.is_err(),
            "{event} {:?}: {result:?}",
            String::from_utf8_lossy(body)
        );
    }
    assert!(matches!(
        normalize("push", "d-1", received(), b"{oops"),
        Err(NormalizeError::Json(_))
    ));
    assert_eq!(
        normalize("member", "d-1", received(), b"{}"),
        Err(NormalizeError::Missing("sender"))
    );
    assert!(matches!(
        normalize("  ", "d-1", received(), sender.to_string().as_bytes()),
        Err(NormalizeError::Invalid(_))
    ));
    assert!(matches!(
        normalize("push", "d-1", received(), b"[]"),
        Err(NormalizeError::Invalid(_))
    ));
}

/// Values of every JSON type, to put where the normalizer expects something else.
pub(super) fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(1e300),
        json!(""),
        json!("2019-13-45T99:99:99Z"),
        json!([]),
        json!([{"login": 5}]),
        json!({}),
        json!({"login": [], "full_name": {}, "id": -0.5}),
    ]
}

/// Replaces each field of the payload (and, one odd value at a time, each field one level
/// down) and runs it: any result will do, as long as nothing panics.
#[test]
fn odd_field_types_never_panic() {
    let mut seen = std::collections::BTreeSet::new();
    let odd = odd_values();
    for (event, path) in all_samples() {
        // One sample per event kind keeps the test quick; they share their shapes.
        if !seen.insert(event.clone()) {
            continue;
        }
        let payload: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let Some(fields) = payload.as_object() else {
            continue;
        };
        for (n, (key, value)) in fields.iter().enumerate() {
            for replacement in &odd {
                let mut changed = payload.clone();
                changed[key.as_str()] = replacement.clone();
                let _ = run(&event, &changed);
            }
            for (m, inner) in value
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
                .enumerate()
            {
                let mut changed = payload.clone();
                changed[key.as_str()][inner.as_str()] = odd[(n + m) % odd.len()].clone();
                let _ = run(&event, &changed);
            }
        }
    }
}

/// Panther's test bodies are real webhook shapes cut down by hand, often without a sender.
#[test]
fn hand_cut_webhook_bodies_never_panic() {
    let lines = fixtures::read("github/audit-log/panther-analysis-tests/github-webhook.jsonl");
    let kinds = [
        "push",
        "pull_request",
        "workflow_run",
        "member",
        "team",
        "repository",
        "installation",
        "x",
    ];
    for line in String::from_utf8_lossy(&lines).lines() {
        for kind in kinds {
            let _ = normalize(kind, "d-1", received(), line.as_bytes());
        }
    }
}

#[test]
fn timestamps_in_every_form_github_writes() {
    use crate::normalize::json::timestamp;
    let expected = super::utc("2019-05-15T15:20:30Z");
    assert_eq!(timestamp(&json!("2019-05-15T15:20:30Z")), Some(expected));
    assert_eq!(
        timestamp(&json!("2019-05-15T08:20:30-07:00")),
        Some(expected)
    );
    assert_eq!(
        timestamp(&json!("2019-05-15T11:20:30.000-04:00")),
        Some(expected)
    );
    assert_eq!(timestamp(&json!("2019-05-15 15:20:30")), Some(expected));
    assert_eq!(timestamp(&json!(1557933630)), Some(expected));
    assert_eq!(timestamp(&json!("1557933630")), Some(expected));
    assert_eq!(timestamp(&json!(1557933630000_i64)), Some(expected));
    for odd in odd_values() {
        assert_eq!(timestamp(&odd), None, "{odd}");
    }
    assert_eq!(timestamp(&json!(i64::MAX)), None);
    assert_eq!(timestamp(&json!(u64::MAX)), None);
}

/// Whether a sample should change access, read from the sample itself by GitHub's rules
/// rather than from what the normalizer does.
fn changes_access(kind: &str, payload: &Value) -> bool {
    let action = payload.get("action").and_then(Value::as_str).unwrap_or("");
    let repositories = payload
        .get("repositories")
        .and_then(Value::as_array)
        .is_some_and(|list| !list.is_empty());
    let all = payload.pointer("/installation/repository_selection") == Some(&json!("all"));
    match kind {
        "member" => matches!(action, "added" | "removed"),
        "membership" | "team_add" | "deploy_key" | "installation_repositories" => true,
        "organization" => matches!(action, "member_added" | "member_removed"),
        "team" => matches!(
            action,
            "added_to_repository" | "removed_from_repository" | "deleted"
        ),
        "repository" => action == "deleted",
        "installation" => matches!(action, "created" | "deleted") && (repositories || all),
        _ => false,
    }
}

#[test]
fn every_sample_grants_what_it_says_and_well_formed() {
    for (kind, path) in all_samples() {
        let place = path.display();
        let payload: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let changes = super::deliver(Some(&kind), payload.to_string().as_bytes())
            .unwrap()
            .grant_changes;
        assert_eq!(
            !changes.is_empty(),
            changes_access(&kind, &payload),
            "{place}: {changes:#?}"
        );
        for change in &changes {
            let grant = &change.grant;
            assert!(
                grant.scope.starts_with("github:org:") || grant.scope.starts_with("github:user:"),
                "{place}: {}",
                grant.scope
            );
            assert_eq!(grant.scope, grant.scope.to_lowercase(), "{place}");
            for id in [&grant.principal.id, &grant.resource.id] {
                if id == crate::grant::ANY {
                    continue;
                }
                let number = id.rsplit(':').next().unwrap();
                assert!(number.parse::<u64>().is_ok(), "{place}: {id}");
            }
            assert!(!grant.principal.name.is_empty() && !grant.resource.name.is_empty());
            assert!(
                !grant.permission.is_empty() && grant.via.is_empty(),
                "{place}"
            );
            assert!(
                change.evidence.starts_with(&kind) && change.evidence.contains(" webhook by "),
                "{place}: {}",
                change.evidence
            );
        }
    }
}
