//! What Azure Resource Manager records share, whether they come from the Activity Log or from
//! Event Grid: who called (the caller's token claims), and what a resource id points at.

use super::fields::{at, get, json_in, text, without_port};
use crate::model::{Actor, ActorKind, Target};
use serde_json::Value;

const UPN: [&str; 2] = [
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
    "upn",
];
const UNIQUE_NAME: [&str; 2] = [
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
    "unique_name",
];
const OBJECT_ID: [&str; 2] = [
    "http://schemas.microsoft.com/identity/claims/objectidentifier",
    "oid",
];
const TENANT_ID: [&str; 2] = [
    "http://schemas.microsoft.com/identity/claims/tenantid",
    "tid",
];

fn claim<'a>(claims: &'a Value, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|name| text(claims, &[name]))
}

/// The caller's token claims: `claims` (REST and Event Grid), `identity.claims` (diagnostic
/// exports), as an object or as JSON inside a string.
fn claims(record: &Value) -> Value {
    get(record, "claims")
        .or_else(|| at(record, &["identity", "claims"]))
        .and_then(json_in)
        .map(std::borrow::Cow::into_owned)
        .unwrap_or(Value::Null)
}

/// The caller's tenant, when the record says nothing closer.
pub(super) fn claims_tenant(record: &Value) -> Option<String> {
    claim(&claims(record), &TENANT_ID).map(str::to_ascii_lowercase)
}

/// Who called: a person's UPN, else the `caller` field (a UPN or an object id), else the
/// application. A token without a user (`idtyp: app`, or an `appid` with no UPN) belongs to a
/// service principal or a managed identity.
pub(super) fn actor(record: &Value) -> Actor {
    let claims = claims(record);
    let upn = claim(&claims, &UPN).or_else(|| claim(&claims, &UNIQUE_NAME));
    let caller = text(record, &["caller"]);
    let object_id = claim(&claims, &OBJECT_ID);
    let app_id = text(&claims, &["appid"]).or_else(|| text(&claims, &["azp"]));
    let display = text(&claims, &["name"]);
    let is_app = text(&claims, &["idtyp"]) == Some("app");
    let name = upn
        .or(caller)
        .or(display)
        .or(object_id)
        .or(app_id)
        .unwrap_or("unknown");
    let kind = if upn.is_some() || caller.is_some_and(|c| c.contains('@')) {
        ActorKind::Human
    } else if is_app || app_id.is_some() || caller.is_some_and(looks_like_guid) {
        ActorKind::Service
    } else if display.is_some() {
        ActorKind::Human
    } else {
        ActorKind::Unknown
    };
    let ip = text(record, &["callerIpAddress"])
        .or_else(|| text(record, &["httpRequest", "clientIpAddress"]))
        .or_else(|| text(&claims, &["ipaddr"]))
        .map(|ip| without_port(ip).to_owned());
    Actor {
        id: object_id.or(caller).map(str::to_owned),
        name: name.to_owned(),
        kind,
        ip,
        user_agent: text(record, &["properties", "userAgentHeader"]).map(str::to_owned),
    }
}

pub(super) fn looks_like_guid(text: &str) -> bool {
    text.len() == 36
        && text.chars().enumerate().all(|(i, c)| {
            matches!(i, 8 | 13 | 18 | 23) == (c == '-') && (c == '-' || c.is_ascii_hexdigit())
        })
}

/// A resource id as a target: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/
/// networkSecurityGroups/nsg` → kind `networksecuritygroups`, name `nsg`. Subscriptions and
/// resource groups get their own kinds.
pub(super) fn resource_target(resource_id: &str) -> Target {
    let parts: Vec<&str> = resource_id.split('/').filter(|s| !s.is_empty()).collect();
    let kind = match parts.as_slice() {
        [] => "root".to_owned(),
        [s, _] if s.eq_ignore_ascii_case("subscriptions") => "subscription".to_owned(),
        [s, _, rg, _]
            if s.eq_ignore_ascii_case("subscriptions")
                && rg.eq_ignore_ascii_case("resourceGroups") =>
        {
            "resource_group".to_owned()
        }
        [s, _] if s.eq_ignore_ascii_case("tenants") => "tenant".to_owned(),
        _ => {
            // The type is the segment before the name, lowercased like operation names
            // (records of one resource type differ in case).
            let type_segment = parts.len().checked_sub(2).and_then(|i| parts.get(i));
            type_segment.map_or_else(|| "resource".to_owned(), |t| t.to_ascii_lowercase())
        }
    };
    Target {
        kind,
        id: Some(resource_id.to_owned()),
        name: parts.last().copied().unwrap_or("/").to_owned(),
    }
}
