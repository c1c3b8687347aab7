//! Grant changes stated by audit-log records: members added to or removed from the
//! organization, repositories and teams, their roles changed, teams given repositories,
//! enterprise owners.
//!
//! Identities. Webhooks and snapshots write grants with GitHub's numeric ids
//! (`github:user:583231`); audit records name things instead (`"user": "monalisa"`,
//! `"repo": "octo-org/app"`, `"team": "octo-org/admins"`), and only streamed records add ids
//! (`user_id`, `repo_id`, `team_id`, `org_id`). An id in the record is used whenever present,
//! so the grant is the same one a webhook opened or a snapshot lists. Without one the name
//! stands in, in a form that cannot be mistaken for an id: `github:login:<login>` for a user,
//! `github:repo:<owner/name>` and `github:team:<org/slug>` (names hold a `/`, ids never do),
//! `github:org:<login>`; lowercased, as GitHub matches names without regard to case. Such
//! grants do not join up with id-based ones, but they are in the same scope, so the next
//! snapshot of the organization closes them and opens the id-based grants in their place.

use super::audit::Record;
use super::grants::{
    org_role, Changes, Identity, DEFAULT_COLLABORATOR_PERMISSION, DEFAULT_TEAM_PERMISSION,
};
use super::json::plain_permission;
use crate::grant::GrantChange;
use chrono::{DateTime, Utc};

/// An identity by the record's id for it when there is one, else by its lowercased name.
fn identity(
    record: &Record<'_>,
    kind: &'static str,
    name_key: &str,
    id_key: &str,
    name_prefix: &str,
) -> Option<Identity> {
    let name = match name_key {
        "repo" => record.repo(),
        "org" => record.org(),
        key => record.text(key),
    }?;
    Some(match record.id(id_key) {
        Some(id) => Identity::new(kind, &id, name),
        None => Identity {
            kind,
            id: format!("github:{name_prefix}:{}", name.to_lowercase()),
            name: name.to_owned(),
        },
    })
}

fn user(record: &Record<'_>) -> Option<Identity> {
    identity(record, "user", "user", "user_id", "login")
}

fn team(record: &Record<'_>) -> Option<Identity> {
    identity(record, "team", "team", "team_id", "team")
}

fn repo(record: &Record<'_>) -> Option<Identity> {
    identity(record, "repository", "repo", "repo_id", "repo")
}

fn org(record: &Record<'_>) -> Option<Identity> {
    identity(record, "org", "org", "org_id", "org")
}

fn enterprise(record: &Record<'_>) -> Option<Identity> {
    identity(
        record,
        "enterprise",
        "business",
        "business_id",
        "enterprise",
    )
}

/// An organization role in GitHub's words, other words (`billing_manager`) kept as they are.
fn org_word(permission: Option<&str>) -> Option<&str> {
    permission.map(|p| org_role(p).unwrap_or(p))
}

/// A repository permission in the words of GitHub's UI (`push` → `write`).
fn repo_word(permission: Option<&str>) -> Option<&str> {
    permission.map(plain_permission)
}

/// The grant changes one record states; none for the actions that change no access, and none
/// when the record leaves out whom or what (Panther's hand-cut samples often do).
pub(super) fn changes(record: &Record<'_>, at: DateTime<Utc>) -> Vec<GrantChange> {
    let evidence = format!(
        "{} audit-log entry by {}",
        record.action,
        record.actor_name()
    );
    let to = record.text("permission");
    let from = record.text("old_permission");
    if let Some(business) = record.action.strip_prefix("business.") {
        let (Some(user), Some(enterprise), Some(name)) =
            (user(record), enterprise(record), record.text("business"))
        else {
            return Vec::new();
        };
        let scope = format!("github:enterprise:{}", name.to_lowercase());
        let mut changes = Changes::new(scope, at, evidence);
        match business {
            "add_admin" => changes.add(&user, &enterprise, "admin"),
            "remove_admin" => changes.remove(&user, &enterprise, "admin"),
            _ => {}
        }
        return changes.list;
    }
    let Some(org_login) = record.org() else {
        return Vec::new();
    };
    let mut changes = Changes::new(
        format!("github:org:{}", org_login.to_lowercase()),
        at,
        evidence,
    );
    let member = "member";
    let maintainer = "maintainer";
    match record.action {
        "org.add_member" | "org.remove_member" | "org.update_member" => {
            let (Some(user), Some(org)) = (user(record), org(record)) else {
                return Vec::new();
            };
            match record.action {
                "org.add_member" => changes.add(&user, &org, org_word(to).unwrap_or(member)),
                // A removal may name no role; whichever was held ends.
                "org.remove_member" => changes.remove_stated(&user, &org, org_word(from.or(to))),
                _ => changes.change(&user, &org, org_word(from), org_word(to)),
            }
        }
        "repo.add_member" | "repo.remove_member" | "repo.update_member" => {
            let (Some(user), Some(repo)) = (user(record), repo(record)) else {
                return Vec::new();
            };
            let default = DEFAULT_COLLABORATOR_PERMISSION;
            match record.action {
                "repo.add_member" => changes.add(&user, &repo, repo_word(to).unwrap_or(default)),
                "repo.remove_member" => changes.remove_stated(&user, &repo, repo_word(from.or(to))),
                _ => changes.change(&user, &repo, repo_word(from), repo_word(to)),
            }
        }
        "team.add_member"
        | "team.remove_member"
        | "team.promote_maintainer"
        | "team.demote_maintainer" => {
            let (Some(user), Some(team)) = (user(record), team(record)) else {
                return Vec::new();
            };
            match record.action {
                "team.add_member" => changes.add(&user, &team, member),
                "team.remove_member" => changes.remove_stated(&user, &team, None),
                "team.promote_maintainer" => {
                    changes.change(&user, &team, Some(member), Some(maintainer))
                }
                _ => changes.change(&user, &team, Some(maintainer), Some(member)),
            }
        }
        "team.add_repository" | "team.remove_repository" | "team.update_repository_permission" => {
            let (Some(team), Some(repo)) = (team(record), repo(record)) else {
                return Vec::new();
            };
            let default = DEFAULT_TEAM_PERMISSION;
            match record.action {
                "team.add_repository" => {
                    changes.add(&team, &repo, repo_word(to).unwrap_or(default))
                }
                "team.remove_repository" => {
                    changes.remove_stated(&team, &repo, repo_word(from.or(to)))
                }
                _ => changes.change(&team, &repo, repo_word(from), repo_word(to)),
            }
        }
        // A deleted team or repository takes every grant held by or on it along.
        "team.destroy" => {
            if let Some(team) = team(record) {
                changes.end_held_by(&team);
                changes.end_held_on(&team);
            }
        }
        "repo.destroy" => {
            if let Some(repo) = repo(record) {
                changes.end_held_on(&repo);
            }
        }
        _ => {}
    }
    changes.list
}
