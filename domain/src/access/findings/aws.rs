//! AWS findings from one account's latest authorization-details export (read with the policy
//! evaluator, so a `Deny` counts as IAM counts it) and its latest credential report.

use super::{Evidence, Finding, StatementEvidence};
use crate::access::aws_policy::{
    escalation_paths, is_full_admin, trust_allows_anyone, AccountPolicies, Decision, IdentityKind,
    IdentityPolicies, Request, StatementRef,
};
use crate::grant::{Principal, Resource};
use crate::normalize::aws::authorization::{account_of, merge, pages};
use crate::normalize::aws::credential_report::{self, report_key, Row};
use crate::normalize::aws::ids::{self, managed_policy, permission, Arn, Entity};
use crate::normalize::NormalizeError;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// An active access key last rotated longer ago than this is old (CIS AWS 1.14).
pub const KEY_MAX_AGE_DAYS: i64 = 90;
/// An active access key not used for longer than this is unused (CIS AWS 1.12 asks 45 days).
pub const KEY_UNUSED_DAYS: i64 = 45;

/// AWS's own administrator policy.
const ADMINISTRATOR_ACCESS: &str = "policy/AdministratorAccess";

/// A stored export, read as the snapshot reads it, and the account it describes.
pub struct Export {
    pub account: String,
    pages: Value,
}

impl Export {
    pub fn parse(body: &[u8]) -> Result<Export, NormalizeError> {
        let pages = pages(body)?;
        let account = account_of(&merge(&pages)?)?;
        Ok(Export {
            account,
            pages: Value::Array(pages),
        })
    }

    /// Everything the export's policies say that a reviewer should see. `delivery_id` and
    /// `observed_at` are the stored export's, for the evidence.
    pub fn findings(
        &self,
        delivery_id: i64,
        observed_at: DateTime<Utc>,
    ) -> Result<Vec<Finding>, NormalizeError> {
        let account = AccountPolicies::from_export(&self.pages)?;
        let mut found = Vec::new();
        for identity in account.identities() {
            let Some(who) = Identity::of(&identity) else {
                continue;
            };
            who.check(&identity, &self.account, &mut found);
        }
        for finding in &mut found {
            finding.evidence.delivery_id = Some(delivery_id);
            finding.observed_at = Some(observed_at);
        }
        Ok(found)
    }
}

/// A user or role as the grants name it (path-free ARN), with what its policies are named by.
struct Identity {
    principal: Principal,
    entity: Entity,
    partition: String,
    account: String,
}

impl Identity {
    fn of(identity: &IdentityPolicies<'_>) -> Option<Identity> {
        let arn = Arn::parse(identity.arn)?;
        let entity = match identity.kind {
            IdentityKind::User => Entity::User,
            IdentityKind::Role => Entity::Role,
        };
        Some(Identity {
            principal: arn.account().principal(entity, identity.name),
            entity,
            partition: arn.partition.to_owned(),
            account: arn.account.to_owned(),
        })
    }

    fn check(&self, identity: &IdentityPolicies<'_>, account: &str, found: &mut Vec<Finding>) {
        let scope = ids::account_scope(account);
        let whole = ids::account(account);
        let name = &self.principal.name;
        let incomplete = (!identity.missing.is_empty()).then(|| identity.missing.join(", "));

        // Full admin: the evaluator's reading (a Deny anywhere takes "full" away), within
        // the permissions boundary when there is one.
        let boundary_allows_all = identity
            .boundary
            .as_ref()
            .is_none_or(|boundary| is_full_admin(std::slice::from_ref(boundary)).is_some());
        let admin = is_full_admin(&identity.policies).filter(|_| boundary_allows_all);
        if let Some(statement) = &admin {
            let mut finding = Finding::new(
                "aws.full_admin",
                format!("{name} may do every action on every resource of {account}"),
                scope.clone(),
                self.principal.clone(),
                whole.clone(),
            );
            finding.path = self.path_to(&statement.policy);
            finding.evidence.statements = vec![statement_evidence(statement)];
            if let Some(missing) = &incomplete {
                finding
                    .evidence
                    .facts
                    .insert("not in the export".into(), missing.clone());
            }
            found.push(finding);
        }

        for policy in &identity.policies {
            // AWS's AdministratorAccess attached to a user, directly or through a group.
            let (group, rest) = split_group(&policy.name);
            let aws_managed = Arn::parse(rest).is_some_and(|arn| arn.account == "aws");
            if self.entity == Entity::User
                && aws_managed
                && Arn::parse(rest).is_some_and(|arn| arn.resource == ADMINISTRATOR_ACCESS)
            {
                let mut finding = Finding::new(
                    "aws.administrator_access_user",
                    match group {
                        Some(group) => format!("{name} holds AdministratorAccess through {group}"),
                        None => format!("{name} holds AdministratorAccess"),
                    },
                    scope.clone(),
                    self.principal.clone(),
                    self.policy_resource(&policy.name),
                );
                finding.path = self.path_to(&policy.name);
                found.push(finding);
            }
            // A policy of the account's own (AWS's are reviewed by AWS) that by itself allows
            // `*` on `*`, whether or not another policy takes some of it back.
            if !aws_managed {
                if let Some(statement) = is_full_admin(std::slice::from_ref(policy)) {
                    let mut finding = Finding::new(
                        "aws.wildcard_admin_policy",
                        format!("{name} holds a policy allowing * on *"),
                        scope.clone(),
                        self.principal.clone(),
                        self.policy_resource(&policy.name),
                    );
                    finding.path = self.path_to(&policy.name);
                    finding.evidence.statements = vec![statement_evidence(&statement)];
                    found.push(finding);
                }
            }
        }

        // Escalation routes matter for those who are not already administrators.
        if admin.is_none() {
            for route in escalation_paths(&identity.policies) {
                let within_boundary = identity.boundary.is_none()
                    || route.actions.iter().all(|&action| {
                        identity
                            .evaluate(&Request {
                                action,
                                resource: "*",
                            })
                            .decision
                            == Decision::Allowed
                    });
                if !within_boundary {
                    continue;
                }
                let mut finding = Finding::new(
                    "aws.privilege_escalation",
                    format!("{name} can escalate privileges by {}", route.method),
                    scope.clone(),
                    self.principal.clone(),
                    whole.clone(),
                );
                if let Some(first) = route.because.first() {
                    finding.path = self.path_to(&first.policy);
                }
                finding.evidence.statements =
                    route.because.iter().map(statement_evidence).collect();
                finding
                    .evidence
                    .facts
                    .insert("method".into(), route.method.to_owned());
                finding
                    .evidence
                    .facts
                    .insert("actions".into(), route.actions.join(", "));
                if route.conditional {
                    finding
                        .evidence
                        .facts
                        .insert("conditional".into(), "true".into());
                }
                found.push(finding);
            }
        }

        if let Some(statement) = identity.trust.and_then(trust_allows_anyone) {
            let role = Resource {
                kind: self.principal.kind.clone(),
                id: self.principal.id.clone(),
                name: name.clone(),
            };
            let anyone = ids::anyone();
            let mut finding = Finding::new(
                "aws.role_trusts_anyone",
                if statement.conditional {
                    format!("anyone may assume {name}, under a condition")
                } else {
                    format!("anyone may assume {name}")
                },
                scope.clone(),
                anyone.clone(),
                role,
            );
            finding.path = format!("{} → {name} (sts:AssumeRole)", anyone.name);
            finding.evidence.statements = vec![statement_evidence(&statement)];
            found.push(finding);
        }
    }

    /// `alice → admins (member) → AdministratorAccess (attached)`, as the access page writes
    /// the grants that hold a policy, from a policy's name in [`IdentityPolicies`].
    fn path_to(&self, policy: &str) -> String {
        let (group, _) = split_group(policy);
        let resource = self.policy_resource(policy);
        let how = if resource.kind == "inline_policy" {
            permission::INLINE_POLICY
        } else {
            permission::ATTACHED
        };
        match group {
            Some(group) => format!(
                "{} → {group} ({}) → {} ({how})",
                self.principal.name,
                permission::MEMBER,
                resource.name
            ),
            None => format!("{} → {} ({how})", self.principal.name, resource.name),
        }
    }

    /// The policy a name in [`IdentityPolicies`] stands for, with the id the grants give it.
    fn policy_resource(&self, policy: &str) -> Resource {
        let (group, rest) = split_group(policy);
        match rest.strip_prefix("inline ") {
            Some(inline) => {
                let (owner, name) = inline.split_once('/').unwrap_or((inline, inline));
                let home = ids::Account {
                    partition: &self.partition,
                    id: &self.account,
                };
                let entity = if group.is_some() {
                    Entity::Group
                } else {
                    self.entity
                };
                home.inline_policy(entity, owner, name)
            }
            None => managed_policy(rest, None),
        }
    }
}

/// `group admins: arn:…` → (`Some("admins")`, `arn:…`).
fn split_group(policy: &str) -> (Option<&str>, &str) {
    policy
        .strip_prefix("group ")
        .and_then(|rest| rest.split_once(": "))
        .map_or((None, policy), |(group, rest)| (Some(group), rest))
}

fn statement_evidence(statement: &StatementRef) -> StatementEvidence {
    StatementEvidence {
        policy: statement.policy.clone(),
        index: statement.index,
        sid: statement.sid.clone(),
        conditional: statement.conditional,
    }
}

/// A stored credential report: the account it is of, and what its rows say. Ages are counted
/// at the time AWS generated the report (the time it was received for a bare CSV): that is
/// when the report saw the keys, and a key rotated since shows in the next report, not here.
pub fn credential_report(
    body: &[u8],
    delivery_id: i64,
    received_at: DateTime<Utc>,
) -> Result<(String, Vec<Finding>), NormalizeError> {
    let report = credential_report::read(body)?;
    let at = report.generated.unwrap_or(received_at);
    let account = report.account;
    let scope = ids::account_scope(&account);
    let mut found = Vec::new();
    for row in report.rows.iter() {
        let root = row.is_root();
        let principal = if root {
            Principal {
                kind: "root".into(),
                id: ids::account_scope(&account),
                name: account.clone(),
            }
        } else {
            let arn = row.get("arn").and_then(Arn::parse);
            match arn.and_then(|arn| Some((arn, arn.entity()?))) {
                Some((arn, (Entity::User, name))) => arn.account().principal(Entity::User, name),
                // The snapshot refuses such a row; a report stored before that rule still
                // gives the findings of its other rows.
                _ => continue,
            }
        };
        let user = if root {
            "root"
        } else {
            principal.name.as_str()
        };
        let new = |kind: &str, title: String, resource: Resource, fields: &[String]| {
            let mut finding = Finding::new(kind, title, scope.clone(), principal.clone(), resource);
            finding.evidence = report_evidence(&row, delivery_id, fields);
            finding.observed_at = Some(at);
            finding
        };
        let mfa = ["mfa_active".to_owned(), "password_enabled".to_owned()];
        if root && !row.is_true("mfa_active") {
            found.push(new(
                "aws.root_without_mfa",
                format!("the root user of {account} has no MFA"),
                ids::account(&account),
                &mfa,
            ));
        }
        if !root && row.is_true("password_enabled") && !row.is_true("mfa_active") {
            found.push(new(
                "aws.user_without_mfa",
                format!("{user} signs in to the console without MFA"),
                ids::account(&account),
                &mfa,
            ));
        }
        for n in [1u8, 2] {
            if !row.is_true(&format!("access_key_{n}_active")) {
                continue;
            }
            let key = report_key(&account, user, n);
            let path = format!(
                "{} → {} ({})",
                key.name,
                principal.name,
                permission::ACCESS_KEY
            );
            let resource = Resource {
                kind: key.kind.clone(),
                id: key.id.clone(),
                name: key.name.clone(),
            };
            let fields: Vec<String> = ["active", "last_rotated", "last_used_date"]
                .iter()
                .map(|field| format!("access_key_{n}_{field}"))
                .collect();
            let rotated = row.time(&format!("access_key_{n}_last_rotated"));
            // A key never used counts from when it was made (last rotated).
            let used = row
                .time(&format!("access_key_{n}_last_used_date"))
                .or(rotated);
            let mut push = |kind: &str, title: String| {
                let mut finding = new(kind, title, resource.clone(), &fields);
                finding.path = path.clone();
                found.push(finding);
            };
            if root {
                push(
                    "aws.root_access_key",
                    format!("the root user of {account} has active access key {n}"),
                );
            }
            if let Some(days) = rotated.map(|t| (at - t).num_days()) {
                if days > KEY_MAX_AGE_DAYS {
                    push(
                        "aws.access_key_old",
                        format!("{user}'s access key {n} was last rotated {days} days before the report"),
                    );
                }
            }
            if let Some(days) = used.map(|t| (at - t).num_days()) {
                if days > KEY_UNUSED_DAYS {
                    push(
                        "aws.access_key_unused",
                        format!("{user}'s access key {n} was not used for {days} days before the report"),
                    );
                }
            }
        }
    }
    Ok((account, found))
}

/// The report's own fields for a row, as it writes them (`N/A` stays `N/A`).
fn report_evidence(row: &Row<'_>, delivery_id: i64, fields: &[String]) -> Evidence {
    let mut evidence = Evidence {
        delivery_id: Some(delivery_id),
        ..Evidence::default()
    };
    for field in ["user", "arn"]
        .iter()
        .map(|f| f.to_string())
        .chain(fields.iter().cloned())
    {
        let value = row.raw(&field).unwrap_or("(no such column)").to_owned();
        evidence.facts.insert(field, value);
    }
    evidence
}
