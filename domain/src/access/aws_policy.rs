//! AWS IAM policies read as answers: whether an identity's policies allow an action on a
//! resource, who a role's trust policy lets assume it, and the findings policies carry (full
//! administrators, roles anyone may assume, privilege-escalation routes).
//!
//! The logic is IAM's for identity policies and permissions boundaries: a matching explicit
//! `Deny` wins, else a matching `Allow` allows, else the request is implicitly denied.
//! Conditions are not evaluated (they need the request's context: MFA, source IP, tags, time):
//! a deciding statement with a `Condition` makes the answer *conditional*, which a reviewer sees
//! beside it. A policy variable in a resource (`${aws:username}`) is read the same way: it
//! matches anything, conditionally. Service control policies, session policies and resource
//! policies other than trust policies are out of scope.
//!
//! Documents come in every form IAM exports use (objects, JSON text, URL-encoded JSON text);
//! anything else reads as a policy without statements: never an error, never a panic.

mod account;
mod findings;
#[cfg(test)]
mod tests;
mod trust;

pub use account::{AccountPolicies, IdentityKind, IdentityPolicies};
pub use findings::{escalation_paths, is_full_admin, unconditional_deny, Escalation};
pub use trust::{
    can_assume, may_assume, may_assume_as, trust_allows_anyone, Assumer, TRUST_POLICY,
};

use crate::normalize::aws::policy::{document, statements, wildcard_match};
use serde_json::Value;

/// A policy document with the name it is reported by: a managed policy's ARN
/// (`arn:aws:iam::aws:policy/AdministratorAccess`) or an inline policy's owner and name
/// (`inline alice/s3-read`).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPolicy<'a> {
    pub name: String,
    pub document: &'a Value,
}

/// May the identity call `action` (`s3:GetObject`) on `resource` (an ARN, or `*` for "on
/// everything": only statements on `*` then match)?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A matching `Allow` and no matching unconditional `Deny`.
    Allowed,
    /// A matching `Deny`: nothing else can allow the request.
    Denied,
    /// No `Allow` matches: IAM's implicit deny.
    NotAllowed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement of one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    pub policy: String,
    /// Its position in the document's `Statement` list (counting only statements that are
    /// objects, which in any document IAM accepts is all of them).
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// It has a `Condition` (or only a policy variable made it match): it holds for some
    /// requests only.
    pub conditional: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// The answer rests on conditions that were not evaluated: allowed only by conditional
    /// statements, or allowed with a conditional `Deny` that may take it away.
    pub conditional: bool,
    /// The statements that decided: the unconditional denies of `Denied`; the allows of
    /// `Allowed` (the unconditional ones when there are any) and the conditional denies that
    /// may overturn it; nothing for `NotAllowed`.
    pub because: Vec<StatementRef>,
}

/// IAM's evaluation of identity policies (inline, attached, those of the user's groups).
pub fn evaluate(policies: &[NamedPolicy<'_>], request: &Request<'_>) -> Evaluation {
    let mut tally = Tally::default();
    for policy in policies {
        tally.policy(&policy.name, policy.document, |statement| {
            actions_match(statement, request.action)
                .and(resources_match(statement, request.resource))
        });
    }
    tally.verdict()
}

/// With a permissions boundary the request must be allowed by the identity's policies and by
/// the boundary; a deny in either wins. `None`: no boundary, as [`evaluate`].
pub fn evaluate_with_boundary(
    identity: &[NamedPolicy<'_>],
    boundary: Option<&[NamedPolicy<'_>]>,
    request: &Request<'_>,
) -> Evaluation {
    let allowed = evaluate(identity, request);
    match boundary {
        Some(boundary) => both(allowed, evaluate(boundary, request)),
        None => allowed,
    }
}

/// Two evaluations that must both allow: a deny in either wins, then a not-allowed.
fn both(first: Evaluation, second: Evaluation) -> Evaluation {
    use Decision::{Allowed, Denied, NotAllowed};
    match (first.decision, second.decision) {
        (Denied, _) => first,
        (_, Denied) => second,
        (NotAllowed, _) => first,
        (_, NotAllowed) => second,
        (Allowed, Allowed) => Evaluation {
            decision: Allowed,
            conditional: first.conditional || second.conditional,
            because: first.because.into_iter().chain(second.because).collect(),
        },
    }
}

/// Whether a statement applies to a request. `Maybe`: only a policy variable made it match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    No,
    Maybe,
    Yes,
}

impl Match {
    fn of(yes: bool) -> Match {
        if yes {
            Match::Yes
        } else {
            Match::No
        }
    }

    fn and(self, other: Match) -> Match {
        self.min(other)
    }

    fn not(self) -> Match {
        match self {
            Match::Yes => Match::No,
            Match::No => Match::Yes,
            Match::Maybe => Match::Maybe,
        }
    }
}

/// The matching statements of the policies weighed so far, by effect and by whether they
/// hold unconditionally.
#[derive(Default)]
struct Tally {
    denied: Vec<StatementRef>,
    maybe_denied: Vec<StatementRef>,
    allowed: Vec<StatementRef>,
    maybe_allowed: Vec<StatementRef>,
}

impl Tally {
    fn policy(&mut self, name: &str, raw: &Value, applies: impl Fn(&Value) -> Match) {
        let Some(doc) = document(raw) else {
            return;
        };
        for (index, statement) in statements(&doc).into_iter().enumerate() {
            let Some(effect) = effect_of(statement) else {
                continue;
            };
            let matched = applies(statement);
            if matched == Match::No {
                continue;
            }
            let conditional = matched == Match::Maybe || has_condition(statement);
            let found = reference(name, index, statement, effect, conditional);
            match (effect, conditional) {
                (Effect::Deny, false) => self.denied.push(found),
                (Effect::Deny, true) => self.maybe_denied.push(found),
                (Effect::Allow, false) => self.allowed.push(found),
                (Effect::Allow, true) => self.maybe_allowed.push(found),
            }
        }
    }

    fn verdict(self) -> Evaluation {
        if !self.denied.is_empty() {
            return Evaluation {
                decision: Decision::Denied,
                conditional: false,
                because: self.denied,
            };
        }
        let (mut because, conditional) = if !self.allowed.is_empty() {
            (self.allowed, !self.maybe_denied.is_empty())
        } else if !self.maybe_allowed.is_empty() {
            (self.maybe_allowed, true)
        } else {
            return Evaluation {
                decision: Decision::NotAllowed,
                conditional: false,
                because: Vec::new(),
            };
        };
        because.extend(self.maybe_denied);
        Evaluation {
            decision: Decision::Allowed,
            conditional,
            because,
        }
    }
}

fn reference(
    policy: &str,
    index: usize,
    statement: &Value,
    effect: Effect,
    conditional: bool,
) -> StatementRef {
    StatementRef {
        policy: policy.to_owned(),
        index,
        sid: statement
            .get("Sid")
            .and_then(Value::as_str)
            .filter(|sid| !sid.is_empty())
            .map(str::to_owned),
        effect,
        conditional,
    }
}

/// IAM spells effects exactly so; anything else is not a statement IAM would accept.
fn effect_of(statement: &Value) -> Option<Effect> {
    match statement.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Some(Effect::Allow),
        Some("Deny") => Some(Effect::Deny),
        _ => None,
    }
}

fn has_condition(statement: &Value) -> bool {
    match statement.get("Condition") {
        None | Some(Value::Null) => false,
        Some(Value::Object(tests)) => !tests.is_empty(),
        Some(_) => true,
    }
}

/// A statement's `Action` or `NotAction` (`Resource` or `NotResource`): its patterns, and
/// whether they are inverted. `None` when neither is present, both are, or the one present is
/// not a string or a list of strings. IAM refuses such statements, so they match nothing:
/// reading them leniently (as `policy::strings` does) would turn a broken `NotAction` into
/// "every action".
fn field<'s>(statement: &'s Value, plain: &str, not: &str) -> Option<(Vec<&'s str>, bool)> {
    let (value, inverted) = match (statement.get(plain), statement.get(not)) {
        (Some(value), None) => (value, false),
        (None, Some(value)) => (value, true),
        _ => return None,
    };
    let patterns = match value {
        Value::String(pattern) => vec![pattern.as_str()],
        Value::Array(items) => items.iter().map(Value::as_str).collect::<Option<_>>()?,
        _ => return None,
    };
    Some((patterns, inverted))
}

fn actions_match(statement: &Value, action: &str) -> Match {
    let Some((patterns, inverted)) = field(statement, "Action", "NotAction") else {
        return Match::No;
    };
    let hit = patterns
        .iter()
        .any(|pattern| action_matches(pattern, action));
    Match::of(hit != inverted)
}

/// A statement without `Resource` or `NotResource` (a trust policy's) applies to any resource.
fn resources_match(statement: &Value, resource: &str) -> Match {
    if statement.get("Resource").is_none() && statement.get("NotResource").is_none() {
        return Match::Yes;
    }
    let Some((patterns, inverted)) = field(statement, "Resource", "NotResource") else {
        return Match::No;
    };
    let hit = patterns
        .iter()
        .map(|pattern| resource_matches(pattern, resource))
        .max()
        .unwrap_or(Match::No);
    if inverted {
        hit.not()
    } else {
        hit
    }
}

/// Action names are case-insensitive (`S3:getobject` is `s3:GetObject`); `*` is any run of
/// characters and `?` one. `policy::wildcard_match` keeps one backtrack point, so a pattern
/// like `a*a*a*b` costs pattern × text steps at worst, never an exponential search.
fn action_matches(pattern: &str, action: &str) -> bool {
    wildcard_match(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

/// ARNs are case-sensitive. A policy variable stands for a value of the request's context,
/// unknown here: it matches anything, as `Maybe`.
fn resource_matches(pattern: &str, resource: &str) -> Match {
    if wildcard_match(pattern, resource) {
        Match::Yes
    } else if pattern.contains("${") && wildcard_match(&widen_variables(pattern), resource) {
        Match::Maybe
    } else {
        Match::No
    }
}

/// `arn:aws:iam::1:user/${aws:username}` → `arn:aws:iam::1:user/*`.
fn widen_variables(pattern: &str) -> String {
    let mut widened = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some((before, after)) = rest.split_once("${") {
        let Some((_, tail)) = after.split_once('}') else {
            break;
        };
        widened.push_str(before);
        widened.push('*');
        rest = tail;
    }
    widened.push_str(rest);
    widened
}
