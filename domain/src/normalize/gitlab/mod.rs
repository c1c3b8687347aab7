//! GitLab: project, group and system webhooks (`X-Gitlab-Event`) and audit events → events
//! and grant changes (member and group access).

use super::{NormalizeError, Normalized, RawDelivery};

/// Normalize one gitlab delivery.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    Err(NormalizeError::Invalid(format!(
        "gitlab deliveries of kind {:?} have no normalizer yet",
        delivery.kind.unwrap_or_default()
    )))
}
