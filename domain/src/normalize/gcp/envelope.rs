//! Wrappers a LogEntry arrives in: a Pub/Sub push envelope (a log sink to a topic with a push
//! subscription: `{"message": {"data": <base64 LogEntry>, ...}, "subscription": ...}`) and a
//! structured CloudEvent from Eventarc (`{"specversion": "1.0", "data": <LogEntry>, ...}`).

use crate::normalize::json::text;
use crate::normalize::NormalizeError;
use base64::Engine;
use serde_json::Value;

/// The LogEntry bytes inside a Pub/Sub push envelope (`message.data`, base64). Pure: the
/// `POST /hooks/gcp` endpoint calls it, then keys the delivery by the entry's `insertId`.
pub fn pubsub_log_entry(body: &[u8]) -> Result<Vec<u8>, NormalizeError> {
    let envelope: Value = serde_json::from_slice(body)?;
    data(&envelope)
}

fn data(envelope: &Value) -> Result<Vec<u8>, NormalizeError> {
    let message = envelope
        .get("message")
        .filter(|m| m.is_object())
        .ok_or(NormalizeError::Missing("message"))?;
    let data = message
        .get("data")
        .and_then(Value::as_str)
        .ok_or(NormalizeError::Missing("message.data"))?;
    decode(data, "message.data")
}

fn decode(data: &str, field: &str) -> Result<Vec<u8>, NormalizeError> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|err| NormalizeError::Invalid(format!("{field} is not valid base64: {err}")))
}

/// The LogEntry inside any known wrapper, or the value itself. Wrappers nest (Eventarc can
/// hand over a Pub/Sub message), so a few levels are opened; more is not a real shape.
pub(super) fn unwrap(mut value: Value) -> Result<Value, NormalizeError> {
    for _ in 0..3 {
        let inner = if value.get("message").is_some_and(Value::is_object) {
            serde_json::from_slice(&data(&value)?)
                .map_err(|err| NormalizeError::Json(format!("message.data: {err}")))?
        } else if value.get("specversion").is_some() {
            match (
                value.get_mut("data").map(Value::take),
                text(&value, "/data_base64"),
            ) {
                (Some(data), _) if data.is_object() => data,
                (_, Some(encoded)) => serde_json::from_slice(&decode(encoded, "data_base64")?)
                    .map_err(|err| NormalizeError::Json(format!("data_base64: {err}")))?,
                _ => return Err(NormalizeError::Missing("data")),
            }
        } else {
            return Ok(value);
        };
        value = inner;
    }
    Err(NormalizeError::Invalid(
        "wrappers nested more than three deep".into(),
    ))
}
