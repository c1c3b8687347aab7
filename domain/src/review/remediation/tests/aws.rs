//! AWS, in the shapes of `normalize::aws::ids` (CloudTrail and the IAM snapshots share them).

use super::*;

pub(super) const ACCOUNT: &str = "aws:account:229654561268";
pub(super) const ADMIN_POLICY: [&str; 3] = [
    "policy",
    "aws:arn:aws:iam::aws:policy/AdministratorAccess",
    "AdministratorAccess",
];
pub(super) const ALICE: [&str; 3] = ["user", "aws:arn:aws:iam::229654561268:user/alice", "alice"];
pub(super) const ADMINS: [&str; 3] = [
    "group",
    "aws:arn:aws:iam::229654561268:group/admins",
    "admins",
];
pub(super) const DEPLOY: [&str; 3] = [
    "role",
    "aws:arn:aws:iam::229654561268:role/deploy",
    "deploy",
];
pub(super) const AWS_ACCOUNT: [&str; 3] = ["account", ACCOUNT, "229654561268"];

#[test]
fn managed_policies_are_detached_and_inline_ones_deleted() {
    let user = [
        "user",
        "aws:arn:aws:iam::229654561268:user/malicious-iam-user",
        "malicious-iam-user",
    ];
    let arn = "arn:aws:iam::aws:policy/AdministratorAccess";
    let cases = [
        (
            user,
            format!("aws iam detach-user-policy --user-name malicious-iam-user --policy-arn {arn}"),
        ),
        (
            ADMINS,
            format!("aws iam detach-group-policy --group-name admins --policy-arn {arn}"),
        ),
        (
            DEPLOY,
            format!("aws iam detach-role-policy --role-name deploy --policy-arn {arn}"),
        ),
    ];
    for (principal, command) in cases {
        assert_eq!(
            commands(&grant(ACCOUNT, principal, ADMIN_POLICY, "attached")),
            [command]
        );
    }
    let group = instructions(&grant(ACCOUNT, ADMINS, ADMIN_POLICY, "attached"), None);
    assert!(group
        .caution
        .iter()
        .any(|c| c.contains("Every member of group admins")));
    let inline = [
        "inline_policy",
        "aws:arn:aws:iam::229654561268:role/deploy/inline/s3-access",
        "s3-access",
    ];
    let out = instructions(&grant(ACCOUNT, DEPLOY, inline, "inline_policy"), None);
    assert_eq!(
        out.commands,
        ["aws iam delete-role-policy --role-name deploy --policy-name s3-access"]
    );
    assert!(out
        .caution
        .iter()
        .any(|c| c.contains("aws iam get-role-policy --role-name deploy --policy-name s3-access")));
}

#[test]
fn group_membership_password_user_and_role() {
    assert_eq!(
        commands(&grant(ACCOUNT, ALICE, ADMINS, "member")),
        ["aws iam remove-user-from-group --user-name alice --group-name admins"]
    );
    let credentials = "aws:account:229654561268:credentials";
    assert_eq!(
        commands(&grant(credentials, ALICE, AWS_ACCOUNT, "console_login")),
        ["aws iam delete-login-profile --user-name alice"]
    );
    assert_eq!(
        commands(&grant(ACCOUNT, ALICE, AWS_ACCOUNT, "iam_user")),
        ["aws iam delete-user --user-name alice"]
    );
    assert_eq!(
        commands(&grant(ACCOUNT, DEPLOY, AWS_ACCOUNT, "iam_role")),
        ["aws iam delete-role --role-name deploy"]
    );
}

#[test]
fn admin_grants_come_off_with_the_policy_they_follow_from() {
    let admin = via(
        grant(ACCOUNT, ALICE, AWS_ACCOUNT, "admin"),
        "policy:AdministratorAccess",
    );
    assert_eq!(
        commands(&admin),
        [
            "policy_arn=$(aws iam list-attached-user-policies --user-name alice --query \
             'AttachedPolicies[?PolicyName==`\"AdministratorAccess\"`].PolicyArn' --output text)",
            "aws iam detach-user-policy --user-name alice --policy-arn \"$policy_arn\"",
        ]
    );
    // With the attachment among the grants held, its exact ARN is used.
    let held = [
        admin.clone(),
        grant(ACCOUNT, ALICE, ADMIN_POLICY, "attached"),
    ];
    let exact = instructions_among(&admin, None, &held);
    assert_eq!(
        exact.commands,
        ["aws iam detach-user-policy --user-name alice --policy-arn \
          arn:aws:iam::aws:policy/AdministratorAccess"]
    );
    assert!(exact
        .caution
        .iter()
        .any(|c| c.contains("administrator of 229654561268")));
    let inline = via(
        grant(ACCOUNT, DEPLOY, AWS_ACCOUNT, "admin"),
        "inline_policy:everything",
    );
    assert_eq!(
        commands(&inline),
        ["aws iam delete-role-policy --role-name deploy --policy-name everything"]
    );
}

#[test]
fn trust_is_a_document_edit() {
    let trustee = [
        "role",
        "aws:arn:aws:iam::111122223333:role/deploy",
        "deploy",
    ];
    let level1 = [
        "role",
        "aws:arn:aws:iam::229654561268:role/level1",
        "level1",
    ];
    let out = instructions(&grant(ACCOUNT, trustee, level1, "sts:AssumeRole"), None);
    assert_eq!(
        out.commands,
        [
            "aws iam get-role --role-name level1 --query Role.AssumeRolePolicyDocument \
             --output json > trust-policy.json",
            "aws iam update-assume-role-policy --role-name level1 --policy-document \
             file://trust-policy.json",
        ]
    );
    assert!(out.caution[0].contains("`arn:aws:iam::111122223333:role/deploy`"));
    let account = ["account", "aws:account:193672423079", "193672423079"];
    let out = instructions(&grant(ACCOUNT, account, level1, "sts:AssumeRole"), None);
    assert!(out.caution[0].contains("`arn:aws:iam::193672423079:root` (or `193672423079`)"));
}

#[test]
fn access_keys_are_deactivated_then_deleted() {
    let credentials = "aws:account:229654561268:credentials";
    let key = ["access_key", "aws:access_key:AKIAEXAMPLE", "AKIAEXAMPLE"];
    let alice = ["user", "aws:arn:aws:iam::229654561268:user/alice", "alice"];
    assert_eq!(
        commands(&grant(credentials, key, alice, "access_key")),
        [
            "aws iam update-access-key --user-name alice --access-key-id AKIAEXAMPLE \
             --status Inactive",
            "aws iam delete-access-key --user-name alice --access-key-id AKIAEXAMPLE",
        ]
    );
    // The credential report names a key by position only: find it first.
    let report_key = [
        "access_key",
        "aws:access_key:229654561268:alice#1",
        "alice key 1",
    ];
    let out = instructions(&grant(credentials, report_key, alice, "access_key"), None);
    assert_eq!(out.commands, ["aws iam list-access-keys --user-name alice"]);
    let root = instructions(&grant(credentials, key, AWS_ACCOUNT, "access_key"), None);
    assert!(root.commands.is_empty());
    assert!(root.caution[0].contains("root user"));
}
