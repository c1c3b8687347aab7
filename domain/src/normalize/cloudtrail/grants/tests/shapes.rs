//! Grant changes of small records written here: the calls no sample has, and records that
//! lack what a change needs.

use super::{changes_of, time};
use crate::grant::GrantOp;
use crate::normalize::cloudtrail::grants::grant_changes;
use serde_json::{json, Value};

/// A minimal successful IAM call by alice in account 111122223333.
fn call(name: &str, request: Value) -> Value {
    json!({
        "eventID": "e", "eventTime": "2024-05-01T10:00:00Z",
        "eventSource": "iam.amazonaws.com", "eventName": name,
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "userName": "alice",
                          "arn": "arn:aws-us-gov:iam::111122223333:user/alice"},
        "requestParameters": request,
    })
}

/// (principal id, resource id, permission, op) of each change.
fn facts(record: &Value) -> Vec<(String, String, String, GrantOp)> {
    changes_of(record)
        .into_iter()
        .map(|c| {
            (
                c.grant.principal.id,
                c.grant.resource.id,
                c.grant.permission,
                c.op,
            )
        })
        .collect()
}

fn fact(
    principal: &str,
    resource: &str,
    permission: &str,
    op: GrantOp,
) -> (String, String, String, GrantOp) {
    (principal.into(), resource.into(), permission.into(), op)
}

#[test]
fn calls_no_sample_has() {
    use GrantOp::{Added, Removed};
    let arn = |rest: &str| format!("aws:arn:aws-us-gov:iam::111122223333:{rest}");
    let cases = [
        (
            call(
                "RemoveUserFromGroup",
                json!({"userName": "bob", "groupName": "ops"}),
            ),
            fact(&arn("user/bob"), &arn("group/ops"), "member", Removed),
        ),
        (
            call(
                "DetachGroupPolicy",
                json!({"groupName": "ops", "policyArn": "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"}),
            ),
            fact(
                &arn("group/ops"),
                "aws:arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess",
                "attached",
                Removed,
            ),
        ),
        (
            call(
                "PutGroupPolicy",
                json!({"groupName": "ops", "policyName": "p", "policyDocument": "{}"}),
            ),
            fact(
                &arn("group/ops"),
                &arn("group/ops/inline/p"),
                "inline_policy",
                Added,
            ),
        ),
        (
            call(
                "DeleteUserPolicy",
                json!({"userName": "bob", "policyName": "p"}),
            ),
            fact(
                &arn("user/bob"),
                &arn("user/bob/inline/p"),
                "inline_policy",
                Removed,
            ),
        ),
        (
            call("DeleteRole", json!({"roleName": "r"})),
            fact(
                &arn("role/r"),
                "aws:account:111122223333",
                "iam_role",
                Removed,
            ),
        ),
        (
            call("DeleteUser", json!({"userName": "bob"})),
            fact(
                &arn("user/bob"),
                "aws:account:111122223333",
                "iam_user",
                Removed,
            ),
        ),
        // No user named: the key is the caller's own.
        (
            call(
                "UpdateAccessKey",
                json!({"accessKeyId": "AKIA1", "status": "Inactive"}),
            ),
            fact(
                "aws:access_key:AKIA1",
                &arn("user/alice"),
                "access_key",
                Removed,
            ),
        ),
        (
            call(
                "CreateLoginProfile",
                json!({"userName": "bob", "passwordResetRequired": true}),
            ),
            fact(
                &arn("user/bob"),
                "aws:account:111122223333",
                "console_login",
                Added,
            ),
        ),
    ];
    for (record, expected) in cases {
        assert_eq!(facts(&record), vec![expected], "{}", record["eventName"]);
    }

    // A URL-encoded trust policy, as the raw API writes it.
    let trust = call(
        "UpdateAssumeRolePolicy",
        json!({"roleName": "r", "policyDocument":
            "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22sts%3AAssumeRoleWithSAML%22%2C%22Principal%22%3A%7B%22Federated%22%3A%22arn%3Aaws-us-gov%3Aiam%3A%3A111122223333%3Asaml-provider%2Fokta%22%7D%7D%5D%7D"}),
    );
    assert_eq!(
        facts(&trust),
        vec![fact(
            "aws:arn:aws-us-gov:iam::111122223333:saml-provider/okta",
            &arn("role/r"),
            "sts:AssumeRoleWithSAML",
            Added
        )]
    );
}

#[test]
fn records_missing_what_a_change_needs_yield_none() {
    let cases = [
        call("AttachUserPolicy", json!({"userName": "bob"})),
        call("AddUserToGroup", json!({"groupName": "ops"})),
        call("UpdateAssumeRolePolicy", json!({"policyDocument": "{}"})),
        call(
            "UpdateAssumeRolePolicy",
            json!({"roleName": "r", "policyDocument": "%7B%2"}),
        ),
        call("CreateAccessKey", json!({"userName": "bob"})),
        call("CreateUser", Value::Null),
        call(
            "UpdateAccessKey",
            json!({"accessKeyId": "AKIA1", "status": "Paused"}),
        ),
        call("ListUsers", json!({})),
    ];
    for record in &cases {
        assert_eq!(facts(record), vec![], "{record}");
    }
    // Not IAM, or no account to build ids in.
    let mut s3 = call(
        "AttachUserPolicy",
        json!({"userName": "b", "policyArn": "arn:aws:iam::aws:policy/X"}),
    );
    s3["eventSource"] = json!("s3.amazonaws.com");
    assert_eq!(facts(&s3), vec![]);
    let mut nowhere = call("CreateUser", json!({"userName": "b"}));
    nowhere
        .as_object_mut()
        .unwrap()
        .remove("recipientAccountId");
    assert_eq!(facts(&nowhere), vec![]);
    // A service's call names no ARN: the region tells the partition.
    let mut china = call("CreateUser", json!({"userName": "b"}));
    china["userIdentity"] =
        json!({"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"});
    china["awsRegion"] = json!("cn-north-1");
    assert_eq!(
        facts(&china),
        vec![fact(
            "aws:arn:aws-cn:iam::111122223333:user/b",
            "aws:account:111122223333",
            "iam_user",
            GrantOp::Added
        )]
    );
    assert_eq!(
        grant_changes(&json!([1, 2]), time("2024-01-01T00:00:00Z"), "x"),
        vec![]
    );
}
