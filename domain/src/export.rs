//! Exports for auditors: the timeline's events and Attest's own audit log as CSV. Every export
//! is recorded (who, what, how many rows, its SHA-256) in the audit log and so in the ledger;
//! `attest verify --export FILE` finds a file's record again.
//!
//! Cells come from webhooks and audit logs, which anyone who can act at a source can word: a
//! cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return) is written with a leading `'`, as OWASP advises against CSV injection.

use crate::audit::ActionRecord;
use crate::model::Event;
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
}
