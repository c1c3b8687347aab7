//! Repository settings and the ways in: repositories created, deleted, made public; deploy
//! keys; branch protection; GitHub App installations; webhooks themselves.

use super::json::{count, first_time, flag, id, number, pick, text};
use super::{repo_target, target, Delivery, Draft};
use crate::model::Target;
use serde_json::Value;

/// An installation on hundreds of repositories would make hundreds of targets; past this many
/// the count stays in the details and the list is cut.
const MAX_REPOSITORY_TARGETS: usize = 100;

/// `repository`: created, deleted, renamed, transferred, made public or private, archived.
pub(super) fn repository(d: &Delivery<'_>) -> Draft {
    repository_change(d, d.action_or("edited"))
}

/// A change to a repository; `action` is the payload's, or what an older event kind means.
pub(super) fn repository_change(d: &Delivery<'_>, action: &str) -> Draft {
    let repo = d.repo_name();
    let who = d.who();
    let (verb, summary) = match action {
        "publicized" => ("visibility.publicized", format!("{who} made {repo} public")),
        "privatized" => (
            "visibility.privatized",
            format!("{who} made {repo} private"),
        ),
        "renamed" => {
            let old = text(d.body, "/changes/repository/name/from").unwrap_or("its old name");
            (
                "renamed",
                format!("{who} renamed repository {old} to {repo}"),
            )
        }
        "transferred" => {
            let from = text(d.body, "/changes/owner/from/user/login")
                .or_else(|| text(d.body, "/changes/owner/from/organization/login"));
            let from = from.map(|f| format!(" from {f}")).unwrap_or_default();
            ("transferred", format!("{who} transferred {repo}{from}"))
        }
        "edited" => (
            "edited",
            format!("{who} edited repository {repo}{}", d.changed_fields()),
        ),
        other => (
            other,
            format!("{who} {} repository {repo}", other.replace('_', " ")),
        ),
    };
    // A deletion has no timestamp of its own; `updated_at` would be the last change before it.
    let at = match action {
        "created" => first_time(d.body, &["/repository/created_at"]),
        "deleted" => None,
        _ => first_time(d.body, &["/repository/updated_at"]),
    };
    let extras = pick(
        d.body.get("repository").unwrap_or(&Value::Null),
        &["private", "visibility", "archived", "fork"],
    );
    Draft::new(format!("repo.{verb}"), summary)
        .target(d.repo())
        .at(at)
        .details(extras)
        .detail("changes", d.changes())
}

/// `deploy_key`: an SSH key with access to one repository was added or removed.
pub(super) fn deploy_key(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("created");
    let title = text(d.body, "/key/title").unwrap_or("untitled");
    let key = target("deploy_key", id(d.body, "/key/id"), title);
    let access = if flag(d.body, "/key/read_only") {
        "read-only"
    } else {
        "read-write"
    };
    let repo = d.repo_name();
    let summary = match action {
        "created" => format!(
            "{} added {access} deploy key \"{title}\" to {repo}",
            d.who()
        ),
        "deleted" => format!("{} removed deploy key \"{title}\" from {repo}", d.who()),
        other => format!("{} {other} deploy key \"{title}\" on {repo}", d.who()),
    };
    let at = match action {
        "created" => first_time(d.body, &["/key/created_at"]),
        _ => None,
    };
    // The public key itself is long and says nothing to a reader; its title and access do.
    let extras = pick(
        d.body.get("key").unwrap_or(&Value::Null),
        &["title", "read_only", "verified", "created_at"],
    );
    Draft::new(format!("repo.deploy_key.{action}"), summary)
        .target(Some(key))
        .target(d.repo())
        .at(at)
        .details(extras)
}

/// `branch_protection_rule`: the rules that guard a branch pattern.
pub(super) fn branch_protection(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("edited");
    let pattern = text(d.body, "/rule/name").unwrap_or("a branch");
    let rule = target("branch_protection_rule", id(d.body, "/rule/id"), pattern);
    let repo = d.repo_name();
    let changed = d
        .changes()
        .and_then(|c| c.as_object().map(|m| m.len()))
        .map(|n| format!(" ({})", count(n, "setting", "settings")))
        .unwrap_or_default();
    let summary = match action {
        "created" => format!("{} protected branch {pattern} in {repo}", d.who()),
        "deleted" => format!(
            "{} removed the protection of branch {pattern} in {repo}",
            d.who()
        ),
        "edited" => format!(
            "{} changed the protection of branch {pattern} in {repo}{changed}",
            d.who()
        ),
        other => format!(
            "{} {other} protection of branch {pattern} in {repo}",
            d.who()
        ),
    };
    let at = match action {
        "created" => first_time(d.body, &["/rule/created_at"]),
        "edited" => first_time(d.body, &["/rule/updated_at"]),
        _ => None,
    };
    let settings = pick(
        d.body.get("rule").unwrap_or(&Value::Null),
        &[
            "admin_enforced",
            "required_approving_review_count",
            "require_code_owner_review",
            "dismiss_stale_reviews_on_push",
            "required_status_checks",
            "allow_force_pushes_enforcement_level",
            "allow_deletions_enforcement_level",
            "signature_requirement_enforcement_level",
            "linear_history_requirement_enforcement_level",
            "authorized_actor_names",
        ],
    );
    Draft::new(format!("repo.branch_protection.{action}"), summary)
        .target(Some(rule))
        .target(d.repo())
        .at(at)
        .detail("rule", settings)
        .detail("changes", d.changes())
}

/// The app an installation belongs to, named as a person would recognise it.
fn app_name(body: &Value) -> String {
    match (
        text(body, "/installation/app_slug"),
        id(body, "/installation/app_id"),
    ) {
        (Some(slug), _) => slug.to_owned(),
        (None, Some(app_id)) => format!("app {app_id}"),
        (None, None) => "an app".to_owned(),
    }
}

fn installation_target(body: &Value) -> Target {
    target(
        "app_installation",
        id(body, "/installation/id"),
        app_name(body),
    )
}

fn repositories(list: Option<&Value>) -> Vec<Target> {
    list.and_then(Value::as_array)
        .map(|repos| repos.iter().filter_map(repo_target).collect())
        .unwrap_or_default()
}

/// `installation`: a GitHub App was installed, removed, suspended or given new permissions.
pub(super) fn installation(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("created");
    let app = app_name(d.body);
    let account = text(d.body, "/installation/account/login").unwrap_or("an account");
    let repos = repositories(d.body.get("repositories"));
    let reach = match text(d.body, "/installation/repository_selection") {
        Some("all") => " (all repositories)".to_owned(),
        _ if !repos.is_empty() => {
            format!(" ({})", count(repos.len(), "repository", "repositories"))
        }
        _ => String::new(),
    };
    let who = d.who();
    let summary = match action {
        "created" => format!("{who} installed {app} on {account}{reach}"),
        "deleted" => format!("{who} uninstalled {app} from {account}"),
        "suspend" => format!("{who} suspended {app} on {account}"),
        "unsuspend" => format!("{who} unsuspended {app} on {account}"),
        "new_permissions_accepted" => {
            format!("{who} accepted new permissions for {app} on {account}")
        }
        other => format!("{who} {} {app} on {account}", other.replace('_', " ")),
    };
    let at = match action {
        "created" => first_time(d.body, &["/installation/created_at"]),
        "suspend" => first_time(d.body, &["/installation/suspended_at"]),
        "new_permissions_accepted" => first_time(d.body, &["/installation/updated_at"]),
        _ => None,
    };
    let mut extras = pick(
        d.body.get("installation").unwrap_or(&Value::Null),
        &[
            "app_id",
            "app_slug",
            "repository_selection",
            "permissions",
            "events",
            "target_type",
        ],
    );
    extras.insert("repository_count".into(), repos.len().into());
    Draft::new(format!("app.installation.{action}"), summary)
        .target(Some(installation_target(d.body)))
        .targets(repos.into_iter().take(MAX_REPOSITORY_TARGETS))
        .at(at)
        .details(extras)
        .detail("requester", text(d.body, "/requester/login"))
}

/// `installation_repositories`: repositories added to or removed from an installation. One
/// event per repository, so each repository's history shows when an app gained access to it.
pub(super) fn installation_repositories(d: &Delivery<'_>) -> Vec<Draft> {
    let app = app_name(d.body);
    let account = text(d.body, "/installation/account/login").unwrap_or("an account");
    let requester = text(d.body, "/requester/login");
    let selection = text(d.body, "/repository_selection");
    let added = repositories(d.body.get("repositories_added"));
    let removed = repositories(d.body.get("repositories_removed"));
    let who = d.who();
    let changes = added
        .into_iter()
        .map(|repo| ("added", repo))
        .chain(removed.into_iter().map(|repo| ("removed", repo)));
    let mut drafts: Vec<Draft> = changes
        .map(|(verb, repo)| {
            let summary = match verb {
                "added" => format!("{who} gave {app} on {account} access to {}", repo.name),
                _ => format!("{who} removed {app}'s access to {}", repo.name),
            };
            Draft::new(format!("app.installation.repo.{verb}"), summary)
                .target(Some(repo))
                .target(Some(installation_target(d.body)))
                .detail("repository_selection", selection)
                .detail("requester", requester)
        })
        .collect();
    if drafts.is_empty() {
        // Switching to "all repositories" can arrive with both lists empty.
        let action = d.action_or("changed");
        let summary = format!("{who} changed the repositories {app} can access on {account}");
        drafts.push(
            Draft::new(format!("app.installation.repo.{action}"), summary)
                .target(Some(installation_target(d.body)))
                .detail("repository_selection", selection),
        );
    }
    drafts
}

/// `github_app_authorization`: someone revoked an app's right to act on their behalf.
pub(super) fn app_authorization(d: &Delivery<'_>) -> Draft {
    let action = d.action_or("revoked");
    let summary = format!("{} {action} their authorization of a GitHub App", d.who());
    Draft::new(format!("app.authorization.{action}"), summary)
}

/// `ping` (sent when a webhook is set up) and `meta` (the webhook was deleted).
pub(super) fn webhook(d: &Delivery<'_>) -> Draft {
    let hook_id = id(d.body, "/hook_id").or_else(|| id(d.body, "/hook/id"));
    let hook_name = hook_id.clone().unwrap_or_else(|| "webhook".into());
    let hook = target("webhook", hook_id, hook_name.clone());
    let on = match (text(d.body, "/repository/full_name"), d.org_login()) {
        (Some(repo), _) => format!(" on {repo}"),
        (None, Some(org)) => format!(" on org {org}"),
        (None, None) => String::new(),
    };
    let (action, summary) = match (d.kind.as_str(), d.action) {
        ("ping", _) => (
            "webhook.ping".to_owned(),
            format!("Ping for webhook {hook_name}{on}, set up by {}", d.who()),
        ),
        (_, Some(action)) => (
            format!("webhook.{action}"),
            format!("{} {action} webhook {hook_name}{on}", d.who()),
        ),
        (kind, None) => (
            kind.to_owned(),
            format!("{}: {kind} for webhook {hook_name}{on}", d.who()),
        ),
    };
    // Never the hook's `config`: it may hold the URL's credentials and the (masked) secret.
    let extras = pick(
        d.body.get("hook").unwrap_or(&Value::Null),
        &["type", "active", "events", "app_id"],
    );
    Draft::new(action, summary)
        .target(Some(hook))
        .target(d.repo())
        .details(extras)
        .detail("zen", text(d.body, "/zen"))
        .detail("hook_id", number(d.body, "/hook_id"))
}
