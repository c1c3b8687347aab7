//! Tests of the Okta normalizer: every System Log record under `shared/fixtures/okta`,
//! hand-checked group membership events from a published integration's recorded output,
//! the Event Hook helpers, and malformed input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fixtures_walk;
mod hooks;
mod samples;

use super::normalize;
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

fn run_kind(kind: &str, body: &[u8]) -> Result<Normalized, NormalizeError> {
    normalize(&RawDelivery {
        source: Source::Okta,
        kind: Some(kind),
        delivery_key: "delivery-1",
        received_at: received(),
        body,
    })
}

fn run(record: &Value) -> Result<Normalized, NormalizeError> {
    run_kind("system_log", &serde_json::to_vec(record).unwrap())
}
