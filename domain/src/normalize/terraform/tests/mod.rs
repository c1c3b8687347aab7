//! Tests of the Terraform normalizer: every plan and run notification under
//! `shared/fixtures/terraform`, hand-checked samples, hand-written plans for the shapes the
//! fixtures lack (updates, replacements, sensitive values) and malformed input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod plans;
mod runs;

use super::normalize;
use crate::fixtures;
use crate::model::Source;
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use chrono::{DateTime, TimeZone, Utc};

fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn run(kind: &str, body: &[u8]) -> Result<Normalized, NormalizeError> {
    normalize(&RawDelivery {
        source: Source::Terraform,
        kind: Some(kind),
        delivery_key: "delivery-1",
        received_at: received(),
        body,
    })
}

/// Every file of a fixture folder, sorted, so a new file is never silently skipped.
fn files(folder: &str) -> Vec<String> {
    let dir = fixtures::dir().join(folder);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
