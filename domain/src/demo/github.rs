//! GitHub webhook building blocks for the demo: the user, organisation, repository, team and
//! pull request objects every payload nests, in the shape GitHub sends them.

use super::ids::{node_id, rfc3339, uuid};
use super::org::DemoOrg;
use super::world::{Actor, OpenPr, World};
use super::DemoDelivery;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use serde_json::{json, Value};

const API: &str = "https://api.github.com";
const WEB: &str = "https://github.com";

/// Wraps a payload as a delivery with a fresh delivery id.
pub(super) fn delivery(
    rng: &mut StdRng,
    event: &str,
    at: DateTime<Utc>,
    body: &Value,
) -> DemoDelivery {
    DemoDelivery::Github {
        event: event.to_owned(),
        delivery_id: uuid(rng),
        at,
        body: serde_json::to_vec(body).unwrap_or_default(),
    }
}

/// A user, bot or organisation as payloads nest them (`sender`, `owner`, `user`...).
pub(super) fn account(login: &str, id: u64, kind: &str) -> Value {
    let (node_kind, html_url) = match kind {
        "Bot" => (
            "Bot",
            format!("{WEB}/apps/{}", login.trim_end_matches("[bot]")),
        ),
        "Organization" => ("Organization", format!("{WEB}/{login}")),
        _ => ("User", format!("{WEB}/{login}")),
    };
    let api_login = login.replace('[', "%5B").replace(']', "%5D");
    json!({
        "login": login,
        "id": id,
        "node_id": node_id(node_kind, id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": format!("{API}/users/{api_login}"),
        "html_url": html_url,
        "type": kind,
        "site_admin": false,
    })
}

/// Adds already-built objects to a payload by moving them in. `json!` would copy them field
/// by field through the serializer, which made nested repositories and users most of the
/// cost of a delivery in unoptimised builds.
pub(super) fn with<const N: usize>(mut object: Value, fields: [(&str, Value); N]) -> Value {
    if let Some(map) = object.as_object_mut() {
        for (key, value) in fields {
            map.insert(key.to_owned(), value);
        }
    }
    object
}

pub(super) fn user(world: &World, actor: Actor) -> Value {
    let cached = match actor {
        Actor::Person(p) => world.users.get(p),
        Actor::Bot(b) => world.bot_users.get(b),
    };
    cached
        .cloned()
        .unwrap_or_else(|| account("ghost", 10_137, "User"))
}

pub(super) fn organization(world: &World) -> Value {
    world.organization.clone()
}

pub(super) fn organization_object(org: &DemoOrg) -> Value {
    let login = &org.org;
    json!({
        "login": login,
        "id": org.org_id,
        "node_id": node_id("Organization", org.org_id),
        "url": format!("{API}/orgs/{login}"),
        "repos_url": format!("{API}/orgs/{login}/repos"),
        "events_url": format!("{API}/orgs/{login}/events"),
        "hooks_url": format!("{API}/orgs/{login}/hooks"),
        "issues_url": format!("{API}/orgs/{login}/issues"),
        "members_url": format!("{API}/orgs/{login}/members{{/member}}"),
        "public_members_url": format!("{API}/orgs/{login}/public_members{{/member}}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", org.org_id),
        "description": org.name,
    })
}

/// The organisation as a repository owner or installation account.
pub(super) fn org_account(world: &World) -> Value {
    world.org_account.clone()
}

/// A repository object. Push payloads write `created_at` and `pushed_at` as Unix seconds
/// and repeat the owner's name and e-mail; every other event uses RFC 3339 strings.
pub(super) fn repository(world: &World, index: usize, at: DateTime<Utc>, push: bool) -> Value {
    let Some(state) = world.repos.get(index) else {
        return Value::Null;
    };
    let mut value = state
        .json
        .get_or_init(|| repository_object(world, index))
        .clone();
    let Some(fields) = value.as_object_mut() else {
        return value;
    };
    let mut set = |key: &str, field: Value| {
        fields.insert(key.to_owned(), field);
    };
    if push {
        let mut owner = org_account(world);
        if let Some(owner) = owner.as_object_mut() {
            owner.insert("name".to_owned(), Value::from(world.org.org.as_str()));
            owner.insert("email".to_owned(), Value::Null);
        }
        set("owner", owner);
        set("created_at", Value::from(state.created_at.timestamp()));
        set("updated_at", Value::from(rfc3339(at)));
        set("pushed_at", Value::from(at.timestamp()));
        set("organization", Value::from(world.org.org.as_str()));
        let stars = fields
            .get("stargazers_count")
            .cloned()
            .unwrap_or(Value::Null);
        let branch = fields.get("default_branch").cloned().unwrap_or(Value::Null);
        fields.insert("stargazers".to_owned(), stars);
        fields.insert("master_branch".to_owned(), branch);
    } else {
        let pushed = Value::from(rfc3339(state.pushed_at));
        set("updated_at", pushed.clone());
        set("pushed_at", pushed);
    }
    value
}

fn repository_object(world: &World, index: usize) -> Value {
    let (Some(repo), Some(state)) = (world.org.repos.get(index), world.repos.get(index)) else {
        return Value::Null;
    };
    let full_name = format!("{}/{}", world.org.org, repo.name);
    let stars = if repo.private { 0 } else { repo.id % 300 };
    with(
        json!({
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": full_name,
            "private": repo.private,
            "html_url": format!("{WEB}/{full_name}"),
            "description": repo.description,
            "fork": false,
            "url": format!("{API}/repos/{full_name}"),
            "hooks_url": format!("{API}/repos/{full_name}/hooks"),
            "pulls_url": format!("{API}/repos/{full_name}/pulls{{/number}}"),
            "deployments_url": format!("{API}/repos/{full_name}/deployments"),
            "created_at": rfc3339(state.created_at),
            "git_url": format!("git://github.com/{full_name}.git"),
            "ssh_url": format!("git@github.com:{full_name}.git"),
            "clone_url": format!("{WEB}/{full_name}.git"),
            "svn_url": format!("{WEB}/{full_name}"),
            "homepage": null,
            "size": (repo.id % 90_000) + 120,
            "stargazers_count": stars,
            "watchers_count": stars,
            "language": repo.language,
            "has_issues": true,
            "has_projects": false,
            "has_downloads": true,
            "has_wiki": false,
            "has_pages": false,
            "has_discussions": false,
            "forks_count": 0,
            "mirror_url": null,
            "archived": false,
            "disabled": false,
            "open_issues_count": repo.id % 23,
            "license": null,
            "allow_forking": !repo.private,
            "is_template": false,
            "web_commit_signoff_required": false,
            "topics": [],
            "visibility": if repo.private { "private" } else { "public" },
            "forks": 0,
            "open_issues": repo.id % 23,
            "watchers": stars,
            "default_branch": repo.default_branch,
            "custom_properties": {},
        }),
        [("owner", org_account(world))],
    )
}

/// The short repository form that workflow runs nest.
pub(super) fn repository_short(world: &World, index: usize) -> Value {
    let Some(repo) = world.org.repos.get(index) else {
        return Value::Null;
    };
    let full_name = format!("{}/{}", world.org.org, repo.name);
    with(
        json!({
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": full_name,
            "private": repo.private,
            "html_url": format!("{WEB}/{full_name}"),
            "description": repo.description,
            "fork": false,
            "url": format!("{API}/repos/{full_name}"),
        }),
        [("owner", org_account(world))],
    )
}

pub(super) fn team(world: &World, index: usize) -> Value {
    let Some(team) = world.org.teams.get(index) else {
        return Value::Null;
    };
    let mut value = team_fields(world, index);
    value["parent"] = team
        .parent
        .as_ref()
        .and_then(|slug| world.org.teams.iter().position(|t| &t.slug == slug))
        .map_or(Value::Null, |parent| team_fields(world, parent));
    value
}

fn team_fields(world: &World, index: usize) -> Value {
    let Some(team) = world.org.teams.get(index) else {
        return Value::Null;
    };
    let base = format!("{API}/organizations/{}/team/{}", world.org.org_id, team.id);
    json!({
        "name": team.name,
        "id": team.id,
        "node_id": node_id("Team", team.id),
        "slug": team.slug,
        "description": team.description,
        "privacy": team.privacy,
        "notification_setting": "notifications_enabled",
        "url": base,
        "html_url": format!("{WEB}/orgs/{}/teams/{}", world.org.org, team.slug),
        "members_url": format!("{base}/members{{/member}}"),
        "repositories_url": format!("{base}/repos"),
        "permission": "pull",
    })
}

/// How the actor relates to the repository, as `author_association` says it.
pub(super) fn association(world: &World, actor: Actor) -> &'static str {
    match actor {
        Actor::Person(p) if world.active.get(p).copied().unwrap_or(false) => "MEMBER",
        Actor::Person(_) => "COLLABORATOR",
        Actor::Bot(_) => "CONTRIBUTOR",
    }
}

/// What happened to a pull request when the payload is sent.
pub(super) enum PrState<'a> {
    Open,
    Closed,
    Merged { by: Actor, sha: &'a str },
}

/// A pull request object. `full` adds the merge and size fields that only `pull_request`
/// events carry (reviews nest the shorter form).
pub(super) fn pull_request(
    world: &World,
    pr: &OpenPr,
    at: DateTime<Utc>,
    state: PrState,
    full: bool,
) -> Value {
    let Some(repo) = world.org.repos.get(pr.repo) else {
        return Value::Null;
    };
    let full_name = format!("{}/{}", world.org.org, repo.name);
    let api = format!("{API}/repos/{full_name}");
    let html = format!("{WEB}/{full_name}/pull/{}", pr.number);
    let closed = !matches!(state, PrState::Open);
    let repo_json = repository(world, pr.repo, at, false);
    let org_json = org_account(world);
    let reviewers: Vec<Value> = pr
        .reviewers
        .iter()
        .map(|r| user(world, Actor::Person(*r)))
        .collect();
    let mut value = with(
        with(
            json!({
                "url": format!("{api}/pulls/{}", pr.number),
                "id": pr.id,
                "node_id": node_id("PullRequest", pr.id),
                "html_url": html,
                "diff_url": format!("{html}.diff"),
                "patch_url": format!("{html}.patch"),
                "issue_url": format!("{api}/issues/{}", pr.number),
                "number": pr.number,
                "state": if closed { "closed" } else { "open" },
                "locked": false,
                "title": pr.title,
                "body": pr.body,
                "created_at": rfc3339(pr.opened_at),
                "updated_at": rfc3339(at),
                "closed_at": if closed { json!(rfc3339(at)) } else { Value::Null },
                "merged_at": if let PrState::Merged { .. } = state { json!(rfc3339(at)) } else { Value::Null },
                "merge_commit_sha": if let PrState::Merged { sha, .. } = state { json!(sha) } else { Value::Null },
                "assignee": null,
                "assignees": [],
                "requested_teams": [],
                "labels": [],
                "milestone": null,
                "draft": pr.draft,
                "commits_url": format!("{api}/pulls/{}/commits", pr.number),
                "review_comments_url": format!("{api}/pulls/{}/comments", pr.number),
                "review_comment_url": format!("{api}/pulls/comments{{/number}}"),
                "comments_url": format!("{api}/issues/{}/comments", pr.number),
                "statuses_url": format!("{api}/statuses/{}", pr.head),
                "_links": {
                    "self": { "href": format!("{api}/pulls/{}", pr.number) },
                    "html": { "href": html },
                    "issue": { "href": format!("{api}/issues/{}", pr.number) },
                    "comments": { "href": format!("{api}/issues/{}/comments", pr.number) },
                    "review_comments": { "href": format!("{api}/pulls/{}/comments", pr.number) },
                    "review_comment": { "href": format!("{api}/pulls/comments{{/number}}") },
                    "commits": { "href": format!("{api}/pulls/{}/commits", pr.number) },
                    "statuses": { "href": format!("{api}/statuses/{}", pr.head) },
                },
                "author_association": association(world, pr.author),
                "auto_merge": null,
                "active_lock_reason": null,
            }),
            [
                (
                    "head",
                    with(
                        json!({
                            "label": format!("{}:{}", world.org.org, pr.branch),
                            "ref": pr.branch,
                            "sha": pr.head,
                        }),
                        [("user", org_json.clone()), ("repo", repo_json.clone())],
                    ),
                ),
                (
                    "base",
                    with(
                        json!({
                            "label": format!("{}:{}", world.org.org, repo.default_branch),
                            "ref": repo.default_branch,
                            "sha": pr.base,
                        }),
                        [("user", org_json), ("repo", repo_json)],
                    ),
                ),
            ],
        ),
        [
            ("user", user(world, pr.author)),
            (
                "requested_reviewers",
                Value::Array(if closed { Vec::new() } else { reviewers }),
            ),
        ],
    );
    if full {
        let size = pr.id % 400;
        value["merged"] = json!(matches!(state, PrState::Merged { .. }));
        value["mergeable"] = if closed { Value::Null } else { json!(true) };
        value["rebaseable"] = if closed { Value::Null } else { json!(true) };
        value["mergeable_state"] = json!(if closed { "unknown" } else { "clean" });
        value["merged_by"] = match state {
            PrState::Merged { by, .. } => user(world, by),
            _ => Value::Null,
        };
        value["comments"] = json!(size % 5);
        value["review_comments"] = json!(size % 7);
        value["maintainer_can_modify"] = json!(false);
        value["commits"] = json!(size % 6 + 1);
        value["additions"] = json!(size * 3 + 1);
        value["deletions"] = json!(size + 2);
        value["changed_files"] = json!(size % 11 + 1);
    }
    value
}
