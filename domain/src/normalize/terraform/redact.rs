//! What a plan's before/after values may show: `terraform show -json` writes sensitive values
//! in clear text and only marks them in `before_sensitive` / `after_sensitive`, so every value
//! that leaves this module has those marks applied. Markers read like Terraform's own plan
//! output, so a reviewer sees that a secret changed without seeing the secret.

use serde_json::{Map, Value};

pub(super) const SENSITIVE: &str = "(sensitive value)";
pub(super) const UNKNOWN: &str = "(known after apply)";

/// A value longer than this (as JSON) is summarised in the details of a non-IAM resource: the
/// event says what changed, the raw plan in the inbox keeps the rest.
const MAX_SHOWN: usize = 512;

/// `value` with every part that `marks` flags as `true` replaced by [`SENSITIVE`]. The marks
/// mirror the value's shape (objects by key, lists by position); `true` at any level covers
/// everything below it.
pub(super) fn mask_sensitive(value: &Value, marks: Option<&Value>) -> Value {
    match (value, marks) {
        (Value::Null, _) => Value::Null,
        (_, Some(Value::Bool(true))) => Value::String(SENSITIVE.into()),
        (Value::Object(fields), Some(Value::Object(marks))) => Value::Object(
            fields
                .iter()
                .map(|(key, field)| (key.clone(), mask_sensitive(field, marks.get(key))))
                .collect(),
        ),
        (Value::Array(items), Some(Value::Array(marks))) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(at, item)| mask_sensitive(item, marks.get(at)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// `after` with the values Terraform only learns when applying (`after_unknown`) shown as
/// [`UNKNOWN`]: the plan leaves them out of `after`, which would read as "removed".
pub(super) fn mark_unknown(after: Value, unknown: Option<&Value>) -> Value {
    match (after, unknown) {
        (_, Some(Value::Bool(true))) => Value::String(UNKNOWN.into()),
        (Value::Object(mut fields), Some(Value::Object(unknown))) => {
            for (key, mark) in unknown {
                let field = fields.remove(key).unwrap_or(Value::Null);
                let marked = mark_unknown(field, Some(mark));
                if !marked.is_null() {
                    fields.insert(key.clone(), marked);
                }
            }
            Value::Object(fields)
        }
        (Value::Array(items), Some(Value::Array(unknown))) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(at, item)| mark_unknown(item, unknown.get(at)))
                .collect(),
        ),
        (after, _) => after,
    }
}

/// The top-level attributes whose value differs between `before` and `after` (compared on the
/// real values, so a changed secret is still reported), each as `{before, after}` taken from
/// the shown (masked) values and summarised when large.
pub(super) fn changed_keys(
    before_raw: &Value,
    after_raw: &Value,
    before_shown: &Value,
    after_shown: &Value,
    unknown: Option<&Value>,
) -> Map<String, Value> {
    let mut keys: Vec<&String> = [before_raw, after_raw, after_shown]
        .iter()
        .filter_map(|v| v.as_object())
        .flat_map(Map::keys)
        .collect();
    keys.sort();
    keys.dedup();
    let field = |v: &Value, key: &str| v.get(key).cloned().unwrap_or(Value::Null);
    keys.into_iter()
        .filter(|key| {
            let now_unknown = unknown.and_then(|u| u.get(key.as_str())) == Some(&Value::Bool(true));
            now_unknown || field(before_raw, key) != field(after_raw, key)
        })
        .map(|key| {
            let change = serde_json::json!({
                "before": summarise(field(before_shown, key)),
                "after": summarise(field(after_shown, key)),
            });
            (key.clone(), change)
        })
        .collect()
}

fn summarise(value: Value) -> Value {
    let size = value.to_string().len();
    if size > MAX_SHOWN {
        Value::String(format!("({size} characters of JSON, see the plan)"))
    } else {
        value
    }
}
