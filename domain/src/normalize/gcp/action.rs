//! `serviceName` + `methodName` → Attest's dotted verb. Google names methods three ways:
//! gRPC (`google.iam.admin.v1.CreateServiceAccount`), REST-like (`v1.compute.instances.delete`,
//! `storage.buckets.create`) and Kubernetes (`io.k8s.core.v1.pods.exec.create`). All of them
//! become `<service>.<noun>.<verb>`: `iam.service_account.created`, `compute.instance.deleted`,
//! `k8s.pod.exec.created`; every IAM policy write is `iam.policy.set`.

use super::names::{singular, snake_case};

/// `iam.googleapis.com` → `iam`, `k8s.io` → `k8s`; without a service name, the API named in
/// the method (`google.iam.admin.v1.X` → `iam`), else `unknown`.
pub(super) fn service(service_name: Option<&str>, method: &str) -> String {
    if let Some(name) = service_name {
        let short = name
            .strip_suffix(".googleapis.com")
            .or_else(|| name.strip_suffix(".io"))
            .unwrap_or(name);
        return short.to_ascii_lowercase();
    }
    let mut parts = method.split('.');
    let guessed = match (parts.next(), parts.next()) {
        (Some("google"), Some("cloud")) => parts.next(),
        (Some("google"), second) => second,
        (Some("io"), Some("k8s")) => Some("k8s"),
        (Some(first), second) if is_version(first) => second,
        _ => None,
    };
    guessed
        .filter(|s| {
            s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        .unwrap_or("unknown")
        .to_owned()
}

pub(super) fn action(service: &str, method: &str) -> String {
    if is_policy_write(method) {
        return "iam.policy.set".to_owned();
    }
    let segments: Vec<&str> = method.split('.').filter(|s| !s.is_empty()).collect();
    let Some((last, before)) = segments.split_last() else {
        return format!("{service}.unknown");
    };
    // The REST collections right before the verb: `instances` in `v1.compute.instances.delete`,
    // `pods`, `exec` in `io.k8s.core.v1.pods.exec.create`. gRPC interface names
    // (`Publisher`, `AdminService`), versions and the service itself end the run.
    let mut nouns: Vec<String> = before
        .iter()
        .rev()
        .take_while(|s| {
            s.starts_with(|c: char| c.is_ascii_lowercase())
                && !is_version(s)
                && **s != service
                && !matches!(**s, "google" | "io" | "k8s")
        })
        .take(2)
        .map(|s| singular(&snake_case(s)))
        .collect();
    nouns.reverse();

    let words = snake_case(last);
    let (verb, object) = match (words.split_once('_'), words.rsplit_once('_')) {
        // Admin SDK names events, not calls: `inboundSsoProfileDeleted`.
        (Some((first, _)), Some((object, done)))
            if past_tense(first) == first && done.ends_with("ed") =>
        {
            (done, Some(object))
        }
        (Some((verb, object)), _) => (verb, Some(object)),
        (None, _) => (words.as_str(), None),
    };
    if let Some(object) = object {
        nouns.push(object.to_owned());
    }
    let verb = past_tense(verb);
    if nouns.is_empty() {
        format!("{service}.{verb}")
    } else {
        format!("{service}.{}.{verb}", nouns.join("."))
    }
}

/// `SetIamPolicy` in every spelling: gRPC, Compute's `setIamPolicy`, IAM's `SetIAMPolicy`,
/// Cloud Storage's `storage.setIamPermissions`.
pub(super) fn is_policy_write(method: &str) -> bool {
    let last = method.rsplit('.').next().unwrap_or(method);
    last.eq_ignore_ascii_case("SetIamPolicy") || last.eq_ignore_ascii_case("setIamPermissions")
}

pub(super) fn is_version(segment: &str) -> bool {
    let rest = segment
        .strip_prefix('v')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    rest.is_some() || matches!(segment, "beta" | "alpha")
}

/// Writes read as what happened (`created`); reads and anything unknown keep the method's
/// word (`get`, `list`, `exec`), so nothing is invented.
fn past_tense(verb: &str) -> String {
    let past = match verb {
        "create" | "insert" => "created",
        "delete" => "deleted",
        "undelete" => "undeleted",
        "update" | "patch" => "updated",
        "set" => "set",
        "reset" => "reset",
        "add" => "added",
        "remove" => "removed",
        "attach" => "attached",
        "detach" => "detached",
        "enable" => "enabled",
        "disable" => "disabled",
        "generate" => "generated",
        "sign" => "signed",
        "authorize" => "authorized",
        "upload" => "uploaded",
        "import" => "imported",
        "export" => "exported",
        "start" => "started",
        "stop" => "stopped",
        "resize" => "resized",
        "move" => "moved",
        "replace" => "replaced",
        "grant" => "granted",
        "revoke" => "revoked",
        "approve" => "approved",
        "cancel" => "canceled",
        "destroy" => "destroyed",
        "restore" => "restored",
        "rotate" => "rotated",
        "connect" => "connected",
        "encrypt" => "encrypted",
        "decrypt" => "decrypted",
        other => other,
    };
    past.to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn act(service_name: &str, method: &str) -> String {
        action(&service(Some(service_name), method), method)
    }

    #[test]
    fn methods_become_noun_and_past_tense_verb() {
        let cases = [
            (
                "cloudresourcemanager.googleapis.com",
                "SetIamPolicy",
                "iam.policy.set",
            ),
            (
                "compute.googleapis.com",
                "v1.compute.disks.setIamPolicy",
                "iam.policy.set",
            ),
            (
                "storage.googleapis.com",
                "storage.setIamPermissions",
                "iam.policy.set",
            ),
            (
                "iam.googleapis.com",
                "google.iam.admin.v1.SetIAMPolicy",
                "iam.policy.set",
            ),
            (
                "iam.googleapis.com",
                "google.iam.admin.v1.CreateServiceAccount",
                "iam.service_account.created",
            ),
            (
                "iam.googleapis.com",
                "google.iam.admin.v1.CreateServiceAccountKey",
                "iam.service_account_key.created",
            ),
            (
                "compute.googleapis.com",
                "v1.compute.instances.delete",
                "compute.instance.deleted",
            ),
            (
                "compute.googleapis.com",
                "beta.compute.instanceGroupManagers.insert",
                "compute.instance_group_manager.created",
            ),
            (
                "compute.googleapis.com",
                "v1.compute.instances.setMetadata",
                "compute.instance.metadata.set",
            ),
            (
                "storage.googleapis.com",
                "storage.objects.get",
                "storage.object.get",
            ),
            (
                "dns.googleapis.com",
                "dns.managedZones.delete",
                "dns.managed_zone.deleted",
            ),
            (
                "pubsub.googleapis.com",
                "google.pubsub.v1.Publisher.CreateTopic",
                "pubsub.topic.created",
            ),
            (
                "k8s.io",
                "io.k8s.core.v1.pods.exec.create",
                "k8s.pod.exec.created",
            ),
            (
                "k8s.io",
                "io.k8s.rbac.v1.clusterrolebindings.create",
                "k8s.clusterrolebinding.created",
            ),
            (
                "iamcredentials.googleapis.com",
                "SignJwt",
                "iamcredentials.jwt.signed",
            ),
            (
                "admin.googleapis.com",
                "google.admin.AdminService.addGroupMember",
                "admin.group_member.added",
            ),
            (
                "cloudresourcemanager.googleapis.com",
                "InsertProjectOwnershipInvite",
                "cloudresourcemanager.project_ownership_invite.created",
            ),
            (
                "compute.googleapis.com",
                "ScheduledVMs",
                "compute.vms.scheduled",
            ),
            (
                "admin.googleapis.com",
                "google.admin.AdminService.inboundSsoProfileDeleted",
                "admin.inbound_sso_profile.deleted",
            ),
        ];
        for (service_name, method, expected) in cases {
            assert_eq!(act(service_name, method), expected, "{method}");
        }
    }

    #[test]
    fn service_without_a_service_name_comes_from_the_method() {
        assert_eq!(service(None, "google.iam.admin.v1.CreateRole"), "iam");
        assert_eq!(service(None, "google.cloud.run.v1.Services.X"), "run");
        assert_eq!(service(None, "v1.compute.instances.insert"), "compute");
        assert_eq!(service(None, "io.k8s.core.v1.pods.create"), "k8s");
        assert_eq!(service(None, "SetIamPolicy"), "unknown");
        assert_eq!(action("unknown", ""), "unknown.unknown");
    }
}
