//! The access a webhook says was gained or lost, as [`GrantChange`]s, and how GitHub's
//! accounts, teams, repositories, keys and apps are written as grant identities (shared with
//! the audit log and the org snapshot, so all three name the same thing the same way).
//!
//! Identities use GitHub's numeric ids (`github:user:583231`, `github:team:3253328`,
//! `github:repo:1296269`, `github:org:9919`): logins and repositories are renamed, ids are not.
//! Every grant is one hop (user → team, team → repository, user → org); a person's effective
//! access is the path through them, computed at query time, so `via` stays empty here.
//!
//! A webhook states one side of a change and is silent on the other more often than not (a
//! removal rarely says the permission that was held). A removal that does not say it ends
//! whatever was held ([`ANY`]: the store closes every matching open grant); an addition that
//! does not say gets GitHub's default; where guessing would claim access nobody holds (an edit
//! that names only the old permission) nothing is written and the next snapshot settles it.

use super::json::{flag, id, object, permission_level, plain_permission, text};
use super::Delivery;
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource, ANY};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// What GitHub grants a collaborator added without a stated permission: the collaborators API
/// defaults to `push`, shown as `write`. A `member` webhook without `changes` is such a case.
pub(super) const DEFAULT_COLLABORATOR_PERMISSION: &str = "write";

/// What GitHub grants a team given a repository without a stated permission: the team's own
/// `permission`, which defaults to `pull`, shown as `read`.
pub(super) const DEFAULT_TEAM_PERMISSION: &str = "read";

/// An app installation's access to a repository or account. Its fine-grained permissions
/// (`contents: write`, ...) are in the event details; the grant records that it is installed.
const INSTALLED: &str = "installed";

/// A child team's edge to its parent team: the child's members inherit the parent's access.
pub(super) const CHILD_OF: &str = "child_of";

/// Something that can hold access or be held access on, before it is used as either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Identity {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
}

impl Identity {
    /// `kind` is also the middle of the id (`github:team:…`), except for repositories, whose
    /// kind word is `repository` and whose ids are written `github:repo:…`.
    pub fn new(kind: &'static str, id: &str, name: impl Into<String>) -> Self {
        let prefix = match kind {
            "repository" => "repo",
            other => other,
        };
        Identity {
            kind,
            id: format!("github:{prefix}:{id}"),
            name: name.into(),
        }
    }

    /// Stands for every principal or every resource in a removal that ends all of them.
    fn any() -> Self {
        Identity {
            kind: "any",
            id: ANY.to_owned(),
            name: ANY.to_owned(),
        }
    }

    pub fn principal(&self) -> Principal {
        Principal {
            kind: self.kind.into(),
            id: self.id.clone(),
            name: self.name.clone(),
        }
    }

    pub fn resource(&self) -> Resource {
        Resource {
            kind: self.kind.into(),
            id: self.id.clone(),
            name: self.name.clone(),
        }
    }
}

/// A user account (`member`, `membership.user`, a collaborator): its id and login.
pub(super) fn user_identity(account: &Value) -> Option<Identity> {
    let login = text(account, "/login")?;
    Some(Identity::new("user", &id(account, "/id")?, login))
}

/// A team, named `org/slug` as GitHub's audit log and @-mentions name it. A deleted team keeps
/// only its id and name, which is still enough to say which grants it ends.
pub(super) fn team_identity(team: &Value, org: Option<&str>) -> Option<Identity> {
    let team_id = id(team, "/id")?;
    let slug = text(team, "/slug").or_else(|| text(team, "/name"));
    let name = match (org, slug) {
        (Some(org), Some(slug)) => format!("{org}/{slug}"),
        (None, Some(slug)) => slug.to_owned(),
        (_, None) => format!("team {team_id}"),
    };
    Some(Identity::new("team", &team_id, name))
}

pub(super) fn repo_identity(repo: &Value) -> Option<Identity> {
    let repo_id = id(repo, "/id")?;
    let name = text(repo, "/full_name")
        .or_else(|| text(repo, "/name"))
        .map_or_else(|| format!("repository {repo_id}"), str::to_owned);
    Some(Identity::new("repository", &repo_id, name))
}

pub(super) fn org_identity(org: &Value) -> Option<Identity> {
    let login = text(org, "/login")?;
    Some(Identity::new("org", &id(org, "/id")?, login))
}

/// The account an app is installed on: an organization, or a user's own repositories.
fn account_identity(account: &Value) -> Option<Identity> {
    match text(account, "/type") {
        Some("Organization") => org_identity(account),
        _ => user_identity(account),
    }
}

/// The boundary a snapshot of this account covers: `github:org:<login>` for an organization,
/// `github:user:<login>` for a person's own repositories. Logins are matched without regard to
/// case on GitHub, so they are lowercased to keep one scope per account.
pub(super) fn account_scope(account: &Value) -> Option<String> {
    let login = text(account, "/login")?.to_lowercase();
    Some(match text(account, "/type") {
        Some("Organization") => format!("github:org:{login}"),
        Some("Enterprise") => format!("github:enterprise:{login}"),
        _ => format!("github:user:{login}"),
    })
}

/// The organization, else the repository's owner, else the account an app is installed on.
fn scope(body: &Value) -> Option<String> {
    if let Some(login) = text(body, "/organization/login") {
        return Some(format!("github:org:{}", login.to_lowercase()));
    }
    ["/repository/owner", "/installation/account"]
        .iter()
        .find_map(|pointer| body.pointer(pointer).and_then(account_scope))
}

/// The grant changes of one delivery or record, all in one scope, at one time, on one piece
/// of evidence.
pub(super) struct Changes {
    scope: String,
    at: DateTime<Utc>,
    evidence: String,
    pub list: Vec<GrantChange>,
}

impl Changes {
    pub fn new(scope: String, at: DateTime<Utc>, evidence: String) -> Self {
        Changes {
            scope,
            at,
            evidence,
            list: Vec::new(),
        }
    }

    fn push(&mut self, op: GrantOp, principal: &Identity, resource: &Identity, permission: &str) {
        self.list.push(GrantChange {
            at: self.at,
            grant: Grant {
                scope: self.scope.clone(),
                principal: principal.principal(),
                resource: resource.resource(),
                permission: permission.to_owned(),
                via: String::new(),
            },
            op,
            evidence: self.evidence.clone(),
        });
    }

    pub fn add(&mut self, principal: &Identity, resource: &Identity, permission: &str) {
        self.push(GrantOp::Added, principal, resource, permission);
    }

    pub fn remove(&mut self, principal: &Identity, resource: &Identity, permission: &str) {
        self.push(GrantOp::Removed, principal, resource, permission);
    }

    /// A removal that states the permission when it is known, else ends whatever `principal`
    /// held on `resource`.
    pub fn remove_stated(
        &mut self,
        principal: &Identity,
        resource: &Identity,
        permission: Option<&str>,
    ) {
        self.remove(principal, resource, permission.unwrap_or(ANY));
    }

    /// Everything held on `resource` ends: a deleted repository or team.
    pub fn end_held_on(&mut self, resource: &Identity) {
        self.remove(&Identity::any(), resource, ANY);
    }

    /// Everything `principal` held ends: a deleted team's repositories and its place under a
    /// parent.
    pub fn end_held_by(&mut self, principal: &Identity) {
        self.remove(principal, &Identity::any(), ANY);
    }

    /// A permission changed from one word to another: the old is removed and the new added.
    /// Without the new word nothing is written: removing the old alone would say the access
    /// ended, which it did not. Without the old word the new is added; the old stays open
    /// until a snapshot closes it, which overstates access rather than hiding it.
    pub fn change(
        &mut self,
        principal: &Identity,
        resource: &Identity,
        from: Option<&str>,
        to: Option<&str>,
    ) {
        let Some(to) = to else { return };
        match from {
            Some(from) if from == to => {}
            Some(from) => {
                self.remove(principal, resource, from);
                self.add(principal, resource, to);
            }
            None => self.add(principal, resource, to),
        }
    }
}

/// The grant changes a webhook states; none for the kinds that change no access.
pub(super) fn changes(d: &Delivery<'_>, at: DateTime<Utc>) -> Vec<GrantChange> {
    let Some(scope) = scope(d.body) else {
        return Vec::new();
    };
    let evidence = format!("{} webhook by {}", d.native_action(), d.who());
    let mut changes = Changes::new(scope, at, evidence);
    // An event summary may default a missing `action`; a grant is a fact and needs it said.
    match (d.kind.as_str(), d.action) {
        ("team_add", _) => team_add(d, &mut changes),
        ("member", Some(action)) => collaborator(d, action, &mut changes),
        ("membership", Some(action)) => team_member(d, action, &mut changes),
        ("organization", Some(action)) => org_member(d, action, &mut changes),
        ("team", Some(action)) => team_access(d, action, &mut changes),
        ("deploy_key", Some(action)) => deploy_key(d, action, &mut changes),
        // GHES sends `integration_installation` beside `installation` for the same change;
        // only `installation` is read, so the change is not written twice.
        ("installation", Some(action)) => installation(d, action, &mut changes),
        ("installation_repositories", _) => installation_repositories(d, &mut changes),
        // Every grant on a deleted repository ends with it.
        ("repository", Some("deleted")) => {
            if let Some(repo) = d.body.get("repository").and_then(repo_identity) {
                changes.end_held_on(&repo);
            }
        }
        _ => {}
    }
    changes.list
}

/// `member`: a repository collaborator added, removed, or given another permission.
fn collaborator(d: &Delivery<'_>, action: &str, changes: &mut Changes) {
    let member = d.body.get("member");
    let (Some(user), Some(repo)) = (
        member.and_then(user_identity),
        d.body.get("repository").and_then(repo_identity),
    ) else {
        return;
    };
    // `role_name` is the role as GitHub shows it (`maintain`, `triage`, custom roles);
    // `permission` is the legacy word that folds `maintain` into `write` and `triage` into
    // `read`, and `old_permission` the older payloads' name for the previous one.
    let to = text(d.body, "/changes/role_name/to")
        .or_else(|| text(d.body, "/changes/permission/to"))
        .or_else(|| member.and_then(|m| text(m, "/role_name")))
        .or_else(|| member.and_then(|m| m.get("permissions")).and_then(level))
        .map(plain_permission);
    let from = text(d.body, "/changes/role_name/from")
        .or_else(|| text(d.body, "/changes/permission/from"))
        .or_else(|| text(d.body, "/changes/old_permission/from"))
        .map(plain_permission);
    match action {
        "added" => changes.add(&user, &repo, to.unwrap_or(DEFAULT_COLLABORATOR_PERMISSION)),
        // A removal rarely names the permission; whichever was held ends.
        "removed" => changes.remove_stated(&user, &repo, from.or(to)),
        "edited" => changes.change(&user, &repo, from, to),
        _ => {}
    }
}

/// `membership`: someone joined or left a team. The payload never says as what: a maintainer
/// (added as one, or promoted later, which sends no webhook) reads as `member` here until a
/// snapshot says otherwise, and leaving ends the membership whichever it was.
fn team_member(d: &Delivery<'_>, action: &str, changes: &mut Changes) {
    if text(d.body, "/scope").is_some_and(|scope| scope != "team") {
        return;
    }
    let (Some(user), Some(team)) = (
        d.body.get("member").and_then(user_identity),
        d.body
            .get("team")
            .and_then(|t| team_identity(t, d.org_login())),
    ) else {
        return;
    };
    match action {
        "added" => changes.add(&user, &team, "member"),
        "removed" => changes.remove_stated(&user, &team, None),
        _ => {}
    }
}

/// An organization role in GitHub's two words: `admin` (owner) or `member`. The audit log
/// writes a member's role as `read`.
pub(super) fn org_role(role: &str) -> Option<&'static str> {
    match role {
        "admin" => Some("admin"),
        "member" | "direct_member" | "read" => Some("member"),
        _ => None,
    }
}

/// `organization`: members added or removed. An invitation grants nothing until it is
/// accepted, which GitHub sends as `member_added`.
fn org_member(d: &Delivery<'_>, action: &str, changes: &mut Changes) {
    let (Some(user), Some(org)) = (
        d.body.pointer("/membership/user").and_then(user_identity),
        d.body.get("organization").and_then(org_identity),
    ) else {
        return;
    };
    // After a removal the role reads `unaffiliated`: the role held before is not stated, and
    // whichever it was ends.
    let role = text(d.body, "/membership/role").and_then(org_role);
    match action {
        "member_added" => changes.add(&user, &org, role.unwrap_or("member")),
        "member_removed" => changes.remove_stated(&user, &org, role),
        _ => {}
    }
}

/// A permission object or `role_name` as one word, `None` when it grants nothing.
fn level(permissions: &Value) -> Option<&'static str> {
    permission_level(permissions).filter(|level| *level != "none")
}

/// The access the payload's team has on the payload's repository: the repository's own view
/// of it when it grants something, else the team's default permission.
fn team_repo_permission(body: &Value) -> Option<&str> {
    text(body, "/repository/role_name")
        .or_else(|| body.pointer("/repository/permissions").and_then(level))
        .or_else(|| text(body, "/team/permission").map(plain_permission))
}

/// `team`: a team's access to a repository, and its place under a parent team.
fn team_access(d: &Delivery<'_>, action: &str, changes: &mut Changes) {
    let Some(team) = d
        .body
        .get("team")
        .and_then(|t| team_identity(t, d.org_login()))
    else {
        return;
    };
    let repo = d.body.get("repository").and_then(repo_identity);
    let parent = d
        .body
        .pointer("/team/parent")
        .and_then(|p| team_identity(p, d.org_login()));
    match (action, repo, parent) {
        ("added_to_repository", Some(repo), _) => changes.add(
            &team,
            &repo,
            team_repo_permission(d.body).unwrap_or(DEFAULT_TEAM_PERMISSION),
        ),
        // The repository's permissions in a removal are the ones after it (all false): the
        // payload does not say what was held, and whatever it was ends.
        ("removed_from_repository", Some(repo), _) => changes.remove_stated(&team, &repo, None),
        ("edited", Some(repo), _) => {
            if let Some(from) = object(d.body, "/changes/repository/permissions/from") {
                let to = d.body.pointer("/repository/permissions").and_then(level);
                changes.change(&team, &repo, level(from), to);
            }
        }
        ("created", _, Some(parent)) => changes.add(&team, &parent, CHILD_OF),
        // The payload lists none of a deleted team's members or repositories, but all of them
        // end with it, and so does its place under a parent.
        ("deleted", _, _) => {
            changes.end_held_by(&team);
            changes.end_held_on(&team);
        }
        _ => {}
    }
}

/// `team_add`: a team was given a repository (the older form of `team.added_to_repository`).
fn team_add(d: &Delivery<'_>, changes: &mut Changes) {
    let (Some(team), Some(repo)) = (
        d.body
            .get("team")
            .and_then(|t| team_identity(t, d.org_login())),
        d.body.get("repository").and_then(repo_identity),
    ) else {
        return;
    };
    let permission = team_repo_permission(d.body).unwrap_or(DEFAULT_TEAM_PERMISSION);
    changes.add(&team, &repo, permission);
}

/// A deploy key writes when it is not read-only; a key that does not say is counted as
/// writing, the side that overstates rather than hides access.
pub(super) fn deploy_key_permission(read_only: bool) -> &'static str {
    if read_only {
        "read"
    } else {
        "write"
    }
}

pub(super) fn deploy_key_identity(key: &Value) -> Option<Identity> {
    let key_id = id(key, "/id")?;
    let title = text(key, "/title").map_or_else(|| format!("deploy key {key_id}"), str::to_owned);
    Some(Identity::new("deploy_key", &key_id, title))
}

/// `deploy_key`: an SSH key with access to one repository, added or removed.
fn deploy_key(d: &Delivery<'_>, action: &str, changes: &mut Changes) {
    let (Some(key), Some(repo)) = (
        d.body.get("key").and_then(deploy_key_identity),
        d.body.get("repository").and_then(repo_identity),
    ) else {
        return;
    };
    let permission = deploy_key_permission(flag(d.body, "/key/read_only"));
    match action {
        "created" => changes.add(&key, &repo, permission),
        "deleted" => changes.remove(&key, &repo, permission),
        _ => {}
    }
}

/// The app of an installation, by its app id: one app installed on several accounts is one
/// principal, each installation's grants in its own account's scope.
fn app(body: &Value) -> Option<Identity> {
    let app_id = id(body, "/installation/app_id")?;
    let name =
        text(body, "/installation/app_slug").map_or_else(|| format!("app {app_id}"), str::to_owned);
    Some(Identity::new("app", &app_id, name))
}

fn repositories(list: Option<&Value>) -> Vec<Identity> {
    list.and_then(Value::as_array)
        .map(|repos| repos.iter().filter_map(repo_identity).collect())
        .unwrap_or_default()
}

/// `installation`: an app installed or uninstalled, on all of an account's repositories (the
/// account is the resource) or on the ones listed.
fn installation(d: &Delivery<'_>, action: &str, changes: &mut Changes) {
    let Some(app) = app(d.body) else { return };
    let resources = match text(d.body, "/installation/repository_selection") {
        Some("all") => d
            .body
            .pointer("/installation/account")
            .and_then(account_identity)
            .into_iter()
            .collect(),
        _ => repositories(d.body.get("repositories")),
    };
    for resource in &resources {
        match action {
            "created" => changes.add(&app, resource, INSTALLED),
            "deleted" => changes.remove(&app, resource, INSTALLED),
            _ => {}
        }
    }
}

/// `installation_repositories`: repositories added to or removed from an installation.
fn installation_repositories(d: &Delivery<'_>, changes: &mut Changes) {
    let Some(app) = app(d.body) else { return };
    for repo in repositories(d.body.get("repositories_added")) {
        changes.add(&app, &repo, INSTALLED);
    }
    for repo in repositories(d.body.get("repositories_removed")) {
        changes.remove(&app, &repo, INSTALLED);
    }
}
