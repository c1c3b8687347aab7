//! Google Cloud: Cloud Audit Logs `LogEntry`s → events, `SetIamPolicy` binding deltas → grant
//! changes; IAM policies and Cloud Asset Inventory exports → grant snapshots.

use super::{NormalizeError, Normalized, RawDelivery};

/// Normalize one gcp delivery.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    Err(NormalizeError::Invalid(format!(
        "gcp deliveries of kind {:?} have no normalizer yet",
        delivery.kind.unwrap_or_default()
    )))
}
