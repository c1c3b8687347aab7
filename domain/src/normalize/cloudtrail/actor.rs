//! Who did it: CloudTrail's `userIdentity` (plus source IP and user agent) → [`Actor`].

use super::{text, text_at};
use crate::model::{Actor, ActorKind};
use serde_json::Value;

pub(super) fn actor(record: &Value) -> Actor {
    let identity = record.get("userIdentity").unwrap_or(&Value::Null);
    let who = identify(identity);
    Actor {
        id: who.id.map(str::to_owned),
        name: who.name,
        kind: who.kind,
        ip: text(record, "sourceIPAddress").map(str::to_owned),
        user_agent: text(record, "userAgent").map(str::to_owned),
    }
}

struct Who<'a> {
    name: String,
    id: Option<&'a str>,
    kind: ActorKind,
}

impl<'a> Who<'a> {
    fn new(name: &str, id: Option<&'a str>, kind: ActorKind) -> Who<'a> {
        Who {
            name: name.to_owned(),
            id,
            kind,
        }
    }
}

fn identify(identity: &Value) -> Who<'_> {
    let arn = text(identity, "arn");
    let principal = text(identity, "principalId");
    let user_name = text(identity, "userName");
    match text(identity, "type") {
        Some("IAMUser") => {
            let name = user_name
                .or_else(|| arn.and_then(last_segment))
                .or(principal);
            Who::new(
                name.unwrap_or("unknown"),
                arn.or(principal),
                ActorKind::Human,
            )
        }
        Some("AssumedRole") => assumed_role(identity),
        Some("Root") => root(identity),
        Some("AWSService") => service(identity),
        Some("FederatedUser") => federated(identity),
        Some("IdentityCenterUser") => {
            let on_behalf = text_at(identity, &["onBehalfOf", "userId"]);
            let name = user_name
                .or(on_behalf)
                .or_else(|| text(identity, "userId"))
                .or(principal);
            Who::new(
                name.unwrap_or("unknown"),
                on_behalf.or(principal).or(arn),
                ActorKind::Human,
            )
        }
        Some("SAMLUser" | "WebIdentityUser") => Who::new(
            user_name.or(principal).unwrap_or("unknown"),
            principal.or(arn),
            ActorKind::Human,
        ),
        Some("AWSAccount") => other_account(identity),
        _ => guess(identity),
    }
}

/// Records without a usable `type` (service events, `Unknown`, hand-made samples): read what
/// the ARN and the other fields say.
fn guess(identity: &Value) -> Who<'_> {
    let principal = text(identity, "principalId");
    match text(identity, "arn") {
        Some(arn) if arn.contains(":assumed-role/") => return assumed_role(identity),
        Some(arn) if arn.contains(":federated-user/") => return federated(identity),
        Some(arn) if arn.ends_with(":root") => return root(identity),
        Some(arn) if arn.contains(":user/") => {
            let name = text(identity, "userName").or_else(|| last_segment(arn));
            return Who::new(name.unwrap_or(arn), Some(arn), ActorKind::Human);
        }
        _ => {}
    }
    if text(identity, "invokedBy").is_some() {
        return service(identity);
    }
    let name = text(identity, "userName")
        .or(principal)
        .or_else(|| text(identity, "arn"));
    Who::new(
        name.unwrap_or("unknown"),
        principal.or_else(|| text(identity, "arn")),
        ActorKind::Unknown,
    )
}

fn root(identity: &Value) -> Who<'_> {
    let id = text(identity, "arn").or_else(|| text(identity, "accountId"));
    Who::new("root", id, ActorKind::Human)
}

fn service(identity: &Value) -> Who<'_> {
    let name = text(identity, "invokedBy").or_else(|| text(identity, "principalId"));
    Who::new(name.unwrap_or("aws-service"), None, ActorKind::Service)
}

/// A principal of another account (cross-account access): the session part of its principal
/// id is the best name available.
fn other_account(identity: &Value) -> Who<'_> {
    if text(identity, "invokedBy").is_some() {
        return service(identity);
    }
    let principal = text(identity, "principalId");
    let account = text(identity, "accountId");
    let name = match (principal.and_then(after_colon), account) {
        (Some(session), _) => session.to_owned(),
        (None, Some(account)) => format!("account {account}"),
        (None, None) => principal.unwrap_or("unknown").to_owned(),
    };
    Who {
        name,
        id: principal.or(account),
        kind: ActorKind::Unknown,
    }
}

fn federated(identity: &Value) -> Who<'_> {
    let arn = text(identity, "arn");
    let principal = text(identity, "principalId");
    let name = arn
        .and_then(|arn| arn.split_once(":federated-user/"))
        .map(|(_, name)| name)
        .filter(|name| !name.is_empty())
        .or_else(|| principal.and_then(after_colon))
        .or(text(identity, "userName"));
    Who::new(
        name.unwrap_or("unknown"),
        arn.or(principal),
        ActorKind::Human,
    )
}

/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`: the session name is what identifies the
/// person (an SSO e-mail, an Okta login) or the machine (an instance id, an SDK default).
fn assumed_role(identity: &Value) -> Who<'_> {
    let arn = text(identity, "arn");
    let principal = text(identity, "principalId");
    let (role, session) = match arn.and_then(|arn| arn.split_once(":assumed-role/")) {
        Some((_, rest)) => match rest.split_once('/') {
            Some((role, session)) => (Some(role), Some(session).filter(|s| !s.is_empty())),
            None => (Some(rest), None),
        },
        None => (None, None),
    };
    let name = session
        .or_else(|| principal.and_then(after_colon))
        .or(role)
        .or(principal)
        .unwrap_or("unknown");
    let issuer = text_at(identity, &["sessionContext", "sessionIssuer", "arn"]).unwrap_or_default();
    let kind = if issuer.contains("/aws-service-role/") || looks_automated(name) {
        ActorKind::Service
    } else {
        ActorKind::Human
    };
    Who::new(name, arn.or(principal), kind)
}

/// Session names AWS services, instance profiles and SDKs pick on their own. A person's
/// session is named by their identity provider (an e-mail, a login) or by themselves.
pub(super) fn looks_automated(session: &str) -> bool {
    let lower = session.to_ascii_lowercase();
    let instance_id = lower
        .strip_prefix("i-")
        .is_some_and(|id| id.len() >= 8 && id.chars().all(|c| c.is_ascii_hexdigit()));
    let numeric = !session.is_empty() && session.chars().all(|c| c.is_ascii_digit());
    const SDK_PREFIXES: [&str; 5] = [
        "botocore-session-",
        "aws-go-sdk-",
        "aws-sdk-",
        "awssdk-",
        "boto3-",
    ];
    const SERVICE_NAMES: [&str; 14] = [
        "autoscaling",
        "awscloudformation",
        "cloudformation",
        "eks",
        "codebuild",
        "codepipeline",
        "slrmanagement",
        "configresourcecompositionsession",
        "awsconfig",
        "awsbackup",
        "ecstask",
        "guardduty",
        "inspector",
        "securityhub",
    ];
    const SERVICE_PREFIXES: [&str; 4] = ["trustedadvisor_", "awsbackup-", "aws-config", "ecs-"];
    instance_id
        || numeric
        || lower.ends_with(".amazonaws.com")
        || SDK_PREFIXES.iter().any(|prefix| lower.starts_with(prefix))
        || SERVICE_PREFIXES
            .iter()
            .any(|prefix| lower.starts_with(prefix))
        || SERVICE_NAMES.contains(&lower.as_str())
}

/// The last `/`-separated part of an ARN: the name of a user, role or session.
fn last_segment(arn: &str) -> Option<&str> {
    arn.rsplit('/')
        .next()
        .filter(|name| !name.is_empty() && *name != arn)
}

/// `AROAEXAMPLE:session-name` → `session-name`.
fn after_colon(principal: &str) -> Option<&str> {
    principal
        .split_once(':')
        .map(|(_, rest)| rest)
        .filter(|rest| !rest.is_empty())
}
