//! The findings suite: policy checks over real sample data (the cloudsplaining and cloudmapper
//! IAM exports, cloudmapper's credential report, GitHub's documented org responses and
//! webhooks), on both engines. Every expected answer is worked out by hand from the fixture
//! named beside it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::fixtures;
use chrono::{DateTime, Duration, Utc};
use domain::access::findings::{Finding, FindingsReport, Severity};
use domain::import::{self, ImportKind, ImportOptions};
use domain::ingest;
use domain::model::Source;
use domain::store::{IncomingDelivery, Store};
use serde_json::{json, Value};

crate::on_both_engines!(
    cloudsplaining_admins_and_escalations,
    cloudmapper_trust_and_credential_report,
    github_owners_outside_collaborators_and_deploy_keys,
);

async fn import(store: &Store, kind: ImportKind, relative: &str) {
    let summary = import::import_files(
        store,
        kind,
        &ImportOptions::default(),
        &[fixtures().join(relative)],
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.tally.failed, 0, "{summary:?}");
}

/// The findings of `kind`.
fn of<'r>(report: &'r FindingsReport, kind: &str) -> Vec<&'r Finding> {
    report.findings.iter().filter(|f| f.kind == kind).collect()
}

/// Principal names of the findings of `kind`, sorted.
fn names(report: &FindingsReport, kind: &str) -> Vec<String> {
    let mut names: Vec<String> = of(report, kind)
        .iter()
        .map(|f| f.principal.name.clone())
        .collect();
    names.sort();
    names
}

/// `aws iam get-account-authorization-details` of the cloudsplaining example account
/// 200611803367 (44 users, 78 roles, 84 policies).
async fn cloudsplaining_admins_and_escalations(store: &Store) {
    let before = Utc::now() - Duration::seconds(1);
    import(
        store,
        ImportKind::AwsIam,
        "aws-iam/authorization-details/cloudsplaining-example.json",
    )
    .await;
    let report = store.findings(Utc::now()).await.unwrap();
    assert_eq!(report.snapshots.len(), 1);
    let delivery = report.snapshots[0].delivery_id;
    assert_eq!(report.snapshots[0].scope, "aws:account:200611803367");

    // Full administrators: an unconditional Allow of `*` on `*` and no unconditional Deny.
    // obama and the QuickSetup, SSO, OrganizationAccountAccess and stackset roles hold
    // AdministratorAccess; userwithlotsofpermissions through the group `admin`; the
    // privesc ending and service roles hold customer policies of `*` on `*`. fp1 (`iam:*`
    // allowed and denied) and fp2 (allow-all beside deny-all) are not: the Deny wins.
    assert_eq!(
        names(&report, "aws.full_admin"),
        [
            "AWS-QuickSetup-StackSet-Local-ExecutionRole",
            "AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc",
            "OrganizationAccountAccessRole",
            "obama",
            "privesc-AssumeRole-ending-role",
            "privesc-high-priv-service-role",
            "stacksets-exec-b5520cb2730c2f54b523d6375a319abb",
            "userwithlotsofpermissions",
        ]
    );
    let obama = of(&report, "aws.full_admin")
        .into_iter()
        .find(|f| f.principal.name == "obama")
        .unwrap();
    assert_eq!(obama.severity, Severity::High);
    // The sample merges accounts: obama's ARN names 012345678901, and the grants name him
    // so too; the scope is the account most ARNs name.
    assert_eq!(
        obama.principal.id,
        "aws:arn:aws:iam::012345678901:user/obama"
    );
    assert_eq!(obama.scope, "aws:account:200611803367");
    assert_eq!(obama.resource.id, "aws:account:200611803367");
    assert_eq!(obama.path, "obama → AdministratorAccess (attached)");
    assert_eq!(obama.evidence.delivery_id, Some(delivery));
    let statement = &obama.evidence.statements[0];
    assert_eq!(
        (
            statement.policy.as_str(),
            statement.index,
            statement.conditional
        ),
        ("arn:aws:iam::aws:policy/AdministratorAccess", 0, false)
    );
    let through_group = of(&report, "aws.full_admin")
        .into_iter()
        .find(|f| f.principal.name == "userwithlotsofpermissions")
        .unwrap();
    assert_eq!(
        through_group.path,
        "userwithlotsofpermissions → admin (member) → AdministratorAccess (attached)"
    );

    // AdministratorAccess held by users: obama directly and through `admin`,
    // userwithlotsofpermissions through `admin`.
    let paths: Vec<&str> = of(&report, "aws.administrator_access_user")
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "obama → AdministratorAccess (attached)",
            "obama → admin (member) → AdministratorAccess (attached)",
            "userwithlotsofpermissions → admin (member) → AdministratorAccess (attached)",
        ]
    );

    // fp2-allow-all is a wildcard policy whoever holds it, even though deny-all beside it
    // keeps its holders from being admins; fp1-allow-and-deny allows `iam:*` only.
    let wildcard = names(&report, "aws.wildcard_admin_policy");
    for fp2 in [
        "fp2-allow-and-deny-multiple-policies-role",
        "fp2-allow-and-deny-multiple-policies-user",
    ] {
        assert!(wildcard.iter().any(|n| n == fp2), "{fp2}: {wildcard:?}");
    }
    assert!(
        wildcard.iter().all(|n| !n.starts_with("fp1")),
        "{wildcard:?}"
    );
    let fp2 = of(&report, "aws.wildcard_admin_policy")
        .into_iter()
        .find(|f| f.principal.name == "fp2-allow-and-deny-multiple-policies-user")
        .unwrap();
    assert_eq!(fp2.resource.name, "fp2-allow-all");
    assert_eq!(fp2.evidence.statements[0].index, 0);

    // Escalation routes, as the evaluator's own tests list them per user.
    let methods = |user: &str| -> Vec<String> {
        of(&report, "aws.privilege_escalation")
            .iter()
            .filter(|f| f.principal.name == user)
            .map(|f| f.evidence.facts["method"].clone())
            .collect()
    };
    let mut biden = methods("biden");
    biden.sort();
    assert_eq!(
        biden,
        [
            "PassRole+Lambda+EventSource",
            "PassRole+Lambda+Invoke",
            "UpdateFunctionCode"
        ]
    );
    assert_eq!(methods("privesc-sre-user").len(), 13);
    for none in [
        "fp1-allow-and-deny-user",
        "fp2-allow-and-deny-multiple-policies-user",
        "fp4-nonExploitableResourceConstraint-user",
        // An administrator needs no route.
        "obama",
    ] {
        assert_eq!(methods(none), Vec::<String>::new(), "{none}");
    }

    // The graph agrees: fp1 and fp2 are not admins of the account, obama still is.
    let now = Utc::now();
    for (who, admin) in [
        ("fp1-allow-and-deny-user", false),
        ("fp2-allow-and-deny-multiple-policies-user", false),
        ("fp1-allow-and-deny-role", false),
        ("obama", true),
    ] {
        let ids: Vec<String> = store
            .find_principals(who)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids.len(), 1, "{who}");
        let access = store.access_of(&ids, now).await.unwrap();
        let is_admin = access.rows.iter().any(|r| r.permission == "admin");
        assert_eq!(is_admin, admin, "{who}: {:?}", access.rows);
    }

    // Before the export arrived there was nothing to check.
    let earlier = store.findings(before).await.unwrap();
    assert!(earlier.findings.is_empty(), "{:?}", earlier.findings);
    assert!(earlier.snapshots.is_empty());

    // The same facts give the same report.
    let again = store.findings(report.at).await.unwrap();
    assert_eq!(again, report);
}

/// cloudmapper's demo account 123456789012: its export (the role `bad_role` trusts
/// `{"AWS": "*"}`) and its credential report, generated 2019-05-07T15:40:22Z.
async fn cloudmapper_trust_and_credential_report(store: &Store) {
    import(
        store,
        ImportKind::AwsIam,
        "aws-iam/authorization-details/cloudmapper-demo-iam-get-account-authorization-details.json",
    )
    .await;
    import(
        store,
        ImportKind::AwsCredentialReport,
        "aws-iam/cloudmapper-demo/iam-get-credential-report.json",
    )
    .await;
    let report = store.findings(Utc::now()).await.unwrap();
    let kinds: Vec<&str> = report.snapshots.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["credential_report", "iam_authorization_details"]);

    let trusts = of(&report, "aws.role_trusts_anyone");
    assert_eq!(trusts.len(), 1, "{trusts:?}");
    assert_eq!(trusts[0].severity, Severity::Critical);
    assert_eq!(trusts[0].principal.id, "aws:anyone");
    assert_eq!(
        trusts[0].resource.id,
        "aws:arn:aws:iam::123456789012:role/bad_role"
    );
    assert_eq!(trusts[0].path, "anyone (*) → bad_role (sts:AssumeRole)");
    let statement = &trusts[0].evidence.statements[0];
    assert_eq!(
        (
            statement.policy.as_str(),
            statement.index,
            statement.conditional
        ),
        ("trust policy", 0, false)
    );

    // The report's rows, counted at its generation time 2019-05-07T15:40:22Z:
    // root: MFA on; key 1 active, rotated 2018-11-23T16:01:14 (164 days and 23 hours
    //   before), last used 2018-11-27T00:02:00 (161 days) → root key, old, unused.
    // auditor_tmp: no password; key 1 made 2019-05-07T15:35:55, never used → nothing.
    // user: password, no MFA → without MFA; key 1 as auditor_tmp's → nothing; key 2
    //   rotated and last used 2018-05-07T15:35:54 (365 days) → old, unused.
    let generated: DateTime<Utc> = "2019-05-07T15:40:22Z".parse().unwrap();
    let brief = |kind: &str| -> Vec<(String, String)> {
        of(&report, kind)
            .iter()
            .map(|f| (f.principal.name.clone(), f.title.clone()))
            .collect()
    };
    let pair = |who: &str, title: &str| vec![(who.to_owned(), title.to_owned())];
    assert_eq!(
        brief("aws.root_access_key"),
        pair(
            "123456789012",
            "the root user of 123456789012 has active access key 1"
        )
    );
    assert_eq!(brief("aws.root_without_mfa"), Vec::new());
    assert_eq!(
        brief("aws.user_without_mfa"),
        pair("user", "user signs in to the console without MFA")
    );
    let mut old = brief("aws.access_key_old");
    old.sort();
    assert_eq!(
        old,
        [
            pair(
                "123456789012",
                "root's access key 1 was last rotated 164 days before the report"
            ),
            pair(
                "user",
                "user's access key 2 was last rotated 365 days before the report"
            ),
        ]
        .concat()
    );
    let mut unused = brief("aws.access_key_unused");
    unused.sort();
    assert_eq!(
        unused,
        [
            pair(
                "123456789012",
                "root's access key 1 was not used for 161 days before the report"
            ),
            pair(
                "user",
                "user's access key 2 was not used for 365 days before the report"
            ),
        ]
        .concat()
    );
    let key2 = of(&report, "aws.access_key_old")
        .into_iter()
        .find(|f| f.principal.name == "user")
        .unwrap();
    assert_eq!(key2.observed_at, Some(generated));
    assert_eq!(key2.path, "user key 2 → user (access_key)");
    assert_eq!(
        key2.evidence.facts["access_key_2_last_rotated"],
        "2018-05-07T15:35:54+00:00"
    );
    assert_eq!(
        key2.evidence.facts["arn"],
        "arn:aws:iam::123456789012:user/user"
    );
    let report_delivery = report
        .snapshots
        .iter()
        .find(|s| s.kind == "credential_report")
        .unwrap()
        .delivery_id;
    assert_eq!(key2.evidence.delivery_id, Some(report_delivery));
}

/// An org snapshot (kind `org_snapshot`) delivered as if it arrived at `at`.
async fn deliver_org(store: &Store, key: &str, file: &Value, at: DateTime<Utc>) {
    let delivery = IncomingDelivery {
        source: Source::Github,
        delivery_key: key.to_owned(),
        kind: Some("org_snapshot".to_owned()),
        received_at: at,
        headers: Vec::new(),
        body: file.to_string().into_bytes(),
    };
    let results = ingest::ingest(store, vec![delivery]).await.unwrap();
    assert_eq!(results.len(), 1);
}

fn docs(name: &str) -> Value {
    let path = fixtures().join("github/rest-api-docs-examples").join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn first(list: Value) -> Value {
    list.as_array().unwrap()[0].clone()
}

fn with(mut item: Value, extra: Value) -> Value {
    item.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    item
}

async fn github_owners_outside_collaborators_and_deploy_keys(store: &Store) {
    // GitHub's documented responses nested as a snapshot builder would: octocat (id 1) is the
    // org's one admin member, a direct collaborator on Hello-World with {pull, push} (write),
    // and listed as an outside collaborator; the deploy key is `read_only: true`.
    let admin = docs("GET_orgs_org_memberships_username.200.org-membership-response-if-user-has-an-active-admin-membership-with-organization.json");
    let documented = json!({
        "org": docs("GET_orgs_org.200.organization-full-default-response.json"),
        "taken_at": "2024-05-01T12:00:00Z",
        "members": [with(first(docs("GET_orgs_org_members.200.simple-user-items.json")),
                         json!({"role": admin["role"]}))],
        "teams": [],
        "repos": [with(first(docs("GET_orgs_org_repos.200.minimal-repository-items.json")), json!({
            "collaborators": docs("GET_repos_owner_repo_collaborators.200.collaborator-items.json"),
            "deploy_keys": docs("GET_repos_owner_repo_keys.200.deploy-key-items.json"),
        }))],
        "outside_collaborators": docs("GET_orgs_org_outside_collaborators.200.simple-user-items.json"),
    });
    let taken: DateTime<Utc> = "2024-05-01T12:00:00Z".parse().unwrap();
    deliver_org(store, "documented", &documented, taken).await;
    let report = store.findings(taken + Duration::hours(1)).await.unwrap();
    let owners = of(&report, "github.org_owners");
    assert_eq!(owners.len(), 1, "{:?}", report.findings);
    assert_eq!(owners[0].title, "github has 1 owner");
    assert_eq!(owners[0].severity, Severity::Info);
    assert_eq!(owners[0].evidence.facts["owners"], "octocat");
    assert_eq!(owners[0].scope, "github:org:github");
    // octocat writes but does not administer; the key only reads.
    assert!(of(&report, "github.outside_collaborator_admin").is_empty());
    assert!(of(&report, "github.deploy_key_write").is_empty());
    // Before the snapshot, nothing.
    let before = store.findings(taken - Duration::hours(1)).await.unwrap();
    assert!(before.findings.is_empty(), "{:?}", before.findings);

    // The example of the snapshot format's documentation (a hand-written org, not a fixture)
    // with lisa, an outside collaborator, raised to admin and the deploy key writable.
    let composed = json!({
      "org": {"login": "Octo-Org", "id": 9919, "default_repository_permission": "read"},
      "taken_at": "2024-06-01T12:00:00Z",
      "members": [{"login": "mona", "id": 1, "role": "admin"},
                  {"login": "hubot", "id": 2, "role": "admin"},
                  {"login": "octo", "id": 4, "role": "member"}],
      "teams": [],
      "repos": [
        {"id": 100, "full_name": "Octo-Org/infra",
         "collaborators": [{"login": "lisa", "id": 3,
                            "permissions": {"admin": true, "push": true, "pull": true}},
                           {"login": "octo", "id": 4,
                            "permissions": {"admin": true, "push": true, "pull": true}}],
         "deploy_keys": [{"id": 7, "title": "ci", "read_only": false},
                         {"id": 8, "title": "mirror", "read_only": true}]}
      ],
      "outside_collaborators": [{"login": "lisa", "id": 3}]
    });
    let taken: DateTime<Utc> = "2024-06-01T12:00:00Z".parse().unwrap();
    deliver_org(store, "composed", &composed, taken).await;
    let report = store.findings(taken).await.unwrap();
    // octo administers infra too, but is a member, not an outsider.
    let outside = of(&report, "github.outside_collaborator_admin");
    assert_eq!(outside.len(), 1);
    assert_eq!(outside[0].principal.id, "github:user:3");
    assert_eq!(outside[0].path, "lisa → Octo-Org/infra (admin)");
    assert_eq!(outside[0].observed_at, Some(taken));
    assert!(outside[0].evidence.grant_id.is_some());
    assert!(outside[0].evidence.delivery_id.is_some());
    let keys = of(&report, "github.deploy_key_write");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].principal.id, "github:deploy_key:7");
    assert_eq!(keys[0].path, "ci → Octo-Org/infra (write)");
    let owners: Vec<(&str, &str)> = of(&report, "github.org_owners")
        .iter()
        .map(|f| (f.title.as_str(), f.evidence.facts["owners"].as_str()))
        .collect();
    assert_eq!(
        owners,
        [
            ("github has 1 owner", "octocat"),
            ("Octo-Org has 2 owners", "hubot, mona"),
        ]
    );
}
