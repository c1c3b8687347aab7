//! Azure RBAC role assignments: who (`principalId`) holds which role (`roleDefinitionId`) on
//! which scope (a subscription, resource group or resource path), as written in the request
//! and response bodies of `Microsoft.Authorization/roleAssignments/write|delete` records.

use super::fields::{get, json_in, text};
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// One role assignment as a record describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Assignment {
    pub principal_id: String,
    pub principal_type: Option<String>,
    pub role_definition_id: String,
    /// The assignment's scope path as written (`/subscriptions/…/resourceGroups/rg`).
    pub scope: String,
}

/// The assignment of a role assignment record. The response body (written when the operation
/// finished) wins over the request body (what was asked); both are JSON inside strings, with
/// camelCase keys in responses and PascalCase in requests. When neither names the scope, the
/// assignment's own id (`<scope>/providers/Microsoft.Authorization/roleAssignments/<guid>`)
/// does.
pub(super) fn assignment(record: &Value) -> Option<Assignment> {
    let properties = get(record, "properties")?;
    let bodies = ["responseBody", "requestbody"]
        .into_iter()
        .filter_map(|key| get(properties, key).and_then(json_in));
    for body in bodies {
        let inner = get(&body, "properties").unwrap_or(&body);
        let (Some(principal_id), Some(role)) = (
            text(inner, &["principalId"]),
            text(inner, &["roleDefinitionId"]),
        ) else {
            continue;
        };
        let scope = text(inner, &["scope"])
            .map(str::to_owned)
            .or_else(|| text(&body, &["id"]).and_then(scope_of_assignment))
            .or_else(|| text(record, &["resourceId"]).and_then(scope_of_assignment))
            .or_else(|| {
                super::fields::at(record, &["authorization", "scope"])
                    .and_then(Value::as_str)
                    .and_then(scope_of_assignment)
            })?;
        return Some(Assignment {
            principal_id: principal_id.to_owned(),
            principal_type: text(inner, &["principalType"]).map(str::to_owned),
            role_definition_id: role.to_owned(),
            scope,
        });
    }
    None
}

/// `/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/<id>` → `/subscriptions/s`.
fn scope_of_assignment(id: &str) -> Option<String> {
    const MARK: &str = "/providers/microsoft.authorization/roleassignments/";
    let at = id.to_ascii_lowercase().find(MARK)?;
    let scope = id.get(..at)?;
    Some(if scope.is_empty() {
        "/".into()
    } else {
        scope.into()
    })
}

/// Built-in roles whose ids are the same in every tenant, by the name Azure shows.
const BUILT_IN_ROLES: [(&str, &str); 7] = [
    ("8e3af657-a8ff-443c-a75c-2fe8c4bfa635", "Owner"),
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor"),
    ("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader"),
    (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
    ),
    (
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        "Storage Blob Data Owner",
    ),
    (
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        "Storage Blob Data Contributor",
    ),
    (
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        "Storage Blob Data Reader",
    ),
];

/// The permission word of a role definition id: a built-in role's name, else the role's GUID
/// (custom roles are named per tenant, and the record does not carry the name).
pub(super) fn role_name(role_definition_id: &str) -> String {
    let guid = role_definition_id
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(role_definition_id)
        .to_ascii_lowercase();
    BUILT_IN_ROLES
        .iter()
        .find(|(id, _)| *id == guid)
        .map_or(guid, |(_, name)| (*name).to_owned())
}

/// An Entra object id as a principal. The same id names the object wherever it appears (a
/// group holding a role, a group someone joins), so `azure:principal:<objectId>` is used for
/// both, and access paths through groups join up.
pub(super) fn principal(
    object_id: &str,
    principal_type: Option<&str>,
    name: Option<&str>,
) -> Principal {
    let kind = match principal_type.map(str::to_ascii_lowercase).as_deref() {
        Some("user") => "user",
        Some("group" | "foreigngroup") => "group",
        Some("serviceprincipal" | "service_principal") => "service_principal",
        Some("device") => "device",
        _ => "principal",
    };
    let id = object_id.to_ascii_lowercase();
    Principal {
        kind: kind.into(),
        name: name.unwrap_or(&id).to_owned(),
        id: format!("azure:principal:{id}"),
    }
}

/// What an RBAC scope path points at.
pub(super) fn scope_kind(path: &str) -> &'static str {
    let parts: Vec<String> = segments(path).map(str::to_ascii_lowercase).collect();
    match parts
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => "root",
        ["subscriptions", _] => "subscription",
        ["subscriptions", _, "resourcegroups", _] => "resource_group",
        ["providers", "microsoft.management", "managementgroups", _] => "management_group",
        _ => "resource",
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// A scope path as the resource a grant is held on: `azure:scope:<path lowercased>` (Azure
/// paths are case-insensitive and records differ in case), named by its last segment.
pub(super) fn scope_resource(path: &str) -> Resource {
    let lower = path.trim().trim_end_matches('/').to_ascii_lowercase();
    let lower = if lower.is_empty() {
        "/".to_owned()
    } else {
        lower
    };
    Resource {
        kind: scope_kind(path).into(),
        name: segments(path).last().unwrap_or("/").to_owned(),
        id: format!("azure:scope:{lower}"),
    }
}

/// The subscription a path lies in, lowercased.
pub(super) fn subscription_of(path: &str) -> Option<String> {
    let mut parts = segments(path);
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case("subscriptions") {
            return parts.next().map(str::to_ascii_lowercase);
        }
    }
    None
}

/// The grant scope of an assignment: its subscription, or the tenant for management-group and
/// root assignments (a tenant-wide snapshot covers those).
pub(super) fn grant_scope(path: &str, tenant: Option<&str>) -> String {
    match subscription_of(path) {
        Some(subscription) => format!("azure:subscription:{subscription}"),
        None => format!(
            "azure:tenant:{}",
            tenant.unwrap_or("default").to_ascii_lowercase()
        ),
    }
}

pub(super) fn change(
    assignment: &Assignment,
    op: GrantOp,
    at: DateTime<Utc>,
    tenant: Option<&str>,
    evidence: String,
) -> GrantChange {
    GrantChange {
        at,
        grant: Grant {
            scope: grant_scope(&assignment.scope, tenant),
            principal: principal(
                &assignment.principal_id,
                assignment.principal_type.as_deref(),
                None,
            ),
            resource: scope_resource(&assignment.scope),
            permission: role_name(&assignment.role_definition_id),
            via: String::new(),
        },
        op,
        evidence,
    }
}
