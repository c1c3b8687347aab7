//! Findings: policy checks over what the latest snapshots say, each naming who (the
//! principal), on what (the resource), how (the path) and the evidence an auditor can check
//! (policy and statement, report row, grant and the delivery it came from).
//!
//! The types here are pure and shared with the front end; the checks themselves read IAM
//! documents and stored grants, so they are server-side only: [`aws`] over an
//! authorization-details export and a credential report, [`github`] over the grants held at
//! an instant, and `Store::findings` puts them together.

#[cfg(feature = "store")]
pub mod aws;
#[cfg(feature = "store")]
pub mod github;

use crate::grant::{Principal, Resource};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How urgently a finding wants a reviewer, most urgent first when sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

/// One kind of finding: its stable id (what filters and links use), severity and title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingKind {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
}

/// Every kind, in the order the findings page lists them (the ids are a contract: API
/// filters and saved links use them).
pub const KINDS: &[FindingKind] = &[
    FindingKind {
        id: "aws.role_trusts_anyone",
        severity: Severity::Critical,
        title: "Role anyone may assume",
    },
    FindingKind {
        id: "aws.root_access_key",
        severity: Severity::Critical,
        title: "Root user with an active access key",
    },
    FindingKind {
        id: "aws.root_without_mfa",
        severity: Severity::Critical,
        title: "Root user without MFA",
    },
    FindingKind {
        id: "aws.full_admin",
        severity: Severity::High,
        title: "Full administrator (every action on every resource)",
    },
    FindingKind {
        id: "aws.administrator_access_user",
        severity: Severity::High,
        title: "AdministratorAccess attached to a user",
    },
    FindingKind {
        id: "aws.wildcard_admin_policy",
        severity: Severity::High,
        title: "Policy allowing Action * on Resource *",
    },
    FindingKind {
        id: "aws.privilege_escalation",
        severity: Severity::High,
        title: "Privilege-escalation route",
    },
    FindingKind {
        id: "aws.user_without_mfa",
        severity: Severity::High,
        title: "Console user without MFA",
    },
    FindingKind {
        id: "aws.access_key_old",
        severity: Severity::Medium,
        title: "Access key older than 90 days",
    },
    FindingKind {
        id: "aws.access_key_unused",
        severity: Severity::Medium,
        title: "Access key unused for 45 days",
    },
    FindingKind {
        id: "github.outside_collaborator_admin",
        severity: Severity::High,
        title: "Outside collaborator with admin",
    },
    FindingKind {
        id: "github.deploy_key_write",
        severity: Severity::Medium,
        title: "Deploy key with write access",
    },
    FindingKind {
        id: "github.org_owners",
        severity: Severity::Info,
        title: "Organization owners",
    },
];

/// The kind named `id`, if it is one of [`KINDS`].
pub fn kind(id: &str) -> Option<&'static FindingKind> {
    KINDS.iter().find(|kind| kind.id == id)
}

/// A policy statement a finding rests on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct StatementEvidence {
    /// A managed policy's ARN, `inline OWNER/NAME`, `group G: …` or `trust policy`.
    pub policy: String,
    /// Its position in the document's `Statement` list, from 0.
    pub index: usize,
    pub sid: Option<String>,
    /// It holds only under a `Condition` that was not evaluated.
    pub conditional: bool,
}

/// What a finding rests on, for an auditor to check against the source.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Evidence {
    /// The stored delivery (snapshot, report or webhook) the facts come from.
    pub delivery_id: Option<i64>,
    /// The stored grant interval, for findings over grants.
    pub grant_id: Option<i64>,
    pub statements: Vec<StatementEvidence>,
    /// Named facts: credential-report fields as the report writes them, escalation actions,
    /// owner lists.
    pub facts: BTreeMap<String, String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Finding {
    /// One of [`KINDS`]: `aws.full_admin`.
    pub kind: String,
    pub severity: Severity,
    /// What this one says, in a line: `obama is a full administrator of 200611803367`.
    pub title: String,
    /// The account or org it is about: `aws:account:200611803367`, `github:org:octo-org`.
    pub scope: String,
    pub principal: Principal,
    pub resource: Resource,
    /// How the principal holds it, as the access page writes paths:
    /// `alice → admins (member) → AdministratorAccess (attached)`.
    pub path: String,
    pub evidence: Evidence,
    /// When the facts were observed: the snapshot's or report's time, or when the grant began
    /// (`None`: held since before Attest's records).
    pub observed_at: Option<DateTime<Utc>>,
}

impl Finding {
    /// A finding of `kind` with the kind's severity. `kind` must be one of [`KINDS`]; an
    /// unknown id (a programming error) reads as `info`, never a panic.
    pub fn new(
        kind_id: &str,
        title: String,
        scope: String,
        principal: Principal,
        resource: Resource,
    ) -> Finding {
        Finding {
            kind: kind_id.to_owned(),
            severity: kind(kind_id).map_or(Severity::Info, |kind| kind.severity),
            title,
            scope,
            principal,
            resource,
            path: String::new(),
            evidence: Evidence::default(),
            observed_at: None,
        }
    }
}

/// The findings at an instant, with the snapshots they were computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct FindingsReport {
    pub at: DateTime<Utc>,
    /// Most severe first, then by kind, scope, principal, resource: the same facts always
    /// give the same order.
    pub findings: Vec<Finding>,
    /// The snapshots read: the latest of each kind per account at or before `at`.
    pub snapshots: Vec<SnapshotUsed>,
}

/// A stored snapshot a report was computed from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct SnapshotUsed {
    pub scope: String,
    /// The delivery kind: `iam_authorization_details`, `credential_report`.
    pub kind: String,
    pub delivery_id: i64,
    pub received_at: DateTime<Utc>,
}

/// Sorts findings into their report order and drops exact repeats (the same fact stated
/// twice, as two paths of one grant).
pub fn sort(findings: &mut Vec<Finding>) {
    let position = |id: &str| KINDS.iter().position(|kind| kind.id == id);
    findings.sort_by(|a, b| {
        (a.severity, position(&a.kind), &a.kind, &a.scope)
            .cmp(&(b.severity, position(&b.kind), &b.kind, &b.scope))
            .then_with(|| a.principal.id.cmp(&b.principal.id))
            .then_with(|| a.resource.id.cmp(&b.resource.id))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.evidence.cmp(&b.evidence))
    });
    findings.dedup();
}

/// Whether a finding's scope is the one a person named: the scope itself
/// (`aws:account:123456789012`, `github:org:octo-org`) or its last part (the account number,
/// the org's login), in any case.
pub fn in_scope(finding: &Finding, scope: &str) -> bool {
    let scope = scope.trim();
    finding.scope.eq_ignore_ascii_case(scope)
        || finding
            .scope
            .rsplit(':')
            .next()
            .is_some_and(|last| last.eq_ignore_ascii_case(scope))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_and_known() {
        for (n, kind) in KINDS.iter().enumerate() {
            assert!(
                KINDS[n + 1..].iter().all(|other| other.id != kind.id),
                "{} twice",
                kind.id
            );
            assert_eq!(super::kind(kind.id), Some(kind));
        }
        assert_eq!(super::kind("aws.nope"), None);
    }

    #[test]
    fn order_is_severity_then_kind_then_principal() {
        let who = |id: &str| Principal {
            kind: "user".into(),
            id: id.into(),
            name: id.into(),
        };
        let what = Resource {
            kind: "account".into(),
            id: "a".into(),
            name: "a".into(),
        };
        let make = |kind: &str, principal: &str| {
            Finding::new(
                kind,
                String::new(),
                "s".into(),
                who(principal),
                what.clone(),
            )
        };
        let mut found = vec![
            make("github.org_owners", "a"),
            make("aws.full_admin", "b"),
            make("aws.role_trusts_anyone", "z"),
            make("aws.full_admin", "a"),
            make("aws.full_admin", "a"),
        ];
        sort(&mut found);
        let order: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.kind.as_str(), f.principal.id.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("aws.role_trusts_anyone", "z"),
                ("aws.full_admin", "a"),
                ("aws.full_admin", "b"),
                ("github.org_owners", "a"),
            ]
        );
        assert_eq!(found[0].severity, Severity::Critical);
        assert!(in_scope(&found[0], "S") && in_scope(&found[0], "s"));
        let mut org = found[0].clone();
        org.scope = "github:org:octo-org".into();
        assert!(in_scope(&org, "Octo-Org") && in_scope(&org, "github:org:octo-org"));
        assert!(!in_scope(&org, "octo") && !in_scope(&org, "org:octo-org"));
    }
}
