//! Organisation settings that change access in the demo: new teams and their repository
//! grants, new or publicised repositories, deploy keys, branch protection and app
//! installations.

use super::github::{delivery, org_account, organization, repository, team, user, with};
use super::ids::{node_id, pick, pick_str, rfc3339, sha};
use super::org::{Access, Repo, Team};
use super::roster::{NEW_REPOS, NEW_TEAMS};
use super::world::{Actor, DeployKey, FollowUp, RepoState, Rule, World};
use super::DemoDelivery;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};
use std::cell::OnceCell;

pub(super) fn team_created(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let sender = world.owner(rng)?;
    let base = NEW_TEAMS
        .get(world.new_teams % NEW_TEAMS.len().max(1))
        .copied()
        .unwrap_or("team");
    let round = world.new_teams / NEW_TEAMS.len().max(1);
    world.new_teams += 1;
    let slug = if round == 0 {
        base.to_owned()
    } else {
        format!("{base}-{}", round + 1)
    };
    let name = slug
        .split('-')
        .map(capitalise)
        .collect::<Vec<_>>()
        .join(" ");
    world.org.teams.push(Team {
        name,
        description: String::new(),
        id: rng.gen_range(10_000_000..12_000_000),
        parent: rng.gen_bool(0.6).then(|| "engineering".to_owned()),
        privacy: "closed".to_owned(),
        members: Vec::new(),
        repos: Vec::new(),
        slug,
    });
    let payload = with(
        json!({ "action": "created" }),
        [
            ("team", team(world, world.org.teams.len() - 1)),
            ("organization", organization(world)),
            ("sender", user(world, sender)),
        ],
    );
    Some(delivery(rng, "team", at, &payload))
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// A team is given access to a repository (`team_add`).
pub(super) fn team_add(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    given: Option<(usize, usize)>,
) -> Option<DemoDelivery> {
    let sender = world.owner(rng)?;
    let (team_index, repo) = match given {
        Some(pair) => pair,
        None => {
            let team_index = rng.gen_range(0..world.org.teams.len().max(1));
            let owned = world.org.teams.get(team_index)?.repos.clone();
            let others: Vec<usize> = (0..world.org.repos.len())
                .filter(|r| {
                    world
                        .org
                        .repos
                        .get(*r)
                        .is_some_and(|x| !owned.contains(&x.name))
                })
                .collect();
            (team_index, *pick(rng, &others)?)
        }
    };
    let name = world.org.repos.get(repo)?.name.clone();
    world.org.teams.get_mut(team_index)?.repos.push(name);
    let payload = with(
        json!({}),
        [
            ("team", team(world, team_index)),
            ("repository", repository(world, repo, at, false)),
            ("organization", organization(world)),
            ("sender", user(world, sender)),
        ],
    );
    Some(delivery(rng, "team_add", at, &payload))
}

pub(super) fn repository_created(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let creator = world.person(rng, |_, p| {
        p.admin || p.title.contains("Lead") || p.title.starts_with("Staff")
    })?;
    let team_slug = world
        .org
        .people
        .get(creator)?
        .team
        .clone()
        .unwrap_or_else(|| "engineering".to_owned());
    let base = NEW_REPOS
        .get(world.new_repos % NEW_REPOS.len().max(1))
        .copied()
        .unwrap_or("service");
    let round = world.new_repos / NEW_REPOS.len().max(1);
    world.new_repos += 1;
    let name = if round == 0 {
        base.to_owned()
    } else {
        format!("{base}-v{}", round + 1)
    };
    world.org.repos.push(Repo {
        name: name.clone(),
        id: rng.gen_range(800_000_000..900_000_000),
        team: team_slug.clone(),
        language: Some(pick_str(rng, &["Go", "TypeScript", "Python", "Rust"]).to_owned()),
        private: true,
        deploys: false,
        description: String::new(),
        default_branch: "main".to_owned(),
        age_days: 0,
    });
    world.repos.push(RepoState {
        created_at: at,
        pushed_at: at,
        json: OnceCell::new(),
        head: sha(rng),
        next_number: 1,
        next_run: 1,
        rule: None,
        deploy_keys: Vec::new(),
        collaborators: Vec::new(),
    });
    let repo = world.org.repos.len() - 1;
    if let Some(team_index) = world.org.teams.iter().position(|t| t.slug == team_slug) {
        world.follow_up(FollowUp::TeamAdd {
            team: team_index,
            repo,
        });
    }
    world.follow_up(FollowUp::BranchProtection { repo });
    let payload = with(
        json!({ "action": "created" }),
        [
            ("repository", repository(world, repo, at, false)),
            ("organization", organization(world)),
            ("sender", user(world, Actor::Person(creator))),
        ],
    );
    Some(delivery(rng, "repository", at, &payload))
}

/// A private repository is made public: open-sourcing, or a mistake worth noticing.
pub(super) fn repository_publicized(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let sender = world.owner(rng)?;
    let private: Vec<usize> = (0..world.org.repos.len())
        .filter(|r| world.org.repos.get(*r).is_some_and(|x| x.private))
        .collect();
    let repo = *pick(rng, &private)?;
    world.org.repos.get_mut(repo)?.private = false;
    world.repos.get_mut(repo)?.json = OnceCell::new();
    let payload = with(
        json!({ "action": "publicized" }),
        [
            ("repository", repository(world, repo, at, false)),
            ("organization", organization(world)),
            ("sender", user(world, sender)),
        ],
    );
    Some(delivery(rng, "repository", at, &payload))
}

pub(super) fn deploy_key(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    created: bool,
) -> Option<DemoDelivery> {
    let sender = world.person(rng, |_, p| p.aws >= Some(Access::Write))?;
    let (repo, key) = if created {
        let repo = world.repo_for(rng, Actor::Person(sender));
        let material: [u8; 32] = rng.gen();
        let key = DeployKey {
            id: world.next_id(rng) % 200_000_000,
            title: pick_str(
                rng,
                &[
                    "argocd",
                    "deploy@ci",
                    "backup-mirror",
                    "terraform-cloud",
                    "jenkins-legacy",
                ],
            )
            .to_owned(),
            key: format!(
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{}",
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(material)
            ),
            read_only: rng.gen_bool(0.75),
            created_at: at,
            added_by: world.login(Actor::Person(sender)).to_owned(),
        };
        world.repos.get_mut(repo)?.deploy_keys.push(key.clone());
        (repo, key)
    } else {
        let with_keys: Vec<usize> = (0..world.repos.len())
            .filter(|r| {
                world
                    .repos
                    .get(*r)
                    .is_some_and(|s| !s.deploy_keys.is_empty())
            })
            .collect();
        let repo = *pick(rng, &with_keys)?;
        let keys = &mut world.repos.get_mut(repo)?.deploy_keys;
        let index = rng.gen_range(0..keys.len().max(1));
        (repo, (index < keys.len()).then(|| keys.remove(index))?)
    };
    let name = &world.org.repos.get(repo)?.name;
    let payload = with(
        json!({
            "action": if created { "created" } else { "deleted" },
            "key": {
                "id": key.id,
                "key": key.key,
                "url": format!("https://api.github.com/repos/{}/{name}/keys/{}", world.org.org, key.id),
                "title": key.title,
                "verified": true,
                "created_at": rfc3339(key.created_at),
                "read_only": key.read_only,
                "added_by": key.added_by,
                "last_used": null,
                "enabled": true,
            },
        }),
        [
            ("repository", repository(world, repo, at, false)),
            ("organization", organization(world)),
            ("sender", user(world, Actor::Person(sender))),
        ],
    );
    Some(delivery(rng, "deploy_key", at, &payload))
}

/// Creates the default branch's protection rule, or (when `repo` is `None` and a rule
/// exists) edits one: approvals, admin enforcement or force pushes change.
pub(super) fn branch_protection(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    repo: Option<usize>,
    edit: bool,
) -> Option<DemoDelivery> {
    let sender = world.owner(rng)?;
    let candidates: Vec<usize> = (0..world.repos.len())
        .filter(|r| {
            world
                .repos
                .get(*r)
                .is_some_and(|s| s.rule.is_some() == edit)
        })
        .collect();
    let repo = repo.or_else(|| pick(rng, &candidates).copied())?;
    let id = world.next_id(rng) % 90_000_000;
    let state = world.repos.get_mut(repo)?;
    let (rule, changes) = match (&mut state.rule, edit) {
        (Some(rule), true) => {
            let changes = match rng.gen_range(0..3) {
                0 => {
                    let from = rule.approvals;
                    rule.approvals = if from == 1 { 2 } else { 1 };
                    json!({ "required_approving_review_count": { "from": from } })
                }
                1 => {
                    let from = rule.admin_enforced;
                    rule.admin_enforced = !from;
                    json!({ "admin_enforced": { "from": from } })
                }
                _ => {
                    let from = rule.force_pushes;
                    rule.force_pushes = if from == "off" { "everyone" } else { "off" };
                    json!({ "allow_force_pushes_enforcement_level": { "from": from } })
                }
            };
            (rule.clone(), Some(changes))
        }
        (None, false) => {
            let rule = Rule {
                id,
                created_at: at,
                approvals: 1,
                admin_enforced: false,
                force_pushes: "off",
            };
            state.rule = Some(rule.clone());
            (rule, None)
        }
        _ => return None,
    };
    let info = world.org.repos.get(repo)?;
    let mut payload = with(
        json!({
            "action": if edit { "edited" } else { "created" },
            "rule": {
                "id": rule.id,
                "repository_id": info.id,
                "name": info.default_branch,
                "created_at": rfc3339(rule.created_at),
                "updated_at": rfc3339(at),
                "pull_request_reviews_enforcement_level": "non_admins",
                "required_approving_review_count": rule.approvals,
                "dismiss_stale_reviews_on_push": true,
                "require_code_owner_review": false,
                "authorized_dismissal_actors_only": false,
                "ignore_approvals_from_contributors": false,
                "require_last_push_approval": false,
                "required_status_checks": ["CI"],
                "required_status_checks_enforcement_level": "non_admins",
                "strict_required_status_checks_policy": false,
                "signature_requirement_enforcement_level": "off",
                "linear_history_requirement_enforcement_level": "off",
                "lock_branch_enforcement_level": "off",
                "lock_allows_fork_sync": false,
                "admin_enforced": rule.admin_enforced,
                "create_protected": false,
                "allow_force_pushes_enforcement_level": rule.force_pushes,
                "allow_deletions_enforcement_level": "off",
                "merge_queue_enforcement_level": "off",
                "required_deployments_enforcement_level": "off",
                "required_conversation_resolution_level": "off",
                "authorized_actors_only": false,
                "authorized_actor_names": [],
            },
        }),
        [
            ("repository", repository(world, repo, at, false)),
            ("organization", organization(world)),
            ("sender", user(world, sender)),
        ],
    );
    if let Some(changes) = changes {
        payload["changes"] = changes;
    }
    Some(delivery(rng, "branch_protection_rule", at, &payload))
}

/// An owner installs one of the apps the organisation adopts during the period.
pub(super) fn installation(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let app = world.org.apps_to_install.get(world.installed_apps)?.clone();
    world.installed_apps += 1;
    let sender = world.owner(rng)?;
    let id = world.next_id(rng) % 60_000_000;
    let all = rng.gen_bool(0.5);
    let repositories: Vec<Value> = world
        .org
        .repos
        .iter()
        .filter(|_| all || rng.gen_bool(0.15))
        .map(|r| {
            json!({
                "id": r.id,
                "node_id": node_id("Repository", r.id),
                "name": r.name,
                "full_name": format!("{}/{}", world.org.org, r.name),
                "private": r.private,
            })
        })
        .collect();
    let payload = with(
        with(
            json!({
                "action": "created",
                "requester": null,
            }),
            [(
                "installation",
                with(
                    json!({
                        "id": id,
                        "repository_selection": if all { "all" } else { "selected" },
                        "access_tokens_url": format!("https://api.github.com/app/installations/{id}/access_tokens"),
                        "repositories_url": "https://api.github.com/installation/repositories",
                        "html_url": format!("https://github.com/organizations/{}/settings/installations/{id}", world.org.org),
                        "app_id": app.id,
                        "app_slug": app.app,
                        "target_id": world.org.org_id,
                        "target_type": "Organization",
                        "permissions": { "checks": "write", "contents": "read", "metadata": "read", "pull_requests": "write", "statuses": "write" },
                        "events": ["check_suite", "pull_request", "push"],
                        "created_at": at.timestamp(),
                        "updated_at": at.timestamp(),
                        "single_file_name": null,
                        "has_multiple_single_files": false,
                        "single_file_paths": [],
                        "suspended_by": null,
                        "suspended_at": null,
                    }),
                    [("account", org_account(world))],
                ),
            )],
        ),
        [
            ("repositories", Value::Array(repositories)),
            ("organization", organization(world)),
            ("sender", user(world, sender)),
        ],
    );
    Some(delivery(rng, "installation", at, &payload))
}
