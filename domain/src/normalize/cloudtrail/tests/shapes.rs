//! Small records written here for the shapes the samples lack: every identity type, odd
//! field types, missing fields, and the action vocabulary.

use super::super::action::{action, snake_case};
use super::super::{event_id, normalize_record};
use super::{normalize, target};
use crate::model::{ActorKind, Outcome};
use crate::normalize::NormalizeError;
use serde_json::{json, Value};

fn minimal(identity: Value) -> Value {
    json!({
        "eventID": "e-1",
        "eventTime": "2024-05-01T10:00:00+02:00",
        "eventSource": "sts.amazonaws.com",
        "eventName": "GetCallerIdentity",
        "userIdentity": identity,
    })
}

#[test]
fn every_identity_type_gets_a_name() {
    let cases = [
        (
            json!({"type": "FederatedUser", "arn": "arn:aws:sts::1:federated-user/carol"}),
            "carol",
            ActorKind::Human,
        ),
        (
            json!({"type": "IdentityCenterUser", "onBehalfOf": {"userId": "u-42", "identityStoreArn": "arn:x"}}),
            "u-42",
            ActorKind::Human,
        ),
        (
            json!({"type": "SAMLUser", "userName": "dave", "principalId": "p:dave"}),
            "dave",
            ActorKind::Human,
        ),
        (
            json!({"type": "WebIdentityUser", "userName": "erin"}),
            "erin",
            ActorKind::Human,
        ),
        (
            json!({"type": "AWSAccount", "accountId": "2", "principalId": "AROA:lambda-x"}),
            "lambda-x",
            ActorKind::Unknown,
        ),
        (
            json!({"type": "Unknown", "userName": "frank"}),
            "frank",
            ActorKind::Unknown,
        ),
        (
            json!({"accountId": "1", "invokedBy": "ec2.amazonaws.com"}),
            "ec2.amazonaws.com",
            ActorKind::Service,
        ),
        (
            json!({"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/tester"}),
            "tester",
            ActorKind::Human,
        ),
        (json!({}), "unknown", ActorKind::Unknown),
        (Value::Null, "unknown", ActorKind::Unknown),
        (json!("not an object"), "unknown", ActorKind::Unknown),
    ];
    for (identity, name, kind) in cases {
        let event = normalize(&minimal(identity.clone()));
        assert_eq!(
            (event.actor.name.as_str(), event.actor.kind),
            (name, kind),
            "{identity}"
        );
    }
    let event = normalize(&minimal(json!({"type": "IAMUser", "userName": "x"})));
    assert_eq!(event.occurred_at.to_rfc3339(), "2024-05-01T08:00:00+00:00");
    assert_eq!(event.action, "sts.get_caller_identity");
    assert_eq!(event.scope, None);
}

#[test]
fn actions_of_the_calls_an_access_review_asks_about() {
    let cases = [
        ("iam", "CreateUser", "iam.user.created"),
        ("iam", "DeleteUser", "iam.user.deleted"),
        ("iam", "AddUserToGroup", "iam.group.member.added"),
        ("iam", "RemoveUserFromGroup", "iam.group.member.removed"),
        ("iam", "AttachUserPolicy", "iam.user.policy.attached"),
        ("iam", "DetachRolePolicy", "iam.role.policy.detached"),
        ("iam", "PutUserPolicy", "iam.user.inline_policy.put"),
        ("iam", "DeleteRolePolicy", "iam.role.inline_policy.deleted"),
        ("iam", "CreateAccessKey", "iam.access_key.created"),
        ("iam", "CreateLoginProfile", "iam.login_profile.created"),
        (
            "iam",
            "UpdateAssumeRolePolicy",
            "iam.role.trust_policy.updated",
        ),
        ("iam", "CreateRole", "iam.role.created"),
        ("iam", "CreatePolicyVersion", "iam.policy.version.created"),
        (
            "iam",
            "PutRolePermissionsBoundary",
            "iam.role.permissions_boundary.put",
        ),
        ("iam", "TagRole", "iam.role.tagged"),
        ("iam", "ListUsers", "iam.list_users"),
        ("iam", "GetMFADevice", "iam.get_mfa_device"),
        ("signin", "ConsoleLogin", "signin.console_login"),
        ("sts", "AssumeRole", "sts.role.assumed"),
        ("sts", "GetCallerIdentity", "sts.get_caller_identity"),
        (
            "cloudtrail",
            "StopLogging",
            "cloudtrail.trail.logging_stopped",
        ),
        ("s3", "GetObject", "s3.get_object"),
        ("ec2", "DescribeInstances", "ec2.describe_instances"),
        ("rds", "DescribeDBInstances", "rds.describe_db_instances"),
        (
            "lambda",
            "UpdateFunctionConfiguration20150331v2",
            "lambda.update_function_configuration",
        ),
        ("lambda", "CreateFunction20150331", "lambda.create_function"),
        ("s3", "ListObjectsV2", "s3.list_objects_v2"),
        ("unknown", "unknown", "unknown.unknown"),
    ];
    for (service, name, expected) in cases {
        assert_eq!(action(service, name), expected, "{service}:{name}");
    }
    assert_eq!(snake_case("SendSSHPublicKey"), "send_ssh_public_key");
    assert_eq!(snake_case("--"), "unknown");
}

#[test]
fn required_fields_and_bad_input_are_errors_not_panics() {
    let cases: [(&[u8], NormalizeError); 5] = [
        (
            br#"{"eventTime":"2024-01-01T00:00:00Z"}"#,
            NormalizeError::Missing("eventID"),
        ),
        (br#"{"eventID":"x"}"#, NormalizeError::Missing("eventTime")),
        (
            br#"{"eventID":7,"eventTime":"2024-01-01T00:00:00Z"}"#,
            NormalizeError::Missing("eventID"),
        ),
        (
            b"[1,2]",
            NormalizeError::Invalid("a CloudTrail record must be a JSON object".into()),
        ),
        (
            b"null",
            NormalizeError::Invalid("a CloudTrail record must be a JSON object".into()),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            normalize_record(body),
            Err(expected),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert!(matches!(
        normalize_record(b"{\"eventID\""),
        Err(NormalizeError::Json(_))
    ));
    assert!(matches!(
        normalize_record(b"\xff\xfe"),
        Err(NormalizeError::Json(_))
    ));
    let exported = br#"{"eventID":"x","eventTime":"2023-01-10 21:04:02.000000000"}"#;
    let time = normalize_record(exported).unwrap().occurred_at;
    assert_eq!(
        time.to_rfc3339(),
        "2023-01-10T21:04:02+00:00",
        "query exports write UTC"
    );
    let redacted = normalize_record(br#"{"eventID":"x","eventTime":"redacted"}"#);
    assert!(
        matches!(redacted, Err(NormalizeError::Invalid(message)) if message.contains("redacted"))
    );
}

#[test]
fn odd_shapes_never_panic() {
    let odd = [
        json!(null),
        json!("string"),
        json!([1, {"userName": 3}]),
        json!({"userName": {"nested": true}, "instancesSet": {"items": "no"}, "key": 5}),
    ];
    for (service, name) in [
        ("iam", "CreateUser"),
        ("ec2", "RunInstances"),
        ("s3", "PutObject"),
        ("lambda", "X"),
    ] {
        for request in &odd {
            let record = json!({
                "eventID": "1", "eventTime": "2024-01-01T00:00:00Z",
                "eventSource": format!("{service}.amazonaws.com"), "eventName": name,
                "requestParameters": request, "responseElements": request, "resources": request,
                "userIdentity": request, "errorCode": request, "sourceIPAddress": request,
            });
            let event = normalize(&record);
            let expected = if request.is_string() {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            assert_eq!(
                event.outcome, expected,
                "only a string is an error code: {request}"
            );
        }
    }
    let names = json!({
        "eventID": "1", "eventTime": "2024-01-01T00:00:00Z", "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser", "requestParameters": {"userName": "evil\nname"},
        "userIdentity": {"type": "IAMUser", "userName": "a\u{7}b"},
    });
    assert_eq!(
        normalize(&names).summary,
        "a b called iam:CreateUser on user evil name"
    );
}

#[test]
fn resources_are_targets_once() {
    let record = json!({
        "eventID": "1", "eventTime": "2024-01-01T00:00:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "requestParameters": {"bucketName": "b", "key": "k/x.txt"},
        "resources": [
            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/k/x.txt"},
            {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"},
            {"ARN": "arn:aws:ssm:us-east-1:1:parameter/credentials/db"},
            {"type": "AWS::DynamoDB::Table", "ARN": "arn:aws:dynamodb:us-east-1:1:table/orders"},
            {"type": "AWS::KMS::Key"},
            "garbage",
        ],
    });
    let event = normalize(&record);
    assert_eq!(
        event.targets,
        vec![
            target("s3_object", "b/k/x.txt", Some("arn:aws:s3:::b/k/x.txt")),
            target("s3_bucket", "b", Some("arn:aws:s3:::b")),
            target(
                "ssm_parameter",
                "credentials/db",
                Some("arn:aws:ssm:us-east-1:1:parameter/credentials/db")
            ),
            target(
                "dynamodb_table",
                "orders",
                Some("arn:aws:dynamodb:us-east-1:1:table/orders")
            ),
        ]
    );
}

#[test]
fn event_id_is_the_idempotency_key() {
    assert_eq!(
        event_id(br#"{"eventID":"abc","other":[1,2,{"x":null}]}"#),
        Some("abc".into())
    );
    assert_eq!(event_id(br#"{"eventID":""}"#), None);
    assert_eq!(event_id(br#"{"eventID":12}"#), None);
    assert_eq!(event_id(b"[]"), None);
    assert_eq!(event_id(b"not json"), None);
}
