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
