//! Microsoft Entra ID records → events: directory audits (Graph `directoryAudit`, the
//! diagnostic-settings export that wraps one in `properties`, and Log Analytics' `AuditLogs`
//! rows with PascalCase keys and JSON inside strings); sign-ins (`SignInLogs` and its
//! non-interactive and service-principal siblings) are handed to `sign_in`, grant changes
//! come from `entra_grants`.

use super::fields::{
    first_time, get, json_in, list_in, localized, one_line, snake_case, text, without_port,
};
use super::{entra_grants, sign_in};
use crate::model::{Actor, ActorKind, NewEvent, Outcome, Scope, Source, Target};
use crate::normalize::{NormalizeError, Normalized};
use serde_json::{Map, Value};

/// Target lists are bounded so one odd record cannot flood the timeline.
const MAX_TARGETS: usize = 50;

/// Entra's placeholder for "no object" (Graph's own sample initiators use it).
pub(super) const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

pub(super) fn normalize(
    record: &Value,
    delivery_key: &str,
    tenant_hint: Option<&str>,
) -> Result<Normalized, NormalizeError> {
    if !record.is_object() {
        return Err(NormalizeError::Invalid(
            "an Entra ID record must be a JSON object".into(),
        ));
    }
    let table = text(record, &["Type"]).unwrap_or_default();
    if table.eq_ignore_ascii_case("OfficeActivity") {
        return Ok(Normalized::ignored(
            "Microsoft 365 unified audit record (OfficeActivity), not an Entra ID record",
        ));
    }
    let body = audit_body(record);
    let tenant = tenant(record, body).or_else(|| tenant_hint.map(str::to_ascii_lowercase));
    let category = localized(record, "category").unwrap_or_default();
    if category.to_ascii_lowercase().contains("signin") || table.eq_ignore_ascii_case("SigninLogs")
    {
        return sign_in::normalize(record, body, delivery_key, tenant.as_deref());
    }
    audit(record, body, delivery_key, tenant.as_deref())
}

/// The object holding the Graph `directoryAudit` / `signIn` fields: `properties` in
/// diagnostic exports, the record itself otherwise.
fn audit_body(record: &Value) -> &Value {
    match get(record, "properties") {
        Some(properties) if properties.is_object() => properties,
        _ => record,
    }
}

/// The record's own id (`properties.id`, `id`, Log Analytics `Id`): the record key.
pub(super) fn record_id(record: &Value) -> Option<&str> {
    text(audit_body(record), &["id"]).or_else(|| text(record, &["id"]))
}

fn tenant(record: &Value, body: &Value) -> Option<String> {
    text(record, &["tenantId"])
        .or_else(|| text(record, &["AADTenantId"]))
        .or_else(|| text(body, &["tenantId"]))
        .map(str::to_owned)
        .or_else(|| {
            // `/tenants/<id>/providers/Microsoft.aadiam`
            let resource = text(record, &["resourceId"])?;
            let mut parts = resource.split('/').filter(|p| !p.is_empty());
            if !parts.next()?.eq_ignore_ascii_case("tenants") {
                return None;
            }
            parts.next().map(str::to_owned)
        })
        .map(|t| t.to_ascii_lowercase())
}

pub(super) fn scope(tenant: Option<&str>) -> Option<Scope> {
    tenant.map(|tenant| Scope {
        kind: "tenant".into(),
        id: tenant.to_owned(),
        name: None,
    })
}

fn audit(
    record: &Value,
    body: &Value,
    delivery_key: &str,
    tenant: Option<&str>,
) -> Result<Normalized, NormalizeError> {
    let activity = text(body, &["activityDisplayName"])
        .or_else(|| localized(record, "operationName"))
        .ok_or(NormalizeError::Missing("activityDisplayName"))?;
    let at = first_time(body, &["activityDateTime"])
        .or_else(|| first_time(record, &["time", "TimeGenerated"]))
        .ok_or(NormalizeError::Missing("activityDateTime"))?;
    let actor = initiator(record, body);
    let targets = targets(body);
    let (outcome, error) = result(record, body);
    let action = action(activity);
    let mut summary = summary(&action, activity, &actor.name, &targets);
    if let Some(error) = &error {
        summary.push_str(&format!(" (failed: {error})"));
    }
    let grant_changes = if outcome == Outcome::Success {
        let evidence = format!("Entra ID \"{activity}\" by {}", actor.name);
        entra_grants::changes(body, activity, at, tenant, &evidence)
    } else {
        Vec::new()
    };
    let event = NewEvent {
        source: Source::Azure,
        source_event_id: record_id(record).unwrap_or(delivery_key).to_owned(),
        occurred_at: at,
        actor,
        action,
        native_action: activity.to_owned(),
        targets,
        scope: scope(tenant),
        outcome,
        error,
        summary: one_line(&summary),
        details: audit_details(record, body),
    };
    Ok(Normalized {
        events: vec![event],
        grant_changes,
        ..Normalized::default()
    })
}

/// Attest's verb for the directory changes an access review asks about; `entra.<activity>`
/// for the rest.
pub(super) fn action(activity: &str) -> String {
    let lower = activity.trim().to_ascii_lowercase();
    let named = match lower.as_str() {
        "add member to group" => "group.member.added",
        "remove member from group" => "group.member.removed",
        "add owner to group" => "group.owner.added",
        "remove owner from group" => "group.owner.removed",
        "add member to role" => "directory_role.member.added",
        "remove member from role" => "directory_role.member.removed",
        "add user" => "user.created",
        "delete user" => "user.deleted",
        "update user" => "user.updated",
        "disable account" => "user.disabled",
        "invite external user" => "user.invited",
        "add service principal" => "service_principal.created",
        "add service principal credentials" => "service_principal.credentials.added",
        "remove service principal credentials" => "service_principal.credentials.removed",
        "consent to application" => "app.consent.granted",
        "add delegated permission grant" => "app.delegated_permission.added",
        "add conditional access policy" => "conditional_access_policy.created",
        "update conditional access policy" => "conditional_access_policy.updated",
        "delete conditional access policy" => "conditional_access_policy.deleted",
        "add role assignment" => "role_assignment.created",
        "remove role assignment" | "delete role assignment" => "role_assignment.deleted",
        _ if lower.starts_with("add app role assignment") => "app.assignment.added",
        _ if lower.starts_with("remove app role assignment") => "app.assignment.removed",
        _ if lower.starts_with("user has elevated their access") => "access.elevated",
        _ => return format!("entra.{}", snake_case(&lower)),
    };
    named.to_owned()
}

/// Who did it: `initiatedBy.user` (a person) or `initiatedBy.app` (an application or managed
/// identity); Log Analytics writes `InitiatedBy` as JSON inside a string.
fn initiator(record: &Value, body: &Value) -> Actor {
    let initiated = get(body, "initiatedBy")
        .and_then(json_in)
        .map(std::borrow::Cow::into_owned)
        .unwrap_or(Value::Null);
    let details = additional_details(body);
    let ip = text(&initiated, &["user", "ipAddress"])
        .or_else(|| text(record, &["callerIpAddress"]))
        .or_else(|| details.get("ipaddr").and_then(Value::as_str))
        .map(|ip| without_port(ip).to_owned());
    let user_agent = details
        .get("User-Agent")
        .and_then(Value::as_str)
        .or_else(|| text(body, &["userAgent"]))
        .map(str::to_owned);
    if let Some(user) = get(&initiated, "user").filter(|u| u.is_object()) {
        let id = text(user, &["id"]).filter(|id| *id != ZERO_GUID);
        let name = text(user, &["userPrincipalName"])
            .or_else(|| text(user, &["displayName"]))
            .or_else(|| text(record, &["identity"]))
            .or(id);
        if let Some(name) = name {
            return Actor {
                id: id.map(str::to_owned),
                name: name.to_owned(),
                kind: ActorKind::Human,
                ip,
                user_agent,
            };
        }
    }
    if let Some(app) = get(&initiated, "app").filter(|a| a.is_object()) {
        let id = text(app, &["servicePrincipalId"]).or_else(|| text(app, &["appId"]));
        let name = text(app, &["displayName"])
            .or_else(|| text(app, &["servicePrincipalName"]))
            .or(id);
        if let Some(name) = name {
            return Actor {
                id: id.map(str::to_owned),
                name: name.to_owned(),
                kind: ActorKind::Service,
                ip,
                user_agent,
            };
        }
    }
    Actor {
        id: None,
        name: text(record, &["identity"]).unwrap_or("unknown").to_owned(),
        kind: ActorKind::Unknown,
        ip,
        user_agent,
    }
}

/// `additionalDetails: [{"key": "User-Agent", "value": "…"}]` as an object.
pub(super) fn additional_details(body: &Value) -> Map<String, Value> {
    list_in(get(body, "additionalDetails"))
        .into_iter()
        .filter_map(|pair| {
            let key = text(&pair, &["key"])?.to_owned();
            let value = get(&pair, "value").cloned()?;
            Some((key, value))
        })
        .collect()
}

pub(super) fn target_kind(entra_type: &str) -> String {
    match entra_type.to_ascii_lowercase().as_str() {
        "role" => "directory_role".into(),
        "n/a" | "" => "object".into(),
        _ => snake_case(entra_type),
    }
}

fn targets(body: &Value) -> Vec<Target> {
    list_in(get(body, "targetResources"))
        .iter()
        .take(MAX_TARGETS)
        .map(|t| {
            let id = text(t, &["id"]);
            let name = text(t, &["userPrincipalName"])
                .or_else(|| text(t, &["displayName"]))
                .or(id)
                .unwrap_or("unknown");
            Target {
                kind: target_kind(text(t, &["type"]).unwrap_or_default()),
                id: id.map(str::to_owned),
                name: name.to_owned(),
            }
        })
        .collect()
}

/// `result`: `success`, `failure`, `timeout` (Graph), `SUCCESS` (some exports).
fn result(record: &Value, body: &Value) -> (Outcome, Option<String>) {
    let result = text(body, &["result"]).or_else(|| text(record, &["result"]));
    match result.map(str::to_ascii_lowercase).as_deref() {
        Some("failure" | "failed" | "timeout") => {
            let reason = text(body, &["resultReason"]).unwrap_or(result.unwrap_or("failure"));
            (Outcome::Failure, Some(reason.to_owned()))
        }
        _ => (Outcome::Success, None),
    }
}

fn first_of<'a>(targets: &'a [Target], kinds: &[&str]) -> Option<&'a str> {
    targets
        .iter()
        .find(|t| kinds.contains(&t.kind.as_str()))
        .map(|t| t.name.as_str())
}

fn summary(action: &str, activity: &str, who: &str, targets: &[Target]) -> String {
    let member = first_of(targets, &["user", "service_principal", "device"]);
    let group = targets
        .iter()
        .rev()
        .find(|t| t.kind == "group")
        .map(|t| t.name.as_str());
    let role = first_of(targets, &["directory_role"]);
    let app = first_of(targets, &["service_principal", "application"]);
    match (action, member, group, role, app) {
        ("group.member.added", Some(m), Some(g), ..) => format!("{who} added {m} to group {g}"),
        ("group.member.removed", Some(m), Some(g), ..) => {
            format!("{who} removed {m} from group {g}")
        }
        ("directory_role.member.added", Some(m), _, Some(r), _) => {
            format!("{who} added {m} to role {r}")
        }
        ("directory_role.member.removed", Some(m), _, Some(r), _) => {
            format!("{who} removed {m} from role {r}")
        }
        _ => {
            let named: Vec<&str> = targets
                .iter()
                .filter(|t| t.kind != "request" && t.kind != "other")
                .take(3)
                .map(|t| t.name.as_str())
                .collect();
            if named.is_empty() {
                format!("{who}: {activity}")
            } else {
                format!("{who}: {activity} ({})", named.join(", "))
            }
        }
    }
}

/// The changed properties of the targets (what an "Update policy" changed), bounded: a
/// conditional access policy's old and new JSON can be kilobytes each.
fn modified_properties(body: &Value) -> Vec<Value> {
    let clip = |value: Option<&Value>| -> Value {
        match value {
            Some(Value::String(s)) if s.len() > 300 => {
                Value::String(format!("({} characters, see the raw record)", s.len()))
            }
            Some(value) => value.clone(),
            None => Value::Null,
        }
    };
    list_in(get(body, "targetResources"))
        .iter()
        .flat_map(|t| {
            let target = text(t, &["displayName"])
                .or_else(|| text(t, &["id"]))
                .map(str::to_owned);
            list_in(get(t, "modifiedProperties"))
                .into_iter()
                .map(move |p| {
                    serde_json::json!({
                        "target": target,
                        "property": text(&p, &["displayName"]),
                        "old": clip(get(&p, "oldValue")),
                        "new": clip(get(&p, "newValue")),
                    })
                })
        })
        .take(20)
        .collect()
}

fn audit_details(record: &Value, body: &Value) -> Value {
    let mut details = Map::new();
    for key in [
        "category",
        "loggedByService",
        "operationType",
        "result",
        "resultReason",
        "correlationId",
    ] {
        if let Some(value) = get(body, key).or_else(|| get(record, key)) {
            details.insert(key.into(), value.clone());
        }
    }
    let additional = additional_details(body);
    if !additional.is_empty() {
        details.insert("additionalDetails".into(), Value::Object(additional));
    }
    let modified = modified_properties(body);
    if !modified.is_empty() {
        details.insert("modifiedProperties".into(), Value::Array(modified));
    }
    Value::Object(details)
}
