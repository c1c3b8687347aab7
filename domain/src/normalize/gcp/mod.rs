//! Google Cloud: Cloud Audit Logs `LogEntry`s → events, `SetIamPolicy` binding deltas → grant
//! changes; IAM policies and Cloud Asset Inventory exports → grant snapshots.
//!
//! Kinds (`delivery.kind`):
//! - `log_entry` (also when no kind is given, as from the push endpoint): one `LogEntry`, bare
//!   (`gcloud logging read --format=json`, the API's `entries`, a sink's files) or inside a
//!   Pub/Sub push envelope or an Eventarc CloudEvent. Idempotency key: `insertId`.
//! - `iam_policy:<resource>`: `gcloud projects|folders|organizations get-iam-policy
//!   --format=json`; the policy does not name its resource, so the kind does
//!   (`iam_policy:projects/my-project`). One snapshot.
//! - `asset_inventory`: Cloud Asset Inventory IAM policy listings; one snapshot per resource.
//! - `resource_manager`: project and folder listings (`gcloud projects describe|list`,
//!   `gcloud resource-manager folders describe|list`): which folder or organization each is in.

mod action;
mod actor;
mod changes;
mod envelope;
mod hierarchy;
mod log_entry;
mod names;
mod policy;
#[cfg(test)]
mod tests;

pub use envelope::pubsub_log_entry;
pub(crate) use hierarchy::is_listing;

use super::{NormalizeError, Normalized, RawDelivery};
use serde_json::Value;

const LOG_ENTRY: &str = "log_entry";
const IAM_POLICY: &str = "iam_policy";
const ASSET_INVENTORY: &str = "asset_inventory";
const RESOURCE_MANAGER: &str = "resource_manager";

/// Normalize one gcp delivery.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let kind = delivery.kind.map(str::trim).unwrap_or_default();
    match kind {
        "" | LOG_ENTRY => {
            let entry: Value = serde_json::from_slice(delivery.body)?;
            log_entry::normalize(&envelope::unwrap(entry)?, delivery.delivery_key)
        }
        ASSET_INVENTORY => policy::asset_inventory(delivery.body, delivery.received_at),
        RESOURCE_MANAGER => hierarchy::resource_manager(delivery.body, delivery.received_at),
        IAM_POLICY => policy::iam_policy(None, delivery.body, delivery.received_at),
        _ => match kind.strip_prefix("iam_policy:") {
            Some(resource) => {
                policy::iam_policy(Some(resource), delivery.body, delivery.received_at)
            }
            None => Err(NormalizeError::Invalid(format!(
                "unknown gcp delivery kind {kind:?} (expected `log_entry`, \
                 `iam_policy:<resource>`, `asset_inventory` or `resource_manager`)"
            ))),
        },
    }
}

/// The idempotency key of one record of a file import: a log entry's `insertId`, found inside
/// the same wrappers `normalize` opens. Snapshot kinds are keyed by the lead's body hash.
///
/// Logging de-duplicates on (project, timestamp, `insertId`), but audit-log `insertId`s are
/// random strings Google assigns per entry, so the id alone is the key; a copy of an entry
/// (sinks and exports may deliver twice) has the same `insertId` and is a replay.
pub fn record_key(kind: &str, record: &[u8]) -> Option<String> {
    if !matches!(kind.trim(), "" | LOG_ENTRY) {
        return None;
    }
    let entry = envelope::unwrap(serde_json::from_slice(record).ok()?).ok()?;
    entry
        .get("insertId")
        .and_then(Value::as_str)
        .filter(|id| !id.trim().is_empty())
        .map(str::to_owned)
}
