//! A snapshot of one organization's access, read from GitHub's REST API (delivery kind
//! `org_snapshot`) → one [`GrantSnapshot`] of scope `github:org:<login>` (login lowercased).
//!
//! # The file
//!
//! One JSON object. Every item in it is an item of a REST API response as GitHub sends it;
//! whoever builds the file (a script paging through the API) only nests them and adds the few
//! fields named "added" below. Unknown fields are ignored, so whole response items can be
//! copied in.
//!
//! | field | what it holds |
//! | --- | --- |
//! | `org` | `GET /orgs/{org}`; `id` and `login` are required, `default_repository_permission` is read |
//! | `taken_at` | optional: when the API was read, RFC 3339; without it, the time the file arrived |
//! | `members[]` | `GET /orgs/{org}/members` items; added: `role` (`admin` or `member`) and, optionally, `state`, from `GET /orgs/{org}/memberships/{username}` |
//! | `teams[]` | `GET /orgs/{org}/teams` items, with their `parent` (null or a team); added: `members`, `repos` |
//! | `teams[].members[]` | `GET /orgs/{org}/teams/{team_slug}/members` items; added: `role` (`maintainer` or `member`) and, optionally, `state`, from `GET /orgs/{org}/teams/{team_slug}/memberships/{username}` |
//! | `teams[].repos[]` | `GET /orgs/{org}/teams/{team_slug}/repos` items: their `role_name` / `permissions` are the team's access |
//! | `repos[]` | `GET /orgs/{org}/repos` items; added: `collaborators`, `deploy_keys` |
//! | `repos[].collaborators[]` | `GET /repos/{owner}/{repo}/collaborators?affiliation=direct` items (`role_name` / `permissions`) |
//! | `repos[].deploy_keys[]` | `GET /repos/{owner}/{repo}/keys` items (`id`, `title`, `read_only`) |
//! | `outside_collaborators[]` | `GET /orgs/{org}/outside_collaborators` items |
//!
//! Every list is required, `[]` when empty, and a malformed item fails the whole file: a
//! snapshot closes every grant of its scope that it does not list, so a list left out or an
//! item skipped would read as access taken away. Items whose `state` is `pending` (an
//! invitation not yet accepted) grant nothing and are left out.
//!
//! Two things about the API's answers to know when building the file. A team's member list
//! includes the members of its child teams, so they also appear as direct members of the
//! parent. And collaborators must be listed with `affiliation=direct`: the default (`all`)
//! includes everyone who reaches the repository through a team or the organization, which would
//! read as direct grants.
//!
//! # The grants
//!
//! Each grant is one hop, with `via` empty; paths (mona → team → repository) are computed when
//! access is queried. Permissions are GitHub's words: a `role_name` when given (it names
//! `maintain`, `triage` and custom roles), else the highest of `permissions`.
//!
//! - member → org: `admin` or `member` (`role`; `member` when absent).
//! - team member → team: `maintainer` or `member` (`role`; `member` when absent).
//! - team → repository: the team's permission.
//! - child team → parent team: `child_of`. A child team's members inherit the parent's access.
//!   One edge per nesting keeps the fact where GitHub states it; writing it into `via` instead
//!   would mean copying each of the parent's repository grants onto every child, copies that a
//!   later change to the parent could not keep in step. The graph walks team → team the same
//!   way it walks user → team.
//! - org → repository: the org's `default_repository_permission` (unless `none`), the access
//!   every member has on every repository; a member reaches it through their org grant.
//! - collaborator → repository: their permission.
//! - deploy key → repository: `read` when `read_only`, else `write`.
//! - outside collaborator → org: `outside_collaborator`. It grants nothing by itself (their
//!   access is the collaborator grants), but it is what a review of outsiders starts from.
//!
//! # Example
//!
//! ```json
//! {
//!   "org": {"login": "Octo-Org", "id": 9919, "default_repository_permission": "read"},
//!   "taken_at": "2024-05-01T12:00:00Z",
//!   "members": [{"login": "mona", "id": 1, "role": "admin"},
//!               {"login": "hubot", "id": 2, "role": "member"}],
//!   "teams": [
//!     {"id": 10, "slug": "platform", "parent": null,
//!      "members": [{"login": "hubot", "id": 2, "role": "maintainer"}],
//!      "repos": [{"id": 100, "full_name": "Octo-Org/infra", "role_name": "maintain"}]},
//!     {"id": 11, "slug": "oncall", "parent": {"id": 10, "slug": "platform"},
//!      "members": [], "repos": []}
//!   ],
//!   "repos": [
//!     {"id": 100, "full_name": "Octo-Org/infra",
//!      "collaborators": [{"login": "lisa", "id": 3,
//!                         "permissions": {"admin": false, "push": true, "pull": true}}],
//!      "deploy_keys": [{"id": 7, "title": "ci", "read_only": true}]}
//!   ],
//!   "outside_collaborators": [{"login": "lisa", "id": 3}]
//! }
//! ```
//!
//! is the snapshot of `github:org:octo-org` at 2024-05-01T12:00:00Z holding:
//!
//! ```text
//! github:user:1 (mona)              → github:org:9919 (Octo-Org)          admin
//! github:user:2 (hubot)             → github:org:9919                     member
//! github:user:2                     → github:team:10 (Octo-Org/platform)  maintainer
//! github:team:10                    → github:repo:100 (Octo-Org/infra)    maintain
//! github:team:11 (Octo-Org/oncall)  → github:team:10                      child_of
//! github:org:9919                   → github:repo:100                     read
//! github:user:3 (lisa)              → github:repo:100                     write
//! github:deploy_key:7 (ci)          → github:repo:100                     read
//! github:user:3                     → github:org:9919                     outside_collaborator
//! ```

use super::grants::{
    deploy_key_identity, deploy_key_permission, org_identity, org_role, repo_identity,
    team_identity, user_identity, Identity, CHILD_OF,
};
use super::json::{flag, permission_level, text, timestamp};
use crate::grant::{Grant, GrantSnapshot};
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use serde_json::Value;

pub(super) fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let body: Value = serde_json::from_slice(delivery.body)?;
    if !body.is_object() {
        return Err(NormalizeError::Invalid(
            "an org snapshot is a JSON object".into(),
        ));
    }
    let org_item = body
        .get("org")
        .filter(|org| org.is_object())
        .ok_or(NormalizeError::Missing("org"))?;
    let login = text(org_item, "/login").ok_or(NormalizeError::Missing("org.login"))?;
    let org = org_identity(org_item).ok_or(NormalizeError::Missing("org.id"))?;
    let at = match body.get("taken_at") {
        None | Some(Value::Null) => delivery.received_at,
        Some(value) => timestamp(value)
            .ok_or_else(|| NormalizeError::Invalid(format!("`taken_at` is not a time: {value}")))?,
    };
    let scope = format!("github:org:{}", login.to_lowercase());
    let mut grants = Grants {
        scope: scope.clone(),
        list: Vec::new(),
    };
    members(&body, &org, &mut grants)?;
    teams(&body, login, &mut grants)?;
    repos(&body, org_item, &org, &mut grants)?;
    for (n, item) in list(&body, "outside_collaborators", "")?.iter().enumerate() {
        let user =
            user_identity(item).ok_or_else(|| lacks(&format!("outside_collaborators[{n}]")))?;
        grants.add(&user, &org, "outside_collaborator");
    }
    // One grant once, in one order, whatever order the API listed them in.
    grants.list.sort();
    grants.list.dedup();
    Ok(Normalized {
        snapshots: vec![GrantSnapshot {
            at,
            scope,
            grants: grants.list,
        }],
        ..Normalized::default()
    })
}

struct Grants {
    scope: String,
    list: Vec<Grant>,
}

impl Grants {
    fn add(&mut self, principal: &Identity, resource: &Identity, permission: &str) {
        self.list.push(Grant {
            scope: self.scope.clone(),
            principal: principal.principal(),
            resource: resource.resource(),
            permission: permission.to_owned(),
            via: String::new(),
        });
    }
}

/// The list at `key`, required: `place` is where `value` is (`teams[2].`), for the message.
fn list<'a>(value: &'a Value, key: &str, place: &str) -> Result<&'a [Value], NormalizeError> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| {
            NormalizeError::Invalid(format!(
                "`{place}{key}` is missing or not a list (write [] when there are none)"
            ))
        })
}

fn lacks(place: &str) -> NormalizeError {
    NormalizeError::Invalid(format!("`{place}` has no usable `id` and name"))
}

/// An invitation not yet accepted: listed by some endpoints, granting nothing yet.
fn pending(item: &Value) -> bool {
    text(item, "/state") == Some("pending")
}

/// A repository permission: `role_name` (custom roles included), else the highest of
/// `permissions`; `None` when the item says neither or grants nothing.
fn repo_permission(item: &Value) -> Option<&str> {
    text(item, "/role_name").or_else(|| {
        item.get("permissions")
            .and_then(permission_level)
            .filter(|level| *level != "none")
    })
}

fn no_permission(place: &str) -> NormalizeError {
    NormalizeError::Invalid(format!(
        "`{place}` says no permission (`role_name` or `permissions`)"
    ))
}

fn members(body: &Value, org: &Identity, grants: &mut Grants) -> Result<(), NormalizeError> {
    for (n, item) in list(body, "members", "")?.iter().enumerate() {
        if pending(item) {
            continue;
        }
        let user = user_identity(item).ok_or_else(|| lacks(&format!("members[{n}]")))?;
        // Other roles GitHub may add (`billing_manager`) are kept in its own word.
        let role = text(item, "/role").map_or("member", |role| org_role(role).unwrap_or(role));
        grants.add(&user, org, role);
    }
    Ok(())
}

fn teams(body: &Value, login: &str, grants: &mut Grants) -> Result<(), NormalizeError> {
    for (n, item) in list(body, "teams", "")?.iter().enumerate() {
        let place = format!("teams[{n}]");
        let team = team_identity(item, Some(login)).ok_or_else(|| lacks(&place))?;
        if let Some(parent) = item.get("parent").filter(|parent| !parent.is_null()) {
            let parent = team_identity(parent, Some(login))
                .ok_or_else(|| lacks(&format!("{place}.parent")))?;
            grants.add(&team, &parent, CHILD_OF);
        }
        for (m, member) in list(item, "members", &format!("{place}."))?
            .iter()
            .enumerate()
        {
            if pending(member) {
                continue;
            }
            let user =
                user_identity(member).ok_or_else(|| lacks(&format!("{place}.members[{m}]")))?;
            grants.add(&user, &team, text(member, "/role").unwrap_or("member"));
        }
        for (m, repo) in list(item, "repos", &format!("{place}."))?
            .iter()
            .enumerate()
        {
            let here = format!("{place}.repos[{m}]");
            let resource = repo_identity(repo).ok_or_else(|| lacks(&here))?;
            let permission = repo_permission(repo).ok_or_else(|| no_permission(&here))?;
            grants.add(&team, &resource, permission);
        }
    }
    Ok(())
}

fn repos(
    body: &Value,
    org_item: &Value,
    org: &Identity,
    grants: &mut Grants,
) -> Result<(), NormalizeError> {
    let base = text(org_item, "/default_repository_permission").filter(|p| *p != "none");
    for (n, item) in list(body, "repos", "")?.iter().enumerate() {
        let place = format!("repos[{n}]");
        let repo = repo_identity(item).ok_or_else(|| lacks(&place))?;
        if let Some(base) = base {
            grants.add(org, &repo, base);
        }
        for (m, person) in list(item, "collaborators", &format!("{place}."))?
            .iter()
            .enumerate()
        {
            let here = format!("{place}.collaborators[{m}]");
            let user = user_identity(person).ok_or_else(|| lacks(&here))?;
            let permission = repo_permission(person).ok_or_else(|| no_permission(&here))?;
            grants.add(&user, &repo, permission);
        }
        for (m, key) in list(item, "deploy_keys", &format!("{place}."))?
            .iter()
            .enumerate()
        {
            let identity = deploy_key_identity(key)
                .ok_or_else(|| lacks(&format!("{place}.deploy_keys[{m}]")))?;
            grants.add(
                &identity,
                &repo,
                deploy_key_permission(flag(key, "/read_only")),
            );
        }
    }
    Ok(())
}
