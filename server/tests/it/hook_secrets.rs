//! Webhook secrets managed in Attest: made on the webhooks page (without JavaScript here; the
//! browser test does it with), accepted at once, two live during a rotation, last use shown,
//! revoked; a secret made by another process is accepted on the first delivery; and the
//! command line's `attest hook-secret`.

use crate::auth::{demo_server, signed_in};
use crate::support::{fixtures, post_form, TestServer};
use domain::hook_secrets::{Changer, HookKeys};
use domain::model::{HookEndpoint, Role};
use domain::signature::HookSecrets;
use reqwest::StatusCode;

/// The secret the page shows after a plain-form post, and the page's HTML.
async fn made_on_the_page(
    server: &TestServer,
    admin: &reqwest::Client,
    endpoint: &str,
    name: &str,
) -> String {
    let page = server.url("/webhooks");
    let (status, to) = post_form(
        server,
        admin,
        "create_hook_secret",
        &page,
        &[("endpoint", endpoint), ("name", name)],
    )
    .await;
    assert_eq!(
        (status, to.trim_end_matches('?')),
        (StatusCode::FOUND, page.as_str())
    );
    let html = admin.get(&to).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains(&format!("Secret {name} made for /hooks/{endpoint}")),
        "{html}"
    );
    let start = html.find(r#"<code class="secret">"#).unwrap() + r#"<code class="secret">"#.len();
    html[start..].split('<').next().unwrap().to_owned()
}

/// A real GitHub push delivery signed with `secret`: its status.
async fn github_push(server: &TestServer, delivery: &str, secret: &str) -> StatusCode {
    let body = std::fs::read(fixtures().join("github/webhooks/push/payload.json")).unwrap();
    server
        .github("push", delivery, &body, secret)
        .await
        .status()
}

/// The table row of the secret `name` on the page.
fn row(html: &str, name: &str) -> String {
    let cell = format!("<code>{name}</code>");
    let at = html
        .find(&cell)
        .unwrap_or_else(|| panic!("{name} not listed"));
    let end = html[at..].find("</tr>").unwrap() + at;
    html[at..end].to_owned()
}

#[tokio::test]
async fn admins_make_rotate_and_revoke_webhook_secrets_on_the_record() {
    let server = demo_server().await;
    let admin = signed_in(&server, Role::Admin).await;
    let page = server.url("/webhooks");

    // No secret: the endpoint says how to get one.
    let refused = server.github("push", "before", b"{}", "anything").await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let reason = refused.text().await.unwrap();
    assert!(reason.contains("webhooks page"), "{reason}");

    let old = made_on_the_page(&server, &admin, "github", "github-old").await;
    assert!(old.starts_with("attest_whs_"), "{old}");
    let listed = admin.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(!listed.contains(&old), "a secret is shown once");
    assert!(row(&listed, "github-old").contains("never"));
    assert_eq!(
        github_push(&server, "d-1", &old).await,
        StatusCode::ACCEPTED
    );

    // The rotation: a second secret, both accepted while the sender moves.
    let new = made_on_the_page(&server, &admin, "github", "github-new").await;
    assert_ne!(old, new);
    assert_eq!(
        github_push(&server, "d-2", &new).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        github_push(&server, "d-3", &old).await,
        StatusCode::ACCEPTED
    );
    let listed = admin.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(
        !row(&listed, "github-old").contains("never")
            && !row(&listed, "github-new").contains("never"),
        "last use is shown: {}",
        row(&listed, "github-old")
    );
    // A secret is for its endpoint only.
    let gitlab = server
        .client
        .post(server.url("/hooks/gitlab"))
        .header("X-Gitlab-Token", &new)
        .header("X-Gitlab-Event", "Push Hook")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(gitlab.status(), StatusCode::SERVICE_UNAVAILABLE);

    // Refusals come back on the page with the reason.
    for (fields, says) in [
        (
            vec![("endpoint", "github"), ("name", "github-old")],
            "exists already",
        ),
        (
            vec![("endpoint", "bitbucket"), ("name", "x")],
            "is not a webhook endpoint",
        ),
        (
            vec![("endpoint", "github"), ("name", " ")],
            "say which sender uses the secret",
        ),
    ] {
        let (status, to) = post_form(&server, &admin, "create_hook_secret", &page, &fields).await;
        assert_eq!(status, StatusCode::FOUND, "{fields:?}");
        let html = admin.get(&to).send().await.unwrap().text().await.unwrap();
        assert!(
            html.contains(says),
            "{fields:?}: the page does not say {says:?}"
        );
    }

    // Revoked: refused from the next delivery on; the other still works.
    let (status, _) = post_form(
        &server,
        &admin,
        "revoke_hook_secret",
        &page,
        &[("name", "github-old")],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        github_push(&server, "d-4", &old).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        github_push(&server, "d-5", &new).await,
        StatusCode::ACCEPTED
    );
    let listed = admin.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(
        row(&listed, "github-old").contains("revoked"),
        "{}",
        row(&listed, "github-old")
    );

    // On the record: who did what, from where, in the audit log and the ledger.
    let actions = server
        .store
        .actions(
            &domain::audit::ActionFilter {
                action: "hook_secret.*".to_owned(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap()
        .actions;
    let done: Vec<(&str, &str, &str)> = actions
        .iter()
        .map(|a| (a.action.as_str(), a.target.as_str(), a.actor.as_str()))
        .collect();
    assert_eq!(
        done,
        [
            ("hook_secret.revoke", "github-old", "admin@example.com"),
            ("hook_secret.create", "github-new", "admin@example.com"),
            ("hook_secret.create", "github-old", "admin@example.com"),
        ]
    );
    let report = server.store.verify_ledger(None, &[]).await.unwrap();
    assert!(report.is_sound(), "{report:?}");
}

#[tokio::test]
async fn a_secret_made_by_another_process_is_accepted_on_the_first_delivery() {
    let server = TestServer::with_hooks(HookSecrets::default()).await;
    // What `attest hook-secret create` does: its own HookKeys over the same database and key.
    let cli = HookKeys::load(
        server.store.clone(),
        HookSecrets::default(),
        Some(server.secrets_key.clone()),
    )
    .await
    .unwrap();
    let by = Changer {
        actor: "command line".to_owned(),
        role: String::new(),
        ip: String::new(),
    };
    // Reloads after a miss are at least a second apart; the server has just loaded.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let made = cli
        .create("from-cli", HookEndpoint::Github, &by, chrono::Utc::now())
        .await
        .unwrap();
    assert!(server.hooks.now().github.is_empty(), "not loaded yet");
    assert_eq!(
        github_push(&server, "cli-1", &made.secret).await,
        StatusCode::ACCEPTED
    );
    // A wrong secret right after does not make the server read the table again and again.
    assert_eq!(
        github_push(&server, "cli-2", "wrong").await,
        StatusCode::UNAUTHORIZED
    );
    // Its use is recorded for the page.
    let listed = server.store.list_hook_secrets().await.unwrap();
    assert!(listed[0].last_used_at.is_some(), "{listed:?}");
}
