//! Field readers for Okta events. Okta writes camelCase keys, but SIEM exports (Panther's
//! `Okta.SystemLog`, for one) lowercase some of them (`eventtype`, `debugcontext`), so a key is
//! matched exactly first and then ignoring ASCII case. Null reads as absent.

use crate::normalize::json::timestamp;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

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

/// The value below a path of keys: `at(event, &["client", "userAgent", "rawUserAgent"])`.
pub(super) fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, key| get(node, key))
}

/// A non-blank string below a path of keys.
pub(super) fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Okta's `published` is RFC 3339; exports rewrite it as `2020-11-25 21:27:03.496000000`.
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
