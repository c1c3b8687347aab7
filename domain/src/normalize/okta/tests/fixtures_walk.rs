//! Every file under `shared/fixtures/okta`: each record normalizes to one event (with grant
//! changes where access changed) or to an error naming the missing field; the `.index.tsv`
//! files are Panther's index of the `.jsonl` beside them, not records.

use super::{run, utc};
use crate::fixtures;
use crate::grant::{GrantChange, GrantOp};
use crate::normalize::NormalizeError;
use serde_json::Value;
use std::collections::BTreeMap;

const DIR: &str = "okta/panther-analysis-tests";

/// The records of a file as the import reader splits them: a JSON object is one record, an
/// array its elements, anything else NDJSON. Each comes with its line number.
pub(super) fn records_of(bytes: &[u8]) -> Vec<(usize, Value)> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, v))
            .collect(),
        Ok(value) => vec![(1, value)],
        Err(_) => bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
            .map(|(i, line)| (i + 1, serde_json::from_slice(line).unwrap()))
            .collect(),
    }
}

fn file_names() -> Vec<String> {
    let dir = fixtures::dir().join(DIR);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_okta_fixture_record_is_an_event_or_a_named_error() {
    // Panther's test records sometimes leave out fields a real event always has; those are
    // errors naming the field (the delivery would wait on the ingest health page).
    let no_published = [45, 46, 48, 54, 57, 58, 60, 67, 68, 70];
    let no_event_type = [59, 69];
    let redacted_time = [37, 38, 39, 40];
    let expected_events = BTreeMap::from([
        (
            "okta-systemlog.jsonl",
            74 - no_published.len() - no_event_type.len() - redacted_time.len(),
        ),
        (
            "scenario-okta-add-administrator-admin_privs_assigned.jsonl",
            1,
        ),
        (
            "scenario-okta-add-administrator-brute_force_logins.jsonl",
            10,
        ),
        ("scenario-okta-add-administrator-new-user.jsonl", 1),
    ]);
    let mut all_changes: Vec<(String, usize, GrantChange)> = Vec::new();
    let names = file_names();
    assert_eq!(names.len(), 5, "{names:?}");
    for name in &names {
        let bytes = fixtures::read(&format!("{DIR}/{name}"));
        if let Some(stem) = name.strip_suffix(".index.tsv") {
            let indexed = String::from_utf8(bytes).unwrap().lines().count() - 1;
            let records = records_of(&fixtures::read(&format!("{DIR}/{stem}.jsonl")));
            assert_eq!(indexed, records.len(), "{name} indexes {stem}.jsonl");
            continue;
        }
        let mut events = 0;
        for (line, record) in records_of(&bytes) {
            match run(&record) {
                Ok(normalized) => {
                    assert_eq!(normalized.events.len(), 1, "{name}:{line}");
                    events += 1;
                    for change in normalized.grant_changes {
                        all_changes.push((name.clone(), line, change));
                    }
                }
                Err(err) => {
                    let expected = if no_published.contains(&line) {
                        NormalizeError::Missing("published")
                    } else if no_event_type.contains(&line) {
                        NormalizeError::Missing("eventType")
                    } else if redacted_time.contains(&line) {
                        NormalizeError::Invalid("published \"redacted\" is not a time".into())
                    } else {
                        panic!("{name}:{line}: {err}")
                    };
                    assert_eq!(name, "okta-systemlog.jsonl");
                    assert_eq!(err, expected, "{name}:{line}");
                }
            }
        }
        assert_eq!(Some(&events), expected_events.get(name.as_str()), "{name}");
    }
    // Three admin grants name two roles each; the group.privilege.grant record (line 15)
    // failed and grants nothing.
    let located: Vec<(&str, usize, &str)> = all_changes
        .iter()
        .map(|(n, l, c)| (n.as_str(), *l, c.grant.permission.as_str()))
        .collect();
    assert_eq!(
        located,
        [
            ("okta-systemlog.jsonl", 4, "Organization administrator"),
            ("okta-systemlog.jsonl", 4, "Application administrator (all)"),
            ("okta-systemlog.jsonl", 5, "Super administrator"),
            ("okta-systemlog.jsonl", 5, "Read only admin"),
            (
                "scenario-okta-add-administrator-admin_privs_assigned.jsonl",
                1,
                "Organization administrator"
            ),
            (
                "scenario-okta-add-administrator-admin_privs_assigned.jsonl",
                1,
                "Application administrator (all)"
            ),
        ]
    );
}

#[test]
fn an_admin_role_grant_names_each_role_on_the_org() {
    let bytes = fixtures::read(&format!("{DIR}/okta-systemlog.jsonl"));
    let (_, record) = records_of(&bytes)
        .into_iter()
        .find(|(line, _)| *line == 4)
        .unwrap();
    let normalized = run(&record).unwrap();
    let change = &normalized.grant_changes[0];
    assert_eq!(change.op, GrantOp::Added);
    // "2020-11-25 21:27:03.496000000" as Panther rewrote Okta's `published`.
    assert_eq!(change.at, utc("2020-11-25T21:27:03.496Z"));
    assert_eq!(change.grant.scope, "okta:org:default");
    assert_eq!(change.grant.principal.id, "okta:user:00u6eup97mAJZWYmP357");
    assert_eq!(change.grant.principal.name, "alice@acme.io");
    assert_eq!(change.grant.resource.id, "okta:org:default");
    assert_eq!(change.grant.resource.kind, "org");
    assert_eq!(
        change.evidence,
        "user.account.privilege.grant by jack@acme.io"
    );
    let event = &normalized.events[0];
    assert_eq!(event.action, "admin_role.granted");
    assert_eq!(
        event.summary,
        "jack@acme.io granted Organization administrator, Application administrator (all) to alice@acme.io"
    );
    assert_eq!(
        event.details["debugData"]["privilegeGranted"],
        "Organization administrator, Application administrator (all)"
    );
}

#[test]
fn lowercased_export_keys_are_read_like_okta_s_own() {
    let bytes = fixtures::read(&format!("{DIR}/okta-systemlog.jsonl"));
    let (_, record) = records_of(&bytes)
        .into_iter()
        .find(|(line, _)| *line == 15)
        .unwrap();
    assert!(
        record.get("eventtype").is_some(),
        "this record has Panther's lowercased keys"
    );
    let event = run(&record).unwrap().events.remove(0);
    assert_eq!(event.native_action, "group.privilege.grant");
    assert_eq!(event.action, "admin_role.granted");
    assert_eq!(event.source_event_id, "aa-11-22-33-44-bb");
    assert_eq!(event.error.as_deref(), Some("FAILURE"));
    assert_eq!(event.details["displayMessage"], "Group Privilege granted");
}

/// Every fixture event with each top-level field replaced by a value of another type: the
/// normalizer answers, it never panics.
#[test]
fn fields_of_the_wrong_type_never_panic() {
    let odd = [
        serde_json::json!(null),
        serde_json::json!(7),
        serde_json::json!("x"),
        serde_json::json!([[]]),
        serde_json::json!({"id": []}),
    ];
    for name in file_names().iter().filter(|n| n.ends_with(".jsonl")) {
        for (_, record) in records_of(&fixtures::read(&format!("{DIR}/{name}"))) {
            let Value::Object(fields) = &record else {
                continue;
            };
            for key in fields.keys() {
                for value in &odd {
                    let mut changed = record.clone();
                    changed[key.as_str()] = value.clone();
                    let _ = run(&changed);
                }
            }
        }
    }
}
