//! Panic-free readers over a parsed payload, shared by every normalizer. Payloads differ
//! between versions, products and event kinds, so every field is optional and its type is
//! never trusted: a field of the wrong type reads as absent.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

/// A non-empty string at a JSON pointer (`/repository/full_name`). Empty strings read as
/// absent because GitHub sends `""` for "no name" (a workflow run's `name`, for one).
pub(crate) fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// An identifier as text: GitHub ids are numbers, but node ids and some GHES fields are strings.
pub(crate) fn id(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

pub(crate) fn number(value: &Value, pointer: &str) -> Option<i64> {
    value.pointer(pointer).and_then(Value::as_i64)
}

/// True only for a JSON `true`; anything else (absent, null, "true") is false.
pub(crate) fn flag(value: &Value, pointer: &str) -> bool {
    value.pointer(pointer).and_then(Value::as_bool) == Some(true)
}

/// An object at a pointer, only when it has at least one key: an empty `changes` says nothing.
pub(crate) fn object<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    value
        .pointer(pointer)
        .filter(|v| v.as_object().is_some_and(|map| !map.is_empty()))
}

/// The first timestamp that reads among several pointers, most faithful first.
pub(crate) fn first_time(value: &Value, pointers: &[&str]) -> Option<DateTime<Utc>> {
    pointers
        .iter()
        .find_map(|pointer| value.pointer(pointer).and_then(timestamp))
}

/// A time written as RFC 3339 with `Z` or an offset, as `2019-05-15 15:21:12` (UTC; GitHub app
/// objects, query exports), or as epoch seconds or milliseconds, told apart by size, as a
/// number or as text (GitHub's `pushed_at`, audit-log exports).
pub(crate) fn timestamp(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .and_then(epoch),
        Value::String(s) => {
            let s = s.trim();
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                        .ok()
                        .map(|t| t.and_utc())
                })
                .or_else(|| s.parse::<i64>().ok().and_then(epoch))
        }
        _ => None,
    }
}

fn epoch(n: i64) -> Option<DateTime<Utc>> {
    // Zero and below are how a few payloads say "never"; no webhook is from before 1970.
    if n <= 0 {
        return None;
    }
    // 10^11 seconds is the year 5138: anything larger is milliseconds.
    if n >= 100_000_000_000 {
        DateTime::from_timestamp_millis(n)
    } else {
        DateTime::from_timestamp(n, 0)
    }
}

/// A small object of the listed keys of `value` that are present and not null, so details
/// carry what is worth showing rather than the whole payload.
pub(crate) fn pick(value: &Value, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|key| {
            value
                .get(*key)
                .filter(|v| !v.is_null())
                .map(|v| ((*key).to_owned(), v.clone()))
        })
        .collect()
}

/// `1 commit`, `3 commits`.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
