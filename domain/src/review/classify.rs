//! What a grant is, as campaigns and the lockout guard see it: its source, whether it is
//! privileged, whether its holder is a person or something non-human, and resource patterns.

use crate::grant::Grant;
use crate::model::Source;

/// The source a grant comes from, by its ids' prefix (`github:user:1` → GitHub).
pub fn source_of(grant: &Grant) -> Option<Source> {
    [&grant.scope, &grant.resource.id, &grant.principal.id]
        .into_iter()
        .find_map(|id| id.split_once(':')?.0.parse().ok())
}

/// Permissions that let their holder change who has access or administer everything, compared
/// without case: what `privileged_only` campaigns and the lockout guard look at.
const PRIVILEGED: &[&str] = &[
    "admin",
    "owner",
    "maintain",
    "maintainer",
    "roles/owner",
    "roles/editor",
    "roles/resourcemanager.projectiamadmin",
    "roles/resourcemanager.organizationadmin",
    "roles/iam.securityadmin",
    "user access administrator",
    "contributor",
    "global administrator",
    "privileged role administrator",
    "super_admin",
    "org_admin",
];

/// Policy names (the end of an ARN) that make an AWS principal an administrator.
const PRIVILEGED_POLICIES: &[&str] = &["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"];

/// Whether `grant` is privileged: an admin or owner level permission (see [`PRIVILEGED`]) or
/// an administrator policy.
pub fn is_privileged(grant: &Grant) -> bool {
    is_privileged_permission(&grant.permission)
}

/// Whether a permission, as its source writes it, is privileged.
pub fn is_privileged_permission(permission: &str) -> bool {
    let lower = permission.trim().to_lowercase();
    PRIVILEGED.contains(&lower.as_str())
        || PRIVILEGED_POLICIES
            .iter()
            .any(|policy| permission.rsplit(['/', ':']).next() == Some(policy))
}

/// Whether the holder is a human's user account (not a bot's).
pub fn is_person(grant: &Grant) -> bool {
    grant.principal.kind == "user" && !is_bot_name(&grant.principal.name)
}

/// Whether the holder is a machine: a service account, role, key, app or bot.
pub fn is_non_human(grant: &Grant) -> bool {
    matches!(
        grant.principal.kind.as_str(),
        "service_account" | "role" | "access_key" | "deploy_key" | "app" | "bot"
    ) || (grant.principal.kind == "user" && is_bot_name(&grant.principal.name))
}

/// Names machines are given by convention: GitHub's `[bot]` logins, `-bot` accounts and
/// `svc-`/`sa-` service users.
fn is_bot_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.ends_with("[bot]")
        || lower.ends_with("-bot")
        || ["svc-", "svc_", "sa-", "service-"]
            .iter()
            .any(|prefix| lower.starts_with(prefix))
}

/// The source whose audit events show a grant's use: AWS IAM grants are used in CloudTrail;
/// every other source logs its own.
pub fn audit_source(grant_source: Source) -> Source {
    match grant_source {
        Source::Aws => Source::Cloudtrail,
        other => other,
    }
}

/// Whether the glob `pattern` (`*` any run of characters, `?` one) matches `text`, without
/// case. Iterative with one backtrack point, so hostile patterns stay linear-ish.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}
