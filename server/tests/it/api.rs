//! `/api/v1`: bearer tokens, filters and their validation, keyset paging, one event with its
//! raw payload, the OpenAPI document, and `/healthz`.

use crate::support::{fixtures, TestServer, SECRET};
use domain::model::Role;
use serde_json::Value;

async fn seeded() -> (TestServer, String) {
    let server = TestServer::start().await;
    for (event, file) in [
        ("member", "github/webhooks/member/added.payload.json"),
        ("push", "github/webhooks/push/with-new-branch.payload.json"),
        ("team_add", "github/webhooks/team_add/payload.json"),
        (
            "organization",
            "github/webhooks/organization/member_added.payload.json",
        ),
    ] {
        let body = std::fs::read(fixtures().join(file)).unwrap();
        assert_eq!(
            server.github(event, file, &body, SECRET).await.status(),
            202,
            "{file}"
        );
    }
    let token = server.token(Role::Viewer).await;
    (server, token)
}

/// GETs `path` with the bearer `token`: the status and the JSON body (null when none).
pub(crate) async fn get(server: &TestServer, token: Option<&str>, path: &str) -> (u16, Value) {
    let mut request = server.client.get(server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let (server, token) = seeded().await;
    assert_eq!(get(&server, None, "/api/v1/events").await.0, 401);
    assert_eq!(
        get(&server, Some("attest_not-a-real-token"), "/api/v1/events")
            .await
            .0,
        401
    );
    let (status, page) = get(&server, Some(&token), "/api/v1/events").await;
    assert_eq!(status, 200);
    assert_eq!(page["events"].as_array().unwrap().len(), 4);
    server
        .store
        .revoke_token(
            &server.store.list_tokens().await.unwrap()[0].name,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(get(&server, Some(&token), "/api/v1/events").await.0, 401);
}

#[tokio::test]
async fn filters_paging_and_validation() {
    let (server, token) = seeded().await;
    let t = Some(token.as_str());
    let (_, all) = get(&server, t, "/api/v1/events").await;
    let events = all["events"].as_array().unwrap();
    let times: Vec<&str> = events
        .iter()
        .map(|e| e["occurred_at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");
    assert!(
        times.iter().all(|t| t.ends_with('Z')),
        "RFC 3339 UTC: {times:?}"
    );

    let (_, page) = get(&server, t, "/api/v1/events?action=repo.*").await;
    let actions: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        !actions.is_empty() && actions.iter().all(|a| a.starts_with("repo.")),
        "{actions:?}"
    );

    let actor = events[0]["actor"]["name"].as_str().unwrap();
    let (_, page) = get(
        &server,
        t,
        &format!("/api/v1/events?actor={actor}&source=github"),
    )
    .await;
    assert!(page["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"]["name"] == actor));

    // Keyset paging: two pages of two, no overlap, then no cursor.
    let (_, first) = get(&server, t, "/api/v1/events?limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = get(
        &server,
        t,
        &format!("/api/v1/events?limit=2&cursor={cursor}"),
    )
    .await;
    assert!(second["next_cursor"].is_null());
    let ids = |v: &Value| {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let mut both = ids(&first);
    both.extend(ids(&second));
    assert_eq!(both, ids(&all));

    for (query, names) in [
        ("limit=501", "limit"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("since=yesterday", "since"),
        ("until=2026-13-01", "until"),
        ("source=svn", "source"),
        ("cursor=garbage", "cursor"),
    ] {
        let (status, problem) = get(&server, t, &format!("/api/v1/events?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(
            problem["detail"].as_str().unwrap().contains(names),
            "{query}: {problem}"
        );
    }
    let (status, page) = get(
        &server,
        t,
        "/api/v1/events?since=2000-01-01&until=2000-01-02",
    )
    .await;
    assert_eq!(status, 200);
    assert!(page["events"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn one_event_carries_its_raw_payload() {
    let (server, token) = seeded().await;
    let t = Some(token.as_str());
    let (_, page) = get(&server, t, "/api/v1/events?action=repo.collaborator.added").await;
    let id = page["events"][0]["id"].as_i64().unwrap();
    let (status, event) = get(&server, t, &format!("/api/v1/events/{id}")).await;
    assert_eq!(status, 200);
    let raw: Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("github/webhooks/member/added.payload.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(event["raw"], raw);
    assert_eq!(event["delivery"]["kind"], "member");
    assert_eq!(get(&server, t, "/api/v1/events/999999").await.0, 404);
    assert_eq!(get(&server, t, "/api/v1/events/abc").await.0, 400);
}

#[tokio::test]
async fn openapi_document_describes_the_api_and_health_answers() {
    let server = TestServer::start().await;
    let (status, doc) = get(&server, None, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/events"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/events/{id}"]["get"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    server.store.close().await;
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 503);
}
