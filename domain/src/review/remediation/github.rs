//! GitHub: grants name things by numeric id and carry logins, `org/slug` team names and
//! `owner/name` repository names, which are what the REST API's paths take.

use super::{line, path, word, Instructions};
use crate::grant::Grant;

fn gh(method: &str, api_path: &str, fields: &str) -> String {
    format!("{} {fields}", line("gh api -X {} {}", &[method, api_path]))
        .trim_end()
        .to_owned()
}

/// A team's org and slug from its `org/slug` name, or from the scope's org for a bare slug.
fn team<'a>(name: &'a str, org: Option<&'a str>) -> Option<(&'a str, &'a str)> {
    match name.split_once('/') {
        Some((org, slug)) => Some((word(org)?, word(slug)?)),
        None => Some((word(org?)?, word(name)?)),
    }
}

fn repo(name: &str) -> Option<(&str, &str)> {
    let (owner, repo) = name.split_once('/')?;
    Some((word(owner)?, word(repo)?))
}

/// How to remove `g`, when it is of a kind known here.
pub(super) fn remove(g: &Grant) -> Option<Instructions> {
    let (p, r, perm) = (&g.principal, &g.resource, g.permission.as_str());
    let org_scope = g.scope.strip_prefix("github:org:");
    let login = word(&p.name);
    let access = |o: &str, n: &str| Some(path("github.com/{}/{}/settings/access", &[o, n]));
    let out = match (p.kind.as_str(), r.kind.as_str()) {
        ("user", "org") if perm == "outside_collaborator" => {
            let (org, login) = (word(&r.name)?, login?);
            let api = path("/orgs/{}/outside_collaborators/{}", &[org, login]);
            let page = path("github.com/orgs/{}/outside-collaborators", &[org]);
            let summary =
                format!("Remove outside collaborator {login} from every repository of {org}");
            Instructions::new(summary, Some(page), vec![gh("DELETE", &api, "")]).careful(format!(
                "This ends all of {login}'s access in {org}; for one repository, remove them as \
                 its collaborator instead."
            ))
        }
        ("user", "org") if matches!(perm, "member" | "admin") => {
            let (org, login) = (word(&r.name)?, login?);
            let api = path("/orgs/{}/memberships/{}", &[org, login]);
            let role = if perm == "admin" { " (owner)" } else { "" };
            let summary = format!("Remove {login} from organization {org}{role}");
            let page = path("github.com/orgs/{}/people", &[org]);
            let out = Instructions::new(summary, Some(page), vec![gh("DELETE", &api, "")]).careful(
                format!("Leaving {org} also ends {login}'s team memberships there."),
            );
            match perm {
                "admin" => out.careful(format!(
                    "{org} must keep an owner. To keep {login} as a member instead: {}",
                    gh("PUT", &api, "-f role=member")
                )),
                _ => out,
            }
        }
        ("user", "team") => {
            let ((org, slug), login) = (team(&r.name, org_scope)?, login?);
            let api = path("/orgs/{}/teams/{}/memberships/{}", &[org, slug, login]);
            let page = path("github.com/orgs/{}/teams/{}/members", &[org, slug]);
            let summary = format!("Remove {login} from team {slug} in {org}");
            let out = Instructions::new(summary, Some(page), vec![gh("DELETE", &api, "")]).careful(
                format!("If {login} is also in a child team of {slug}, they keep {slug}'s access."),
            );
            match perm {
                "maintainer" => out.careful(format!(
                    "To keep {login} in {slug} as a member instead: {}",
                    gh("PUT", &api, "-f role=member")
                )),
                _ => out,
            }
        }
        ("team", "team") if perm == "child_of" => {
            let (org, child) = team(&p.name, org_scope)?;
            let (_, parent) = team(&r.name, org_scope)?;
            let api = path("/orgs/{}/teams/{}", &[org, child]);
            let page = path("github.com/orgs/{}/teams/{}", &[org, child]);
            let summary = format!("Take team {child} out from under team {parent} in {org}");
            let command = gh("PATCH", &api, "-F parent_team_id=null");
            Instructions::new(summary, Some(page), vec![command]).careful(format!(
                "Members of {child} lose what they held through {parent}; {child}'s own access stays."
            ))
        }
        ("team", "repository") => {
            let ((org, slug), (owner, name)) = (team(&p.name, org_scope)?, repo(&r.name)?);
            let api = path("/orgs/{}/teams/{}/repos/{}/{}", &[org, slug, owner, name]);
            let summary = format!("Remove team {slug}'s {perm} access to {owner}/{name}");
            Instructions::new(summary, access(owner, name), vec![gh("DELETE", &api, "")]).careful(
                format!("Every member of {slug} and of its child teams loses it."),
            )
        }
        ("user", "repository") => {
            let ((owner, name), login) = (repo(&r.name)?, login?);
            let api = path("/repos/{}/{}/collaborators/{}", &[owner, name, login]);
            let summary = format!("Remove {login} as a collaborator ({perm}) of {owner}/{name}");
            Instructions::new(summary, access(owner, name), vec![gh("DELETE", &api, "")]).careful(
                format!(
                "Only {login}'s direct access ends: a team's or {owner}'s base permission stays."
            ),
            )
        }
        ("deploy_key", "repository") => {
            let key = p.id.strip_prefix("github:deploy_key:").and_then(word)?;
            let (owner, name) = repo(&r.name)?;
            let api = path("/repos/{}/{}/keys/{}", &[owner, name, key]);
            let page = path("github.com/{}/{}/settings/keys", &[owner, name]);
            let summary = format!("Delete deploy key {} ({perm}) of {owner}/{name}", p.name);
            Instructions::new(summary, Some(page), vec![gh("DELETE", &api, "")])
                .careful("Whatever uses this key (a CI job, a server) loses access.")
        }
        ("org", "repository") => {
            let org = word(&p.name)?;
            let page = path(
                "github.com/organizations/{}/settings/member_privileges",
                &[org],
            );
            let command = gh(
                "PATCH",
                &path("/orgs/{}", &[org]),
                "-f default_repository_permission=none",
            );
            let summary = format!("Lower {org}'s base repository permission ({perm}) to none");
            Instructions::new(summary, Some(page), vec![command]).careful(format!(
                "The base permission is every member's on every repository of {org}, not only \
                 {}: give those who need access their own first.",
                r.name
            ))
        }
        ("app", kind) => {
            let owner = if kind == "repository" {
                repo(&r.name)?.0
            } else {
                word(&r.name)?
            };
            let summary = match kind {
                "repository" => {
                    format!("Remove {} from the installation of app {}", r.name, p.name)
                }
                _ => format!("Uninstall app {} from {owner}", p.name),
            };
            let page = match org_scope {
                Some(_) => path(
                    "github.com/organizations/{}/settings/installations",
                    &[owner],
                ),
                None => "github.com/settings/installations".to_owned(),
            };
            Instructions::new(summary, Some(page), Vec::new()).careful(
                "GitHub's API needs the installation's id, which the grant does not carry: use \
                 the installations page (the app → Configure).",
            )
        }
        ("user", "enterprise") => {
            let (enterprise, login) = (word(&r.name)?, login?);
            let page = path("github.com/enterprises/{}/people", &[enterprise]);
            let summary = format!("Remove {login} as an owner of enterprise {enterprise}");
            Instructions::new(summary, Some(page), Vec::new())
                .careful(format!("{enterprise} must keep an owner."))
        }
        _ => return None,
    };
    Some(out)
}
