//! The demo organisation: who works at Acme Corp, their teams, repositories and AWS
//! accounts, and how each person reaches AWS. Generated once per seed from the roster.

use super::ids::{ip, pick_str};
use super::org_aws::account;
use super::roster::{self, Slot};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

/// A synthetic company with its GitHub organisation and AWS accounts.
#[derive(Debug, Clone)]
pub struct DemoOrg {
    /// The GitHub organisation's login, e.g. `acme-corp`.
    pub org: String,
    /// The GitHub organisation's numeric id.
    pub org_id: u64,
    /// The company's display name.
    pub name: String,
    /// Domain of everyone's e-mail address.
    pub email_domain: String,
    /// The office's offset from UTC in hours: activity follows office hours there.
    pub utc_offset_hours: i32,
    /// Everyone who works here, including people hired during the demo period.
    pub people: Vec<Person>,
    /// GitHub Apps acting in the organisation (`dependabot[bot]`, ...).
    pub bots: Vec<Bot>,
    pub teams: Vec<Team>,
    pub repos: Vec<Repo>,
    /// prod, staging and sandbox.
    pub accounts: Vec<AwsAccount>,
    /// GitHub Apps the organisation installs during the demo period.
    pub apps_to_install: Vec<Bot>,
}

/// How much an AWS principal may do: read, change workloads, or change IAM too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    ReadOnly,
    Write,
    Admin,
}

/// How someone relates to the GitHub organisation when the demo period starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    Member,
    /// Hired during the period: invited to the organisation, then added.
    Hire,
    /// An outside collaborator: access to single repositories only.
    Collaborator,
}

#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    /// GitHub login.
    pub login: String,
    pub github_id: u64,
    pub email: String,
    pub title: String,
    pub department: String,
    /// Slug of the person's main team.
    pub team: Option<String>,
    /// Login of the person's manager.
    pub manager: Option<String>,
    /// Organisation owner: manages members, teams and repositories.
    pub admin: bool,
    pub membership: Membership,
    /// Permission set of the person's AWS SSO assignment; `None` for no AWS access.
    pub aws: Option<Access>,
    /// Relative share of the activity; a few people are far above the rest.
    pub activity: f64,
    /// The public address the person works from.
    pub ip: String,
    /// Browser user agent (console sign-ins).
    pub browser: String,
    /// `aws-cli` user agent.
    pub cli: String,
}

/// A GitHub App's bot account, or an app to be installed.
#[derive(Debug, Clone)]
pub struct Bot {
    /// `dependabot[bot]`.
    pub login: String,
    pub id: u64,
    /// The app's slug, `dependabot`.
    pub app: String,
}

#[derive(Debug, Clone)]
pub struct Team {
    pub name: String,
    pub slug: String,
    pub id: u64,
    pub description: String,
    /// Slug of the parent team for nested teams.
    pub parent: Option<String>,
    /// `closed` (visible) or `secret`.
    pub privacy: String,
    /// Logins.
    pub members: Vec<String>,
    /// Names of the repositories the team owns.
    pub repos: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Repo {
    pub name: String,
    pub id: u64,
    /// Slug of the owning team.
    pub team: String,
    pub language: Option<String>,
    pub private: bool,
    /// Has `production` and `staging` environments that get deployments.
    pub deploys: bool,
    pub description: String,
    pub default_branch: String,
    /// How long before the demo period the repository was created.
    pub age_days: u32,
}

#[derive(Debug, Clone)]
pub struct AwsAccount {
    /// `acme-prod`.
    pub name: String,
    /// Twelve digits.
    pub id: String,
    /// `production`, `staging`, `sandbox`.
    pub environment: String,
    /// Where the workloads run; IAM, STS and sign-in calls are logged in us-east-1.
    pub region: String,
    /// Characters that AWS ids in this account share (`AIDA<stem>...`).
    pub id_stem: String,
    /// The NAT gateway address workloads call AWS from.
    pub nat_ip: String,
    pub users: Vec<IamUser>,
    pub roles: Vec<IamRole>,
    pub groups: Vec<String>,
    pub buckets: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct IamUser {
    pub name: String,
    /// `AIDA...`.
    pub principal_id: String,
    /// `AKIA...`.
    pub access_key_id: String,
    pub access: Access,
    /// Login of the person using it; `None` for machine users.
    pub owner: Option<String>,
    /// Signs in to the console with MFA.
    pub mfa: bool,
}

#[derive(Debug, Clone)]
pub struct IamRole {
    pub name: String,
    /// IAM path, `/` or `/aws-reserved/sso.amazonaws.com/us-east-1/`.
    pub path: String,
    /// `AROA...`.
    pub role_id: String,
    pub access: Access,
    pub kind: RoleKind,
}

/// Who assumes a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleKind {
    /// An IAM Identity Center permission set; people's sessions are named by their e-mail.
    Sso,
    /// CI: GitHub Actions and the `terraform-ci` user.
    Deploy,
    /// An AWS service on behalf of a workload, e.g. `ecs-tasks.amazonaws.com`.
    Service(String),
}

impl IamRole {
    pub fn arn(&self, account: &AwsAccount) -> String {
        format!("arn:aws:iam::{}:role{}{}", account.id, self.path, self.name)
    }
}

impl IamUser {
    pub fn arn(&self, account: &AwsAccount) -> String {
        format!("arn:aws:iam::{}:user/{}", account.id, self.name)
    }
}

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
];

impl DemoOrg {
    /// The same seed always gives the same company.
    pub fn generate(seed: u64) -> DemoOrg {
        let mut rng = StdRng::seed_from_u64(seed);
        let org_id = rng.gen_range(40_000_000..160_000_000);
        let people = people(&mut rng);
        let repos: Vec<Repo> = roster::REPOS
            .iter()
            .map(
                |(name, team, language, private, deploys, description)| Repo {
                    name: (*name).to_owned(),
                    id: rng.gen_range(300_000_000..800_000_000),
                    team: (*team).to_owned(),
                    language: language.map(str::to_owned),
                    private: *private,
                    deploys: *deploys,
                    description: (*description).to_owned(),
                    default_branch: "main".to_owned(),
                    age_days: rng.gen_range(30..1_500),
                },
            )
            .collect();
        let teams = roster::TEAMS
            .iter()
            .map(|(slug, name, description, parent, privacy)| {
                let mut members: Vec<String> = people
                    .iter()
                    .filter(|p| {
                        p.membership == Membership::Member && p.team.as_deref() == Some(*slug)
                    })
                    .map(|p| p.login.clone())
                    .collect();
                if *slug == "engineering" {
                    // Team leads belong to the umbrella team as well as their own.
                    members.extend(
                        people
                            .iter()
                            .filter(|p| p.title.ends_with("Lead"))
                            .map(|p| p.login.clone()),
                    );
                }
                Team {
                    name: (*name).to_owned(),
                    slug: (*slug).to_owned(),
                    id: rng.gen_range(2_000_000..9_999_999),
                    description: (*description).to_owned(),
                    parent: parent.map(str::to_owned),
                    privacy: (*privacy).to_owned(),
                    members,
                    repos: repos
                        .iter()
                        .filter(|r| r.team == *slug)
                        .map(|r| r.name.clone())
                        .collect(),
                }
            })
            .collect();
        let bots = roster::BOTS
            .iter()
            .map(|(login, app, id)| Bot {
                login: (*login).to_owned(),
                id: *id,
                app: (*app).to_owned(),
            })
            .collect();
        let apps_to_install = roster::NEW_APPS
            .iter()
            .map(|(app, id)| Bot {
                login: format!("{app}[bot]"),
                id: *id,
                app: (*app).to_owned(),
            })
            .collect();
        let accounts = roster::ACCOUNTS
            .iter()
            .map(|spec| account(&mut rng, spec, &people))
            .collect();
        DemoOrg {
            org: roster::ORG_LOGIN.to_owned(),
            org_id,
            name: roster::ORG_NAME.to_owned(),
            email_domain: roster::EMAIL_DOMAIN.to_owned(),
            utc_offset_hours: roster::UTC_OFFSET_HOURS,
            people,
            bots,
            teams,
            repos,
            accounts,
            apps_to_install,
        }
    }
}

fn people(rng: &mut StdRng) -> Vec<Person> {
    let mut first: Vec<&str> = roster::FIRST_NAMES.to_vec();
    let mut last: Vec<&str> = roster::LAST_NAMES.to_vec();
    first.shuffle(rng);
    last.shuffle(rng);
    let mut logins = HashSet::new();
    let mut people: Vec<Person> = roster::SLOTS
        .iter()
        .zip(first.iter().cycle().zip(last.iter().cycle()))
        .map(|(slot, (first, last))| person(rng, slot, first, last, &mut logins))
        .collect();
    // A few engineers do far more than everyone else, as in every real organisation.
    let mut engineers: Vec<usize> = (0..people.len())
        .filter(|i| {
            people[*i].membership == Membership::Member && people[*i].title.contains("Engineer")
        })
        .collect();
    engineers.shuffle(rng);
    for index in engineers.into_iter().take(3) {
        people[index].activity *= rng.gen_range(4.0..7.0);
    }
    let logins: Vec<String> = people.iter().map(|p| p.login.clone()).collect();
    for (person, slot) in people.iter_mut().zip(roster::SLOTS) {
        person.manager = slot.manager.and_then(|m| logins.get(m).cloned());
    }
    people
}

fn person(
    rng: &mut StdRng,
    slot: &Slot,
    first: &str,
    last: &str,
    logins: &mut HashSet<String>,
) -> Person {
    let (f, l) = (first.to_ascii_lowercase(), last.to_ascii_lowercase());
    let initial = f.chars().next().unwrap_or('x');
    // The usual ways people pick a GitHub login, most common first.
    let mut login = match rng.gen_range(0..20) {
        0..=4 => format!("{f}{l}"),
        5..=8 => format!("{f}-{l}"),
        9..=13 => format!("{initial}{l}"),
        14..=16 => format!("{f}{}", l.chars().next().unwrap_or('x')),
        17 => format!(
            "{f}-{}",
            roster::ORG_LOGIN.split('-').next().unwrap_or("acme")
        ),
        _ => format!("{f}{}", rng.gen_range(70..100)),
    };
    while !logins.insert(login.clone()) {
        login.push_str(&rng.gen_range(0..10).to_string());
    }
    let os_build = rng.gen_range(20..24);
    let cli = if rng.gen_bool(0.75) {
        format!(
            "aws-cli/2.15.{} Python/3.11.8 Darwin/{os_build}.4.0 exe/x86_64 prompt/off",
            rng.gen_range(10..58)
        )
    } else {
        format!(
            "aws-cli/2.17.{} Python/3.11.9 Linux/6.5.0-{os_build} exe/x86_64.ubuntu.22",
            rng.gen_range(0..20)
        )
    };
    Person {
        name: format!("{first} {last}"),
        github_id: rng.gen_range(1_000_000..160_000_000),
        email: format!("{f}.{l}@{}", roster::EMAIL_DOMAIN),
        login,
        title: slot.title.to_owned(),
        department: slot.department.to_owned(),
        team: slot.team.map(str::to_owned),
        manager: None,
        admin: slot.admin,
        membership: slot.start,
        aws: slot.aws,
        activity: slot.activity * rng.gen_range(0.6..1.4),
        ip: ip(rng, roster::ISP_OCTETS),
        browser: pick_str(rng, BROWSERS).to_owned(),
        cli,
    }
}
