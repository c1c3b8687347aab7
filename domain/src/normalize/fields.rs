//! Field readers for records that reach Attest through SIEMs and exports as well as from the
//! source itself: the same field arrives camelCase (`eventType`), PascalCase (Log Analytics'
//! `OperationName`) or lowercased (`eventtype`). A key matches exactly first, then ignoring
//! ASCII case; null reads as absent. Used by the Azure and Okta normalizers.

use crate::normalize::json::timestamp;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// The field `key` of an object, in any ASCII case.
pub(crate) fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
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
pub(crate) fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, key| get(node, key))
}

/// A non-blank string below a path of keys, trimmed.
pub(crate) fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A time written as a date: RFC 3339, or `2024-12-16 16:32:16.087554000` as exports rewrite
/// it. A bare number is a broken field here, not an epoch.
pub(crate) fn time(value: &Value) -> Option<DateTime<Utc>> {
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
pub(crate) fn snake_case(name: &str) -> String {
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
