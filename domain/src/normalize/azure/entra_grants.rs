//! Which Entra ID audit records gain or lose access, and what: group membership and ownership
//! (`member`/`owner` of the group), directory role membership (the role's name on the tenant),
//! app role assignments (the app role on the application's service principal), and Azure
//! RBAC assignments that Entra logs with their scope in `additionalDetails`.
//!
//! Every object is named `azure:principal:<objectId>`, whether it holds access or is what
//! access is held on: a group that someone joins is the same group that holds an RBAC role,
//! and one id lets access paths run through it.

use super::entra::{additional_details, ZERO_GUID};
use super::fields::{get, list_in, text};
use super::rbac;
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A grant found in a record: who, on what, which permission, in which scope.
struct Found {
    principal: Principal,
    resource: Resource,
    permission: String,
    scope: String,
}

pub(super) fn changes(
    body: &Value,
    activity: &str,
    at: DateTime<Utc>,
    tenant: Option<&str>,
    evidence: &str,
) -> Vec<GrantChange> {
    let lower = activity.trim().to_ascii_lowercase();
    let op = match lower.split(' ').next() {
        Some("add") => GrantOp::Added,
        Some("remove" | "delete") => GrantOp::Removed,
        _ => return Vec::new(),
    };
    let targets = list_in(get(body, "targetResources"));
    let tenant_scope = format!("azure:tenant:{}", tenant.unwrap_or("default"));
    let found = match lower.as_str() {
        "add member to group" | "remove member from group" => {
            group(&targets, "member", &tenant_scope)
        }
        "add owner to group" | "remove owner from group" => group(&targets, "owner", &tenant_scope),
        "add member to role" | "remove member from role" => {
            directory_role(&targets, &tenant_scope, tenant)
        }
        "add role assignment" | "remove role assignment" | "delete role assignment" => {
            rbac_assignment(body, &targets, tenant)
        }
        _ if lower.starts_with("add app role assignment")
            || lower.starts_with("remove app role assignment") =>
        {
            app_role(&targets, &tenant_scope)
        }
        _ => None,
    };
    found
        .map(|found| GrantChange {
            at,
            grant: Grant {
                scope: found.scope,
                principal: found.principal,
                resource: found.resource,
                permission: found.permission,
                via: String::new(),
            },
            op,
            evidence: evidence.to_owned(),
        })
        .into_iter()
        .collect()
}

/// A target's Entra type, lowercased (`User`, `Group`, `ServicePrincipal`, `Role`, …).
fn kind_of(target: &Value) -> String {
    text(target, &["type"])
        .unwrap_or_default()
        .to_ascii_lowercase()
}

const HOLDERS: [&str; 4] = ["user", "group", "serviceprincipal", "device"];

/// A target as the principal that gains or loses access.
fn holder(target: &Value) -> Option<Principal> {
    let id = text(target, &["id"])?;
    let name = text(target, &["userPrincipalName"]).or_else(|| text(target, &["displayName"]));
    Some(rbac::principal(id, text(target, &["type"]), name))
}

/// The value of a changed property on any target (`Group.ObjectID`, `AppRole.Value`): the new
/// value, or the old one when the change removed it. Entra writes them as JSON strings
/// (`"\"Application Administrator\""`).
fn property(targets: &[Value], name: &str) -> Option<String> {
    targets
        .iter()
        .flat_map(|t| list_in(get(t, "modifiedProperties")))
        .filter(|p| text(p, &["displayName"]).is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .find_map(|p| unquote(get(&p, "newValue")).or_else(|| unquote(get(&p, "oldValue"))))
}

fn unquote(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(s) => match serde_json::from_str::<Value>(s.trim()) {
            Ok(Value::String(inner)) => inner,
            Ok(Value::Array(items)) => items.first()?.as_str()?.to_owned(),
            _ => s.trim().trim_matches('"').to_owned(),
        },
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// "Add member to group": the group is named by the `Group.ObjectID` property or by the one
/// target of type Group; the member is the other target. With two group targets and no
/// property (a nested group), which is which cannot be told, and nothing is claimed.
fn group(targets: &[Value], permission: &str, scope: &str) -> Option<Found> {
    let groups: Vec<&Value> = targets.iter().filter(|t| kind_of(t) == "group").collect();
    let (group_id, group_name) = match property(targets, "Group.ObjectID") {
        Some(id) => (id, property(targets, "Group.DisplayName")),
        None => {
            let [only] = groups.as_slice() else {
                return None;
            };
            (
                text(only, &["id"])?.to_owned(),
                text(only, &["displayName"]).map(str::to_owned),
            )
        }
    };
    let member = targets.iter().find(|t| {
        HOLDERS.contains(&kind_of(t).as_str())
            && text(t, &["id"]).is_some_and(|id| !id.eq_ignore_ascii_case(&group_id))
    })?;
    let group_key = group_id.to_ascii_lowercase();
    Some(Found {
        principal: holder(member)?,
        resource: Resource {
            kind: "group".into(),
            name: group_name.unwrap_or_else(|| group_key.clone()),
            id: format!("azure:principal:{group_key}"),
        },
        permission: permission.into(),
        scope: scope.into(),
    })
}

/// "Add member to role": the directory role's name is the permission, held on the tenant.
fn directory_role(targets: &[Value], scope: &str, tenant: Option<&str>) -> Option<Found> {
    let role = property(targets, "Role.DisplayName").or_else(|| {
        targets
            .iter()
            .find(|t| kind_of(t) == "role")
            .and_then(|t| text(t, &["displayName"]))
            .map(str::to_owned)
    })?;
    let member = targets
        .iter()
        .find(|t| HOLDERS.contains(&kind_of(t).as_str()))?;
    Some(Found {
        principal: holder(member)?,
        resource: Resource {
            kind: "tenant".into(),
            id: scope.into(),
            name: tenant.unwrap_or("default").to_owned(),
        },
        permission: role,
        scope: scope.into(),
    })
}

/// "Add app role assignment grant to user": the app role (its value, else its name, else
/// `assigned` for the default access role) on the application's service principal.
fn app_role(targets: &[Value], scope: &str) -> Option<Found> {
    let apps: Vec<&Value> = targets
        .iter()
        .filter(|t| kind_of(t) == "serviceprincipal")
        .collect();
    let assignee_by_property = [("User.ObjectID", "User"), ("Group.ObjectID", "Group")]
        .iter()
        .find_map(|(name, kind)| property(targets, name).map(|id| (id, *kind)));
    let assignee = match assignee_by_property {
        Some((id, kind)) => {
            let target = targets
                .iter()
                .find(|t| text(t, &["id"]).is_some_and(|tid| tid.eq_ignore_ascii_case(&id)));
            let name = target
                .and_then(|t| text(t, &["userPrincipalName"]).or_else(|| text(t, &["displayName"])))
                .map(str::to_owned)
                .or_else(|| property(targets, "User.UPN"));
            rbac::principal(&id, Some(kind), name.as_deref())
        }
        None => {
            let target = targets
                .iter()
                .find(|t| matches!(kind_of(t).as_str(), "user" | "group"))?;
            holder(target)?
        }
    };
    // The application is the one service principal target; with several (an app assigned to
    // an app) the record does not say which is which.
    let [app] = apps.as_slice() else {
        return None;
    };
    let app_id = text(app, &["id"])?.to_ascii_lowercase();
    let permission = property(targets, "AppRole.Value")
        .or_else(|| property(targets, "AppRole.DisplayName"))
        .or_else(|| property(targets, "AppRole.Id").filter(|id| id != ZERO_GUID))
        .unwrap_or_else(|| "assigned".into());
    Some(Found {
        principal: assignee,
        resource: Resource {
            kind: "app".into(),
            name: text(app, &["displayName"]).unwrap_or(&app_id).to_owned(),
            id: format!("azure:principal:{app_id}"),
        },
        permission,
        scope: scope.into(),
    })
}

/// Azure RBAC assignments that Entra's audit log records (logged by `Microsoft.Authorization`
/// with the scope and role in `additionalDetails`): the same grant an Activity Log
/// `roleAssignments/write` gives, with the same ids.
fn rbac_assignment(body: &Value, targets: &[Value], tenant: Option<&str>) -> Option<Found> {
    let details = additional_details(body);
    let scope_path = details.get("Scope").and_then(Value::as_str)?;
    let role = details
        .get("RoleName")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            details
                .get("RoleDefinitionId")
                .and_then(Value::as_str)
                .map(rbac::role_name)
        })?;
    let member = targets
        .iter()
        .find(|t| HOLDERS.contains(&kind_of(t).as_str()))?;
    Some(Found {
        principal: holder(member)?,
        resource: rbac::scope_resource(scope_path),
        permission: role,
        scope: rbac::grant_scope(scope_path, tenant),
    })
}
