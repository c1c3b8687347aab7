//! `/api/v1/people` over HTTP: auditors read people and the record of decisions; admins link,
//! unlink, merge and split, each recorded with their token's name and their reason; what cannot
//! be done is refused with the status and reason that say why.

use crate::api::get;
use crate::support::TestServer;
use domain::import::{self, ImportKind, ImportOptions};
use domain::model::Role;
use serde_json::{json, Value};

async fn post(server: &TestServer, token: Option<&str>, path: &str, body: &str) -> (u16, Value) {
    let mut request = server
        .client
        .post(server.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn people_are_read_by_auditors_and_corrected_by_admins_on_the_record() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    std::fs::write(
        &file,
        "email,name,manager,github\n\
         alice@example.com,Alice,,alice-gh\n\
         bob@example.com,Bob,alice@example.com,bob-gh\n",
    )
    .unwrap();
    let summary = import::import_files(
        &server.store,
        ImportKind::People,
        &ImportOptions::default(),
        &[file],
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.tally.new, 1);
    let auditor = server.token(Role::Auditor).await;
    let admin = server.token(Role::Admin).await;
    let admin_name = server
        .store
        .list_tokens()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.role == Role::Admin)
        .unwrap()
        .name;

    let (status, page) = get(&server, Some(&auditor), "/api/v1/people?q=BOB").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["people"][0]["email"], "bob@example.com");
    assert_eq!(page["people"][0]["accounts"][0]["account_id"], "bob-gh");
    assert!(page.get("next_after").is_none(), "{page}");
    let (status, problem) = get(&server, Some(&auditor), "/api/v1/people?limit=0").await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("from 1 to 1000"),
        "{problem}"
    );
    let (status, page) = get(&server, Some(&auditor), "/api/v1/people?limit=1").await;
    assert_eq!(
        (status, &page["next_after"]),
        (200, &json!("alice@example.com"))
    );
    let (status, person) = get(&server, Some(&auditor), "/api/v1/people/Alice@Example.com").await;
    assert_eq!(status, 200, "{person}");
    assert_eq!(person["reports"], json!(["bob@example.com"]));
    assert_eq!(
        person["accounts"][0]["origin"],
        json!({"by": "import", "email": "alice@example.com"})
    );

    let link = r#"{"source": "github", "account_id": "alice-old", "reason": "her old login"}"#;
    let path = "/api/v1/people/alice@example.com/link";
    assert_eq!(post(&server, None, path, link).await.0, 401);
    assert_eq!(post(&server, Some(&auditor), path, link).await.0, 403);
    let (status, entry) = post(&server, Some(&admin), path, link).await;
    assert_eq!(status, 201, "{entry}");
    assert_eq!(entry["action"], "link");
    assert_eq!(entry["actor"], format!("token:{admin_name}"));
    assert_eq!(entry["reason"], "her old login");

    let (status, entry) = post(
        &server,
        Some(&admin),
        "/api/v1/people/alice@example.com/merge",
        r#"{"person": "bob@example.com", "reason": "Bob is Alice's second mailbox"}"#,
    )
    .await;
    assert_eq!(status, 201, "{entry}");
    let (_, bob) = get(&server, Some(&auditor), "/api/v1/people/bob@example.com").await;
    assert_eq!(bob["merged_into"], "alice@example.com");
    let (_, alice) = get(&server, Some(&auditor), "/api/v1/people/alice@example.com").await;
    let accounts: Vec<&str> = alice["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"]["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, ["alice-gh", "alice-old", "bob-gh"]);
    let record: Vec<&str> = alice["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(record, ["merge", "link"]);

    for (path, body, status, says) in [
        (
            "/api/v1/people/alice@example.com/link",
            "{not json",
            400,
            "the JSON body does not fit",
        ),
        (
            "/api/v1/people/alice@example.com/link",
            r#"{"source": "myspace", "account_id": "a", "reason": "r"}"#,
            400,
            "is not one of",
        ),
        (
            "/api/v1/people/alice@example.com/link",
            r#"{"source": "github", "account_id": "x", "reason": " "}"#,
            400,
            "say why",
        ),
        (
            "/api/v1/people/nobody@example.com/link",
            r#"{"source": "github", "account_id": "x", "reason": "r"}"#,
            404,
            "no person",
        ),
        (
            "/api/v1/people/alice@example.com/link",
            r#"{"source": "github", "account_id": "bob-gh", "reason": "r"}"#,
            409,
            "already alice@example.com's",
        ),
        (
            "/api/v1/people/bob@example.com/unlink",
            r#"{"source": "github", "account_id": "bob-gh", "reason": "r"}"#,
            409,
            "was merged into alice@example.com",
        ),
        (
            "/api/v1/people/alice@example.com/split",
            r#"{"person": "alice@example.com", "reason": "r"}"#,
            409,
            "is not merged into",
        ),
    ] {
        let (got, problem) = post(&server, Some(&admin), path, body).await;
        assert_eq!(got, status, "{path} {body}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{path} {body}: {problem}"
        );
    }
    let (status, _) = get(&server, Some(&auditor), "/api/v1/people/nobody@example.com").await;
    assert_eq!(status, 404);

    let (status, doc) = get(&server, None, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    for path in ["/api/v1/people/{email}", "/api/v1/people/{email}/merge"] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}
