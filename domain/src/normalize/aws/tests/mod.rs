//! Tests of the AWS snapshot kinds on the samples in `shared/fixtures/aws-iam` and on small
//! inputs written here for the shapes no sample has.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod authorization;
mod credential_report;

use super::{detect, normalize, ACCOUNT_SUMMARY, AUTHORIZATION_DETAILS, CREDENTIAL_REPORT};
use crate::fixtures;
use crate::grant::Grant;
use crate::model::Source;
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::BTreeMap;

fn received_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()
}

fn run(kind: Option<&str>, body: &[u8]) -> Result<Normalized, NormalizeError> {
    normalize(&RawDelivery {
        source: Source::Aws,
        kind,
        delivery_key: "sha256:feed",
        received_at: received_at(),
        body,
    })
}

/// How many grants of each permission.
fn counts(grants: &[Grant]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for grant in grants {
        *counts.entry(grant.permission.as_str()).or_default() += 1;
    }
    counts
}

/// Every file below `aws-iam/` is read: each is a snapshot, a report or set aside, and which
/// one is asserted, so a file added later is never skipped silently.
#[test]
fn every_aws_iam_sample_is_classified() {
    let root = fixtures::dir().join("aws-iam");
    let mut seen = Vec::new();
    for folder in std::fs::read_dir(&root).unwrap() {
        let folder = folder.unwrap().path();
        for file in std::fs::read_dir(&folder).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let body = std::fs::read(&path).unwrap();
            let kind = detect(&body).unwrap_or_else(|| panic!("{name}: kind not detected"));
            let by_kind = run(Some(kind), &body).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(run(None, &body).unwrap(), by_kind, "{name}");
            match (kind, name.as_str()) {
                // cloudsplaining's override test lists one policy and no principals.
                (
                    AUTHORIZATION_DETAILS,
                    "cloudsplaining-test-example_authz_details_for_overrides.json",
                )
                | (ACCOUNT_SUMMARY, _) => {
                    assert!(by_kind.is_empty() && by_kind.ignored.is_some(), "{name}");
                }
                (AUTHORIZATION_DETAILS, _) => {
                    assert_eq!(by_kind.snapshots.len(), 1, "{name}");
                    assert!(!by_kind.snapshots[0].grants.is_empty(), "{name}");
                    assert!(by_kind.events.is_empty() && by_kind.grant_changes.is_empty());
                }
                (CREDENTIAL_REPORT, _) => {
                    assert_eq!((by_kind.snapshots.len(), by_kind.events.len()), (1, 1));
                }
                _ => panic!("{name}: unexpected kind {kind}"),
            }
            seen.push(name);
        }
    }
    seen.sort();
    assert_eq!(seen.len(), 7, "{seen:?}");
}

#[test]
fn kinds_are_named_or_refused() {
    let error = run(Some("iam_policy_dump"), b"{}").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("unknown aws kind \"iam_policy_dump\""),
        "{error}"
    );
    let error = run(None, b"{\"hello\": 1}").unwrap_err();
    assert!(
        error.to_string().contains("cannot tell which AWS export"),
        "{error}"
    );
    assert!(run(None, b"").is_err());
    assert!(run(None, &[0xff, 0xfe, 0x00]).is_err());
    // A blank kind is no kind: the body decides.
    let summary = run(Some("  "), br#"{"SummaryMap": {"Users": 1}}"#).unwrap();
    assert!(summary.ignored.is_some());
}
