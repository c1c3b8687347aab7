//! Grants: who holds which permission on what, as facts with a time. Normalizers emit
//! [`GrantChange`]s (someone gained or lost access) and snapshots emit the whole set of
//! [`Grant`]s of a scope at a moment; the store keeps them as intervals (`valid_from`,
//! `valid_to`), so access on any date is a query.
//!
//! Identities are strings that are unique across sources: a source prefix, a kind and the
//! source's own stable id (`github:user:583231`, `aws:arn:aws:iam::123456789012:user/alice`,
//! `gcp:user:alice@example.com`). Names are what a person reads and may change; ids may not.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Someone or something that can hold access: a user, a team or group, a role, a service
/// account, a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Principal {
    /// `user`, `team`, `group`, `role`, `service_account`, `access_key`, `deploy_key`, `app`, ...
    pub kind: String,
    /// Unique across sources: `github:user:583231`, `okta:user:00u1...`, `aws:arn:...`.
    pub id: String,
    /// A login, e-mail, group or role name.
    pub name: String,
}

/// Something access is held on: an organisation, a repository, a project, an account, a group,
/// an application, a policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Resource {
    /// `org`, `repository`, `team`, `group`, `project`, `account`, `policy`, `app`, ...
    pub kind: String,
    /// Unique across sources: `github:repo:1296269`, `gcp:project:my-project`.
    pub id: String,
    pub name: String,
}

/// Whether a change gave or took away access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum GrantOp {
    Added,
    Removed,
}

impl GrantOp {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantOp::Added => "added",
            GrantOp::Removed => "removed",
        }
    }

    pub fn parse(s: &str) -> Option<GrantOp> {
        match s {
            "added" => Some(GrantOp::Added),
            "removed" => Some(GrantOp::Removed),
            _ => None,
        }
    }
}

/// One grant: `principal` holds `permission` on `resource`, possibly `via` something
/// (a team, a group, a role), within `scope` (the org, account or project a snapshot of that
/// source covers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Grant {
    /// The boundary a snapshot covers: `github:org:acme`, `aws:account:123456789012`,
    /// `gcp:project:my-project`. A snapshot of a scope closes only that scope's grants.
    pub scope: String,
    pub principal: Principal,
    pub resource: Resource,
    /// The source's own word: `admin`, `member`, `maintain`, `roles/owner`, a policy ARN.
    pub permission: String,
    /// How the access is held when not directly: `team:platform`, `group:admins`, the role
    /// a policy is attached to. Empty for direct grants.
    pub via: String,
}

/// What a removal names in place of a permission, a principal or a resource its source does not
/// state: a collaborator removed from a repository (which permission ended is not said), a
/// deleted team (every member's membership and every repository of the team end). The store
/// closes every grant the removal matches that is open at its time; with none open, a removal
/// that names its principal and resource is kept as it is (something unnamed was held until
/// then), and one that does not is dropped.
pub const ANY: &str = "*";

/// A normalizer's statement that a grant appeared or vanished at a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct GrantChange {
    pub at: DateTime<Utc>,
    pub grant: Grant,
    pub op: GrantOp,
    /// Where the fact comes from, for a person: "member.added webhook by octocat",
    /// "iam:AttachUserPolicy by alice".
    pub evidence: String,
}

impl GrantChange {
    /// Whether this is a removal that leaves open which grants it ends (it names [`ANY`] as its
    /// permission, principal or resource), to be resolved against what is open at its time.
    pub fn is_open_ended(&self) -> bool {
        self.op == GrantOp::Removed
            && [
                &self.grant.permission,
                &self.grant.principal.id,
                &self.grant.resource.id,
            ]
            .iter()
            .any(|part| part.as_str() == ANY)
    }

    /// The removals an open-ended removal makes of the grants in `open` (the grants of its
    /// scope open at its time): one per matching grant, on this change's evidence. With none
    /// matching, the change itself when it names its principal and resource, else nothing.
    pub fn resolve(&self, open: &[Grant]) -> Vec<GrantChange> {
        let wanted = &self.grant;
        let matches = |want: &str, have: &str| want == ANY || want == have;
        let closed: Vec<GrantChange> = open
            .iter()
            .filter(|g| {
                g.scope == wanted.scope
                    && g.via == wanted.via
                    && matches(&wanted.principal.id, &g.principal.id)
                    && matches(&wanted.resource.id, &g.resource.id)
                    && matches(&wanted.permission, &g.permission)
            })
            .map(|g| GrantChange {
                at: self.at,
                grant: g.clone(),
                op: GrantOp::Removed,
                evidence: self.evidence.clone(),
            })
            .collect();
        if closed.is_empty() && wanted.principal.id != ANY && wanted.resource.id != ANY {
            return vec![self.clone()];
        }
        closed
    }
}

/// A resource inside another whose grants reach everything in it, as a resource listing says:
/// a GCP project in its folder or organization, a folder in its parent, an Azure subscription
/// in its management group. (Containment a resource's own id shows, like a bucket in its
/// project, needs no record: see `access::graph::containers_of`.)
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Containment {
    /// The contained resource's id (`gcp:project:my-project`).
    pub child: String,
    /// Its container's id (`gcp:folder:123`, `gcp:organization:42`).
    pub parent: String,
    /// When the listing said so.
    pub at: DateTime<Utc>,
}

/// Everything a snapshot source says about one scope at one moment: every grant in the scope.
/// Grants of the scope that are open and not listed are closed at `at`; listed grants that are
/// not open are opened at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantSnapshot {
    pub at: DateTime<Utc>,
    pub scope: String,
    pub grants: Vec<Grant>,
}

/// A grant over a span of time, as the store derives it from changes and snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantInterval {
    pub id: i64,
    #[serde(flatten)]
    pub grant: Grant,
    /// `None`: held since before Attest's records (the first fact seen was its removal).
    pub valid_from: Option<DateTime<Utc>>,
    /// `None`: still held.
    pub valid_to: Option<DateTime<Utc>>,
}

impl GrantInterval {
    /// Whether the grant was held at `at` (from inclusive, to exclusive).
    pub fn held_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|from| from <= at) && self.valid_to.is_none_or(|to| to > at)
    }
}

/// Which grants to read. Every field is optional; ids are exact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantFilter {
    pub principal: Option<String>,
    pub resource: Option<String>,
    pub scope: Option<String>,
    /// Only grants held at this moment.
    pub as_of: Option<DateTime<Utc>>,
}
