//! Azure: Activity Log records, Microsoft Entra ID audit and sign-in records and Event Grid
//! events → events; role assignment writes and deletes, and Entra group, directory role and
//! app role assignments → grant changes.
//!
//! Kinds (one record per delivery; the import reader splits `{"records": [...]}`,
//! `{"value": [...]}`, arrays and NDJSON):
//! - `activity_log`: one Activity Log record, REST/Event Hub or diagnostic-export shape;
//! - `entra_audit`: one Entra ID `directoryAudit` (Graph, diagnostic export or Log Analytics
//!   row) or sign-in record;
//! - `event_grid`: one Event Grid event (an array is accepted too);
//! - `management_groups`: a management-group listing, whole (which subscription and which
//!   group is in which group; see `management_groups`).
//!
//! Any kind may carry `;tenant=<tenant id>` for records that do not name their tenant (Graph
//! `directoryAudit` responses do not): it scopes Entra grants as `azure:tenant:<id>`
//! instead of `azure:tenant:default`.

mod activity;
mod arm;
mod entra;
mod entra_grants;
mod event_grid;
mod fields;
mod management_groups;
mod rbac;
mod sign_in;
#[cfg(test)]
mod tests;

pub use event_grid::event_grid_validation_code;

use super::{NormalizeError, Normalized, RawDelivery};
use serde_json::Value;

/// Normalize one azure delivery.
/// The kind of a management-group listing (`attest import azure-management-groups`).
pub const MANAGEMENT_GROUPS: &str = "management_groups";

pub fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let (kind, tenant) = parse_kind(delivery.kind.unwrap_or_default());
    if kind == MANAGEMENT_GROUPS {
        return management_groups::normalize(delivery.body, delivery.received_at);
    }
    if !matches!(kind, "activity_log" | "entra_audit" | "event_grid") {
        return Err(NormalizeError::Invalid(if kind.is_empty() {
            "azure deliveries need a kind: activity_log, entra_audit, event_grid or \
             management_groups"
                .into()
        } else {
            format!(
                "unknown azure kind {kind:?} (expected activity_log, entra_audit, event_grid \
                 or management_groups)"
            )
        }));
    }
    let record: Value = serde_json::from_slice(delivery.body)?;
    match kind {
        "activity_log" => activity::normalize(
            &record,
            &activity::Context {
                source_event_id: delivery.delivery_key,
                fallback_time: None,
                event_type: None,
                tenant,
            },
        ),
        "entra_audit" => entra::normalize(&record, delivery.delivery_key, tenant),
        _ => event_grid::normalize(&record, delivery.delivery_key, tenant),
    }
}

/// Which kind an Azure record is, from its shape, for exports that mix them: Entra audit and
/// sign-in records (Graph, diagnostic exports, Log Analytics rows, in any key case), Event Grid
/// events, or else Activity Log records.
pub fn detect_kind(record: &Value) -> &'static str {
    const ENTRA_KEYS: [&str; 5] = [
        "activitydisplayname",
        "activitydatetime",
        "createddatetime",
        "officeworkload",
        "recordtype",
    ];
    const ENTRA_CATEGORIES: [&str; 6] = [
        "auditlogs",
        "signinlogs",
        "noninteractiveusersigninlogs",
        "serviceprincipalsigninlogs",
        "managedidentitysigninlogs",
        "provisioninglogs",
    ];
    let Some(map) = record.as_object() else {
        return "activity_log";
    };
    let properties = map.get("properties").and_then(Value::as_object);
    let has = |wanted: &str| {
        map.keys()
            .chain(properties.into_iter().flat_map(|p| p.keys()))
            .any(|key| key.eq_ignore_ascii_case(wanted))
    };
    let category = map
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("category"))
        .and_then(|(_, value)| value.as_str())
        .map(str::to_ascii_lowercase);
    if ENTRA_KEYS.iter().any(|key| has(key))
        || category.is_some_and(|c| ENTRA_CATEGORIES.contains(&c.as_str()))
    {
        "entra_audit"
    } else if has("eventtype") && has("data") {
        "event_grid"
    } else {
        "activity_log"
    }
}

/// The record's own stable id, the idempotency key of a delivery:
/// - `activity_log`: `eventDataId`, which Azure gives every Activity Log record. The
///   diagnostic-export shape has none; there `correlationId` names the operation, and the
///   operation name, status and time tell its records apart (one operation writes a `Started`
///   and a `Succeeded` record, and one correlation id can span several operations), so the key
///   is `<correlationId>/<operation>/<status>/<time>`, lowercased. The REST `id` is not used:
///   it embeds `eventDataId` anyway.
/// - `entra_audit`: the record's `id` (Graph and exports: `properties.id`).
/// - `event_grid`: the event's `id`.
pub fn record_key(kind: &str, record: &[u8]) -> Option<String> {
    let record: Value = serde_json::from_slice(record).ok()?;
    match parse_kind(kind).0 {
        "activity_log" => activity_key(&record),
        "entra_audit" => entra::record_id(&record).map(str::to_owned),
        "event_grid" => fields::text(&record, &["id"]).map(str::to_owned),
        _ => None,
    }
}

fn activity_key(record: &Value) -> Option<String> {
    if let Some(id) = fields::text(record, &["eventDataId"]) {
        return Some(id.to_owned());
    }
    let correlation = fields::text(record, &["correlationId"])?;
    let operation = fields::localized(record, "operationName")?;
    let status = fields::localized(record, "status")
        .or_else(|| fields::localized(record, "resultType"))
        .unwrap_or("-");
    let time = fields::first_time(record, &["eventTimestamp", "time"])?;
    Some(format!("{correlation}/{operation}/{status}/{}", time.to_rfc3339()).to_ascii_lowercase())
}

/// `entra_audit;tenant=<id>` → (`entra_audit`, `Some(id)`).
fn parse_kind(kind: &str) -> (&str, Option<&str>) {
    let mut parts = kind.split(';');
    let name = parts.next().unwrap_or_default().trim();
    let tenant = parts
        .filter_map(|part| part.trim().strip_prefix("tenant="))
        .map(str::trim)
        .find(|tenant| !tenant.is_empty());
    (name, tenant)
}
