//! Terraform: plans (`terraform show -json <planfile>`) → one event per changed resource; HCP
//! Terraform / Terraform Enterprise run notifications → one event per notification.
//!
//! The kind says which: `plan` (optionally `plan;commit=<sha>;run=<url>`, which the CLI's
//! `--commit` and `--run-url` add) or `run_notification`. A plan is a snapshot-like file (the
//! whole delivery is one plan), so neither kind needs a `record_key`.

mod plan;
mod redact;
mod run;
#[cfg(test)]
mod tests;

pub use run::verify_tfe_signature;

/// A plan file as it is stored: the same plan with every value Terraform marks sensitive
/// replaced (see the `redact` module). `None` when the bytes are not a JSON object; such a
/// file is stored as it is and fails normalization with the reason.
pub fn redact_plan(body: &[u8]) -> Option<Vec<u8>> {
    let mut plan: serde_json::Value = serde_json::from_slice(body).ok()?;
    if !plan.is_object() {
        return None;
    }
    redact::redact_plan(&mut plan);
    serde_json::to_vec(&plan).ok()
}

use super::{NormalizeError, Normalized, RawDelivery};

/// Normalize one terraform delivery.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let kind = Kind::parse(delivery.kind.unwrap_or_default());
    match kind.name {
        "plan" => plan::normalize(delivery, &kind),
        "run_notification" => run::normalize(delivery),
        "" => Err(NormalizeError::Invalid(
            "terraform deliveries need a kind: plan or run_notification".into(),
        )),
        other => Err(NormalizeError::Invalid(format!(
            "unknown terraform kind {other:?} (expected plan or run_notification)"
        ))),
    }
}

/// The delivery kind with the parameters the CLI appends: `plan;commit=<sha>;run=<url>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Kind<'a> {
    pub name: &'a str,
    pub commit: Option<&'a str>,
    pub run_url: Option<&'a str>,
}

impl<'a> Kind<'a> {
    /// `run=` is read to the end of the text, because a URL may itself hold `;`; the lead's
    /// CLI therefore always writes it last. Unknown parameters are ignored, so an older reader
    /// still understands a newer kind.
    pub fn parse(kind: &'a str) -> Kind<'a> {
        let (name, mut rest) = match kind.split_once(';') {
            Some((name, rest)) => (name.trim(), rest),
            None => (kind.trim(), ""),
        };
        let mut parsed = Kind {
            name,
            ..Kind::default()
        };
        while !rest.is_empty() {
            let trimmed = rest.trim_start();
            if let Some(url) = trimmed.strip_prefix("run=") {
                parsed.run_url = Some(url.trim()).filter(|url| !url.is_empty());
                break;
            }
            let (piece, next) = trimmed.split_once(';').unwrap_or((trimmed, ""));
            if let Some(commit) = piece.trim().strip_prefix("commit=") {
                parsed.commit = Some(commit.trim()).filter(|sha| !sha.is_empty());
            }
            rest = next;
        }
        parsed
    }
}
