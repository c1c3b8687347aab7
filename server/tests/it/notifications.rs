//! Review notifications against real peers: an SMTP server (Python's aiosmtpd, writing what it
//! receives to a Maildir) and a Slack-style webhook (a listener here). One digest per person
//! and run, each notice once: at launch, as a reminder before the due date, and when overdue
//! with an escalation to the fallback reviewer. And the outgoing webhook of remediation tasks.

use crate::reviews::a_round_for_the_reviewer;
use crate::support::TestServer;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{Duration, Utc};
use server::notify::{Notifier, Posted, RemediationHook, Sent};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

/// aiosmtpd on a free port, delivering into `maildir`; killed when dropped.
async fn smtp_server(maildir: &std::path::Path) -> (tokio::process::Child, u16) {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    // The interpreter itself, not a launcher in front of it (pyenv's shim), so that killing
    // the child stops the server.
    let python = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3");
    let python = String::from_utf8(python.stdout).unwrap().trim().to_owned();
    let child = tokio::process::Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .kill_on_drop(true)
        .spawn()
        .expect("python3 -m aiosmtpd (scripts/setup.sh test installs it)");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (child, port);
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("aiosmtpd did not listen on {port}: is it installed (pip install aiosmtpd)?");
}

/// A webhook that keeps what it is sent.
async fn slack_hook() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let posts = Arc::new(Mutex::new(Vec::new()));
    let kept = posts.clone();
    let app = Router::new().route(
        "/hook",
        post(move |Json(body): Json<serde_json::Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, posts)
}

/// The messages in the Maildir, by recipient: (to, whole message).
fn mailbox(maildir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(maildir.join("new")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let to = text
            .lines()
            .find_map(|l| l.strip_prefix("To: "))
            .unwrap_or_default()
            .to_owned();
        out.push((to, text));
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_get_one_digest_per_run_each_notice_once_by_mail_and_slack() {
    let server = TestServer::start().await;
    let round = a_round_for_the_reviewer(&server).await;
    let launched = server
        .store
        .round(round, Utc::now())
        .await
        .unwrap()
        .unwrap()
        .launched_at;
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let (_smtp, port) = smtp_server(&maildir).await;
    let (hook, posts) = slack_hook().await;
    let notifier = Notifier::new(
        Some(&format!("smtp://127.0.0.1:{port}")),
        "Attest <attest@example.com>",
        Some(&hook),
        "https://attest.example.com",
    )
    .unwrap()
    .unwrap();

    // At launch: the reviewer (four items) and the fallback reviewer (one) each get one message.
    let sent = notifier.run(&server.store, launched).await.unwrap();
    assert_eq!(
        sent,
        Sent {
            digests: 2,
            emails: 2,
            slack_posts: 2,
            failures: 0
        }
    );
    let mail = mailbox(&maildir);
    assert_eq!(mail.len(), 2);
    let (to, text) = &mail[1];
    assert_eq!(to, "reviewer@example.com");
    assert!(
        text.contains("Subject: Attest: 4 access review items waiting for you"),
        "{text}"
    );
    assert!(text.contains("4 items to review, due"), "{text}");
    assert!(
        text.contains("https://attest.example.com/reviews"),
        "{text}"
    );
    assert_eq!(mail[0].0, "admin@example.com");
    // Nothing twice: the same minute again sends nothing.
    let again = notifier.run(&server.store, launched).await.unwrap();
    assert_eq!(again, Sent::default());

    // Three days before the due date, a reminder.
    let sent = notifier
        .run(&server.store, launched + Duration::days(12))
        .await
        .unwrap();
    assert_eq!(sent.digests, 2);
    let mail = mailbox(&maildir);
    assert!(mail
        .iter()
        .any(|(to, text)| to == "reviewer@example.com" && text.contains("4 items still waiting")));

    // Past it: overdue, and the reviewer's lateness goes to the fallback reviewer (no manager
    // is known), in the same digest as the fallback reviewer's own overdue item.
    let late = launched + Duration::days(15);
    let sent = notifier.run(&server.store, late).await.unwrap();
    assert_eq!(sent.digests, 2);
    let mail = mailbox(&maildir);
    assert_eq!(mail.len(), 6);
    let escalated = mail
        .iter()
        .filter(|(to, text)| {
            to == "admin@example.com" && text.contains("reviewer@example.com has 4 overdue items")
        })
        .count();
    assert_eq!(escalated, 1);
    // Daily: the next day again, not the same day.
    assert_eq!(
        notifier
            .run(&server.store, late + Duration::hours(1))
            .await
            .unwrap(),
        Sent::default()
    );
    assert_eq!(
        notifier
            .run(&server.store, late + Duration::days(1))
            .await
            .unwrap()
            .digests,
        2
    );

    let posted = posts.lock().unwrap().clone();
    assert_eq!(posted.len(), 8);
    assert!(posted[0]["text"]
        .as_str()
        .unwrap()
        .contains("(for admin@example.com)"));

    // Decided items stop the reminders.
    let ids: Vec<i64> = server
        .store
        .reviews_for("reviewer@example.com")
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    let decider = domain::store::reviews::Decider {
        actor: "reviewer@example.com".into(),
        email: Some("reviewer@example.com".into()),
        may_act_for_others: false,
    };
    server
        .store
        .decide_items(&ids, domain::review::Decision::Keep, "", &decider, late)
        .await
        .unwrap();
    let sent = notifier
        .run(&server.store, late + Duration::days(2))
        .await
        .unwrap();
    // Only the fallback reviewer's own item is still waiting.
    assert_eq!(
        sent,
        Sent {
            digests: 1,
            emails: 1,
            slack_posts: 1,
            failures: 0
        }
    );
}

#[tokio::test]
async fn a_bad_smtp_or_webhook_setting_is_refused_at_start() {
    assert!(Notifier::new(None, "x", None, "http://a")
        .unwrap()
        .is_none());
    let err = Notifier::new(Some("ftp://mail"), "Attest <a@b.c>", None, "http://a")
        .err()
        .unwrap();
    assert!(err.to_string().contains("ATTEST_SMTP_URL"), "{err}");
    let err = Notifier::new(Some("smtp://mail"), "not an address", None, "http://a")
        .err()
        .unwrap();
    assert!(err.to_string().contains("ATTEST_SMTP_FROM"), "{err}");
    let err = Notifier::new(None, "x", Some("file:///etc/passwd"), "http://a")
        .err()
        .unwrap();
    assert!(err.to_string().contains("https://"), "{err}");
}

/// A receiver of remediation tasks that answers 503 to the first post and 200 after, keeping
/// each post's signature header and body.
async fn task_hook() -> (String, Arc<Mutex<Vec<(String, Vec<u8>)>>>) {
    use axum::http::{HeaderMap, StatusCode};
    let posts = Arc::new(Mutex::new(Vec::new()));
    let kept = posts.clone();
    let app = Router::new().route(
        "/tasks",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                let signature = headers
                    .get("x-attest-signature-256")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let mut kept = kept.lock().unwrap();
                kept.push((signature, body.to_vec()));
                if kept.len() == 1 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/tasks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, posts)
}

/// A revoke's remediation task reaches the outgoing webhook once (again after a failed post),
/// signed, with the exact commands and the address of the Terraform resource that makes the
/// grant, so the ticket says to change the code rather than only the console.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_remediation_task_is_posted_once_signed_with_its_terraform_address() {
    use domain::import::{self, ImportKind, ImportOptions};
    use domain::review::Decision;
    use domain::store::reviews::Decider;

    let server = TestServer::start().await;
    let round = a_round_for_the_reviewer(&server).await;
    // Terraform manages Cy's membership of acme.
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::write(
        &plan,
        serde_json::to_vec(&serde_json::json!({
            "format_version": "1.2", "terraform_version": "1.9.5",
            "timestamp": (Utc::now() - Duration::days(30)).to_rfc3339(),
            "resource_changes": [{
                "address": "module.github.github_membership.members[\"cy\"]",
                "mode": "managed", "type": "github_membership", "name": "members",
                "provider_name": "registry.terraform.io/integrations/github",
                "change": {"actions": ["create"], "before": null,
                           "after": {"username": "cy", "role": "member"},
                           "after_unknown": {"id": true}, "before_sensitive": false,
                           "after_sensitive": {}}
            }]
        }))
        .unwrap(),
    )
    .unwrap();
    let summary = import::import_files(
        &server.store,
        ImportKind::TerraformPlan,
        &ImportOptions::default(),
        &[plan],
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(summary.failed_files.is_empty(), "{summary:?}");

    let items = server.store.round_items(round).await.unwrap();
    let cy = items
        .iter()
        .find(|i| i.grant.principal.name == "cy")
        .unwrap();
    let reviewer = Decider {
        actor: "reviewer@example.com".into(),
        email: Some("reviewer@example.com".into()),
        may_act_for_others: false,
    };
    server
        .store
        .decide_items(
            &[cy.id],
            Decision::Revoke,
            "left the team",
            &reviewer,
            Utc::now(),
        )
        .await
        .unwrap();
    let admin = Decider {
        actor: "admin@example.com".into(),
        email: Some("admin@example.com".into()),
        may_act_for_others: true,
    };
    let others: Vec<i64> = items
        .iter()
        .filter(|i| i.id != cy.id)
        .map(|i| i.id)
        .collect();
    server
        .store
        .decide_items(&others, Decision::Keep, "still needed", &admin, Utc::now())
        .await
        .unwrap();
    server
        .store
        .close_stage(round, "admin@example.com", Utc::now())
        .await
        .unwrap();

    let (url, posts) = task_hook().await;
    assert!(RemediationHook::new(None, None, "http://a")
        .unwrap()
        .is_none());
    assert!(RemediationHook::new(Some("ftp://x"), None, "http://a").is_err());
    let hook = RemediationHook::new(Some(&url), Some("s3cret"), "https://attest.example.com/")
        .unwrap()
        .unwrap();
    // The receiver refuses the first post: tried again at the next run, then never again.
    let now = Utc::now();
    assert_eq!(
        hook.run(&server.store, now).await.unwrap(),
        Posted {
            posted: 0,
            failures: 1
        }
    );
    assert_eq!(
        hook.run(&server.store, now).await.unwrap(),
        Posted {
            posted: 1,
            failures: 0
        }
    );
    assert_eq!(
        hook.run(&server.store, now).await.unwrap(),
        Posted::default()
    );
    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 2);
    let (signature, body) = &posts[1];
    assert_eq!(
        signature,
        &domain::signature::github_signature(b"s3cret", body)
    );
    let task: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(task["event"], "remediation.opened");
    assert_eq!(task["item_id"], cy.id);
    assert_eq!(
        task["url"],
        format!(
            "https://attest.example.com/campaigns/rounds/{round}#item-{}",
            cy.id
        )
    );
    assert_eq!(task["decided_by"], "reviewer@example.com");
    assert_eq!(task["justification"], "left the team");
    assert_eq!(
        task["terraform_address"],
        "module.github.github_membership.members[\"cy\"]"
    );
    let instructions = &task["instructions"];
    assert_eq!(
        instructions["commands"],
        serde_json::json!(["gh api -X DELETE /orgs/acme/memberships/cy"])
    );
    assert!(
        instructions["terraform"]
            .as_str()
            .unwrap()
            .contains("`module.github.github_membership.members[\"cy\"]`"),
        "{instructions}"
    );
    // Only the revoke became a task.
    assert_eq!(
        server
            .store
            .round_items(round)
            .await
            .unwrap()
            .iter()
            .filter(|i| i.remediation.is_some())
            .count(),
        1
    );
}
