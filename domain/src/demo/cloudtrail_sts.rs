//! Signing in and getting credentials in the demo's AWS accounts: console sign-ins (some
//! without MFA, some failing, a few password sprays from abroad), role assumption and
//! identity checks.

use super::cloudtrail::{
    expiration, iam_user, not_authorized, record, session, session_key, sso, workload_session,
    Call, Who, GLOBAL_REGION,
};
use super::ids::{ip, pick, pick_str};
use super::org::Access;
use super::roster::FOREIGN_OCTETS;
use super::world::World;
use super::DemoDelivery;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

const LOGIN_TO: &str = "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1";

/// How a console sign-in goes.
enum SignIn {
    Success {
        mfa: bool,
    },
    /// Someone mistyping their own password.
    WrongPassword,
    /// Password spraying from abroad against a real user name.
    Spray,
}

/// Console sign-ins: mostly SSO sessions, some through the sandbox's old IAM users (not all
/// with MFA), a few failures, and rarely the root user.
pub(super) fn console_login(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let sandbox = world
        .org
        .accounts
        .iter()
        .position(|a| a.environment == "sandbox")
        .unwrap_or(0);
    let env = world.org.accounts.get(sandbox)?;
    // Old IAM users of people still here (leavers' users are not signed in to).
    let humans: Vec<(usize, bool)> = env
        .users
        .iter()
        .enumerate()
        .filter(|(_, u)| {
            u.owner.as_ref().is_some_and(|owner| {
                let person = world.org.people.iter().position(|p| &p.login == owner);
                person
                    .and_then(|p| world.active.get(p))
                    .copied()
                    .unwrap_or(false)
            })
        })
        .map(|(i, u)| (i, u.mfa))
        .collect();
    let roll: f64 = rng.gen();
    let (who, outcome) = if roll < 0.72 || humans.is_empty() {
        (
            sso(world, rng, None, Access::ReadOnly)?,
            SignIn::Success { mfa: false },
        )
    } else if roll < 0.985 {
        let (user, mfa) = *pick(rng, &humans)?;
        let outcome = match roll {
            r if r < 0.88 => SignIn::Success { mfa },
            r if r < 0.94 => SignIn::WrongPassword,
            _ => SignIn::Spray,
        };
        (
            Who::User {
                account: sandbox,
                user,
            },
            outcome,
        )
    } else {
        let account = world.any_account(rng);
        (Who::Root { account }, SignIn::Success { mfa: true })
    };
    let failed = !matches!(outcome, SignIn::Success { .. });
    let mut call = Call::new(&who, "signin.amazonaws.com", "ConsoleLogin", GLOBAL_REGION);
    call.response = json!({ "ConsoleLogin": if failed { "Failure" } else { "Success" } });
    call.additional = Some(json!({
        "LoginTo": LOGIN_TO,
        "MobileVersion": "No",
        "MFAUsed": if matches!(outcome, SignIn::Success { mfa: true }) { "Yes" } else { "No" },
    }));
    if failed {
        call.error = Some(("Failed authentication", "Failed authentication".to_owned()));
    }
    call.user_agent = who
        .person(world)
        .and_then(|p| world.org.people.get(p))
        .map(|p| p.browser.clone());
    if let Who::User { .. } = who {
        // Console sessions of IAM users carry no access key.
        let mut identity = who.identity(world, at);
        if let Some(fields) = identity.as_object_mut() {
            fields.remove("accessKeyId");
        }
        call.identity = Some(identity);
    }
    if let SignIn::Spray = outcome {
        // The record names the address the attempt came from, not the user's usual one.
        call.source_ip = Some(ip(rng, FOREIGN_OCTETS));
        call.user_agent = Some(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0"
                .to_owned(),
        );
    }
    Some(record(world, rng, at, call))
}

/// Role assumption: Terraform's CI user, AWS services for workloads, and now and then a
/// person trying a CI role their permission set does not allow.
pub(super) fn assume_role(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let account = world.any_account(rng);
    let roll: f64 = rng.gen();
    let (who, role_name, session_name) = if roll < 0.4 {
        let who = iam_user(world, account, "terraform-ci")?;
        (
            who,
            "terraform-apply".to_owned(),
            format!("terraform-{}", at.timestamp()),
        )
    } else if roll < 0.85 {
        let roles = world.service_roles(account)?;
        let (role, service) = pick(rng, &roles)?.clone();
        let session = workload_session(rng, &service);
        (Who::Service { account, service }, role, session)
    } else {
        let who = sso(world, rng, Some(account), Access::ReadOnly)?;
        let login = who
            .person(world)
            .and_then(|p| world.org.people.get(p))
            .map(|p| p.login.clone())?;
        (
            who,
            pick_str(rng, &["terraform-apply", "github-actions-deploy"]).to_owned(),
            login,
        )
    };
    let env = world.org.accounts.get(account)?;
    let role = env.roles.iter().find(|r| r.name == role_name)?;
    let role_arn = role.arn(env);
    let duration = if matches!(who, Who::Service { .. }) {
        3_600
    } else {
        900
    };
    let (_, key) = session_key(env, &session_name, at);
    let resources = json!([{ "accountId": env.id, "type": "AWS::IAM::Role", "ARN": role_arn }]);
    let denied = matches!(who, Who::Sso { .. }) && who.access(world) < Access::Admin;
    let mut call = Call::new(&who, "sts.amazonaws.com", "AssumeRole", GLOBAL_REGION);
    call.read_only = true;
    call.request = json!({ "roleArn": role_arn, "roleSessionName": session_name, "durationSeconds": duration });
    if denied {
        call.request = Value::Null;
        call.error = Some((
            "AccessDenied",
            not_authorized(world, &who, "sts:AssumeRole", &role_arn),
        ));
    } else {
        call.response = json!({
            "credentials": {
                "accessKeyId": key,
                "sessionToken": session_token(rng),
                "expiration": expiration(at, duration),
            },
            "assumedRoleUser": {
                "assumedRoleId": format!("{}:{session_name}", role.role_id),
                "arn": format!("arn:aws:sts::{}:assumed-role/{}/{session_name}", env.id, role.name),
            },
        });
        call.resources = Some(resources);
    }
    Some(record(world, rng, at, call))
}

fn session_token(rng: &mut StdRng) -> String {
    let bytes: [[u8; 16]; 3] = rng.gen();
    format!("IQoJb3JpZ2luX2VjE{}", hex::encode(bytes.concat()))
}

pub(super) fn get_caller_identity(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let account = world.any_account(rng);
    let roll: f64 = rng.gen();
    let who = if roll < 0.6 {
        sso(world, rng, Some(account), Access::ReadOnly)
    } else if roll < 0.85 {
        let users = world.org.accounts.get(account)?.users.len();
        Some(Who::User {
            account,
            user: rng.gen_range(0..users.max(1)),
        })
    } else {
        session(
            world,
            account,
            "github-actions-deploy",
            "GitHubActions".to_owned(),
        )
    };
    let who = who.unwrap_or(Who::User { account, user: 0 });
    let mut call = Call::new(
        &who,
        "sts.amazonaws.com",
        "GetCallerIdentity",
        GLOBAL_REGION,
    );
    call.read_only = true;
    Some(record(world, rng, at, call))
}
