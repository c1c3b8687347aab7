//! The evaluator against hand-worked answers: synthetic cases for the matcher and for garbage,
//! and the real exports of `aws-iam/authorization-details/` (cloudsplaining's example account,
//! built from Bishop Fox's iam-vulnerable, and cloudmapper's demo account). Each expected
//! answer names the policy statement that makes it true.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::fixtures;
use crate::normalize::aws::authorization::default_version;
use serde_json::json;

const CLOUDSPLAINING: &str = "cloudsplaining-example.json";
const CLOUDMAPPER: &str = "cloudmapper-demo-iam-get-account-authorization-details.json";
const SSO_SESSION: &str = "arn:aws:sts::200611803367:assumed-role/\
    AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc/elad@codsec.io";

fn export(name: &str) -> Value {
    let bytes = fixtures::read(&format!("aws-iam/authorization-details/{name}"));
    serde_json::from_slice(&bytes).unwrap()
}

/// A managed policy of the export by ARN, with its default version's document.
fn managed<'a>(export: &'a Value, arn: &str) -> NamedPolicy<'a> {
    let policy = export["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|policy| policy["Arn"] == arn)
        .unwrap_or_else(|| panic!("no policy {arn}"));
    NamedPolicy {
        name: arn.to_owned(),
        document: &default_version(policy).unwrap()["Document"],
    }
}

fn ask<'a>(action: &'a str, resource: &'a str) -> Request<'a> {
    Request { action, resource }
}

/// The deciding statements as (policy, index), as the hand-worked answers name them.
fn cited(evaluation: &Evaluation) -> Vec<(&str, usize)> {
    evaluation
        .because
        .iter()
        .map(|found| (found.policy.as_str(), found.index))
        .collect()
}

fn methods(found: &[Escalation]) -> Vec<&'static str> {
    found.iter().map(|escalation| escalation.method).collect()
}

#[test]
fn actions_ignore_case_and_resources_do_not() {
    assert!(action_matches("s3:Get*", "S3:GETOBJECT"));
    assert!(action_matches("S3:GetObject", "s3:getobject"));
    assert!(!action_matches("s3:GetObject", "s3:GetObjectAcl"));
    assert_eq!(
        resource_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b"),
        Match::Yes
    );
    assert_eq!(
        resource_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::Bucket/a"),
        Match::No
    );
    assert_eq!(
        resource_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket"),
        Match::No
    );
}

#[test]
fn question_marks_and_stars_in_the_middle() {
    assert!(action_matches("iam:?etUser", "iam:GetUser"));
    assert!(!action_matches("iam:?etUser", "iam:etUser"));
    assert!(action_matches("iam:*User*", "iam:PutUserPolicy"));
    assert!(!action_matches("iam:*User*", "iam:ListGroups"));
    let file = "arn:aws:s3:::b/file?.txt";
    assert_eq!(
        resource_matches(file, "arn:aws:s3:::b/file1.txt"),
        Match::Yes
    );
    assert_eq!(
        resource_matches(file, "arn:aws:s3:::b/file10.txt"),
        Match::No
    );
    let logs = "arn:aws:s3:::*/logs/*";
    assert_eq!(
        resource_matches(logs, "arn:aws:s3:::b/logs/2024/x"),
        Match::Yes
    );
    assert_eq!(resource_matches(logs, "arn:aws:s3:::b/log/x"), Match::No);
    assert_eq!(
        resource_matches(
            "arn:aws:ecr:*:1:repository/*",
            "arn:aws:ecr:eu-west-1:1:repository/a"
        ),
        Match::Yes
    );
}

#[test]
fn policy_variables_match_conditionally() {
    let own = "arn:aws:iam::1:user/${aws:username}";
    assert_eq!(
        resource_matches(own, "arn:aws:iam::1:user/alice"),
        Match::Maybe
    );
    assert_eq!(
        resource_matches(own, "arn:aws:iam::2:user/alice"),
        Match::No
    );
    assert_eq!(widen_variables("a${x}b${y}c"), "a*b*c");
    assert_eq!(widen_variables("a${unclosed"), "a${unclosed");
}

/// A matcher that backtracks to every star is exponential on these; the one-backtrack-point
/// matcher takes pattern × text steps (here about 20 × 20,000). A regression hangs this test.
#[test]
fn pathological_patterns_stay_polynomial() {
    let pattern = format!("{}b", "a*".repeat(20));
    let text = "a".repeat(20_000);
    assert!(!action_matches(&pattern, &text));
    assert!(action_matches(&pattern, &format!("{text}b")));
    assert_eq!(resource_matches(&pattern, &text), Match::No);
    let stars = format!("*{}", "a*".repeat(30));
    assert!(action_matches(&stars, &text));
    assert!(!action_matches(&format!("{stars}?b"), &text));
}

#[test]
fn garbage_allows_nothing_and_never_panics() {
    let broken = [
        json!(42),
        json!(null),
        json!("not json"),
        json!("%7B%2"),
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
        json!({"Statement": 7}),
        json!({"Statement": [1, "x", null, []]}),
        json!({"Statement": {"Effect": "allow", "Action": "*", "Resource": "*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": 5, "Resource": "*"}}),
        json!({"Statement": {"Effect": "Allow", "NotAction": {"a": 1}, "Resource": "*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": ["*", 3], "Resource": "*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "iam:*", "Resource": "*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": null}}),
        json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": 5}}}),
        json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": 7}}),
    ];
    let mut seed = 7;
    let noise: Vec<Value> = (0..50)
        .map(|n| {
            let bytes = fixtures::noise(&mut seed, n * 7);
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect();
    for document in broken.iter().chain(&noise) {
        let policies = [NamedPolicy {
            name: "broken".into(),
            document,
        }];
        let answer = evaluate(&policies, &ask("s3:GetObject", "arn:aws:s3:::b/k"));
        assert_eq!(answer.decision, Decision::NotAllowed, "{document}");
        assert_eq!(is_full_admin(&policies), None, "{document}");
        assert!(escalation_paths(&policies).is_empty(), "{document}");
        let trust = may_assume(document, "arn:aws:iam::1:user/a", "1");
        assert_eq!(trust.decision, Decision::NotAllowed, "{document}");
        assert_eq!(trust_allows_anyone(document), None, "{document}");
    }
    // A broken `Deny` denies nothing either: it must not read as "deny every action".
    let allow = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
    let deny = json!({"Statement": {"Effect": "Deny", "NotAction": 7, "Resource": "*"}});
    let policies = [
        NamedPolicy {
            name: "allow".into(),
            document: &allow,
        },
        NamedPolicy {
            name: "deny".into(),
            document: &deny,
        },
    ];
    let answer = evaluate(&policies, &ask("s3:GetObject", "arn:aws:s3:::b/k"));
    assert_eq!(cited(&answer), [("allow", 0)]);
    assert!(is_full_admin(&policies).is_some());
    // Non-object statements are skipped, and the index counts the statements that are read.
    let mixed = json!({"Statement": [1, {"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    let policies = [NamedPolicy {
        name: "mixed".into(),
        document: &mixed,
    }];
    let answer = evaluate(&policies, &ask("s3:GetObject", "arn:aws:s3:::b/k"));
    assert_eq!(answer.because[0].sid.as_deref(), Some("S3"));
    assert_eq!(cited(&answer), [("mixed", 0)]);
}

#[test]
fn exports_that_cannot_be_read_are_errors() {
    for broken in [
        json!(42),
        json!([]),
        json!({}),
        json!([1, 2]),
        json!({"UserDetailList": 5}),
        json!({"UserDetailList": [], "IsTruncated": true, "Marker": "x"}),
    ] {
        assert!(AccountPolicies::from_export(&broken).is_err(), "{broken}");
    }
    // Entries without an IAM ARN cannot be named, so they are left out, not fatal.
    let odd = json!({"UserDetailList": [1, {"Arn": 5}, {"UserName": "x"}], "RoleDetailList": null});
    let account = AccountPolicies::from_export(&odd).unwrap();
    assert!(account.identities().is_empty());
    assert!(account.identity("x").is_none());
}

mod decisions;
mod escalations;
mod trust_policies;
