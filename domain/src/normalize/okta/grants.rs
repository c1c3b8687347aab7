//! Which System Log events gain or lose access, and what: a user joining or leaving a group
//! (`member` of `okta:group:<id>`), a user assigned to or removed from an app (`assigned` on
//! `okta:app:<id>`), an admin role granted to or revoked from a user or a group (the role's
//! name on the org, `okta:org:<host>`). Only successful events reach here.

use super::fields::{at, get, text};
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use chrono::{DateTime, Utc};
use serde_json::Value;

pub(super) fn changes(
    record: &Value,
    event_type: &str,
    at: DateTime<Utc>,
    who: &str,
    org: &str,
) -> Vec<GrantChange> {
    let (op, what) = match event_type {
        "group.user_membership.add" => (GrantOp::Added, What::GroupMember),
        "group.user_membership.remove" => (GrantOp::Removed, What::GroupMember),
        "application.user_membership.add" => (GrantOp::Added, What::AppAssignment),
        "application.user_membership.remove" => (GrantOp::Removed, What::AppAssignment),
        "user.account.privilege.grant" => (GrantOp::Added, What::UserAdminRole),
        "user.account.privilege.revoke" => (GrantOp::Removed, What::UserAdminRole),
        "group.privilege.grant" => (GrantOp::Added, What::GroupAdminRole),
        "group.privilege.revoke" => (GrantOp::Removed, What::GroupAdminRole),
        _ => return Vec::new(),
    };
    let scope = format!("okta:org:{org}");
    let targets = Targets::of(record);
    let (principals, resources, permissions): (Vec<Principal>, Vec<Resource>, Vec<String>) =
        match what {
            What::GroupMember => (
                targets.principals("User", "user"),
                targets.resources("UserGroup", "group"),
                vec!["member".into()],
            ),
            What::AppAssignment => (
                targets.principals("User", "user"),
                targets.resources("AppInstance", "app"),
                vec!["assigned".into()],
            ),
            What::UserAdminRole | What::GroupAdminRole => {
                let (okta_type, kind) = if what == What::UserAdminRole {
                    ("User", "user")
                } else {
                    ("UserGroup", "group")
                };
                let mut roles = roles(record);
                if roles.is_empty() {
                    // Okta said an admin role changed without naming it.
                    roles.push("admin".into());
                }
                let org_resource = Resource {
                    kind: "org".into(),
                    id: scope.clone(),
                    name: org.to_owned(),
                };
                (
                    targets.principals(okta_type, kind),
                    vec![org_resource],
                    roles,
                )
            }
        };
    let evidence = format!("{event_type} by {who}");
    let mut changes = Vec::new();
    for principal in &principals {
        for resource in &resources {
            for permission in &permissions {
                changes.push(GrantChange {
                    at,
                    grant: Grant {
                        scope: scope.clone(),
                        principal: principal.clone(),
                        resource: resource.clone(),
                        permission: permission.clone(),
                        via: String::new(),
                    },
                    op,
                    evidence: evidence.clone(),
                });
            }
        }
    }
    changes
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    GroupMember,
    AppAssignment,
    UserAdminRole,
    GroupAdminRole,
}

/// The admin roles an event grants or revokes: `debugData.privilegeGranted` (or `…Revoked`)
/// lists them comma-separated ("Organization administrator, Application administrator (all)");
/// newer events may name them as targets of a role type instead.
pub(super) fn roles(record: &Value) -> Vec<String> {
    let debug = at(record, &["debugContext", "debugData"]).unwrap_or(&Value::Null);
    let listed = text(debug, &["privilegeGranted"]).or_else(|| text(debug, &["privilegeRevoked"]));
    if let Some(listed) = listed {
        return listed
            .split(',')
            .map(str::trim)
            .filter(|role| !role.is_empty())
            .map(str::to_owned)
            .collect();
    }
    let Some(Value::Array(targets)) = get(record, "target") else {
        return Vec::new();
    };
    targets
        .iter()
        .filter(|t| {
            text(t, &["type"]).is_some_and(|kind| kind.to_ascii_lowercase().contains("role"))
        })
        .filter_map(|t| text(t, &["displayName"]).or_else(|| text(t, &["id"])))
        .map(str::to_owned)
        .collect()
}

/// The targets of one event, by Okta type.
struct Targets<'a>(Vec<&'a Value>);

impl<'a> Targets<'a> {
    fn of(record: &'a Value) -> Targets<'a> {
        match get(record, "target") {
            Some(Value::Array(list)) => Targets(list.iter().collect()),
            _ => Targets(Vec::new()),
        }
    }

    /// Targets of one Okta type that carry an id (an id-less target can hold no grant).
    fn typed(&self, okta_type: &str) -> impl Iterator<Item = (&'a str, &'a Value)> + '_ {
        let okta_type = okta_type.to_owned();
        self.0.iter().filter_map(move |t| {
            let matches = text(t, &["type"]) == Some(okta_type.as_str());
            let id = text(t, &["id"])?;
            matches.then_some((id, *t))
        })
    }

    fn principals(&self, okta_type: &str, kind: &str) -> Vec<Principal> {
        self.typed(okta_type)
            .map(|(id, t)| Principal {
                kind: kind.into(),
                id: format!("okta:{kind}:{id}"),
                name: name(t, kind == "user").unwrap_or(id).to_owned(),
            })
            .collect()
    }

    fn resources(&self, okta_type: &str, kind: &str) -> Vec<Resource> {
        self.typed(okta_type)
            .map(|(id, t)| Resource {
                kind: kind.into(),
                id: format!("okta:{kind}:{id}"),
                name: name(t, false).unwrap_or(id).to_owned(),
            })
            .collect()
    }
}

/// A user's login, or the display name of a group or app; Okta's `unknown` is no name.
fn name(target: &Value, login_first: bool) -> Option<&str> {
    let login = text(target, &["alternateId"]).filter(|n| !n.eq_ignore_ascii_case("unknown"));
    let display = text(target, &["displayName"]).filter(|n| !n.eq_ignore_ascii_case("unknown"));
    if login_first {
        login.or(display)
    } else {
        display.or(login)
    }
}
