//! GitHub → events, grant changes and snapshots. A delivery's `kind` says what it is: the
//! `X-GitHub-Event` header of a webhook, [`AUDIT_LOG`] for one record of an organization's
//! audit log (`audit`), or [`ORG_SNAPSHOT`] for a whole organization read from the REST API
//! (`snapshot`).
//!
//! This file holds what every webhook kind shares (who acted, where, assembling the events);
//! the submodules hold one family of event kinds each: `access` (who may do what: members,
//! teams, orgs), `repo` (repository settings and apps), `code` (pushes, pull requests, CI runs,
//! deployments), and `grants` (the access a webhook says was gained or lost).

mod access;
mod audit;
mod audit_grants;
mod code;
mod grants;
mod json;
mod repo;
mod snapshot;
#[cfg(test)]
mod tests;

use super::{NormalizeError, Normalized, RawDelivery};
use crate::model::{Actor, ActorKind, NewEvent, Outcome, Scope, Source, Target};
use chrono::{DateTime, Utc};
use json::{id, object, pick, text};
use serde_json::Value;

/// The `kind` of one record of an organization's audit log (GitHub's export, the REST API's
/// `GET /orgs/{org}/audit-log`, or a log stream), one record per delivery.
pub const AUDIT_LOG: &str = "audit_log";

/// The `kind` of a snapshot of one organization's access, in the shape `snapshot` documents.
pub const ORG_SNAPSHOT: &str = "org_snapshot";

/// Normalizes one GitHub delivery. Neither kind above is a GitHub event name, so they cannot be
/// mistaken for a webhook; anything else is the `X-GitHub-Event` header, and its absence is an
/// error, as it is for a webhook sent without one.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    match delivery.kind.map(str::trim) {
        Some(AUDIT_LOG) => audit::normalize(delivery),
        Some(ORG_SNAPSHOT) => snapshot::normalize(delivery),
        kind => webhook(
            kind.unwrap_or_default(),
            delivery.delivery_key,
            delivery.received_at,
            delivery.body,
        ),
    }
}

/// The idempotency key of one record of a file import, for the kinds whose files hold many
/// records: only [`AUDIT_LOG`] (see `audit::record_key`). `None` for other kinds and for
/// records without a stable identity.
pub fn record_key(kind: &str, record: &[u8]) -> Option<String> {
    match kind.trim() {
        AUDIT_LOG => audit::record_key(record),
        _ => None,
    }
}

/// Turns one webhook delivery into events and grant changes: `event` is the `X-GitHub-Event`
/// header, `delivery_id` the `X-GitHub-Delivery` header, which becomes the events'
/// `source_event_id` (with `:n` appended when one delivery yields several events).
fn webhook(
    event: &str,
    delivery_id: &str,
    received_at: DateTime<Utc>,
    body: &[u8],
) -> Result<Normalized, NormalizeError> {
    let event = event.trim();
    if event.is_empty() {
        return Err(NormalizeError::Invalid(
            "the X-GitHub-Event header is empty".into(),
        ));
    }
    let payload: Value = serde_json::from_slice(body)?;
    if !payload.is_object() {
        return Err(NormalizeError::Invalid(
            "payload is not a JSON object".into(),
        ));
    }
    let delivery = Delivery::read(event, &payload)?;
    let mut drafts = route(&delivery);
    if drafts.is_empty() {
        drafts.push(generic(&delivery));
    }
    let events = assemble(&delivery, delivery_id, received_at, drafts);
    // Grants change when the events say it happened, so the history and the timeline agree.
    let at = events
        .first()
        .map_or(received_at, |event| event.occurred_at);
    Ok(Normalized {
        grant_changes: grants::changes(&delivery, at),
        events,
        ..Normalized::default()
    })
}

/// What every event of one delivery shares.
pub(super) struct Delivery<'a> {
    /// The header as sent, for `native_action`.
    header: &'a str,
    /// The header lowercased, for matching and for our own action names.
    pub kind: String,
    /// The payload's `action`, when it has one (`push` has none).
    pub action: Option<&'a str>,
    pub body: &'a Value,
    pub actor: Actor,
    pub scope: Option<Scope>,
}

impl<'a> Delivery<'a> {
    fn read(header: &'a str, body: &'a Value) -> Result<Self, NormalizeError> {
        let kind = header.to_lowercase();
        let actor = actor(&kind, body)?;
        Ok(Delivery {
            header,
            action: text(body, "/action"),
            scope: scope(body),
            kind,
            body,
            actor,
        })
    }

    fn native_action(&self) -> String {
        match self.action {
            Some(action) => format!("{}.{action}", self.header),
            None => self.header.to_owned(),
        }
    }

    /// The payload's action, or `fallback` for the kinds that send none.
    pub fn action_or(&self, fallback: &'a str) -> &'a str {
        self.action.unwrap_or(fallback)
    }

    pub fn who(&self) -> &str {
        &self.actor.name
    }

    pub fn repo(&self) -> Option<Target> {
        self.body.get("repository").and_then(repo_target)
    }

    /// The repository's `owner/name`, or a stand-in that still reads well in a summary.
    pub fn repo_name(&self) -> &'a str {
        text(self.body, "/repository/full_name").unwrap_or("a repository")
    }

    pub fn org_login(&self) -> Option<&'a str> {
        text(self.body, "/organization/login")
    }

    /// ` in octo-org/hello-world`, ` in org octo-org`, or nothing: the end of a summary.
    fn place(&self) -> String {
        if let Some(repo) = text(self.body, "/repository/full_name") {
            format!(" in {repo}")
        } else if let Some(org) = self.org_login() {
            format!(" in org {org}")
        } else {
            String::new()
        }
    }

    /// The payload's `changes` object, which says what an `edited`/`renamed` changed from.
    pub fn changes(&self) -> Option<Value> {
        object(self.body, "/changes").cloned()
    }

    /// ` (name, privacy)`: the fields `changes` names, for the end of a summary.
    pub fn changed_fields(&self) -> String {
        match object(self.body, "/changes").and_then(Value::as_object) {
            Some(map) => {
                let names: Vec<&str> = map.keys().map(String::as_str).collect();
                format!(" ({})", names.join(", "))
            }
            None => String::new(),
        }
    }
}

/// One event before the shared parts are added.
pub(super) struct Draft {
    action: String,
    summary: String,
    targets: Vec<Target>,
    occurred_at: Option<DateTime<Utc>>,
    /// The source's own word for what went wrong, when it went wrong.
    failure: Option<String>,
    details: serde_json::Map<String, Value>,
}

impl Draft {
    /// `action` is lowercased and anything but letters, digits, `.`, `_` and `-` becomes `_`:
    /// parts of it come from the payload (a `repository_dispatch` action is whatever the
    /// caller chose) and it must stay a word a filter can match.
    pub fn new(action: impl Into<String>, summary: String) -> Self {
        let action = action
            .into()
            .to_lowercase()
            .chars()
            .map(|c| match c {
                'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
                _ => '_',
            })
            .collect();
        // Titles and names in the payload may hold line breaks; a summary is one line.
        let summary = summary
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Draft {
            action,
            summary,
            targets: Vec::new(),
            occurred_at: None,
            failure: None,
            details: serde_json::Map::new(),
        }
    }

    /// Adds a target when there is one; call most specific first.
    pub fn target(mut self, target: Option<Target>) -> Self {
        self.targets.extend(target);
        self
    }

    pub fn targets(mut self, targets: impl IntoIterator<Item = Target>) -> Self {
        self.targets.extend(targets);
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

    pub fn details(mut self, extra: serde_json::Map<String, Value>) -> Self {
        self.details.extend(extra);
        self
    }
}

fn route(d: &Delivery<'_>) -> Vec<Draft> {
    let one = match d.kind.as_str() {
        "push" => code::push(d),
        "create" | "delete" => code::git_ref(d),
        "pull_request" => code::pull_request(d),
        "pull_request_review" => code::review(d),
        "workflow_run" | "workflow_job" | "check_run" | "check_suite" => code::run(d),
        "deployment" => code::deployment(d),
        "deployment_status" => code::deployment_status(d),
        "member" => access::collaborator(d),
        "membership" => access::team_member(d),
        "organization" => access::organization(d),
        "org_block" => access::org_block(d),
        "team" => access::team(d),
        "team_add" => access::team_add(d),
        "user" => access::user(d),
        "repository" => repo::repository(d),
        // `public` is the older event for a repository made public; `repository` says it too.
        "public" => repo::repository_change(d, "publicized"),
        "deploy_key" => repo::deploy_key(d),
        "branch_protection_rule" => repo::branch_protection(d),
        // `integration_installation` is the older name GHES still sends beside `installation`.
        "installation" | "integration_installation" => repo::installation(d),
        "installation_repositories" => return repo::installation_repositories(d),
        "github_app_authorization" => repo::app_authorization(d),
        "ping" | "meta" => repo::webhook(d),
        _ => generic(d),
    };
    vec![one]
}

/// Any other kind: `<event>.<action>`, the sender, the repository, and what changed.
fn generic(d: &Delivery<'_>) -> Draft {
    let action = match d.action {
        Some(action) => format!("{}.{action}", d.kind),
        None => d.kind.clone(),
    };
    let words = action.replace(['_', '.'], " ");
    let mut extras = pick(d.body, &["ref", "ref_type", "state"]);
    if let Some(changes) = d.changes() {
        extras.insert("changes".into(), changes);
    }
    let timestamp = format!("/{}/updated_at", d.kind);
    Draft::new(action, format!("{}: {words}{}", d.who(), d.place()))
        .target(d.repo())
        .at(json::first_time(d.body, &[&timestamp]))
        .details(extras)
}

fn assemble(
    d: &Delivery<'_>,
    delivery_id: &str,
    received_at: DateTime<Utc>,
    drafts: Vec<Draft>,
) -> Vec<NewEvent> {
    let several = drafts.len() > 1;
    let native_action = d.native_action();
    drafts
        .into_iter()
        .enumerate()
        .map(|(n, draft)| NewEvent {
            source: Source::Github,
            source_event_id: if several {
                format!("{delivery_id}:{n}")
            } else {
                delivery_id.to_owned()
            },
            occurred_at: draft.occurred_at.unwrap_or(received_at),
            actor: d.actor.clone(),
            action: draft.action,
            native_action: native_action.clone(),
            targets: draft.targets,
            scope: d.scope.clone(),
            outcome: if draft.failure.is_some() {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            error: draft.failure,
            summary: draft.summary,
            details: Value::Object(draft.details),
        })
        .collect()
}

/// The `sender`; for a push without one, the `pusher` (a git identity, not an account);
/// for a security advisory, GitHub itself, which publishes them to everyone.
fn actor(kind: &str, body: &Value) -> Result<Actor, NormalizeError> {
    if let Some(actor) = body.get("sender").and_then(account_actor) {
        return Ok(actor);
    }
    if kind == "push" {
        if let Some(name) = text(body, "/pusher/name") {
            return Ok(Actor {
                id: None,
                name: name.to_owned(),
                kind: actor_kind(None, name),
                ip: None,
                user_agent: None,
            });
        }
    }
    if kind == "security_advisory" {
        return Ok(Actor {
            id: None,
            name: "GitHub".into(),
            kind: ActorKind::Service,
            ip: None,
            user_agent: None,
        });
    }
    Err(NormalizeError::Missing("sender"))
}

fn account_actor(account: &Value) -> Option<Actor> {
    let login = text(account, "/login")?;
    Some(Actor {
        id: id(account, "/id"),
        name: login.to_owned(),
        kind: actor_kind(text(account, "/type"), login),
        // Webhooks never say where the request came from.
        ip: None,
        user_agent: None,
    })
}

fn actor_kind(account_type: Option<&str>, login: &str) -> ActorKind {
    match account_type {
        _ if login.ends_with("[bot]") => ActorKind::Bot,
        Some("Bot") => ActorKind::Bot,
        Some("User") => ActorKind::Human,
        Some(_) => ActorKind::Service,
        None => ActorKind::Unknown,
    }
}

/// The organization, else the repository's owner, else the account an app is installed on.
fn scope(body: &Value) -> Option<Scope> {
    if let Some(login) = text(body, "/organization/login") {
        return Some(Scope {
            kind: "org".into(),
            id: id(body, "/organization/id").unwrap_or_else(|| login.to_owned()),
            name: Some(login.to_owned()),
        });
    }
    ["/repository/owner", "/installation/account"]
        .iter()
        .find_map(|pointer| body.pointer(pointer).and_then(account_scope))
}

fn account_scope(account: &Value) -> Option<Scope> {
    let login = text(account, "/login")?;
    let kind = match text(account, "/type") {
        Some("Organization" | "Enterprise") => "org",
        _ => "user",
    };
    Some(Scope {
        kind: kind.into(),
        id: id(account, "/id").unwrap_or_else(|| login.to_owned()),
        name: Some(login.to_owned()),
    })
}

pub(super) fn target(kind: &str, id: Option<String>, name: impl Into<String>) -> Target {
    Target {
        kind: kind.into(),
        id,
        name: name.into(),
    }
}

/// A repository by its `owner/name`, the way people write it.
pub(super) fn repo_target(repo: &Value) -> Option<Target> {
    let name = text(repo, "/full_name")?;
    Some(target("repository", id(repo, "/id"), name))
}

pub(super) fn user_target(user: &Value) -> Option<Target> {
    let login = text(user, "/login")?;
    Some(target("user", id(user, "/id"), login))
}

/// A team as `org/slug`, the way GitHub's audit log and @-mentions name it.
pub(super) fn team_target(team: &Value, org: Option<&str>) -> Option<Target> {
    let slug = text(team, "/slug").or_else(|| text(team, "/name"))?;
    let name = match org {
        Some(org) => format!("{org}/{slug}"),
        None => slug.to_owned(),
    };
    Some(target("team", id(team, "/id"), name))
}
