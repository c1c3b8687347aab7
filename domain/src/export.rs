//! Exports for auditors: the timeline's events, Attest's own audit log and a review round's
//! evidence as CSV, and sealed printable reports. Every export is recorded (who, what, how many
//! rows, its SHA-256) in the audit log and so in the ledger; `attest verify --export FILE`
//! finds a file's record again.
//!
//! Cells come from webhooks and audit logs, which anyone who can act at a source can word: a
//! cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return) is written with a leading `'`, as OWASP advises against CSV injection.

use crate::audit::ActionRecord;
use crate::model::Event;
use crate::review::{ReviewItem, Round};
use sha2::{Digest, Sha256};

/// The most rows one export holds; a larger one must be narrowed (the API pages through any
/// number).
pub const MAX_ROWS: usize = 100_000;

/// The columns of an events export.
pub const EVENT_COLUMNS: [&str; 14] = [
    "id",
    "occurred_at",
    "source",
    "action",
    "native_action",
    "outcome",
    "actor",
    "actor_id",
    "actor_kind",
    "actor_ip",
    "targets",
    "scope",
    "summary",
    "delivery_id",
];

/// The columns of an audit-log export.
pub const ACTION_COLUMNS: [&str; 8] = [
    "id", "at", "actor", "role", "action", "target", "detail", "ip",
];

/// A cell as a spreadsheet will not run it.
pub fn cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

fn write<const N: usize>(header: [&str; N], rows: impl Iterator<Item = [String; N]>) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail but for a bug; an error would leave the export short,
    // which the row count in its record would then show.
    let mut ok = out.write_record(header).is_ok();
    for row in rows {
        ok &= out.write_record(row.iter().map(|v| cell(v))).is_ok();
    }
    if !ok {
        tracing::error!("an export row could not be written");
    }
    out.into_inner().unwrap_or_default()
}

/// Events as CSV, one row each, in the order given.
pub fn events_csv(events: &[Event]) -> Vec<u8> {
    write(
        EVENT_COLUMNS,
        events.iter().map(|e| {
            let targets: Vec<String> = e
                .targets
                .iter()
                .map(|t| format!("{}:{}", t.kind, t.name))
                .collect();
            [
                e.id.to_string(),
                e.occurred_at.to_rfc3339(),
                e.source.as_str().to_owned(),
                e.action.clone(),
                e.native_action.clone(),
                e.outcome.as_str().to_owned(),
                e.actor.name.clone(),
                e.actor.id.clone().unwrap_or_default(),
                e.actor.kind.as_str().to_owned(),
                e.actor.ip.clone().unwrap_or_default(),
                targets.join("; "),
                e.scope
                    .as_ref()
                    .map(|s| format!("{}:{}", s.kind, s.id))
                    .unwrap_or_default(),
                e.summary.clone(),
                e.delivery_id.to_string(),
            ]
        }),
    )
}

/// Audit-log actions as CSV, in the order given.
pub fn actions_csv(actions: &[ActionRecord]) -> Vec<u8> {
    write(
        ACTION_COLUMNS,
        actions.iter().map(|a| {
            [
                a.id.to_string(),
                a.at.to_rfc3339(),
                a.actor.clone(),
                a.role.clone(),
                a.action.clone(),
                a.target.clone(),
                a.detail.clone(),
                a.ip.clone(),
            ]
        }),
    )
}

/// The SHA-256 of an export's bytes, hex: what its record holds.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The columns of a review round's evidence.
pub const REVIEW_COLUMNS: [&str; 31] = [
    "item_id",
    "round",
    "population_sha256",
    "holder_email",
    "holder_name",
    "department",
    "manager",
    "principal",
    "principal_id",
    "resource",
    "resource_id",
    "permission",
    "via",
    "scope",
    "privileged",
    "granted_at",
    "granted_how",
    "last_used_at",
    "last_use",
    "recommendation",
    "recommendation_reason",
    "stage",
    "reviewer",
    "reviewer_rule",
    "decision",
    "justification",
    "decided_by",
    "decided_at",
    "outcome",
    "remediation",
    "remediation_evidence",
];

/// A review round's items as CSV: population, reviewer, decision, justification, when,
/// outcome and remediation with its evidence; one row per item, in the order given.
pub fn review_items_csv(round: &Round, items: &[ReviewItem]) -> Vec<u8> {
    let time =
        |at: Option<chrono::DateTime<chrono::Utc>>| at.map(|t| t.to_rfc3339()).unwrap_or_default();
    write(
        REVIEW_COLUMNS,
        items.iter().map(|i| {
            let holder = i.holder.as_ref();
            [
                i.id.to_string(),
                round.name.clone(),
                round.population_hash.clone(),
                holder.map(|h| h.email.clone()).unwrap_or_default(),
                holder.map(|h| h.name.clone()).unwrap_or_default(),
                holder
                    .and_then(|h| h.department.clone())
                    .unwrap_or_default(),
                holder.and_then(|h| h.manager.clone()).unwrap_or_default(),
                i.grant.principal.name.clone(),
                i.grant.principal.id.clone(),
                i.grant.resource.name.clone(),
                i.grant.resource.id.clone(),
                i.grant.permission.clone(),
                i.grant.via.clone(),
                i.grant.scope.clone(),
                i.privileged.to_string(),
                time(i.granted_at),
                i.granted_how.clone(),
                time(i.usage.last_used_at),
                i.usage.what.clone(),
                i.recommendation.decision.as_str().to_owned(),
                i.recommendation.reason.clone(),
                i.stage.to_string(),
                i.reviewer.clone().unwrap_or_default(),
                i.reviewer_rule.clone(),
                i.decision
                    .map(|d| d.as_str().to_owned())
                    .unwrap_or_default(),
                i.justification.clone(),
                i.decided_by.clone().unwrap_or_default(),
                time(i.decided_at),
                i.outcome.map(|d| d.as_str().to_owned()).unwrap_or_default(),
                i.remediation
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
                i.remediation_note.clone(),
            ]
        }),
    )
}

/// Where a sealed report's content ends: what comes after (the printed SHA-256 of everything
/// before) is not part of what the hash covers.
pub const SEAL: &str = "<!-- attest:sealed -->";

/// Seals a report: its SHA-256 (of `body`, hex) printed after [`SEAL`], closing the document.
/// Gives the document and the hash.
pub fn seal(body: &str) -> (String, String) {
    let hash = sha256(body.as_bytes());
    let document = format!(
        "{body}{SEAL}<footer class=\"seal\"><p>SHA-256 of this report above this line: \
         <code>{hash}</code>. It is recorded in Attest's ledger; <code>attest verify --export \
         FILE</code> checks a saved copy.</p></footer></body></html>\n"
    );
    (document, hash)
}

/// The SHA-256 an export's record holds: of the whole file, or for a sealed report of what
/// comes before its seal.
pub fn recorded_sha256(bytes: &[u8]) -> String {
    let seal = SEAL.as_bytes();
    match bytes.windows(seal.len()).position(|w| w == seal) {
        Some(at) => sha256(&bytes[..at]),
        None => sha256(bytes),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quoting_is_csv() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1+1"), "'-1+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("alice"), "alice");
        let csv = actions_csv(&[ActionRecord {
            id: 7,
            at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            actor: "=cmd|' /C calc'!A0".to_owned(),
            role: "admin".to_owned(),
            action: "export".to_owned(),
            target: "a, \"b\"".to_owned(),
            detail: "line\nbreak".to_owned(),
            ip: "::1".to_owned(),
        }]);
        let text = String::from_utf8(csv).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[2], "'=cmd|' /C calc'!A0");
        assert_eq!(&row[5], "a, \"b\"");
        assert_eq!(&row[6], "line\nbreak");
        assert_eq!(sha256(b"abc").len(), 64);
    }

    #[test]
    fn a_sealed_report_is_recorded_by_what_precedes_its_seal() {
        let (document, hash) = seal("<html><body><h1>Round</h1>");
        assert!(document.contains(&hash));
        assert_eq!(recorded_sha256(document.as_bytes()), hash);
        assert_eq!(hash, sha256(b"<html><body><h1>Round</h1>"));
        // A changed body no longer matches the printed hash.
        let changed = document.replace("Round", "R0und");
        assert_ne!(recorded_sha256(changed.as_bytes()), hash);
        // Anything else is hashed whole.
        assert_eq!(recorded_sha256(b"a,b\n"), sha256(b"a,b\n"));
    }
}
