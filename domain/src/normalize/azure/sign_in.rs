//! Entra ID sign-in records (`SignInLogs`, `NonInteractiveUserSignInLogs`,
//! `ServicePrincipalSignInLogs`, `ManagedIdentitySignInLogs`, or Graph `signIn` objects) →
//! `auth.login` events, failed ones with Entra's error code and reason.

use super::entra::{record_id, scope};
use super::fields::{first_time, get, localized, one_line, text, without_port};
use crate::model::{Actor, ActorKind, NewEvent, Outcome, Source, Target};
use crate::normalize::{NormalizeError, Normalized};
use serde_json::{Map, Value};

pub(super) fn normalize(
    record: &Value,
    body: &Value,
    delivery_key: &str,
    tenant: Option<&str>,
) -> Result<Normalized, NormalizeError> {
    let at = first_time(body, &["createdDateTime"])
        .or_else(|| first_time(record, &["time", "TimeGenerated"]))
        .ok_or(NormalizeError::Missing("createdDateTime"))?;
    let category = localized(record, "category").unwrap_or("SignInLogs");
    let service_principal = category.to_ascii_lowercase().contains("serviceprincipal")
        || category.to_ascii_lowercase().contains("managedidentity");
    let user = text(body, &["userPrincipalName"]).or_else(|| text(body, &["userDisplayName"]));
    let principal = text(body, &["servicePrincipalName"]);
    let id = text(body, &["userId"]).or_else(|| text(body, &["servicePrincipalId"]));
    let actor = Actor {
        id: id.map(str::to_owned),
        name: user.or(principal).or(id).unwrap_or("unknown").to_owned(),
        kind: if service_principal || (user.is_none() && principal.is_some()) {
            ActorKind::Service
        } else if user.is_some() {
            ActorKind::Human
        } else {
            ActorKind::Unknown
        },
        ip: text(body, &["ipAddress"])
            .or_else(|| text(record, &["callerIpAddress"]))
            .map(|ip| without_port(ip).to_owned()),
        user_agent: text(body, &["userAgent"]).map(str::to_owned),
    };
    // `status.errorCode` 0 is success; exports also write the code as `resultType`.
    let code = get(body, "status")
        .and_then(|s| get(s, "errorCode"))
        .or_else(|| get(record, "resultType"))
        .map(|code| match code {
            Value::String(s) => s.trim().to_owned(),
            other => other.to_string(),
        });
    let failed = code
        .as_deref()
        .is_some_and(|c| c != "0" && !c.eq_ignore_ascii_case("success"));
    let error = failed.then(|| {
        let reason = text(body, &["status", "failureReason"]);
        match (code.as_deref(), reason) {
            (Some(code), Some(reason)) => format!("{code}: {reason}"),
            (Some(code), None) => format!("error {code}"),
            (None, Some(reason)) => reason.to_owned(),
            (None, None) => "failure".to_owned(),
        }
    });
    let app = text(body, &["appDisplayName"]).or_else(|| text(body, &["resourceDisplayName"]));
    let mut targets = Vec::new();
    if let Some(name) = text(body, &["appDisplayName"]) {
        targets.push(Target {
            kind: "app".into(),
            id: text(body, &["appId"]).map(str::to_owned),
            name: name.to_owned(),
        });
    }
    if let Some(name) = text(body, &["resourceDisplayName"]) {
        targets.push(Target {
            kind: "resource".into(),
            id: text(body, &["resourceId"]).map(str::to_owned),
            name: name.to_owned(),
        });
    }
    let mut summary = match app {
        Some(app) => format!("{} signed in to {app}", actor.name),
        None => format!("{} signed in to Entra ID", actor.name),
    };
    if let Some(error) = &error {
        summary.push_str(&format!(" (failed: {error})"));
    }
    let mut details = Map::new();
    details.insert("category".into(), category.into());
    for key in [
        "appDisplayName",
        "resourceDisplayName",
        "clientAppUsed",
        "authenticationProtocol",
        "authenticationRequirement",
        "conditionalAccessStatus",
        "isInteractive",
        "location",
        "deviceDetail",
        "riskLevelDuringSignIn",
        "riskLevelAggregated",
        "riskState",
        "status",
        "correlationId",
    ] {
        if let Some(value) = get(body, key) {
            details.insert(key.into(), value.clone());
        }
    }
    let event = NewEvent {
        source: Source::Azure,
        source_event_id: record_id(record).unwrap_or(delivery_key).to_owned(),
        occurred_at: at,
        actor,
        action: "auth.login".into(),
        native_action: category.to_owned(),
        targets,
        scope: scope(tenant),
        outcome: if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        },
        error,
        summary: one_line(&summary),
        details: Value::Object(details),
    };
    Ok(Normalized::events(vec![event]))
}
