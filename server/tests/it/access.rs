//! `GET /api/v1/access` over HTTP: GitHub's example team gets a repository and a member through
//! real webhooks; the API answers with the paths, for a principal and for a resource, now and
//! before the grants existed, and refuses what it cannot answer with the reason.

use crate::api::get;
use crate::support::{fixtures, TestServer, SECRET};
use domain::model::Role;
use serde_json::Value;

/// The `text` of every path of every row under `rows` (`access` or `holders`).
fn paths(answer: &Value, rows: &str) -> Vec<String> {
    answer[rows]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row["paths"].as_array().unwrap().clone())
        .map(|path| {
            let hops = path["hops"].as_array().unwrap();
            let mut text = hops[0]["principal"]["name"].as_str().unwrap().to_owned();
            for hop in hops {
                text.push_str(&format!(
                    " → {} ({})",
                    hop["resource"]["name"].as_str().unwrap(),
                    hop["permission"].as_str().unwrap()
                ));
            }
            text
        })
        .collect()
}

#[tokio::test]
async fn access_with_paths_for_principals_and_resources() {
    let server = TestServer::start().await;
    for (event, file) in [
        ("team", "team/created.payload.json"),
        ("team", "team/added_to_repository.payload.json"),
        ("membership", "membership/added.payload.json"),
    ] {
        let body = std::fs::read(fixtures().join("github/webhooks").join(file)).unwrap();
        let response = server.github(event, file, &body, SECRET).await;
        assert_eq!(response.status(), 202, "{file}");
    }
    let auditor = server.token(Role::Auditor).await;
    let t = Some(auditor.as_str());
    let through_team = "Codertocat → Octocoders/github (member) → Octocoders/Hello-World (read)";

    let (status, answer) = get(&server, t, "/api/v1/access?principal=codertocat").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["principals"][0]["name"], "Codertocat");
    assert_eq!(answer["principals"][0]["id"], "github:user:21031067");
    assert!(
        paths(&answer, "access").contains(&through_team.to_owned()),
        "{answer}"
    );
    assert_eq!(answer["truncated"], false);

    let (status, answer) = get(&server, t, "/api/v1/access?resource=Octocoders/Hello-World").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["resource"]["kind"], "repository");
    let holders: Vec<&str> = answer["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["principal"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(holders, ["Codertocat", "Octocoders/github"]);
    assert!(paths(&answer, "holders").contains(&through_team.to_owned()));

    // Before any of it happened (the grants began when the deliveries arrived).
    let (status, answer) = get(
        &server,
        t,
        "/api/v1/access?principal=Codertocat&at=2020-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["access"], Value::Array(Vec::new()));

    for (query, status, says) in [
        ("", 400, "principal or resource is required"),
        ("?principal=a&resource=b", 400, "not both"),
        (
            "?principal=codertocat&at=yesterday",
            400,
            "at: \"yesterday\"",
        ),
        ("?principal=nobody-at-all", 404, "nobody-at-all"),
        ("?resource=no/such-repo", 404, "no/such-repo"),
    ] {
        let (got, problem) = get(&server, t, &format!("/api/v1/access{query}")).await;
        assert_eq!(got, status, "{query}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{query}: {detail}");
    }

    assert_eq!(
        get(&server, None, "/api/v1/access?principal=x").await.0,
        401
    );
    let viewer = server.token(Role::Viewer).await;
    let (status, problem) = get(&server, Some(&viewer), "/api/v1/access?principal=x").await;
    assert_eq!(status, 403, "{problem}");

    // The grant history: Codertocat joined the team; the repository was given to the team.
    let (status, answer) = get(&server, t, "/api/v1/access/history?principal=codertocat").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["principals"][0]["id"], "github:user:21031067");
    assert_eq!(
        changes(&answer),
        ["added Codertocat Octocoders/github member"]
    );
    assert!(answer["changes"][0]["evidence"]
        .as_str()
        .unwrap()
        .contains("membership"));
    let (status, answer) = get(
        &server,
        t,
        "/api/v1/access/history?resource=octocoders/hello-world&limit=5",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["resource"]["name"], "Octocoders/Hello-World");
    assert_eq!(
        changes(&answer),
        ["added Octocoders/github Octocoders/Hello-World read"]
    );
    for (query, status, says) in [
        ("?principal=codertocat&limit=0", 400, "limit: \"0\""),
        ("?principal=codertocat&limit=many", 400, "limit: \"many\""),
        ("", 400, "principal or resource is required"),
        ("?resource=no/such-repo", 404, "no/such-repo"),
    ] {
        let (got, problem) = get(&server, t, &format!("/api/v1/access/history{query}")).await;
        assert_eq!(got, status, "{query}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{query}: {detail}");
    }
    let (status, _) = get(
        &server,
        Some(&viewer),
        "/api/v1/access/history?principal=codertocat",
    )
    .await;
    assert_eq!(status, 403);

    let (_, doc) = get(&server, None, "/api/v1/openapi.json").await;
    assert!(doc["paths"]["/api/v1/access"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/access/history"]["get"].is_object());
    assert!(doc["components"]["schemas"]["AccessAnswer"].is_object());
    assert!(doc["components"]["schemas"]["HistoryAnswer"].is_object());
}

/// "op principal resource permission" of each change, in the order given.
fn changes(answer: &Value) -> Vec<String> {
    answer["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            let grant = &change["grant"];
            format!(
                "{} {} {} {}",
                change["op"].as_str().unwrap(),
                grant["principal"]["name"].as_str().unwrap(),
                grant["resource"]["name"].as_str().unwrap(),
                grant["permission"].as_str().unwrap()
            )
        })
        .collect()
}
