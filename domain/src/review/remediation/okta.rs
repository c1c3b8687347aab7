//! Okta: `okta:user:<id>`, `okta:group:<id>`, `okta:app:<id>`, in the scope `okta:org:<host>`.

use super::{json_string, path, shell_quote, word, Instructions};
use crate::grant::Grant;

/// The Okta id in `okta:<kind>:<id>`.
fn native<'a>(id: &'a str, kind: &str) -> Option<&'a str> {
    id.strip_prefix("okta:")?
        .strip_prefix(kind)?
        .strip_prefix(':')
        .and_then(word)
}

const OKTA_AUTH: &str = "-H \"Authorization: SSWS $OKTA_API_TOKEN\"";

/// Okta's role type for a role name as the System Log writes it ("Organization administrator",
/// "Application administrator (all)").
fn okta_role_type(role: &str) -> Option<&'static str> {
    let name = role
        .split(" (")
        .next()
        .unwrap_or(role)
        .trim()
        .to_ascii_lowercase();
    Some(match name.as_str() {
        "super administrator" | "super admin" => "SUPER_ADMIN",
        "organization administrator" | "org admin" => "ORG_ADMIN",
        "application administrator" | "app admin" => "APP_ADMIN",
        "user administrator" | "group administrator" => "USER_ADMIN",
        "help desk administrator" => "HELP_DESK_ADMIN",
        "read-only administrator" | "read only administrator" => "READ_ONLY_ADMIN",
        "mobile administrator" => "MOBILE_ADMIN",
        "api access management administrator" => "API_ACCESS_MANAGEMENT_ADMIN",
        "report administrator" => "REPORT_ADMIN",
        "group membership administrator" => "GROUP_MEMBERSHIP_ADMIN",
        _ => return None,
    })
}

/// How to remove `g`, when it is of a kind known here.
pub(super) fn remove(g: &Grant) -> Option<Instructions> {
    let (p, r, perm) = (&g.principal, &g.resource, g.permission.as_str());
    let host = g.scope.strip_prefix("okta:org:")?;
    // Without a host (`default`), the org's URL is the operator's to fill in.
    let unknown_host = matches!(host, "" | "default");
    let base = match unknown_host {
        true => "\"$OKTA_ORG_URL\"".to_owned(),
        false => shell_quote(&format!("https://{host}")).into_owned(),
    };
    let url = |api: &str| format!("{base}{}", shell_quote(api));
    let delete = |api: &str| format!("curl -s -X DELETE {OKTA_AUTH} {}", url(api));
    let pid = native(&p.id, &p.kind)?;
    let out = match (r.kind.as_str(), perm) {
        ("group", "member") if p.kind == "user" => {
            let api = path(
                "/api/v1/groups/{}/users/{}",
                &[native(&r.id, "group")?, pid],
            );
            let summary = format!("Remove {} from Okta group {}", p.name, r.name);
            Instructions::new(summary, None, vec![delete(&api)]).careful(
                "If a group rule or a directory (AD, LDAP, an HR import) manages this group's \
                 members, change it there: Okta refuses or undoes a direct removal.",
            )
        }
        ("app", "assigned") if p.kind == "user" => {
            let api = path("/api/v1/apps/{}/users/{}", &[native(&r.id, "app")?, pid]);
            let summary = format!("Unassign {} from Okta app {}", p.name, r.name);
            Instructions::new(summary, None, vec![delete(&api)]).careful(format!(
                "If {} is assigned through a group, that stays: remove them from the group.",
                p.name
            ))
        }
        ("org", role) if matches!(p.kind.as_str(), "user" | "group") => {
            let roles = path(&format!("/api/v1/{}s/{{}}/roles", p.kind), &[pid]);
            let list = format!("curl -s {OKTA_AUTH} {}", url(&roles));
            let summary = format!("Take Okta admin role {role} from {}", p.name);
            let filter = match (okta_role_type(role), role) {
                (Some(kind), _) => format!(".[] | select(.type == \"{kind}\") | .id"),
                // The log said an admin role changed without naming it.
                (None, "admin") => {
                    return Some(Instructions::new(summary, None, vec![list]).careful(
                        "The log did not name the role: pick its id from the list, then send \
                         DELETE to the same URL followed by `/<id>`.",
                    ))
                }
                (None, _) => format!(".[] | select(.label == {}) | .id", json_string(role)),
            };
            let commands = vec![
                format!("role_id=$({list} | jq -r {})", shell_quote(&filter)),
                delete(&format!("{roles}/")) + "\"$role_id\"",
            ];
            Instructions::new(summary, None, commands)
                .careful("Check that `echo \"$role_id\"` shows one id before the second command.")
        }
        _ => return None,
    };
    Some(match unknown_host {
        true => {
            out.careful("Attest does not know the org's host: set OKTA_ORG_URL and OKTA_API_TOKEN.")
        }
        false => out.careful("Set OKTA_API_TOKEN to an admin's API token first."),
    })
}
