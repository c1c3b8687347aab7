//! IAM allow policies → grant snapshots: the output of `gcloud projects get-iam-policy`
//! (kind `iam_policy:<resource>`) and Cloud Asset Inventory files (kind `asset_inventory`).
//!
//! **Scope.** An IAM policy belongs to exactly one resource, and one read of it says everything
//! about that resource and nothing about any other. So the scope of a GCP grant is the resource
//! whose policy holds the binding: `gcp:project:p` for a project's policy, the bucket's id for a
//! bucket's. With the project as scope of a bucket's bindings, importing the project's
//! `get-iam-policy` would close every bucket grant of that project.

use super::names;
use crate::grant::{Grant, GrantSnapshot, Resource};
use crate::normalize::json::text;
use crate::normalize::{NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The policy JSON names no resource, so the kind carries it: `iam_policy:projects/p`,
/// `iam_policy:organizations/1`, `iam_policy:folders/2`, or a full resource name
/// (`iam_policy://storage.googleapis.com/my-bucket`).
pub(super) fn iam_policy(
    resource: Option<&str>,
    body: &[u8],
    at: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let resource = policy_resource(resource)?;
    let policy: Value = serde_json::from_slice(body)?;
    if !policy.is_object() {
        return Err(NormalizeError::Invalid(
            "an IAM policy must be a JSON object with `bindings`".into(),
        ));
    }
    // `{"etag": "ACAB"}` is a real empty policy. `{}`, a service-account list or a project's
    // metadata (which has an `etag` too) are not: as empty snapshots they would close every
    // grant of the scope.
    let policy_fields = ["etag", "version", "auditConfigs"];
    let empty_policy = policy.get("etag").is_some()
        && policy.as_object().is_some_and(|fields| {
            fields
                .keys()
                .all(|key| policy_fields.contains(&key.as_str()))
        });
    if policy.get("bindings").is_none() && !empty_policy {
        return Err(NormalizeError::Missing("bindings"));
    }
    let grants = grants(&policy, &resource)?;
    Ok(Normalized {
        snapshots: vec![GrantSnapshot {
            at,
            scope: resource.id,
            grants: grants.into_iter().collect(),
        }],
        ..Normalized::default()
    })
}

fn policy_resource(resource: Option<&str>) -> Result<Resource, NormalizeError> {
    let Some(name) = resource.map(str::trim).filter(|r| !r.is_empty()) else {
        return Err(NormalizeError::Invalid(
            "an IAM policy does not name its resource: import it as kind \
             `iam_policy:projects/<project id>` (or `organizations/<n>`, `folders/<n>`, \
             or `//<service>/<full resource name>`)"
                .into(),
        ));
    };
    let container = ["projects/", "organizations/", "folders/"]
        .iter()
        .any(|prefix| name.strip_prefix(prefix).is_some_and(is_plain_id));
    if !container && !name.starts_with("//") {
        return Err(NormalizeError::Invalid(format!(
            "IAM policy resource {name:?} is neither `projects/<id>`, `organizations/<n>`, \
             `folders/<n>` nor a full resource name starting with `//`"
        )));
    }
    Ok(names::resource(None, name, None))
}

fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && !id.contains('/') && !id.chars().any(char::is_whitespace)
}

/// Every (member, role, condition) of a policy as a grant on `resource`. A malformed binding
/// fails the whole policy: a snapshot that skipped it would close a grant that still exists.
pub(super) fn grants(
    policy: &Value,
    resource: &Resource,
) -> Result<BTreeSet<Grant>, NormalizeError> {
    let bindings = match policy.get("bindings") {
        None | Some(Value::Null) => return Ok(BTreeSet::new()),
        Some(Value::Array(bindings)) => bindings,
        Some(_) => {
            return Err(NormalizeError::Invalid(
                "IAM policy `bindings` must be an array".into(),
            ))
        }
    };
    let no_members = Vec::new();
    let mut grants = BTreeSet::new();
    for (n, binding) in bindings.iter().enumerate() {
        let role = text(binding, "/role").ok_or_else(|| {
            NormalizeError::Invalid(format!("IAM policy binding {n} has no `role`"))
        })?;
        let members = match binding.get("members") {
            None | Some(Value::Null) => &no_members,
            Some(Value::Array(members)) => members,
            Some(_) => {
                return Err(NormalizeError::Invalid(format!(
                    "IAM policy binding {n} ({role}): `members` must be an array"
                )))
            }
        };
        let via = condition(binding.get("condition"));
        for member in members {
            let member = member
                .as_str()
                .filter(|m| !m.trim().is_empty())
                .ok_or_else(|| {
                    NormalizeError::Invalid(format!(
                        "IAM policy binding {n} ({role}) has a member that is not a string"
                    ))
                })?;
            grants.insert(Grant {
                scope: resource.id.clone(),
                principal: names::principal(member),
                resource: resource.clone(),
                permission: role.to_owned(),
                via: via.clone(),
            });
        }
    }
    Ok(grants)
}

/// A conditional binding (`condition: {title, expression}`) is a distinct grant: the same role
/// with and without a condition are two facts. `via` names it by its title.
pub(super) fn condition(condition: Option<&Value>) -> String {
    let Some(condition) = condition.filter(|c| c.is_object()) else {
        return String::new();
    };
    match text(condition, "/title").or_else(|| text(condition, "/expression")) {
        Some(title) => format!("condition:{title}"),
        None => String::new(),
    }
}

/// Cloud Asset Inventory: `gcloud asset search-all-iam-policies` (`resource` + `policy`),
/// `gcloud asset list|export --content-type=iam-policy` (`name` + `iamPolicy`) and the GCS
/// export's NDJSON (`name` + `iam_policy`), as a JSON array, NDJSON, the API's
/// `{"results"|"assets": [...]}` or one record. Each record is one resource's policy and
/// becomes that resource's snapshot, so the file may also be split into records.
pub(super) fn asset_inventory(
    body: &[u8],
    at: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let records = records(body)?;
    let mut scopes: BTreeMap<String, BTreeSet<Grant>> = BTreeMap::new();
    for (n, record) in records.iter().enumerate() {
        let (resource, policy) = asset(record)
            .map_err(|why| NormalizeError::Invalid(format!("asset inventory record {n}: {why}")))?;
        let grants = grants(policy, &resource).map_err(|err| {
            NormalizeError::Invalid(format!(
                "asset inventory record {n} ({}): {err}",
                resource.id
            ))
        })?;
        scopes.entry(resource.id).or_default().extend(grants);
    }
    if scopes.is_empty() {
        return Ok(Normalized::ignored(
            "the asset inventory file lists no IAM policies",
        ));
    }
    Ok(Normalized {
        snapshots: scopes
            .into_iter()
            .map(|(scope, grants)| GrantSnapshot {
                at,
                scope,
                grants: grants.into_iter().collect(),
            })
            .collect(),
        ..Normalized::default()
    })
}

fn records(body: &[u8]) -> Result<Vec<Value>, NormalizeError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(records)) => Ok(records),
        Ok(Value::Object(mut object)) => {
            for key in ["results", "assets"] {
                if let Some(Value::Array(records)) = object.remove(key) {
                    return Ok(records);
                }
            }
            Ok(vec![Value::Object(object)])
        }
        Ok(_) => Err(NormalizeError::Invalid(
            "an asset inventory file must hold JSON objects".into(),
        )),
        // More than one value: the NDJSON of an export to Cloud Storage.
        Err(first) => {
            let first = first.to_string();
            let lines = body
                .split(|&b| b == b'\n')
                .filter(|line| !line.iter().all(u8::is_ascii_whitespace));
            let mut records = Vec::new();
            for (n, line) in lines.enumerate() {
                let record = serde_json::from_slice(line).map_err(|err| {
                    if n == 0 {
                        NormalizeError::Json(first.clone())
                    } else {
                        NormalizeError::Json(format!("line {}: {err}", n + 1))
                    }
                })?;
                records.push(record);
            }
            Ok(records)
        }
    }
}

/// The resource and policy of one record, or why it is not an IAM policy record.
fn asset(record: &Value) -> Result<(Resource, &Value), String> {
    if !record.is_object() {
        return Err("not a JSON object".into());
    }
    // `resource` is the name in search results and the resource's data in resource exports.
    let name = text(record, "/resource").or_else(|| text(record, "/name"));
    let policy = ["/policy", "/iamPolicy", "/iam_policy"]
        .iter()
        .find_map(|pointer| record.pointer(pointer).filter(|p| p.is_object()));
    match (name, policy) {
        (Some(name), Some(policy)) if name.starts_with("//") => {
            Ok((names::resource(None, name, None), policy))
        }
        (Some(name), Some(_)) => Err(format!(
            "resource {name:?} is not a full resource name (`//service/path`)"
        )),
        (_, None) if looks_like_policy(record) => {
            Err("this is a bare IAM policy; import it as kind `iam_policy:<resource>`".into())
        }
        (_, None) => Err(format!(
            "no IAM policy (`policy`, `iamPolicy` or `iam_policy`){}; export with \
             `--content-type=iam-policy`",
            what_it_is(record)
        )),
        (None, Some(_)) => Err("no resource name (`resource` or `name`)".into()),
    }
}

fn looks_like_policy(record: &Value) -> bool {
    record.get("bindings").is_some_and(Value::is_array)
}

/// Names the API listings found beside policies in an export folder, so the error says what
/// the file is instead of only what it lacks.
fn what_it_is(record: &Value) -> &'static str {
    if record.get("accounts").is_some() {
        " (a list of service accounts)"
    } else if record.get("roles").is_some() || record.get("includedPermissions").is_some() {
        " (IAM role definitions)"
    } else if record.get("projectId").is_some() {
        " (a project's metadata)"
    } else if record.get("resource").is_some_and(Value::is_object) {
        " (a resource export)"
    } else {
        ""
    }
}
