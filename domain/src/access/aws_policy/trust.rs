//! Trust policies: who may assume a role. A role's trust policy is a resource policy whose
//! statements name principals (`Principal`, or everyone but some with `NotPrincipal`) and the
//! `sts:AssumeRole*` call each may make; it has no `Resource`.

use super::{
    actions_match, both, effect_of, evaluate, has_condition, reference, Decision, Effect,
    Evaluation, Match, NamedPolicy, Request, StatementRef, Tally,
};
use crate::normalize::aws::ids::{is_account_number, Arn, Entity};
use crate::normalize::aws::policy::{document, statements, strings, ASSUME_ACTIONS};
use serde_json::Value;

/// Who asks to assume a role. The kind is given, not guessed from the name:
/// `cognito-identity.amazonaws.com` is a web-identity provider that reads like a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assumer<'a> {
    /// An IAM user or role, a role session (`arn:aws:sts::1:assumed-role/ROLE/SESSION`) or an
    /// account's root user, of `account`.
    Aws { arn: &'a str, account: &'a str },
    /// An AWS service: `ec2.amazonaws.com`.
    Service(&'a str),
    /// An identity provider: a SAML provider's ARN (calling `sts:AssumeRoleWithSAML`), or an
    /// OIDC provider's ARN or a web-identity domain such as `accounts.google.com` (calling
    /// `sts:AssumeRoleWithWebIdentity`).
    Federated(&'a str),
}

impl Assumer<'_> {
    fn action(self) -> &'static str {
        match self {
            Assumer::Federated(provider) if provider.contains(":saml-provider/") => {
                "sts:AssumeRoleWithSAML"
            }
            Assumer::Federated(_) => "sts:AssumeRoleWithWebIdentity",
            Assumer::Aws { .. } | Assumer::Service(_) => "sts:AssumeRole",
        }
    }
}

/// The name a trust policy's statements are reported by.
pub const TRUST_POLICY: &str = "trust policy";

/// Whether a role's trust policy lets an IAM principal (`principal_arn`, of
/// `principal_account`) call `sts:AssumeRole`. This is the trust policy's half only: when it
/// names the principal's whole account (`arn:aws:iam::123456789012:root` or `123456789012`),
/// or the call crosses accounts, IAM also requires the principal's own policies to allow
/// `sts:AssumeRole` on the role. [`can_assume`] combines the two.
pub fn may_assume(
    trust_policy: &Value,
    principal_arn: &str,
    principal_account: &str,
) -> Evaluation {
    let who = Assumer::Aws {
        arn: principal_arn,
        account: principal_account,
    };
    trust(trust_policy, who).0
}

/// [`may_assume`] for any kind of principal: services and identity providers too.
pub fn may_assume_as(trust_policy: &Value, who: Assumer<'_>) -> Evaluation {
    trust(trust_policy, who).0
}

/// Whether an IAM principal may assume the role `role_arn`: the trust policy must allow it,
/// and so must the principal's own policies (`sts:AssumeRole` on the role) unless the trust
/// names the principal itself in the role's own account. A deny in the principal's policies
/// wins either way.
pub fn can_assume(
    role_arn: &str,
    trust_policy: &Value,
    principal_arn: &str,
    principal_account: &str,
    principal_policies: &[NamedPolicy<'_>],
) -> Evaluation {
    let who = Assumer::Aws {
        arn: principal_arn,
        account: principal_account,
    };
    let (trusted, named_directly) = trust(trust_policy, who);
    let own = evaluate(
        principal_policies,
        &Request {
            action: "sts:AssumeRole",
            resource: role_arn,
        },
    );
    let same_account = Arn::parse(role_arn).is_some_and(|role| role.account == principal_account);
    if named_directly && same_account && own.decision != Decision::Denied {
        return trusted;
    }
    both(trusted, own)
}

/// How a trust statement names the one who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    No,
    /// As its whole account: its own policies must allow the call too.
    Account,
    /// By its own name, or as anyone (`*`).
    Directly,
}

/// The trust policy's evaluation, and whether an allowing statement names the principal
/// directly.
fn trust(trust_policy: &Value, who: Assumer<'_>) -> (Evaluation, bool) {
    let action = who.action();
    let mut tally = Tally::default();
    tally.policy(TRUST_POLICY, trust_policy, |statement| {
        actions_match(statement, action).and(Match::of(names(statement, who) != Named::No))
    });
    let evaluation = tally.verdict();
    let directly = document(trust_policy).is_some_and(|doc| {
        let list = statements(&doc);
        evaluation.because.iter().any(|found| {
            found.effect == Effect::Allow
                && list
                    .get(found.index)
                    .is_some_and(|statement| names(statement, who) == Named::Directly)
        })
    });
    (evaluation, directly)
}

fn names(statement: &Value, who: Assumer<'_>) -> Named {
    match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(principal), None) => principal_names(principal, who, true),
        // Everyone but those listed. Only the principal itself is excluded: an account in
        // `NotPrincipal` excludes that account's root user, not its users and roles (IAM's
        // documented reading), so accounts are not matched here.
        (None, Some(excluded)) => match principal_names(excluded, who, false) {
            Named::No => Named::Directly,
            Named::Account | Named::Directly => Named::No,
        },
        _ => Named::No,
    }
}

fn principal_names(principal: &Value, who: Assumer<'_>, accounts: bool) -> Named {
    if principal.as_str() == Some("*") {
        return Named::Directly;
    }
    let (key, id) = match who {
        Assumer::Aws { arn, .. } => ("AWS", arn),
        Assumer::Service(service) => ("Service", service),
        Assumer::Federated(provider) => ("Federated", provider),
    };
    let mut named = Named::No;
    for entry in strings(principal.get(key)) {
        if entry == "*" || entry == id {
            return Named::Directly;
        }
        if let Assumer::Aws { arn, account } = who {
            if same_identity(entry, arn) {
                return Named::Directly;
            }
            if accounts && !account.is_empty() && whole_account(entry) == Some(account) {
                named = Named::Account;
            }
        }
    }
    named
}

/// `123456789012` or `arn:aws:iam::123456789012:root`: the whole account.
fn whole_account(entry: &str) -> Option<&str> {
    if is_account_number(entry) {
        return Some(entry);
    }
    Arn::parse(entry)
        .filter(|arn| arn.service == "iam" && arn.resource == "root")
        .map(|arn| arn.account)
}

/// IAM names are unique per account whatever the path, so `role/path/deploy` names the role
/// `deploy`; and a role's sessions act as the role (`assumed-role/deploy/SESSION`), which is
/// how role chains work.
fn same_identity(entry: &str, caller: &str) -> bool {
    let (Some(named), Some(asking)) = (Arn::parse(entry), Arn::parse(caller)) else {
        return false;
    };
    let Some(named_entity) = named.entity() else {
        return false;
    };
    if named.partition != asking.partition || named.account != asking.account {
        return false;
    }
    if let Some(entity) = asking.entity() {
        return entity == named_entity;
    }
    let session_of = asking
        .resource
        .strip_prefix("assumed-role/")
        .and_then(|rest| rest.split('/').next());
    asking.service == "sts" && named_entity.0 == Entity::Role && session_of == Some(named_entity.1)
}

/// The first statement of a trust policy that lets anyone assume the role: `Principal: "*"`,
/// a `*` under `AWS` (or another kind), or an allowing `NotPrincipal` (everyone but a few).
/// An unconditional one is preferred; a conditional one (an `sts:ExternalId` or
/// `aws:PrincipalOrgID` test) is still returned, marked so.
pub fn trust_allows_anyone(trust_policy: &Value) -> Option<StatementRef> {
    let doc = document(trust_policy)?;
    let mut conditional = None;
    for (index, statement) in statements(&doc).into_iter().enumerate() {
        if effect_of(statement) != Some(Effect::Allow) {
            continue;
        }
        let assumes = ASSUME_ACTIONS
            .iter()
            .any(|action| actions_match(statement, action) == Match::Yes);
        let anyone = match (statement.get("Principal"), statement.get("NotPrincipal")) {
            (Some(principal), None) => {
                principal.as_str() == Some("*")
                    || ["AWS", "Service", "Federated", "CanonicalUser"]
                        .iter()
                        .any(|kind| strings(principal.get(*kind)).contains(&"*"))
            }
            (None, Some(_)) => true,
            _ => false,
        };
        if assumes && anyone {
            let found = reference(
                TRUST_POLICY,
                index,
                statement,
                Effect::Allow,
                has_condition(statement),
            );
            if !found.conditional {
                return Some(found);
            }
            conditional.get_or_insert(found);
        }
    }
    conditional
}
