//! Hand-checked records of the real samples in `shared/fixtures/aws-cloudtrail`.

use super::super::actor::looks_automated;
use super::super::{event_id, normalize_record};
use super::{normalize, records_of, target, with_id};
use crate::fixtures;
use crate::model::{ActorKind, Outcome, Scope, Source};
use crate::normalize::NormalizeError;
use serde_json::{json, Value};

const ADMIN_USER: &str =
    "stratus-red-team-detonation-logs/aws.persistence.iam-create-admin-user.json";

#[test]
fn iam_user_creates_a_user() {
    let event = normalize(&with_id(ADMIN_USER, "3346344c-5a3e-429e-8405-420f98f75d6e"));
    assert_eq!(event.source, Source::Cloudtrail);
    assert_eq!(
        event.source_event_id,
        "3346344c-5a3e-429e-8405-420f98f75d6e"
    );
    assert_eq!(event.action, "iam.user.created");
    assert_eq!(event.native_action, "iam:CreateUser");
    assert_eq!(event.actor.name, "christophe");
    assert_eq!(
        event.actor.id.as_deref(),
        Some("arn:aws:iam::229654561268:user/christophe")
    );
    assert_eq!(event.actor.kind, ActorKind::Human);
    let user_arn = "arn:aws:iam::229654561268:user/malicious-iam-user";
    assert_eq!(
        event.targets,
        vec![target("iam_user", "malicious-iam-user", Some(user_arn))]
    );
    assert_eq!(
        event.scope,
        Some(Scope {
            kind: "account".into(),
            id: "229654561268".into(),
            name: None
        })
    );
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.error, None);
    assert_eq!(
        event.summary,
        "christophe called iam:CreateUser on user malicious-iam-user"
    );
    assert_eq!(event.details["eventName"], "CreateUser");
    assert_eq!(
        event.details["requestParameters"]["userName"],
        "malicious-iam-user"
    );
    assert!(
        event.details.get("responseElements").is_none(),
        "details are not the whole record"
    );
}

#[test]
fn attached_policy_and_access_key_name_their_targets() {
    let attach = normalize(&with_id(ADMIN_USER, "083dc4ad-e264-46bc-a407-d0dd31b58bdc"));
    assert_eq!(attach.action, "iam.user.policy.attached");
    let policy = "arn:aws:iam::aws:policy/AdministratorAccess";
    assert_eq!(
        attach.targets,
        vec![
            target("iam_user", "malicious-iam-user", None),
            target("iam_policy", "AdministratorAccess", Some(policy))
        ]
    );
    assert_eq!(
        attach.summary,
        "christophe called iam:AttachUserPolicy on user malicious-iam-user and policy AdministratorAccess"
    );

    let key = normalize(&with_id(ADMIN_USER, "94faedcc-0fa4-46e6-9322-022e8e934f04"));
    assert_eq!(key.action, "iam.access_key.created");
    assert_eq!(
        key.targets,
        vec![
            target("access_key", "AKIAXAFZN8JEPF6L682H", None),
            target("iam_user", "malicious-iam-user", None)
        ]
    );
}

#[test]
fn backdoored_trust_policy_targets_the_role() {
    let record = with_id(
        "stratus-red-team-detonation-logs/aws.persistence.iam-backdoor-role.json",
        "62e290e2-ee95-4a7c-a9f8-db4ef462b12d",
    );
    let event = normalize(&record);
    assert_eq!(event.action, "iam.role.trust_policy.updated");
    assert_eq!(
        event.targets,
        vec![target("iam_role", "stratus-red-team-backdoor-r-role", None)]
    );
}

#[test]
fn assumed_role_actor_is_the_session_name() {
    let line = records_of("panther-analysis-tests/aws-cloudtrail.jsonl").swap_remove(96);
    assert_eq!(line["eventID"], "52601748-2659-4ed8-b5fd-c530547b07ec");
    let event = normalize(&line);
    assert_eq!(event.actor.name, "ryan@example.com");
    assert_eq!(
        event.actor.id.as_deref(),
        Some("arn:aws:sts::112233445566:assumed-role/Operator/ryan@example.com")
    );
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(event.actor.ip.as_deref(), Some("100.1.114.142"));
    assert!(event
        .actor
        .user_agent
        .as_deref()
        .unwrap_or_default()
        .contains("Terraform"));
    assert_eq!(event.action, "ec2.create_security_group");
    // `groupName` of an EC2 security group is not an IAM group.
    assert!(event.targets.is_empty(), "{:?}", event.targets);
    assert_eq!(event.details["mfaAuthenticated"], "false");
}

#[test]
fn sessions_of_instances_and_sdks_are_services() {
    let otrf = records_of("otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.json");
    let on_instance = otrf
        .iter()
        .find(|r| r["eventID"] == "bf575a0c-c344-4302-a468-00e6a84a127a")
        .unwrap();
    let event = normalize(on_instance);
    assert_eq!(event.actor.name, "i-0317f6c6b66ae9c40");
    assert_eq!(event.actor.kind, ActorKind::Service);
    assert_eq!(event.action, "s3.list_objects");
    assert_eq!(
        event.targets,
        vec![target(
            "s3_bucket",
            "mordors3stack-s3bucket-llp2yingx64a",
            Some("arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a")
        )]
    );
    // The Logstash export carries the time in `@timestamp` only.
    assert_eq!(
        event.occurred_at.to_rfc3339(),
        on_instance["@timestamp"]
            .as_str()
            .unwrap()
            .replace(".000Z", "+00:00")
    );

    for session in [
        "i-0abcdef1234567890",
        "botocore-session-1688990082",
        "aws-go-sdk-1722375070115152000",
        "AutoScaling",
    ] {
        assert!(looks_automated(session), "{session}");
    }
    for session in ["alice@corp.com", "bob.ross", "i-am-alice", "developer"] {
        assert!(!looks_automated(session), "{session}");
    }
}

#[test]
fn root_console_login() {
    let records =
        records_of("panther-analysis-tests/scenario-compromised-root-creds-attacker.json");
    let success = normalize(&records[3]);
    assert_eq!(success.action, "signin.console_login");
    assert_eq!(success.native_action, "signin:ConsoleLogin");
    assert_eq!(success.actor.name, "root");
    assert_eq!(
        success.actor.id.as_deref(),
        Some("arn:aws:iam::493859302102:root")
    );
    assert_eq!(success.actor.kind, ActorKind::Human);
    assert_eq!(success.outcome, Outcome::Success);
    assert_eq!(success.summary, "root signed in to the AWS console");
    assert_eq!(success.details["mfaUsed"], "No");

    let failure = normalize(&records[0]);
    assert_eq!(failure.outcome, Outcome::Failure);
    assert_eq!(failure.error.as_deref(), Some("ConsoleLogin: Failure"));
    assert_eq!(failure.summary, "root failed to sign in to the AWS console");
}

#[test]
fn access_denied_is_a_failure() {
    let record = with_id(
        "invictus-aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json",
        "e4bad408-6272-4892-bf47-bd41b435ce40",
    );
    let event = normalize(&record);
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(event.action, "sts.role.assumed");
    let error = event.error.unwrap_or_default();
    assert!(
        error.starts_with(
            "AccessDenied: User: arn:aws:iam::123837392027:user/bert-jan is not authorized"
        ),
        "{error}"
    );
    assert_eq!(
        event.summary,
        "bert-jan called sts:AssumeRole (denied: AccessDenied)"
    );
    assert_eq!(event.details["errorCode"], "AccessDenied");
    assert_eq!(event.details["region"], "us-east-1");
    assert_eq!(event.details["readOnly"], true);
}

#[test]
fn add_user_to_group_targets_user_and_group() {
    let relative = "elastic-integrations/AddUserToGroup.event-original.json";
    // AWS's documentation example predates `eventID` (eventVersion 1.0): verbatim it is refused.
    let verbatim = fixtures::read(&format!("aws-cloudtrail/{relative}"));
    assert_eq!(
        normalize_record(&verbatim),
        Err(NormalizeError::Missing("eventID"))
    );
    assert_eq!(event_id(&verbatim), None);

    let mut record: Value = serde_json::from_slice(&verbatim).unwrap();
    record["eventID"] = json!("6f8e5d4c-0000-4000-8000-000000000001");
    let event = normalize(&record);
    assert_eq!(event.action, "iam.group.member.added");
    assert_eq!(event.actor.name, "Alice");
    assert_eq!(
        event.targets,
        vec![
            target("iam_user", "Bob", None),
            target("iam_group", "admin", None)
        ]
    );
    assert_eq!(
        event.summary,
        "Alice called iam:AddUserToGroup on user Bob and group admin"
    );
    // No recipientAccountId in so old a record: the caller's account is the scope.
    assert_eq!(
        event.scope.map(|scope| scope.id),
        Some("123456789012".to_owned())
    );
}

#[test]
fn service_identities() {
    let record = with_id(
        "invictus-aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json",
        "a4a7b25e-c2d5-436f-8a7e-ea89f50541ab",
    );
    let event = normalize(&record);
    assert_eq!(event.actor.name, "inspector2.amazonaws.com");
    assert_eq!(event.actor.id, None);
    assert_eq!(event.actor.kind, ActorKind::Service);
    assert_eq!(event.action, "sts.role.assumed");
}
