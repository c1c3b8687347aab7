//! Who belongs in the demo organisation: invitations and new members, leavers (and their
//! AWS keys), team membership and outside collaborators on single repositories.

use super::cloudtrail::sso;
use super::github::{delivery, organization, repository, team, user, with};
use super::ids::{node_id, pick, rfc3339};
use super::org::{Access, Membership};
use super::world::{Actor, FollowUp, IamStep, World};
use super::DemoDelivery;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

/// An outside collaborator gains or loses access to one repository (`member` event).
pub(super) fn collaborator(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    added: bool,
) -> Option<DemoDelivery> {
    let sender = world.owner(rng)?;
    let (person, repo) = if added {
        let candidates: Vec<usize> = (0..world.org.people.len())
            .filter(|i| {
                world
                    .org
                    .people
                    .get(*i)
                    .is_some_and(|p| p.membership == Membership::Collaborator)
            })
            .collect();
        let person = *pick(rng, &candidates)?;
        let team = world.org.people.get(person)?.team.clone();
        let own_team = rng.gen_bool(0.7);
        let repos: Vec<usize> = (0..world.org.repos.len())
            .filter(|r| {
                !own_team
                    || world
                        .org
                        .repos
                        .get(*r)
                        .is_some_and(|repo| Some(&repo.team) == team.as_ref())
            })
            .filter(|r| {
                world
                    .repos
                    .get(*r)
                    .is_some_and(|s| !s.collaborators.contains(&person))
            })
            .collect();
        let repo = *pick(rng, &repos)?;
        world.repos.get_mut(repo)?.collaborators.push(person);
        (person, repo)
    } else {
        let granted: Vec<(usize, usize)> = world
            .repos
            .iter()
            .enumerate()
            .flat_map(|(r, s)| s.collaborators.iter().map(move |p| (*p, r)))
            .collect();
        let (person, repo) = *pick(rng, &granted)?;
        world
            .repos
            .get_mut(repo)?
            .collaborators
            .retain(|p| *p != person);
        (person, repo)
    };
    let mut payload = with(
        json!({ "action": if added { "added" } else { "removed" } }),
        [
            ("member", user(world, Actor::Person(person))),
            ("repository", repository(world, repo, at, false)),
            ("organization", organization(world)),
            ("sender", user(world, sender)),
        ],
    );
    if added {
        payload["changes"] = json!({ "permission": { "to": "write" } });
    }
    Some(delivery(rng, "member", at, &payload))
}

/// Someone joins or leaves a team (`membership` event).
pub(super) fn team_membership(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    added: bool,
    who: Option<usize>,
) -> Option<DemoDelivery> {
    let sender = world.owner(rng)?;
    let (person, team_index) = if let Some(person) = who {
        let slug = world.org.people.get(person)?.team.clone();
        let team_index = world
            .org
            .teams
            .iter()
            .position(|t| Some(&t.slug) == slug.as_ref())?;
        (person, team_index)
    } else {
        let team_index = rng.gen_range(0..world.org.teams.len().max(1));
        let members = world.org.teams.get(team_index)?.members.clone();
        let person = if added {
            world.person(rng, |_, p| !members.contains(&p.login))?
        } else {
            let login = pick(rng, &members)?;
            world.org.people.iter().position(|p| &p.login == login)?
        };
        (person, team_index)
    };
    let login = world.org.people.get(person)?.login.clone();
    let members = &mut world.org.teams.get_mut(team_index)?.members;
    members.retain(|m| *m != login);
    if added {
        members.push(login);
    }
    let payload = with(
        json!({
            "action": if added { "added" } else { "removed" },
            "scope": "team",
        }),
        [
            ("member", user(world, Actor::Person(person))),
            ("sender", user(world, sender)),
            ("team", team(world, team_index)),
            ("organization", organization(world)),
        ],
    );
    Some(delivery(rng, "membership", at, &payload))
}

fn membership_object(world: &World, person: usize, state: &str) -> Value {
    let login = world
        .org
        .people
        .get(person)
        .map_or("ghost", |p| p.login.as_str());
    with(
        json!({
            "url": format!("https://api.github.com/orgs/{}/memberships/{login}", world.org.org),
            "state": state,
            "role": "member",
            "organization_url": format!("https://api.github.com/orgs/{}", world.org.org),
        }),
        [("user", user(world, Actor::Person(person)))],
    )
}

/// An owner invites a new hire to the organisation.
pub(super) fn member_invited(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let inviter = world.owner(rng)?;
    let planned = (0..world.org.people.len()).find(|i| {
        world
            .org
            .people
            .get(*i)
            .is_some_and(|p| p.membership == Membership::Hire)
            && !world.active.get(*i).copied().unwrap_or(true)
            && !world.invited.contains(i)
    });
    let person = match planned {
        Some(person) => person,
        None => world.hire(rng),
    };
    world.invited.push_back(person);
    let invitation_id = world.next_id(rng);
    let invitee = world.org.people.get(person)?;
    let payload = with(
        with(
            json!({ "action": "member_invited" }),
            [(
                "invitation",
                with(
                    json!({
                        "id": invitation_id,
                        "node_id": node_id("User", invitee.github_id),
                        "login": invitee.login,
                        "email": null,
                        "role": "direct_member",
                        "created_at": rfc3339(at),
                        "failed_at": null,
                        "failed_reason": null,
                        "team_count": 1,
                        "invitation_source": "member",
                        "invitation_teams_url": format!("https://api.github.com/organizations/{}/invitations/{invitation_id}/teams", world.org.org_id),
                    }),
                    [("inviter", user(world, inviter))],
                ),
            )],
        ),
        [
            ("user", user(world, Actor::Person(person))),
            ("organization", organization(world)),
            ("sender", user(world, inviter)),
        ],
    );
    Some(delivery(rng, "organization", at, &payload))
}

/// An invited person accepts and becomes a member; their team membership follows.
pub(super) fn member_added(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let person = world.invited.pop_front()?;
    if let Some(active) = world.active.get_mut(person) {
        *active = true;
    }
    if let Some(p) = world.org.people.get_mut(person) {
        p.membership = Membership::Member;
    }
    world.follow_up(FollowUp::JoinTeam { person });
    let payload = with(
        json!({ "action": "member_added" }),
        [
            ("membership", membership_object(world, person, "active")),
            ("organization", organization(world)),
            ("sender", user(world, Actor::Person(person))),
        ],
    );
    Some(delivery(rng, "organization", at, &payload))
}

/// Someone leaves the company; an owner removes them (the organisation never shrinks below
/// thirty members, so long runs keep a cast).
pub(super) fn member_removed(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    if world.active.iter().filter(|a| **a).count() <= 30 {
        return None;
    }
    let sender = world.owner(rng)?;
    let person = world.person(rng, |_, p| {
        !p.admin && !p.title.contains("Lead") && !p.title.starts_with("Chief")
    })?;
    if let Some(active) = world.active.get_mut(person) {
        *active = false;
    }
    let login = world.org.people.get(person)?.login.clone();
    for team in &mut world.org.teams {
        team.members.retain(|m| *m != login);
    }
    world
        .open_prs
        .retain(|pr| pr.author != Actor::Person(person));
    offboard_aws(world, rng, &login);
    let payload = with(
        json!({ "action": "member_removed" }),
        [
            ("membership", membership_object(world, person, "active")),
            ("organization", organization(world)),
            ("sender", user(world, sender)),
        ],
    );
    Some(delivery(rng, "organization", at, &payload))
}

/// A leaver's own IAM users lose their keys soon after, at the hands of an administrator.
fn offboard_aws(world: &mut World, rng: &mut StdRng, login: &str) {
    let owned: Vec<(usize, String)> = world
        .org
        .accounts
        .iter()
        .enumerate()
        .flat_map(|(a, account)| {
            account
                .users
                .iter()
                .filter(|u| u.owner.as_deref() == Some(login))
                .map(move |u| (a, u.name.clone()))
        })
        .collect();
    for (account, user) in owned {
        if let Some(who) = sso(world, rng, Some(account), Access::Admin) {
            world.follow_up(FollowUp::Iam {
                account,
                user,
                who,
                step: IamStep::DeleteKey,
            });
        }
    }
}
