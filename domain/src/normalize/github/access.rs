//! Who may do what: repository collaborators, organization members, teams, blocked users
//! and (GHES) user accounts. These are the events an access review is made of.

use super::json::{first_time, flag, id, object, permission_level, pick, plain_permission, text};
use super::{target, team_target, user_target, Delivery, Draft};
use crate::model::Target;
use serde_json::Value;

/// `member`: someone was made a collaborator on a repository, or their permission changed.
pub(super) fn collaborator(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("added");
    let member = d.body.get("member").and_then(user_target);
    let who = member.as_ref().map_or("someone", |t| t.name.as_str());
    let repo = d.repo_name();
    // Newer payloads say `changes.permission.{from,to}`; older ones `changes.old_permission.from`.
    let to = text(d.body, "/changes/permission/to").map(plain_permission);
    let from = text(d.body, "/changes/permission/from")
        .or_else(|| text(d.body, "/changes/old_permission/from"))
        .map(plain_permission);
    let summary = match action {
        "added" => match to {
            Some(to) => format!("{} added {who} as collaborator ({to}) to {repo}", d.who()),
            None => format!("{} added {who} as collaborator to {repo}", d.who()),
        },
        "removed" => format!("{} removed {who} as collaborator from {repo}", d.who()),
        "edited" => {
            let change = match (from, to) {
                (Some(from), Some(to)) => format!(" ({from} → {to})"),
                (Some(from), None) => format!(" (was {from})"),
                (None, Some(to)) => format!(" (now {to})"),
                (None, None) => String::new(),
            };
            format!("{} changed {who}'s permission on {repo}{change}", d.who())
        }
        other => format!("{} {other} collaborator {who} on {repo}", d.who()),
    };
    Draft::new(format!("repo.collaborator.{action}"), summary)
        .target(member)
        .target(d.repo())
        .detail("permission", to)
        .detail("changes", d.changes())
}

/// `membership`: someone joined or left a team.
pub(super) fn team_member(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("added");
    let member = d.body.get("member").and_then(user_target);
    let who = member.as_ref().map_or("someone", |t| t.name.as_str());
    let team = d
        .body
        .get("team")
        .and_then(|team| team_target(team, d.org_login()));
    let team_name = team.as_ref().map_or("a team", |t| t.name.as_str());
    let summary = match action {
        "added" => format!("{} added {who} to team {team_name}", d.who()),
        "removed" => format!("{} removed {who} from team {team_name}", d.who()),
        other => format!("{} {other} {who} in team {team_name}", d.who()),
    };
    let mut extras = pick(d.body, &["scope"]);
    // A team deleted since keeps only its id and name, and says so.
    if flag(d.body, "/team/deleted") {
        extras.insert("team_deleted".into(), Value::Bool(true));
    }
    Draft::new(format!("team.member.{action}"), summary)
        .target(member)
        .target(team)
        .details(extras)
}

/// `organization`: members added, removed or invited; the organization renamed or deleted.
pub(super) fn organization(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("edited");
    let org = d.org_login().unwrap_or("an organization");
    let member = d
        .body
        .pointer("/membership/user")
        .or_else(|| d.body.get("user"))
        .and_then(user_target)
        .or_else(|| invitee(d.body));
    let who = member.as_ref().map_or("someone", |t| t.name.as_str());
    let role = text(d.body, "/membership/role").or_else(|| text(d.body, "/invitation/role"));
    let role_note = role
        .map(|r| format!(" as {}", r.replace('_', " ")))
        .unwrap_or_default();
    let (verb, summary) = match action {
        "member_added" => (
            "member.added",
            format!("{} added {who} to org {org}{role_note}", d.who()),
        ),
        "member_removed" => (
            "member.removed",
            format!("{} removed {who} from org {org}", d.who()),
        ),
        "member_invited" => (
            "member.invited",
            format!("{} invited {who} to org {org}{role_note}", d.who()),
        ),
        "renamed" => {
            let old = text(d.body, "/changes/login/from").unwrap_or("its old name");
            ("renamed", format!("{} renamed org {old} to {org}", d.who()))
        }
        other => (
            other,
            format!("{} {} org {org}", d.who(), other.replace('_', " ")),
        ),
    };
    let mut extras = pick(
        d.body.get("membership").unwrap_or(&Value::Null),
        &["role", "state"],
    );
    if let Some(invitation) = d.body.get("invitation") {
        extras.extend(pick(invitation, &["role", "email", "team_count"]));
    }
    // Without a member, the organization itself is what was acted on (renamed, deleted).
    let org_target = d
        .org_login()
        .map(|login| target("org", id(d.body, "/organization/id"), login));
    Draft::new(format!("org.{verb}"), summary)
        .target(member.or(org_target))
        .at(first_time(d.body, &["/invitation/created_at"]))
        .details(extras)
        .detail("changes", d.changes())
}

/// An invitation by email has no user account yet: the email is what names the person.
fn invitee(body: &Value) -> Option<Target> {
    let name = text(body, "/invitation/login").or_else(|| text(body, "/invitation/email"))?;
    Some(target("user", id(body, "/invitation/id"), name))
}

/// `org_block`: an organization blocked or unblocked a user.
pub(super) fn org_block(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("blocked");
    let user = d.body.get("blocked_user").and_then(user_target);
    let who = user.as_ref().map_or("someone", |t| t.name.as_str());
    let org = d.org_login().unwrap_or("an organization");
    let summary = match action {
        "blocked" => format!("{} blocked {who} from org {org}", d.who()),
        "unblocked" => format!("{} unblocked {who} in org {org}", d.who()),
        other => format!("{} {other} {who} in org {org}", d.who()),
    };
    Draft::new(format!("org.user.{action}"), summary).target(user)
}

/// `team`: teams created, edited, deleted, and their access to repositories.
pub(super) fn team(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("edited");
    let team = d
        .body
        .get("team")
        .and_then(|team| team_target(team, d.org_login()));
    let name = team.as_ref().map_or("a team", |t| t.name.as_str());
    let repo = d.repo_name();
    let repo_permissions = object(d.body, "/changes/repository/permissions/from");
    let (verb, summary) = match action {
        "edited" if repo_permissions.is_some() => {
            let from = repo_permissions
                .and_then(permission_level)
                .unwrap_or("unknown");
            let to = d
                .body
                .pointer("/repository/permissions")
                .and_then(permission_level)
                .unwrap_or("unknown");
            let summary = format!(
                "{} changed team {name}'s access to {repo} from {from} to {to}",
                d.who()
            );
            ("repo.permission_changed", summary)
        }
        "edited" => (
            "edited",
            format!("{} edited team {name}{}", d.who(), d.changed_fields()),
        ),
        "added_to_repository" => (
            "repo.added",
            format!(
                "{} gave team {name} {} access to {repo}",
                d.who(),
                team_access(d)
            ),
        ),
        "removed_from_repository" => (
            "repo.removed",
            format!("{} removed team {name}'s access to {repo}", d.who()),
        ),
        other => (
            other,
            format!("{} {} team {name}", d.who(), other.replace('_', " ")),
        ),
    };
    let extras = pick(
        d.body.get("team").unwrap_or(&Value::Null),
        &["privacy", "permission"],
    );
    Draft::new(format!("team.{verb}"), summary)
        .target(team)
        .target(d.repo())
        .details(extras)
        .detail("changes", d.changes())
}

/// `team_add`: a team was given access to a repository (the older form of
/// `team.added_to_repository`, still sent).
pub(super) fn team_add(d: &Delivery<'_>) -> Draft {
    let team = d
        .body
        .get("team")
        .and_then(|team| team_target(team, d.org_login()));
    let name = team.as_ref().map_or("a team", |t| t.name.as_str());
    let summary = format!(
        "{} gave team {name} {} access to {}",
        d.who(),
        team_access(d),
        d.repo_name()
    );
    Draft::new("team.repo.added", summary)
        .target(team)
        .target(d.repo())
        .detail("permission", text(d.body, "/team/permission"))
}

/// The access a team has on the repository of the payload: the repository's own view of it
/// when present, else the team's default permission.
fn team_access<'a>(d: &Delivery<'a>) -> &'a str {
    let from_repo = d
        .body
        .pointer("/repository/permissions")
        .and_then(permission_level);
    from_repo
        .or_else(|| text(d.body, "/team/permission").map(plain_permission))
        .unwrap_or("some")
}

/// `user` (GHES): an account was created or deleted on the instance.
pub(super) fn user(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("edited");
    let user = d.body.get("user").and_then(user_target);
    let who = user.as_ref().map_or("a user", |t| t.name.as_str());
    let summary = format!("{} {} user {who}", d.who(), action.replace('_', " "));
    Draft::new(format!("user.{action}"), summary).target(user)
}
