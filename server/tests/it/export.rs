//! CSV exports for auditors: the timeline's events and the audit log, each recorded with its
//! SHA-256 before it is sent, and matched again by `attest verify --export`.

use crate::auth::{demo_server, signed_in};
use crate::support::fixtures;
use domain::hook_secrets::Changer;
use domain::model::{EventFilter, HookEndpoint, Role, Source};
use reqwest::StatusCode;
use std::process::Command;

#[tokio::test]
async fn auditors_export_events_and_the_audit_log_on_the_record() {
    let server = demo_server().await;
    // Real GitHub deliveries, through a secret made as an admin would.
    let made = server
        .hooks
        .create(
            "gh",
            HookEndpoint::Github,
            &Changer {
                actor: "admin@example.com".into(),
                role: "admin".into(),
                ip: "127.0.0.1".into(),
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let dir = fixtures().join("github/webhooks/push");
    let mut n = 0;
    for file in std::fs::read_dir(&dir).unwrap() {
        let body = std::fs::read(file.unwrap().path()).unwrap();
        n += 1;
        let status = server
            .github("push", &format!("e-{n}"), &body, &made.secret)
            .await
            .status();
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let filter = EventFilter {
        source: Some(Source::Github),
        ..Default::default()
    };
    let stored = server.store.list_events(&filter, None, 500).await.unwrap();
    assert!(!stored.events.is_empty());

    // A viewer may not export; a bad filter is refused with the reason.
    let viewer = signed_in(&server, Role::Viewer).await;
    let url = server.url("/export/events.csv?source=github");
    assert_eq!(
        viewer.get(&url).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let auditor = signed_in(&server, Role::Auditor).await;
    let bad = auditor
        .get(server.url("/export/events.csv?since=yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let response = auditor.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "text/csv; charset=utf-8");
    assert!(header("content-disposition").starts_with("attachment; filename=\"attest-events-"));
    let sha256 = header("x-attest-sha256");
    let body = response.bytes().await.unwrap();
    assert_eq!(sha256, domain::export::sha256(&body));
    let mut csv = csv::Reader::from_reader(body.as_ref());
    assert_eq!(
        csv.headers().unwrap().iter().collect::<Vec<_>>(),
        domain::export::EVENT_COLUMNS
    );
    let ids: Vec<i64> = csv
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    let expected: Vec<i64> = stored.events.iter().map(|e| e.id).collect();
    assert_eq!(ids, expected, "every matching event, newest first");

    // On the record: who, what, how many, and the hash.
    let exports = server
        .store
        .actions(
            &domain::audit::ActionFilter {
                action: "export".into(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap()
        .actions;
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0].actor, "auditor@example.com");
    assert_eq!(
        exports[0].detail,
        format!(
            "{} rows, filter source=github, sha256 {sha256}",
            expected.len()
        )
    );

    // The audit log's own export lists that export.
    let log = auditor
        .get(server.url("/export/audit.csv?action=export"))
        .send()
        .await
        .unwrap();
    assert_eq!(log.status(), StatusCode::OK);
    let text = log.text().await.unwrap();
    assert!(text.contains(&sha256), "{text}");

    // `attest verify --export` finds the file's record; a changed copy matches none.
    let saved = tempfile::tempdir().unwrap();
    let file = saved.path().join("events.csv");
    std::fs::write(&file, &body).unwrap();
    let verify = |path: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_attest"))
            .env("ATTEST_DATABASE_URL", &server.db_url)
            .args(["verify", "--export", path.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let found = verify(&file);
    let said = String::from_utf8_lossy(&found.stdout).into_owned();
    assert!(found.status.success(), "{said}");
    assert!(
        said.contains("as exported by auditor@example.com"),
        "{said}"
    );
    let mut changed = body.to_vec();
    changed.extend_from_slice(b"9999,2026-01-01T00:00:00Z,github,repo.push\n");
    std::fs::write(&file, &changed).unwrap();
    let refused = verify(&file);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("matches no recorded export"));
}
