//! One record of an organization's audit log → one event, plus grant changes for the records
//! that change who belongs where or with what permission (`audit_grants`).
//!
//! Records come from GitHub's export, `GET /orgs/{org}/audit-log` or a log stream, and share
//! their field names: `action` (`org.add_member`), `actor`, `user`, `org`, `repo`
//! (`owner/name`), `team` (`org/slug`), `permission` and `old_permission`, `@timestamp` (epoch
//! milliseconds), `created_at`, `_document_id`. Streams add ids (`actor_id`, `user_id`,
//! `org_id`, `repo_id`), `actor_location`, `actor_ip` and `user_agent`. Copies kept by SIEMs
//! differ a little: Panther renames `@timestamp` to `at_sign_timestamp` and moves fields it
//! does not know under `data`, so every field is read at the top level, then under `data`.

use super::json::{id, pick, plain_permission, text, timestamp};
use super::{audit_grants, grants::org_role, Draft};
use crate::model::{Actor, ActorKind, NewEvent, Outcome, Scope, Source, Target};
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

/// One record, read.
pub(super) struct Record<'a> {
    body: &'a Value,
    pub action: &'a str,
    /// When it happened, if the record says in a form that reads.
    pub at: Option<DateTime<Utc>>,
}

impl<'a> Record<'a> {
    pub fn read(body: &'a Value) -> Result<Self, NormalizeError> {
        if !body.is_object() {
            return Err(NormalizeError::Invalid(
                "an audit-log record is not a JSON object".into(),
            ));
        }
        let action = text(body, "/action").ok_or(NormalizeError::Missing("action"))?;
        Ok(Record {
            body,
            action,
            at: time(body),
        })
    }

    fn field(&self, key: &str) -> Option<&'a Value> {
        field(self.body, key)
    }

    /// A non-empty string field: streams write `"user": ""` for "no user".
    pub fn text(&self, key: &str) -> Option<&'a str> {
        self.field(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    /// An id, numeric or written as text (streams write `actor_id` as `"123"`).
    pub fn id(&self, key: &str) -> Option<String> {
        self.field(key).and_then(|value| id(value, ""))
    }

    pub fn actor_name(&self) -> &'a str {
        self.text("actor").unwrap_or("unknown")
    }

    /// `owner/name`; a few exports call it `repository`.
    pub fn repo(&self) -> Option<&'a str> {
        self.text("repo").or_else(|| self.text("repository"))
    }

    /// The organization; without one, the owner of the repository, since an organization's
    /// audit log only holds that organization's repositories.
    pub fn org(&self) -> Option<&'a str> {
        self.text("org").or_else(|| {
            self.repo()
                .and_then(|repo| repo.split_once('/'))
                .map(|(owner, _)| owner)
                .filter(|owner| !owner.is_empty())
        })
    }
}

/// `@timestamp` is when the action happened; `created_at` usually agrees, but on records
/// about an object (an alert) it can be that object's creation.
fn time(body: &Value) -> Option<DateTime<Utc>> {
    [
        "@timestamp",
        "at_sign_timestamp",
        "created_at",
        "p_event_time",
    ]
    .iter()
    .find_map(|key| field(body, key).and_then(audit_time))
}

/// A field at the top level, else under `data`; null reads as absent.
fn field<'a>(body: &'a Value, key: &str) -> Option<&'a Value> {
    let present = |v: &&Value| !v.is_null();
    body.get(key).filter(present).or_else(|| {
        body.get("data")
            .and_then(|data| data.get(key))
            .filter(present)
    })
}

/// Epoch numbers and RFC 3339 as everywhere, plus the `2022-12-11 05:17:28.078` (UTC) that
/// exports and streams write, with up to nine digits of fraction.
fn audit_time(value: &Value) -> Option<DateTime<Utc>> {
    timestamp(value).or_else(|| {
        let text = value.as_str()?.trim();
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .ok()
            .map(|t| t.and_utc())
    })
}

/// The idempotency key of one record: GitHub's `_document_id`, which the export, the API and
/// streams all carry. Records cut down by hand or by older tools may lack it; then the key is
/// what makes a record itself, written out rather than hashed so a person can read it: the
/// time in milliseconds, the action, the actor and whom or what it was done to
/// (`1621305118553:org.add_member:cat:bob::`). Logins, `owner/name` and `org/slug` hold no
/// `:`, so the parts cannot run into each other. Two records alike in all of these are the same
/// action as far as anyone can tell, so folding them into one costs nothing. A record without
/// a time has no key (`None`): a second record of the same person doing the same thing on
/// another day would otherwise be dropped as a replay of the first.
pub(super) fn record_key(record: &[u8]) -> Option<String> {
    let body: Value = serde_json::from_slice(record).ok()?;
    if let Some(document_id) = document_id(&body) {
        return Some(document_id.to_owned());
    }
    let record = Record::read(&body).ok()?;
    let at = record.at?;
    Some(format!(
        "{}:{}:{}:{}:{}:{}",
        at.timestamp_millis(),
        record.action,
        record.text("actor").unwrap_or_default(),
        record.text("user").unwrap_or_default(),
        record.repo().unwrap_or_default(),
        record.text("team").unwrap_or_default(),
    ))
}

/// GitHub's own id of a record, the same in every copy of it; the event's `source_event_id`
/// and the record's key.
fn document_id(body: &Value) -> Option<&str> {
    text(body, "/_document_id")
}

pub(super) fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let body: Value = serde_json::from_slice(delivery.body)?;
    let record = Record::read(&body)?;
    let at = record.at.unwrap_or(delivery.received_at);
    Ok(Normalized {
        events: vec![event(&record, delivery.delivery_key, at)],
        grant_changes: audit_grants::changes(&record, at),
        ..Normalized::default()
    })
}

/// The fields worth showing; never `config` (a hook's URL may hold credentials).
const DETAIL_KEYS: [&str; 16] = [
    "permission",
    "old_permission",
    "visibility",
    "public_repo",
    "operation_type",
    "programmatic_access_type",
    "business",
    "name",
    "hook_id",
    "branch",
    "ruleset_name",
    "ruleset_enforcement",
    "transport_protocol_name",
    "conclusion",
    "event",
    "head_branch",
];

fn event(record: &Record<'_>, delivery_key: &str, at: DateTime<Utc>) -> NewEvent {
    let (action, summary) = describe(record);
    let action = action.map_or_else(|| format!("audit.{}", record.action), str::to_owned);
    let draft = Draft::new(action, summary);
    let mut details = pick(record.body, &DETAIL_KEYS);
    if let Some(data) = record.body.get("data") {
        for (key, value) in pick(data, &DETAIL_KEYS) {
            details.entry(key).or_insert(value);
        }
    }
    let country = text(record.body, "/actor_location/country_code");
    insert(&mut details, "country_code", country);
    insert(&mut details, "document_id", document_id(record.body));
    NewEvent {
        source: Source::Github,
        source_event_id: document_id(record.body).unwrap_or(delivery_key).to_owned(),
        occurred_at: at,
        actor: actor(record),
        action: draft.action,
        native_action: record.action.to_owned(),
        targets: targets(record),
        scope: record.org().map(|org| Scope {
            kind: "org".into(),
            id: record.id("org_id").unwrap_or_else(|| org.to_owned()),
            name: Some(org.to_owned()),
        }),
        outcome: Outcome::Success,
        error: None,
        summary: draft.summary,
        details: Value::Object(details),
    }
}

fn insert(details: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        details.insert(key.to_owned(), value.into());
    }
}

fn actor(record: &Record<'_>) -> Actor {
    let name = record.text("actor");
    let bot = record.field("actor_is_bot").and_then(Value::as_bool) == Some(true);
    // An app's own token acts for no person; a user-to-server token acts for one.
    let app = record
        .text("programmatic_access_type")
        .is_some_and(|t| t.contains("server-to-server") || t == "github_app");
    let kind = match name {
        None => ActorKind::Unknown,
        Some(login) if bot || login.ends_with("[bot]") => ActorKind::Bot,
        Some(_) if app => ActorKind::Service,
        Some(_) => ActorKind::Human,
    };
    Actor {
        id: record.id("actor_id"),
        name: name.unwrap_or("unknown").to_owned(),
        kind,
        ip: record.text("actor_ip").map(str::to_owned),
        user_agent: record.text("user_agent").map(str::to_owned),
    }
}

/// Whom and what it was done to, most specific first; the organization when nothing else.
fn targets(record: &Record<'_>) -> Vec<Target> {
    let named = |kind: &str, key: &str, id_key: &str| {
        record.text(key).map(|name| Target {
            kind: kind.into(),
            id: record.id(id_key),
            name: name.to_owned(),
        })
    };
    let mut targets: Vec<Target> = [
        named("user", "user", "user_id"),
        named("team", "team", "team_id"),
        record.repo().map(|name| Target {
            kind: "repository".into(),
            id: record.id("repo_id"),
            name: name.to_owned(),
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    if targets.is_empty() {
        targets.extend(named("org", "org", "org_id"));
    }
    targets
}

/// ` (read → admin)`, ` (now admin)` or nothing.
fn change_note(from: Option<&str>, to: Option<&str>) -> String {
    match (from, to) {
        (Some(from), Some(to)) => format!(" ({from} → {to})"),
        (None, Some(to)) => format!(" (now {to})"),
        (Some(from), None) => format!(" (was {from})"),
        (None, None) => String::new(),
    }
}

/// The action in Attest's words where a webhook says the same thing (so one filter finds
/// both), and a summary. Unknown actions are kept as `audit.<action>` by the caller.
fn describe(r: &Record<'_>) -> (Option<&'static str>, String) {
    let who = r.actor_name();
    let user = r.text("user").unwrap_or("someone");
    let team = r.text("team").unwrap_or("a team");
    let repo = r.repo().unwrap_or("a repository");
    let org = r.org().unwrap_or("an organization");
    let business = r.text("business").unwrap_or("the enterprise");
    let to = r.text("permission").map(plain_permission);
    let from = r.text("old_permission").map(plain_permission);
    let role = |p: &str| org_role(p).unwrap_or(p).to_owned();
    let as_role = to.map(|p| format!(" as {}", role(p))).unwrap_or_default();
    let (action, summary) = match r.action {
        "org.add_member" => (
            "org.member.added",
            format!("{who} added {user} to org {org}{as_role}"),
        ),
        "org.remove_member" => (
            "org.member.removed",
            format!("{who} removed {user} from org {org}"),
        ),
        "org.update_member" => {
            let note = change_note(from.map(role).as_deref(), to.map(role).as_deref());
            (
                "org.member.edited",
                format!("{who} changed {user}'s role in org {org}{note}"),
            )
        }
        "org.invite_member" | "org.invite_user" | "invite_member" => (
            "org.member.invited",
            format!("{who} invited {user} to org {org}"),
        ),
        "org.create" => ("org.created", format!("{who} created org {org}")),
        "repo.add_member" => {
            let note = to.map(|p| format!(" ({p})")).unwrap_or_default();
            (
                "repo.collaborator.added",
                format!("{who} added {user} as collaborator{note} to {repo}"),
            )
        }
        "repo.remove_member" => (
            "repo.collaborator.removed",
            format!("{who} removed {user} as collaborator from {repo}"),
        ),
        "repo.update_member" => {
            let note = change_note(from, to);
            (
                "repo.collaborator.edited",
                format!("{who} changed {user}'s permission on {repo}{note}"),
            )
        }
        "team.add_member" => (
            "team.member.added",
            format!("{who} added {user} to team {team}"),
        ),
        "team.remove_member" => (
            "team.member.removed",
            format!("{who} removed {user} from team {team}"),
        ),
        "team.promote_maintainer" => (
            "team.member.promoted",
            format!("{who} made {user} a maintainer of team {team}"),
        ),
        "team.demote_maintainer" => (
            "team.member.demoted",
            format!("{who} made {user} a plain member of team {team}"),
        ),
        "team.add_repository" => {
            let note = to.map(|p| format!(" {p}")).unwrap_or_default();
            (
                "team.repo.added",
                format!("{who} gave team {team}{note} access to {repo}"),
            )
        }
        "team.remove_repository" => (
            "team.repo.removed",
            format!("{who} removed team {team}'s access to {repo}"),
        ),
        "team.update_repository_permission" => {
            let note = change_note(from, to);
            (
                "team.repo.permission_changed",
                format!("{who} changed team {team}'s access to {repo}{note}"),
            )
        }
        "team.create" => ("team.created", format!("{who} created team {team}")),
        "team.destroy" => ("team.deleted", format!("{who} deleted team {team}")),
        "repo.create" => ("repo.created", format!("{who} created repository {repo}")),
        "repo.destroy" => ("repo.deleted", format!("{who} deleted repository {repo}")),
        "repo.transfer" => ("repo.transferred", format!("{who} transferred {repo}")),
        "repo.archived" => ("repo.archived", format!("{who} archived repository {repo}")),
        "protected_branch.create" => (
            "repo.branch_protection.created",
            format!("{who} protected a branch in {repo}"),
        ),
        "protected_branch.update" => (
            "repo.branch_protection.edited",
            format!("{who} changed the protection of a branch in {repo}"),
        ),
        "protected_branch.destroy" => (
            "repo.branch_protection.deleted",
            format!("{who} removed the protection of a branch in {repo}"),
        ),
        "public_key.create" => (
            "repo.deploy_key.created",
            format!("{who} added a deploy key to {repo}"),
        ),
        "public_key.delete" => (
            "repo.deploy_key.deleted",
            format!("{who} removed a deploy key from {repo}"),
        ),
        "hook.create" => (
            "webhook.created",
            format!("{who} created a webhook{}", place(r)),
        ),
        "hook.destroy" => (
            "webhook.deleted",
            format!("{who} deleted a webhook{}", place(r)),
        ),
        "hook.config_changed" | "hook.events_changed" => (
            "webhook.edited",
            format!("{who} changed a webhook{}", place(r)),
        ),
        "integration_installation.create" => {
            let app = r.text("name").unwrap_or("an app");
            (
                "app.installation.created",
                format!("{who} installed {app} on {org}"),
            )
        }
        "integration_installation.destroy" => {
            let app = r.text("name").unwrap_or("an app");
            (
                "app.installation.deleted",
                format!("{who} uninstalled {app} from {org}"),
            )
        }
        "git.push" => ("repo.push", format!("{who} pushed to {repo}")),
        "business.add_admin" => (
            "enterprise.owner.added",
            format!("{who} made {user} an owner of {business}"),
        ),
        "business.remove_admin" => (
            "enterprise.owner.removed",
            format!("{who} removed {user} as an owner of {business}"),
        ),
        other => {
            let words = other.replace(['_', '.'], " ");
            return (None, format!("{who}: {words}{}", place(r)));
        }
    };
    (Some(action), summary)
}

/// ` in octo-org/app`, ` in org octo-org`, ` in enterprise acme`, or nothing.
fn place(r: &Record<'_>) -> String {
    if let Some(repo) = r.repo() {
        format!(" in {repo}")
    } else if let Some(org) = r.org() {
        format!(" in org {org}")
    } else if let Some(business) = r.text("business") {
        format!(" in enterprise {business}")
    } else {
        String::new()
    }
}
