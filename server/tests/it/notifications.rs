//! Review notifications against real peers: an SMTP server (Python's aiosmtpd, writing what it
//! receives to a Maildir) and a Slack-style webhook (a listener here). One digest per person
//! and run, each notice once: at launch, as a reminder before the due date, and when overdue
//! with an escalation to the fallback reviewer.

use crate::reviews::a_round_for_the_reviewer;
use crate::support::TestServer;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{Duration, Utc};
use server::notify::{Notifier, Sent};
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
