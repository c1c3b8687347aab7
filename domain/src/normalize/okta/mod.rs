//! Okta System Log events → events; group membership, application assignment and admin role
//! grants → grant changes. Also the pure halves of the Event Hook transport: the answer to
//! Okta's one-time verification request and the split of a delivery into its events.
//!
//! Kind: `system_log`, optionally `system_log;org=<okta host>`. The org host is the grant
//! scope (`okta:org:<host>`). An event does not name its org: actor and target ids are
//! e-mail logins whose domain is the user's, not the Okta org's, so guessing from them would
//! split one org's grants over several scopes. The host therefore comes from the transport
//! (an Event Hook delivery's `source`, see [`event_hook_org`], or the import's settings), and
//! is `default` when nobody said, which keeps every event of a single-org install together.

mod event;
mod fields;
mod grants;
#[cfg(test)]
mod tests;

use super::{NormalizeError, Normalized, RawDelivery};
use crate::model::Outcome;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// Normalize one okta delivery: one System Log event.
pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let (name, org) = parse_kind(delivery.kind.unwrap_or_default());
    match name {
        "system_log" => system_log(delivery, org.unwrap_or("default")),
        "" => Err(NormalizeError::Invalid(
            "okta deliveries need a kind: system_log".into(),
        )),
        other => Err(NormalizeError::Invalid(format!(
            "unknown okta kind {other:?} (expected system_log)"
        ))),
    }
}

/// The System Log event's `uuid`, its stable id (replays and overlapping polls carry the same).
pub fn record_key(kind: &str, record: &[u8]) -> Option<String> {
    if parse_kind(kind).0 != "system_log" {
        return None;
    }
    let record: Value = serde_json::from_slice(record).ok()?;
    fields::text(&record, &["uuid"]).map(str::to_owned)
}

/// Okta's one-time Event Hook verification: the `X-Okta-Verification-Challenge` header of the
/// `GET` is echoed back as the JSON body `{"verification": "<value>"}`, which this returns.
/// `None` when the header is missing, blank, longer than any challenge Okta sends, or holds
/// control characters: nothing worth echoing.
pub fn event_hook_verification(header_value: Option<&str>) -> Option<String> {
    let challenge = header_value?.trim();
    let plausible = !challenge.is_empty()
        && challenge.len() <= 1024
        && !challenge.chars().any(char::is_control);
    plausible.then(|| serde_json::json!({ "verification": challenge }).to_string())
}

/// The events of an Event Hook delivery (`{"eventType":"com.okta.event_hook","data":{"events":
/// [...]}}`), each as its exact bytes, ready to be stored and normalized one by one (kind
/// `system_log`, keyed by [`record_key`]).
pub fn event_hook_events(body: &[u8]) -> Result<Vec<Vec<u8>>, NormalizeError> {
    #[derive(Deserialize)]
    struct Hook<'a> {
        #[serde(rename = "eventType")]
        event_type: Option<Value>,
        #[serde(borrow)]
        data: Option<HookData<'a>>,
    }
    #[derive(Deserialize)]
    struct HookData<'a> {
        #[serde(borrow)]
        events: Option<Vec<&'a RawValue>>,
    }
    let hook: Hook<'_> = serde_json::from_slice(body)?;
    match &hook.event_type {
        None => {}
        Some(Value::String(kind)) if kind == "com.okta.event_hook" => {}
        Some(other) => {
            return Err(NormalizeError::Invalid(format!(
                "not an Okta Event Hook delivery: eventType is {other}, expected \"com.okta.event_hook\""
            )))
        }
    }
    let events = hook
        .data
        .and_then(|data| data.events)
        .ok_or(NormalizeError::Missing("data.events"))?;
    events
        .into_iter()
        .enumerate()
        .map(|(index, raw)| {
            let text = raw.get();
            if text.trim_start().starts_with('{') {
                Ok(text.as_bytes().to_vec())
            } else {
                Err(NormalizeError::Invalid(format!(
                    "data.events[{index}] is not a JSON object"
                )))
            }
        })
        .collect()
}

/// The Okta org host an Event Hook delivery comes from, read from its `source`
/// (`https://acme.okta.com/api/v1/eventHooks/who…` → `acme.okta.com`), for the kind
/// `system_log;org=<host>` of the events it carries.
pub fn event_hook_org(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Source {
        source: Option<String>,
    }
    let source = serde_json::from_slice::<Source>(body).ok()?.source?;
    let rest = source
        .strip_prefix("https://")
        .or_else(|| source.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    valid.then_some(host)
}

/// `system_log;org=acme.okta.com` → (`system_log`, `Some("acme.okta.com")`).
fn parse_kind(kind: &str) -> (&str, Option<&str>) {
    let mut parts = kind.split(';');
    let name = parts.next().unwrap_or_default().trim();
    let org = parts
        .filter_map(|part| part.trim().strip_prefix("org="))
        .map(str::trim)
        .find(|org| !org.is_empty());
    (name, org)
}

fn system_log(delivery: &RawDelivery<'_>, org: &str) -> Result<Normalized, NormalizeError> {
    let record: Value = serde_json::from_slice(delivery.body)?;
    if !record.is_object() {
        return Err(NormalizeError::Invalid(
            "an Okta System Log event must be a JSON object".into(),
        ));
    }
    let event_type =
        fields::text(&record, &["eventType"]).ok_or(NormalizeError::Missing("eventType"))?;
    let published = match fields::get(&record, "published") {
        None => return Err(NormalizeError::Missing("published")),
        Some(value) => fields::time(value)
            .ok_or_else(|| NormalizeError::Invalid(format!("published {value} is not a time")))?,
    };
    let source_event_id = fields::text(&record, &["uuid"]).unwrap_or(delivery.delivery_key);
    let event = event::build(&record, event_type, published, source_event_id, org);
    let grant_changes = match event.outcome {
        Outcome::Success => grants::changes(&record, event_type, published, &event.actor.name, org),
        // A denied or failed change changed no access.
        Outcome::Failure => Vec::new(),
    };
    Ok(Normalized {
        events: vec![event],
        grant_changes,
        ..Normalized::default()
    })
}
