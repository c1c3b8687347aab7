//! `POST /hooks/github`: every answer of the contract, on real sample payloads.

use crate::support::{fixtures, TestServer, SECRET};
use domain::model::{EventFilter, Source};

async fn deliveries_stored(server: &TestServer) -> i64 {
    let health = server.store.ingest_health(0).await.unwrap();
    health
        .sources
        .iter()
        .filter(|s| s.source == Source::Github)
        .map(|s| s.normalized + s.failed + s.pending)
        .sum()
}

#[tokio::test]
async fn every_fixture_is_accepted_and_yields_events() {
    let server = TestServer::start().await;
    let mut n = 0;
    for root in ["github/webhooks", "github/webhooks-ghes-3.5"] {
        for dir in std::fs::read_dir(fixtures().join(root)).unwrap() {
            let dir = dir.unwrap().path();
            let event = dir.file_name().unwrap().to_string_lossy().into_owned();
            for file in std::fs::read_dir(&dir).unwrap() {
                let body = std::fs::read(file.unwrap().path()).unwrap();
                n += 1;
                let response = server
                    .github(&event, &format!("d-{n}"), &body, SECRET)
                    .await;
                let expected = if event == "ping" { 200 } else { 202 };
                assert_eq!(response.status().as_u16(), expected, "{event} #{n}");
                let answer: serde_json::Value = response.json().await.unwrap();
                assert_eq!(answer["status"], "stored");
                assert!(answer["events"].as_u64().unwrap() >= 1, "{event}: {answer}");
                assert!(answer["normalize_error"].is_null());
            }
        }
    }
    assert!(n > 250);
    assert_eq!(deliveries_stored(&server).await, n);
}

#[tokio::test]
async fn redelivery_is_answered_200_without_a_second_event() {
    let server = TestServer::start().await;
    let body = std::fs::read(fixtures().join("github/webhooks/member/added.payload.json")).unwrap();
    assert_eq!(
        server
            .github("member", "same-id", &body, SECRET)
            .await
            .status(),
        202
    );
    let again = server.github("member", "same-id", &body, SECRET).await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.json::<serde_json::Value>().await.unwrap()["status"],
        "duplicate"
    );
    let events = server
        .store
        .list_events(&EventFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(events.events.len(), 1);
}

#[tokio::test]
async fn githubs_published_test_vector_authenticates_and_unparseable_bodies_are_kept() {
    let vector: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("github/hmac-test-vector.json")).unwrap(),
    )
    .unwrap();
    let text = |key: &str| {
        vector[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {vector}"))
            .to_owned()
    };
    let (secret, payload) = (text("secret"), text("payload"));
    let server = TestServer::with_secrets(&format!("rotated-out,{secret}")).await;
    let response = server
        .client
        .post(server.url("/hooks/github"))
        .header("X-GitHub-Event", "push")
        .header("X-GitHub-Delivery", "vector")
        .header("X-Hub-Signature-256", text("x_hub_signature_256"))
        .body(payload)
        .send()
        .await
        .unwrap();
    // Authentic but not JSON: stored, with the reason, for a later reprocess.
    assert_eq!(response.status(), 202);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert!(
        answer["normalize_error"].as_str().unwrap().contains("JSON"),
        "{answer}"
    );
    let health = server.store.ingest_health(5).await.unwrap();
    assert_eq!(health.recent_failures.len(), 1);
    assert_eq!(health.recent_failures[0].delivery_key, "vector");
}

#[tokio::test]
async fn bad_or_missing_signatures_are_401_and_store_nothing() {
    let server = TestServer::start().await;
    let body = std::fs::read(fixtures().join("github/webhooks/push/payload.json")).unwrap();
    assert_eq!(
        server
            .github("push", "x1", &body, "wrong-secret")
            .await
            .status(),
        401
    );
    let unsigned = server
        .client
        .post(server.url("/hooks/github"))
        .header("X-GitHub-Event", "push")
        .header("X-GitHub-Delivery", "x2")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(
        unsigned.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = unsigned.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("X-Hub-Signature-256"),
        "{problem}"
    );
    // Signed for another body.
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let response = server
        .client
        .post(server.url("/hooks/github"))
        .header("X-GitHub-Event", "push")
        .header("X-GitHub-Delivery", "x3")
        .header(
            "X-Hub-Signature-256",
            domain::signature::github_signature(SECRET.as_bytes(), &body),
        )
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(deliveries_stored(&server).await, 0);
}

#[tokio::test]
async fn missing_headers_are_400() {
    let server = TestServer::start().await;
    let body = b"{}".to_vec();
    let signature = domain::signature::github_signature(SECRET.as_bytes(), &body);
    for (event, delivery, missing) in [
        (None, Some("d"), "X-GitHub-Event"),
        (Some("push"), None, "X-GitHub-Delivery"),
    ] {
        let mut request = server
            .client
            .post(server.url("/hooks/github"))
            .header("X-Hub-Signature-256", &signature);
        if let Some(event) = event {
            request = request.header("X-GitHub-Event", event);
        }
        if let Some(delivery) = delivery {
            request = request.header("X-GitHub-Delivery", delivery);
        }
        let response = request.body(body.clone()).send().await.unwrap();
        assert_eq!(response.status(), 400);
        let problem: serde_json::Value = response.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains(missing),
            "{problem}"
        );
    }
    assert_eq!(deliveries_stored(&server).await, 0);
}

#[tokio::test]
async fn bodies_over_25_mb_are_413() {
    let server = TestServer::start().await;
    let body = vec![b' '; 25 * 1024 * 1024 + 1];
    let response = server.github("push", "big", &body, SECRET).await;
    assert_eq!(response.status(), 413);
    assert_eq!(deliveries_stored(&server).await, 0);
}

#[tokio::test]
async fn without_a_configured_secret_nothing_is_accepted() {
    let server = TestServer::with_secrets("").await;
    let response = server.github("push", "d", b"{}", "anything").await;
    assert_eq!(response.status(), 503);
    assert_eq!(deliveries_stored(&server).await, 0);
}
