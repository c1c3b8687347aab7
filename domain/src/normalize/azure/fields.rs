//! Field readers for Azure records. The same record reaches Attest in several spellings: the
//! REST API's camelCase, Log Analytics' PascalCase (`OperationName`, `TargetResources`), SIEM
//! exports that lowercase keys (`calleripaddress`), values wrapped as `{"value", "localizedValue"}`
//! and JSON written inside strings (`properties.requestbody`, `InitiatedBy`). These readers
//! take all of them: a key matches exactly first, then ignoring ASCII case; null is absent.

use crate::normalize::json::timestamp;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;

pub(super) fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let map = value.as_object()?;
    map.get(key)
        .or_else(|| {
            map.iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
                .map(|(_, field)| field)
        })
        .filter(|field| !field.is_null())
}

/// The value below a path of keys.
pub(super) fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, key| get(node, key))
}

/// A non-blank string below a path of keys, trimmed.
pub(super) fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

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

pub(super) fn time(value: &Value) -> Option<DateTime<Utc>> {
    // Only dates written as dates: a bare number here is a broken field, not an epoch.
    let text = value.as_str()?.trim();
    if !text.contains('-') || !text.contains(':') {
        return None;
    }
    timestamp(value).or_else(|| {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .ok()
            .map(|t| t.and_utc())
    })
}

/// `networkSecurityGroups` → `network_security_groups`, `Add member to group` →
/// `add_member_to_group`, `ServicePrincipal` → `service_principal`.
pub(super) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if previous_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            previous_lower = false;
        }
    }
    let trimmed = out.trim_matches('_');
    if trimmed.is_empty() {
        "unknown".into()
    } else {
        trimmed.into()
    }
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
