//! `aws iam get-account-authorization-details` → one [`GrantSnapshot`] of the account: who
//! is in which group, which managed and inline policies each user, group and role holds, who
//! may assume each role, and who holds an administrator policy directly.
//!
//! Grants stay direct: a user's membership of a group is one grant and the group's policies
//! are the group's grants. Expanding group policies to members is the access graph's job,
//! which then shows the path ("alice → group admins → AdministratorAccess").

use super::ids::{self, managed_policy, permission, Account, Arn, Entity};
use super::policy;
use crate::access::aws_policy::{unconditional_deny, NamedPolicy};
use crate::grant::{Grant, GrantSnapshot, Principal, Resource};
use crate::normalize::{NormalizeError, Normalized};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The lists of an export, merged over its pages.
#[derive(Default)]
pub(crate) struct Export<'a> {
    pub(crate) users: Vec<&'a Value>,
    pub(crate) groups: Vec<&'a Value>,
    pub(crate) roles: Vec<&'a Value>,
    pub(crate) policies: Vec<&'a Value>,
}

/// The snapshot of one export. `at` is the delivery's `received_at`: the export carries no
/// time of its own, and it describes the account as it was when it was taken, which for a
/// file is when it was imported (an import may pass its own taken-at time later).
pub(super) fn snapshot(body: &[u8], at: DateTime<Utc>) -> Result<Normalized, NormalizeError> {
    let pages = pages(body)?;
    check_complete(&pages)?;
    let export = merge(&pages)?;
    if export.users.is_empty() && export.groups.is_empty() && export.roles.is_empty() {
        // Every account has at least its service-linked support roles, so an export without
        // users, groups or roles was filtered (`--filter LocalManagedPolicy`); as a snapshot
        // it would close every grant of the account.
        return Ok(Normalized::ignored(
            "the authorization details list no users, groups or roles (a filtered export?), \
             so they cannot stand for the whole account",
        ));
    }
    let account = account_of(&export)?;
    let admin = admin_policies(&export.policies)?;
    let documents = export
        .policies
        .iter()
        .filter_map(|policy| {
            let arn = policy.get("Arn").and_then(Value::as_str)?;
            Some((arn, default_version(policy)?.get("Document")?))
        })
        .collect();
    let mut grants = Grants {
        scope: ids::account_scope(&account),
        account: ids::account(&account),
        admin,
        documents,
        found: BTreeSet::new(),
    };
    for (index, user) in export.users.iter().enumerate() {
        grants.entity(user, Entity::User, index)?;
    }
    for (index, group) in export.groups.iter().enumerate() {
        grants.entity(group, Entity::Group, index)?;
    }
    for (index, role) in export.roles.iter().enumerate() {
        grants.entity(role, Entity::Role, index)?;
    }
    let snapshot = GrantSnapshot {
        at,
        scope: grants.scope,
        grants: grants.found.into_iter().collect(),
    };
    Ok(Normalized {
        snapshots: vec![snapshot],
        ..Normalized::default()
    })
}

/// The pages of an export: one object, several objects one after another (NDJSON or just
/// concatenated), or a JSON array of them.
pub(crate) fn pages(body: &[u8]) -> Result<Vec<Value>, NormalizeError> {
    let mut pages = Vec::new();
    for value in serde_json::Deserializer::from_slice(body).into_iter::<Value>() {
        match value? {
            Value::Array(items) => pages.extend(items),
            other => pages.push(other),
        }
    }
    if pages.is_empty() {
        return Err(NormalizeError::Invalid(
            "the authorization details file is empty".into(),
        ));
    }
    if let Some(index) = pages.iter().position(|page| !page.is_object()) {
        return Err(NormalizeError::Invalid(format!(
            "page {} of the authorization details is not a JSON object",
            index + 1
        )));
    }
    Ok(pages)
}

/// A snapshot of part of an account would close the grants of the rest: refuse an export
/// whose last page still says more follows.
pub(crate) fn check_complete(pages: &[Value]) -> Result<(), NormalizeError> {
    let truncated = pages
        .iter()
        .filter(|page| page.get("IsTruncated").and_then(Value::as_bool) == Some(true))
        .count();
    let next_token = pages.iter().any(|page| page.get("NextToken").is_some());
    if truncated >= pages.len() || next_token {
        return Err(NormalizeError::Invalid(
            "the authorization details are incomplete: a page says more follow \
             (IsTruncated/NextToken); export every page (the CLI does unless --max-items is set)"
                .into(),
        ));
    }
    Ok(())
}

pub(crate) fn merge(pages: &[Value]) -> Result<Export<'_>, NormalizeError> {
    const LISTS: [&str; 4] = [
        "UserDetailList",
        "GroupDetailList",
        "RoleDetailList",
        "Policies",
    ];
    let mut export = Export::default();
    for page in pages {
        if !LISTS.iter().any(|list| page.get(list).is_some()) {
            return Err(NormalizeError::Missing("UserDetailList"));
        }
        for list in LISTS {
            let items = match page.get(list) {
                None | Some(Value::Null) => continue,
                Some(Value::Array(items)) => items,
                Some(_) => {
                    return Err(NormalizeError::Invalid(format!(
                        "`{list}` in the authorization details must be a list"
                    )))
                }
            };
            let into = match list {
                "UserDetailList" => &mut export.users,
                "GroupDetailList" => &mut export.groups,
                "RoleDetailList" => &mut export.roles,
                _ => &mut export.policies,
            };
            into.extend(items.iter());
        }
    }
    Ok(export)
}

/// The account the export describes: the account number most users, groups and roles have in
/// their ARNs (an export is of one account; sample files merged from several and anonymised
/// ones that write `aws` there still get one answer), else that of customer-managed policies.
pub(crate) fn account_of(export: &Export<'_>) -> Result<String, NormalizeError> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let principals = export
        .users
        .iter()
        .chain(&export.groups)
        .chain(&export.roles);
    for arn in principals.filter_map(|entry| entry.get("Arn").and_then(Value::as_str)) {
        if let Some(arn) = Arn::parse(arn).filter(|arn| ids::is_account_number(arn.account)) {
            *counts.entry(arn.account).or_default() += 1;
        }
    }
    if counts.is_empty() {
        for arn in export
            .policies
            .iter()
            .filter_map(|p| p.get("Arn").and_then(Value::as_str))
        {
            if let Some(arn) = Arn::parse(arn).filter(|arn| ids::is_account_number(arn.account)) {
                *counts.entry(arn.account).or_default() += 1;
            }
        }
    }
    // Most ARNs first; on a tie the smallest number, so the answer never depends on order.
    counts
        .into_iter()
        .max_by(|(a, n), (b, m)| n.cmp(m).then(b.cmp(a)))
        .map(|(account, _)| account.to_owned())
        .ok_or_else(|| {
            NormalizeError::Invalid(
                "no ARN in the authorization details names an account number".into(),
            )
        })
}

/// The ARNs of the managed policies whose default version makes their holder an
/// administrator.
fn admin_policies(policies: &[&Value]) -> Result<BTreeSet<String>, NormalizeError> {
    let mut admin = BTreeSet::new();
    for (index, policy) in policies.iter().enumerate() {
        let arn = policy
            .get("Arn")
            .and_then(Value::as_str)
            .ok_or_else(|| NormalizeError::Invalid(format!("Policies[{index}] has no Arn")))?;
        let Some(version) = default_version(policy) else {
            continue;
        };
        let Some(raw) = version.get("Document") else {
            continue;
        };
        let document = policy::document(raw).ok_or_else(|| {
            NormalizeError::Invalid(format!(
                "policy {arn}: the default version's Document is not a policy document"
            ))
        })?;
        if policy::grants_admin(&document) {
            admin.insert(arn.to_owned());
        }
    }
    Ok(admin)
}

/// The version marked `IsDefaultVersion`, else the one named by `DefaultVersionId`.
pub(crate) fn default_version(policy: &Value) -> Option<&Value> {
    let versions = policy.get("PolicyVersionList")?.as_array()?;
    let default_id = policy.get("DefaultVersionId").and_then(Value::as_str);
    versions
        .iter()
        .find(|v| v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
        .or_else(|| {
            versions.iter().find(|v| {
                default_id.is_some() && v.get("VersionId").and_then(Value::as_str) == default_id
            })
        })
}

/// AWS's own administrator policy, known even when an export leaves AWS-managed policies out.
fn is_aws_administrator(arn: &str) -> bool {
    Arn::parse(arn).is_some_and(|arn| {
        arn.service == "iam" && arn.account == "aws" && arn.resource == "policy/AdministratorAccess"
    })
}

struct Grants<'a> {
    scope: String,
    account: Resource,
    admin: BTreeSet<String>,
    /// Managed policies' default documents by ARN, to weigh an entity's denies and boundary.
    documents: BTreeMap<&'a str, &'a Value>,
    found: BTreeSet<Grant>,
}

impl<'a> Grants<'a> {
    fn add(&mut self, principal: &Principal, resource: Resource, permission: &str, via: String) {
        self.found.insert(Grant {
            scope: self.scope.clone(),
            principal: principal.clone(),
            resource,
            permission: permission.into(),
            via,
        });
    }

    /// Every grant one user, group or role holds directly.
    fn entity(
        &mut self,
        entry: &'a Value,
        entity: Entity,
        index: usize,
    ) -> Result<(), NormalizeError> {
        let (list, name_field, inline_field) = match entity {
            Entity::User => ("UserDetailList", "UserName", "UserPolicyList"),
            Entity::Group => ("GroupDetailList", "GroupName", "GroupPolicyList"),
            Entity::Role => ("RoleDetailList", "RoleName", "RolePolicyList"),
        };
        let invalid = |what: &str| NormalizeError::Invalid(format!("{list}[{index}] {what}"));
        let arn = entry
            .get("Arn")
            .and_then(Value::as_str)
            .and_then(Arn::parse)
            .ok_or_else(|| invalid("has no IAM Arn"))?;
        let name = entry
            .get(name_field)
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            .or_else(|| arn.entity().map(|(_, name)| name))
            .ok_or_else(|| invalid(&format!("has no {name_field}")))?;
        let home = arn.account();
        let principal = home.principal(entity, name);
        // Errors below name the entry by its index and its name.
        let about = |what: String| invalid(&format!("({name}) {what}"));

        match entity {
            Entity::User => {
                let resource = self.account.clone();
                self.add(&principal, resource, permission::IAM_USER, String::new());
                for group in list_of(entry, "GroupList").map_err(about)? {
                    let group = group
                        .as_str()
                        .ok_or_else(|| about("has a GroupList entry that is not a name".into()))?;
                    let resource = home.resource(Entity::Group, group);
                    self.add(&principal, resource, permission::MEMBER, String::new());
                }
            }
            Entity::Role => {
                let resource = self.account.clone();
                self.add(&principal, resource, permission::IAM_ROLE, String::new());
                self.trust(entry, home, name).map_err(about)?;
            }
            Entity::Group => {}
        }
        let admin = self.admin_not_taken_back(entry, inline_field);
        self.managed(entry, &principal, admin).map_err(about)?;
        self.inline(entry, inline_field, home, entity, &principal, admin)
            .map_err(about)?;
        Ok(())
    }

    /// Whether an administrator policy the entry holds makes it an administrator. Not when
    /// one of its own policies denies anything unconditionally, or its permissions boundary
    /// does not allow everything: the evaluator's reading (`aws_policy::is_full_admin`), so
    /// that `* on *` beside a `Deny` (cloudsplaining's `fp1`, `fp2`) is not an admin edge.
    /// A boundary the export does not hold is not weighed (the edge stays: too generous
    /// rather than hiding an administrator). A user's own deny does not reach an admin edge
    /// of its group: the group's edge is the group's, and members inherit it in the graph.
    fn admin_not_taken_back(&self, entry: &'a Value, inline_field: &str) -> bool {
        let named = |document: &'a Value| NamedPolicy {
            name: String::new(),
            document,
        };
        let inline = list_of(entry, inline_field)
            .unwrap_or(&[])
            .iter()
            .filter_map(|inline| inline.get("PolicyDocument"));
        let attached = list_of(entry, "AttachedManagedPolicies")
            .unwrap_or(&[])
            .iter()
            .filter_map(|attached| attached.get("PolicyArn").and_then(Value::as_str))
            .filter_map(|arn| self.documents.get(arn).copied());
        let held: Vec<NamedPolicy<'a>> = inline.chain(attached).map(named).collect();
        if unconditional_deny(&held).is_some() {
            return false;
        }
        let boundary = entry
            .get("PermissionsBoundary")
            .and_then(|boundary| boundary.get("PermissionsBoundaryArn"))
            .and_then(Value::as_str)
            .and_then(|arn| self.documents.get(arn).copied());
        match boundary {
            Some(raw) => {
                unconditional_deny(&[named(raw)]).is_none()
                    && policy::document(raw).is_some_and(|doc| policy::grants_admin(&doc))
            }
            None => true,
        }
    }

    fn managed(&mut self, entry: &Value, principal: &Principal, admin: bool) -> Result<(), String> {
        for attached in list_of(entry, "AttachedManagedPolicies")? {
            let arn = attached
                .get("PolicyArn")
                .and_then(Value::as_str)
                .ok_or("has an attached policy without PolicyArn")?;
            let resource = managed_policy(arn, attached.get("PolicyName").and_then(Value::as_str));
            if admin && (self.admin.contains(arn) || is_aws_administrator(arn)) {
                let via = format!("policy:{}", resource.name);
                let account = self.account.clone();
                self.add(principal, account, permission::ADMIN, via);
            }
            self.add(principal, resource, permission::ATTACHED, String::new());
        }
        Ok(())
    }

    fn inline(
        &mut self,
        entry: &Value,
        field: &str,
        home: Account<'_>,
        entity: Entity,
        principal: &Principal,
        admin: bool,
    ) -> Result<(), String> {
        for inline in list_of(entry, field)? {
            let name = inline
                .get("PolicyName")
                .and_then(Value::as_str)
                .filter(|name| !name.is_empty())
                .ok_or_else(|| format!("has a {field} entry without PolicyName"))?;
            let document = inline
                .get("PolicyDocument")
                .and_then(policy::document)
                .ok_or_else(|| {
                    format!("inline policy {name}: PolicyDocument is not a policy document")
                })?;
            if admin && policy::grants_admin(&document) {
                let account = self.account.clone();
                self.add(
                    principal,
                    account,
                    permission::ADMIN,
                    format!("inline_policy:{name}"),
                );
            }
            let resource = home.inline_policy(entity, &principal.name, name);
            self.add(
                principal,
                resource,
                permission::INLINE_POLICY,
                String::new(),
            );
        }
        Ok(())
    }

    /// Who may assume the role: each trusted principal holds `sts:AssumeRole` on it.
    fn trust(&mut self, role: &Value, home: Account<'_>, name: &str) -> Result<(), String> {
        let Some(raw) = role.get("AssumeRolePolicyDocument") else {
            return Ok(());
        };
        let document =
            policy::document(raw).ok_or("AssumeRolePolicyDocument is not a policy document")?;
        for (trustee, permission) in policy::trustees(&document) {
            self.add(
                &trustee,
                home.resource(Entity::Role, name),
                permission,
                String::new(),
            );
        }
        Ok(())
    }
}

/// A list field that may be missing or null (none) but not of another type.
fn list_of<'a>(entry: &'a Value, field: &str) -> Result<&'a [Value], String> {
    match entry.get(field) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("has a {field} that is not a list")),
    }
}
