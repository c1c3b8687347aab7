//! Tests of the Google Cloud normalizer on hand-checked entries and policies of the samples in
//! `shared/fixtures/gcp-audit` and `gcp-iam` (read there, never copied), small inputs written
//! here for shapes no sample has, and a walk that classifies every fixture file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod envelopes;
mod log_entries;
mod policies;
mod walk;

use super::normalize;
use crate::fixtures;
use crate::model::Source;
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn run(kind: &str, body: &[u8]) -> Result<Normalized, NormalizeError> {
    normalize(&RawDelivery {
        source: Source::Gcp,
        kind: Some(kind),
        delivery_key: "key-1",
        received_at: received(),
        body,
    })
}

fn run_entry(entry: &Value) -> Result<Normalized, NormalizeError> {
    run("log_entry", entry.to_string().as_bytes())
}

/// The records of a fixture file as the lead's reader splits them: a JSON array → elements,
/// `{"entries": [...]}` → elements, another object → itself, else NDJSON lines.
fn records(relative: &str) -> Vec<Value> {
    records_of(&fixtures::read(relative))
}

fn records_of(bytes: &[u8]) -> Vec<Value> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(records)) => records,
        Ok(Value::Object(mut object)) => match object.remove("entries") {
            Some(Value::Array(records)) => records,
            _ => vec![Value::Object(object)],
        },
        _ => bytes
            .split(|&b| b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .map(|line| serde_json::from_slice(line).unwrap())
            .collect(),
    }
}

const PANTHER: &str = "gcp-audit/panther-analysis-tests/gcp-auditlog.jsonl";

/// Line `n` (1-based, as in the `.index.tsv`) of Panther's rule-test entries.
fn panther(n: usize) -> Value {
    records(PANTHER).swap_remove(n - 1)
}

/// The only event of a delivery that must yield one.
fn single(result: Result<Normalized, NormalizeError>) -> Normalized {
    let normalized = result.unwrap();
    assert_eq!(normalized.events.len(), 1, "{normalized:#?}");
    assert_eq!(normalized.ignored, None);
    normalized
}
