//! Normalizers: pure functions from a raw delivery (bytes as received) to events in Attest's
//! vocabulary. No I/O, no clock, no database: the same bytes always give the same rows, which
//! is what makes `attest reprocess` safe and the parsers fuzzable.

pub mod aws;
pub mod azure;
pub mod cloudtrail;
pub(crate) mod fields;
pub mod gcp;
pub mod github;
pub mod gitlab;
pub(crate) mod json;
pub mod okta;
pub mod people;
pub mod terraform;

use crate::grant::{GrantChange, GrantSnapshot};
use crate::model::{NewEvent, Source};
use crate::people::Directory;
use chrono::{DateTime, Utc};

/// Everything one delivery says: events for the timeline, grant changes for the permission
/// history, snapshots of whole scopes. A delivery may carry any mix of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Normalized {
    pub events: Vec<NewEvent>,
    pub grant_changes: Vec<GrantChange>,
    pub snapshots: Vec<GrantSnapshot>,
    /// Set when the delivery was understood and deliberately yields nothing (a GitLab test
    /// hook, a read-only data-access log): the reason is kept instead of a failure.
    pub ignored: Option<String>,
    /// A people import: everyone it lists.
    pub directory: Option<Directory>,
    /// A resource listing: which resource is inside which.
    pub containment: Vec<crate::grant::Containment>,
}

impl Normalized {
    pub fn events(events: Vec<NewEvent>) -> Normalized {
        Normalized {
            events,
            ..Normalized::default()
        }
    }

    pub fn ignored(reason: impl Into<String>) -> Normalized {
        Normalized {
            ignored: Some(reason.into()),
            ..Normalized::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.grant_changes.is_empty()
            && self.snapshots.is_empty()
            && self.directory.is_none()
            && self.containment.is_empty()
    }
}

/// A stored delivery as the normalizers see it.
#[derive(Debug, Clone, Copy)]
pub struct RawDelivery<'a> {
    pub source: Source,
    /// The event type the transport announced (GitHub's `X-GitHub-Event`).
    pub kind: Option<&'a str>,
    /// The source's delivery id (`X-GitHub-Delivery`, CloudTrail `eventID`).
    pub delivery_key: &'a str,
    pub received_at: DateTime<Utc>,
    pub body: &'a [u8],
}

/// Why a delivery could not be turned into events. The text is shown on the ingest health
/// page, so it names the field or the problem a person can look for in the raw payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("payload is not valid JSON: {0}")]
    Json(String),
    #[error("required field `{0}` is missing or has the wrong type")]
    Missing(&'static str),
    #[error("{0}")]
    Invalid(String),
}

impl From<serde_json::Error> for NormalizeError {
    fn from(err: serde_json::Error) -> Self {
        NormalizeError::Json(err.to_string())
    }
}

/// Normalize one delivery of any source.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    match delivery.source {
        Source::Github => github::normalize(delivery),
        Source::Cloudtrail => cloudtrail::normalize(delivery),
        Source::Gitlab => gitlab::normalize(delivery),
        Source::Aws => aws::normalize(delivery),
        Source::Gcp => gcp::normalize(delivery),
        Source::Azure => azure::normalize(delivery),
        Source::Okta => okta::normalize(delivery),
        Source::Terraform => terraform::normalize(delivery),
        Source::People => people::normalize(delivery),
    }
}

/// The stable id of one record of an imported file or a split push delivery (its idempotency
/// key), for the kinds whose files hold many records. `None` when the record has none or is
/// not JSON: the caller then keys it by a hash of its bytes.
pub fn record_key(source: Source, kind: &str, record: &[u8]) -> Option<String> {
    match source {
        Source::Cloudtrail => cloudtrail::event_id(record),
        Source::Github => github::record_key(kind, record),
        Source::Gitlab => gitlab::record_key(kind, record),
        Source::Gcp => gcp::record_key(kind, record),
        Source::Azure => azure::record_key(kind, record),
        Source::Okta => okta::record_key(kind, record),
        Source::Aws | Source::Terraform | Source::People => None,
    }
}
