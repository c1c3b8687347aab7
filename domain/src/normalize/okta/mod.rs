//! Okta System Log events → events; group membership, application assignment and admin
//! role grants → grant changes.

use super::{NormalizeError, Normalized, RawDelivery};

/// Normalize one okta delivery.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    Err(NormalizeError::Invalid(format!(
        "okta deliveries of kind {:?} have no normalizer yet",
        delivery.kind.unwrap_or_default()
    )))
}
