//! `GET /api/v1/findings` over HTTP: cloudmapper's demo export is imported into the server's
//! store; the API answers with its one role anyone may assume, filters by kind and scope,
//! refuses an unknown kind and a bad `at` with the reason, and wants an auditor's token.

use crate::api::get;
use crate::support::{fixtures, TestServer};
use domain::import::{self, ImportKind, ImportOptions};
use domain::model::Role;

#[tokio::test]
async fn findings_by_kind_and_scope_for_auditors() {
    let server = TestServer::start().await;
    let export = fixtures().join(
        "aws-iam/authorization-details/cloudmapper-demo-iam-get-account-authorization-details.json",
    );
    let summary = import::import_files(
        &server.store,
        ImportKind::AwsIam,
        &ImportOptions::default(),
        &[export],
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.tally.failed, 0, "{summary:?}");
    let auditor = server.token(Role::Auditor).await;
    let t = Some(auditor.as_str());

    // cloudmapper's `bad_role` trusts `{"AWS": "*"}` in statement 0 of its trust policy.
    let (status, answer) = get(
        &server,
        t,
        "/api/v1/findings?kind=aws.role_trusts_anyone&scope=123456789012",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let found = answer["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{answer}");
    assert_eq!(found[0]["severity"], "critical");
    assert_eq!(found[0]["resource"]["name"], "bad_role");
    assert_eq!(found[0]["path"], "anyone (*) → bad_role (sts:AssumeRole)");
    assert_eq!(found[0]["evidence"]["statements"][0]["index"], 0);
    assert_eq!(answer["snapshots"][0]["kind"], "iam_authorization_details");

    // Another account has no findings; a day before the import neither has this one.
    let (_, other) = get(&server, t, "/api/v1/findings?scope=999999999999").await;
    assert_eq!(other["findings"], serde_json::json!([]));
    let (_, before) = get(&server, t, "/api/v1/findings?at=2020-01-01").await;
    assert_eq!(before["findings"], serde_json::json!([]));

    for (query, says) in [
        ("?kind=aws.everything", "aws.everything"),
        ("?at=yesterday", "at: \"yesterday\""),
    ] {
        let (status, problem) = get(&server, t, &format!("/api/v1/findings{query}")).await;
        assert_eq!(status, 400, "{query}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{query}: {detail}");
    }
    let (_, problem) = get(&server, t, "/api/v1/findings?kind=nope").await;
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("aws.role_trusts_anyone"));

    assert_eq!(get(&server, None, "/api/v1/findings").await.0, 401);
    let viewer = server.token(Role::Viewer).await;
    assert_eq!(get(&server, Some(&viewer), "/api/v1/findings").await.0, 403);

    let (_, doc) = get(&server, None, "/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/findings"]["get"].is_object());
    assert!(doc["components"]["schemas"]["FindingsReport"].is_object());
}
