//! GitHub findings from the grants held at an instant (org snapshots and webhooks state them
//! alike): outside collaborators with admin on a repository, deploy keys that may push, and
//! how many owners each organization has.

use super::Finding;
use crate::access::graph::is_admin_of_everything;
use crate::grant::{Grant, Principal};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// The permission an org snapshot gives outside collaborators on the org.
const OUTSIDE_COLLABORATOR: &str = "outside_collaborator";

/// Repository permissions that let their holder push.
const WRITES: [&str; 3] = ["write", "maintain", "admin"];

/// A stored grant interval held at the instant asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGrant {
    /// The interval's row id in `grants`.
    pub id: i64,
    pub grant: Grant,
    /// `None`: held since before Attest's records.
    pub since: Option<DateTime<Utc>>,
    /// The delivery whose fact opened the interval.
    pub delivery_id: Option<i64>,
}

/// The findings the grants give, in no particular order (`findings::sort` orders them).
pub fn findings(held: &[StoredGrant]) -> Vec<Finding> {
    let mut found = Vec::new();
    // Outsiders are known per org: the snapshot lists them on the org.
    let outsiders: BTreeSet<(&str, &str)> = held
        .iter()
        .filter(|g| g.grant.permission == OUTSIDE_COLLABORATOR)
        .map(|g| (g.grant.scope.as_str(), g.grant.principal.id.as_str()))
        .collect();
    let mut owners: BTreeMap<(&str, &str), Vec<&StoredGrant>> = BTreeMap::new();
    for held in held {
        let grant = &held.grant;
        let hop = format!(
            "{} → {} ({})",
            grant.principal.name, grant.resource.name, grant.permission
        );
        let new = |kind: &str, title: String| {
            let mut finding = Finding::new(
                kind,
                title,
                grant.scope.clone(),
                grant.principal.clone(),
                grant.resource.clone(),
            );
            finding.path = hop.clone();
            finding.evidence.grant_id = Some(held.id);
            finding.evidence.delivery_id = held.delivery_id;
            finding
                .evidence
                .facts
                .insert("permission".into(), grant.permission.clone());
            finding.observed_at = held.since;
            finding
        };
        if grant.resource.kind == "repository"
            && grant.permission.eq_ignore_ascii_case("admin")
            && outsiders.contains(&(grant.scope.as_str(), grant.principal.id.as_str()))
        {
            found.push(new(
                "github.outside_collaborator_admin",
                format!(
                    "outside collaborator {} administers {}",
                    grant.principal.name, grant.resource.name
                ),
            ));
        }
        if grant.principal.kind == "deploy_key"
            && WRITES
                .iter()
                .any(|write| write.eq_ignore_ascii_case(&grant.permission))
        {
            found.push(new(
                "github.deploy_key_write",
                format!(
                    "deploy key {} may push to {}",
                    grant.principal.name, grant.resource.name
                ),
            ));
        }
        if grant.resource.kind == "org"
            && grant.principal.kind == "user"
            && is_admin_of_everything(grant)
        {
            owners
                .entry((grant.scope.as_str(), grant.resource.id.as_str()))
                .or_default()
                .push(held);
        }
    }
    for ((scope, _), holders) in owners {
        let Some(first) = holders.first() else {
            continue;
        };
        let org = &first.grant.resource;
        let mut names: Vec<&str> = holders
            .iter()
            .map(|h| h.grant.principal.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        let count = names.len();
        let mut finding = Finding::new(
            "github.org_owners",
            format!(
                "{} has {count} owner{}",
                org.name,
                if count == 1 { "" } else { "s" }
            ),
            scope.to_owned(),
            Principal {
                kind: org.kind.clone(),
                id: org.id.clone(),
                name: org.name.clone(),
            },
            org.clone(),
        );
        let facts = &mut finding.evidence.facts;
        facts.insert("count".into(), count.to_string());
        facts.insert("owners".into(), names.join(", "));
        let mut grants: Vec<i64> = holders.iter().map(|h| h.id).collect();
        grants.sort_unstable();
        let grants: Vec<String> = grants.iter().map(i64::to_string).collect();
        facts.insert("grants".into(), grants.join(", "));
        finding.observed_at = holders.iter().filter_map(|h| h.since).max();
        found.push(finding);
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::grant::Resource;

    fn held(
        id: i64,
        principal: (&str, &str),
        resource: (&str, &str),
        permission: &str,
    ) -> StoredGrant {
        let (principal_kind, principal_name) = principal;
        let (resource_kind, resource_name) = resource;
        StoredGrant {
            id,
            grant: Grant {
                scope: "github:org:acme".into(),
                principal: Principal {
                    kind: principal_kind.into(),
                    id: format!("github:{principal_kind}:{principal_name}"),
                    name: principal_name.into(),
                },
                resource: Resource {
                    kind: resource_kind.into(),
                    id: format!("github:{resource_kind}:{resource_name}"),
                    name: resource_name.into(),
                },
                permission: permission.into(),
                via: String::new(),
            },
            since: None,
            delivery_id: Some(id * 10),
        }
    }

    /// An org with two owners, an outsider who administers one repository and writes another,
    /// a member who administers, a deploy key per permission.
    #[test]
    fn outsiders_keys_and_owners() {
        let grants = [
            held(1, ("user", "ann"), ("org", "acme"), "admin"),
            held(2, ("user", "bob"), ("org", "acme"), "Admin"),
            held(3, ("user", "eve"), ("org", "acme"), "outside_collaborator"),
            held(4, ("user", "eve"), ("repository", "acme/infra"), "admin"),
            held(5, ("user", "eve"), ("repository", "acme/web"), "write"),
            held(6, ("user", "ann"), ("repository", "acme/web"), "admin"),
            held(7, ("deploy_key", "ci"), ("repository", "acme/web"), "write"),
            held(
                8,
                ("deploy_key", "mirror"),
                ("repository", "acme/web"),
                "read",
            ),
        ];
        let mut found = findings(&grants);
        crate::access::findings::sort(&mut found);
        let brief: Vec<(&str, &str, Option<i64>)> = found
            .iter()
            .map(|f| (f.kind.as_str(), f.path.as_str(), f.evidence.grant_id))
            .collect();
        assert_eq!(
            brief,
            [
                (
                    "github.outside_collaborator_admin",
                    "eve → acme/infra (admin)",
                    Some(4)
                ),
                ("github.deploy_key_write", "ci → acme/web (write)", Some(7)),
                ("github.org_owners", "", None),
            ]
        );
        assert_eq!(found[0].evidence.delivery_id, Some(40));
        let owners = &found[2];
        assert_eq!(owners.title, "acme has 2 owners");
        assert_eq!(owners.evidence.facts["owners"], "ann, bob");
        assert_eq!(owners.evidence.facts["grants"], "1, 2");
    }
}
