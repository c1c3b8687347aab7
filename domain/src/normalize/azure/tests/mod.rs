//! Tests of the Azure normalizer: every record under `shared/fixtures/azure`, hand-checked
//! role assignment, group membership and directory role records, Event Grid events from
//! Microsoft's documentation, and malformed input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod activity;
mod entra;
mod event_grid;
mod fixtures_walk;

use super::normalize;
use crate::fixtures;
use crate::model::Source;
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn run_bytes(kind: &str, body: &[u8]) -> Result<Normalized, NormalizeError> {
    normalize(&RawDelivery {
        source: Source::Azure,
        kind: Some(kind),
        delivery_key: "delivery-1",
        received_at: received(),
        body,
    })
}

fn run(kind: &str, record: &Value) -> Result<Normalized, NormalizeError> {
    run_bytes(kind, &serde_json::to_vec(record).unwrap())
}

/// The records of a file as the import reader splits them: `{"records"|"value": [...]}` and
/// arrays into elements, another object is one record, anything else NDJSON. Each with its
/// position (line number for NDJSON).
fn records_of(bytes: &[u8]) -> Vec<(usize, Value)> {
    let numbered = |items: Vec<Value>| {
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, v))
            .collect()
    };
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(items)) => numbered(items),
        Ok(Value::Object(mut object)) => {
            for key in ["records", "value", "Records", "entries"] {
                if let Some(Value::Array(items)) = object.remove(key) {
                    return numbered(items);
                }
            }
            vec![(1, Value::Object(object))]
        }
        Ok(other) => vec![(1, other)],
        Err(_) => bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
            .map(|(i, line)| (i + 1, serde_json::from_slice(line).unwrap()))
            .collect(),
    }
}

/// The record at a position of a fixture file.
fn record(relative: &str, position: usize) -> Value {
    records_of(&fixtures::read(&format!("azure/{relative}")))
        .into_iter()
        .find(|(at, _)| *at == position)
        .map(|(_, record)| record)
        .unwrap_or_else(|| panic!("no record {position} in {relative}"))
}
