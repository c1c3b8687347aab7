//! A plan (`terraform show -json <planfile>`) → one event per resource it would change. A plan
//! is a proposal, not an access change: it yields events (what was proposed, with the diff) and
//! no grant changes; the cloud's own audit log records the change when it is applied.

use super::redact::{changed_keys, mark_unknown, mask_sensitive};
use super::Kind;
use crate::model::{Actor, ActorKind, NewEvent, Outcome, Source, Target};
use crate::normalize::json::{text, timestamp};
use crate::normalize::{NormalizeError, Normalized, RawDelivery};
use serde_json::{Map, Value};

/// What a plan would do to one resource, in Attest's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Created,
    Updated,
    Deleted,
    Replaced,
    Imported,
    Forgotten,
}

impl Change {
    /// `None` for `no-op` and `read`, which change nothing. An import is `no-op` plus
    /// `importing`: it brings an existing resource under Terraform, which an auditor wants to
    /// see even though nothing in the cloud changes.
    fn of(actions: &[&str], importing: bool) -> Option<Change> {
        match actions {
            ["no-op"] if importing => Some(Change::Imported),
            ["no-op"] | ["read"] | [] => None,
            ["create"] => Some(Change::Created),
            ["update"] => Some(Change::Updated),
            ["delete"] => Some(Change::Deleted),
            ["delete", "create"] | ["create", "delete"] => Some(Change::Replaced),
            ["forget"] => Some(Change::Forgotten),
            // A combination a future Terraform may add: still a change, named generically.
            _ => Some(Change::Updated),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Deleted => "deleted",
            Change::Replaced => "replaced",
            Change::Imported => "imported",
            Change::Forgotten => "forgotten",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Change::Created => "create",
            Change::Updated => "update",
            Change::Deleted => "delete",
            Change::Replaced => "replace",
            Change::Imported => "import",
            Change::Forgotten => "forget",
        }
    }
}

pub(super) fn normalize(
    delivery: &RawDelivery<'_>,
    kind: &Kind<'_>,
) -> Result<Normalized, NormalizeError> {
    let plan: Value = serde_json::from_slice(delivery.body)?;
    if !plan.is_object() {
        return Err(NormalizeError::Invalid(
            "a Terraform plan must be a JSON object (the output of `terraform show -json <planfile>`)"
                .into(),
        ));
    }
    let changes = match plan.get("resource_changes") {
        Some(Value::Array(changes)) => changes.as_slice(),
        Some(Value::Null) | None if plan.get("planned_values").is_some() => &[],
        Some(_) => {
            return Err(NormalizeError::Invalid(
                "resource_changes of a Terraform plan must be a list".into(),
            ))
        }
        None => {
            return Err(NormalizeError::Invalid(
                "not a Terraform plan: it has neither resource_changes nor planned_values \
                 (was this `terraform show -json` of a state instead of a plan file?)"
                    .into(),
            ))
        }
    };
    // A plan carries no other time: `timestamp` (Terraform 1.5+) is when it was made; older
    // plans only have the moment Attest received them, which for a CI upload right after
    // `terraform plan` is minutes away from the truth and never claims a change happened.
    let at = plan
        .get("timestamp")
        .and_then(timestamp)
        .unwrap_or(delivery.received_at);
    let context = PlanContext {
        kind,
        delivery_key: delivery.delivery_key,
        at,
        terraform_version: text(&plan, "/terraform_version"),
    };
    let mut events = Vec::new();
    for (index, change) in changes.iter().enumerate() {
        if let Some(event) = resource_event(&context, index, change)? {
            events.push(event);
        }
    }
    if events.is_empty() {
        return Ok(Normalized::ignored(
            "the plan changes nothing: every resource is no-op or read",
        ));
    }
    Ok(Normalized::events(events))
}

struct PlanContext<'a> {
    kind: &'a Kind<'a>,
    delivery_key: &'a str,
    at: chrono::DateTime<chrono::Utc>,
    terraform_version: Option<&'a str>,
}

fn resource_event(
    plan: &PlanContext<'_>,
    index: usize,
    entry: &Value,
) -> Result<Option<NewEvent>, NormalizeError> {
    let address = text(entry, "/address").ok_or_else(|| {
        NormalizeError::Invalid(format!("resource_changes[{index}] has no address"))
    })?;
    let actions: Vec<&str> = match entry.pointer("/change/actions") {
        Some(Value::Array(actions)) => actions.iter().filter_map(Value::as_str).collect(),
        _ => {
            return Err(NormalizeError::Invalid(format!(
                "resource_changes[{index}] ({address}) has no change.actions list"
            )))
        }
    };
    let importing = entry
        .pointer("/change/importing")
        .is_some_and(|v| !v.is_null());
    let Some(change) = Change::of(&actions, importing) else {
        return Ok(None);
    };
    let resource_type = text(entry, "/type").unwrap_or("resource");
    let mut summary = format!("terraform plan would {} {address}", change.verb());
    let mut details = Map::new();
    details.insert("address".into(), address.into());
    details.insert("type".into(), resource_type.into());
    details.insert("actions".into(), actions.clone().into());
    for key in ["provider_name", "mode", "action_reason"] {
        if let Some(value) = entry.get(key).filter(|v| !v.is_null()) {
            details.insert(key.into(), value.clone());
        }
    }
    if let Some(importing) = entry.pointer("/change/importing").filter(|v| !v.is_null()) {
        details.insert("importing".into(), importing.clone());
    }
    if let Some(version) = plan.terraform_version {
        details.insert("terraform_version".into(), version.into());
    }
    if let Some(commit) = plan.kind.commit {
        details.insert("commit".into(), commit.into());
        summary.push_str(&format!(" (commit {})", short(commit)));
    }
    if let Some(url) = plan.kind.run_url {
        details.insert("run_url".into(), url.into());
        summary.push_str(&format!(" (run {url})"));
    }
    add_values(entry, resource_type, &mut details);
    Ok(Some(NewEvent {
        source: Source::Terraform,
        source_event_id: format!("{}#{address}", plan.delivery_key),
        occurred_at: plan.at,
        actor: Actor {
            id: None,
            // Who ran `terraform plan` is not in the file; the CI run URL says it when given.
            name: "terraform plan".into(),
            kind: ActorKind::Unknown,
            ip: None,
            user_agent: None,
        },
        action: format!("terraform.resource.{}", change.word()),
        native_action: actions.join(","),
        targets: vec![Target {
            kind: resource_type.to_owned(),
            id: Some(address.to_owned()),
            name: address.to_owned(),
        }],
        scope: None,
        outcome: Outcome::Success,
        error: None,
        summary: one_line(&summary),
        details: Value::Object(details),
    }))
}

/// IAM-relevant resources show their whole before and after (who gets what is the point of the
/// review); everything else shows only the attributes that change.
fn add_values(entry: &Value, resource_type: &str, details: &mut Map<String, Value>) {
    let change = entry.get("change").unwrap_or(&Value::Null);
    let before_raw = change.get("before").unwrap_or(&Value::Null);
    let after_raw = change.get("after").unwrap_or(&Value::Null);
    let unknown = change.get("after_unknown");
    let before = mask_sensitive(before_raw, change.get("before_sensitive"));
    let after = mark_unknown(
        mask_sensitive(after_raw, change.get("after_sensitive")),
        unknown,
    );
    if is_access_resource(resource_type) {
        details.insert("before".into(), before);
        details.insert("after".into(), after);
    } else {
        let changed = changed_keys(before_raw, after_raw, &before, &after, unknown);
        details.insert("changes".into(), Value::Object(changed));
    }
}

/// Resource types that say who may do what: identities, memberships, role bindings and the
/// resource policies that grant access.
pub(super) fn is_access_resource(resource_type: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "aws_iam_",
        "aws_ssoadmin_",
        "azuread_",
        "azurerm_role_",
        "okta_group_membership",
        "okta_user_group_membership",
        "okta_app_group_assignment",
        "okta_user_admin_roles",
    ];
    const EXACT: [&str; 13] = [
        "github_membership",
        "github_team_membership",
        "github_team_members",
        "github_repository_collaborator",
        "github_repository_collaborators",
        "github_team_repository",
        "okta_app_user",
        "okta_group_role",
        "aws_s3_bucket_policy",
        "aws_ecr_repository_policy",
        "aws_kms_key_policy",
        "kubernetes_role_binding",
        "kubernetes_cluster_role_binding",
    ];
    let google_iam = resource_type.starts_with("google_") && resource_type.contains("_iam_");
    let gitlab_member = resource_type.starts_with("gitlab_") && resource_type.contains("member");
    google_iam
        || gitlab_member
        || PREFIXES.iter().any(|p| resource_type.starts_with(p))
        || EXACT.contains(&resource_type)
}

/// The first 12 characters of a commit id, as people quote them.
fn short(commit: &str) -> &str {
    commit
        .char_indices()
        .nth(12)
        .map_or(commit, |(end, _)| &commit[..end])
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
