//! Google Cloud names → Attest identities: IAM members (`user:alice@example.com`) become
//! [`Principal`]s, resource names (`projects/p`, `//storage.googleapis.com/b`) become
//! [`Resource`]s. Audit logs, `get-iam-policy` output and Cloud Asset Inventory name the same
//! thing differently; everything goes through these functions so the ids agree.

use crate::grant::{Principal, Resource};

/// An IAM member as written in a binding or a binding delta. The id keeps the member whole
/// (`gcp:user:alice@example.com`, `gcp:allUsers`), so it is exactly what a policy says.
pub(super) fn principal(member: &str) -> Principal {
    let member = member.trim();
    let (kind, name) = member_kind(member);
    Principal {
        kind: kind.to_owned(),
        id: format!("gcp:{member}"),
        name,
    }
}

fn member_kind(member: &str) -> (&'static str, String) {
    if let Some(rest) = member.strip_prefix("deleted:") {
        // `deleted:user:alice@example.com?uid=123`: a binding that outlived its principal.
        let (kind, name) = member_kind(rest);
        let name = name.split('?').next().unwrap_or_default();
        return (kind, format!("{name} (deleted)"));
    }
    match member {
        "allUsers" | "allAuthenticatedUsers" => return ("public", member.to_owned()),
        _ => {}
    }
    if member.starts_with("principal://") {
        return ("federated_identity", member.to_owned());
    }
    if member.starts_with("principalSet://") {
        return ("federated_group", member.to_owned());
    }
    let Some((prefix, rest)) = member.split_once(':') else {
        return ("unknown", member.to_owned());
    };
    let kind = match prefix {
        "user" => "user",
        "serviceAccount" => "service_account",
        "group" => "group",
        "domain" => "domain",
        // Cloud Storage's convenience values: every owner / editor / viewer of a project.
        "projectOwner" | "projectEditor" | "projectViewer" => {
            return ("project_role", member.to_owned())
        }
        _ => return ("unknown", member.to_owned()),
    };
    (kind, rest.to_owned())
}

/// What a resource name denotes. Projects, folders and organisations get Attest's short ids
/// (`gcp:project:my-project`); anything else is keyed by its full resource name
/// (`gcp://storage.googleapis.com/my-bucket`), the form Cloud Asset Inventory uses.
///
/// `service` is the API that logged the name (`serviceName` of an audit log) and is needed
/// for relative names; `project` replaces the `-` wildcard some services log instead of the
/// project (`projects/-/serviceAccounts/...`).
pub(super) fn resource(service: Option<&str>, name: &str, project: Option<&str>) -> Resource {
    let name = name.trim();
    let (service, path) = match name.strip_prefix("//") {
        Some(full) => match full.split_once('/') {
            Some((service, path)) => (Some(service), path),
            None => (Some(full), ""),
        },
        None => (service, name),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["projects", id] => return container("project", id),
        ["organizations", id] => return container("organization", id),
        ["folders", id] => return container("folder", id),
        _ => {}
    }
    let service = service.filter(|s| !s.trim().is_empty());
    if service == Some("storage.googleapis.com") {
        return storage(path);
    }
    let path = match (path.strip_prefix("projects/-/"), project) {
        (Some(rest), Some(project)) => format!("projects/{project}/{rest}"),
        _ => path.to_owned(),
    };
    let id = match service {
        Some(service) => format!("gcp://{service}/{path}"),
        None => format!("gcp:resource:{path}"),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (kind, name) = match segments.as_slice() {
        // `organizations/1/groupSettings`, `projects/p/builds`: a singleton or a collection
        // named on its own (resource names otherwise alternate collection / id).
        [_, .., last] if segments.len() % 2 == 1 && is_collection(last) => {
            (singular(&snake_case(last)), path.clone())
        }
        [.., collection, last] => (singular(&snake_case(collection)), (*last).to_owned()),
        [only] => ("resource".to_owned(), (*only).to_owned()),
        [] => ("resource".to_owned(), path.clone()),
    };
    Resource { kind, id, name }
}

fn is_collection(segment: &str) -> bool {
    segment.starts_with(|c: char| c.is_ascii_lowercase())
        && segment.chars().all(|c| c.is_ascii_alphabetic())
}

fn container(kind: &str, id: &str) -> Resource {
    Resource {
        kind: kind.to_owned(),
        id: format!("gcp:{kind}:{id}"),
        name: id.to_owned(),
    }
}

/// Audit logs name a bucket `projects/_/buckets/b`, Asset Inventory `//storage.googleapis.com/b`;
/// both become the latter, and objects are `b/objects/<name with slashes>`.
fn storage(path: &str) -> Resource {
    let path = path.strip_prefix("projects/_/buckets/").unwrap_or(path);
    let id = format!("gcp://storage.googleapis.com/{path}");
    match path.split_once("/objects/") {
        Some((_, object)) => Resource {
            kind: "object".into(),
            id,
            name: object.to_owned(),
        },
        None => Resource {
            kind: "bucket".into(),
            id,
            name: path.trim_end_matches('/').to_owned(),
        },
    }
}

/// `serviceAccounts` → `service_accounts`, `ScheduledVMs` → `scheduled_vms`: a run of capitals
/// is one word, so acronyms stay whole.
pub(super) fn snake_case(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
            let next = chars.get(i + 1).copied();
            let starts_word = match prev {
                None => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                // The last capital of an acronym starts the next word: `IAMPolicy` → iam_policy.
                Some(p) if p.is_ascii_uppercase() => {
                    next.is_some_and(|n| n.is_ascii_lowercase()) && !is_plural_tail(&chars, i)
                }
                _ => false,
            };
            if starts_word && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c == ' ' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// `VMs`: a lone `s` after an acronym is its plural, not a new word.
fn is_plural_tail(chars: &[char], i: usize) -> bool {
    chars.get(i + 1) == Some(&'s') && chars.get(i + 2).is_none_or(|c| !c.is_ascii_lowercase())
}

/// `instances` → `instance`, `policies` → `policy`, `addresses` → `address`.
pub(super) fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = word.strip_suffix("sses") {
        format!("{stem}ss")
    } else if word.ends_with("ss") || word.ends_with("us") {
        word.to_owned()
    } else {
        word.strip_suffix('s').unwrap_or(word).to_owned()
    }
}

/// The project, folder or organisation a log name belongs to:
/// `projects/p/logs/cloudaudit.googleapis.com%2Factivity` → (`project`, `p`).
pub(super) fn log_parent(log_name: &str) -> Option<(&'static str, &str)> {
    let mut parts = log_name.split('/');
    let kind = match parts.next()? {
        "projects" => "project",
        "organizations" => "organization",
        "folders" => "folder",
        "billingAccounts" => "billing_account",
        _ => return None,
    };
    let id = parts.next().filter(|id| !id.is_empty())?;
    Some((kind, id))
}

/// The audit log a log name is (`activity`, `data_access`, `system_event`, `policy`), from
/// `.../logs/cloudaudit.googleapis.com%2Factivity` (or with the `/` unescaped).
pub(super) fn audit_log_type(log_name: &str) -> Option<&str> {
    let (_, log) = log_name.split_once("/logs/")?;
    let log = log
        .strip_prefix("cloudaudit.googleapis.com%2F")
        .or_else(|| log.strip_prefix("cloudaudit.googleapis.com%2f"))
        .or_else(|| log.strip_prefix("cloudaudit.googleapis.com/"))?;
    (!log.is_empty()).then_some(log)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn r(kind: &str, id: &str, name: &str) -> Resource {
        Resource {
            kind: kind.into(),
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn members_keep_their_text_as_id_and_get_a_kind_from_the_prefix() {
        let cases = [
            ("user:alice@example.com", "user", "alice@example.com"),
            (
                "serviceAccount:x@p.iam.gserviceaccount.com",
                "service_account",
                "x@p.iam.gserviceaccount.com",
            ),
            ("group:admins@example.com", "group", "admins@example.com"),
            ("domain:example.com", "domain", "example.com"),
            ("allUsers", "public", "allUsers"),
            ("allAuthenticatedUsers", "public", "allAuthenticatedUsers"),
            ("projectOwner:p", "project_role", "projectOwner:p"),
            (
                "deleted:user:bob@example.com?uid=123",
                "user",
                "bob@example.com (deleted)",
            ),
            ("cat@example.com", "unknown", "cat@example.com"),
        ];
        for (member, kind, name) in cases {
            let p = principal(member);
            assert_eq!(
                (p.kind.as_str(), p.id.as_str(), p.name.as_str()),
                (kind, format!("gcp:{member}").as_str(), name),
                "{member}"
            );
        }
        let federated =
            principal("principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s");
        assert_eq!(federated.kind, "federated_identity");
    }

    #[test]
    fn log_and_inventory_names_of_one_thing_give_one_id() {
        let bucket = r(
            "bucket",
            "gcp://storage.googleapis.com/jacks-test-bucket",
            "jacks-test-bucket",
        );
        assert_eq!(
            resource(
                Some("storage.googleapis.com"),
                "projects/_/buckets/jacks-test-bucket",
                None
            ),
            bucket
        );
        assert_eq!(
            resource(None, "//storage.googleapis.com/jacks-test-bucket", None),
            bucket
        );
        assert_eq!(
            resource(
                Some("cloudresourcemanager.googleapis.com"),
                "projects/p",
                None
            ),
            r("project", "gcp:project:p", "p")
        );
        assert_eq!(
            resource(
                None,
                "//cloudresourcemanager.googleapis.com/organizations/42",
                None
            ),
            r("organization", "gcp:organization:42", "42")
        );
        assert_eq!(
            resource(
                Some("iam.googleapis.com"),
                "projects/-/serviceAccounts/1055",
                Some("p1")
            ),
            r(
                "service_account",
                "gcp://iam.googleapis.com/projects/p1/serviceAccounts/1055",
                "1055"
            )
        );
        assert_eq!(
            resource(
                Some("storage.googleapis.com"),
                "projects/_/buckets/b/objects/dir/f.txt",
                None
            ),
            r(
                "object",
                "gcp://storage.googleapis.com/b/objects/dir/f.txt",
                "dir/f.txt"
            )
        );
        assert_eq!(
            resource(
                Some("admin.googleapis.com"),
                "organizations/1/groupSettings",
                None
            ),
            r(
                "group_setting",
                "gcp://admin.googleapis.com/organizations/1/groupSettings",
                "organizations/1/groupSettings"
            )
        );
        assert_eq!(
            resource(
                Some("appengine.googleapis.com"),
                "apps/p/firewall/ingressRules/1000",
                None
            )
            .kind,
            "ingress_rule"
        );
        assert_eq!(
            resource(Some("iap.googleapis.com"), "1234", None),
            r("resource", "gcp://iap.googleapis.com/1234", "1234")
        );
    }

    #[test]
    fn words() {
        assert_eq!(snake_case("serviceAccounts"), "service_accounts");
        assert_eq!(
            snake_case("CreateServiceAccountKey"),
            "create_service_account_key"
        );
        assert_eq!(snake_case("SetIAMPolicy"), "set_iam_policy");
        assert_eq!(snake_case("ScheduledVMs"), "scheduled_vms");
        assert_eq!(singular("policies"), "policy");
        assert_eq!(singular("addresses"), "address");
        assert_eq!(singular("instances"), "instance");
        assert_eq!(singular("exec"), "exec");
    }

    #[test]
    fn log_names() {
        let name = "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access";
        assert_eq!(log_parent(name), Some(("project", "p")));
        assert_eq!(audit_log_type(name), Some("data_access"));
        assert_eq!(
            log_parent("organizations/1/logs/cloudaudit.googleapis.com%2Factivity"),
            Some(("organization", "1"))
        );
        assert_eq!(
            audit_log_type("projects/p/logs/cloudfunctions.googleapis.com%2Fcloud-functions"),
            None
        );
        assert_eq!(log_parent("nonsense"), None);
    }
}
