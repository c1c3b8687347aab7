//! Audit events of membership changes (`member_created`, `member_updated`,
//! `member_destroyed`, and the older `add`/`remove`/`change` of `user_access`): the event's
//! words and the grant changes they state.

use super::Audit;
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use crate::model::Actor;
use crate::normalize::gitlab::event::Draft;
use crate::normalize::gitlab::members::Place;
use crate::normalize::gitlab::words::role;
use chrono::{DateTime, Utc};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    Added,
    Removed,
    Updated,
}

/// The roles a membership record states: the one before a change (`from`) and the one given
/// (`to`, else `as`).
struct Roles {
    old: Option<String>,
    new: Option<String>,
}

impl Audit<'_> {
    /// Whether the record is a membership change, by its event name or, in records older
    /// than event names, by its `add` / `remove` / `change` detail.
    pub(super) fn member_change(&self) -> Option<Change> {
        match self.event_name() {
            Some("member_created") => return Some(Change::Added),
            Some("member_updated") => return Some(Change::Updated),
            Some("member_destroyed") => return Some(Change::Removed),
            _ => {}
        }
        if self.text("add") == Some("user_access") {
            Some(Change::Added)
        } else if self.text("remove") == Some("user_access") {
            Some(Change::Removed)
        } else if self.text("change") == Some("access_level") {
            Some(Change::Updated)
        } else {
            None
        }
    }

    /// The member, when the record names them reliably. Records written by GitLab before
    /// audit events had names and `member_id` put the membership's id in `target_id`, not
    /// the user's; those yield the event but no grant change.
    fn member(&self) -> Option<(String, String)> {
        let named = self.event_name().is_some() || self.get("member_id").is_some();
        let is_user = self.text("target_type").is_none_or(|t| t == "User");
        let user_id = self
            .id("target_id")
            .filter(|id| id.parse::<i64>().is_ok_and(|n| n > 0))?;
        let name = self
            .text("target_details")
            .map_or_else(|| format!("user {user_id}"), str::to_owned);
        (named && is_user).then_some((user_id, name))
    }

    /// The event of a membership change and the grant changes it states.
    pub(super) fn membership(
        &self,
        change: Change,
        place: Place,
        actor: &Actor,
        event_id: &str,
        at: DateTime<Utc>,
    ) -> Draft {
        let author = actor.name.as_str();
        let who = self.text("target_details").unwrap_or("a user");
        let path = self.text("entity_path").map_or_else(
            || {
                format!(
                    "{} {}",
                    place.word(),
                    self.id("entity_id").unwrap_or_default()
                )
            },
            |p| format!("{} {p}", place.word()),
        );
        let roles = Roles {
            old: self.get("from").and_then(role),
            new: self
                .get("to")
                .and_then(role)
                .or_else(|| self.get("as").and_then(role)),
        };
        let (verb, summary) = match change {
            Change::Added => (
                "added",
                match &roles.new {
                    Some(r) => format!("{author} added {who} to {path} as {r}"),
                    None => format!("{author} added {who} to {path}"),
                },
            ),
            Change::Updated => {
                let change = match (&roles.old, &roles.new) {
                    (Some(from), Some(to)) if from != to => format!(" from {from} to {to}"),
                    (_, Some(to)) => format!(" to {to}"),
                    _ => String::new(),
                };
                (
                    "updated",
                    format!("{author} changed {who}'s role in {path}{change}"),
                )
            }
            Change::Removed => (
                "removed",
                match self.text("reason") {
                    Some(reason) => format!("{who}'s membership of {path} ended: {reason}"),
                    None => format!("{author} removed {who} from {path}"),
                },
            ),
        };
        let expiry = self
            .text("expiry_to")
            .map(|d| format!(", expires {d}"))
            .unwrap_or_default();
        let evidence = format!(
            "GitLab audit event {event_id} ({}) by {author}{expiry}",
            self.native_action()
        );
        let grants = self.grant_changes(change, place, roles, at, &evidence);
        let native = self.native_action();
        Draft::new(
            format!("{}.member.{verb}", place.word()),
            &summary,
            actor.clone(),
        )
        .details(self.details_shown())
        .detail("event_name", native)
        .grants(grants)
    }

    fn grant_changes(
        &self,
        change: Change,
        place: Place,
        roles: Roles,
        at: DateTime<Utc>,
        evidence: &str,
    ) -> Vec<GrantChange> {
        let (Some((user_id, user_name)), Some(entity_id)) = (self.member(), self.id("entity_id"))
        else {
            return Vec::new();
        };
        let resource_id = format!("gitlab:{}:{entity_id}", place.word());
        let grant = |permission: String| Grant {
            scope: resource_id.clone(),
            principal: Principal {
                kind: "user".into(),
                id: format!("gitlab:user:{user_id}"),
                name: user_name.clone(),
            },
            resource: Resource {
                kind: place.word().into(),
                id: resource_id.clone(),
                name: self
                    .text("entity_path")
                    .map_or_else(|| resource_id.clone(), str::to_owned),
            },
            permission,
            via: String::new(),
        };
        let changed = |op: GrantOp, role: String| GrantChange {
            at,
            grant: grant(role),
            op,
            evidence: evidence.to_owned(),
        };
        match change {
            Change::Added => roles
                .new
                .map(|r| changed(GrantOp::Added, r))
                .into_iter()
                .collect(),
            // A removal that does not say the role (GitLab before `as` was recorded on
            // removals) cannot name the grant it ends: the event stands alone.
            Change::Removed => self
                .get("as")
                .and_then(role)
                .map(|r| changed(GrantOp::Removed, r))
                .into_iter()
                .collect(),
            // The same role on both sides is a change of expiry only: no grant changes.
            Change::Updated if roles.old == roles.new => Vec::new(),
            Change::Updated => roles
                .old
                .map(|r| changed(GrantOp::Removed, r))
                .into_iter()
                .chain(roles.new.map(|r| changed(GrantOp::Added, r)))
                .collect(),
        }
    }
}
