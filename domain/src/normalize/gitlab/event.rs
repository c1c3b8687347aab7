//! The parts of an event every GitLab payload shares: the event being built ([`Draft`]), who
//! acted, and the projects, groups and users payloads name.

use super::words::{id, line, text};
use crate::grant::GrantChange;
use crate::model::{Actor, ActorKind, Scope, Target};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// One event before the delivery's shared parts (id, native action) are added, with the
/// grant changes it states.
pub(super) struct Draft {
    pub action: String,
    pub summary: String,
    pub actor: Actor,
    pub targets: Vec<Target>,
    pub scope: Option<Scope>,
    /// When the payload says; else the time the delivery was received.
    pub occurred_at: Option<DateTime<Utc>>,
    /// GitLab's word for what went wrong, when it went wrong.
    pub failure: Option<String>,
    pub details: Map<String, Value>,
    pub grants: Vec<GrantChange>,
}

impl Draft {
    /// `action` is a dotted verb built by this module; `summary` is made one line, because
    /// names and titles in payloads may hold line breaks.
    pub fn new(action: impl Into<String>, summary: &str, actor: Actor) -> Self {
        Draft {
            action: action.into(),
            summary: line(summary, 300),
            actor,
            targets: Vec::new(),
            scope: None,
            occurred_at: None,
            failure: None,
            details: Map::new(),
            grants: Vec::new(),
        }
    }

    /// Adds a target when there is one; call most specific first.
    pub fn target(mut self, target: Option<Target>) -> Self {
        self.targets.extend(target);
        self
    }

    pub fn scope(mut self, scope: Option<Scope>) -> Self {
        self.scope = scope;
        self
    }

    pub fn at(mut self, occurred_at: Option<DateTime<Utc>>) -> Self {
        self.occurred_at = occurred_at;
        self
    }

    pub fn failed(mut self, failure: Option<String>) -> Self {
        self.failure = failure;
        self
    }

    /// Adds a detail; absent and null values are left out.
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        let value = value.into();
        if !value.is_null() {
            self.details.insert(key.to_owned(), value);
        }
        self
    }

    pub fn details(mut self, extra: Map<String, Value>) -> Self {
        self.details.extend(extra);
        self
    }

    pub fn grants(mut self, grants: Vec<GrantChange>) -> Self {
        self.grants.extend(grants);
        self
    }
}

/// Whoever GitLab does not name: system hooks about members, projects, groups and keys say
/// what changed but not who changed it.
pub(super) fn unknown_actor() -> Actor {
    Actor {
        id: None,
        name: "unknown".into(),
        kind: ActorKind::Unknown,
        ip: None,
        user_agent: None,
    }
}

/// A GitLab account known by its username (or, failing that, its display name) and id.
pub(super) fn user_actor(username: &str, user_id: Option<String>) -> Actor {
    Actor {
        id: user_id,
        name: username.to_owned(),
        kind: account_kind(username),
        // Webhooks never say where the request came from.
        ip: None,
        user_agent: None,
    }
}

/// The `user` object of project and group webhooks: who opened the merge request, ran the
/// pipeline, wrote the note.
pub(super) fn account(user: &Value) -> Option<Actor> {
    let name = text(user, "/username").or_else(|| text(user, "/name"))?;
    Some(user_actor(name, id(user, "/id")))
}

/// The `user` object of a webhook, or an unknown actor for hooks without one (releases).
pub(super) fn user(body: &Value) -> Actor {
    body.get("user")
        .and_then(account)
        .unwrap_or_else(unknown_actor)
}

/// A bot or service account when GitLab's naming says so: project and group access tokens
/// act as `project_<id>_bot_<hash>` / `group_<id>_bot_<hash>` users, service accounts are
/// `service_account_...`, and deleted users' records move to `ghost`.
pub(super) fn account_kind(username: &str) -> ActorKind {
    let lower = username.to_ascii_lowercase();
    if (lower.starts_with("project_") || lower.starts_with("group_")) && lower.contains("_bot") {
        ActorKind::Bot
    } else if lower.starts_with("service_account") || lower == "ghost" {
        ActorKind::Service
    } else {
        ActorKind::Human
    }
}

pub(super) fn target(kind: &str, id: Option<String>, name: impl Into<String>) -> Target {
    Target {
        kind: kind.into(),
        id,
        name: name.into(),
    }
}

/// A project as named by webhooks: `project.{id,path_with_namespace}` in project webhooks,
/// `project_id` / `project_path_with_namespace` in member system hooks, `path_with_namespace`
/// in project system hooks, `project_name` (a display name) in job hooks.
pub(super) fn project(body: &Value) -> Option<Target> {
    let project_id = id(body, "/project/id").or_else(|| id(body, "/project_id"));
    let path = [
        "/project/path_with_namespace",
        "/project_path_with_namespace",
        "/path_with_namespace",
        "/project_name",
        "/project/name",
    ]
    .iter()
    .find_map(|pointer| text(body, pointer));
    match (project_id, path) {
        (project_id, Some(path)) => Some(target("project", project_id, path)),
        (Some(project_id), None) => {
            let name = format!("project {project_id}");
            Some(target("project", Some(project_id), name))
        }
        (None, None) => None,
    }
}

/// A group as named by group member hooks (`group_id`, `group_path`) and the group of
/// resource access token hooks (`group.group_id`). Member hooks give the group's own path,
/// which for a subgroup is only its last segment; a full path wins when there is one.
pub(super) fn group(body: &Value) -> Option<Target> {
    let group_id = id(body, "/group_id").or_else(|| id(body, "/group/group_id"));
    let path = [
        "/group_full_path",
        "/group_path",
        "/group/full_path",
        "/group/group_path",
        "/group_name",
    ]
    .iter()
    .find_map(|pointer| text(body, pointer));
    match (group_id, path) {
        (group_id, Some(path)) => Some(target("group", group_id, path)),
        (Some(group_id), None) => {
            let name = format!("group {group_id}");
            Some(target("group", Some(group_id), name))
        }
        (None, None) => None,
    }
}

/// The scope of an event about a project or a group: the target itself, by id.
pub(super) fn scope_of(target: Option<&Target>) -> Option<Scope> {
    let target = target?;
    Some(Scope {
        kind: target.kind.clone(),
        id: target.id.clone().unwrap_or_else(|| target.name.clone()),
        name: Some(target.name.clone()),
    })
}

/// The name a summary uses for a target, or a stand-in that still reads.
pub(super) fn name_or<'a>(target: Option<&'a Target>, fallback: &'a str) -> &'a str {
    target.map_or(fallback, |t| t.name.as_str())
}
