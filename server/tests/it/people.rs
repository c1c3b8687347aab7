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
    import_alice_and_bob(&server).await;
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

/// Imports Alice (manager) and Bob into `server`.
async fn import_alice_and_bob(server: &TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    std::fs::write(
        &file,
        "email,name,manager,github\n\
         alice@example.com,Alice,,alice-gh\n\
         bob@example.com,Bob,alice@example.com,bob-gh\n",
    )
    .unwrap();
    import::import_files(
        &server.store,
        ImportKind::People,
        &ImportOptions::default(),
        &[file],
        &mut |_| {},
    )
    .await
    .unwrap();
}

/// Posts a person page's form as a browser without JavaScript does.
async fn post_form(
    server: &TestServer,
    client: &reqwest::Client,
    page: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let (status, to) =
        crate::support::post_form(server, client, "decide_person", page, fields).await;
    (status.as_u16(), to)
}

async fn page(client: &reqwest::Client, url: &str) -> (u16, String) {
    let response = client.get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn admins_correct_people_on_the_person_page_without_javascript_on_the_record() {
    let server = crate::auth::demo_server().await;
    import_alice_and_bob(&server).await;
    let admin = crate::auth::signed_in(&server, Role::Admin).await;
    let auditor = crate::auth::signed_in(&server, Role::Auditor).await;
    let alice = server.url("/people/alice%40example.com");
    let bob = server.url("/people/bob%40example.com");

    // Only an admin is offered the forms; an auditor reads the same page without them.
    let (status, html) = page(&admin, &alice).await;
    assert_eq!(status, 200);
    for form in [
        "Correct by hand",
        r#"name="decision" value="link""#,
        r#"name="decision" value="merge""#,
        r#"name="decision" value="unlink""#,
    ] {
        assert!(html.contains(form), "admin's page lacks {form}");
    }
    let (status, html) = page(&auditor, &alice).await;
    assert_eq!(status, 200);
    assert!(!html.contains("Correct by hand") && !html.contains(r#"name="decision""#));
    let refused = post_form(
        &server,
        &auditor,
        &alice,
        &[
            ("email", "alice@example.com"),
            ("decision", "link"),
            ("source", "github"),
            ("account_id", "alice-old"),
            ("reason", "auditors may not"),
        ],
    )
    .await;
    assert_eq!(refused.0, 403);

    // Link: the browser goes back to the page, which shows the decision on the record.
    let link = [
        ("email", "alice@example.com"),
        ("decision", "link"),
        ("source", "github"),
        ("account_id", " alice-old "),
        ("reason", "her login before the rename"),
    ];
    // (server_fn leaves an empty query behind when it strips an earlier error off the URL.)
    let (status, to) = post_form(&server, &admin, &alice, &link).await;
    assert_eq!((status, to.trim_end_matches('?')), (302, alice.as_str()));
    let (_, html) = page(&admin, &alice).await;
    assert!(html.contains("Linked github account alice-old to alice@example.com"));
    assert!(html.contains("her login before the rename"));
    assert!(html.contains("<td>admin@example.com</td>"), "the actor");

    // The same again is refused; the reason comes back in the URL and shows on the page,
    // which itself is fine (200).
    let (status, to) = post_form(&server, &admin, &alice, &link).await;
    assert_eq!(status, 302);
    assert!(to.starts_with(&alice) && to.contains("__err="), "{to}");
    let (status, html) = page(&admin, &to).await;
    assert_eq!(status, 200);
    assert!(html.contains("Not done"), "the refusal's heading");
    assert!(
        html.contains("is already alice@example.com"),
        "the refusal's reason"
    );

    // Bad input is refused with the reason, and nothing is recorded.
    for (fields, says) in [
        (
            vec![
                ("email", "alice@example.com"),
                ("decision", "link"),
                ("source", "myspace"),
                ("account_id", "a"),
                ("reason", "r"),
            ],
            "is not one of",
        ),
        (
            vec![
                ("email", "alice@example.com"),
                ("decision", "link"),
                ("source", "github"),
                ("account_id", "a"),
                ("reason", "  "),
            ],
            "say why",
        ),
        (
            vec![
                ("email", "alice@example.com"),
                ("decision", "adopt"),
                ("reason", "r"),
            ],
            "is not a decision",
        ),
        (
            vec![
                ("email", "alice@example.com"),
                ("decision", "merge"),
                ("reason", "r"),
            ],
            "name the other person",
        ),
        (
            vec![
                ("email", "alice@example.com"),
                ("decision", "merge"),
                ("person", "nobody@example.com"),
                ("reason", "r"),
            ],
            "no person",
        ),
    ] {
        let (status, to) = post_form(&server, &admin, &alice, &fields).await;
        assert_eq!(status, 302, "{fields:?}");
        let (_, html) = page(&admin, &to).await;
        assert!(
            html.contains(says),
            "{fields:?}: the page does not say {says:?}"
        );
    }

    // Merge Bob in from Alice's page; split him off again from his own.
    let merge = [
        ("email", "alice@example.com"),
        ("decision", "merge"),
        ("person", "bob@example.com"),
        ("reason", "one human, two mailboxes"),
    ];
    assert_eq!(post_form(&server, &admin, &alice, &merge).await.0, 302);
    let (_, html) = page(&admin, &bob).await;
    assert!(html.contains("Merged into"));
    assert!(
        html.contains(r#"name="decision" value="split""#),
        "split from Bob's page"
    );
    let split = [
        ("email", "alice@example.com"),
        ("decision", "split"),
        ("person", "bob@example.com"),
        ("reason", "two humans after all"),
    ];
    let (status, to) = post_form(&server, &admin, &bob, &split).await;
    assert_eq!((status, to.trim_end_matches('?')), (302, bob.as_str()));
    let profile = server
        .store
        .person_profile("bob@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(profile.merged_into, None);
    let record: Vec<_> = server
        .store
        .person_profile("alice@example.com")
        .await
        .unwrap()
        .unwrap()
        .log
        .into_iter()
        .map(|e| (e.action.as_str(), e.actor))
        .collect();
    assert_eq!(
        record,
        [
            ("split", "admin@example.com".to_owned()),
            ("merge", "admin@example.com".to_owned()),
            ("link", "admin@example.com".to_owned()),
        ]
    );

    // Each decision is also in Attest's audit log, with the admin's role and address, and
    // every row is in the ledger.
    let filter = domain::audit::ActionFilter {
        action: "person.*".to_owned(),
        ..Default::default()
    };
    let log = server.store.actions(&filter, 10).await.unwrap().actions;
    let logged: Vec<_> = log
        .iter()
        .map(|a| {
            (
                a.action.as_str(),
                a.actor.as_str(),
                a.role.as_str(),
                a.target.as_str(),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            (
                "person.split",
                "admin@example.com",
                "admin",
                "alice@example.com"
            ),
            (
                "person.merge",
                "admin@example.com",
                "admin",
                "alice@example.com"
            ),
            (
                "person.link",
                "admin@example.com",
                "admin",
                "alice@example.com"
            ),
        ]
    );
    assert!(log.iter().all(|a| a.ip == "127.0.0.1"));
    assert!(
        log[2]
            .detail
            .ends_with("linked github account alice-old: her login before the rename"),
        "{}",
        log[2].detail
    );
    let report = server.store.verify_ledger(None, &[]).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
