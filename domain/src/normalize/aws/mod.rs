//! AWS data other than CloudTrail: IAM authorization details (`aws iam
//! get-account-authorization-details`) and credential reports (`aws iam
//! get-credential-report`), both as grant snapshots of an account. The identities and policy
//! reading here are shared with the CloudTrail grant changes (`ids`, `policy`).
//!
//! Both kinds are whole files, one snapshot each: they need no record key (the importer keys
//! them by a hash of the body).

pub(crate) mod authorization;
pub(crate) mod credential_report;
pub(crate) mod ids;
pub(crate) mod policy;
#[cfg(test)]
mod tests;

use super::{NormalizeError, Normalized, RawDelivery};

/// The kinds this module reads, as `attest import <kind>` and the delivery's `kind` name them.
pub const AUTHORIZATION_DETAILS: &str = "iam_authorization_details";
pub const CREDENTIAL_REPORT: &str = "credential_report";
/// `aws iam get-account-summary`: counts and quotas only, understood and set aside.
pub const ACCOUNT_SUMMARY: &str = "iam_account_summary";
/// An EventBridge event pushed to `/hooks/aws` whose detail is not a CloudTrail record.
pub const EVENTBRIDGE: &str = "eventbridge";

/// Normalize one aws delivery. Without a kind the body's own shape decides (the lists of an
/// authorization-details export, the `Content` of a credential report, the CSV header).
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let kind = match delivery.kind.map(str::trim).filter(|kind| !kind.is_empty()) {
        Some(kind) => kind,
        None => detect(delivery.body).ok_or_else(|| {
            NormalizeError::Invalid(
                "cannot tell which AWS export this is; name its kind (iam_authorization_details, \
                 credential_report)"
                    .into(),
            )
        })?,
    };
    match kind {
        AUTHORIZATION_DETAILS => authorization::snapshot(delivery.body, delivery.received_at),
        CREDENTIAL_REPORT => credential_report::report(delivery),
        ACCOUNT_SUMMARY => Ok(Normalized::ignored(
            "an IAM account summary holds counts and quotas, not who holds what",
        )),
        EVENTBRIDGE => eventbridge(delivery.body),
        other => Err(NormalizeError::Invalid(format!(
            "unknown aws kind {other:?} (expected {AUTHORIZATION_DETAILS}, {CREDENTIAL_REPORT} \
             or {ACCOUNT_SUMMARY})"
        ))),
    }
}

/// An EventBridge event that is not "AWS API Call via CloudTrail" (those are stored as their
/// CloudTrail record): kept in the inbox, named, and set aside.
fn eventbridge(body: &[u8]) -> Result<Normalized, NormalizeError> {
    let event: serde_json::Value = serde_json::from_slice(body)?;
    let detail_type =
        super::json::text(&event, "/detail-type").ok_or(NormalizeError::Missing("detail-type"))?;
    Ok(Normalized::ignored(format!(
        "EventBridge {detail_type:?} events carry no CloudTrail record"
    )))
}

/// The kind a body looks like, from the first keys that only one export has. Reads only the
/// start of the body, so a large export is not scanned twice.
pub fn detect(body: &[u8]) -> Option<&'static str> {
    let head = body.get(..body.len().min(64 * 1024)).unwrap_or(body);
    let head = String::from_utf8_lossy(head);
    let start = head.trim_start();
    // The CSV, or its base64 as `--query Content --output text` writes it.
    if start.starts_with("user,arn,") || start.starts_with("dXNlcixhcm4s") {
        return Some(CREDENTIAL_REPORT);
    }
    if !start.starts_with(['{', '[']) {
        return None;
    }
    let has = |key: &str| head.contains(&format!("\"{key}\""));
    if ["UserDetailList", "GroupDetailList", "RoleDetailList"]
        .iter()
        .any(|key| has(key))
    {
        Some(AUTHORIZATION_DETAILS)
    } else if has("Content") && has("ReportFormat") {
        Some(CREDENTIAL_REPORT)
    } else if has("SummaryMap") {
        Some(ACCOUNT_SUMMARY)
    } else {
        None
    }
}
