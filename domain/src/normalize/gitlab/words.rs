//! GitLab's own words turned into Attest's: role names from access levels, the several ways
//! GitLab writes a time, and verbs in the past tense for action names.

pub(super) use crate::normalize::json::{count, id, number, pick, text};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// Action words and role names built from payload text are cut to this many characters: they
/// are filter keys, and a payload may carry anything.
const WORD_LIMIT: usize = 64;

/// A role name from an access level as GitLab writes it: a number (`40`), a number as text
/// (`"40"`), a role name (`"Maintainer"`, `"Minimal Access"`), or the labels of newer audit
/// events (`"Default role: Developer"`, `"Custom role: Code reader"`). Default roles become
/// GitLab's lowercase names (`maintainer`, `minimal_access`); a custom role keeps the name its
/// owners gave it behind `custom:`, since two custom roles on the same base level differ.
pub(super) fn role(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n.as_i64().map(level_name),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            if let Ok(n) = s.parse::<i64>() {
                return Some(level_name(n));
            }
            if let Some(custom) = strip_prefix_ignore_case(s, "custom role:") {
                let custom: String = custom.trim().chars().take(WORD_LIMIT).collect();
                return Some(format!("custom:{custom}"));
            }
            let s = strip_prefix_ignore_case(s, "default role:").unwrap_or(s);
            let word = snake(s);
            (word != "unknown").then_some(word)
        }
        _ => None,
    }
}

/// GitLab's access levels (`Gitlab::Access`).
fn level_name(level: i64) -> String {
    match level {
        0 => "no_access".into(),
        5 => "minimal_access".into(),
        10 => "guest".into(),
        15 => "planner".into(),
        20 => "reporter".into(),
        30 => "developer".into(),
        40 => "maintainer".into(),
        50 => "owner".into(),
        60 => "admin".into(),
        other => format!("access_level_{other}"),
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// A time as GitLab writes it: RFC 3339 (`2012-07-21T07:30:54Z`), Ruby's default
/// (`2016-12-01 13:11:10 UTC`), with an offset (`2021-04-28 21:50:00 +0200`), or any form
/// the shared reader knows (epoch numbers, `2019-05-15 15:21:12`).
pub(super) fn time(value: &Value) -> Option<DateTime<Utc>> {
    crate::normalize::json::timestamp(value).or_else(|| {
        let s = value.as_str()?.trim();
        if let Some(utc) = s.strip_suffix(" UTC") {
            let utc = utc.trim();
            return NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M:%S%.f"))
                .ok()
                .map(|t| t.and_utc());
        }
        DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z")
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// The first time that reads among several pointers, most faithful first.
pub(super) fn time_at(body: &Value, pointers: &[&str]) -> Option<DateTime<Utc>> {
    pointers
        .iter()
        .find_map(|pointer| body.pointer(pointer).and_then(time))
}

/// GitLab's present-tense action words (`open`, `merge`) as the past tense Attest's actions
/// use (`opened`, `merged`); words already in the past, and unknown ones, are kept.
pub(super) fn past(verb: &str) -> String {
    let word = match verb.trim() {
        "open" => "opened",
        "close" => "closed",
        "reopen" => "reopened",
        "update" => "updated",
        "merge" => "merged",
        "create" => "created",
        "delete" | "destroy" => "deleted",
        // `approval` is one approval given; `approved` means the rules are now met.
        "approval" => "approval_added",
        "unapproval" => "approval_removed",
        other => return snake(other),
    };
    word.to_owned()
}

/// Lowercase ASCII words joined by `_`: `"Minimal Access"` → `minimal_access`,
/// `"AuditEvents::Streaming::Header"` → `auditevents_streaming_header`. Empty input, or input
/// with no letters or digits, gives `unknown`, so an action is never left with an empty part.
pub(super) fn snake(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
        if out.len() >= WORD_LIMIT {
            break;
        }
    }
    if out.is_empty() {
        "unknown".into()
    } else {
        out
    }
}

/// One line for a summary: line breaks and other control characters become spaces, and very
/// long text (a commit message, a note) is cut with an ellipsis.
pub(super) fn line(text: &str, limit: usize) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(limit)
        .collect();
    if text.chars().count() > limit {
        out.push('…');
    }
    out.trim().to_owned()
}
