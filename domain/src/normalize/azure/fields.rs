//! Field readers for Azure records. The same record reaches Attest in several spellings: the
//! REST API's camelCase, Log Analytics' PascalCase (`OperationName`, `TargetResources`), SIEM
//! exports that lowercase keys (`calleripaddress`), values wrapped as `{"value", "localizedValue"}`
//! and JSON written inside strings (`properties.requestbody`, `InitiatedBy`). These readers
//! take all of them; the case-blind readers are shared with Okta (`normalize::fields`).

pub(super) use crate::normalize::fields::{at, get, snake_case, text, time};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;

/// A field the REST API writes as `{"value": "...", "localizedValue": "..."}` and exports as
/// plain text (`operationName`, `category`, `status`).
pub(super) fn localized<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    match get(value, key)? {
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()),
        wrapped => text(wrapped, &["value"]),
    }
}

/// JSON that a record carries inside a string (`"requestbody": "{\"Id\": ...}"`), parsed; or
/// the value itself when it is already an object or a list. Anything else is `None`: these
/// strings are free-form and a broken one must not fail the whole record.
pub(super) fn json_in(value: &Value) -> Option<Cow<'_, Value>> {
    match value {
        Value::Object(_) | Value::Array(_) => Some(Cow::Borrowed(value)),
        Value::String(s) => {
            let parsed: Value = serde_json::from_str(s.trim()).ok()?;
            (parsed.is_object() || parsed.is_array()).then_some(Cow::Owned(parsed))
        }
        _ => None,
    }
}

/// A list that may be written inside a string (Log Analytics' `TargetResources`).
pub(super) fn list_in(value: Option<&Value>) -> Vec<Value> {
    match value.and_then(json_in).map(Cow::into_owned) {
        Some(Value::Array(items)) => items,
        Some(object @ Value::Object(_)) => vec![object],
        _ => Vec::new(),
    }
}

/// The first of several fields that reads as a time. Azure writes RFC 3339 with seven
/// fractional digits; exports rewrite it as `2024-12-16 16:32:16.087554000`.
pub(super) fn first_time(value: &Value, keys: &[&str]) -> Option<DateTime<Utc>> {
    keys.iter().find_map(|key| get(value, key).and_then(time))
}

/// `5.5.5.5:3832` → `5.5.5.5`: storage logs append the client port. IPv6 addresses (more than
/// one colon) are kept as written.
pub(super) fn without_port(ip: &str) -> &str {
    match ip.split_once(':') {
        Some((host, port))
            if !port.contains(':')
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            host
        }
        _ => ip,
    }
}

/// One line for the timeline: payload text may hold newlines and other control characters.
pub(super) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
