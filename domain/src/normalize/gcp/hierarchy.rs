//! Resource Manager listings → which project is in which folder or organization, and which
//! folder in which: `gcloud projects describe|list --format=json` (v1: `parent` is
//! `{"type": "folder", "id": "123"}`; v3: `"folders/123"`) and `gcloud resource-manager folders
//! describe|list --format=json` (`name: folders/…`, `parent`). One file may hold one resource
//! or a list of them.
//!
//! A binding on an organization or folder reaches every project below it, and nothing in a
//! project's or a resource's own name says which folder it is in: these listings do.

use crate::grant::Containment;
use crate::normalize::{NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Whether `record` is a project or folder as Resource Manager describes it.
pub(crate) fn is_listing(body: &Value) -> bool {
    let one = |record: &Value| {
        record.get("projectId").is_some_and(Value::is_string)
            || record
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| name.starts_with("folders/"))
    };
    match body {
        Value::Array(records) => !records.is_empty() && records.iter().all(one),
        record => one(record),
    }
}

/// The containment a listing states, as of `at`.
pub(super) fn resource_manager(
    body: &[u8],
    at: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let body: Value = serde_json::from_slice(body)?;
    let records: Vec<&Value> = match &body {
        Value::Array(records) => records.iter().collect(),
        record => vec![record],
    };
    let mut containment = Vec::new();
    for (n, record) in records.into_iter().enumerate() {
        let at_record = |what: &str| NormalizeError::Invalid(format!("resource {n}: {what}"));
        let child = if let Some(project) = record.get("projectId") {
            let project = project
                .as_str()
                .filter(|p| !p.trim().is_empty())
                .ok_or_else(|| at_record("`projectId` is not a project id"))?;
            format!("gcp:project:{}", project.trim())
        } else {
            match record.get("name").and_then(Value::as_str) {
                Some(name) => container_id(name)
                    .filter(|id| id.starts_with("gcp:folder:"))
                    .ok_or_else(|| at_record("`name` is neither a project nor `folders/<n>`"))?,
                None => {
                    return Err(at_record(
                        "neither a project (`projectId`) nor a folder (`name`)",
                    ))
                }
            }
        };
        let parent = match record.get("parent") {
            // v3 and folders: `organizations/1`, `folders/2`.
            Some(Value::String(parent)) => container_id(parent),
            // v1 projects: `{"type": "organization", "id": "1"}`.
            Some(Value::Object(parent)) => {
                match (
                    parent.get("type").and_then(Value::as_str),
                    parent.get("id").and_then(Value::as_str),
                ) {
                    (Some(kind), Some(id)) => container_id(&format!("{kind}s/{id}")),
                    _ => None,
                }
            }
            // A project with no parent (outside any organization) is in nothing.
            None | Some(Value::Null) => continue,
            Some(_) => None,
        }
        .ok_or_else(|| at_record("`parent` names neither `organizations/<n>` nor `folders/<n>`"))?;
        containment.push(Containment { child, parent, at });
    }
    if containment.is_empty() {
        return Ok(Normalized::ignored(
            "a resource listing in which nothing is inside an organization or folder",
        ));
    }
    Ok(Normalized {
        containment,
        ..Normalized::default()
    })
}

/// `organizations/1` → `gcp:organization:1`, `folders/2` → `gcp:folder:2` (the ids IAM policy
/// imports give them).
fn container_id(name: &str) -> Option<String> {
    let (kind, id) = name.trim().split_once('/')?;
    let id = id.trim();
    if id.is_empty() || id.contains('/') {
        return None;
    }
    match kind {
        "organizations" => Some(format!("gcp:organization:{id}")),
        "folders" => Some(format!("gcp:folder:{id}")),
        _ => None,
    }
}
