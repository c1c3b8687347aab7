//! Tests of the CloudTrail normalizer on hand-checked records of the real samples in
//! `shared/fixtures/aws-cloudtrail` and on small records written here for the rare shapes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod samples;
mod shapes;

use super::normalize_record;
use crate::fixtures;
use crate::model::{NewEvent, Target};
use serde_json::Value;

/// The records of a file below `aws-cloudtrail/`: `{"Records":[...]}`, a JSON array, a single
/// object or NDJSON.
fn records_of(relative: &str) -> Vec<Value> {
    let bytes = fixtures::read(&format!("aws-cloudtrail/{relative}"));
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(records)) => records,
        Ok(Value::Object(mut object)) => match object.remove("Records") {
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

fn with_id(relative: &str, id: &str) -> Value {
    let found = records_of(relative)
        .into_iter()
        .find(|record| record["eventID"] == id);
    found.unwrap_or_else(|| panic!("no record {id} in {relative}"))
}

fn normalize(record: &Value) -> NewEvent {
    normalize_record(&serde_json::to_vec(record).unwrap()).unwrap()
}

fn target(kind: &str, name: &str, id: Option<&str>) -> Target {
    Target {
        kind: kind.into(),
        name: name.into(),
        id: id.map(str::to_owned),
    }
}
