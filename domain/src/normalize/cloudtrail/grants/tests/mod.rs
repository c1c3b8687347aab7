//! Grant changes of hand-checked records from `shared/fixtures/aws-cloudtrail`, of small
//! records written here for the calls no sample has, and a walk over every sample record.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod shapes;

use super::grant_changes;
use crate::fixtures;
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource};
use crate::model::Source;
use crate::normalize::cloudtrail::normalize;
use crate::normalize::RawDelivery;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const ADMIN_USER: &str =
    "stratus-red-team-detonation-logs/aws.persistence.iam-create-admin-user.json";

/// The records of a sample file: `{"Records":[...]}`, a JSON array, one object or NDJSON.
fn records_in(path: &Path) -> Vec<Value> {
    let bytes = std::fs::read(path).unwrap();
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(records)) => records,
        Ok(Value::Object(mut object)) => match object.remove("Records") {
            Some(Value::Array(records)) => records,
            _ => vec![Value::Object(object)],
        },
        _ => bytes
            .split(|&b| b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .map(|line| serde_json::from_slice(line).unwrap())
            .collect(),
    }
}

fn record(relative: &str, id: &str) -> Value {
    let path = fixtures::dir().join("aws-cloudtrail").join(relative);
    records_in(&path)
        .into_iter()
        .find(|record| record["eventID"] == id)
        .unwrap_or_else(|| panic!("no record {id} in {relative}"))
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// The changes through the delivery entry point, as the ingest will see them.
fn changes_of(record: &Value) -> Vec<GrantChange> {
    let body = serde_json::to_vec(record).unwrap();
    let delivery = RawDelivery {
        source: Source::Cloudtrail,
        kind: None,
        delivery_key: "key",
        received_at: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        body: &body,
    };
    let normalized = normalize(&delivery).unwrap();
    assert_eq!(normalized.events.len(), 1);
    normalized.grant_changes
}

fn principal(kind: &str, id: &str, name: &str) -> Principal {
    Principal {
        kind: kind.into(),
        id: id.into(),
        name: name.into(),
    }
}

fn resource(kind: &str, id: &str, name: &str) -> Resource {
    Resource {
        kind: kind.into(),
        id: id.into(),
        name: name.into(),
    }
}

fn change(
    at: &str,
    scope: &str,
    (principal, resource): (Principal, Resource),
    permission: &str,
    op: GrantOp,
    evidence: &str,
) -> GrantChange {
    GrantChange {
        at: time(at),
        grant: Grant {
            scope: scope.into(),
            principal,
            resource,
            permission: permission.into(),
            via: String::new(),
        },
        op,
        evidence: evidence.into(),
    }
}

#[test]
fn attach_user_policy_attaches_administrator_access() {
    let record = record(ADMIN_USER, "083dc4ad-e264-46bc-a407-d0dd31b58bdc");
    let user = principal(
        "user",
        "aws:arn:aws:iam::229654561268:user/malicious-iam-user",
        "malicious-iam-user",
    );
    let policy = resource(
        "policy",
        "aws:arn:aws:iam::aws:policy/AdministratorAccess",
        "AdministratorAccess",
    );
    assert_eq!(
        changes_of(&record),
        vec![change(
            "2024-08-01T13:33:28Z",
            "aws:account:229654561268",
            (user, policy),
            "attached",
            GrantOp::Added,
            "iam:AttachUserPolicy by christophe",
        )]
    );
}

#[test]
fn create_user_and_access_key() {
    let user_id = "aws:arn:aws:iam::229654561268:user/malicious-iam-user";
    let created = record(ADMIN_USER, "3346344c-5a3e-429e-8405-420f98f75d6e");
    assert_eq!(
        changes_of(&created),
        vec![change(
            "2024-08-01T13:33:28Z",
            "aws:account:229654561268",
            (
                principal("user", user_id, "malicious-iam-user"),
                resource("account", "aws:account:229654561268", "229654561268")
            ),
            "iam_user",
            GrantOp::Added,
            "iam:CreateUser by christophe",
        )]
    );

    // The key id is only in the response; the request names the user.
    let key = record(ADMIN_USER, "94faedcc-0fa4-46e6-9322-022e8e934f04");
    assert_eq!(
        changes_of(&key),
        vec![change(
            "2024-08-01T13:33:28Z",
            "aws:account:229654561268:credentials",
            (
                principal(
                    "access_key",
                    "aws:access_key:AKIAXAFZN8JEPF6L682H",
                    "AKIAXAFZN8JEPF6L682H"
                ),
                resource("user", user_id, "malicious-iam-user")
            ),
            "access_key",
            GrantOp::Added,
            "iam:CreateAccessKey by christophe",
        )]
    );
}

#[test]
fn add_user_to_group_from_the_aws_documentation_example() {
    // The record predates `eventID`, so the event is refused; its grant change is still read.
    let bytes =
        fixtures::read("aws-cloudtrail/elastic-integrations/AddUserToGroup.event-original.json");
    let record: Value = serde_json::from_slice(&bytes).unwrap();
    let at = time("2014-03-25T21:08:14Z");
    // No recipientAccountId in so old a record: the caller's account is the account.
    assert_eq!(
        grant_changes(&record, at, "Alice"),
        vec![change(
            "2014-03-25T21:08:14Z",
            "aws:account:123456789012",
            (
                principal("user", "aws:arn:aws:iam::123456789012:user/Bob", "Bob"),
                resource(
                    "group",
                    "aws:arn:aws:iam::123456789012:group/admin",
                    "admin"
                )
            ),
            "member",
            GrantOp::Added,
            "iam:AddUserToGroup by Alice",
        )]
    );
}

#[test]
fn failed_calls_change_nothing() {
    let failed_delete = record(
        "stratus-red-team-detonation-logs/aws.persistence.iam-create-user-login-profile.json",
        "64fb98c9-cb40-4f9a-b800-6c15e82e9be6",
    );
    assert_eq!(
        failed_delete["errorCode"],
        "EntityTemporarilyUnmodifiableException"
    );
    assert_eq!(changes_of(&failed_delete), vec![]);

    // The same call succeeding does take the password away.
    let mut succeeded = failed_delete.clone();
    succeeded.as_object_mut().unwrap().remove("errorCode");
    let changes = changes_of(&succeeded);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].op, GrantOp::Removed);
    assert_eq!(changes[0].grant.permission, "console_login");
    assert_eq!(
        changes[0].grant.principal.id,
        "aws:arn:aws:iam::070411556318:user/stratus-red-team-login-profile-user"
    );

    let mut denied = record(ADMIN_USER, "083dc4ad-e264-46bc-a407-d0dd31b58bdc");
    denied["errorCode"] = json!("AccessDenied");
    assert_eq!(changes_of(&denied), vec![]);
}

#[test]
fn backdoored_trust_policy_adds_who_may_assume_the_role() {
    let record = record(
        "stratus-red-team-detonation-logs/aws.persistence.iam-backdoor-role.json",
        "62e290e2-ee95-4a7c-a9f8-db4ef462b12d",
    );
    let role = resource(
        "role",
        "aws:arn:aws:iam::751203476945:role/stratus-red-team-backdoor-r-role",
        "stratus-red-team-backdoor-r-role",
    );
    let at = "2024-08-01T13:29:57Z";
    let scope = "aws:account:751203476945";
    let evidence = "iam:UpdateAssumeRolePolicy by christophe";
    assert_eq!(
        changes_of(&record),
        vec![
            change(
                at,
                scope,
                (
                    principal(
                        "service",
                        "aws:service:ec2.amazonaws.com",
                        "ec2.amazonaws.com"
                    ),
                    role.clone()
                ),
                "sts:AssumeRole",
                GrantOp::Added,
                evidence,
            ),
            change(
                at,
                scope,
                (
                    principal("account", "aws:account:193672423079", "193672423079"),
                    role
                ),
                "sts:AssumeRole",
                GrantOp::Added,
                evidence,
            ),
        ]
    );
}

#[test]
fn created_role_exists_and_trusts_an_outside_account() {
    let record = record(
        "stratus-red-team-detonation-logs/aws.persistence.iam-create-backdoor-role.json",
        "d2905ac3-9898-433f-b10d-9302abe4e208",
    );
    let found: Vec<(String, String, String, GrantOp)> = changes_of(&record)
        .into_iter()
        .map(|c| {
            (
                c.grant.principal.id,
                c.grant.resource.id,
                c.grant.permission,
                c.op,
            )
        })
        .collect();
    let role = "aws:arn:aws:iam::609418236337:role/stratus-red-team-malicious-iam-role";
    assert_eq!(
        found,
        vec![
            (
                role.into(),
                "aws:account:609418236337".into(),
                "iam_role".into(),
                GrantOp::Added
            ),
            (
                "aws:account:193672423079".into(),
                role.into(),
                "sts:AssumeRole".into(),
                GrantOp::Added
            ),
        ]
    );
}

#[test]
fn removals_from_the_invictus_samples() {
    let file = "invictus-aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1230Z_lHgkh3VeI3XnjZSL.json";
    let deleted_key = record(file, "20e603c0-e2d6-4bc4-9f25-031d3e314950");
    assert_eq!(
        changes_of(&deleted_key),
        vec![change(
            "2023-07-10T12:28:24Z",
            "aws:account:123837392027:credentials",
            (
                principal(
                    "access_key",
                    "aws:access_key:AKIATFQR7NSCQLA2F4OD",
                    "AKIATFQR7NSCQLA2F4OD"
                ),
                resource(
                    "user",
                    "aws:arn:aws:iam::123837392027:user/malicious-iam-user",
                    "malicious-iam-user"
                )
            ),
            "access_key",
            GrantOp::Removed,
            "iam:DeleteAccessKey by bert-jan",
        )]
    );

    let inline = record(
        "invictus-aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json",
        "6c1eed73-00ee-4810-8009-c9ce5990c100",
    );
    let changes = changes_of(&inline);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].grant.resource,
        resource(
            "inline_policy",
            "aws:arn:aws:iam::123837392027:role/stratus-red-team-ec2-get-password-data-role/inline/inline-policy",
            "inline-policy"
        )
    );
    assert_eq!(changes[0].grant.permission, "inline_policy");
    assert_eq!(changes[0].op, GrantOp::Added);
}

/// Every record of every sample: failed calls and other services change nothing, and each
/// successful call of the kinds read here changes what its name says.
#[test]
fn every_sample_record() {
    let root = fixtures::dir().join("aws-cloudtrail");
    let mut by_call: BTreeMap<String, usize> = BTreeMap::new();
    let mut files = 0;
    for folder in std::fs::read_dir(&root).unwrap() {
        let folder = folder.unwrap().path();
        // The benchmark file is the invictus files' records again, concatenated.
        if folder.ends_with("benchmark") {
            continue;
        }
        for file in std::fs::read_dir(&folder).unwrap() {
            let path = file.unwrap().path();
            // The panther index is a TSV listing the JSONL beside it.
            if path.extension().is_some_and(|ext| ext == "tsv") {
                continue;
            }
            files += 1;
            for record in records_in(&path) {
                let at = time("2024-01-01T00:00:00Z");
                let changes = grant_changes(&record, at, "someone");
                let name = record["eventName"].as_str().unwrap_or_default();
                let failed = record.get("errorCode").is_some_and(|code| !code.is_null());
                if failed || record["eventSource"] != "iam.amazonaws.com" {
                    assert_eq!(changes, vec![], "{name} in {}", path.display());
                }
                for change in &changes {
                    assert_eq!(change.evidence, format!("iam:{name} by someone"));
                    assert!(change.grant.scope.starts_with("aws:account:"));
                    assert!(change.grant.principal.id.starts_with("aws:"));
                }
                *by_call.entry(name.to_owned()).or_default() += changes.len();
            }
        }
    }
    // invictus 55, stratus 35, panther 5, OTRF, elastic and the digest 1 each.
    assert_eq!(files, 98);
    let by_call: BTreeMap<&str, usize> = by_call
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(name, n)| (name.as_str(), *n))
        .collect();
    // Counted by hand from the samples (see SOURCES.md): one change per successful call, plus
    // one per trusted principal for trust policies.
    let expected = BTreeMap::from([
        ("AddUserToGroup", 1),
        // invictus + panther + stratus.
        ("AttachRolePolicy", 6 + 3 + 1),
        ("AttachUserPolicy", 1 + 7 + 1),
        ("CreateAccessKey", 2 + 9 + 2),
        ("CreateLoginProfile", 2 + 1),
        // Each invictus role trusts one principal; panther's names no trust policy.
        ("CreateRole", (13 + 13) + 1 + (1 + 1)),
        // One panther CreateUser has no eventSource (a sanitised test event).
        ("CreateUser", 4 + 7 + 1),
        ("DeleteAccessKey", 2),
        ("DeleteGroupPolicy", 1),
        ("DeleteLoginProfile", 2),
        ("DeleteRole", 13),
        ("DeleteRolePolicy", 4),
        ("DeleteUser", 4),
        ("DetachRolePolicy", 5),
        ("DetachUserPolicy", 1),
        ("PutRolePolicy", 5),
        // The third panther PutUserPolicy has empty requestParameters.
        ("PutUserPolicy", 2),
        // Panther's name no role, so invictus (1 + 2 principals) and stratus (2) only.
        ("UpdateAssumeRolePolicy", 3 + 2),
    ]);
    assert_eq!(by_call, expected);
}
