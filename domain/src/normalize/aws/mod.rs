//! AWS data other than CloudTrail: IAM authorization details (`aws iam
//! get-account-authorization-details`) as grant snapshots, and credential reports.

use super::{NormalizeError, Normalized, RawDelivery};

/// Normalize one aws delivery.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    Err(NormalizeError::Invalid(format!(
        "aws deliveries of kind {:?} have no normalizer yet",
        delivery.kind.unwrap_or_default()
    )))
}
