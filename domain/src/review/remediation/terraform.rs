//! Which Terraform resource creates a grant: the address a remediation task names, so the
//! grant is removed in the code (a removal at the source alone is undone by the next apply).
//!
//! Terraform plans (`normalize::terraform`) keep the whole `after` of every access resource
//! (`github_team_membership`, `google_project_iam_member`, `aws_iam_user_policy_attachment`,
//! ...). A resource creates a grant when its values name the holder *and* what is held: the
//! resource (a team slug or id, a repository, a project), the path (a group, a policy) or the
//! permission (a role). Values are matched whole, or as the last part of a member string
//! (`user:alice@example.com`) or of an ARN or path (`arn:aws:iam::1:user/alice`), never as a
//! substring, so `al` does not match `alice`.

use crate::grant::Grant;
use serde_json::Value;

/// An access resource as the latest plan that touched it left it.
#[derive(Debug, Clone, PartialEq)]
pub struct Managed {
    /// `module.github.github_team_membership.members["alice"]`.
    pub address: String,
    /// Its values after the plan's change.
    pub values: Value,
}

/// The access resources Terraform manages, from plan events (`action`, `details`) in the order
/// they happened: the latest plan touching an address decides, and one that deletes or forgets
/// it drops it. Events without an `after` object (not access resources) are passed over.
pub fn managed_from_plans<'a>(
    events: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Vec<Managed> {
    let mut latest: std::collections::BTreeMap<String, Option<Value>> = Default::default();
    for (action, details) in events {
        let Some(address) = details.get("address").and_then(Value::as_str) else {
            continue;
        };
        let gone = matches!(
            action,
            "terraform.resource.deleted" | "terraform.resource.forgotten"
        );
        let after = details.get("after").filter(|v| v.is_object()).cloned();
        if gone {
            latest.insert(address.to_owned(), None);
        } else if after.is_some() {
            latest.insert(address.to_owned(), after);
        }
    }
    latest
        .into_iter()
        .filter_map(|(address, values)| values.map(|values| Managed { address, values }))
        .collect()
}

/// The address of the resource in `managed` that creates `grant`, when one names both its
/// holder and what is held; of several, the one naming most of the grant (then the first).
pub fn address_for<'a>(grant: &Grant, managed: &'a [Managed]) -> Option<&'a str> {
    // A numeric id (`github:user:10`) could be any number in a resource (a team id): the
    // holder is known by name only then.
    let holder_id = last_id_part(&grant.principal.id);
    let holder_id = if holder_id.bytes().all(|b| b.is_ascii_digit()) {
        ""
    } else {
        holder_id
    };
    let holder = tokens([grant.principal.name.as_str(), holder_id]);
    let resource = tokens([
        grant.resource.name.as_str(),
        last_part(&grant.resource.name, '/'),
        last_id_part(&grant.resource.id),
    ]);
    let via_name = grant.via.split_once(':').map_or("", |(_, name)| name);
    let via = tokens([via_name, last_part(via_name, '/')]);
    let permission = tokens([grant.permission.as_str(), last_part(&grant.permission, '/')]);
    let mut best: Option<(usize, &str)> = None;
    for resource_values in managed {
        let mut leaves = Vec::new();
        collect_leaves(&resource_values.values, &mut leaves);
        let mentions =
            |wanted: &[String]| wanted.iter().any(|w| leaves.iter().any(|l| names(l, w)));
        if !mentions(&holder) {
            continue;
        }
        let score = [&resource, &via, &permission]
            .into_iter()
            .filter(|wanted| mentions(wanted))
            .count();
        if score > 0 && best.is_none_or(|(most, _)| score > most) {
            best = Some((score, &resource_values.address));
        }
    }
    best.map(|(_, address)| address)
}

/// The non-empty tokens, lower-cased, once each.
fn tokens<const N: usize>(parts: [&str; N]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in parts {
        let part = part.trim().to_lowercase();
        if !part.is_empty() && part != crate::grant::ANY && !out.contains(&part) {
            out.push(part);
        }
    }
    out
}

/// `github:team:10` → `10`; an id of one part gives nothing (it is the name already).
fn last_id_part(id: &str) -> &str {
    id.rsplit_once(':').map_or("", |(_, last)| last)
}

fn last_part(text: &str, separator: char) -> &str {
    text.rsplit_once(separator).map_or("", |(_, last)| last)
}

/// Every string and number in `value`, lower-cased.
fn collect_leaves(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.to_lowercase()),
        Value::Number(number) => out.push(number.to_string()),
        Value::Array(values) => values.iter().for_each(|v| collect_leaves(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_leaves(v, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Whether the value `leaf` names `wanted`: wholly, or as what follows the last `:` or `/`.
fn names(leaf: &str, wanted: &str) -> bool {
    leaf == wanted
        || leaf
            .strip_suffix(wanted)
            .is_some_and(|head| head.ends_with(':') || head.ends_with('/'))
}

#[cfg(test)]
mod tests;
