//! Azure Event Grid deliveries: arrays of events in the Event Grid schema (`eventType`,
//! `eventTime`, `id`, `data`) or the CloudEvents schema (`type`, `time`, `id`, `data`). Events
//! of Azure Resource Manager (`Microsoft.Resources.ResourceWriteSuccess`, …) carry an
//! operation record in `data` and are read like Activity Log records; the subscription
//! validation handshake is answered by the HTTP layer with [`event_grid_validation_code`].

use super::activity::{self, Context};
use super::fields::{get, text, time};
use crate::normalize::{NormalizeError, Normalized};
use serde_json::Value;

const VALIDATION: &str = "Microsoft.EventGrid.SubscriptionValidationEvent";

/// The `validationCode` of a subscription validation event, which the webhook must echo as
/// `{"validationResponse": "<code>"}` with status 200 for Event Grid to start delivering.
/// Accepts the delivered array or a single event. `None` for any other delivery.
pub fn event_grid_validation_code(body: &[u8]) -> Option<String> {
    let parsed: Value = serde_json::from_slice(body).ok()?;
    let events = match &parsed {
        Value::Array(events) => events.as_slice(),
        single => std::slice::from_ref(single),
    };
    events.iter().find_map(|event| {
        let kind = text(event, &["eventType"])?;
        if !kind.eq_ignore_ascii_case(VALIDATION) {
            return None;
        }
        let code = text(event, &["data", "validationCode"])?;
        let plausible = code.len() <= 256 && !code.chars().any(char::is_control);
        plausible.then(|| code.to_owned())
    })
}

/// One Event Grid event (or, if the transport passed the whole delivery, each of its events).
pub(super) fn normalize(
    event: &Value,
    delivery_key: &str,
    tenant: Option<&str>,
) -> Result<Normalized, NormalizeError> {
    match event {
        Value::Array(events) => {
            let mut merged = Normalized::default();
            let mut reasons = Vec::new();
            for (index, event) in events.iter().enumerate() {
                let key = format!("{delivery_key}#{index}");
                let one = single(event, &key, tenant)?;
                merged.events.extend(one.events);
                merged.grant_changes.extend(one.grant_changes);
                reasons.extend(one.ignored);
            }
            if merged.is_empty() {
                reasons.dedup();
                merged.ignored = Some(if reasons.is_empty() {
                    "empty Event Grid delivery".to_owned()
                } else {
                    reasons.join("; ")
                });
            }
            Ok(merged)
        }
        event => single(event, delivery_key, tenant),
    }
}

fn single(
    event: &Value,
    delivery_key: &str,
    tenant: Option<&str>,
) -> Result<Normalized, NormalizeError> {
    if !event.is_object() {
        return Err(NormalizeError::Invalid(
            "an Event Grid event must be a JSON object".into(),
        ));
    }
    let event_type = text(event, &["eventType"])
        .or_else(|| text(event, &["type"]))
        .ok_or(NormalizeError::Missing("eventType"))?;
    if event_type.eq_ignore_ascii_case(VALIDATION) {
        return Ok(Normalized::ignored(
            "Event Grid subscription validation handshake (answered by the HTTP layer)",
        ));
    }
    let data = get(event, "data").ok_or(NormalizeError::Missing("data"))?;
    let is_arm =
        event_type.starts_with("Microsoft.Resources.") || get(data, "operationName").is_some();
    if !is_arm {
        return Ok(Normalized::ignored(format!(
            "Event Grid event {event_type} is not an Azure Resource Manager operation"
        )));
    }
    let id = text(event, &["id"]).unwrap_or(delivery_key);
    let context = Context {
        source_event_id: id,
        fallback_time: get(event, "eventTime")
            .or_else(|| get(event, "time"))
            .and_then(time),
        event_type: Some(event_type),
        tenant,
    };
    activity::normalize(data, &context)
}
