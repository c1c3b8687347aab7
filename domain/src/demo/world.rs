//! What the demo remembers while it streams: who is currently a member, open pull requests,
//! recent pushes, keys and rules, and the follow-ups that earlier events set in motion
//! (a merge is pushed, a new hire joins their team). Bounded, so long runs stay cheap.

use super::cloudtrail::Who;
use super::github;
use super::ids::{mix, sha, weighted};
use super::org::{DemoOrg, Membership, Person};
use super::roster;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::Value;
use std::cell::OnceCell;
use std::collections::VecDeque;

/// Open pull requests and remembered pushes beyond these counts are forgotten (oldest first).
const MAX_OPEN_PRS: usize = 300;
const MAX_PUSHES: usize = 64;
const MAX_FOLLOW_UPS: usize = 64;

/// Someone acting on GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Actor {
    Person(usize),
    Bot(usize),
}

pub(super) struct RepoState {
    pub created_at: DateTime<Utc>,
    /// The last push: the repository object's `pushed_at` and `updated_at`.
    pub pushed_at: DateTime<Utc>,
    /// The repository object as most events nest it (timestamps are set per use), built on
    /// first use and dropped when the repository changes: most deliveries carry it, often
    /// several times.
    pub json: OnceCell<Value>,
    /// Tip of the default branch.
    pub head: String,
    pub next_number: u64,
    pub next_run: u64,
    pub rule: Option<Rule>,
    pub deploy_keys: Vec<DeployKey>,
    /// Outside collaborators (person indexes).
    pub collaborators: Vec<usize>,
}

/// The protection rule on a repository's default branch.
#[derive(Clone)]
pub(super) struct Rule {
    pub id: u64,
    pub created_at: DateTime<Utc>,
    pub approvals: u64,
    pub admin_enforced: bool,
    pub force_pushes: &'static str,
}

#[derive(Clone)]
pub(super) struct DeployKey {
    pub id: u64,
    pub title: String,
    pub key: String,
    pub read_only: bool,
    pub created_at: DateTime<Utc>,
    pub added_by: String,
}

#[derive(Clone)]
pub(super) struct OpenPr {
    pub repo: usize,
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: String,
    pub branch: String,
    pub head: String,
    pub base: String,
    pub author: Actor,
    pub opened_at: DateTime<Utc>,
    pub reviewers: Vec<usize>,
    pub draft: bool,
}

#[derive(Clone)]
pub(super) struct PushRef {
    pub repo: usize,
    pub branch: String,
    pub sha: String,
    pub message: String,
    pub actor: Actor,
    pub at: DateTime<Utc>,
    /// A pull request was opened from this push already.
    pub has_pr: bool,
}

/// Something an earlier event makes happen soon after.
pub(super) enum FollowUp {
    /// The merge of a pull request lands on the default branch.
    MergePush {
        pr: OpenPr,
        merger: Actor,
        merge_sha: String,
    },
    Deployment {
        repo: usize,
        environment: &'static str,
    },
    /// A new member is added to their team.
    JoinTeam {
        person: usize,
    },
    TeamAdd {
        team: usize,
        repo: usize,
    },
    BranchProtection {
        repo: usize,
    },
    /// IAM steps after a user was created, or a key rotated.
    Iam {
        account: usize,
        user: String,
        who: Who,
        step: IamStep,
    },
    /// A deployment uploads its artifact to the production bucket.
    ArtifactUpload {
        repo: usize,
        sha: String,
    },
}

#[derive(Clone, Copy)]
pub(super) enum IamStep {
    AddToGroup,
    AttachPolicy,
    CreateKey,
    /// Deletes the user's oldest key: rotation, or offboarding.
    DeleteKey,
}

/// An access key created during the demo, with the account and user it belongs to.
pub(super) struct AccessKey {
    pub account: usize,
    pub user: String,
    pub id: String,
}

pub(super) struct World {
    pub org: DemoOrg,
    /// GitHub objects that never change, built once: per person, per bot, the organisation
    /// as `organization` and as an account (repository owner).
    pub users: Vec<Value>,
    pub bot_users: Vec<Value>,
    pub organization: Value,
    pub org_account: Value,
    /// Per person: currently a member of the GitHub organisation.
    pub active: Vec<bool>,
    /// People with a pending invitation, oldest first.
    pub invited: VecDeque<usize>,
    /// Per repository, parallel to `org.repos`.
    pub repos: Vec<RepoState>,
    pub open_prs: VecDeque<OpenPr>,
    pub pushes: VecDeque<PushRef>,
    pub keys: Vec<AccessKey>,
    pub follow_ups: VecDeque<FollowUp>,
    pub installed_apps: usize,
    pub new_repos: usize,
    pub new_teams: usize,
    pub new_users: usize,
    /// Whether the event being generated falls in office hours.
    pub office_hours: bool,
    next_id: u64,
}

impl World {
    /// Any AWS account, uniformly (0 when the organisation has none).
    pub(super) fn any_account(&self, rng: &mut rand::rngs::StdRng) -> usize {
        rand::Rng::gen_range(rng, 0..self.org.accounts.len().max(1))
    }

    /// The (role name, AWS service) of every service role of an account; `None` when the
    /// account does not exist.
    pub(super) fn service_roles(&self, account: usize) -> Option<Vec<(String, String)>> {
        let roles = &self.org.accounts.get(account)?.roles;
        Some(
            roles
                .iter()
                .filter_map(|r| match &r.kind {
                    super::org::RoleKind::Service(service) => {
                        Some((r.name.clone(), service.clone()))
                    }
                    _ => None,
                })
                .collect(),
        )
    }

    pub fn new(org: DemoOrg, period_start: DateTime<Utc>, rng: &mut StdRng) -> World {
        let active = org
            .people
            .iter()
            .map(|p| p.membership == Membership::Member)
            .collect();
        let repos = org
            .repos
            .iter()
            .map(|repo| {
                let created_at = period_start - Duration::days(i64::from(repo.age_days));
                // Most established repositories already protect their default branch.
                let rule = rng.gen_bool(0.7).then(|| Rule {
                    id: rng.gen_range(10_000_000..90_000_000),
                    created_at,
                    approvals: 1,
                    admin_enforced: false,
                    force_pushes: "off",
                });
                let last_push = period_start - Duration::minutes(rng.gen_range(10..5_000));
                RepoState {
                    created_at,
                    pushed_at: last_push.max(created_at),
                    json: OnceCell::new(),
                    head: sha(rng),
                    next_number: rng.gen_range(20..900),
                    next_run: rng.gen_range(100..5_000),
                    rule,
                    deploy_keys: Vec::new(),
                    collaborators: Vec::new(),
                }
            })
            .collect();
        let users = org
            .people
            .iter()
            .map(|p| github::account(&p.login, p.github_id, "User"))
            .collect();
        let bot_users = org
            .bots
            .iter()
            .map(|b| github::account(&b.login, b.id, "Bot"))
            .collect();
        let organization = github::organization_object(&org);
        let org_account = github::account(&org.org, org.org_id, "Organization");
        World {
            org,
            users,
            bot_users,
            organization,
            org_account,
            active,
            invited: VecDeque::new(),
            repos,
            open_prs: VecDeque::new(),
            pushes: VecDeque::new(),
            keys: Vec::new(),
            follow_ups: VecDeque::new(),
            installed_apps: 0,
            new_repos: 0,
            new_teams: 0,
            new_users: 0,
            office_hours: true,
            next_id: rng.gen_range(1_000_000_000..1_500_000_000),
        }
    }

    /// A fresh GitHub object id (pull requests, runs, keys...): increasing, as GitHub's are.
    pub fn next_id(&mut self, rng: &mut StdRng) -> u64 {
        self.next_id += rng.gen_range(1..5_000);
        self.next_id
    }

    pub fn follow_up(&mut self, follow_up: FollowUp) {
        if self.follow_ups.len() < MAX_FOLLOW_UPS {
            self.follow_ups.push_back(follow_up);
        }
    }

    pub fn remember_push(&mut self, push: PushRef) {
        if self.pushes.len() >= MAX_PUSHES {
            self.pushes.pop_front();
        }
        self.pushes.push_back(push);
    }

    pub fn open_pr(&mut self, pr: OpenPr) {
        if self.open_prs.len() >= MAX_OPEN_PRS {
            self.open_prs.pop_front();
        }
        self.open_prs.push_back(pr);
    }

    /// An active member, in proportion to how active they are, among those `fits` accepts
    /// (given each person's index and record).
    pub fn person(&self, rng: &mut StdRng, fits: impl Fn(usize, &Person) -> bool) -> Option<usize> {
        let weights =
            self.org
                .people
                .iter()
                .zip(&self.active)
                .enumerate()
                .map(|(i, (p, active))| {
                    if *active && fits(i, p) {
                        p.activity
                    } else {
                        0.0
                    }
                });
        weighted(rng, weights)
    }

    /// An organisation owner (whoever manages members, teams and settings).
    pub fn admin(&self, rng: &mut StdRng) -> Option<usize> {
        self.person(rng, |_, p| p.admin)
            .or_else(|| self.person(rng, |_, _| true))
    }

    /// An organisation owner as a GitHub actor (the sender of membership and settings changes).
    pub fn owner(&self, rng: &mut StdRng) -> Option<Actor> {
        self.admin(rng).map(Actor::Person)
    }

    /// Someone else on the actor's team (a bot's team is the repository's), e.g. a reviewer.
    pub fn teammate(&self, rng: &mut StdRng, of: Actor, repo: usize) -> Option<usize> {
        let me = match of {
            Actor::Person(p) => Some(p),
            Actor::Bot(_) => None,
        };
        let team = me
            .and_then(|p| self.org.people.get(p))
            .and_then(|p| p.team.clone())
            .or_else(|| self.org.repos.get(repo).map(|r| r.team.clone()));
        self.person(rng, |i, p| Some(i) != me && p.team == team)
            .or_else(|| self.person(rng, |i, _| Some(i) != me))
    }

    /// Someone on the team that owns the repository.
    pub fn repo_member(&self, rng: &mut StdRng, repo: usize) -> Option<usize> {
        let team = self.org.repos.get(repo).map(|r| r.team.as_str());
        self.person(rng, |_, p| p.team.as_deref() == team)
            .or_else(|| self.person(rng, |_, _| true))
    }

    /// A repository, preferring the actor's team's ones.
    pub fn repo_for(&self, rng: &mut StdRng, actor: Actor) -> usize {
        let team = match actor {
            Actor::Person(p) => self.org.people.get(p).and_then(|p| p.team.clone()),
            Actor::Bot(_) => None,
        };
        let repos = &self.org.repos;
        let own = rng.gen_bool(0.75);
        weighted(
            rng,
            repos.iter().map(|r| {
                if !own || Some(&r.team) == team.as_ref() {
                    1.0
                } else {
                    0.0
                }
            }),
        )
        .or_else(|| weighted(rng, repos.iter().map(|_| 1.0)))
        .unwrap_or(0)
    }

    pub fn login(&self, actor: Actor) -> &str {
        match actor {
            Actor::Person(p) => self.org.people.get(p).map_or("ghost", |p| p.login.as_str()),
            Actor::Bot(b) => self.org.bots.get(b).map_or("ghost", |b| b.login.as_str()),
        }
    }

    /// Name and e-mail as git records them.
    pub fn git_identity(&self, actor: Actor) -> (String, String) {
        match actor {
            Actor::Person(p) => self
                .org
                .people
                .get(p)
                .map_or_else(ghost, |p| (p.name.clone(), p.email.clone())),
            Actor::Bot(b) => self.org.bots.get(b).map_or_else(ghost, |b| {
                (
                    b.login.clone(),
                    format!("{}+{}@users.noreply.github.com", b.id, b.login),
                )
            }),
        }
    }

    /// A bot by app slug.
    pub fn bot(&self, app: &str) -> Option<Actor> {
        self.org
            .bots
            .iter()
            .position(|b| b.app == app)
            .map(Actor::Bot)
    }

    /// Adds someone hired during the demo period beyond the roster's planned hires, with a
    /// name nobody has yet.
    pub fn hire(&mut self, rng: &mut StdRng) -> usize {
        let template = self
            .org
            .people
            .iter()
            .rposition(|p| p.membership == Membership::Hire)
            .unwrap_or(0);
        let mut person = self
            .org
            .people
            .get(template)
            .cloned()
            .unwrap_or_else(|| placeholder(&self.org));
        for attempt in 0u64.. {
            let bits = mix(rng.gen::<u64>() ^ attempt);
            let first = roster::FIRST_NAMES
                .get(bits as usize % roster::FIRST_NAMES.len())
                .copied()
                .unwrap_or("Alex");
            let last = roster::LAST_NAMES
                .get((bits >> 32) as usize % roster::LAST_NAMES.len())
                .copied()
                .unwrap_or("Doe");
            let login = format!(
                "{}{}",
                first.to_ascii_lowercase(),
                last.to_ascii_lowercase()
            );
            let login = if attempt > 20 {
                format!("{login}{attempt}")
            } else {
                login
            };
            if self.org.people.iter().all(|p| p.login != login) {
                person.name = format!("{first} {last}");
                person.email = format!(
                    "{}.{}@{}",
                    first.to_ascii_lowercase(),
                    last.to_ascii_lowercase(),
                    self.org.email_domain
                );
                person.login = login;
                break;
            }
        }
        person.github_id = rng.gen_range(100_000_000..190_000_000);
        person.membership = Membership::Hire;
        self.users
            .push(github::account(&person.login, person.github_id, "User"));
        self.org.people.push(person);
        self.active.push(false);
        self.org.people.len() - 1
    }
}

fn ghost() -> (String, String) {
    (
        "ghost".to_owned(),
        "ghost@users.noreply.github.com".to_owned(),
    )
}

fn placeholder(org: &DemoOrg) -> Person {
    Person {
        name: String::new(),
        login: String::new(),
        github_id: 0,
        email: String::new(),
        title: "Software Engineer".to_owned(),
        department: "Engineering".to_owned(),
        team: org.teams.first().map(|t| t.slug.clone()),
        manager: None,
        admin: false,
        membership: Membership::Hire,
        aws: None,
        activity: 1.0,
        ip: "73.15.42.8".to_owned(),
        browser: "Mozilla/5.0".to_owned(),
        cli: "aws-cli/2.17.0".to_owned(),
    }
}
