//! Every file under `shared/fixtures/azure`: each record is an event (with grant changes where
//! access changed), a record deliberately ignored with its reason, or an error naming the
//! missing field. `.index.tsv` files are Panther's index of the `.jsonl` beside them.

use super::{records_of, run};
use crate::fixtures;
use std::collections::BTreeMap;

#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    events: usize,
    ignored: usize,
    errors: Vec<(usize, String)>,
    grants: Vec<usize>,
}

fn kind_of(relative: &str) -> &'static str {
    if relative.starts_with("activity-log-docs/")
        || relative.ends_with("azure-monitor-activity.jsonl")
    {
        "activity_log"
    } else {
        "entra_audit"
    }
}

fn walk() -> BTreeMap<String, Tally> {
    let root = fixtures::dir().join("azure");
    let mut tallies = BTreeMap::new();
    let mut folders: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.sort();
    for folder in folders {
        let mut files: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let relative = file
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&file).unwrap();
            let mut tally = Tally::default();
            if let Some(stem) = relative.strip_suffix(".index.tsv") {
                let indexed = String::from_utf8(bytes).unwrap().lines().count() - 1;
                let records = records_of(&fixtures::read(&format!("azure/{stem}.jsonl")));
                assert_eq!(indexed, records.len(), "{relative} indexes {stem}.jsonl");
                tallies.insert(relative, tally);
                continue;
            }
            for (position, record) in records_of(&bytes) {
                match run(kind_of(&relative), &record) {
                    Ok(normalized) => {
                        if let Some(why) = &normalized.ignored {
                            assert!(normalized.is_empty(), "{relative}:{position}: {why}");
                            tally.ignored += 1;
                        } else {
                            assert_eq!(normalized.events.len(), 1, "{relative}:{position}");
                            tally.events += 1;
                        }
                        if !normalized.grant_changes.is_empty() {
                            tally.grants.push(position);
                        }
                    }
                    Err(err) => tally.errors.push((position, err.to_string())),
                }
            }
            tallies.insert(relative, tally);
        }
    }
    tallies
}

#[test]
fn every_azure_fixture_record_is_classified() {
    let tally = |events, ignored, errors: &[(usize, &str)], grants: &[usize]| Tally {
        events,
        ignored,
        errors: errors.iter().map(|(p, e)| (*p, (*e).to_owned())).collect(),
        grants: grants.to_vec(),
    };
    let expected = BTreeMap::from([
        (
            "activity-log-docs/rest-api-schema.administrative.sample.json".to_owned(),
            tally(1, 0, &[], &[]),
        ),
        (
            "activity-log-docs/storage-eventhub-schema.records.sample.json".to_owned(),
            tally(1, 0, &[], &[]),
        ),
        (
            "entra-graph-docs/directoryAudits-list.example1.json".to_owned(),
            tally(1, 0, &[], &[1]),
        ),
        (
            "entra-graph-docs/directoryAudits-list.example2-filter-initiatedBy.json".to_owned(),
            tally(1, 0, &[], &[]),
        ),
        (
            "otrf-security-datasets/GoldenSAMLADFSMailAccess-AADAuditEvents.json".to_owned(),
            tally(4, 0, &[], &[]),
        ),
        // OfficeActivity (MailItemsAccessed) is Microsoft 365's audit, not Entra's.
        (
            "otrf-security-datasets/GoldenSAMLADFSMailAccess-OfficeActivityEvents.json".to_owned(),
            tally(0, 1, &[], &[]),
        ),
        (
            "panther-analysis-tests/azure-audit.index.tsv".to_owned(),
            Tally::default(),
        ),
        // Two grants: "Remove role assignment" with its RBAC scope (line 8) and "Add member to
        // role" (line 40); the PIM request and completion records (38, 39) are not the change.
        (
            "panther-analysis-tests/azure-audit.jsonl".to_owned(),
            tally(47, 0, &[], &[8, 40]),
        ),
        (
            "panther-analysis-tests/azure-monitor-activity.index.tsv".to_owned(),
            Tally::default(),
        ),
        // 247 records: 34 AKS kube-audit logs and 10 storage data-plane reads are ignored;
        // line 223 is a Panther test record with no time at all. Lines 119-121 are the
        // roleAssignments/write records.
        (
            "panther-analysis-tests/azure-monitor-activity.jsonl".to_owned(),
            tally(
                202,
                44,
                &[(
                    223,
                    "required field `time` is missing or has the wrong type",
                )],
                &[119, 120, 121],
            ),
        ),
    ]);
    assert_eq!(walk(), expected);
}

/// Every fixture record with each top-level field (and each field of `properties`) replaced by
/// a value of another type: the normalizer answers, it never panics.
#[test]
fn fields_of_the_wrong_type_never_panic() {
    let odd = [
        serde_json::json!(null),
        serde_json::json!(7),
        serde_json::json!("x"),
        serde_json::json!([]),
        serde_json::json!({"value": []}),
    ];
    let root = fixtures::dir().join("azure");
    for relative in [
        "activity-log-docs/rest-api-schema.administrative.sample.json",
        "activity-log-docs/storage-eventhub-schema.records.sample.json",
        "entra-graph-docs/directoryAudits-list.example1.json",
        "otrf-security-datasets/GoldenSAMLADFSMailAccess-AADAuditEvents.json",
        "panther-analysis-tests/azure-monitor-activity.jsonl",
        "panther-analysis-tests/azure-audit.jsonl",
    ] {
        let bytes = std::fs::read(root.join(relative)).unwrap();
        for (_, record) in records_of(&bytes) {
            let serde_json::Value::Object(fields) = &record else {
                continue;
            };
            let mut paths: Vec<Vec<String>> = fields.keys().map(|k| vec![k.clone()]).collect();
            if let Some(serde_json::Value::Object(properties)) = fields.get("properties") {
                paths.extend(
                    properties
                        .keys()
                        .map(|k| vec!["properties".into(), k.clone()]),
                );
            }
            for path in &paths {
                for value in &odd {
                    let mut changed = record.clone();
                    let mut slot = &mut changed;
                    for key in path {
                        slot = slot.get_mut(key).unwrap();
                    }
                    *slot = value.clone();
                    for kind in ["activity_log", "entra_audit", "event_grid"] {
                        let _ = run(kind, &changed);
                    }
                }
            }
        }
    }
}
