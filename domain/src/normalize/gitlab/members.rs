//! Who holds which role on a project or a group: members added, removed or given another
//! role (system hooks `user_*_team` / `user_*_group`, group `Member Hook`s), and access
//! requests. These are the events an access review is made of, and the grant changes.

use super::event::{group, name_or, project, scope_of, target, unknown_actor, user_actor, Draft};
use super::words::{id, pick, role, text, time_at};
use super::Hook;
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use crate::model::Target;
use crate::normalize::NormalizeError;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Whether GitLab's event name is a membership change: `user_add_to_team` (a project, in
/// GitLab's old word), `user_remove_from_group`, `user_update_for_project`, ...
pub(super) fn is_membership(name: &str) -> bool {
    change_of(name).is_some()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Added,
    Removed,
    Updated,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Project,
    Group,
}

impl Place {
    pub fn word(self) -> &'static str {
        match self {
            Place::Project => "project",
            Place::Group => "group",
        }
    }
}

fn change_of(name: &str) -> Option<(Change, Place)> {
    let (change, rest) = if let Some(rest) = name.strip_prefix("user_add_to_") {
        (Change::Added, rest)
    } else if let Some(rest) = name.strip_prefix("user_remove_from_") {
        (Change::Removed, rest)
    } else if let Some(rest) = name.strip_prefix("user_update_for_") {
        (Change::Updated, rest)
    } else {
        return None;
    };
    Some((change, place_of(rest)?))
}

/// `team` is GitLab's old word for a project's members, still used in system hook names.
fn place_of(word: &str) -> Option<Place> {
    match word {
        "team" | "project" => Some(Place::Project),
        "group" => Some(Place::Group),
        _ => None,
    }
}

/// What a member payload says, read once for the event and its grant change.
struct Member<'a> {
    place: Place,
    user: Target,
    resource: Target,
    /// The member's role as this payload states it: the new one, or the one removed.
    role: String,
    expires_at: Option<&'a str>,
}

impl<'a> Member<'a> {
    /// The member and the project or group; each is required, since a membership event that
    /// cannot say who gained access to what must not pass as understood.
    fn read(body: &'a Value, place: Place) -> Result<Self, NormalizeError> {
        let user_id = id(body, "/user_id").ok_or(NormalizeError::Missing("user_id"))?;
        let username = text(body, "/user_username")
            .or_else(|| text(body, "/user_name"))
            .ok_or(NormalizeError::Missing("user_username"))?;
        let (resource, role_field, other_field) = match place {
            Place::Project => (project(body), "access_level", "project_access"),
            Place::Group => (group(body), "group_access", "access_level"),
        };
        let resource = resource
            .filter(|t| t.id.is_some())
            .ok_or(NormalizeError::Missing(match place {
                Place::Project => "project_id",
                Place::Group => "group_id",
            }))?;
        let role = [role_field, other_field]
            .iter()
            .find_map(|field| body.get(*field).and_then(role))
            .ok_or(NormalizeError::Missing(role_field))?;
        Ok(Member {
            place,
            user: target("user", Some(user_id), username),
            resource,
            role,
            expires_at: text(body, "/expires_at"),
        })
    }

    fn grant(&self, role: &str) -> Grant {
        let resource_id = self.resource.id.clone().unwrap_or_default();
        let place = self.place.word();
        let resource_key = format!("gitlab:{place}:{resource_id}");
        Grant {
            // No member payload names the parent group of a project (`project_namespace_id`
            // of project hooks is the project's own namespace record, not its group), so a
            // project's grants are scoped to the project itself.
            scope: resource_key.clone(),
            principal: Principal {
                kind: "user".into(),
                id: format!("gitlab:user:{}", self.user.id.clone().unwrap_or_default()),
                name: self.user.name.clone(),
            },
            resource: Resource {
                kind: place.into(),
                id: resource_key,
                name: self.resource.name.clone(),
            },
            permission: role.to_owned(),
            via: String::new(),
        }
    }

    fn until(&self) -> String {
        self.expires_at
            .map(|date| format!(" until {date}"))
            .unwrap_or_default()
    }
}

/// A member added to, removed from or given another role on a project or group.
pub(super) fn membership(h: &Hook<'_>) -> Result<Draft, NormalizeError> {
    let Some((change, place)) = change_of(h.name) else {
        return Err(NormalizeError::Invalid(format!(
            "`{}` is not a membership event",
            h.name
        )));
    };
    let m = Member::read(h.body, place)?;
    let who = m.user.name.as_str();
    let (verb, summary, at) = match change {
        Change::Added => (
            "added",
            format!(
                "{who} was added to {} {} as {}{}",
                place.word(),
                m.resource.name,
                m.role,
                m.until()
            ),
            // The membership was made when the event happened.
            time_at(h.body, &["/created_at", "/updated_at"]),
        ),
        Change::Removed => (
            "removed",
            format!(
                "{who} was removed from {} {} (was {})",
                place.word(),
                m.resource.name,
                m.role
            ),
            // The payload's times are the deleted membership's own (made, last changed):
            // neither is when it was removed, which is when the hook was sent.
            None,
        ),
        Change::Updated => (
            "updated",
            format!(
                "{who} is now {} in {} {}{}",
                m.role,
                place.word(),
                m.resource.name,
                m.until()
            ),
            // Changing the role touches the membership's `updated_at`.
            time_at(h.body, &["/updated_at"]),
        ),
    };
    let at = at.unwrap_or(h.received_at);
    let evidence = format!(
        "GitLab {} {}{}",
        h.origin(),
        h.name,
        m.expires_at
            .map(|date| format!(", expires {date}"))
            .unwrap_or_default()
    );
    let op = match change {
        Change::Removed => GrantOp::Removed,
        // An update says only the new role, never the old one: the new role is recorded as
        // added, and the old one stays open until a snapshot of the project or group (or an
        // audit event that names it) closes it.
        Change::Added | Change::Updated => GrantOp::Added,
    };
    let grant = GrantChange {
        at,
        grant: m.grant(&m.role),
        op,
        evidence,
    };
    let mut extras = pick(
        h.body,
        &[
            "user_name",
            "user_email",
            "expires_at",
            "project_visibility",
            "group_plan",
        ],
    );
    extras.insert("role".into(), m.role.clone().into());
    let scope = scope_of(Some(&m.resource));
    Ok(Draft::new(
        format!("{}.member.{verb}", place.word()),
        &summary,
        unknown_actor(),
    )
    .target(Some(m.user.clone()))
    .target(Some(m.resource.clone()))
    .scope(scope)
    .at(Some(at))
    .detail("hook", h.header)
    .details(extras)
    .grants(vec![grant]))
}

/// Someone asked for access to a project or group, or the request was withdrawn or denied:
/// no access changes until an owner adds them, which is its own event.
pub(super) fn access_request(h: &Hook<'_>) -> Result<Draft, NormalizeError> {
    let rest = h.name.trim_start_matches("user_access_request_");
    let (verb, place_word) = if let Some(place) = rest.strip_prefix("to_") {
        ("created", place)
    } else if let Some(place) = rest.strip_prefix("revoked_for_") {
        ("revoked", place)
    } else if let Some(place) = rest.strip_prefix("denied_for_") {
        ("denied", place)
    } else {
        ("changed", rest)
    };
    let place = place_of(place_word).unwrap_or(Place::Group);
    let resource = match place {
        Place::Project => project(h.body),
        Place::Group => group(h.body),
    };
    let user = text(h.body, "/user_username")
        .or_else(|| text(h.body, "/user_name"))
        .map(|name| target("user", id(h.body, "/user_id"), name));
    let who = name_or(user.as_ref(), "someone");
    let what = format!(
        "{} {}",
        place.word(),
        name_or(resource.as_ref(), "(unnamed)")
    );
    let level = match place {
        Place::Project => h.body.get("access_level"),
        Place::Group => h.body.get("group_access"),
    }
    .and_then(role);
    let as_level = level
        .as_deref()
        .map(|level| format!(" as {level}"))
        .unwrap_or_default();
    let summary = match verb {
        "created" => format!("{who} requested access to {what}{as_level}"),
        "revoked" => format!("{who}'s access request to {what} was withdrawn"),
        "denied" => format!("{who}'s access request to {what} was denied"),
        _ => format!("{who}'s access request to {what} changed"),
    };
    // Only the request itself is plainly the user's own doing.
    let actor = match (verb, &user) {
        ("created", Some(user)) => user_actor(&user.name, user.id.clone()),
        _ => unknown_actor(),
    };
    let at: Option<DateTime<Utc>> = match verb {
        "created" => time_at(h.body, &["/created_at"]),
        _ => None,
    };
    let scope = scope_of(resource.as_ref());
    Ok(Draft::new(
        format!("{}.access_request.{verb}", place.word()),
        &summary,
        actor,
    )
    .target(user)
    .target(resource)
    .scope(scope)
    .at(at)
    .detail("hook", h.header)
    .detail("role", level)
    .details(pick(h.body, &["user_email", "expires_at"])))
}
