//! CloudTrail records → events: one record (the raw JSON of one element of a log file's
//! `Records`, or one EventBridge/NDJSON line) becomes exactly one [`NewEvent`]. Who did it lives
//! in `actor`, the dotted verb in `action`, what it touched in `targets`, and the access an IAM
//! call gave or took away in `grants`.

mod action;
mod actor;
mod grants;
mod targets;
#[cfg(test)]
mod tests;

use super::{NormalizeError, Normalized, RawDelivery};
use crate::model::{NewEvent, Outcome, Scope, Source, Target};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

pub use grants::grant_changes;

/// Normalize one CloudTrail delivery (one record): its event, and the grant changes of a
/// successful IAM call.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let record = parse(delivery.body)?;
    let event = event(&record)?;
    let grant_changes = grant_changes(&record, event.occurred_at, &event.actor.name);
    Ok(Normalized {
        events: vec![event],
        grant_changes,
        ..Normalized::default()
    })
}

/// Normalize one CloudTrail record into its event. `eventID` and the event time are required;
/// everything else is best effort, because hand-made and older records leave out fields real
/// ones carry.
pub fn normalize_record(body: &[u8]) -> Result<NewEvent, NormalizeError> {
    event(&parse(body)?)
}

fn parse(body: &[u8]) -> Result<Value, NormalizeError> {
    let record: Value = serde_json::from_slice(body)?;
    if !record.is_object() {
        return Err(NormalizeError::Invalid(
            "a CloudTrail record must be a JSON object".into(),
        ));
    }
    Ok(record)
}

fn event(record: &Value) -> Result<NewEvent, NormalizeError> {
    let source_event_id = text(record, "eventID").ok_or(NormalizeError::Missing("eventID"))?;
    let occurred_at = occurred_at(record)?;

    let service = action::service(text(record, "eventSource"));
    let event_name = text(record, "eventName").unwrap_or("unknown");
    let native_action = format!("{service}:{event_name}");
    let actor = actor::actor(record);
    let targets = targets::targets(&service, record);
    let (outcome, error) = outcome(record, event_name);
    let summary = summary(
        &actor.name,
        event_name,
        &native_action,
        &targets,
        record,
        outcome,
    );

    Ok(NewEvent {
        source: Source::Cloudtrail,
        source_event_id: source_event_id.to_owned(),
        occurred_at,
        action: action::action(&service, event_name),
        native_action,
        actor,
        targets,
        scope: scope(record),
        outcome,
        error,
        summary,
        details: details(record),
    })
}

/// The record's `eventID`, the idempotency key of a CloudTrail delivery. `None` when the bytes
/// are not a JSON object or the id is missing, empty or not a string.
pub fn event_id(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly {
        #[serde(rename = "eventID")]
        event_id: Option<String>,
    }
    let parsed: IdOnly = serde_json::from_slice(body).ok()?;
    parsed.event_id.filter(|id| !id.is_empty())
}

/// A non-empty string field of a JSON object; `None` for anything else, so callers never have
/// to care whether a field is missing, null or of an unexpected type.
fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key)?.as_str().filter(|s| !s.is_empty())
}

/// A string field below a path of object keys, e.g. `userIdentity.sessionContext...`.
fn text_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let (last, parents) = path.split_last()?;
    let parent = parents.iter().try_fold(value, |node, key| node.get(key))?;
    text(parent, last)
}

fn occurred_at(record: &Value) -> Result<DateTime<Utc>, NormalizeError> {
    // Logstash exports (the OTRF data sets) move `eventTime` into `@timestamp`.
    let raw = text(record, "eventTime")
        .or_else(|| text(record, "@timestamp"))
        .ok_or(NormalizeError::Missing("eventTime"))?;
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Ok(time.with_timezone(&Utc));
    }
    // Query exports (Athena, CloudTrail Lake, SIEMs) write `2023-01-10 21:04:02[.000]`, in UTC.
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f")
        .map(|time| time.and_utc())
        .map_err(|_| NormalizeError::Invalid(format!("eventTime {raw:?} is not an RFC 3339 time")))
}

fn scope(record: &Value) -> Option<Scope> {
    let account = text(record, "recipientAccountId")
        .or_else(|| text_at(record, &["userIdentity", "accountId"]))?;
    Some(Scope {
        kind: "account".into(),
        id: account.to_owned(),
        name: None,
    })
}

/// A record failed when it carries an `errorCode`; console sign-ins report failure in
/// `responseElements.ConsoleLogin` instead.
fn outcome(record: &Value, event_name: &str) -> (Outcome, Option<String>) {
    let message = text(record, "errorMessage");
    if let Some(code) = text(record, "errorCode") {
        let error = match message {
            Some(message) => format!("{code}: {message}"),
            None => code.to_owned(),
        };
        return (Outcome::Failure, Some(error));
    }
    let console_failure = event_name == "ConsoleLogin"
        && text_at(record, &["responseElements", "ConsoleLogin"]) == Some("Failure");
    if console_failure {
        let error = message.map_or_else(|| "ConsoleLogin: Failure".to_owned(), str::to_owned);
        return (Outcome::Failure, Some(error));
    }
    (Outcome::Success, None)
}

fn summary(
    actor: &str,
    event_name: &str,
    native_action: &str,
    targets: &[Target],
    record: &Value,
    outcome: Outcome,
) -> String {
    let line = if event_name == "ConsoleLogin" {
        console_login_summary(actor, record, outcome)
    } else {
        call_summary(actor, native_action, targets, record, outcome)
    };
    // Names come from the request and may hold anything; the timeline shows one line.
    line.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn console_login_summary(actor: &str, record: &Value, outcome: Outcome) -> String {
    match (outcome, text(record, "errorMessage")) {
        (Outcome::Success, _) => format!("{actor} signed in to the AWS console"),
        (Outcome::Failure, Some(why)) => {
            format!("{actor} failed to sign in to the AWS console ({why})")
        }
        (Outcome::Failure, None) => format!("{actor} failed to sign in to the AWS console"),
    }
}

/// "alice called iam:CreateUser on user bob (denied: AccessDenied)".
fn call_summary(
    actor: &str,
    native_action: &str,
    targets: &[Target],
    record: &Value,
    outcome: Outcome,
) -> String {
    let mut line = format!("{actor} called {native_action}");
    let described: Vec<String> = targets.iter().take(2).map(describe_target).collect();
    if !described.is_empty() {
        line.push_str(" on ");
        line.push_str(&described.join(" and "));
        if targets.len() > described.len() {
            line.push_str(&format!(" and {} more", targets.len() - described.len()));
        }
    }
    if outcome == Outcome::Failure {
        let code = text(record, "errorCode").unwrap_or("failure");
        let how = if is_denial(code) { "denied" } else { "failed" };
        line.push_str(&format!(" ({how}: {code})"));
    }
    line
}

fn is_denial(code: &str) -> bool {
    ["AccessDenied", "Unauthorized", "Forbidden"]
        .iter()
        .any(|word| code.contains(word))
}

fn describe_target(target: &Target) -> String {
    let word = match target.kind.as_str() {
        "iam_user" => "user",
        "iam_group" => "group",
        "iam_role" => "role",
        "iam_policy" => "policy",
        "iam_instance_profile" => "instance profile",
        "access_key" => "access key",
        "s3_bucket" => "bucket",
        "s3_object" => "object",
        "ec2_instance" => "instance",
        "cloudtrail_trail" => "trail",
        "lambda_function" => "function",
        other => return format!("{} {}", other.replace('_', " "), target.name),
    };
    format!("{word} {}", target.name)
}

/// What the event page shows beside the summary: the request as sent and the facts an auditor
/// asks about (region, read-only, MFA), not the whole record, which stays in the raw delivery.
fn details(record: &Value) -> Value {
    let mut details = Map::new();
    let mut copy = |from: &str, to: &str| {
        if let Some(value) = record.get(from).filter(|value| !value.is_null()) {
            details.insert(to.to_owned(), value.clone());
        }
    };
    copy("awsRegion", "region");
    for key in [
        "eventSource",
        "eventName",
        "eventType",
        "readOnly",
        "requestParameters",
        "errorCode",
        "errorMessage",
        "sessionCredentialFromConsole",
        "requestID",
    ] {
        copy(key, key);
    }
    if let Some(mfa) = text_at(
        record,
        &[
            "userIdentity",
            "sessionContext",
            "attributes",
            "mfaAuthenticated",
        ],
    ) {
        details.insert("mfaAuthenticated".into(), Value::String(mfa.to_owned()));
    }
    if let Some(mfa) = text_at(record, &["additionalEventData", "MFAUsed"]) {
        details.insert("mfaUsed".into(), Value::String(mfa.to_owned()));
    }
    Value::Object(details)
}
