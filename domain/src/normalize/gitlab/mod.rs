//! GitLab: project, group and system webhooks (`X-Gitlab-Event`) and audit events → events
//! and grant changes (member and group access).
//!
//! This file reads a delivery and sends it to the module of its family: `members` (who holds
//! which role on a project or group: the grant changes), `admin` (users, SSH keys, projects,
//! groups, access tokens), `code` (pushes, merge requests, issues, notes), `ci` (pipelines,
//! jobs, deployments, releases) and `audit` (audit events from the API, streaming or
//! `audit_json.log`). `event` builds the events, `words` holds GitLab's vocabulary.

mod admin;
mod audit;
mod ci;
mod code;
mod event;
mod members;
#[cfg(test)]
mod tests;
mod words;

use super::{NormalizeError, Normalized, RawDelivery};
use crate::model::{NewEvent, Outcome, Source};
use chrono::{DateTime, Utc};
use event::Draft;
use serde_json::Value;
use words::text;

/// The `kind` of a delivery that holds one audit event (a record of the audit events API, of
/// an audit event streaming POST, or a line of `audit_json.log`).
pub const AUDIT_EVENT: &str = "audit_event";

/// Normalize one GitLab delivery. `kind` is the `X-Gitlab-Event` header of a webhook
/// (`System Hook`, `Member Hook`, `Push Hook`, ...), [`AUDIT_EVENT`] for an audit event, or
/// nothing, in which case the body's `object_kind` / `event_name` says what it is.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let header = delivery.kind.map(str::trim).filter(|k| !k.is_empty());
    if header.is_some_and(|k| k.eq_ignore_ascii_case(AUDIT_EVENT)) {
        let record = object_body(delivery.body, "an audit event")?;
        return audit::normalize(&record, delivery);
    }
    let body = object_body(delivery.body, "a GitLab webhook payload")?;
    let Some(name) = subject(&body, header) else {
        // Audit event streaming posts carry no `X-Gitlab-Event` header and no `object_kind`.
        if audit::looks_like_audit_event(&body) {
            return audit::normalize(&body, delivery);
        }
        return Err(NormalizeError::Invalid(match header {
            Some(header) => format!(
                "cannot tell what this `{header}` delivery is: the body has no `object_kind` \
                 or `event_name`"
            ),
            None => "cannot tell what this GitLab delivery is: no X-Gitlab-Event kind, and the \
                     body has no `object_kind` or `event_name`"
                .into(),
        }));
    };
    let key = delivery.delivery_key.trim();
    if key.is_empty() {
        return Err(NormalizeError::Invalid(
            "the delivery key is empty (expected Idempotency-Key, X-Gitlab-Event-UUID or a hash \
             of the body)"
                .into(),
        ));
    }
    let hook = Hook {
        header,
        name,
        body: &body,
        received_at: delivery.received_at,
    };
    let draft = route(&hook)?;
    let native_action = hook.native_action();
    Ok(assemble(draft, key, native_action, delivery.received_at))
}

/// The audit event's own `id`, as text, for `kind` = [`AUDIT_EVENT`]: the idempotency key of
/// an imported or streamed audit event. `None` for other kinds, for bytes that are not a JSON
/// object, and for records without an id (lines of `audit_json.log` have none; the importer
/// then keys them by a hash of the line).
pub fn record_key(kind: &str, record: &[u8]) -> Option<String> {
    if !kind.trim().eq_ignore_ascii_case(AUDIT_EVENT) {
        return None;
    }
    let record: Value = serde_json::from_slice(record).ok()?;
    if !record.is_object() {
        return None;
    }
    words::id(&record, "/id").map(|id| id.trim().to_owned())
}

/// The body as a JSON object, or an error that says what was expected.
fn object_body(body: &[u8], what: &str) -> Result<Value, NormalizeError> {
    let value: Value = serde_json::from_slice(body)?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(NormalizeError::Invalid(format!(
            "{what} must be a JSON object, not {}",
            json_type(&value)
        )))
    }
}

pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What the payload is, in GitLab's words: `object_kind` (`push`, `merge_request`,
/// `access_token`; project webhooks and some system hooks), else `event_name` (system hooks,
/// member, project and subgroup hooks), else what the header implies for payloads of old
/// GitLab versions that sent neither.
fn subject<'a>(body: &'a Value, header: Option<&str>) -> Option<&'a str> {
    text(body, "/object_kind")
        .or_else(|| text(body, "/event_name"))
        .map(str::trim)
        .or_else(|| header.and_then(header_subject))
}

fn header_subject(header: &str) -> Option<&'static str> {
    let subject = match header.to_ascii_lowercase().as_str() {
        "push hook" => "push",
        "tag push hook" => "tag_push",
        "issue hook" | "confidential issue hook" => "issue",
        "note hook" | "confidential note hook" => "note",
        "merge request hook" => "merge_request",
        "wiki page hook" => "wiki_page",
        "pipeline hook" => "pipeline",
        // GitLab renamed builds to jobs; older versions send `Build Hook`.
        "job hook" | "build hook" => "build",
        "deployment hook" => "deployment",
        "release hook" => "release",
        "feature flag hook" => "feature_flag",
        "resource access token hook" => "access_token",
        _ => return None,
    };
    Some(subject)
}

/// One webhook delivery as the family modules see it.
pub(super) struct Hook<'a> {
    /// The `X-Gitlab-Event` header, when the transport passed it.
    pub header: Option<&'a str>,
    /// `object_kind` or `event_name`: what the payload is.
    pub name: &'a str,
    pub body: &'a Value,
    /// For the few facts GitLab sends without a time (a removal, a push).
    pub received_at: DateTime<Utc>,
}

impl Hook<'_> {
    /// GitLab's own name: the system hook's `event_name` (`user_add_to_team`), else
    /// `object_kind` with the object's action when it has one (`merge_request.open`).
    fn native_action(&self) -> String {
        if let Some(event_name) = text(self.body, "/event_name") {
            return event_name.trim().to_owned();
        }
        match self.verb() {
            Some(verb) => format!("{}.{verb}", self.name),
            None => self.name.to_owned(),
        }
    }

    /// The object's action (`open`, `merge`, `create`), trimmed: some published samples
    /// carry stray spaces in values.
    pub fn verb(&self) -> Option<&str> {
        text(self.body, "/object_attributes/action")
            .or_else(|| text(self.body, "/action"))
            .map(str::trim)
    }

    /// Where the delivery came from, for evidence: `System Hook`, `Member Hook`, or
    /// `webhook` when the header was not passed.
    pub fn origin(&self) -> &str {
        self.header.unwrap_or("webhook")
    }
}

fn route(h: &Hook<'_>) -> Result<Draft, NormalizeError> {
    match h.name {
        name if members::is_membership(name) => members::membership(h),
        name if name.starts_with("user_access_request_") => members::access_request(h),
        "user_create" | "user_destroy" | "user_rename" => Ok(admin::user(h)),
        "user_failed_login" => Ok(admin::failed_login(h)),
        "key_create" | "key_destroy" => Ok(admin::key(h)),
        "project_create" | "project_destroy" | "project_rename" | "project_transfer"
        | "project_update" => Ok(admin::project_change(h)),
        "group_create" | "group_destroy" | "group_rename" | "subgroup_create"
        | "subgroup_destroy" => Ok(admin::group_change(h)),
        "access_token" => Ok(admin::access_token(h)),
        "gitlab_subscription_member_approval" | "gitlab_subscription_member_approvals" => {
            Ok(admin::promotion(h))
        }
        "push" => Ok(code::push(h)),
        "tag_push" => Ok(code::tag_push(h)),
        "repository_update" => Ok(code::repository_update(h)),
        "merge_request" => Ok(code::merge_request(h)),
        "issue" | "work_item" => Ok(code::issue(h)),
        "note" => Ok(code::note(h)),
        "pipeline" => Ok(ci::pipeline(h)),
        "build" => Ok(ci::job(h)),
        "deployment" => Ok(ci::deployment(h)),
        "release" => Ok(ci::release(h)),
        "wiki_page" => Ok(code::wiki_page(h)),
        "feature_flag" => Ok(ci::feature_flag(h)),
        _ => Ok(code::generic(h)),
    }
}

/// The event of one delivery and the grant changes it states. Every webhook yields one event,
/// so the delivery key is its `source_event_id` as it is.
fn assemble(
    draft: Draft,
    key: &str,
    native_action: String,
    received_at: DateTime<Utc>,
) -> Normalized {
    let event = NewEvent {
        source: Source::Gitlab,
        source_event_id: key.to_owned(),
        occurred_at: draft.occurred_at.unwrap_or(received_at),
        actor: draft.actor,
        action: draft.action,
        native_action,
        targets: draft.targets,
        scope: draft.scope,
        outcome: if draft.failure.is_some() {
            Outcome::Failure
        } else {
            Outcome::Success
        },
        error: draft.failure,
        summary: draft.summary,
        details: Value::Object(draft.details),
    };
    Normalized {
        events: vec![event],
        grant_changes: draft.grants,
        ..Normalized::default()
    }
}
