//! How AWS principals and resources are named in grants, shared by the snapshot kinds of this
//! module and by the CloudTrail grant changes, so a grant a CloudTrail call opens is the very
//! grant a later snapshot lists (or closes).
//!
//! IAM users, groups and roles are named by their ARN **without the path**:
//! `aws:arn:aws:iam::123456789012:role/level1` even when the role lives under
//! `/service-role/`. CloudTrail requests name them only by `userName`/`roleName`, never by
//! path, and IAM names are unique within an account whatever the path, so the path-free ARN is
//! the one id both sides can build. Policies keep their full ARN: both sides always have it.

use crate::grant::{Principal, Resource};

/// What a grant says the principal may do, in the words this module and CloudTrail share.
pub(crate) mod permission {
    /// The user exists in the account (opened by CreateUser, closed by DeleteUser).
    pub const IAM_USER: &str = "iam_user";
    /// The role exists in the account.
    pub const IAM_ROLE: &str = "iam_role";
    /// A user belongs to a group.
    pub const MEMBER: &str = "member";
    /// A managed policy is attached to a user, group or role.
    pub const ATTACHED: &str = "attached";
    /// An inline policy is embedded in a user, group or role.
    pub const INLINE_POLICY: &str = "inline_policy";
    /// A policy lets the principal do everything (`*` on `*`, or `iam:*`), and none of the
    /// principal's own policies denies anything unconditionally.
    pub const ADMIN: &str = "admin";
    /// An access key belongs to a user.
    pub const ACCESS_KEY: &str = "access_key";
    /// The user has a password and may sign in to the console.
    pub const CONSOLE_LOGIN: &str = "console_login";
}

/// `aws:account:123456789012`: the scope of an account's IAM grants.
pub(crate) fn account_scope(account: &str) -> String {
    format!("aws:account:{account}")
}

/// The scope of an account's sign-in credentials (passwords, access keys). It is not the
/// account scope because the two are filled by different snapshots: an authorization-details
/// export knows nothing of keys and passwords, and a credential report nothing of policies, so
/// each must only close grants of its own kind.
pub(crate) fn credentials_scope(account: &str) -> String {
    format!("aws:account:{account}:credentials")
}

/// The account as something access is held on.
pub(crate) fn account(account: &str) -> Resource {
    Resource {
        kind: "account".into(),
        id: account_scope(account),
        name: account.into(),
    }
}

/// The three kinds of IAM identity that hold policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entity {
    User,
    Group,
    Role,
}

impl Entity {
    /// The word IAM puts in ARNs, which is also the principal's kind.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Group => "group",
            Entity::Role => "role",
        }
    }
}

/// Where IAM names live: the partition (`aws`, `aws-cn`, `aws-us-gov`) and the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Account<'a> {
    pub partition: &'a str,
    pub id: &'a str,
}

impl Account<'_> {
    /// The path-free ARN of a user, group or role, as an id.
    pub(crate) fn entity_id(self, entity: Entity, name: &str) -> String {
        format!(
            "aws:arn:{}:iam::{}:{}/{name}",
            self.partition,
            self.id,
            entity.word()
        )
    }

    pub(crate) fn principal(self, entity: Entity, name: &str) -> Principal {
        Principal {
            kind: entity.word().into(),
            id: self.entity_id(entity, name),
            name: name.into(),
        }
    }

    /// A user, group or role as what is held: a group one is a member of, a role one may
    /// assume, the user an access key belongs to.
    pub(crate) fn resource(self, entity: Entity, name: &str) -> Resource {
        Resource {
            kind: entity.word().into(),
            id: self.entity_id(entity, name),
            name: name.into(),
        }
    }

    /// An inline policy lives inside its user, group or role and has no ARN of its own:
    /// `aws:arn:aws:iam::1:role/app/inline/s3-access`.
    pub(crate) fn inline_policy(self, entity: Entity, owner: &str, policy: &str) -> Resource {
        Resource {
            kind: "inline_policy".into(),
            id: format!("{}/inline/{policy}", self.entity_id(entity, owner)),
            name: policy.into(),
        }
    }
}

/// A managed policy by its ARN (AWS-managed ones live in the account `aws`).
pub(crate) fn managed_policy(arn: &str, name: Option<&str>) -> Resource {
    let name = name
        .filter(|name| !name.is_empty())
        .or_else(|| arn.rsplit('/').next().filter(|name| !name.is_empty()))
        .unwrap_or(arn);
    Resource {
        kind: "policy".into(),
        id: format!("aws:{arn}"),
        name: name.into(),
    }
}

/// An access key by its key id (`AKIA...`), as CloudTrail names it.
pub(crate) fn access_key(key_id: &str) -> Principal {
    Principal {
        kind: "access_key".into(),
        id: format!("aws:access_key:{key_id}"),
        name: key_id.into(),
    }
}

/// Everyone (`"Principal": "*"`): a role anyone may assume is a finding in itself.
pub(crate) fn anyone() -> Principal {
    Principal {
        kind: "anyone".into(),
        id: "aws:anyone".into(),
        name: "anyone (*)".into(),
    }
}

/// The parts of an ARN a grant needs: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub(crate) fn parse(arn: &'a str) -> Option<Arn<'a>> {
        let mut parts = arn.splitn(6, ':');
        if parts.next() != Some("arn") {
            return None;
        }
        let partition = parts.next().filter(|p| !p.is_empty())?;
        let service = parts.next().filter(|s| !s.is_empty())?;
        let _region = parts.next()?;
        let account = parts.next()?;
        let resource = parts.next().filter(|r| !r.is_empty())?;
        Some(Arn {
            partition,
            service,
            account,
            resource,
        })
    }

    pub(crate) fn account(self) -> Account<'a> {
        Account {
            partition: self.partition,
            id: self.account,
        }
    }

    /// The user, group or role an IAM ARN names, with its path-free name.
    pub(crate) fn entity(self) -> Option<(Entity, &'a str)> {
        if self.service != "iam" {
            return None;
        }
        let (kind, rest) = self.resource.split_once('/')?;
        let entity = match kind {
            "user" => Entity::User,
            "group" => Entity::Group,
            "role" => Entity::Role,
            _ => return None,
        };
        let name = rest.rsplit('/').next().filter(|name| !name.is_empty())?;
        Some((entity, name))
    }
}

/// Whether an ARN's account field is a real account number (anonymised exports put `aws`
/// there, and AWS-managed policies live in `aws`).
pub(crate) fn is_account_number(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// A principal named by an ARN or an account number, as trust policies name them: users,
/// groups and roles by their path-free ARN, `:root` and bare account numbers as the account,
/// anything else (sessions, federated users, identity providers) by its ARN.
pub(crate) fn principal_of(value: &str) -> Principal {
    if value == "*" {
        return anyone();
    }
    if is_account_number(value) {
        return account_principal(value);
    }
    let Some(arn) = Arn::parse(value) else {
        // A unique id (`AROA...`) is what IAM shows once the principal it named is deleted.
        return Principal {
            kind: "unknown".into(),
            id: format!("aws:principal:{value}"),
            name: value.into(),
        };
    };
    if arn.service == "iam" && arn.resource == "root" {
        return account_principal(arn.account);
    }
    if let Some((entity, name)) = arn.entity() {
        return arn.account().principal(entity, name);
    }
    let kind = match arn.resource.split(['/', ':']).next().unwrap_or_default() {
        "assumed-role" => "role_session",
        "federated-user" => "federated_user",
        "saml-provider" | "oidc-provider" => "identity_provider",
        _ => "unknown",
    };
    let name = match kind {
        // `assumed-role/ROLE/SESSION` reads best as `ROLE/SESSION`.
        "role_session" => arn
            .resource
            .split_once('/')
            .map_or(arn.resource, |(_, r)| r),
        _ => arn.resource.rsplit('/').next().unwrap_or(arn.resource),
    };
    Principal {
        kind: kind.into(),
        id: format!("aws:{value}"),
        name: name.into(),
    }
}

/// A whole account as a principal (`arn:aws:iam::1:root` or `1` in a trust policy): anyone
/// in that account whom its own policies allow.
pub(crate) fn account_principal(account: &str) -> Principal {
    Principal {
        kind: "account".into(),
        id: account_scope(account),
        name: account.into(),
    }
}
