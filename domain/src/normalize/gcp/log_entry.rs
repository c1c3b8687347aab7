//! One Cloud Audit Logs `LogEntry` → one event, plus the grant changes of an IAM policy write.
//! Entries that are not audit logs (a function's `textPayload`, an app's `jsonPayload`) are
//! understood and ignored; an entry without a time or `methodName` is an error, because those
//! are what make it an event. The event id is `insertId`; a copy that lost it (SIEM exports,
//! hand-trimmed samples) falls back to the delivery key, which is stable across replays.

use super::{action, actor, changes, names};
use crate::model::{NewEvent, Outcome, Scope, Source, Target};
use crate::normalize::json::{self, text};
use crate::normalize::{NormalizeError, Normalized};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{json, Map, Value};

const AUDIT_LOG: &str = "type.googleapis.com/google.cloud.audit.AuditLog";

pub(super) fn normalize(entry: &Value, delivery_key: &str) -> Result<Normalized, NormalizeError> {
    if !entry.is_object() {
        return Err(NormalizeError::Invalid(
            "a Cloud Logging LogEntry must be a JSON object".into(),
        ));
    }
    if entry.get("entries").is_some_and(Value::is_array) {
        return Err(NormalizeError::Invalid(
            "this is a list of log entries (`entries`): import the file so that each entry is \
             one record"
                .into(),
        ));
    }
    let payload = match entry.get("protoPayload") {
        Some(payload) if payload.is_object() => payload,
        Some(_) => return Err(NormalizeError::Missing("protoPayload")),
        None => return not_audit(entry),
    };
    // Google's own samples leave `@type` out; Panther's copies rename it `at_sign_type`.
    let payload_type = text(payload, "/@type").or_else(|| text(payload, "/at_sign_type"));
    if let Some(other) = payload_type.filter(|t| *t != AUDIT_LOG) {
        return Ok(Normalized::ignored(format!(
            "not an audit log: protoPayload is {other}"
        )));
    }

    let event_id = text(entry, "/insertId")
        .or_else(|| Some(delivery_key).filter(|key| !key.trim().is_empty()))
        .ok_or(NormalizeError::Missing("insertId"))?;
    let occurred_at = occurred_at(entry)?;
    let method =
        text(payload, "/methodName").ok_or(NormalizeError::Missing("protoPayload.methodName"))?;
    let service_name = service_name(entry, payload);
    let log_name = text(entry, "/logName");
    let log_type = log_name.and_then(names::audit_log_type);

    let service = action::service(service_name, method);
    let actor = actor::actor(payload, log_type == Some("system_event"));
    let project = text(entry, "/resource/labels/project_id");
    let target =
        text(payload, "/resourceName").map(|name| names::resource(service_name, name, project));
    let (outcome, error) = outcome(payload);
    let native_action = format!("{}:{method}", service_name.unwrap_or(&service));

    let changes = if outcome == Outcome::Success {
        changes::from_deltas(
            payload,
            target.as_ref(),
            occurred_at,
            &native_action,
            &actor.name,
        )?
    } else {
        Vec::new()
    };

    let mut targets: Vec<Target> = target
        .iter()
        .map(|r| Target {
            kind: r.kind.clone(),
            id: Some(r.id.clone()),
            name: r.name.clone(),
        })
        .collect();
    for change in &changes {
        let p = &change.grant.principal;
        if !targets
            .iter()
            .any(|t| t.id.as_deref() == Some(p.id.as_str()))
        {
            targets.push(Target {
                kind: p.kind.clone(),
                id: Some(p.id.clone()),
                name: p.name.clone(),
            });
        }
    }

    let summary = clean(&summary(
        &actor.name,
        method,
        target.as_ref().map(|r| (r.kind.as_str(), r.name.as_str())),
        &changes,
        outcome,
        error.as_deref(),
    ));
    let event = NewEvent {
        source: Source::Gcp,
        source_event_id: event_id.to_owned(),
        occurred_at,
        action: action::action(&service, method),
        native_action,
        actor,
        targets,
        scope: scope(entry, payload),
        outcome,
        error,
        summary,
        details: details(entry, payload, log_type),
    };
    Ok(Normalized {
        events: vec![event],
        grant_changes: changes,
        ..Normalized::default()
    })
}

/// The API that was called. Google's own samples and SIEM copies sometimes lose
/// `protoPayload.serviceName`; the monitored resource, the permission checks and the
/// long-running operation name the same service.
fn service_name<'a>(entry: &'a Value, payload: &'a Value) -> Option<&'a str> {
    let checked = || {
        payload
            .get("authorizationInfo")?
            .as_array()?
            .iter()
            .find_map(|check| text(check, "/resourceAttributes/service"))
    };
    text(payload, "/serviceName")
        .or_else(|| text(entry, "/resource/labels/service"))
        .or_else(checked)
        .or_else(|| text(entry, "/operation/producer").filter(|p| p.ends_with(".googleapis.com")))
}

/// A LogEntry with another payload is understood and skipped; an object with none of the
/// payloads is not a LogEntry at all.
fn not_audit(entry: &Value) -> Result<Normalized, NormalizeError> {
    let payload = ["textPayload", "jsonPayload"]
        .into_iter()
        .find(|key| entry.get(*key).is_some());
    match payload {
        Some(payload) => {
            let log = text(entry, "/logName").unwrap_or("an unnamed log");
            Ok(Normalized::ignored(format!(
                "not an audit log: a {payload} entry of {log}"
            )))
        }
        None => Err(NormalizeError::Missing("protoPayload")),
    }
}

/// `timestamp` is when the call happened; `receiveTimestamp` (when Logging got it) stands in
/// only when a copy lost the former.
fn occurred_at(entry: &Value) -> Result<DateTime<Utc>, NormalizeError> {
    let raw = entry
        .get("timestamp")
        .or_else(|| entry.get("receiveTimestamp"))
        .ok_or(NormalizeError::Missing("timestamp"))?;
    time(raw).ok_or_else(|| NormalizeError::Invalid(format!("timestamp {raw} is not a time")))
}

/// RFC 3339 as Logging writes it, or `2023-03-28 17:37:02.096` (UTC) as SIEM copies do.
pub(super) fn time(raw: &Value) -> Option<DateTime<Utc>> {
    json::timestamp(raw).or_else(|| {
        let s = raw.as_str()?.trim();
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
            .ok()
            .map(|t| t.and_utc())
    })
}

/// A non-zero `status.code` is a failure (google.rpc.Code). Without a status, a call whose every
/// permission check was refused was refused too.
fn outcome(payload: &Value) -> (Outcome, Option<String>) {
    let code = json::number(payload, "/status/code")
        .or_else(|| text(payload, "/status/code").and_then(|c| c.parse().ok()));
    let message = text(payload, "/status/message");
    if let Some(code) = code.filter(|c| *c != 0) {
        let name = code_name(code);
        let error = match message {
            Some(message) => format!("{name}: {message}"),
            None => name,
        };
        return (Outcome::Failure, Some(error));
    }
    let checks = payload
        .get("authorizationInfo")
        .and_then(Value::as_array)
        .filter(|checks| !checks.is_empty());
    let all_refused = checks.is_some_and(|checks| {
        checks
            .iter()
            .all(|c| c.get("granted").and_then(Value::as_bool) == Some(false))
    });
    if code.is_none() && all_refused {
        return (
            Outcome::Failure,
            Some("PERMISSION_DENIED: every permission check was refused".into()),
        );
    }
    (Outcome::Success, None)
}

fn code_name(code: i64) -> String {
    let name = match code {
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        other => return format!("code {other}"),
    };
    name.to_owned()
}

/// The project the call happened in: the monitored resource's `project_id`, else the project,
/// folder or organisation that owns the log, else the one the resource name starts with.
fn scope(entry: &Value, payload: &Value) -> Option<Scope> {
    let scope = |kind: &str, id: &str| Scope {
        kind: kind.to_owned(),
        id: id.to_owned(),
        name: None,
    };
    if let Some(project) = text(entry, "/resource/labels/project_id") {
        return Some(scope("project", project));
    }
    if let Some((kind, id)) = text(entry, "/logName").and_then(names::log_parent) {
        let kind = if kind == "organization" { "org" } else { kind };
        return Some(scope(kind, id));
    }
    let name = text(payload, "/resourceName")?;
    let (kind, id) = names::log_parent(name)?;
    if matches!(id, "_" | "-") {
        return None;
    }
    let kind = if kind == "organization" { "org" } else { kind };
    Some(scope(kind, id))
}

fn summary(
    actor: &str,
    method: &str,
    target: Option<(&str, &str)>,
    changes: &[crate::grant::GrantChange],
    outcome: Outcome,
    error: Option<&str>,
) -> String {
    let on = match target {
        Some((kind, name)) => format!(" on {} {name}", kind.replace('_', " ")),
        None => String::new(),
    };
    if outcome == Outcome::Failure {
        let code = error.and_then(|e| e.split(':').next()).unwrap_or("failure");
        let how = if matches!(code, "PERMISSION_DENIED" | "UNAUTHENTICATED") {
            "denied"
        } else {
            "failed"
        };
        return format!(
            "{actor} called {}{on} ({how}: {code})",
            short_method(method)
        );
    }
    if action::is_policy_write(method) {
        return changes::summary(actor, &on, changes);
    }
    format!("{actor} called {}{on}", short_method(method))
}

/// `google.iam.admin.v1.CreateServiceAccount` → `CreateServiceAccount`,
/// `v1.compute.instances.stop` → `instances.stop`: enough to read, the rest is in the details.
fn short_method(method: &str) -> &str {
    let mut parts = method.rsplitn(3, '.');
    let last = parts.next().unwrap_or(method);
    match parts.next() {
        Some(prev) if !prev.is_empty() && !action::is_version(prev) => {
            let start = method.len() - last.len() - 1 - prev.len();
            method.get(start..).unwrap_or(last)
        }
        _ => last,
    }
}

fn clean(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// What the event page shows beside the summary: where and how the call was made and what
/// it changed, never the whole request (which stays in the raw delivery).
fn details(entry: &Value, payload: &Value, log_type: Option<&str>) -> Value {
    let mut details = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value.filter(|v| !v.is_null()) {
            details.insert(key.to_owned(), value);
        }
    };
    let str_at = |value: &Value, pointer: &str| text(value, pointer).map(|s| json!(s));
    put("log", log_type.map(|t| json!(t)));
    put("service", str_at(payload, "/serviceName"));
    put("method", str_at(payload, "/methodName"));
    put("resource_name", str_at(payload, "/resourceName"));
    put("resource_type", str_at(entry, "/resource/type"));
    put("severity", str_at(entry, "/severity"));
    put("caller_ip", actor::caller_ip(payload).map(|ip| json!(ip)));
    put(
        "principal_subject",
        str_at(payload, "/authenticationInfo/principalSubject"),
    );
    put(
        "service_account_key",
        str_at(payload, "/authenticationInfo/serviceAccountKeyName"),
    );
    put("delegation", delegation(payload));
    put("permissions", permissions(payload));
    put("status", json::object(payload, "/status").cloned());
    put("binding_deltas", changes::deltas(payload).map(|d| json!(d)));
    put("operation", json::object(entry, "/operation").cloned());
    Value::Object(details)
}

/// Who the caller acted for when impersonating a service account, first caller first.
fn delegation(payload: &Value) -> Option<Value> {
    let chain: Vec<&str> = payload
        .pointer("/authenticationInfo/serviceAccountDelegationInfo")?
        .as_array()?
        .iter()
        .filter_map(|hop| {
            text(hop, "/firstPartyPrincipal/principalEmail")
                .or_else(|| text(hop, "/thirdPartyPrincipal/principalEmail"))
                .or_else(|| text(hop, "/principalSubject"))
        })
        .collect();
    (!chain.is_empty()).then(|| json!(chain))
}

/// The permissions the call was checked for, each once.
fn permissions(payload: &Value) -> Option<Value> {
    let mut seen: Vec<&str> = Vec::new();
    for check in payload.get("authorizationInfo")?.as_array()? {
        if let Some(permission) = text(check, "/permission") {
            if !seen.contains(&permission) && seen.len() < 20 {
                seen.push(permission);
            }
        }
    }
    (!seen.is_empty()).then(|| json!(seen))
}
