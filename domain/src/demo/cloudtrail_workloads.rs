//! Workloads in the demo's AWS accounts: S3 object reads and writes (mostly by services,
//! sometimes refused) and EC2 calls, including launches people are not allowed to make.

use super::cloudtrail::{
    iam_user, not_authorized, record, session, sso, workload_session, Call, Who,
};
use super::ids::{aws_id, pick, pick_str, uuid};
use super::org::Access;
use super::world::World;
use super::DemoDelivery;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

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
    let account = world.any_account(rng);
    let roll: f64 = rng.gen();
    let who = if roll < 0.6 {
        let roles = world.service_roles(account)?;
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
    let account = world.any_account(rng);
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
        _ => world.any_account(rng),
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
    let token = uuid(rng).to_uppercase();
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
            "requestId": uuid(rng),
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
