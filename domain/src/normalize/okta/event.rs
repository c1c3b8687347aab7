//! One System Log event → one [`NewEvent`]: who (`actor`, `client`), the verb (`eventType`),
//! what it touched (`target[]`), how it ended (`outcome`).

use super::fields::{at, get, text};
use crate::model::{Actor, ActorKind, NewEvent, Outcome, Scope, Source, Target};
use crate::normalize::fields::snake_case;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// An event naming hundreds of targets still gets a readable, bounded list.
const MAX_TARGETS: usize = 50;

pub(super) fn build(
    record: &Value,
    event_type: &str,
    published: DateTime<Utc>,
    source_event_id: &str,
    org: &str,
) -> NewEvent {
    let actor = actor(record);
    let targets = targets(record);
    let action = action(event_type);
    let (outcome, error) = outcome(record);
    let summary = summary(record, &action, &actor.name, &targets, error.as_deref());
    NewEvent {
        source: Source::Okta,
        source_event_id: source_event_id.to_owned(),
        occurred_at: published,
        actor,
        action,
        native_action: event_type.to_owned(),
        targets,
        scope: Some(Scope {
            kind: "org".into(),
            id: org.to_owned(),
            name: None,
        }),
        outcome,
        error,
        summary: summary
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
        details: details(record),
    }
}

/// Attest's verb for the events an access review asks about; `okta.<eventType>` otherwise.
pub(super) fn action(event_type: &str) -> String {
    let named = match event_type {
        "group.user_membership.add" => "group.member.added",
        "group.user_membership.remove" => "group.member.removed",
        "application.user_membership.add" => "app.assignment.added",
        "application.user_membership.remove" => "app.assignment.removed",
        "user.account.privilege.grant" | "group.privilege.grant" => "admin_role.granted",
        "user.account.privilege.revoke" | "group.privilege.revoke" => "admin_role.revoked",
        "user.session.start" => "auth.login",
        other => return format!("okta.{other}"),
    };
    named.to_owned()
}

/// Okta writes `unknown` where it has no value; that is no name.
fn known(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.eq_ignore_ascii_case("unknown"))
}

fn actor(record: &Value) -> Actor {
    let actor = get(record, "actor").unwrap_or(&Value::Null);
    let login = known(text(actor, &["alternateId"]));
    let display = known(text(actor, &["displayName"]));
    let id = known(text(actor, &["id"]));
    let kind = match text(actor, &["type"]) {
        Some("User") => ActorKind::Human,
        // Okta itself (rules, lifecycle jobs) and OAuth clients acting as themselves.
        Some("SystemPrincipal" | "PublicClientApp" | "AppInstance" | "Client") => {
            ActorKind::Service
        }
        _ => ActorKind::Unknown,
    };
    Actor {
        id: id.map(str::to_owned),
        name: login.or(display).or(id).unwrap_or("unknown").to_owned(),
        kind,
        ip: text(record, &["client", "ipAddress"]).map(str::to_owned),
        user_agent: text(record, &["client", "userAgent", "rawUserAgent"]).map(str::to_owned),
    }
}

pub(super) fn target_kind(okta_type: &str) -> String {
    match okta_type {
        "User" => "user".into(),
        "UserGroup" => "group".into(),
        "AppInstance" => "app".into(),
        "AppUser" => "app_user".into(),
        other => snake_case(other),
    }
}

fn targets(record: &Value) -> Vec<Target> {
    let Some(Value::Array(list)) = get(record, "target") else {
        return Vec::new();
    };
    list.iter()
        .filter(|t| t.is_object())
        .take(MAX_TARGETS)
        .map(|t| {
            let kind = target_kind(text(t, &["type"]).unwrap_or("unknown"));
            let login = known(text(t, &["alternateId"]));
            let display = known(text(t, &["displayName"]));
            let id = text(t, &["id"]);
            // People are found by login, groups and apps by the name shown in Okta.
            let name = if kind == "user" || kind == "app_user" {
                login.or(display)
            } else {
                display.or(login)
            };
            Target {
                name: name.or(id).unwrap_or("unknown").to_owned(),
                id: id.map(str::to_owned),
                kind,
            }
        })
        .collect()
}

/// `SUCCESS` and `ALLOW` succeeded; `FAILURE` and `DENY` did not. `SKIPPED`, `UNKNOWN` and
/// `CHALLENGE` did nothing wrong, so they count as success with the result kept in details.
fn outcome(record: &Value) -> (Outcome, Option<String>) {
    let result = text(record, &["outcome", "result"]).unwrap_or("SUCCESS");
    if result.eq_ignore_ascii_case("FAILURE") || result.eq_ignore_ascii_case("DENY") {
        let reason = text(record, &["outcome", "reason"]);
        let error = match reason {
            Some(reason) => format!("{result}: {reason}"),
            None => result.to_owned(),
        };
        (Outcome::Failure, Some(error))
    } else {
        (Outcome::Success, None)
    }
}

fn first<'a>(targets: &'a [Target], kind: &str) -> Option<&'a str> {
    targets
        .iter()
        .find(|t| t.kind == kind)
        .map(|t| t.name.as_str())
}

fn summary(
    record: &Value,
    action: &str,
    who: &str,
    targets: &[Target],
    error: Option<&str>,
) -> String {
    let user = first(targets, "user");
    let group = first(targets, "group");
    let app = first(targets, "app");
    let roles = super::grants::roles(record).join(", ");
    let subject = user.or(group);
    let line = match (action, user, group, app, subject) {
        ("group.member.added", Some(user), Some(group), _, _) => {
            format!("{who} added {user} to group {group}")
        }
        ("group.member.removed", Some(user), Some(group), _, _) => {
            format!("{who} removed {user} from group {group}")
        }
        ("app.assignment.added", Some(user), _, Some(app), _) => {
            format!("{who} assigned {user} to app {app}")
        }
        ("app.assignment.removed", Some(user), _, Some(app), _) => {
            format!("{who} unassigned {user} from app {app}")
        }
        ("admin_role.granted", _, _, _, Some(subject)) if !roles.is_empty() => {
            format!("{who} granted {roles} to {subject}")
        }
        ("admin_role.revoked", _, _, _, Some(subject)) if !roles.is_empty() => {
            format!("{who} revoked {roles} from {subject}")
        }
        ("auth.login", ..) => format!("{who} signed in to Okta"),
        _ => generic(record, who, targets),
    };
    match error {
        Some(error) => format!("{line} (failed: {error})"),
        None => line,
    }
}

/// "alice: Reset factor for user (bob, Okta Verify)".
fn generic(record: &Value, who: &str, targets: &[Target]) -> String {
    let what = text(record, &["displayMessage"])
        .or_else(|| text(record, &["eventType"]))
        .unwrap_or("event");
    let mut line = format!("{who}: {what}");
    let named: Vec<&str> = targets.iter().take(3).map(|t| t.name.as_str()).collect();
    if !named.is_empty() {
        line.push_str(&format!(" ({})", named.join(", ")));
    }
    line
}

/// The facts a reviewer asks about, not the whole event (which stays in the raw delivery).
fn details(record: &Value) -> Value {
    let mut details = Map::new();
    for key in [
        "eventType",
        "legacyEventType",
        "displayMessage",
        "severity",
        "outcome",
    ] {
        if let Some(value) = get(record, key) {
            details.insert(key.into(), value.clone());
        }
    }
    let debug = at(record, &["debugContext", "debugData"]).unwrap_or(&Value::Null);
    let mut debug_data = Map::new();
    for key in [
        "privilegeGranted",
        "privilegeRevoked",
        "requestUri",
        "threatSuspected",
        "behaviors",
        "risk",
        "logOnlySecurityData",
    ] {
        if let Some(value) = get(debug, key) {
            debug_data.insert(key.into(), value.clone());
        }
    }
    if !debug_data.is_empty() {
        details.insert("debugData".into(), Value::Object(debug_data));
    }
    let places = [
        ("geo", &["client", "geographicalContext"][..]),
        ("device", &["client", "device"]),
        ("sessionId", &["authenticationContext", "externalSessionId"]),
        ("transactionId", &["transaction", "id"]),
        ("securityContext", &["securityContext"]),
    ];
    for (name, path) in places {
        if let Some(value) = at(record, path) {
            details.insert(name.into(), value.clone());
        }
    }
    Value::Object(details)
}
