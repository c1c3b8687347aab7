//! Synthetic demo data: a believable company (people, teams, repositories, AWS accounts)
//! and months of its GitHub and CloudTrail activity, produced as the raw bytes those
//! sources send so `attest demo` feeds them through the same ingest as real deliveries.

mod clock;
mod cloudtrail;
mod cloudtrail_iam;
mod cloudtrail_sts;
mod cloudtrail_workloads;
mod github;
mod github_ci;
mod github_members;
mod github_pulls;
mod github_push;
mod github_settings;
mod ids;
mod org;
mod org_aws;
mod roster;
mod world;

#[cfg(test)]
mod tests;

pub use org::{
    Access, AwsAccount, Bot, DemoOrg, IamRole, IamUser, Membership, Person, Repo, RoleKind, Team,
};

use chrono::{DateTime, Utc};
use clock::Clock;
use cloudtrail_iam as iam;
use cloudtrail_sts as sts;
use cloudtrail_workloads as workloads;
use github_ci as ci;
use github_members as members;
use github_pulls as pulls;
use github_push as push;
use github_settings as settings;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use world::{FollowUp, IamStep, World};

/// What to generate: how many deliveries, over which period, from which seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    pub events: usize,
    pub seed: u64,
    /// The end of the period (the newest delivery is at or before it).
    pub end: DateTime<Utc>,
    pub days: u32,
}

impl Default for DemoConfig {
    /// 5,000 deliveries over the 120 days up to now (to the minute), seed 7.
    fn default() -> Self {
        let now = Utc::now();
        let end = DateTime::from_timestamp(now.timestamp() - now.timestamp().rem_euclid(60), 0)
            .unwrap_or(now);
        DemoConfig {
            events: 5_000,
            seed: 7,
            end,
            days: 120,
        }
    }
}

/// One generated delivery, as its source would send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoDelivery {
    /// A GitHub webhook delivery: `X-GitHub-Event`, `X-GitHub-Delivery` (a UUID-like string,
    /// unique), the JSON body.
    Github {
        event: String,
        delivery_id: String,
        at: DateTime<Utc>,
        body: Vec<u8>,
    },
    /// One CloudTrail record (a JSON object as in a CloudTrail log file's Records array).
    Cloudtrail { at: DateTime<Utc>, body: Vec<u8> },
}

impl DemoDelivery {
    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            DemoDelivery::Github { at, .. } | DemoDelivery::Cloudtrail { at, .. } => *at,
        }
    }

    /// The JSON bytes.
    pub fn body(&self) -> &[u8] {
        match self {
            DemoDelivery::Github { body, .. } | DemoDelivery::Cloudtrail { body, .. } => body,
        }
    }
}

/// Streams `config.events` deliveries in chronological order (oldest first) over
/// `config.days` days ending at `config.end`. Only the current hour's timestamps and a
/// bounded memory of recent activity are held, so millions of deliveries stream cheaply.
/// The same organisation and config always give the same bytes. An organisation missing
/// people, repositories, teams, bots or usable AWS accounts cannot act out the story; the
/// generated one for `config.seed` stands in for it.
pub fn deliveries(org: &DemoOrg, config: &DemoConfig) -> impl Iterator<Item = DemoDelivery> {
    let org = if usable(org) {
        org.clone()
    } else {
        DemoOrg::generate(config.seed)
    };
    let mut rng = StdRng::seed_from_u64(config.seed);
    let clock = Clock::new(
        config.seed,
        config.end,
        config.days,
        config.events,
        org.utc_offset_hours,
    );
    let world = World::new(org, clock.period_start(), &mut rng);
    Deliveries {
        table: mix(config),
        world,
        clock,
        rng,
    }
}

fn usable(org: &DemoOrg) -> bool {
    org.people
        .iter()
        .any(|p| p.membership == Membership::Member && p.activity > 0.0 && p.aws.is_some())
        && org
            .people
            .iter()
            .any(|p| p.membership == Membership::Member && p.admin && p.activity > 0.0)
        && !org.repos.is_empty()
        && !org.teams.is_empty()
        && !org.bots.is_empty()
        && !org.accounts.is_empty()
        && org.accounts.iter().all(|a| {
            !a.users.is_empty()
                && !a.buckets.is_empty()
                && a.roles.iter().any(|r| r.kind == RoleKind::Sso)
        })
}

/// Every kind of delivery the demo produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Push,
    PullRequestOpened,
    PullRequestClosed,
    Review,
    WorkflowRun,
    Deployment,
    CollaboratorAdded,
    CollaboratorRemoved,
    TeamMemberAdded,
    TeamMemberRemoved,
    MemberInvited,
    MemberAdded,
    MemberRemoved,
    TeamCreated,
    TeamAdd,
    RepositoryCreated,
    RepositoryPublicized,
    DeployKeyCreated,
    DeployKeyDeleted,
    ProtectionCreated,
    ProtectionEdited,
    Installation,
    ConsoleLogin,
    AssumeRole,
    GetCallerIdentity,
    GetObject,
    PutObject,
    DescribeInstances,
    RunInstances,
    CreateUser,
    AddUserToGroup,
    AttachUserPolicy,
    CreateAccessKey,
    DeleteAccessKey,
    PutRolePolicy,
    UpdateAssumeRolePolicy,
}

/// Everyday activity is a share of all deliveries (about 55% GitHub, 45% CloudTrail);
/// access changes happen a few times a week whatever the volume, so they scale with days.
enum Rate {
    Share(f64),
    PerDay(f64),
}

const MIX: &[(Kind, Rate)] = &[
    (Kind::Push, Rate::Share(20.0)),
    (Kind::PullRequestOpened, Rate::Share(6.5)),
    (Kind::PullRequestClosed, Rate::Share(5.5)),
    (Kind::Review, Rate::Share(8.0)),
    (Kind::WorkflowRun, Rate::Share(10.0)),
    (Kind::Deployment, Rate::Share(4.0)),
    (Kind::ConsoleLogin, Rate::Share(4.0)),
    (Kind::AssumeRole, Rate::Share(8.0)),
    (Kind::GetCallerIdentity, Rate::Share(6.0)),
    (Kind::GetObject, Rate::Share(11.0)),
    (Kind::PutObject, Rate::Share(5.0)),
    (Kind::DescribeInstances, Rate::Share(8.0)),
    (Kind::RunInstances, Rate::Share(1.5)),
    (Kind::CollaboratorAdded, Rate::PerDay(0.2)),
    (Kind::CollaboratorRemoved, Rate::PerDay(0.08)),
    (Kind::TeamMemberAdded, Rate::PerDay(0.25)),
    (Kind::TeamMemberRemoved, Rate::PerDay(0.12)),
    (Kind::MemberInvited, Rate::PerDay(0.1)),
    (Kind::MemberAdded, Rate::PerDay(0.09)),
    (Kind::MemberRemoved, Rate::PerDay(0.05)),
    (Kind::TeamCreated, Rate::PerDay(0.03)),
    (Kind::TeamAdd, Rate::PerDay(0.15)),
    (Kind::RepositoryCreated, Rate::PerDay(0.08)),
    (Kind::RepositoryPublicized, Rate::PerDay(0.015)),
    (Kind::DeployKeyCreated, Rate::PerDay(0.06)),
    (Kind::DeployKeyDeleted, Rate::PerDay(0.04)),
    (Kind::ProtectionCreated, Rate::PerDay(0.05)),
    (Kind::ProtectionEdited, Rate::PerDay(0.08)),
    (Kind::Installation, Rate::PerDay(0.03)),
    (Kind::CreateUser, Rate::PerDay(0.15)),
    (Kind::AddUserToGroup, Rate::PerDay(0.1)),
    (Kind::AttachUserPolicy, Rate::PerDay(0.08)),
    (Kind::CreateAccessKey, Rate::PerDay(0.12)),
    (Kind::DeleteAccessKey, Rate::PerDay(0.08)),
    (Kind::PutRolePolicy, Rate::PerDay(0.1)),
    (Kind::UpdateAssumeRolePolicy, Rate::PerDay(0.04)),
];

/// A rare kind never takes more than this share, however few events over however many days.
const MAX_RARE_SHARE: f64 = 0.02;
const MAX_RARE_TOTAL: f64 = 0.3;

/// Cumulative probabilities per kind for this config.
fn mix(config: &DemoConfig) -> Vec<(Kind, f64)> {
    let per_event_day = f64::from(config.days.max(1)) / config.events.max(1) as f64;
    let rare: Vec<(Kind, f64)> = MIX
        .iter()
        .filter_map(|(kind, rate)| match rate {
            Rate::PerDay(r) => Some((*kind, (r * per_event_day).min(MAX_RARE_SHARE))),
            Rate::Share(_) => None,
        })
        .collect();
    let rare_total: f64 = rare.iter().map(|(_, p)| p).sum();
    let scale = if rare_total > MAX_RARE_TOTAL {
        MAX_RARE_TOTAL / rare_total
    } else {
        1.0
    };
    let shares: f64 = MIX
        .iter()
        .map(|(_, rate)| if let Rate::Share(s) = rate { *s } else { 0.0 })
        .sum();
    let common_total = 1.0 - rare_total * scale;
    let mut cumulative = 0.0;
    let mut table = Vec::with_capacity(MIX.len());
    for (kind, rate) in MIX {
        cumulative += match rate {
            Rate::Share(s) => s / shares * common_total,
            Rate::PerDay(_) => rare
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(0.0, |(_, p)| p * scale),
        };
        table.push((*kind, cumulative));
    }
    table
}

struct Deliveries {
    world: World,
    clock: Clock,
    rng: StdRng,
    table: Vec<(Kind, f64)>,
}

impl Iterator for Deliveries {
    type Item = DemoDelivery;

    fn next(&mut self) -> Option<DemoDelivery> {
        let at = self.clock.next(&mut self.rng)?;
        self.world.office_hours = self.clock.office_hours(at);
        // What earlier events set in motion usually happens next (a merge lands, a new
        // member joins their team), but not always immediately.
        if !self.world.follow_ups.is_empty() && self.rng.gen_bool(0.6) {
            if let Some(delivery) = self
                .world
                .follow_ups
                .pop_front()
                .and_then(|f| self.follow_up(f, at))
            {
                return Some(delivery);
            }
        }
        let roll: f64 = self.rng.gen();
        let kind = self
            .table
            .iter()
            .find(|(_, c)| roll < *c)
            .or(self.table.last())
            .map_or(Kind::Push, |(k, _)| *k);
        let fallbacks = [kind, fallback(kind), Kind::Push, Kind::GetCallerIdentity];
        fallbacks
            .into_iter()
            .find_map(|kind| self.generate(kind, at))
    }
}

/// What to produce instead when a kind has nothing to act on (no open pull request to
/// close, no invitation to accept...).
fn fallback(kind: Kind) -> Kind {
    match kind {
        Kind::PullRequestClosed | Kind::Review => Kind::PullRequestOpened,
        Kind::MemberAdded => Kind::MemberInvited,
        Kind::CollaboratorRemoved => Kind::CollaboratorAdded,
        Kind::DeployKeyDeleted => Kind::DeployKeyCreated,
        Kind::ProtectionEdited => Kind::ProtectionCreated,
        Kind::ConsoleLogin
        | Kind::AssumeRole
        | Kind::GetObject
        | Kind::PutObject
        | Kind::DescribeInstances
        | Kind::RunInstances
        | Kind::CreateUser
        | Kind::AddUserToGroup
        | Kind::AttachUserPolicy
        | Kind::CreateAccessKey
        | Kind::DeleteAccessKey
        | Kind::PutRolePolicy
        | Kind::UpdateAssumeRolePolicy => Kind::GetObject,
        _ => Kind::Push,
    }
}

impl Deliveries {
    fn generate(&mut self, kind: Kind, at: DateTime<Utc>) -> Option<DemoDelivery> {
        let (w, rng) = (&mut self.world, &mut self.rng);
        match kind {
            Kind::Push => push::random_push(w, rng, at),
            Kind::PullRequestOpened => pulls::pull_request_opened(w, rng, at),
            Kind::PullRequestClosed => pulls::pull_request_closed(w, rng, at),
            Kind::Review => pulls::review(w, rng, at),
            Kind::WorkflowRun => ci::workflow_run(w, rng, at),
            Kind::Deployment => ci::deployment(w, rng, at, None, None),
            Kind::CollaboratorAdded => members::collaborator(w, rng, at, true),
            Kind::CollaboratorRemoved => members::collaborator(w, rng, at, false),
            Kind::TeamMemberAdded => members::team_membership(w, rng, at, true, None),
            Kind::TeamMemberRemoved => members::team_membership(w, rng, at, false, None),
            Kind::MemberInvited => members::member_invited(w, rng, at),
            Kind::MemberAdded => members::member_added(w, rng, at),
            Kind::MemberRemoved => members::member_removed(w, rng, at),
            Kind::TeamCreated => settings::team_created(w, rng, at),
            Kind::TeamAdd => settings::team_add(w, rng, at, None),
            Kind::RepositoryCreated => settings::repository_created(w, rng, at),
            Kind::RepositoryPublicized => settings::repository_publicized(w, rng, at),
            Kind::DeployKeyCreated => settings::deploy_key(w, rng, at, true),
            Kind::DeployKeyDeleted => settings::deploy_key(w, rng, at, false),
            Kind::ProtectionCreated => settings::branch_protection(w, rng, at, None, false),
            Kind::ProtectionEdited => settings::branch_protection(w, rng, at, None, true),
            Kind::Installation => settings::installation(w, rng, at),
            Kind::ConsoleLogin => sts::console_login(w, rng, at),
            Kind::AssumeRole => sts::assume_role(w, rng, at),
            Kind::GetCallerIdentity => sts::get_caller_identity(w, rng, at),
            Kind::GetObject => workloads::s3_object(w, rng, at, false),
            Kind::PutObject => workloads::s3_object(w, rng, at, true),
            Kind::DescribeInstances => workloads::describe_instances(w, rng, at),
            Kind::RunInstances => workloads::run_instances(w, rng, at),
            Kind::CreateUser => iam::create_user(w, rng, at),
            Kind::AddUserToGroup => iam::iam_step(w, rng, at, IamStep::AddToGroup, None),
            Kind::AttachUserPolicy => iam::iam_step(w, rng, at, IamStep::AttachPolicy, None),
            Kind::CreateAccessKey => iam::iam_step(w, rng, at, IamStep::CreateKey, None),
            Kind::DeleteAccessKey => iam::iam_step(w, rng, at, IamStep::DeleteKey, None),
            Kind::PutRolePolicy => iam::put_role_policy(w, rng, at),
            Kind::UpdateAssumeRolePolicy => iam::update_assume_role_policy(w, rng, at),
        }
    }

    fn follow_up(&mut self, follow_up: FollowUp, at: DateTime<Utc>) -> Option<DemoDelivery> {
        let (w, rng) = (&mut self.world, &mut self.rng);
        match follow_up {
            FollowUp::MergePush {
                pr,
                merger,
                merge_sha,
            } => push::merge_push(w, rng, at, &pr, merger, &merge_sha),
            FollowUp::Deployment { repo, environment } => {
                ci::deployment(w, rng, at, Some(repo), Some(environment))
            }
            FollowUp::JoinTeam { person } => {
                members::team_membership(w, rng, at, true, Some(person))
            }
            FollowUp::TeamAdd { team, repo } => settings::team_add(w, rng, at, Some((team, repo))),
            FollowUp::BranchProtection { repo } => {
                settings::branch_protection(w, rng, at, Some(repo), false)
            }
            FollowUp::Iam {
                account,
                user,
                who,
                step,
            } => iam::iam_step(w, rng, at, step, Some((account, &user, &who))),
            FollowUp::ArtifactUpload { repo, sha } => {
                workloads::artifact_upload(w, rng, at, repo, &sha)
            }
        }
    }
}
