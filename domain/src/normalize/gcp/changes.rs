//! IAM policy writes → grant changes. A `SetIamPolicy` audit log carries the difference it made
//! as `bindingDeltas` (`action` ADD/REMOVE, `member`, `role`, optional `condition`): in
//! `serviceData.policyDelta` (the deprecated field most services still fill) or in
//! `metadata.policyDelta` (where `serviceData`'s content moves). Entries without deltas (Cloud
//! Run, Compute and IAP log only the new policy) give no changes: the policy alone does not say
//! what was there before.

use super::{names, policy};
use crate::grant::{Grant, GrantChange, GrantOp, Resource};
use crate::normalize::json::text;
use crate::normalize::NormalizeError;
use chrono::{DateTime, Utc};
use serde_json::Value;

pub(super) fn deltas(payload: &Value) -> Option<&Vec<Value>> {
    [
        "/serviceData/policyDelta/bindingDeltas",
        "/metadata/policyDelta/bindingDeltas",
    ]
    .iter()
    .find_map(|pointer| {
        payload
            .pointer(pointer)?
            .as_array()
            .filter(|deltas| !deltas.is_empty())
    })
}

/// One change per delta, on the resource whose policy was written. A delta that cannot be read
/// fails the entry: dropping it would leave a grant open or closed against the log's word.
pub(super) fn from_deltas(
    payload: &Value,
    resource: Option<&Resource>,
    at: DateTime<Utc>,
    native_action: &str,
    actor: &str,
) -> Result<Vec<GrantChange>, NormalizeError> {
    let Some(deltas) = deltas(payload) else {
        return Ok(Vec::new());
    };
    let resource = resource.ok_or(NormalizeError::Missing("protoPayload.resourceName"))?;
    let evidence = format!("{native_action} by {actor}");
    deltas
        .iter()
        .enumerate()
        .map(|(n, delta)| {
            let op = match text(delta, "/action") {
                Some("ADD") => GrantOp::Added,
                Some("REMOVE") => GrantOp::Removed,
                other => {
                    return Err(NormalizeError::Invalid(format!(
                        "binding delta {n}: action {other:?} is neither ADD nor REMOVE"
                    )))
                }
            };
            let member = text(delta, "/member").ok_or_else(|| {
                NormalizeError::Invalid(format!("binding delta {n} has no `member`"))
            })?;
            let role = text(delta, "/role").ok_or_else(|| {
                NormalizeError::Invalid(format!("binding delta {n} has no `role`"))
            })?;
            Ok(GrantChange {
                at,
                grant: Grant {
                    scope: resource.id.clone(),
                    principal: names::principal(member),
                    resource: resource.clone(),
                    permission: role.to_owned(),
                    via: policy::condition(delta.get("condition")),
                },
                op,
                evidence: evidence.clone(),
            })
        })
        .collect()
}

/// "alice@example.com granted roles/viewer to user:bob@example.com on project p", or the first
/// two changes of a bigger write. `on` is empty or " on <kind> <name>".
pub(super) fn summary(actor: &str, on: &str, changes: &[GrantChange]) -> String {
    let of = on
        .strip_prefix(" on")
        .map(|r| format!(" of{r}"))
        .unwrap_or_default();
    match changes {
        [] => format!("{actor} set the IAM policy{of}"),
        [one] => format!("{actor} {}{on}", describe(one)),
        many => {
            let shown: Vec<String> = many.iter().take(2).map(describe).collect();
            let mut line = format!("{actor} changed the IAM policy{of}: {}", shown.join(", "));
            if many.len() > shown.len() {
                line.push_str(&format!(" and {} more", many.len() - shown.len()));
            }
            line
        }
    }
}

fn describe(change: &GrantChange) -> String {
    let grant = &change.grant;
    let member = grant
        .principal
        .id
        .strip_prefix("gcp:")
        .unwrap_or(&grant.principal.id);
    let condition = if grant.via.is_empty() {
        String::new()
    } else {
        format!(" ({})", grant.via)
    };
    match change.op {
        GrantOp::Added => format!("granted {} to {member}{condition}", grant.permission),
        GrantOp::Removed => format!("revoked {} from {member}{condition}", grant.permission),
    }
}
