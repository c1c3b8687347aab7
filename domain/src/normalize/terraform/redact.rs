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

/// What a changed sensitive value reads as in a stored plan: the secret is gone, the fact that
/// it changed is kept (the normalizer reports changed attributes by comparing values).
pub(super) const SENSITIVE_CHANGED: &str = "(sensitive value, changed)";

/// `after` with its sensitive parts replaced: by [`SENSITIVE`] where the same part of `before`
/// holds the same value, by [`SENSITIVE_CHANGED`] where it does not.
fn mask_after(after: &Value, marks: Option<&Value>, before: Option<&Value>) -> Value {
    match (after, marks) {
        (Value::Null, _) => Value::Null,
        (_, Some(Value::Bool(true))) => Value::String(
            if before == Some(after) {
                SENSITIVE
            } else {
                SENSITIVE_CHANGED
            }
            .into(),
        ),
        (Value::Object(fields), Some(Value::Object(marks))) => Value::Object(
            fields
                .iter()
                .map(|(key, field)| {
                    let before = before.and_then(|b| b.get(key));
                    (key.clone(), mask_after(field, marks.get(key), before))
                })
                .collect(),
        ),
        (Value::Array(items), Some(Value::Array(marks))) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(at, item)| {
                    let before = before.and_then(|b| b.get(at));
                    mask_after(item, marks.get(at), before)
                })
                .collect(),
        ),
        _ => after.clone(),
    }
}

/// A `change` object (of `resource_changes`, `resource_drift` or `output_changes`) with its
/// sensitive `before` and `after` values masked in place.
fn redact_change(change: &mut Value) {
    let Some(fields) = change.as_object_mut() else {
        return;
    };
    let before = fields.get("before").cloned().unwrap_or(Value::Null);
    if let Some(after) = fields.get("after") {
        let masked = mask_after(after, fields.get("after_sensitive"), Some(&before));
        fields.insert("after".into(), masked);
    }
    let masked = mask_sensitive(&before, fields.get("before_sensitive"));
    if fields.contains_key("before") {
        fields.insert("before".into(), masked);
    }
}

/// A module of `planned_values` or `prior_state.values`: each resource's `values` masked by
/// its `sensitive_values`, child modules likewise, sensitive outputs blanked.
fn redact_values(values: &mut Value) {
    if let Some(outputs) = values.get_mut("outputs").and_then(Value::as_object_mut) {
        for output in outputs.values_mut() {
            if output.get("sensitive") == Some(&Value::Bool(true)) {
                if let Some(value) = output.get_mut("value") {
                    *value = Value::String(SENSITIVE.into());
                }
            }
        }
    }
    redact_module(values.get_mut("root_module"));
}

fn redact_module(module: Option<&mut Value>) {
    let Some(module) = module.and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(resources) = module.get_mut("resources").and_then(Value::as_array_mut) {
        for resource in resources.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(values) = resource.get("values") {
                let masked = mask_sensitive(values, resource.get("sensitive_values"));
                resource.insert("values".into(), masked);
            }
        }
    }
    if let Some(children) = module
        .get_mut("child_modules")
        .and_then(Value::as_array_mut)
    {
        for child in children {
            redact_module(Some(child));
        }
    }
}

/// A plan (`terraform show -json`) with every value Terraform marks sensitive replaced, as it
/// is stored: Terraform writes those values in clear text beside the marks, and the stored plan
/// is shown to anyone who may read events. Masked: resource changes and drift (by their
/// `before_sensitive` / `after_sensitive`), output changes, planned values and prior state (by
/// `sensitive_values`, and outputs marked sensitive), and the values of variables the
/// configuration declares sensitive. Constants written literally in the configuration stay:
/// they are in the repository already.
pub(super) fn redact_plan(plan: &mut Value) {
    for list in ["resource_changes", "resource_drift"] {
        if let Some(changes) = plan.get_mut(list).and_then(Value::as_array_mut) {
            for change in changes.iter_mut().filter_map(|c| c.get_mut("change")) {
                redact_change(change);
            }
        }
    }
    if let Some(outputs) = plan
        .get_mut("output_changes")
        .and_then(Value::as_object_mut)
    {
        outputs.values_mut().for_each(redact_change);
    }
    if let Some(values) = plan.get_mut("planned_values") {
        redact_values(values);
    }
    if let Some(values) = plan.pointer_mut("/prior_state/values") {
        redact_values(values);
    }
    let sensitive: Vec<String> = plan
        .pointer("/configuration/root_module/variables")
        .and_then(Value::as_object)
        .map(|variables| {
            variables
                .iter()
                .filter(|(_, v)| v.get("sensitive") == Some(&Value::Bool(true)))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    if let Some(variables) = plan.get_mut("variables").and_then(Value::as_object_mut) {
        for name in sensitive {
            if let Some(value) = variables.get_mut(&name).and_then(|v| v.get_mut("value")) {
                *value = Value::String(SENSITIVE.into());
            }
        }
    }
}
