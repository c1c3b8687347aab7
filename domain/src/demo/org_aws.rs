//! The AWS side of the demo organisation: three accounts, their IAM users, SSO permission
//! sets, CI and workload roles, and buckets.

use super::ids::{aws_id, aws_stem, ip, mix};
use super::org::{Access, AwsAccount, IamRole, IamUser, Membership, Person, RoleKind};
use super::roster;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

pub(super) fn account(
    rng: &mut StdRng,
    spec: &(&str, &str, &str),
    people: &[Person],
) -> AwsAccount {
    let (name, environment, region) = *spec;
    let id = format!(
        "{}{:011}",
        rng.gen_range(1..10),
        rng.gen_range(0..100_000_000_000u64)
    );
    let stem = aws_stem(rng);
    let mut users = vec![machine_user(rng, &stem, "terraform-ci", Access::ReadOnly)];
    let mut roles = Vec::new();
    for (set, access) in [
        ("AdministratorAccess", Access::Admin),
        ("PowerUserAccess", Access::Write),
        ("ReadOnlyAccess", Access::ReadOnly),
    ] {
        let suffix = hex::encode(rng.gen::<[u8; 8]>());
        let path = format!("/aws-reserved/sso.amazonaws.com/{region}/");
        roles.push(role(
            rng,
            &stem,
            &format!("AWSReservedSSO_{set}_{suffix}"),
            &path,
            access,
            RoleKind::Sso,
        ));
    }
    roles.push(role(
        rng,
        &stem,
        "github-actions-deploy",
        "/",
        Access::Write,
        RoleKind::Deploy,
    ));
    roles.push(role(
        rng,
        &stem,
        "terraform-apply",
        "/",
        Access::Admin,
        RoleKind::Deploy,
    ));
    let buckets: Vec<String> = match environment {
        "production" => {
            users.push(machine_user(rng, &stem, "backup-agent", Access::Write));
            let security = people
                .iter()
                .find(|p| p.department == "Security" && p.admin);
            users.push(IamUser {
                owner: security.map(|p| p.login.clone()),
                mfa: true,
                ..machine_user(rng, &stem, "breakglass-admin", Access::Admin)
            });
            vec![
                "prod-artifacts",
                "prod-payments-exports",
                "prod-data-lake",
                "prod-backups",
            ]
        }
        "staging" => {
            users.push(machine_user(rng, &stem, "qa-automation", Access::Write));
            vec!["staging-artifacts", "staging-data-lake"]
        }
        _ => {
            users.push(machine_user(rng, &stem, "jenkins-legacy", Access::Write));
            // Some engineers still have old IAM users from before SSO in the sandbox.
            let mut engineers: Vec<&Person> = people
                .iter()
                .filter(|p| p.membership == Membership::Member && p.aws >= Some(Access::Write))
                .collect();
            engineers.shuffle(rng);
            for person in engineers.into_iter().take(4) {
                users.push(IamUser {
                    owner: Some(person.login.clone()),
                    mfa: rng.gen_bool(0.5),
                    ..machine_user(rng, &stem, &person.login, Access::Admin)
                });
            }
            vec!["sandbox-scratch"]
        }
    }
    .into_iter()
    .map(|b| format!("{}-{b}", roster::ORG_LOGIN))
    .collect();
    if environment != "sandbox" {
        roles.push(role(
            rng,
            &stem,
            "payments-api-task",
            "/service-role/",
            Access::Write,
            service("ecs-tasks"),
        ));
        roles.push(role(
            rng,
            &stem,
            "data-pipeline-etl",
            "/service-role/",
            Access::Write,
            service("lambda"),
        ));
    } else {
        roles.push(role(
            rng,
            &stem,
            "sandbox-ec2-instance",
            "/service-role/",
            Access::ReadOnly,
            service("ec2"),
        ));
    }
    AwsAccount {
        name: name.to_owned(),
        id,
        environment: environment.to_owned(),
        region: region.to_owned(),
        nat_ip: ip(rng, roster::CLOUD_OCTETS),
        id_stem: stem,
        users,
        roles,
        groups: ["Administrators", "Developers", "ReadOnly", "CI"]
            .map(str::to_owned)
            .to_vec(),
        buckets,
    }
}

fn service(name: &str) -> RoleKind {
    RoleKind::Service(format!("{name}.amazonaws.com"))
}

fn machine_user(rng: &mut StdRng, stem: &str, name: &str, access: Access) -> IamUser {
    let bits = mix(rng.gen());
    IamUser {
        name: name.to_owned(),
        principal_id: aws_id("AIDA", stem, bits, 21),
        access_key_id: aws_id("AKIA", stem, bits ^ 0x5a5a, 20),
        access,
        owner: None,
        mfa: false,
    }
}

fn role(
    rng: &mut StdRng,
    stem: &str,
    name: &str,
    path: &str,
    access: Access,
    kind: RoleKind,
) -> IamRole {
    IamRole {
        name: name.to_owned(),
        path: path.to_owned(),
        role_id: aws_id("AROA", stem, rng.gen(), 21),
        access,
        kind,
    }
}
