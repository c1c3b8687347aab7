//! HCP Terraform / Terraform Enterprise run notifications (the "generic webhook" destination,
//! `payload_version` 1) → one event per entry of `notifications`, plus the check of their
//! `X-TFE-Notification-Signature` header.

use crate::model::{Actor, ActorKind, NewEvent, Outcome, Scope, Source, Target};
use crate::normalize::json::{pick, text, timestamp};
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha512;

/// Checks `X-TFE-Notification-Signature`: the hex HMAC-SHA512 of the raw body keyed with the
/// notification configuration's token. False when no token is configured (HCP Terraform then
/// sends no signature, and an unsigned delivery proves nothing), when the header is missing or
/// is not 128 hex digits, or when it does not match. The comparison is constant-time
/// (`Mac::verify_slice`).
pub fn verify_tfe_signature(token: &[u8], signature_hex: Option<&str>, body: &[u8]) -> bool {
    if token.is_empty() {
        return false;
    }
    let Some(signature_hex) = signature_hex else {
        return false;
    };
    let mut given = [0u8; 64];
    if hex::decode_to_slice(signature_hex.trim(), &mut given).is_err() {
        return false;
    }
    let Ok(mut mac) = Hmac::<Sha512>::new_from_slice(token) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

pub(super) fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let payload: Value = serde_json::from_slice(delivery.body)?;
    if !payload.is_object() {
        return Err(NormalizeError::Invalid(
            "a run notification must be a JSON object".into(),
        ));
    }
    let notifications = payload
        .get("notifications")
        .and_then(Value::as_array)
        .ok_or(NormalizeError::Missing("notifications"))?;
    let mut events = Vec::new();
    let mut verification = false;
    for (index, notification) in notifications.iter().enumerate() {
        let trigger = text(notification, "/trigger").ok_or_else(|| {
            NormalizeError::Invalid(format!("notifications[{index}] has no trigger"))
        })?;
        if trigger == "verification" {
            verification = true;
            continue;
        }
        events.push(event(delivery, &payload, index, notification, trigger)?);
    }
    if events.is_empty() {
        let why = if verification {
            "HCP Terraform verification request (sent when a notification configuration is saved)"
        } else {
            "run notification without notifications"
        };
        return Ok(Normalized::ignored(why));
    }
    Ok(Normalized::events(events))
}

fn event(
    delivery: &RawDelivery<'_>,
    payload: &Value,
    index: usize,
    notification: &Value,
    trigger: &str,
) -> Result<NewEvent, NormalizeError> {
    let occurred_at = notification
        .get("run_updated_at")
        .and_then(timestamp)
        .or_else(|| payload.get("run_created_at").and_then(timestamp))
        .ok_or(NormalizeError::Missing("run_updated_at"))?;
    // `run:completed` → `terraform.run.completed`; `assessment:drifted` (health assessments)
    // → `terraform.assessment.drifted`.
    let (family, what) = trigger.split_once(':').unwrap_or(("run", trigger));
    let action = format!("terraform.{}.{}", word(family), word(what));
    let run_id = text(payload, "/run_id");
    let source_event_id = match run_id {
        // Stable across redeliveries and across two notification configurations that report the
        // same moment of the same run, which are one fact.
        Some(run) => format!(
            "{run}#{trigger}#{}",
            text(notification, "/run_updated_at").unwrap_or("-")
        ),
        None => format!("{}#{index}", delivery.delivery_key),
    };
    let status = text(notification, "/run_status");
    let message = text(notification, "/message").unwrap_or(trigger);
    let actor = actor(text(notification, "/run_updated_by"));
    let org = text(payload, "/organization_name");
    let workspace = text(payload, "/workspace_name");
    let mut targets = Vec::new();
    if let Some(name) = workspace {
        targets.push(Target {
            kind: "workspace".into(),
            id: text(payload, "/workspace_id").map(str::to_owned),
            name: name.to_owned(),
        });
    }
    if let Some(run) = run_id {
        targets.push(Target {
            kind: "terraform_run".into(),
            id: Some(run.to_owned()),
            name: run.to_owned(),
        });
    }
    let failed = status == Some("errored");
    let mut summary = format!("{message}: run {}", run_id.unwrap_or("(no id)"));
    match (org, workspace) {
        (Some(org), Some(ws)) => summary.push_str(&format!(" of {org}/{ws}")),
        (None, Some(ws)) => summary.push_str(&format!(" of {ws}")),
        _ => {}
    }
    if let Some(run_message) = text(payload, "/run_message") {
        summary.push_str(&format!(" \"{}\"", run_message.trim()));
    }
    summary.push_str(&format!(" (by {})", actor.name));
    let mut details = pick(
        payload,
        &[
            "run_url",
            "run_id",
            "run_message",
            "run_created_at",
            "run_created_by",
            "notification_configuration_id",
            "payload_version",
        ],
    );
    details.extend(pick(notification, &["trigger", "run_status", "message"]));
    Ok(NewEvent {
        source: Source::Terraform,
        source_event_id,
        occurred_at,
        actor,
        action,
        native_action: trigger.to_owned(),
        targets,
        scope: org.map(|org| Scope {
            kind: "org".into(),
            id: org.to_owned(),
            name: Some(org.to_owned()),
        }),
        outcome: if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        },
        error: failed.then(|| message.to_owned()),
        summary: summary
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
        details: Value::Object(details),
    })
}

/// The user who moved the run on; none when HCP Terraform itself did (planning, errors).
/// Organization and team API tokens act as `api-org-…` / `api-team-…` users.
fn actor(updated_by: Option<&str>) -> Actor {
    match updated_by {
        Some(name) => Actor {
            id: None,
            name: name.to_owned(),
            kind: if name.starts_with("api-org-") || name.starts_with("api-team-") {
                ActorKind::Service
            } else {
                ActorKind::Human
            },
            ip: None,
            user_agent: None,
        },
        None => Actor {
            id: None,
            name: "HCP Terraform".into(),
            kind: ActorKind::Service,
            ip: None,
            user_agent: None,
        },
    }
}

/// A trigger part as a dotted-verb word: lowercase, anything but letters and digits as `_`.
fn word(part: &str) -> String {
    let word: String = part
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if word.is_empty() {
        "unknown".into()
    } else {
        word
    }
}
