//! GitLab audit events: one record of the audit events API (`GET /audit_events`, group and
//! project audit events), one audit event streaming POST, or one line of `audit_json.log`
//! becomes one event, and a membership change among them also becomes grant changes.
//!
//! The three forms share a shape: the API keeps most facts in `details`, streaming repeats
//! them at the top level and adds `event_type`, the log file writes them at the top level
//! with `time`. Every field is read at the top level first, then in `details`. Membership
//! changes, which carry grants, are read in `membership`.

mod membership;

use super::event::{account_kind, target, Draft};
use super::members::Place;
use super::words::{id, line, pick, snake, text, time_at};
use crate::model::{Actor, ActorKind, NewEvent, Outcome, Scope, Source, Target};
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use serde_json::{Map, Value};

/// Fields only audit events carry; a record with none of them is something else (a REST API
/// object, a request log line) and is set aside rather than read as an empty audit event.
const AUDIT_FIELDS: [&str; 13] = [
    "author_id",
    "author_name",
    "entity_id",
    "entity_type",
    "entity_path",
    "event_type",
    "event_name",
    "details",
    "detail",
    "target_type",
    "target_details",
    "custom_message",
    "change",
];

/// Whether a payload that came without a kind is an audit event (audit event streaming sends
/// no `X-Gitlab-Event` header): it names an entity and an author.
pub(super) fn looks_like_audit_event(record: &Value) -> bool {
    let has = |key: &str| record.get(key).is_some_and(|v| !v.is_null());
    has("entity_type") && (has("author_id") || has("author_name"))
}

/// One audit event → one event, plus grant changes when it is a membership change.
pub(super) fn normalize(
    record: &Value,
    delivery: &RawDelivery<'_>,
) -> Result<Normalized, NormalizeError> {
    if let Some(reason) = not_an_audit_event(record)? {
        return Ok(Normalized::ignored(reason));
    }
    let a = Audit::read(record);
    // `audit_json.log` lines have no id: the importer's key (a hash of the line) stands in.
    let event_id = id(record, "/id")
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .or_else(|| Some(delivery.delivery_key.trim().to_owned()).filter(|k| !k.is_empty()))
        .ok_or(NormalizeError::Missing("id"))?;
    // The time is required: an import of last year's log must not be dated today.
    let at = time_at(record, &["/created_at", "/time", "/@timestamp"])
        .ok_or(NormalizeError::Missing("created_at"))?;
    let actor = a.actor();
    let scope = a.scope();
    let targets = a.targets();
    let native_action = a.native_action();
    let draft = match (a.member_change(), a.place()) {
        (Some(change), Some(place)) => a.membership(change, place, &actor, &event_id, at),
        _ => a.other(&actor),
    };
    let event = NewEvent {
        source: Source::Gitlab,
        source_event_id: event_id,
        occurred_at: at,
        actor: draft.actor,
        action: draft.action,
        native_action,
        targets,
        scope,
        outcome: if draft.failure.is_some() {
            Outcome::Failure
        } else {
            Outcome::Success
        },
        error: draft.failure,
        summary: draft.summary,
        details: Value::Object(draft.details),
    };
    Ok(Normalized {
        events: vec![event],
        grant_changes: draft.grants,
        ..Normalized::default()
    })
}

/// Why a record handed over as an audit event is not one, when it is something recognisable
/// (kept as ignored, with the reason); an error when it is nothing recognisable at all.
fn not_an_audit_event(record: &Value) -> Result<Option<String>, NormalizeError> {
    let has = |key: &str| record.get(key).is_some_and(|v| !v.is_null());
    if AUDIT_FIELDS.iter().any(|key| has(key)) {
        return Ok(None);
    }
    let what = if has("path") && (has("params") || has("method") || has("controller")) {
        "a request line of GitLab's production_json.log (a Rails request log), not an audit event"
    } else if has("scopes") && has("revoked") {
        "an access token from the GitLab REST API (an inventory record, not an audit event)"
    } else if has("base_access_level") {
        "a custom role definition from the GitLab REST API, not an audit event"
    } else if has("source_type") && has("access_level") {
        "a membership from the GitLab REST API user memberships list, which does not say whose \
         it is; not an audit event"
    } else if has("username") {
        "a user from the GitLab REST API, not an audit event"
    } else if has("commit") && (has("protected") || has("merged")) {
        "a branch from the GitLab REST API, not an audit event"
    } else {
        return Err(NormalizeError::Invalid(
            "not a GitLab audit event: the record has no author, entity, event type or details"
                .into(),
        ));
    };
    Ok(Some(what.to_owned()))
}

struct Audit<'a> {
    record: &'a Value,
    /// `details` (API, streaming) or `detail` (as some log shippers name it), or null.
    details: &'a Value,
}

impl<'a> Audit<'a> {
    fn read(record: &'a Value) -> Self {
        let details = record
            .get("details")
            .filter(|d| d.is_object())
            .or_else(|| record.get("detail").filter(|d| d.is_object()))
            .unwrap_or(&Value::Null);
        Audit { record, details }
    }

    /// A field at the top level, else in `details`; null reads as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        [self.record, self.details]
            .into_iter()
            .find_map(|v| v.get(key).filter(|v| !v.is_null()))
    }

    fn text(&self, key: &str) -> Option<&'a str> {
        self.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    fn id(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => None,
        }
    }

    /// `event_type` (streaming), `event_name` (newer API records and `details`).
    fn event_name(&self) -> Option<&'a str> {
        self.text("event_type").or_else(|| self.text("event_name"))
    }

    fn native_action(&self) -> String {
        if let Some(name) = self.event_name() {
            return name.to_owned();
        }
        for verb in ["add", "remove", "change"] {
            if let Some(what) = self.text(verb) {
                return format!("{verb} {what}");
            }
        }
        if self.get("custom_message").is_some() {
            "custom_message".into()
        } else {
            "audit_event".into()
        }
    }

    fn actor(&self) -> Actor {
        // Negative author ids stand for non-users: -1 unauthenticated, -2 CI runner token,
        // -3 deploy key, ...
        let author_id = self
            .id("author_id")
            .filter(|id| id.parse::<i64>().map_or(true, |n| n > 0));
        let name = self.text("author_name");
        let class = self.text("author_class");
        let kind = if self.get("system_event").and_then(Value::as_bool) == Some(true) {
            ActorKind::Service
        } else {
            match class {
                Some(c)
                    if ["DeployKey", "DeployToken", "Runner", "Token"]
                        .iter()
                        .any(|w| c.contains(w)) =>
                {
                    ActorKind::Service
                }
                Some("User") => name.map_or(ActorKind::Human, account_kind),
                None if author_id.is_some() => name.map_or(ActorKind::Human, account_kind),
                _ => ActorKind::Unknown,
            }
        };
        let name = match (name, &author_id) {
            (Some(name), _) => name.to_owned(),
            (None, Some(id)) => format!("user {id}"),
            (None, None) => "unknown".into(),
        };
        Actor {
            id: author_id,
            name,
            kind,
            ip: self.text("ip_address").map(str::to_owned),
            user_agent: None,
        }
    }

    fn place(&self) -> Option<Place> {
        match self.text("entity_type")? {
            "Project" => Some(Place::Project),
            "Group" | "Namespace" => Some(Place::Group),
            _ => None,
        }
    }

    fn scope(&self) -> Option<Scope> {
        let kind = match self.text("entity_type")? {
            "Project" => "project",
            "Group" | "Namespace" => "group",
            "User" => "user",
            // `Gitlab::Audit::InstanceScope` and others: the instance itself.
            _ => return None,
        };
        let entity_id = self.id("entity_id");
        let path = self.text("entity_path");
        Some(Scope {
            kind: kind.into(),
            id: entity_id.or_else(|| path.map(str::to_owned))?,
            name: path.map(str::to_owned),
        })
    }

    /// What the event acted on (`target_*`), then the project, group or user it happened in
    /// (`entity_*`) when that is something else.
    fn targets(&self) -> Vec<Target> {
        let mut targets = Vec::new();
        let target_type = self.text("target_type");
        let target_id = self.id("target_id");
        let target_name = self
            .text("target_details")
            .map(str::to_owned)
            .or_else(|| target_id.clone());
        if let Some(name) = target_name {
            targets.push(target(
                &type_word(target_type.unwrap_or("object")),
                target_id,
                name,
            ));
        }
        if let Some(entity_type) = self.text("entity_type") {
            let entity_id = self.id("entity_id");
            let kind = type_word(entity_type);
            // The API's own examples put the entity's path in `target_id`: the same
            // project named twice is one target.
            let entity_name = self.text("entity_path");
            let same = targets.first().is_some_and(|t| {
                t.kind == kind
                    && ((t.id.is_some() && t.id == entity_id)
                        || entity_name.is_some_and(|n| n == t.name))
            });
            if let (false, Some(name)) = (
                same,
                self.text("entity_path")
                    .map(str::to_owned)
                    .or_else(|| entity_id.clone()),
            ) {
                targets.push(target(&kind, entity_id, name));
            }
        }
        targets
    }

    /// Any other audit event: `audit.<event name>`, or from the older `add` / `remove` /
    /// `change` details when it has no name.
    fn other(&self, actor: &Actor) -> Draft {
        let author = actor.name.as_str();
        let on = self
            .text("entity_path")
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        let target = self.text("target_details").unwrap_or("");
        let (action, summary) = if let Some(message) = self.get("custom_message") {
            let action = self
                .event_name()
                .map_or("audit.custom_message".into(), |e| {
                    format!("audit.{}", snake(e))
                });
            (
                action,
                custom_summary(author, message, self.text("entity_path")),
            )
        } else if let Some(event) = self.event_name() {
            (
                format!("audit.{}", snake(event)),
                format!("{author}: {}{on}", event.replace('_', " ")),
            )
        } else if let Some(what) = self.text("add") {
            (
                format!("audit.add_{}", snake(what)),
                format!("{author} added {what} {target}{on}"),
            )
        } else if let Some(what) = self.text("remove") {
            (
                format!("audit.remove_{}", snake(what)),
                format!("{author} removed {what} {target}{on}"),
            )
        } else if let Some(what) = self.text("change") {
            let values = match (
                self.get("from").map(value_text),
                self.get("to").map(value_text),
            ) {
                (Some(from), Some(to)) => format!(" from {from} to {to}"),
                (None, Some(to)) => format!(" to {to}"),
                _ => String::new(),
            };
            (
                format!("audit.change_{}", snake(what)),
                format!("{author} changed {what} of {target}{values}{on}"),
            )
        } else {
            ("audit.event".into(), format!("{author}: audit event{on}"))
        };
        let failure = self
            .event_name()
            .filter(|e| e.contains("fail"))
            .map(|e| e.replace('_', " "));
        Draft::new(action, &summary, actor.clone())
            .failed(failure)
            .details(self.details_shown())
            .detail("event_name", self.event_name())
    }

    /// The audit fields worth showing; the rest (author and entity) are in the event itself.
    fn details_shown(&self) -> Map<String, Value> {
        let keys = [
            "custom_message",
            "add",
            "remove",
            "change",
            "from",
            "to",
            "as",
            "expiry_from",
            "expiry_to",
            "reason",
            "member_id",
            "system_event",
            "author_class",
            "author_email",
            "entity_path",
            "target_details",
        ];
        let mut shown = pick(self.details, &keys);
        for (key, value) in pick(self.record, &keys) {
            shown.entry(key).or_insert(value);
        }
        shown
    }
}

/// `User` → `user`, `AuditEvents::Streaming::Header` → `auditevents_streaming_header`.
fn type_word(type_name: &str) -> String {
    snake(type_name)
}

/// A value as a summary shows it: text as it is, anything else as JSON.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => line(s, 100),
        other => line(&other.to_string(), 100),
    }
}

/// A custom message is usually text (`Project archived`); Git operations record an object
/// saying how the repository was reached.
fn custom_summary(author: &str, message: &Value, path: Option<&str>) -> String {
    let on = path.map(|p| format!(" ({p})")).unwrap_or_default();
    match message {
        Value::String(text) => format!("{author}: {}{on}", line(text, 200)),
        Value::Object(_) => match (text(message, "/action"), text(message, "/protocol")) {
            (Some(action), Some(protocol)) => {
                let place = path.map(|p| format!(" on {p}")).unwrap_or_default();
                format!("{author} ran {action} over {protocol}{place}")
            }
            _ => format!("{author}: {}{on}", value_text(message)),
        },
        other => format!("{author}: {}{on}", value_text(other)),
    }
}
