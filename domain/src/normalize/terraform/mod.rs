//! Terraform: plans (`terraform show -json`) → one event per changed resource; HCP
//! Terraform run notifications → events.

use super::{NormalizeError, Normalized, RawDelivery};

/// Normalize one terraform delivery.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    Err(NormalizeError::Invalid(format!(
        "terraform deliveries of kind {:?} have no normalizer yet",
        delivery.kind.unwrap_or_default()
    )))
}
