//! Who made the call, from `protoPayload.authenticationInfo` and `requestMetadata`.

use crate::model::{Actor, ActorKind};
use crate::normalize::json::text;
use serde_json::Value;
use std::net::IpAddr;

/// The caller of an audited call. The id is the IAM member the caller would appear as in a
/// policy (`gcp:user:alice@example.com`, `gcp:serviceAccount:...`), so an actor and the grants
/// they hold share one id.
pub(super) fn actor(payload: &Value, system_event: bool) -> Actor {
    let email = text(payload, "/authenticationInfo/principalEmail");
    let subject = text(payload, "/authenticationInfo/principalSubject");
    let (name, kind, id) = match (email, subject) {
        (Some(email), _) => {
            let kind = email_kind(email);
            let member = match kind {
                ActorKind::Service if email.ends_with("gserviceaccount.com") => {
                    Some(format!("gcp:serviceAccount:{email}"))
                }
                ActorKind::Human => Some(format!("gcp:user:{email}")),
                _ => None,
            };
            (email.to_owned(), kind, member)
        }
        // Workforce and workload identity federation callers have a subject but no e-mail.
        (None, Some(subject)) => {
            let kind = if subject.contains("/workforcePools/") {
                ActorKind::Human
            } else if subject.contains("/workloadIdentityPools/") {
                ActorKind::Service
            } else {
                ActorKind::Unknown
            };
            (subject.to_owned(), kind, Some(format!("gcp:{subject}")))
        }
        // System-event logs record what Google's own systems did (live migration, scheduled
        // start/stop, preemption): there is no caller, and that is not unknown.
        (None, None) if system_event => ("system".to_owned(), ActorKind::Service, None),
        (None, None) => ("unknown".to_owned(), ActorKind::Unknown, None),
    };
    Actor {
        id,
        name,
        kind,
        ip: ip(payload),
        user_agent: text(payload, "/requestMetadata/callerSuppliedUserAgent").map(str::to_owned),
    }
}

fn email_kind(email: &str) -> ActorKind {
    if email.ends_with("gserviceaccount.com") {
        return ActorKind::Service;
    }
    // GKE audit logs name Kubernetes identities: `system:serviceaccount:ns:name`,
    // `system:kube-scheduler`, and `system:anonymous` for unauthenticated requests.
    if let Some(rest) = email.strip_prefix("system:") {
        return match rest {
            "anonymous" | "unauthenticated" => ActorKind::Unknown,
            _ => ActorKind::Service,
        };
    }
    ActorKind::Human
}

/// `callerIp` (Panther's copies spell it `callerIP`) when it is an address: Google writes
/// `private` or `gce-internal-ip` for calls from inside its network, which stay in the details.
fn ip(payload: &Value) -> Option<String> {
    caller_ip(payload)
        .filter(|raw| raw.parse::<IpAddr>().is_ok())
        .map(str::to_owned)
}

pub(super) fn caller_ip(payload: &Value) -> Option<&str> {
    text(payload, "/requestMetadata/callerIp")
        .or_else(|| text(payload, "/requestMetadata/callerIP"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_from_the_principal() {
        let of = |payload: Value, system: bool| {
            let a = actor(&payload, system);
            (a.name, a.kind, a.id)
        };
        assert_eq!(
            of(
                json!({"authenticationInfo": {"principalEmail": "a@example.com"}}),
                false
            ),
            (
                "a@example.com".into(),
                ActorKind::Human,
                Some("gcp:user:a@example.com".into())
            )
        );
        assert_eq!(
            of(
                json!({"authenticationInfo": {"principalEmail": "x@p.iam.gserviceaccount.com"}}),
                false
            ),
            (
                "x@p.iam.gserviceaccount.com".into(),
                ActorKind::Service,
                Some("gcp:serviceAccount:x@p.iam.gserviceaccount.com".into())
            )
        );
        assert_eq!(
            of(
                json!({"authenticationInfo": {"principalEmail": "system:serviceaccount:kube-system:x"}}),
                false
            ),
            (
                "system:serviceaccount:kube-system:x".into(),
                ActorKind::Service,
                None
            )
        );
        assert_eq!(
            of(json!({}), false),
            ("unknown".into(), ActorKind::Unknown, None)
        );
        assert_eq!(
            of(json!({}), true),
            ("system".into(), ActorKind::Service, None)
        );
        assert_eq!(
            of(json!({"authenticationInfo": "..."}), false).1,
            ActorKind::Unknown
        );
    }

    #[test]
    fn only_addresses_are_ips() {
        let a = actor(
            &json!({"requestMetadata": {"callerIp": "2001:db8::1"}}),
            false,
        );
        assert_eq!(a.ip.as_deref(), Some("2001:db8::1"));
        let a = actor(&json!({"requestMetadata": {"callerIp": "private"}}), false);
        assert_eq!(a.ip, None);
        let a = actor(&json!({"requestMetadata": {"callerIP": "1.2.3.4"}}), false);
        assert_eq!(a.ip.as_deref(), Some("1.2.3.4"));
    }
}
