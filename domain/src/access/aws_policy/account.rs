//! The policies each user and role of an `aws iam get-account-authorization-details` export
//! holds: its own inline and attached policies and, for a user, those of each of its groups;
//! beside them its permissions boundary and, for a role, its trust policy. The export is read
//! as the grant snapshots read it (`normalize::aws::authorization`: pages merged, a managed
//! policy's default version), so both always agree on what an account holds.

use super::{evaluate_with_boundary, Evaluation, NamedPolicy, Request};
use crate::normalize::aws::authorization::{check_complete, default_version, merge};
use crate::normalize::aws::ids::{Arn, Entity};
use crate::normalize::aws::policy::document;
use crate::normalize::NormalizeError;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    User,
    Role,
}

impl IdentityKind {
    fn entity(self) -> Entity {
        match self {
            IdentityKind::User => Entity::User,
            IdentityKind::Role => Entity::Role,
        }
    }

    fn name_field(self) -> &'static str {
        match self {
            IdentityKind::User => "UserName",
            IdentityKind::Role => "RoleName",
        }
    }
}

/// Everything that decides what one user or role may do.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityPolicies<'a> {
    pub kind: IdentityKind,
    /// As the export has it, path included.
    pub arn: &'a str,
    pub name: &'a str,
    /// Inline policies (`inline alice/s3-read`), then attached managed ones (by ARN); for a
    /// user then each group's, named `group admins: inline admins/…` and
    /// `group admins: arn:aws:iam::aws:policy/…`.
    pub policies: Vec<NamedPolicy<'a>>,
    pub boundary: Option<NamedPolicy<'a>>,
    /// A role's `AssumeRolePolicyDocument`, as exported (object or encoded text).
    pub trust: Option<&'a Value>,
    /// What the identity holds that the export does not show, named as in `policies`: managed
    /// policies it leaves out (a filtered export) or without a default version, unreadable
    /// inline documents, unlisted groups, a boundary policy not listed. Answers are then
    /// incomplete, and a missing boundary makes them too generous: say so beside them.
    pub missing: Vec<String>,
}

impl IdentityPolicies<'_> {
    /// The request weighed against the identity's policies within its boundary.
    pub fn evaluate(&self, request: &Request<'_>) -> Evaluation {
        let boundary = self.boundary.as_ref().map(std::slice::from_ref);
        evaluate_with_boundary(&self.policies, boundary, request)
    }
}

/// One export's users, roles, groups and managed policies, borrowed from it.
#[derive(Debug, Clone)]
pub struct AccountPolicies<'a> {
    users: Vec<&'a Value>,
    roles: Vec<&'a Value>,
    /// By account and name: sample exports merge several accounts.
    groups: BTreeMap<(&'a str, &'a str), &'a Value>,
    /// By ARN: the default version's document, when the export has one.
    managed: BTreeMap<&'a str, Option<&'a Value>>,
}

impl<'a> AccountPolicies<'a> {
    /// An export as one object or a JSON array of its pages. A page that says more follow is
    /// refused like the snapshot refuses it: policies left out would read as access denied.
    pub fn from_export(export: &'a Value) -> Result<AccountPolicies<'a>, NormalizeError> {
        let pages = match export {
            Value::Array(pages) => pages.as_slice(),
            page => std::slice::from_ref(page),
        };
        if pages.is_empty() {
            return Err(NormalizeError::Invalid(
                "the authorization details have no pages".into(),
            ));
        }
        check_complete(pages)?;
        let merged = merge(pages)?;
        let mut groups = BTreeMap::new();
        for group in &merged.groups {
            let arn = text(group, "Arn").and_then(Arn::parse);
            let name = text(group, "GroupName").or_else(|| arn?.entity().map(|(_, name)| name));
            if let (Some(arn), Some(name)) = (arn, name) {
                groups.insert((arn.account, name), *group);
            }
        }
        let managed = merged
            .policies
            .iter()
            .filter_map(|policy| {
                let document = default_version(policy).and_then(|v| v.get("Document"));
                Some((text(policy, "Arn")?, document))
            })
            .collect();
        Ok(AccountPolicies {
            users: merged.users,
            roles: merged.roles,
            groups,
            managed,
        })
    }

    /// A user or role by its ARN (with or without its path: IAM names are unique per account)
    /// or its name. `None` when nothing matches, or when a name is both a user's and a role's
    /// (ask by ARN then).
    pub fn identity(&self, arn_or_name: &str) -> Option<IdentityPolicies<'a>> {
        if let Some((entry, kind)) = self
            .entries()
            .find(|(entry, _)| text(entry, "Arn") == Some(arn_or_name))
        {
            return self.build(entry, kind);
        }
        let found: Vec<(&'a Value, IdentityKind)> = match Arn::parse(arn_or_name) {
            Some(query) => {
                let wanted = query.entity()?;
                self.entries()
                    .filter(|(entry, _)| {
                        text(entry, "Arn").and_then(Arn::parse).is_some_and(|arn| {
                            arn.partition == query.partition
                                && arn.account == query.account
                                && arn.entity() == Some(wanted)
                        })
                    })
                    .collect()
            }
            None => self
                .entries()
                .filter(|(entry, kind)| text(entry, kind.name_field()) == Some(arn_or_name))
                .collect(),
        };
        match found.as_slice() {
            [(entry, kind)] => self.build(entry, *kind),
            _ => None,
        }
    }

    /// Every user, then every role, in the export's order (entries without an IAM ARN left
    /// out).
    pub fn identities(&self) -> Vec<IdentityPolicies<'a>> {
        self.entries()
            .filter_map(|(entry, kind)| self.build(entry, kind))
            .collect()
    }

    fn entries(&self) -> impl Iterator<Item = (&'a Value, IdentityKind)> + '_ {
        let users = self.users.iter().map(|entry| (*entry, IdentityKind::User));
        let roles = self.roles.iter().map(|entry| (*entry, IdentityKind::Role));
        users.chain(roles)
    }

    fn build(&self, entry: &'a Value, kind: IdentityKind) -> Option<IdentityPolicies<'a>> {
        let arn_text = text(entry, "Arn")?;
        let arn = Arn::parse(arn_text)?;
        let name = text(entry, kind.name_field()).or_else(|| {
            arn.entity()
                .filter(|(entity, _)| *entity == kind.entity())
                .map(|(_, name)| name)
        })?;
        let mut found = IdentityPolicies {
            kind,
            arn: arn_text,
            name,
            policies: Vec::new(),
            boundary: None,
            trust: None,
            missing: Vec::new(),
        };
        let inline_list = match kind {
            IdentityKind::User => "UserPolicyList",
            IdentityKind::Role => "RolePolicyList",
        };
        self.holdings(entry, inline_list, name, "", &mut found);
        if kind == IdentityKind::User {
            for group in list(entry, "GroupList").iter().filter_map(Value::as_str) {
                let prefix = format!("group {group}: ");
                match self.groups.get(&(arn.account, group)) {
                    Some(held) => {
                        self.holdings(held, "GroupPolicyList", group, &prefix, &mut found)
                    }
                    None => found.missing.push(format!("group {group}")),
                }
            }
        }
        let boundary = entry
            .get("PermissionsBoundary")
            .and_then(|boundary| text(boundary, "PermissionsBoundaryArn"));
        if let Some(boundary) = boundary {
            match self.managed_document(boundary) {
                Some(document) => {
                    found.boundary = Some(NamedPolicy {
                        name: boundary.to_owned(),
                        document,
                    })
                }
                None => found.missing.push(boundary.to_owned()),
            }
        }
        if kind == IdentityKind::Role {
            found.trust = entry.get("AssumeRolePolicyDocument");
        }
        Some(found)
    }

    /// The inline and attached policies of a user, role or group.
    fn holdings(
        &self,
        entry: &'a Value,
        inline_list: &str,
        owner: &str,
        prefix: &str,
        found: &mut IdentityPolicies<'a>,
    ) {
        for inline in list(entry, inline_list) {
            let policy = text(inline, "PolicyName").unwrap_or("(no PolicyName)");
            let name = format!("{prefix}inline {owner}/{policy}");
            match inline
                .get("PolicyDocument")
                .filter(|raw| document(raw).is_some())
            {
                Some(document) => found.policies.push(NamedPolicy { name, document }),
                None => found.missing.push(name),
            }
        }
        for attached in list(entry, "AttachedManagedPolicies") {
            let arn = text(attached, "PolicyArn").unwrap_or("(no PolicyArn)");
            let name = format!("{prefix}{arn}");
            match self.managed_document(arn) {
                Some(document) => found.policies.push(NamedPolicy { name, document }),
                None => found.missing.push(name),
            }
        }
    }

    fn managed_document(&self, arn: &str) -> Option<&'a Value> {
        self.managed
            .get(arn)
            .copied()
            .flatten()
            .filter(|raw| document(raw).is_some())
    }
}

/// A list field; missing or of another type reads as empty (the snapshot reports those).
fn list<'v>(entry: &'v Value, field: &str) -> &'v [Value] {
    entry
        .get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn text<'v>(entry: &'v Value, field: &str) -> Option<&'v str> {
    entry
        .get(field)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}
