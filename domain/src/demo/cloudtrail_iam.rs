//! IAM changes in the demo's AWS accounts: new users and what they get (groups, policies,
//! access keys), key rotation and offboarding, and edits to roles' policies and trust.
//! Mostly by administrators; now and then someone without the rights tries and is refused.

use super::cloudtrail::{not_authorized, record, session, sso, Call, Who, GLOBAL_REGION};
use super::ids::{aws_date, aws_id, mix, pick, pick_str, weighted};
use super::org::{Access, IamUser, RoleKind};
use super::world::{AccessKey, FollowUp, IamStep, World};
use super::DemoDelivery;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

const IAM: &str = "iam.amazonaws.com";

const POLICIES: &[&str] = &[
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonEC2FullAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/AdministratorAccess",
];

const SERVICE_USERS: &[&str] = &[
    "svc-reporting",
    "svc-backup-verify",
    "svc-analytics-export",
    "svc-vendor-sftp",
    "svc-grafana",
    "svc-datadog",
];

/// Whoever makes an IAM change: usually an administrator's SSO session, sometimes someone
/// with less access (who will be refused).
fn changer(world: &World, rng: &mut StdRng, account: usize) -> Option<Who> {
    let at_least = if rng.gen_bool(0.88) {
        Access::Admin
    } else {
        Access::ReadOnly
    };
    sso(world, rng, Some(account), at_least)
}

fn random_account(world: &World, rng: &mut StdRng) -> usize {
    // The sandbox sees the most churn; production the least.
    let weights = world
        .org
        .accounts
        .iter()
        .map(|a| if a.environment == "sandbox" { 2.0 } else { 1.0 });
    weighted(rng, weights).unwrap_or(0)
}

fn iam_call<'a>(
    world: &World,
    who: &'a Who,
    name: &'a str,
    action: &str,
    resource: &str,
) -> Call<'a> {
    let mut call = Call::new(who, IAM, name, GLOBAL_REGION);
    if who.access(world) < Access::Admin {
        call.error = Some(("AccessDenied", not_authorized(world, who, action, resource)));
    }
    call
}

pub(super) fn create_user(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let account = random_account(world, rng);
    let who = changer(world, rng, account)?;
    let env = world.org.accounts.get(account)?;
    let name = if env.environment == "sandbox" && rng.gen_bool(0.5) {
        let login = world
            .person(rng, |_, p| p.aws.is_some())
            .and_then(|p| world.org.people.get(p))
            .map(|p| p.login.clone())?;
        login
    } else {
        pick_str(rng, SERVICE_USERS).to_owned()
    };
    let name = if env.users.iter().any(|u| u.name == name) {
        world.new_users += 1;
        format!("{name}-{}", world.new_users + 1)
    } else {
        name
    };
    let arn = format!("arn:aws:iam::{}:user/{name}", env.id);
    let bits = mix(rng.gen());
    let user = IamUser {
        name: name.clone(),
        principal_id: aws_id("AIDA", &env.id_stem, bits, 21),
        access_key_id: String::new(),
        access: Access::ReadOnly,
        owner: None,
        mfa: false,
    };
    let mut call = iam_call(world, &who, "CreateUser", "iam:CreateUser", &arn);
    call.request = json!({ "path": "/", "userName": name });
    if call.error.is_none() {
        call.response = json!({
            "user": {
                "path": "/",
                "userName": name,
                "userId": user.principal_id,
                "arn": arn,
                "createDate": aws_date(at),
            } ,
        });
        if let Some(env) = world.org.accounts.get_mut(account) {
            env.users.push(user);
        }
        for (step, chance) in [
            (IamStep::AddToGroup, 0.8),
            (IamStep::AttachPolicy, 0.4),
            (IamStep::CreateKey, 0.7),
        ] {
            if rng.gen_bool(chance) {
                world.follow_up(FollowUp::Iam {
                    account,
                    user: name.clone(),
                    who: who.clone(),
                    step,
                });
            }
        }
    }
    Some(record(world, rng, at, call))
}

/// A user of the account: the one given, or any.
fn user_name(
    world: &World,
    rng: &mut StdRng,
    account: usize,
    given: Option<&str>,
) -> Option<String> {
    match given {
        Some(name) => Some(name.to_owned()),
        None => pick(rng, &world.org.accounts.get(account)?.users).map(|u| u.name.clone()),
    }
}

/// A follow-up step on a user, or the same change made on its own (`target` is `None`).
pub(super) fn iam_step(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    step: IamStep,
    target: Option<(usize, &str, &Who)>,
) -> Option<DemoDelivery> {
    let account = target.map_or_else(|| random_account(world, rng), |(account, _, _)| account);
    let who = match target {
        Some((_, _, who)) => who.clone(),
        None => changer(world, rng, account)?,
    };
    let user = user_name(world, rng, account, target.map(|(_, user, _)| user))?;
    let env = world.org.accounts.get(account)?;
    let arn = format!("arn:aws:iam::{}:user/{user}", env.id);
    let stem = env.id_stem.clone();
    let delivery = match step {
        IamStep::AddToGroup => {
            let group = pick(rng, &env.groups)?.clone();
            let group_arn = format!("arn:aws:iam::{}:group/{group}", env.id);
            let mut call = iam_call(
                world,
                &who,
                "AddUserToGroup",
                "iam:AddUserToGroup",
                &group_arn,
            );
            call.request = json!({ "groupName": group, "userName": user });
            record(world, rng, at, call)
        }
        IamStep::AttachPolicy => {
            // Administrator access is the rare, alarming choice.
            let policy = if rng.gen_bool(0.1) {
                POLICIES.last().copied().unwrap_or_default()
            } else {
                pick_str(rng, POLICIES)
            };
            let mut call = iam_call(
                world,
                &who,
                "AttachUserPolicy",
                "iam:AttachUserPolicy",
                &arn,
            );
            call.request = json!({ "userName": user, "policyArn": policy });
            record(world, rng, at, call)
        }
        IamStep::CreateKey => {
            let key = aws_id("AKIA", &stem, mix(rng.gen()), 20);
            let mut call = iam_call(world, &who, "CreateAccessKey", "iam:CreateAccessKey", &arn);
            call.request = json!({ "userName": user });
            if call.error.is_none() {
                call.response = json!({
                    "accessKey": {
                        "accessKeyId": key,
                        "status": "Active",
                        "userName": user,
                        "createDate": aws_date(at),
                    } ,
                });
                world.keys.push(AccessKey {
                    account,
                    user: user.clone(),
                    id: key,
                });
                if target.is_none() && rng.gen_bool(0.6) {
                    // Rotation: the old key goes once the new one is in use.
                    world.follow_up(FollowUp::Iam {
                        account,
                        user: user.clone(),
                        who: who.clone(),
                        step: IamStep::DeleteKey,
                    });
                }
            }
            record(world, rng, at, call)
        }
        IamStep::DeleteKey => {
            let remembered = world
                .keys
                .iter()
                .position(|k| k.account == account && k.user == user);
            let original = env
                .users
                .iter()
                .find(|u| u.name == user)
                .map(|u| u.access_key_id.clone())
                .filter(|k| !k.is_empty());
            let key = match (original, remembered) {
                (Some(key), _) => key,
                (None, Some(index)) => world.keys.get(index)?.id.clone(),
                (None, None) => aws_id("AKIA", &stem, mix(rng.gen()), 20),
            };
            let mut call = iam_call(world, &who, "DeleteAccessKey", "iam:DeleteAccessKey", &arn);
            call.request = json!({ "userName": user, "accessKeyId": key });
            if call.error.is_none() {
                world.keys.retain(|k| k.id != key);
                if let Some(u) = world
                    .org
                    .accounts
                    .get_mut(account)
                    .and_then(|a| a.users.iter_mut().find(|u| u.name == user))
                {
                    if u.access_key_id == key {
                        u.access_key_id.clear();
                    }
                }
            }
            record(world, rng, at, call)
        }
    };
    Some(delivery)
}

fn role_changer(world: &World, rng: &mut StdRng, account: usize) -> Option<Who> {
    if rng.gen_bool(0.4) {
        session(
            world,
            account,
            "terraform-apply",
            format!(
                "terraform-{}",
                rng.gen_range(1_700_000_000..1_800_000_000u64)
            ),
        )
    } else {
        changer(world, rng, account)
    }
}

/// An inline policy is put on a CI or workload role.
pub(super) fn put_role_policy(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let account = random_account(world, rng);
    let who = role_changer(world, rng, account)?;
    let env = world.org.accounts.get(account)?;
    let roles: Vec<&str> = env
        .roles
        .iter()
        .filter(|r| r.kind != RoleKind::Sso)
        .map(|r| r.name.as_str())
        .collect();
    let role = (*pick(rng, &roles)?).to_owned();
    let (policy, actions, resource) = *pick(
        rng,
        &[
            (
                "artifact-upload",
                "\"s3:PutObject\",\"s3:GetObject\"",
                "arn:aws:s3:::acme-corp-*-artifacts/*",
            ),
            (
                "exports-read",
                "\"s3:GetObject\",\"s3:ListBucket\"",
                "arn:aws:s3:::acme-corp-prod-payments-exports/*",
            ),
            ("kms-decrypt", "\"kms:Decrypt\"", "*"),
            ("ecr-push", "\"ecr:*\"", "*"),
        ],
    )?;
    let document = format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":[{actions}],\"Resource\":\"{resource}\"}}]}}"
    );
    let role_arn = format!("arn:aws:iam::{}:role/{role}", env.id);
    let mut call = iam_call(world, &who, "PutRolePolicy", "iam:PutRolePolicy", &role_arn);
    call.request = json!({ "roleName": role, "policyName": policy, "policyDocument": document });
    Some(record(world, rng, at, call))
}

/// The trust policy of the GitHub Actions role changes; sometimes it is widened to every
/// branch of every repository, which is worth a second look.
pub(super) fn update_assume_role_policy(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let account = random_account(world, rng);
    let who = role_changer(world, rng, account)?;
    let env = world.org.accounts.get(account)?;
    let subject = if rng.gen_bool(0.25) {
        format!("repo:{}/*", world.org.org)
    } else {
        format!("repo:{}/*:ref:refs/heads/main", world.org.org)
    };
    let document = format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Federated\":\"arn:aws:iam::{}:oidc-provider/token.actions.githubusercontent.com\"}},\"Action\":\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{{\"StringLike\":{{\"token.actions.githubusercontent.com:sub\":\"{subject}\"}}}}}}]}}",
        env.id
    );
    let role_arn = format!("arn:aws:iam::{}:role/github-actions-deploy", env.id);
    let mut call = iam_call(
        world,
        &who,
        "UpdateAssumeRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        &role_arn,
    );
    call.request = json!({ "roleName": "github-actions-deploy", "policyDocument": document });
    Some(record(world, rng, at, call))
}
