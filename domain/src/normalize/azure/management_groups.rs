//! Management-group listings → which subscription and which management group is in which:
//! `az account management-group show --name <group> --expand --recurse` (or the REST API's
//! `GET …/managementGroups/<group>?$expand=children&$recurse=true`, with the same fields under
//! `properties`), and lists of such groups (`az account management-group list`, the API's
//! `value`). A group names its parent in `details.parent.id` and its children, subscriptions
//! and groups, in `children`.
//!
//! A role assignment on a management group reaches every subscription below it, and nothing
//! in a subscription's own path says which group it is in: these listings do.

use super::rbac::scope_resource;
use crate::grant::Containment;
use crate::normalize::{NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// How deep children are followed: Azure allows six levels of groups below the root, and a
/// listing deeper than this is not one Azure wrote.
const MAX_DEPTH: usize = 16;

/// The containment a listing states, as of `at`.
pub(super) fn normalize(body: &[u8], at: DateTime<Utc>) -> Result<Normalized, NormalizeError> {
    let body: Value = serde_json::from_slice(body)?;
    let groups: Vec<&Value> = match &body {
        Value::Array(groups) => groups.iter().collect(),
        Value::Object(map) => match map.get("value") {
            Some(Value::Array(groups)) => groups.iter().collect(),
            _ => vec![&body],
        },
        _ => {
            return Err(NormalizeError::Invalid(
                "a management-group listing is a JSON object or a list of them".into(),
            ))
        }
    };
    let mut containment = Vec::new();
    for (n, group) in groups.into_iter().enumerate() {
        let id = text(group, "id")
            .filter(|id| is_management_group(id))
            .ok_or_else(|| {
                NormalizeError::Invalid(format!(
                    "group {n}: `id` is not `/providers/Microsoft.Management/managementGroups/<name>`"
                ))
            })?;
        let fields = group.get("properties").unwrap_or(group);
        if let Some(parent) = fields
            .get("details")
            .and_then(|d| d.get("parent"))
            .and_then(|p| text(p, "id"))
            .filter(|p| is_management_group(p))
        {
            containment.push(link(id, parent, at));
        }
        children(fields, id, at, 0, &mut containment)?;
    }
    if containment.is_empty() {
        return Ok(Normalized::ignored(
            "a management-group listing that names no parent and no children",
        ));
    }
    Ok(Normalized {
        containment,
        ..Normalized::default()
    })
}

/// The children of the group `parent` (REST `children`, or the older `childId`), recursively.
fn children(
    fields: &Value,
    parent: &str,
    at: DateTime<Utc>,
    depth: usize,
    out: &mut Vec<Containment>,
) -> Result<(), NormalizeError> {
    let Some(list) = fields.get("children").and_then(Value::as_array) else {
        return Ok(());
    };
    if depth >= MAX_DEPTH {
        return Err(NormalizeError::Invalid(format!(
            "children nested more than {MAX_DEPTH} deep below {parent}"
        )));
    }
    for child in list {
        let fields = child.get("properties").unwrap_or(child);
        let Some(id) = text(child, "id").or_else(|| text(fields, "childId")) else {
            return Err(NormalizeError::Invalid(format!(
                "a child of {parent} has no `id`"
            )));
        };
        if !is_management_group(id) && !is_subscription(id) {
            return Err(NormalizeError::Invalid(format!(
                "child {id:?} of {parent} is neither a management group nor a subscription"
            )));
        }
        out.push(link(id, parent, at));
        if is_management_group(id) {
            children(fields, id, at, depth + 1, out)?;
        }
    }
    Ok(())
}

fn link(child: &str, parent: &str, at: DateTime<Utc>) -> Containment {
    Containment {
        child: scope_resource(child).id,
        parent: scope_resource(parent).id,
        at,
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// `/providers/Microsoft.Management/managementGroups/<name>`, in any case.
fn is_management_group(id: &str) -> bool {
    let parts: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    matches!(parts.as_slice(), [p, ns, t, _]
        if p.eq_ignore_ascii_case("providers")
            && ns.eq_ignore_ascii_case("microsoft.management")
            && t.eq_ignore_ascii_case("managementgroups"))
}

/// `/subscriptions/<id>`.
fn is_subscription(id: &str) -> bool {
    let parts: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    matches!(parts.as_slice(), [s, _] if s.eq_ignore_ascii_case("subscriptions"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pairs(body: &str) -> Vec<(String, String)> {
        normalize(body.as_bytes(), Utc::now())
            .unwrap()
            .containment
            .into_iter()
            .map(|c| (c.child, c.parent))
            .collect()
    }

    const MG: &str = "azure:scope:/providers/microsoft.management/managementgroups/";

    #[test]
    fn the_cli_and_the_rest_shapes_say_the_same() {
        let cli = r#"{
          "id": "/providers/Microsoft.Management/managementGroups/Platform",
          "type": "Microsoft.Management/managementGroups", "name": "Platform",
          "details": {"parent": {"id": "/providers/Microsoft.Management/managementGroups/tenant-root"}},
          "children": [
            {"id": "/subscriptions/AAAA-1", "type": "/subscriptions", "name": "AAAA-1", "children": null},
            {"id": "/providers/Microsoft.Management/managementGroups/Prod", "type": "Microsoft.Management/managementGroups",
             "children": [{"id": "/subscriptions/bbbb-2", "type": "/subscriptions"}]}
          ]
        }"#;
        let rest = r#"{"value": [{
          "id": "/providers/Microsoft.Management/managementGroups/Platform",
          "properties": {
            "details": {"parent": {"id": "/providers/Microsoft.Management/managementGroups/tenant-root"}},
            "children": [
              {"id": "/subscriptions/AAAA-1", "type": "/subscriptions"},
              {"id": "/providers/Microsoft.Management/managementGroups/Prod", "type": "Microsoft.Management/managementGroups",
               "children": [{"id": "/subscriptions/bbbb-2", "type": "/subscriptions"}]}
            ]
          }
        }]}"#;
        let expected = vec![
            (format!("{MG}platform"), format!("{MG}tenant-root")),
            (
                "azure:scope:/subscriptions/aaaa-1".to_owned(),
                format!("{MG}platform"),
            ),
            (format!("{MG}prod"), format!("{MG}platform")),
            (
                "azure:scope:/subscriptions/bbbb-2".to_owned(),
                format!("{MG}prod"),
            ),
        ];
        assert_eq!(pairs(cli), expected);
        assert_eq!(pairs(rest), expected);
    }

    #[test]
    fn what_is_not_a_listing_is_refused_with_the_reason() {
        for (body, says) in [
            (r#"{"id": "/subscriptions/s"}"#, "is not `/providers"),
            (
                r#"{"id": "/providers/Microsoft.Management/managementGroups/g", "children": [{"type": "x"}]}"#,
                "has no `id`",
            ),
            (
                r#"{"id": "/providers/Microsoft.Management/managementGroups/g", "children": [{"id": "/subscriptions/s/resourceGroups/rg"}]}"#,
                "neither a management group nor a subscription",
            ),
            ("42", "a JSON object"),
        ] {
            let err = normalize(body.as_bytes(), Utc::now())
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{body}: {err}");
        }
        let lonely = normalize(
            br#"{"id": "/providers/Microsoft.Management/managementGroups/g"}"#,
            Utc::now(),
        )
        .unwrap();
        assert!(lonely.ignored.is_some());
    }
}
