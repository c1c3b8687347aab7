//! One Azure Resource Manager operation record → one event, plus a grant change when it is a
//! finished role assignment write or delete. Reads both Activity Log shapes (the REST / Event
//! Hub one with `eventDataId`, `caller`, `{value, localizedValue}` fields, and the diagnostic
//! settings export with `time`, `resultType`, `identity.claims`) and the `data` of Event Grid
//! resource events, which carry the same fields.

use super::arm::{actor, claims_tenant, resource_target};
use super::fields::{at, first_time, get, localized, one_line, text};
use super::rbac::{self, Assignment};
use crate::grant::GrantOp;
use crate::model::{NewEvent, Outcome, Scope, Source, Target};
use crate::normalize::{NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// What the transport adds to a record.
pub(super) struct Context<'a> {
    /// `eventDataId` wins; this is the Event Grid event id or the delivery key.
    pub source_event_id: &'a str,
    /// Event Grid's `eventTime`, for records that carry no time of their own.
    pub fallback_time: Option<DateTime<Utc>>,
    /// Event Grid's `eventType`: `…Failure` and `…Cancel` say how the operation ended.
    pub event_type: Option<&'a str>,
    /// The tenant the transport names, when the record does not.
    pub tenant: Option<&'a str>,
}

pub(super) fn normalize(
    record: &Value,
    context: &Context<'_>,
) -> Result<Normalized, NormalizeError> {
    if !record.is_object() {
        return Err(NormalizeError::Invalid(
            "an Azure Activity Log record must be a JSON object".into(),
        ));
    }
    if let Some(why) = not_an_operation(record) {
        return Ok(Normalized::ignored(why));
    }
    let operation =
        localized(record, "operationName").ok_or(NormalizeError::Missing("operationName"))?;
    let at = first_time(record, &["eventTimestamp", "time", "submissionTimestamp"])
        .or(context.fallback_time)
        .ok_or(NormalizeError::Missing("time"))?;
    let lower = operation.to_ascii_lowercase();
    let status = status(record);
    let (outcome, error) = outcome(record, status, context.event_type);
    let actor = actor(record);
    let resource_id = text(record, &["resourceId"])
        .or_else(|| text(record, &["resourceUri"]))
        .or_else(|| text(record, &["authorization", "scope"]));
    let subscription = text(record, &["subscriptionId"])
        .map(str::to_ascii_lowercase)
        .or_else(|| resource_id.and_then(rbac::subscription_of));
    let tenant = text(record, &["tenantId"])
        .map(str::to_ascii_lowercase)
        .or_else(|| claims_tenant(record))
        .or_else(|| context.tenant.map(str::to_ascii_lowercase));

    let assignment_op = match lower.as_str() {
        "microsoft.authorization/roleassignments/write" => Some(GrantOp::Added),
        "microsoft.authorization/roleassignments/delete" => Some(GrantOp::Removed),
        _ => None,
    };
    let assignment = assignment_op.and_then(|_| rbac::assignment(record));

    let mut targets = Vec::new();
    if let Some(id) = resource_id {
        targets.push(resource_target(id));
    }
    if let Some(a) = &assignment {
        targets.extend(assignment_targets(a));
    }
    if let Some(object) = text(record, &["properties", "objectKey"]) {
        targets.push(Target {
            kind: "blob".into(),
            id: None,
            name: object.to_owned(),
        });
    }

    let summary = match (&assignment, assignment_op) {
        (Some(a), Some(op)) => assignment_summary(&actor.name, a, op),
        _ => call_summary(&actor.name, operation, targets.first()),
    };
    let summary = match &error {
        Some(error) => format!("{summary} (failed: {error})"),
        None => summary,
    };

    let mut grant_changes = Vec::new();
    if let (Some(a), Some(op)) = (&assignment, assignment_op) {
        // Only the record of the finished operation changes access: `Started`/`Accepted`
        // records of the same operation come first, and a failure changed nothing.
        if outcome == Outcome::Success && is_final(status) {
            let evidence = format!("{operation} by {}", actor.name);
            grant_changes.push(rbac::change(a, op, at, tenant.as_deref(), evidence));
        }
    }

    let scope = match (&subscription, &tenant) {
        (Some(subscription), _) => Some(Scope {
            kind: "subscription".into(),
            id: subscription.clone(),
            name: None,
        }),
        (None, Some(tenant)) => Some(Scope {
            kind: "tenant".into(),
            id: tenant.clone(),
            name: None,
        }),
        (None, None) => None,
    };
    let event = NewEvent {
        source: Source::Azure,
        source_event_id: text(record, &["eventDataId"])
            .unwrap_or(context.source_event_id)
            .to_owned(),
        occurred_at: at,
        action: action(&lower),
        native_action: operation.to_owned(),
        actor,
        targets,
        scope,
        outcome,
        error,
        summary: one_line(&summary),
        details: details(record, status, assignment.as_ref(), context.event_type),
    };
    Ok(Normalized {
        events: vec![event],
        grant_changes,
        ..Normalized::default()
    })
}

/// Records that arrive through the same diagnostic pipeline but are not Resource Manager
/// operations, and that Attest does not turn into events.
fn not_an_operation(record: &Value) -> Option<String> {
    let category = localized(record, "category").unwrap_or_default();
    if category.to_ascii_lowercase().starts_with("kube-") {
        return Some(format!(
            "AKS resource log (category {category}): Kubernetes API audit, not an Azure \
             Activity Log record; Attest has no Kubernetes normalizer yet"
        ));
    }
    let operation = localized(record, "operationName").unwrap_or_default();
    let data_plane = !operation.is_empty() && !operation.contains('/');
    let lower = operation.to_ascii_lowercase();
    let read = lower.starts_with("get") || lower.starts_with("list") || lower.starts_with("head");
    if category.eq_ignore_ascii_case("StorageRead") || (data_plane && read) {
        return Some(format!(
            "Azure Storage data-plane read ({operation}): reading data changes no access or \
             configuration"
        ));
    }
    None
}

/// `status.value` (REST), `status` (Event Grid), `resultType` (exports).
fn status(record: &Value) -> Option<&str> {
    localized(record, "status").or_else(|| localized(record, "resultType"))
}

/// Statuses of an operation that is over; `Started`, `Accepted` and `Active` records come
/// before it. A record without any status (hand-made, stripped exports) counts as over.
fn is_final(status: Option<&str>) -> bool {
    !matches!(
        status.map(str::to_ascii_lowercase).as_deref(),
        Some("started" | "accepted" | "active" | "inprogress" | "start")
    )
}

fn outcome(
    record: &Value,
    status: Option<&str>,
    event_type: Option<&str>,
) -> (Outcome, Option<String>) {
    let lower = status.unwrap_or_default().to_ascii_lowercase();
    let status_code = get(record, "statusCode").and_then(|code| match code {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    let event_failed = event_type.filter(|t| t.ends_with("Failure") || t.ends_with("Cancel"));
    let status_failed = lower.starts_with("fail")
        || lower.starts_with("cancel")
        || lower == "error"
        || status_code.is_some_and(|code| code >= 400);
    if !status_failed && event_failed.is_none() {
        return (Outcome::Success, None);
    }
    let detail = localized(record, "subStatus")
        .or_else(|| text(record, &["resultSignature"]).filter(|s| *s != "None"))
        .or_else(|| text(record, &["statusText"]))
        .or_else(|| text(record, &["resultDescription"]));
    // Event Grid says `…Failure` even when `data.status` reads otherwise.
    let head = match (status_failed, status, event_failed) {
        (true, Some(status), _) => status,
        (_, _, Some(event_type)) => event_type,
        _ => "Failed",
    };
    let error = match detail {
        Some(detail) if detail != head => format!("{head}: {detail}"),
        _ => head.to_owned(),
    };
    (Outcome::Failure, Some(error))
}

/// Attest's verb for the operations an access review asks about; otherwise the operation
/// itself, lowercased (Azure operation names are case-insensitive and records differ in case)
/// with `Microsoft.` dropped: `azure.network.networksecuritygroups.write`. Storage data-plane
/// operations (`PutBlob`) become `azure.storage.putblob`.
fn action(lower: &str) -> String {
    let named = match lower {
        "microsoft.authorization/roleassignments/write" => Some("role_assignment.created"),
        "microsoft.authorization/roleassignments/delete" => Some("role_assignment.deleted"),
        "microsoft.authorization/elevateaccess/action" => Some("access.elevated"),
        _ => None,
    };
    if let Some(named) = named {
        return named.to_owned();
    }
    if !lower.contains('/') {
        return format!("azure.storage.{lower}");
    }
    let path = lower.strip_prefix("microsoft.").unwrap_or(lower);
    format!("azure.{}", path.replace('/', "."))
}

fn assignment_targets(a: &Assignment) -> Vec<Target> {
    let principal = rbac::principal(&a.principal_id, a.principal_type.as_deref(), None);
    let scope = rbac::scope_resource(&a.scope);
    vec![
        Target {
            kind: principal.kind,
            id: Some(a.principal_id.clone()),
            name: principal.name,
        },
        Target {
            kind: scope.kind,
            id: Some(a.scope.clone()),
            name: scope.name,
        },
    ]
}

/// "rob@contoso.com assigned Reader on subscription 1234… to user 2222…".
fn assignment_summary(who: &str, a: &Assignment, op: GrantOp) -> String {
    let principal = rbac::principal(&a.principal_id, a.principal_type.as_deref(), None);
    let scope = rbac::scope_resource(&a.scope);
    let role = rbac::role_name(&a.role_definition_id);
    let whom = format!("{} {}", principal.kind.replace('_', " "), principal.name);
    let on = format!("{} {}", scope.kind.replace('_', " "), scope.name);
    match op {
        GrantOp::Added => format!("{who} assigned {role} on {on} to {whom}"),
        GrantOp::Removed => format!("{who} removed {role} on {on} from {whom}"),
    }
}

/// "rob@contoso.com called Microsoft.Network/networkSecurityGroups/write on myNSG": the
/// operation already names the resource type.
fn call_summary(who: &str, operation: &str, target: Option<&Target>) -> String {
    match target {
        Some(t) => format!("{who} called {operation} on {}", t.name),
        None => format!("{who} called {operation}"),
    }
}

/// The facts worth showing beside the summary. `properties` is copied without the request and
/// response bodies (free-form and possibly large); a role assignment is shown parsed instead.
fn details(
    record: &Value,
    status: Option<&str>,
    assignment: Option<&Assignment>,
    event_type: Option<&str>,
) -> Value {
    let mut details = Map::new();
    for key in [
        "category",
        "level",
        "eventName",
        "subStatus",
        "resultSignature",
        "resultDescription",
        "statusCode",
        "statusText",
        "correlationId",
        "operationId",
        "eventDataId",
        "location",
        "resourceGroupName",
        "resourceProvider",
        "subscriptionId",
        "tenantId",
    ] {
        match get(record, key) {
            Some(Value::Object(wrapped)) => {
                if let Some(value) = wrapped.get("value").filter(|v| !v.is_null()) {
                    details.insert(key.into(), value.clone());
                }
            }
            Some(value) => {
                details.insert(key.into(), value.clone());
            }
            None => {}
        }
    }
    if let Some(status) = status {
        details.insert("status".into(), status.into());
    }
    if let Some(event_type) = event_type {
        details.insert("eventType".into(), event_type.into());
    }
    let authorization =
        get(record, "authorization").or_else(|| at(record, &["identity", "authorization"]));
    if let Some(authorization) = authorization.filter(|a| a.is_object()) {
        details.insert("authorization".into(), authorization.clone());
    }
    if let Some(Value::Object(properties)) = get(record, "properties") {
        let shown: Map<String, Value> = properties
            .iter()
            .filter(|(key, _)| {
                let key = key.to_ascii_lowercase();
                key != "requestbody" && key != "responsebody"
            })
            .filter(|(_, value)| match value {
                Value::String(s) => !s.is_empty() && s.len() <= 300,
                Value::Number(_) | Value::Bool(_) => true,
                _ => false,
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        if !shown.is_empty() {
            details.insert("properties".into(), Value::Object(shown));
        }
    }
    if let Some(a) = assignment {
        details.insert(
            "roleAssignment".into(),
            serde_json::json!({
                "principalId": a.principal_id,
                "principalType": a.principal_type,
                "roleDefinitionId": a.role_definition_id,
                "role": rbac::role_name(&a.role_definition_id),
                "scope": a.scope,
            }),
        );
    }
    Value::Object(details)
}
