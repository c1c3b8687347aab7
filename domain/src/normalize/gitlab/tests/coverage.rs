//! Every file below `fixtures/gitlab/` is run and classified: a webhook yields one event (and
//! a grant change exactly when it is a membership change), an audit event yields one event,
//! and the files that are not audit events are set aside or rejected as the tests say. The
//! folders are walked, so a new file or folder is never silently skipped.

use super::{deliver, KEY};
use crate::fixtures;
use crate::model::Source;
use crate::normalize::gitlab::AUDIT_EVENT;
use crate::normalize::NormalizeError;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The lines of an NDJSON fixture below `gitlab/`.
pub(super) fn lines(relative: &str) -> Vec<Value> {
    split(&super::fixture(relative))
}

/// The records of a file as the importer splits them: a JSON array → its elements; an object
/// wrapping `entries`/`records`/`value`/`Records` → those; another object → itself; else
/// NDJSON, one record a line.
fn split(bytes: &[u8]) -> Vec<Value> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(records)) => records,
        Ok(Value::Object(mut object)) => {
            for wrapper in ["entries", "records", "value", "Records"] {
                if let Some(Value::Array(records)) = object.remove(wrapper) {
                    return records;
                }
            }
            vec![Value::Object(object)]
        }
        _ => bytes
            .split(|&b| b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .map(|line| serde_json::from_slice(line).unwrap())
            .collect(),
    }
}

/// The `X-Gitlab-Event` header of a webhook fixture, as `SOURCES.md` gives it.
fn header_for(folder: &str, file: &str) -> &'static str {
    match folder {
        "system-hooks-docs" | "system-hooks-go-gitlab-testdata" => "System Hook",
        _ if file.starts_with("member_hook.") || file == "member.json" => "Member Hook",
        _ if file.starts_with("project_hook.") => "Project Hook",
        _ if file.starts_with("subgroup_hook.") || file == "subgroup.json" => "Subgroup Hook",
        _ => match file.trim_end_matches(".json") {
            "push" => "Push Hook",
            "tag_push" => "Tag Push Hook",
            "issue" => "Issue Hook",
            name if name.starts_with("note_") => "Note Hook",
            "merge_request" | "group_merge_request" | "service_merge_request" => {
                "Merge Request Hook"
            }
            "wiki_page" => "Wiki Page Hook",
            "pipeline" => "Pipeline Hook",
            "build" => "Build Hook",
            "job" => "Job Hook",
            "deployment" => "Deployment Hook",
            "feature_flag" => "Feature Flag Hook",
            "release" => "Release Hook",
            name if name.starts_with("resource_access_token_") => "Resource Access Token Hook",
            other => panic!("no header known for {folder}/{other}: add it from SOURCES.md"),
        },
    }
}

/// Membership changes: the only webhooks that change grants.
fn changes_grants(file: &str) -> bool {
    let name = file
        .trim_start_matches("member_hook.")
        .trim_end_matches(".json");
    name == "member"
        || ["user_add_to_", "user_remove_from_", "user_update_for_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

fn files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap_or_else(|err| panic!("{}: {err}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

fn run_webhook(folder: &str, path: &Path) {
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let header = header_for(folder, &file);
    let body = std::fs::read(path).unwrap();
    let place = format!("{folder}/{file}");
    let normalized = deliver(Some(header), &body).unwrap_or_else(|err| panic!("{place}: {err}"));
    assert_eq!(normalized.events.len(), 1, "{place}");
    assert_eq!(normalized.ignored, None, "{place}");
    let event = &normalized.events[0];
    assert_eq!(event.source, Source::Gitlab, "{place}");
    assert_eq!(event.source_event_id, KEY, "{place}");
    assert!(!event.summary.is_empty(), "{place}");
    assert!(!event.summary.contains('\n'), "{place}");
    assert!(
        event.action.split('.').all(|part| !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')),
        "{place}: {}",
        event.action
    );
    let expected_grants = usize::from(changes_grants(&file));
    assert_eq!(normalized.grant_changes.len(), expected_grants, "{place}");
    // The same bytes give the same rows, and the body alone says what it is.
    assert_eq!(deliver(Some(header), &body).unwrap(), normalized, "{place}");
    let without_kind = deliver(None, &body).unwrap_or_else(|err| panic!("{place}: {err}"));
    assert_eq!(without_kind.events[0].action, event.action, "{place}");
}

/// What each file of the audit folders is.
fn run_records(folder: &str, path: &Path) {
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let place = format!("{folder}/{file}");
    if folder == "panther-analysis-tests" && file.ends_with(".index.tsv") {
        // Panther's index of which rule each line tests and what it expects: not records.
        return;
    }
    let records = split(&std::fs::read(path).unwrap());
    assert!(!records.is_empty(), "{place}");
    for record in records {
        let result = deliver(Some(AUDIT_EVENT), record.to_string().as_bytes());
        match (folder, file.as_str()) {
            ("audit-event-streaming-docs", _) => {
                let normalized = result.unwrap_or_else(|err| panic!("{place}: {err}"));
                assert_eq!(normalized.events.len(), 1, "{place}");
            }
            ("rest-api-go-gitlab-testdata", _) => {
                let reason = result.unwrap().ignored.unwrap_or_default();
                assert!(reason.contains("REST API"), "{place}: {reason}");
            }
            ("panther-analysis-tests", "gitlab-production.jsonl") => {
                let reason = result.unwrap().ignored.unwrap_or_default();
                assert!(reason.contains("request"), "{place}: {reason}");
            }
            ("panther-analysis-tests", "gitlab-audit.jsonl") => {
                assert_eq!(
                    result.unwrap_err(),
                    NormalizeError::Missing("created_at"),
                    "{place}"
                );
            }
            _ => panic!("{place}: not classified; say in this test what it is"),
        }
    }
}

#[test]
fn every_gitlab_fixture_file_is_classified() {
    let root = fixtures::dir().join("gitlab");
    let mut seen = 0;
    for folder in files(&root) {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        for path in files(&folder) {
            match name.as_str() {
                "system-hooks-docs"
                | "system-hooks-go-gitlab-testdata"
                | "group-webhooks-docs"
                | "webhooks-go-gitlab-testdata" => run_webhook(&name, &path),
                "audit-event-streaming-docs"
                | "rest-api-go-gitlab-testdata"
                | "panther-analysis-tests" => run_records(&name, &path),
                other => panic!("fixture folder gitlab/{other} is not classified"),
            }
            seen += 1;
        }
    }
    // 28 + 9 + 24 + 21 webhooks, 1 streaming event, 22 REST responses, 4 Panther files.
    assert_eq!(seen, 109, "fixture files found");
}
