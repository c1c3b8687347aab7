//! Azure: Activity Log and Entra ID audit records → events; role assignment writes and
//! deletes → grant changes.

use super::{NormalizeError, Normalized, RawDelivery};

/// Normalize one azure delivery.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    Err(NormalizeError::Invalid(format!(
        "azure deliveries of kind {:?} have no normalizer yet",
        delivery.kind.unwrap_or_default()
    )))
}
