//! CloudTrail building blocks for the demo: who makes a call (a person's SSO session, an IAM
//! user, a workload's role session, root, an AWS service), how CloudTrail describes them,
//! and the record envelope every event shares.

use super::github::with;
use super::ids::{aws_date, aws_id, ip, pick_str, rfc3339, stable_hash, uuid};
use super::org::{Access, AwsAccount, RoleKind};
use super::roster::CLOUD_OCTETS;
use super::world::World;
use super::DemoDelivery;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

/// Global services (IAM, STS, sign-in) log here whatever the account's home region.
pub(super) const GLOBAL_REGION: &str = "us-east-1";
/// SSO and role sessions last four hours; calls within one share the session's key.
const SESSION_SECONDS: i64 = 4 * 3_600;

const TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.8.5 (+https://www.terraform.io) terraform-provider-aws/5.52.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.27.2 os/linux lang/go#1.22.3 md/GOOS#linux md/GOARCH#amd64 api/sts#1.28.12";
const BOTO3: &str = "Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#5.10.218-208.862.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.131";
const GO_SDK: &str =
    "aws-sdk-go-v2/1.30.1 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.0";
const JAVA_SDK: &str = "aws-sdk-java/1.12.470 Linux/5.10.214 OpenJDK_64-Bit_Server_VM/17.0.7+7-LTS java/17.0.7 vendor/Eclipse_Adoptium";
const GITHUB_ACTIONS_CLI: &str = "aws-cli/2.17.5 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1022-azure md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython exe/x86_64.ubuntu.22 cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.cp";

/// Who makes an AWS call.
#[derive(Debug, Clone)]
pub(super) enum Who {
    /// A person's SSO session in an account, through one permission set (role index).
    Sso {
        person: usize,
        account: usize,
        role: usize,
    },
    User {
        account: usize,
        user: usize,
    },
    /// A session of a CI or workload role.
    Session {
        account: usize,
        role: usize,
        session: String,
    },
    Root {
        account: usize,
    },
    /// An AWS service acting on its own (assuming a service role).
    Service {
        account: usize,
        service: String,
    },
}

impl Who {
    pub fn account(&self) -> usize {
        match self {
            Who::Sso { account, .. }
            | Who::User { account, .. }
            | Who::Session { account, .. }
            | Who::Root { account }
            | Who::Service { account, .. } => *account,
        }
    }

    /// What this principal's policies allow.
    pub fn access(&self, world: &World) -> Access {
        let account = world.org.accounts.get(self.account());
        match self {
            Who::Sso { role, .. } | Who::Session { role, .. } => account
                .and_then(|a| a.roles.get(*role))
                .map_or(Access::ReadOnly, |r| r.access),
            Who::User { user, .. } => account
                .and_then(|a| a.users.get(*user))
                .map_or(Access::ReadOnly, |u| u.access),
            Who::Root { .. } | Who::Service { .. } => Access::Admin,
        }
    }

    /// The ARN that error messages name.
    pub fn arn(&self, world: &World) -> String {
        let Some(account) = world.org.accounts.get(self.account()) else {
            return String::new();
        };
        match self {
            Who::Sso { person, role, .. } => {
                let email = world
                    .org
                    .people
                    .get(*person)
                    .map_or("", |p| p.email.as_str());
                let role = account.roles.get(*role).map_or("", |r| r.name.as_str());
                format!("arn:aws:sts::{}:assumed-role/{role}/{email}", account.id)
            }
            Who::Session { role, session, .. } => {
                let role = account.roles.get(*role).map_or("", |r| r.name.as_str());
                format!("arn:aws:sts::{}:assumed-role/{role}/{session}", account.id)
            }
            Who::User { user, .. } => account
                .users
                .get(*user)
                .map(|u| u.arn(account))
                .unwrap_or_default(),
            Who::Root { .. } => format!("arn:aws:iam::{}:root", account.id),
            Who::Service { service, .. } => service.clone(),
        }
    }

    /// The person behind the call, if any.
    pub fn person(&self, world: &World) -> Option<usize> {
        match self {
            Who::Sso { person, .. } => Some(*person),
            Who::User { account, user } => {
                let owner = world
                    .org
                    .accounts
                    .get(*account)?
                    .users
                    .get(*user)?
                    .owner
                    .as_ref()?;
                world.org.people.iter().position(|p| &p.login == owner)
            }
            Who::Root { .. } => world
                .org
                .people
                .iter()
                .position(|p| p.admin && p.department == "Security"),
            Who::Session { .. } | Who::Service { .. } => None,
        }
    }

    /// `userIdentity` as CloudTrail records it.
    pub fn identity(&self, world: &World, at: DateTime<Utc>) -> Value {
        let Some(account) = world.org.accounts.get(self.account()) else {
            return Value::Null;
        };
        match self {
            Who::Sso { person, role, .. } => {
                let email = world
                    .org
                    .people
                    .get(*person)
                    .map_or("", |p| p.email.as_str());
                session_identity(account, *role, email, at, false)
            }
            Who::Session { role, session, .. } => {
                session_identity(account, *role, session, at, false)
            }
            Who::User { user, .. } => match account.users.get(*user) {
                Some(user) => json!({
                    "type": "IAMUser",
                    "principalId": user.principal_id,
                    "arn": user.arn(account),
                    "accountId": account.id,
                    "accessKeyId": user.access_key_id,
                    "userName": user.name,
                }),
                None => Value::Null,
            },
            Who::Root { .. } => json!({
                "type": "Root",
                "principalId": account.id,
                "arn": format!("arn:aws:iam::{}:root", account.id),
                "accountId": account.id,
                "accessKeyId": "",
            }),
            Who::Service { service, .. } => json!({ "type": "AWSService", "invokedBy": service }),
        }
    }

    /// Where the call comes from: people from their own address, workloads from the
    /// account's NAT gateway, CI from cloud runners, services from themselves.
    pub fn source_ip(&self, world: &World, rng: &mut StdRng) -> String {
        let account = world.org.accounts.get(self.account());
        if let Some(person) = self.person(world).and_then(|p| world.org.people.get(p)) {
            return person.ip.clone();
        }
        match self {
            Who::Service { service, .. } => service.clone(),
            Who::Session { role, .. }
                if account
                    .and_then(|a| a.roles.get(*role))
                    .is_some_and(|r| r.kind != RoleKind::Deploy) =>
            {
                account.map(|a| a.nat_ip.clone()).unwrap_or_default()
            }
            _ => ip(rng, CLOUD_OCTETS),
        }
    }

    /// The user agent: the console or the CLI for people, SDKs for machines.
    pub fn user_agent(&self, world: &World, rng: &mut StdRng) -> String {
        let account = world.org.accounts.get(self.account());
        match self {
            Who::Sso { person, .. } => match world.org.people.get(*person) {
                Some(p) if rng.gen_bool(0.4) => p.cli.clone(),
                _ => "AWS Internal".to_owned(),
            },
            Who::User { user, .. } => match account.and_then(|a| a.users.get(*user)) {
                Some(u) if u.name == "terraform-ci" => TERRAFORM.to_owned(),
                Some(u) if u.name == "jenkins-legacy" => JAVA_SDK.to_owned(),
                Some(u) if u.owner.is_some() => self
                    .person(world)
                    .and_then(|p| world.org.people.get(p))
                    .map_or(BOTO3.to_owned(), |p| p.cli.clone()),
                _ => BOTO3.to_owned(),
            },
            Who::Session { role, .. } => match account.and_then(|a| a.roles.get(*role)) {
                Some(r) if r.name == "terraform-apply" => TERRAFORM.to_owned(),
                Some(r) if r.kind == RoleKind::Deploy => GITHUB_ACTIONS_CLI.to_owned(),
                _ => pick_str(rng, &[BOTO3, GO_SDK]).to_owned(),
            },
            Who::Root { .. } => "AWS Internal".to_owned(),
            Who::Service { service, .. } => service.clone(),
        }
    }
}

/// An assumed-role identity: the session's ARN, the role as issuer, and session attributes.
fn session_identity(
    account: &AwsAccount,
    role: usize,
    session: &str,
    at: DateTime<Utc>,
    mfa: bool,
) -> Value {
    let Some(role) = account.roles.get(role) else {
        return Value::Null;
    };
    let (created, key) = session_key(account, session, at);
    json!({
        "type": "AssumedRole",
        "principalId": format!("{}:{session}", role.role_id),
        "arn": format!("arn:aws:sts::{}:assumed-role/{}/{session}", account.id, role.name),
        "accountId": account.id,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role.role_id,
                "arn": role.arn(account),
                "accountId": account.id,
                "userName": role.name,
            },
            "webIdFederationData": {},
            "attributes": { "creationDate": rfc3339(created), "mfaAuthenticated": mfa.to_string() },
        },
    })
}

/// When the session in use at `at` began, and its temporary key (stable within it).
pub(super) fn session_key(
    account: &AwsAccount,
    session: &str,
    at: DateTime<Utc>,
) -> (DateTime<Utc>, String) {
    let start = at.timestamp() - at.timestamp().rem_euclid(SESSION_SECONDS);
    let hash = stable_hash(&[
        account.id.as_bytes(),
        session.as_bytes(),
        &start.to_be_bytes(),
    ]);
    let created = DateTime::from_timestamp(start + (hash % 600) as i64, 0)
        .unwrap_or(at)
        .min(at);
    (created, aws_id("ASIA", &account.id_stem, hash, 20))
}

/// One API call, before it becomes a record.
pub(super) struct Call<'a> {
    pub who: &'a Who,
    pub source: &'a str,
    pub name: &'a str,
    pub region: &'a str,
    pub request: Value,
    pub response: Value,
    pub read_only: bool,
    /// `errorCode` and `errorMessage` of a failed call.
    pub error: Option<(&'a str, String)>,
    pub resources: Option<Value>,
    pub additional: Option<Value>,
    /// Replaces what `who` would give, for records that describe the caller differently.
    pub identity: Option<Value>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl<'a> Call<'a> {
    pub fn new(who: &'a Who, source: &'a str, name: &'a str, region: &'a str) -> Call<'a> {
        Call {
            who,
            source,
            name,
            region,
            request: Value::Null,
            response: Value::Null,
            read_only: false,
            error: None,
            resources: None,
            additional: None,
            identity: None,
            source_ip: None,
            user_agent: None,
        }
    }
}

/// The CloudTrail record for a call, as a delivery.
pub(super) fn record(
    world: &World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    call: Call,
) -> DemoDelivery {
    let account = world.org.accounts.get(call.who.account());
    let account_id = account.map(|a| a.id.clone()).unwrap_or_default();
    let sign_in = call.source == "signin.amazonaws.com";
    let data_event = call.source == "s3.amazonaws.com";
    let identity = call
        .identity
        .unwrap_or_else(|| call.who.identity(world, at));
    let mut body = with(
        json!({
            "eventVersion": if data_event { "1.10" } else { "1.08" },
            "eventTime": rfc3339(at),
            "eventSource": call.source,
            "eventName": call.name,
            "awsRegion": call.region,
            "sourceIPAddress": call.source_ip.unwrap_or_else(|| call.who.source_ip(world, rng)),
            "userAgent": call.user_agent.unwrap_or_else(|| call.who.user_agent(world, rng)),
            "eventID": uuid(rng),
            "readOnly": call.read_only,
            "eventType": if sign_in { "AwsConsoleSignIn" } else { "AwsApiCall" },
            "managementEvent": !data_event,
            "recipientAccountId": account_id,
            "eventCategory": if data_event { "Data" } else { "Management" },
        }),
        [
            ("userIdentity", identity),
            ("requestParameters", call.request),
            ("responseElements", call.response),
        ],
    );
    if !sign_in {
        body["requestID"] = json!(if data_event {
            s3_request_id(rng)
        } else {
            uuid(rng)
        });
    }
    if !matches!(call.who, Who::Service { .. }) {
        let host = if sign_in {
            "signin.aws.amazon.com".to_owned()
        } else if data_event {
            format!("s3.{}.amazonaws.com", call.region)
        } else {
            call.source.to_owned()
        };
        body["tlsDetails"] = json!({ "tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": host });
    }
    if let Some((code, message)) = call.error {
        body["errorCode"] = json!(code);
        body["errorMessage"] = json!(message);
    }
    if let Some(resources) = call.resources {
        body["resources"] = resources;
    }
    if let Some(additional) = call.additional {
        body["additionalEventData"] = additional;
    }
    DemoDelivery::Cloudtrail {
        at,
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}

/// S3's own request ids: sixteen upper-case hex characters.
fn s3_request_id(rng: &mut StdRng) -> String {
    format!("{:016X}", rng.gen::<u64>())
}

/// The message AWS gives when a principal's policies do not allow an action.
pub(super) fn not_authorized(world: &World, who: &Who, action: &str, resource: &str) -> String {
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action",
        who.arn(world)
    )
}

/// A person with at least `at_least` access, in their SSO session in an account (random
/// when `None`), through the permission set they have there: developers only read production.
pub(super) fn sso(
    world: &World,
    rng: &mut StdRng,
    account: Option<usize>,
    at_least: Access,
) -> Option<Who> {
    let person = world.person(rng, |_, p| p.aws >= Some(at_least))?;
    let account = account.unwrap_or_else(|| world.any_account(rng));
    let access = world.org.people.get(person)?.aws?;
    let env = world.org.accounts.get(account)?;
    let access = if env.environment == "production" && access == Access::Write {
        Access::ReadOnly
    } else {
        access
    };
    let role = env
        .roles
        .iter()
        .position(|r| r.kind == RoleKind::Sso && r.access == access)
        .or_else(|| env.roles.iter().position(|r| r.kind == RoleKind::Sso))?;
    Some(Who::Sso {
        person,
        account,
        role,
    })
}

/// A session of the role named `name` in `account`.
pub(super) fn session(world: &World, account: usize, name: &str, session: String) -> Option<Who> {
    let role = world
        .org
        .accounts
        .get(account)?
        .roles
        .iter()
        .position(|r| r.name == name)?;
    Some(Who::Session {
        account,
        role,
        session,
    })
}

/// The IAM user named `name` in `account`.
pub(super) fn iam_user(world: &World, account: usize, name: &str) -> Option<Who> {
    let user = world
        .org
        .accounts
        .get(account)?
        .users
        .iter()
        .position(|u| u.name == name)?;
    Some(Who::User { account, user })
}

/// Session names workloads use: ECS task ids, Lambda function names, instance ids.
pub(super) fn workload_session(rng: &mut StdRng, service: &str) -> String {
    match service {
        "lambda.amazonaws.com" => pick_str(
            rng,
            &["etl-nightly-export", "etl-hourly-ingest", "etl-compaction"],
        )
        .to_owned(),
        "ec2.amazonaws.com" => format!("i-0{:016x}", rng.gen::<u64>()),
        _ => format!("{:032x}", rng.gen::<u128>()),
    }
}

/// An expiry as STS writes it in credentials.
pub(super) fn expiration(at: DateTime<Utc>, seconds: i64) -> String {
    aws_date(at + Duration::seconds(seconds))
}
