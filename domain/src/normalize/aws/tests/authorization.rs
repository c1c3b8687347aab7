//! `iam_authorization_details`: hand-counted snapshots of the samples, pages, encodings and
//! malformed exports.

use super::{counts, received_at, run};
use crate::fixtures;
use crate::grant::{Grant, GrantSnapshot, Principal, Resource};
use crate::normalize::NormalizeError;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const KIND: Option<&str> = Some("iam_authorization_details");
const DEMO: &str =
    "aws-iam/authorization-details/cloudmapper-demo-iam-get-account-authorization-details.json";

fn snapshot(body: &[u8]) -> GrantSnapshot {
    let normalized = run(KIND, body).unwrap();
    assert_eq!(normalized.snapshots.len(), 1);
    normalized.snapshots.into_iter().next().unwrap()
}

fn grant(
    scope: &str,
    principal: (&str, &str, &str),
    resource: (&str, &str, &str),
    permission: &str,
    via: &str,
) -> Grant {
    Grant {
        scope: scope.into(),
        principal: Principal {
            kind: principal.0.into(),
            id: principal.1.into(),
            name: principal.2.into(),
        },
        resource: Resource {
            kind: resource.0.into(),
            id: resource.1.into(),
            name: resource.2.into(),
        },
        permission: permission.into(),
        via: via.into(),
    }
}

#[test]
fn cloudmapper_demo_account() {
    let snapshot = snapshot(&fixtures::read(DEMO));
    let scope = "aws:account:123456789012";
    // The users and the group are anonymised to the account `aws`; the roles name the account.
    assert_eq!(snapshot.scope, scope);
    assert_eq!(snapshot.at, received_at());
    assert!(snapshot.grants.iter().all(|grant| grant.scope == scope));
    // Counted by hand: 2 users, 4 roles; USER in one group; AmazonEC2RoleforSSM attached to a
    // user, the group and bad_role; one inline policy per role; one trusted principal per
    // role; bad_role's inline `dostuff` allows `*` on `*`.
    let expected = BTreeMap::from([
        ("admin", 1),
        ("attached", 3),
        ("iam_role", 4),
        ("iam_user", 2),
        ("inline_policy", 4),
        ("member", 1),
        ("sts:AssumeRole", 4),
    ]);
    assert_eq!(counts(&snapshot.grants), expected);

    let bad_role = (
        "role",
        "aws:arn:aws:iam::123456789012:role/bad_role",
        "bad_role",
    );
    let account = ("account", scope, "123456789012");
    let expected = [
        grant(scope, bad_role, account, "admin", "inline_policy:dostuff"),
        grant(
            scope,
            ("anyone", "aws:anyone", "anyone (*)"),
            bad_role,
            "sts:AssumeRole",
            "",
        ),
        grant(
            scope,
            ("user", "aws:arn:aws:iam::aws:user/USER", "USER"),
            (
                "group",
                "aws:arn:aws:iam::aws:group/GROUP_WITH_BAD_INLINE_POLICY",
                "GROUP_WITH_BAD_INLINE_POLICY",
            ),
            "member",
            "",
        ),
        grant(
            scope,
            (
                "group",
                "aws:arn:aws:iam::aws:group/GROUP_WITH_BAD_INLINE_POLICY",
                "GROUP_WITH_BAD_INLINE_POLICY",
            ),
            (
                "policy",
                "aws:arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM",
                "AmazonEC2RoleforSSM",
            ),
            "attached",
            "",
        ),
        // `level1` lives under /service-role/: its id leaves the path out, as CloudTrail's
        // `roleName` does.
        grant(
            scope,
            (
                "role",
                "aws:arn:aws:iam::123456789012:role/level1",
                "level1",
            ),
            (
                "inline_policy",
                "aws:arn:aws:iam::123456789012:role/level1/inline/level1",
                "level1",
            ),
            "inline_policy",
            "",
        ),
        grant(
            scope,
            (
                "service",
                "aws:service:lambda.amazonaws.com",
                "lambda.amazonaws.com",
            ),
            (
                "role",
                "aws:arn:aws:iam::123456789012:role/level1",
                "level1",
            ),
            "sts:AssumeRole",
            "",
        ),
    ];
    for grant in &expected {
        assert!(snapshot.grants.contains(grant), "missing {grant:?}");
    }
}

#[test]
fn cloudsplaining_test_account_admins_are_direct() {
    let bytes = fixtures::read(
        "aws-iam/authorization-details/cloudsplaining-test-example-authz-details.json",
    );
    let snapshot = snapshot(&bytes);
    let scope = "aws:account:012345678901";
    assert_eq!(snapshot.scope, scope);
    // Counted by hand: 3 users (obama and userwithlotsofpermissions in `admin`, biden in
    // `biden`), 3 roles trusting one service each; AdministratorAccess on obama and on the
    // group `admin`, which is not expanded to its members.
    let expected = BTreeMap::from([
        ("admin", 2),
        ("attached", 5),
        ("iam_role", 3),
        ("iam_user", 3),
        ("inline_policy", 6),
        ("member", 3),
        ("sts:AssumeRole", 3),
    ]);
    assert_eq!(counts(&snapshot.grants), expected);
    let admins: Vec<(&str, &str)> = snapshot
        .grants
        .iter()
        .filter(|grant| grant.permission == "admin")
        .map(|grant| (grant.principal.id.as_str(), grant.via.as_str()))
        .collect();
    assert_eq!(
        admins,
        vec![
            (
                "aws:arn:aws:iam::012345678901:group/admin",
                "policy:AdministratorAccess"
            ),
            (
                "aws:arn:aws:iam::012345678901:user/obama",
                "policy:AdministratorAccess"
            ),
        ]
    );
}

#[test]
fn an_export_merged_from_two_accounts_is_the_majority_account() {
    let bytes = fixtures::read("aws-iam/authorization-details/cloudsplaining-example.json");
    let snapshot = snapshot(&bytes);
    // 119 of its 127 users, groups and roles are in 200611803367; 8 in 012345678901.
    assert_eq!(snapshot.scope, "aws:account:200611803367");
    let roles = snapshot
        .grants
        .iter()
        .filter(|g| g.permission == "iam_role")
        .count();
    let users = snapshot
        .grants
        .iter()
        .filter(|g| g.permission == "iam_user")
        .count();
    assert_eq!((users, roles), (44, 78));
}

/// The demo export with its lists split over two pages the way the API pages them.
fn two_pages() -> (Value, Value) {
    let whole: Value = serde_json::from_slice(&fixtures::read(DEMO)).unwrap();
    let first = json!({
        "UserDetailList": whole["UserDetailList"],
        "GroupDetailList": whole["GroupDetailList"],
        "RoleDetailList": [whole["RoleDetailList"][0], whole["RoleDetailList"][1]],
        "Policies": [],
        "IsTruncated": true,
        "Marker": "page-2",
    });
    let second = json!({
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [whole["RoleDetailList"][2], whole["RoleDetailList"][3]],
        "Policies": whole["Policies"],
        "IsTruncated": false,
    });
    (first, second)
}

#[test]
fn pages_merge_into_one_snapshot() {
    let whole = snapshot(&fixtures::read(DEMO));
    let (first, second) = two_pages();
    let array = serde_json::to_vec(&json!([first, second])).unwrap();
    let ndjson = format!("{first}\n{second}\n");
    let concatenated = format!(
        "{}{}",
        serde_json::to_string_pretty(&first).unwrap(),
        serde_json::to_string_pretty(&second).unwrap()
    );
    for body in [array, ndjson.into_bytes(), concatenated.into_bytes()] {
        assert_eq!(snapshot(&body), whole);
    }

    // Only the first page: the rest of the account is missing.
    let error = run(KIND, first.to_string().as_bytes()).unwrap_err();
    assert!(error.to_string().contains("incomplete"), "{error}");
    let mut cut = second.clone();
    cut["NextToken"] = json!("abc");
    let error = run(KIND, cut.to_string().as_bytes()).unwrap_err();
    assert!(error.to_string().contains("incomplete"), "{error}");
}

/// Every policy document of the demo export re-encoded as the raw API writes them.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn encode_documents(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key.ends_with("Document") && child.is_object() {
                    *child = Value::String(url_encode(&child.to_string()));
                } else {
                    encode_documents(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(encode_documents),
        _ => {}
    }
}

#[test]
fn url_encoded_and_single_statement_documents_read_the_same() {
    let whole = snapshot(&fixtures::read(DEMO));
    let mut encoded: Value = serde_json::from_slice(&fixtures::read(DEMO)).unwrap();
    encode_documents(&mut encoded);
    assert!(encoded["RoleDetailList"][0]["AssumeRolePolicyDocument"].is_string());
    assert_eq!(snapshot(encoded.to_string().as_bytes()), whole);

    // One statement as an object, actions as a string, a role path.
    let export = json!({
        "UserDetailList": [],
        "RoleDetailList": [{
            "RoleName": "ops", "Arn": "arn:aws:iam::111122223333:role/team/ops",
            "AssumeRolePolicyDocument": "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:user/x/alice\"}}}",
            "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess", "PolicyName": "AdministratorAccess"}]
        }],
        "Policies": []
    });
    let snapshot = snapshot(export.to_string().as_bytes());
    let facts: Vec<(&str, &str, &str, &str)> = snapshot
        .grants
        .iter()
        .map(|g| {
            (
                g.principal.id.as_str(),
                g.resource.id.as_str(),
                g.permission.as_str(),
                g.via.as_str(),
            )
        })
        .collect();
    let role = "aws:arn:aws:iam::111122223333:role/ops";
    // AWS's AdministratorAccess is known to be admin even when `Policies` leaves it out.
    assert_eq!(
        facts,
        vec![
            (
                role,
                "aws:account:111122223333",
                "admin",
                "policy:AdministratorAccess"
            ),
            (role, "aws:account:111122223333", "iam_role", ""),
            (
                role,
                "aws:arn:aws:iam::aws:policy/AdministratorAccess",
                "attached",
                ""
            ),
            (
                "aws:arn:aws:iam::111122223333:user/alice",
                role,
                "sts:AssumeRole",
                ""
            ),
        ]
    );
}

#[test]
fn malformed_exports_are_clear_errors() {
    let message = |body: &str| run(KIND, body.as_bytes()).unwrap_err().to_string();
    let demo = String::from_utf8(fixtures::read(DEMO)).unwrap();
    assert!(matches!(
        run(KIND, &demo.as_bytes()[..demo.len() / 2]),
        Err(NormalizeError::Json(_))
    ));
    assert_eq!(
        run(KIND, b"{}").unwrap_err(),
        NormalizeError::Missing("UserDetailList")
    );
    assert!(message("").contains("empty"));
    assert!(message("[1]").contains("page 1"));
    assert!(message(r#"{"UserDetailList": "alice"}"#)
        .contains("`UserDetailList` in the authorization details must be a list"));
    let role = r#"{"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r"}"#;
    let no_arn =
        format!(r#"{{"UserDetailList": [{{"UserName": "alice"}}], "RoleDetailList": [{role}]}}"#);
    assert!(message(&no_arn).contains("UserDetailList[0] has no IAM Arn"));
    let user = |extra: Value| {
        let mut user = json!({"UserName": "alice", "Arn": "arn:aws:iam::111122223333:user/alice"});
        user.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"UserDetailList": [user]}).to_string()
    };
    assert!(message(&user(json!({"GroupList": "admins"})))
        .contains("(alice) has a GroupList that is not a list"));
    assert!(
        message(&user(json!({"GroupList": [7]}))).contains("GroupList entry that is not a name")
    );
    assert!(message(&user(
        json!({"AttachedManagedPolicies": [{"PolicyName": "x"}]})
    ))
    .contains("without PolicyArn"));
    assert!(message(&user(
        json!({"UserPolicyList": [{"PolicyName": "p", "PolicyDocument": "%7B"}]})
    ))
    .contains("inline policy p: PolicyDocument is not a policy document"));
    let policy = json!({"UserDetailList": [], "RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r"}],
        "Policies": [{"Arn": "arn:aws:iam::111122223333:policy/p", "DefaultVersionId": "v1",
                      "PolicyVersionList": [{"VersionId": "v1", "Document": 5}]}]});
    assert!(message(&policy.to_string()).contains("policy arn:aws:iam::111122223333:policy/p"));
    let nowhere = json!({"UserDetailList": [{"UserName": "a", "Arn": "arn:aws:iam::aws:user/a"}]});
    assert!(message(&nowhere.to_string()).contains("names an account number"));
}

/// An administrator policy makes an admin edge only when nothing of the holder's own denies
/// anything unconditionally and its boundary (when the export holds it) allows everything:
/// cloudsplaining's fp1 (`iam:*` allowed, then denied) and fp2 (allow-all beside deny-all) are
/// not admins; obama (AdministratorAccess, no deny) is. The boundary cases are written here:
/// no sample export has a boundary on an administrator.
#[test]
fn denies_and_boundaries_take_the_admin_edge_away() {
    let example = snapshot(&fixtures::read(
        "aws-iam/authorization-details/cloudsplaining-example.json",
    ));
    let admins: Vec<&str> = example
        .grants
        .iter()
        .filter(|g| g.permission == "admin")
        .map(|g| g.principal.name.as_str())
        .collect();
    assert!(admins.contains(&"obama"), "{admins:?}");
    for fp in [
        "fp1-allow-and-deny-user",
        "fp1-allow-and-deny-role",
        "fp2-allow-and-deny-multiple-policies-user",
        "fp2-allow-and-deny-multiple-policies-role",
    ] {
        assert!(!admins.contains(&fp), "{fp} is not an admin: {admins:?}");
    }

    let policy = |name: &str, statement: Value| {
        json!({
            "PolicyName": name,
            "Arn": format!("arn:aws:iam::111122223333:policy/{name}"),
            "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                                   "Document": {"Version": "2012-10-17", "Statement": [statement]}}]
        })
    };
    let user = |name: &str, boundary: Option<&str>| {
        let mut user = json!({
            "UserName": name,
            "Arn": format!("arn:aws:iam::111122223333:user/{name}"),
            "GroupList": [],
            "UserPolicyList": [],
            "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess",
                                         "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]
        });
        if let Some(boundary) = boundary {
            user["PermissionsBoundary"] = json!({
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": format!("arn:aws:iam::111122223333:policy/{boundary}")
            });
        }
        user
    };
    let export = json!({
        "UserDetailList": [
            user("bounded", Some("s3-only")),
            user("unbounded-boundary", Some("everything")),
            user("unknown-boundary", Some("not-exported")),
        ],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [
            policy("s3-only", json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})),
            policy("everything", json!({"Effect": "Allow", "Action": "*", "Resource": "*"})),
        ]
    });
    let written = snapshot(export.to_string().as_bytes());
    let mut admins: Vec<&str> = written
        .grants
        .iter()
        .filter(|g| g.permission == "admin")
        .map(|g| g.principal.name.as_str())
        .collect();
    admins.sort_unstable();
    // A boundary of s3 only keeps `bounded` from administering; one the export does not hold
    // is not weighed (the edge stays rather than hide an administrator).
    assert_eq!(admins, ["unbounded-boundary", "unknown-boundary"]);
}
