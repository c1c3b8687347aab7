//! The other push endpoints over HTTP: GitLab, AWS EventBridge, Okta, Azure Event Grid and HCP
//! Terraform, with their handshakes, on real sample payloads. The splitting and keying rules
//! are tested in `domain::webhook`; these check the status codes and that deliveries land.

use crate::support::{fixtures, TestServer};
use domain::model::{EventFilter, Source};
use domain::signature::{HookSecrets, Secrets};
use serde_json::{json, Value};

async fn server() -> TestServer {
    let secret = Secrets::from_comma_separated;
    TestServer::with_hooks(HookSecrets {
        gitlab: secret("gl-token"),
        aws: secret("aws-key"),
        azure: secret("grid-key"),
        okta: secret("okta-secret"),
        terraform: secret("tfe-token"),
        ..HookSecrets::default()
    })
    .await
}

async fn events_of(server: &TestServer, source: Source) -> usize {
    let filter = EventFilter {
        source: Some(source),
        ..EventFilter::default()
    };
    server
        .store
        .list_events(&filter, None, 500)
        .await
        .unwrap()
        .events
        .len()
}

#[tokio::test]
async fn gitlab_member_hook_is_stored_once_and_grants_follow() {
    let server = server().await;
    let body =
        std::fs::read(fixtures().join("gitlab/webhooks-go-gitlab-testdata/member.json")).unwrap();
    let post = |token: &'static str| {
        server
            .client
            .post(server.url("/hooks/gitlab"))
            .header("X-Gitlab-Token", token)
            .header("X-Gitlab-Event", "Member Hook")
            .header(
                "X-Gitlab-Event-UUID",
                "9cebe914-4827-408f-b014-cfa23a47a35f",
            )
            .body(body.clone())
            .send()
    };
    assert_eq!(post("wrong").await.unwrap().status(), 401);
    let first = post("gl-token").await.unwrap();
    assert_eq!(first.status(), 202);
    let answer: Value = first.json().await.unwrap();
    assert_eq!(answer["deliveries"][0]["status"], "stored", "{answer}");
    assert_eq!(answer["deliveries"][0]["events"], 1, "{answer}");
    assert_eq!(answer["deliveries"][0]["grant_changes"], 1, "{answer}");
    let again = post("gl-token").await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(events_of(&server, Source::Gitlab).await, 1);
    let grants = server
        .store
        .grants(&domain::grant::GrantFilter::default(), 10)
        .await
        .unwrap();
    assert_eq!(grants.len(), 1);
    assert!(grants[0].grant.principal.id.starts_with("gitlab:user:"));
}

#[tokio::test]
async fn unconfigured_endpoints_answer_503_and_store_nothing() {
    let server = TestServer::with_hooks(HookSecrets::default()).await;
    for path in [
        "/hooks/gitlab",
        "/hooks/aws",
        "/hooks/gcp",
        "/hooks/azure",
        "/hooks/okta",
        "/hooks/terraform",
    ] {
        let response = server
            .client
            .post(server.url(path))
            .header("Authorization", "Bearer anything")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503, "{path}");
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains("ATTEST_"),
            "{path}: {problem}"
        );
    }
    assert!(!server.store.has_deliveries().await.unwrap());
}

#[tokio::test]
async fn aws_eventbridge_delivers_cloudtrail_records() {
    let server = server().await;
    let log = std::fs::read(fixtures().join(
        "aws-cloudtrail/invictus-aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json",
    ))
    .unwrap();
    let records: Value = serde_json::from_slice(&log).unwrap();
    let events: Vec<Value> = records["Records"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|r| json!({"version": "0", "id": r["eventID"], "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": r}))
        .collect();
    let response = server
        .client
        .post(server.url("/hooks/aws"))
        .header("X-Api-Key", "aws-key")
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(events_of(&server, Source::Cloudtrail).await, 3);
}

#[tokio::test]
async fn okta_and_azure_handshakes_are_answered_without_storing() {
    let server = server().await;
    let verify = server
        .client
        .get(server.url("/hooks/okta"))
        .header("Authorization", "okta-secret")
        .header("X-Okta-Verification-Challenge", "challenge-123")
        .send()
        .await
        .unwrap();
    assert_eq!(verify.status(), 200);
    assert_eq!(
        verify.json::<Value>().await.unwrap(),
        json!({"verification": "challenge-123"})
    );
    let validation = json!([{
        "id": "2d1781af", "topic": "/subscriptions/x", "subject": "",
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2018-01-25T22:12:19.4556811Z",
        "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
        "dataVersion": "1", "metadataVersion": "1",
    }]);
    let answer = server
        .client
        .post(server.url("/hooks/azure?key=grid-key"))
        .json(&validation)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.json::<Value>().await.unwrap(),
        json!({"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"})
    );
    let options = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/hooks/azure"))
        .header("WebHook-Request-Origin", "eventgrid.azure.net")
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 200);
    assert_eq!(
        options.headers()["webhook-allowed-origin"],
        "eventgrid.azure.net"
    );
    assert!(!server.store.has_deliveries().await.unwrap());
}

#[tokio::test]
async fn terraform_notifications_need_their_signature() {
    use hmac::{Hmac, Mac};
    let server = server().await;
    let body = std::fs::read(
        fixtures().join("terraform/hcp-run-notifications/hashicorp-docs-sample-payload.json"),
    )
    .unwrap();
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(b"tfe-token").unwrap();
    mac.update(&body);
    let signature = hex::encode(mac.finalize().into_bytes());
    let post = |signature: String| {
        server
            .client
            .post(server.url("/hooks/terraform"))
            .header("X-TFE-Notification-Signature", signature)
            .body(body.clone())
            .send()
    };
    assert_eq!(post("00".repeat(64)).await.unwrap().status(), 401);
    assert_eq!(post(signature).await.unwrap().status(), 202);
    assert!(events_of(&server, Source::Terraform).await >= 1);
}

/// A key set served over HTTP the way Google serves its own, counting how often it is fetched.
async fn serve_jwks(private_key: &str) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let jwks = domain::jwt::public_jwks("test-key", private_key).unwrap();
    let fetches = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let app = axum::Router::new().route(
        "/oauth2/v3/certs",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let jwks = jwks.clone();
            async move {
                (
                    [("cache-control", "public, max-age=3600")],
                    axum::Json(jwks),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/oauth2/v3/certs"), fetches)
}

#[tokio::test]
async fn gcp_pubsub_push_with_an_oidc_token_is_verified_against_the_signing_keys() {
    use base64::Engine as _;
    use std::sync::atomic::Ordering;
    let key_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/jwt-test-key.pem");
    let private_key = std::fs::read_to_string(key_path).unwrap();
    let (jwks_url, fetches) = serve_jwks(&private_key).await;
    let audience = "https://attest.example.com/hooks/gcp";
    let account = "pubsub-push@acme.iam.gserviceaccount.com";
    // Unknown key ids may cause a refetch every 3 s here (every minute in service).
    let gap = std::time::Duration::from_secs(3);
    let keys = server::jwks::KeySet::new(&jwks_url)
        .unwrap()
        .with_refetch_gap(gap);
    let oidc = server::jwks::PubsubOidc::new(keys, audience, vec![account.to_owned()]);
    let server = TestServer::with_auth(HookSecrets::default(), Some(oidc)).await;

    let log = std::fs::read_to_string(
        fixtures().join("gcp-audit/panther-analysis-tests/gcp-auditlog.jsonl"),
    )
    .unwrap();
    let entry = log.lines().next().unwrap();
    let envelope = json!({
        "message": {
            "data": base64::engine::general_purpose::STANDARD.encode(entry),
            "messageId": "2070443601311540",
            "publishTime": "2023-03-08T18:52:53.000Z",
        },
        "subscription": "projects/acme/subscriptions/attest",
    });
    let now = chrono::Utc::now().timestamp();
    let claims = |aud: &str, email: &str, exp: i64| {
        json!({
            "iss": "https://accounts.google.com",
            "aud": aud,
            "email": email,
            "email_verified": true,
            "sub": "112233445566778899",
            "iat": now - 5,
            "exp": exp,
        })
    };
    let sign = |claims: Value, kid: &str| domain::jwt::sign(&claims, kid, &private_key).unwrap();
    let post = |authorization: Option<String>| {
        let mut request = server.client.post(server.url("/hooks/gcp")).json(&envelope);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        request.send()
    };
    let valid = sign(claims(audience, account, now + 3600), "test-key");

    let response = post(Some(format!("Bearer {valid}"))).await.unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(events_of(&server, Source::Gcp).await, 1);
    // Pub/Sub redelivers: same insertId, no second event; the cached keys serve.
    let response = post(Some(format!("Bearer {valid}"))).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // Past the gap, a token naming a key not held will cause one refetch.
    tokio::time::sleep(gap + std::time::Duration::from_millis(100)).await;
    let refused = [
        (None, "missing Authorization"),
        (Some("Bearer not-a-jwt".to_owned()), "missing Authorization"),
        (Some("Bearer a.b.c".to_owned()), "not a JWT"),
        (
            Some(format!(
                "Bearer {}",
                sign(
                    claims("https://other.example.com", account, now + 3600),
                    "test-key"
                )
            )),
            "audience",
        ),
        (
            Some(format!(
                "Bearer {}",
                sign(
                    claims(audience, "someone@evil.example.com", now + 3600),
                    "test-key"
                )
            )),
            "email",
        ),
        (
            Some(format!(
                "Bearer {}",
                sign(claims(audience, account, now - 3600), "test-key")
            )),
            "expired",
        ),
        (
            Some(format!(
                "Bearer {}",
                sign(claims(audience, account, now + 3600), "rotated-away")
            )),
            "not in the issuer's key set",
        ),
    ];
    for (authorization, reason) in refused {
        let response = post(authorization.clone()).await.unwrap();
        assert_eq!(response.status(), 401, "{authorization:?}");
        let problem: Value = response.json().await.unwrap();
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(reason), "{authorization:?}: {detail}");
    }
    // The unknown key id caused one refetch (keys rotate); a second one within the gap none.
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    let response = post(Some(format!(
        "Bearer {}",
        sign(claims(audience, account, now + 3600), "another-unknown")
    )))
    .await
    .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    assert_eq!(events_of(&server, Source::Gcp).await, 1);
}
