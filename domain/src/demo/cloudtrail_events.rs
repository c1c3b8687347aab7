//! Everyday AWS activity in the demo: console sign-ins, role assumption, identity checks,
//! S3 object reads and writes, and EC2 calls, with the failures real accounts see
//! (wrong passwords, sign-ins without MFA, calls a permission set does not allow).

use super::cloudtrail::{
    expiration, iam_user, not_authorized, record, session, session_key, sso, workload_session,
    Call, Who, GLOBAL_REGION,
};
use super::ids::{aws_id, ip, pick, pick_str};
use super::org::{Access, RoleKind};
use super::roster::FOREIGN_OCTETS;
use super::world::World;
use super::DemoDelivery;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

const LOGIN_TO: &str = "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1";

pub(super) fn console_login(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let roll: f64 = rng.gen();
    let sandbox = world
        .org
        .accounts
        .iter()
        .position(|a| a.environment == "sandbox")
        .unwrap_or(0);
    let humans: Vec<usize> = world
        .org
        .accounts
        .get(sandbox)?
        .users
        .iter()
        .enumerate()
        .filter(|(_, u)| u.owner.is_some())
        .map(|(i, _)| i)
        .collect();
    let (who, mfa, failure, attacker) = if roll < 0.72 {
        (
            sso(world, rng, None, Access::ReadOnly)?,
            false,
            false,
            false,
        )
    } else if roll < 0.88 {
        let user = *pick(rng, &humans)?;
        let mfa = world.org.accounts.get(sandbox)?.users.get(user)?.mfa;
        (
            Who::User {
                account: sandbox,
                user,
            },
            mfa,
            false,
            false,
        )
    } else if roll < 0.94 {
        // Someone mistyping their own password.
        (
            Who::User {
                account: sandbox,
                user: *pick(rng, &humans)?,
            },
            false,
            true,
            false,
        )
    } else if roll < 0.985 {
        // Password spraying from abroad against a real user name.
        (
            Who::User {
                account: sandbox,
                user: *pick(rng, &humans)?,
            },
            false,
            true,
            true,
        )
    } else {
        let account = rng.gen_range(0..world.org.accounts.len().max(1));
        (Who::Root { account }, true, false, false)
    };
    let mut call = Call::new(&who, "signin.amazonaws.com", "ConsoleLogin", GLOBAL_REGION);
    call.response = json!({ "ConsoleLogin": if failure { "Failure" } else { "Success" } });
    call.additional = Some(json!({
        "LoginTo": LOGIN_TO,
        "MobileVersion": "No",
        "MFAUsed": if mfa { "Yes" } else { "No" },
    }));
    if failure {
        call.error = Some(("Failed authentication", "Failed authentication".to_owned()));
    }
    let browser = who
        .person(world)
        .and_then(|p| world.org.people.get(p))
        .map(|p| p.browser.clone());
    call.user_agent = browser;
    if let Who::User { .. } = who {
        // Console sessions of IAM users carry no access key.
        let mut identity = who.identity(world, at);
        if let Some(fields) = identity.as_object_mut() {
            fields.remove("accessKeyId");
        }
        call.identity = Some(identity);
    }
    if attacker {
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
    let account = rng.gen_range(0..world.org.accounts.len().max(1));
    let roll: f64 = rng.gen();
    let (who, role_name, session_name) = if roll < 0.4 {
        let who = iam_user(world, account, "terraform-ci")?;
        (
            who,
            "terraform-apply".to_owned(),
            format!("terraform-{}", at.timestamp()),
        )
    } else if roll < 0.85 {
        let roles: Vec<(String, String)> = world
            .org
            .accounts
            .get(account)?
            .roles
            .iter()
            .filter_map(|r| match &r.kind {
                RoleKind::Service(service) => Some((r.name.clone(), service.clone())),
                _ => None,
            })
            .collect();
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
    let assumed = json!({
        "assumedRoleId": format!("{}:{session_name}", role.role_id),
        "arn": format!("arn:aws:sts::{}:assumed-role/{}/{session_name}", env.id, role.name),
    });
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
            "assumedRoleUser": assumed,
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
    let account = rng.gen_range(0..world.org.accounts.len().max(1));
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
    let who = match who {
        Some(who) => who,
        None => Who::User { account, user: 0 },
    };
    let mut call = Call::new(
        &who,
        "sts.amazonaws.com",
        "GetCallerIdentity",
        GLOBAL_REGION,
    );
    call.read_only = true;
    Some(record(world, rng, at, call))
}

/// Object keys that look like what each bucket holds.
fn object_key(rng: &mut StdRng, bucket: &str, at: DateTime<Utc>) -> String {
    let day = at.format("%Y/%m/%d");
    let part = rng.gen_range(0..64);
    if bucket.ends_with("payments-exports") {
        format!(
            "settlements/{day}/settlement-{:06}.csv",
            rng.gen_range(0..999_999)
        )
    } else if bucket.ends_with("data-lake") {
        format!(
            "raw/events/dt={}/part-{part:05}.snappy.parquet",
            at.format("%Y-%m-%d")
        )
    } else if bucket.ends_with("artifacts") {
        let service = pick_str(
            rng,
            &[
                "payments-api",
                "ledger",
                "web-app",
                "auth-service",
                "api-gateway",
            ],
        );
        format!("{service}/{:012x}.tar.gz", rng.gen::<u64>() >> 16)
    } else if bucket.ends_with("backups") {
        format!("postgres/{day}/base-{part:03}.tar.zst")
    } else {
        format!(
            "tmp/{}/notes-{part}.txt",
            pick_str(rng, &["experiments", "load-test", "scratch"])
        )
    }
}

/// S3 GetObject / PutObject, mostly by workloads; people reading exports are sometimes
/// refused by the bucket policy.
pub(super) fn s3_object(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    put: bool,
) -> Option<DemoDelivery> {
    let account = rng.gen_range(0..world.org.accounts.len().max(1));
    let roll: f64 = rng.gen();
    let who = if roll < 0.6 {
        let roles: Vec<(String, String)> = world
            .org
            .accounts
            .get(account)?
            .roles
            .iter()
            .filter_map(|r| match &r.kind {
                RoleKind::Service(service) => Some((r.name.clone(), service.clone())),
                _ => None,
            })
            .collect();
        let (role, service) = pick(rng, &roles)?.clone();
        session(world, account, &role, workload_session(rng, &service))
    } else if roll < 0.75 {
        session(
            world,
            account,
            "github-actions-deploy",
            "GitHubActions".to_owned(),
        )
    } else if roll < 0.95 {
        sso(world, rng, Some(account), Access::ReadOnly)
    } else {
        iam_user(world, account, "backup-agent")
            .or_else(|| iam_user(world, account, "jenkins-legacy"))
    }?;
    let bucket = pick(rng, &world.org.accounts.get(account)?.buckets)?.clone();
    let key = object_key(rng, &bucket, at);
    let denied = (put && who.access(world) < Access::Write)
        || (matches!(who, Who::Sso { .. })
            && bucket.ends_with("payments-exports")
            && rng.gen_bool(0.3));
    s3_call(world, rng, at, &who, &bucket, &key, put, denied)
}

/// The artifact upload a production deployment does.
pub(super) fn artifact_upload(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    repo: usize,
    sha: &str,
) -> Option<DemoDelivery> {
    let account = world
        .org
        .accounts
        .iter()
        .position(|a| a.environment == "production")?;
    let who = session(
        world,
        account,
        "github-actions-deploy",
        "GitHubActions".to_owned(),
    )?;
    let bucket = world
        .org
        .accounts
        .get(account)?
        .buckets
        .iter()
        .find(|b| b.ends_with("artifacts"))?
        .clone();
    let name = &world.org.repos.get(repo)?.name;
    let key = format!("{name}/{sha}.tar.gz");
    s3_call(world, rng, at, &who, &bucket, &key, true, false)
}

#[allow(clippy::too_many_arguments)]
fn s3_call(
    world: &World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
    who: &Who,
    bucket: &str,
    key: &str,
    put: bool,
    denied: bool,
) -> Option<DemoDelivery> {
    let env = world.org.accounts.get(who.account())?;
    let region = env.region.clone();
    let size = rng.gen_range(200..40_000_000u64);
    let mut call = Call::new(
        who,
        "s3.amazonaws.com",
        if put { "PutObject" } else { "GetObject" },
        &region,
    );
    call.read_only = !put;
    call.request = json!({ "bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"), "key": key });
    call.resources = Some(json!([
        { "type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{key}") },
        { "accountId": env.id, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}") },
    ]));
    call.additional = Some(json!({
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": if put && !denied { size } else { 0 },
        "bytesTransferredOut": if !put && !denied { size } else { 0 },
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": format!("{:032x}", rng.gen::<u128>()),
    }));
    if denied {
        call.error = Some(("AccessDenied", "Access Denied".to_owned()));
    } else if put {
        call.response = json!({ "x-amz-server-side-encryption": "aws:kms", "x-amz-version-id": format!("{:032x}", rng.gen::<u128>()) });
    }
    Some(record(world, rng, at, call))
}

fn ec2_principal(world: &World, rng: &mut StdRng, account: usize) -> Option<Who> {
    if rng.gen_bool(0.65) {
        sso(world, rng, Some(account), Access::ReadOnly)
    } else {
        session(
            world,
            account,
            "terraform-apply",
            format!(
                "terraform-{}",
                rng.gen_range(1_700_000_000..1_800_000_000u64)
            ),
        )
    }
}

pub(super) fn describe_instances(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let account = rng.gen_range(0..world.org.accounts.len().max(1));
    let who = ec2_principal(world, rng, account)?;
    let region = world.org.accounts.get(account)?.region.clone();
    let mut call = Call::new(&who, "ec2.amazonaws.com", "DescribeInstances", &region);
    call.read_only = true;
    call.request = json!({ "instancesSet": {}, "filterSet": {} });
    Some(record(world, rng, at, call))
}

/// Launching an instance: Terraform in any account, people mostly in the sandbox; people
/// without write access are refused.
pub(super) fn run_instances(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let sandbox = world
        .org
        .accounts
        .iter()
        .position(|a| a.environment == "sandbox");
    let account = match sandbox {
        Some(sandbox) if rng.gen_bool(0.6) => sandbox,
        _ => rng.gen_range(0..world.org.accounts.len().max(1)),
    };
    let who = ec2_principal(world, rng, account)?;
    let env = world.org.accounts.get(account)?;
    let region = env.region.clone();
    let account_id = env.id.clone();
    let instance_type = pick_str(
        rng,
        &[
            "t3.micro",
            "t3.medium",
            "m6i.large",
            "c6i.xlarge",
            "g5.xlarge",
        ],
    );
    let image = format!("ami-0{:016x}", rng.gen::<u64>());
    let token = super::ids::uuid(rng).to_uppercase();
    let mut call = Call::new(&who, "ec2.amazonaws.com", "RunInstances", &region);
    call.request = json!({
        "instancesSet": { "items": [{ "imageId": image, "minCount": 1, "maxCount": 1 }] },
        "instanceType": instance_type,
        "blockDeviceMapping": {},
        "monitoring": { "enabled": false },
        "disableApiTermination": false,
        "disableApiStop": false,
        "clientToken": token,
        "tagSpecificationSet": { "items": [{ "resourceType": "instance", "tags": [{ "key": "Owner", "value": who.arn(world) }] }] },
    });
    if who.access(world) < Access::Write {
        let resource = format!("arn:aws:ec2:{region}:{account_id}:instance/*");
        call.error = Some((
            "Client.UnauthorizedOperation",
            format!(
                "You are not authorized to perform this operation. {} Encoded authorization failure message: {}",
                not_authorized(world, &who, "ec2:RunInstances", &resource),
                aws_id("", "", rng.gen(), 48)
            ),
        ));
    } else {
        let instance = format!("i-0{:016x}", rng.gen::<u64>());
        let private_ip = format!(
            "10.{}.{}.{}",
            rng.gen_range(0..4),
            rng.gen_range(0..255),
            rng.gen_range(4..250)
        );
        call.response = json!({
            "requestId": super::ids::uuid(rng),
            "reservationId": format!("r-0{:016x}", rng.gen::<u64>()),
            "ownerId": account_id,
            "groupSet": {},
            "instancesSet": { "items": [{
                "instanceId": instance,
                "imageId": image,
                "instanceState": { "code": 0, "name": "pending" },
                "privateDnsName": format!("ip-{}.ec2.internal", private_ip.replace('.', "-")),
                "amiLaunchIndex": 0,
                "instanceType": instance_type,
                "launchTime": at.timestamp_millis(),
                "placement": { "availabilityZone": format!("{region}a"), "tenancy": "default" },
                "monitoring": { "state": "disabled" },
                "privateIpAddress": private_ip,
                "stateReason": { "code": "pending", "message": "pending" },
                "architecture": "x86_64",
                "rootDeviceType": "ebs",
                "rootDeviceName": "/dev/xvda",
                "clientToken": token,
            }] },
        });
    }
    Some(record(world, rng, at, call))
}
