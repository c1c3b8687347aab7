//! CloudTrail IAM calls → grant changes: who gained or lost membership, policies, trust,
//! access keys and console passwords, at the moment the call succeeded. The ids are those of
//! the IAM snapshots (`normalize::aws::ids`), so a later snapshot lists or closes exactly the
//! grants these calls opened.
//!
//! Only what the record itself proves is emitted: a failed call changes nothing, and a call
//! whose record lacks a name it needs (a redacted key id, a role name) yields no change rather
//! than a guess.

use super::text;
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use crate::normalize::aws::ids::{self, managed_policy, permission, Account, Arn, Entity};
use crate::normalize::aws::policy;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The grant changes one CloudTrail record proves. `at` is the event time and `actor_name`
/// who made the call, for the evidence line.
pub fn grant_changes(record: &Value, at: DateTime<Utc>, actor_name: &str) -> Vec<GrantChange> {
    if text(record, "errorCode").is_some()
        || text(record, "eventSource") != Some("iam.amazonaws.com")
    {
        return Vec::new();
    }
    let Some(event_name) = text(record, "eventName") else {
        return Vec::new();
    };
    let Some(account) =
        text(record, "recipientAccountId").or_else(|| identity(record, "accountId"))
    else {
        return Vec::new();
    };
    let call = Call {
        record,
        request: record.get("requestParameters").unwrap_or(&Value::Null),
        home: Account {
            partition: partition(record),
            id: account,
        },
        at,
        evidence: format!("iam:{event_name} by {actor_name}"),
        changes: Vec::new(),
    };
    call.read(event_name)
}

/// The partition (`aws`, `aws-cn`, `aws-us-gov`) the ARNs are built in: the caller's or the
/// policy's ARN says it, else the region's name; `aws` otherwise.
fn partition(record: &Value) -> &str {
    let from_arn = identity(record, "arn")
        .or_else(|| {
            record
                .pointer("/requestParameters/policyArn")
                .and_then(Value::as_str)
        })
        .and_then(Arn::parse)
        .map(|arn| arn.partition);
    from_arn.unwrap_or_else(|| match text(record, "awsRegion") {
        Some(region) if region.starts_with("cn-") => "aws-cn",
        Some(region) if region.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    })
}

fn identity<'a>(record: &'a Value, field: &str) -> Option<&'a str> {
    text(record.get("userIdentity")?, field)
}

struct Call<'a> {
    record: &'a Value,
    request: &'a Value,
    home: Account<'a>,
    at: DateTime<Utc>,
    evidence: String,
    changes: Vec<GrantChange>,
}

impl Call<'_> {
    fn read(mut self, event_name: &str) -> Vec<GrantChange> {
        use Entity::{Group, Role, User};
        use GrantOp::{Added, Removed};
        match event_name {
            "CreateUser" => self.exists(User, Added),
            "DeleteUser" => self.exists(User, Removed),
            "CreateRole" => {
                self.exists(Role, Added);
                // The whole trust policy is in the request: who may assume the new role.
                self.trust("assumeRolePolicyDocument");
            }
            // Deleting a role (or user) requires detaching its policies first, which are calls
            // of their own; only the existence grant goes here.
            "DeleteRole" => self.exists(Role, Removed),
            "AddUserToGroup" => self.membership(Added),
            "RemoveUserFromGroup" => self.membership(Removed),
            "AttachUserPolicy" => self.attached(User, Added),
            "AttachGroupPolicy" => self.attached(Group, Added),
            "AttachRolePolicy" => self.attached(Role, Added),
            "DetachUserPolicy" => self.attached(User, Removed),
            "DetachGroupPolicy" => self.attached(Group, Removed),
            "DetachRolePolicy" => self.attached(Role, Removed),
            "PutUserPolicy" => self.inline(User, Added),
            "PutGroupPolicy" => self.inline(Group, Added),
            "PutRolePolicy" => self.inline(Role, Added),
            "DeleteUserPolicy" => self.inline(User, Removed),
            "DeleteGroupPolicy" => self.inline(Group, Removed),
            "DeleteRolePolicy" => self.inline(Role, Removed),
            // The record carries only the new trust policy, not the one it replaced, so the
            // principals it dropped cannot be named: only additions are emitted, and the next
            // authorization-details snapshot closes whatever the new policy left out.
            "UpdateAssumeRolePolicy" => self.trust("policyDocument"),
            "CreateAccessKey" => self.access_key(Added),
            "DeleteAccessKey" => self.access_key(Removed),
            // Deactivating a key takes its access away as surely as deleting it.
            "UpdateAccessKey" => match text(self.request, "status") {
                Some("Inactive") => self.access_key(Removed),
                Some("Active") => self.access_key(Added),
                _ => {}
            },
            "CreateLoginProfile" => self.console_login(Added),
            "DeleteLoginProfile" => self.console_login(Removed),
            _ => {}
        }
        self.changes
    }

    fn push(
        &mut self,
        scope: String,
        principal: Principal,
        resource: Resource,
        what: &str,
        op: GrantOp,
    ) {
        self.changes.push(GrantChange {
            at: self.at,
            grant: Grant {
                scope,
                principal,
                resource,
                permission: what.into(),
                via: String::new(),
            },
            op,
            evidence: self.evidence.clone(),
        });
    }

    /// A grant of the account's IAM scope.
    fn iam(&mut self, principal: Principal, resource: Resource, what: &str, op: GrantOp) {
        self.push(
            ids::account_scope(self.home.id),
            principal,
            resource,
            what,
            op,
        );
    }

    /// The name a request gives for a user, group or role.
    fn name(&self, entity: Entity) -> Option<&str> {
        let field = match entity {
            Entity::User => "userName",
            Entity::Group => "groupName",
            Entity::Role => "roleName",
        };
        text(self.request, field)
    }

    fn exists(&mut self, entity: Entity, op: GrantOp) {
        let Some(name) = self.name(entity) else {
            return;
        };
        let what = match entity {
            Entity::Role => permission::IAM_ROLE,
            _ => permission::IAM_USER,
        };
        let principal = self.home.principal(entity, name);
        self.iam(principal, ids::account(self.home.id), what, op);
    }

    fn membership(&mut self, op: GrantOp) {
        let (Some(user), Some(group)) = (self.name(Entity::User), self.name(Entity::Group)) else {
            return;
        };
        let principal = self.home.principal(Entity::User, user);
        let group = self.home.resource(Entity::Group, group);
        self.iam(principal, group, permission::MEMBER, op);
    }

    fn attached(&mut self, entity: Entity, op: GrantOp) {
        let (Some(name), Some(arn)) = (self.name(entity), text(self.request, "policyArn")) else {
            return;
        };
        let principal = self.home.principal(entity, name);
        self.iam(
            principal,
            managed_policy(arn, None),
            permission::ATTACHED,
            op,
        );
    }

    fn inline(&mut self, entity: Entity, op: GrantOp) {
        let (Some(owner), Some(policy)) = (self.name(entity), text(self.request, "policyName"))
        else {
            return;
        };
        let principal = self.home.principal(entity, owner);
        let resource = self.home.inline_policy(entity, owner, policy);
        self.iam(principal, resource, permission::INLINE_POLICY, op);
    }

    fn trust(&mut self, field: &str) {
        let Some(role) = self.name(Entity::Role) else {
            return;
        };
        let Some(document) = self.request.get(field).and_then(policy::document) else {
            return;
        };
        let resource = self.home.resource(Entity::Role, role);
        for (trustee, what) in policy::trustees(&document) {
            self.iam(trustee, resource.clone(), what, GrantOp::Added);
        }
    }

    /// The user a key or password call is about: the request names it, else the call was about
    /// the caller's own credentials (AWS fills in the signing user; root's keys are the
    /// account's).
    fn subject(&self) -> Option<Resource> {
        if let Some(user) = self.name(Entity::User) {
            return Some(self.home.resource(Entity::User, user));
        }
        if identity(self.record, "type") == Some("Root") {
            return Some(ids::account(self.home.id));
        }
        let created = self
            .record
            .pointer("/responseElements/accessKey/userName")
            .and_then(Value::as_str)
            .filter(|user| !user.is_empty());
        let caller = || {
            (identity(self.record, "type") == Some("IAMUser"))
                .then(|| identity(self.record, "userName"))
                .flatten()
        };
        let user = created.or_else(caller)?;
        Some(self.home.resource(Entity::User, user))
    }

    fn access_key(&mut self, op: GrantOp) {
        let key = text(self.request, "accessKeyId").or_else(|| {
            self.record
                .pointer("/responseElements/accessKey/accessKeyId")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
        });
        let (Some(key), Some(user)) = (key, self.subject()) else {
            return;
        };
        let scope = ids::credentials_scope(self.home.id);
        self.push(
            scope,
            ids::access_key(key),
            user,
            permission::ACCESS_KEY,
            op,
        );
    }

    fn console_login(&mut self, op: GrantOp) {
        let Some(user) = self
            .subject()
            .filter(|user| user.kind == Entity::User.word())
        else {
            return;
        };
        let principal = Principal {
            kind: user.kind,
            id: user.id,
            name: user.name,
        };
        let scope = ids::credentials_scope(self.home.id);
        self.push(
            scope,
            principal,
            ids::account(self.home.id),
            permission::CONSOLE_LOGIN,
            op,
        );
    }
}

#[cfg(test)]
mod tests;
