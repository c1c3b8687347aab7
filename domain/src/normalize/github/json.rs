//! GitHub's permission words. The field readers every normalizer uses live in
//! [`crate::normalize::json`]; they are re-exported here for the GitHub modules.

pub(super) use crate::normalize::json::{
    count, first_time, flag, id, number, object, pick, text, timestamp,
};
use serde_json::Value;

/// Repository permissions (`{"admin": false, "push": true, "pull": true}`) as the single
/// level GitHub's UI shows. `none` when the object says nothing is granted.
pub(super) fn permission_level(permissions: &Value) -> Option<&'static str> {
    let map = permissions.as_object()?;
    let levels = [
        ("admin", "admin"),
        ("maintain", "maintain"),
        ("push", "write"),
        ("triage", "triage"),
        ("pull", "read"),
    ];
    let granted = levels
        .iter()
        .find(|(key, _)| map.get(*key).and_then(Value::as_bool) == Some(true))
        .map(|(_, word)| *word);
    Some(granted.unwrap_or("none"))
}

/// The API's permission words (`pull`, `push`) in the words of GitHub's UI (`read`, `write`).
pub(super) fn plain_permission(permission: &str) -> &str {
    match permission {
        "pull" => "read",
        "push" => "write",
        other => other,
    }
}
