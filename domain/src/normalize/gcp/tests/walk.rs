//! Every file below `gcp-audit/` and `gcp-iam/` is run and classified, so a new fixture is
//! never silently skipped: each yields events, grants or snapshots, or is asserted to be what
//! it is (a non-audit log entry, a SIEM rule-test fragment, an API listing that is not a policy).

use super::*;
use std::collections::{BTreeSet, HashSet};
use std::io::Read;
use std::path::Path;

fn files(dir: &str) -> Vec<String> {
    let root = fixtures::dir();
    let mut found = Vec::new();
    let mut pending = vec![root.join(dir)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(&root).unwrap();
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    assert!(!found.is_empty(), "no fixtures below {dir}");
    found
}

/// What an audit `LogEntry` must have for an event (a time and a method; the id may come from
/// the delivery key); judged here on the raw JSON, independently of the normalizer.
/// Panther elides fields it does not need as `"..."`, a time among them.
fn is_complete_audit_entry(entry: &Value) -> bool {
    let time = entry
        .get("timestamp")
        .or_else(|| entry.get("receiveTimestamp"))
        .and_then(Value::as_str);
    time.is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        && entry["protoPayload"]["methodName"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
}

#[test]
fn every_audit_log_fixture_is_classified() {
    let mut seen = 0;
    for file in files("gcp-audit") {
        seen += 1;
        let name = Path::new(&file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".index.tsv") {
            panther_index(&file);
        } else if name.ends_with(".jsonl") {
            panther_entries(&file);
        } else if file.contains("/gcpdiag-test-data/") {
            entries_list(&file);
        } else {
            // google-cloudevents and elastic-integrations: one entry (or one wrapped entry).
            let records = records(&file);
            assert_eq!(records.len(), 1, "{file}");
            let normalized = single(run_entry(&records[0]));
            let expected_changes = usize::from(file.contains("elastic-integrations"));
            assert_eq!(normalized.grant_changes.len(), expected_changes, "{file}");
        }
    }
    assert_eq!(
        seen, 10,
        "a gcp-audit fixture was added or removed: classify it here"
    );
}

/// The index has a header and one line per entry of the `.jsonl`.
fn panther_index(file: &str) {
    let index = String::from_utf8(fixtures::read(file)).unwrap();
    let jsonl = file.replace(".index.tsv", ".jsonl");
    let entries = records(&jsonl).len();
    assert_eq!(index.lines().count(), entries + 1, "{file}");
    assert!(index.starts_with("line\tsource_file\ttest_name"));
}

/// Panther's rule tests: many are real entries, many are fragments trimmed to the fields a
/// rule reads (no `insertId`, no time, lower-cased keys from its data lake). The fragments
/// are refused with the missing field named, never turned into events with invented ids.
fn panther_entries(file: &str) {
    let mut events = 0;
    let mut changes = 0;
    let mut refused = 0;
    for (n, entry) in records(file).iter().enumerate() {
        let result = run_entry(entry);
        if is_complete_audit_entry(entry) {
            let normalized = result.unwrap_or_else(|e| panic!("{file} line {}: {e}", n + 1));
            assert_eq!(normalized.events.len(), 1, "line {}", n + 1);
            events += 1;
            changes += normalized.grant_changes.len();
        } else {
            let err = result.expect_err(&format!("line {} is a fragment", n + 1));
            let named = match &err {
                NormalizeError::Missing(_) => true,
                NormalizeError::Invalid(why) => why.ends_with("is not a time"),
                NormalizeError::Json(_) => false,
            };
            assert!(named, "line {}: {err}", n + 1);
            refused += 1;
        }
    }
    assert_eq!((events, refused), (135, 61));
    // Hand count of complete, successful entries with deltas: lines 51, 57, 60, 61, 62, 64,
    // 65 (one each), 103 (two), 123 (three legacy bucket roles).
    assert_eq!(changes, 12);
}

/// gcpdiag's captured `entries.list` responses: audit entries become events with distinct
/// ids, the Cloud Functions' own output (`textPayload`) is ignored.
fn entries_list(file: &str) {
    let mut ids = HashSet::new();
    let (mut events, mut ignored) = (0, 0);
    for entry in records(file) {
        let normalized = run_entry(&entry).unwrap();
        if entry.get("textPayload").is_some() {
            assert!(normalized.is_empty() && normalized.ignored.is_some());
            ignored += 1;
        } else {
            let normalized = single(Ok(normalized));
            assert!(ids.insert(normalized.events[0].source_event_id.clone()));
            events += 1;
        }
    }
    let expected = match Path::new(file).file_name().unwrap().to_str().unwrap() {
        "gce2.logging-entries-1.json" => (7, 0),
        "gce5.logging-entries-1.json" => (169, 0),
        "gcf2.logging-entries-1.json" => (8, 42),
        other => panic!("unclassified entries list {other}"),
    };
    assert_eq!((events, ignored), expected, "{file}");
}

#[test]
fn every_iam_fixture_is_classified() {
    let mut policies = 0;
    let mut not_policies = 0;
    for file in files("gcp-iam") {
        let name = Path::new(&file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (project, dump) = name.split_once('.').unwrap();
        match dump {
            "iam-policy.json" => {
                project_policy(&file, project);
                policies += 1;
            }
            // Policies of one service account or KMS key; the dump does not say which, so the
            // test names one. Scope is that resource.
            "iam-service-account-policy.json" | "kms-key-iam-policy.json" => {
                let resource =
                    format!("//iam.googleapis.com/projects/{project}/serviceAccounts/sa");
                let normalized = run(&format!("iam_policy:{resource}"), &fixtures::read(&file));
                let snapshot = normalized.unwrap().snapshots.remove(0);
                assert_eq!(snapshot.scope, format!("gcp:{resource}"));
                policies += 1;
            }
            "project.json"
            | "iam-service-accounts.json"
            | "iam-roles-custom.json"
            | "iam-roles-get.json" => {
                not_a_policy(&file, &fixtures::read(&file));
                not_policies += 1;
            }
            "iam-roles-predefined-1.json.gz" | "iam-roles-predefined-2.json.gz" => {
                let gzip = fixtures::read(&file);
                assert!(matches!(
                    run("iam_policy:projects/p", &gzip),
                    Err(NormalizeError::Json(_))
                ));
                let mut json = Vec::new();
                flate2::read::GzDecoder::new(gzip.as_slice())
                    .read_to_end(&mut json)
                    .unwrap();
                not_a_policy(&file, &json);
                not_policies += 1;
            }
            other => panic!("unclassified gcp-iam fixture kind {other} ({file})"),
        }
    }
    assert_eq!((policies, not_policies), (31, 84));
}

/// `projects.getIamPolicy` of a gcpdiag project, imported under the id its `project.json`
/// gives: every distinct (member, role, condition) is one grant.
fn project_policy(file: &str, project: &str) {
    let project_file = file.replace(".iam-policy.json", ".project.json");
    let project_id = serde_json::from_slice::<Value>(&fixtures::read(&project_file)).unwrap()
        ["projectId"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = fixtures::read(file);
    let policy: Value = serde_json::from_slice(&body).unwrap();
    let distinct: BTreeSet<(String, String, String)> = policy["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            b["members"].as_array().unwrap().iter().map(move |m| {
                (
                    m.as_str().unwrap().to_owned(),
                    b["role"].as_str().unwrap().to_owned(),
                    b["condition"].to_string(),
                )
            })
        })
        .collect();
    let mut normalized = run(&format!("iam_policy:projects/{project_id}"), &body).unwrap();
    assert_eq!(normalized.snapshots.len(), 1, "{project}");
    let snapshot = normalized.snapshots.remove(0);
    assert_eq!(snapshot.scope, format!("gcp:project:{project_id}"));
    assert_eq!(snapshot.grants.len(), distinct.len(), "{file}");
    assert!(snapshot
        .grants
        .iter()
        .all(|g| g.resource.id == snapshot.scope));
}

/// API listings beside the policies (service accounts, roles, project metadata) are not
/// policies: both snapshot kinds refuse them rather than snapshot nothing, which would close
/// every grant of the scope.
fn not_a_policy(file: &str, body: &[u8]) {
    assert_eq!(
        run("iam_policy:projects/p", body).unwrap_err(),
        NormalizeError::Missing("bindings"),
        "{file}"
    );
    let err = run("asset_inventory", body).unwrap_err().to_string();
    assert!(err.contains("no IAM policy"), "{file}: {err}");
}

/// Every field of a few real entries and policies replaced by every JSON type: the result may
/// be an error, never a panic.
#[test]
fn every_field_of_every_type_never_panics() {
    let odd = [
        Value::Null,
        Value::from(-1),
        Value::from(1.5),
        Value::from(""),
        Value::from("..."),
        Value::Array(vec![Value::Null]),
        serde_json::json!({}),
    ];
    let mut samples = vec![
        records("gcp-audit/elastic-integrations/test-cloudresourcemanager-googleapis-com.log")
            .swap_remove(0),
        panther(65),
        panther(123),
    ];
    samples.push(serde_json::json!({"message": {"data": "e30="}}));
    for sample in &samples {
        for pointer in pointers(sample, "") {
            for value in &odd {
                let mut mutated = sample.clone();
                *mutated.pointer_mut(&pointer).unwrap() = value.clone();
                let _ = run_entry(&mutated);
                let _ = super::super::record_key("log_entry", mutated.to_string().as_bytes());
            }
        }
    }
    let policy: Value = serde_json::from_slice(&fixtures::read(
        "gcp-iam/gcpdiag-test-data/gke1.iam-policy.json",
    ))
    .unwrap();
    for pointer in pointers(&policy, "") {
        for value in &odd {
            let mut mutated = policy.clone();
            *mutated.pointer_mut(&pointer).unwrap() = value.clone();
            let body = mutated.to_string();
            let _ = run("iam_policy:projects/p", body.as_bytes());
            let record =
                serde_json::json!({"resource": "//x.googleapis.com/a/b", "policy": mutated});
            let _ = run("asset_inventory", record.to_string().as_bytes());
        }
    }
}

/// The JSON pointers of every value below `value`.
fn pointers(value: &Value, prefix: &str) -> Vec<String> {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                (
                    format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1")),
                    v,
                )
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{prefix}/{i}"), v))
            .collect(),
        _ => Vec::new(),
    };
    let mut all = Vec::new();
    for (pointer, child) in children {
        all.extend(pointers(child, &pointer));
        all.push(pointer);
    }
    all
}

/// Every gcpdiag project listing: the project, by its `projectId`, in the folder or
/// organization its `parent` names.
#[test]
fn project_listings_say_which_folder_or_organization_holds_each_project() {
    let mut seen = 0;
    for file in files("gcp-iam/gcpdiag-test-data") {
        if !file.ends_with(".project.json") {
            continue;
        }
        let body = fixtures::read(&file);
        let project: Value = serde_json::from_slice(&body).unwrap();
        let parent = project["parent"].as_str().unwrap();
        let expected = match parent.split_once('/').unwrap() {
            ("folders", id) => format!("gcp:folder:{id}"),
            ("organizations", id) => format!("gcp:organization:{id}"),
            other => panic!("{file}: parent {other:?}"),
        };
        let normalized = run("resource_manager", &body).unwrap_or_else(|e| panic!("{file}: {e}"));
        let found: Vec<(&str, &str)> = normalized
            .containment
            .iter()
            .map(|c| (c.child.as_str(), c.parent.as_str()))
            .collect();
        let child = format!("gcp:project:{}", project["projectId"].as_str().unwrap());
        assert_eq!(found, [(child.as_str(), expected.as_str())], "{file}");
        seen += 1;
    }
    assert_eq!(seen, 48);
}
