//! Sign-in through a real OpenID Connect provider: `oidc-provider` (npm, OpenID Certified) run
//! by `end2end/oidc/provider.mjs` beside the test server. Covers the whole code flow with PKCE,
//! roles from the provider's claims, session id rotation, sign-out, and what must be refused:
//! a tampered state, a replayed code, a token issued to another client, accounts no rule admits.

use crate::auth::browser;
use crate::support::TestServer;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use domain::signature::HookSecrets;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::json;
use server::auth::github::{Github, GithubConfig};
use server::auth::oidc::{Oidc, OidcConfig};
use server::auth::roles::RoleRules;
use server::auth::Auth;
use server::auth::Provider as SignIn;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, BufReader};

struct Provider {
    issuer: String,
    _child: tokio::process::Child,
}

/// Starts the provider with `redirect_uri` registered; `None` (skipped) when its packages are
/// not installed, except under CI, where that fails the test.
async fn start_provider(redirect_uri: &str, post_logout_redirect_uri: &str) -> Option<Provider> {
    let end2end = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end");
    if !end2end.join("node_modules/oidc-provider").is_dir() {
        assert!(
            std::env::var("CI").is_err(),
            "oidc-provider is not installed: run scripts/setup.sh test"
        );
        eprintln!("skipped: oidc-provider is not installed (scripts/setup.sh test installs it)");
        return None;
    }
    let mut child = tokio::process::Command::new("node")
        .arg(end2end.join("oidc/provider.mjs"))
        .env("OIDC_REDIRECT_URIS", redirect_uri)
        .env("OIDC_POST_LOGOUT_REDIRECT_URIS", post_logout_redirect_uri)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .expect("the provider starts within 30 s")
        .unwrap()
        .expect("the provider prints its issuer");
    let issuer = ready
        .strip_prefix("ready ")
        .expect("ready <issuer>")
        .to_owned();
    Some(Provider {
        issuer,
        _child: child,
    })
}

fn config(issuer: &str, client_id: &str, secret: &str) -> OidcConfig {
    OidcConfig {
        name: "Test IdP".into(),
        issuer: issuer.to_owned(),
        client_id: client_id.into(),
        client_secret: secret.into(),
        groups_claim: "groups".into(),
        extra_scopes: vec!["groups".into()],
        sign_out_at_provider: false,
    }
}

fn oidc(issuer: &str, client_id: &str, secret: &str) -> Oidc {
    Oidc::new(config(issuer, client_id, secret)).unwrap()
}

/// Attest signing in with the provider: admins by group, Bob an auditor by e-mail, only
/// example.com addresses.
async fn attest_with_provider() -> Option<(TestServer, Provider)> {
    attest_with_provider_signing_out(false).await
}

/// The same, with signing out of Attest ending the provider's session too when `at_provider`.
async fn attest_with_provider_signing_out(at_provider: bool) -> Option<(TestServer, Provider)> {
    attest_signing_in_with(
        |issuer| {
            SignIn::Oidc(Box::new(
                Oidc::new(OidcConfig {
                    sign_out_at_provider: at_provider,
                    ..config(issuer, "attest", "attest-secret")
                })
                .unwrap(),
            ))
        },
        "admin:group:attest-admins,auditor:email:bob@example.com",
    )
    .await
}

/// Attest beside a fresh provider, signing in with what `sign_in` makes of the provider's
/// issuer, roles by `rules`, only example.com addresses.
async fn attest_signing_in_with(
    sign_in: impl FnOnce(&str) -> SignIn,
    rules: &str,
) -> Option<(TestServer, Provider)> {
    // The provider must know Attest's redirect URIs, and Attest the provider's issuer.
    let (listener, base) = TestServer::bind().await;
    let provider = start_provider(
        &format!("{base}/auth/callback"),
        &format!("{base}/signin?signed_out=1"),
    )
    .await?;
    let auth = Auth {
        public_origin: Some(base),
        provider: Some(sign_in(&provider.issuer)),
        rules: RoleRules::parse(rules, "example.com").unwrap(),
        ..Auth::closed()
    };
    let server = TestServer::serve(listener, HookSecrets::default(), None, auth).await;
    Some((server, provider))
}

/// A browser: cookies kept (for Attest and the provider alike, as a browser does), redirects
/// followed by hand.
fn browser_with_jar() -> (reqwest::Client, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    (client, jar)
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{} answered {}",
        response.url(),
        response.status()
    );
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Follows `authorize_url` through the provider's login as `login`, up to (not into) the
/// redirect back: returns that URL, with its code and state.
async fn log_in_at_provider(
    client: &reqwest::Client,
    issuer: &str,
    authorize_url: &str,
    login: &str,
) -> String {
    let interaction = location(&client.get(authorize_url).send().await.unwrap());
    assert!(interaction.starts_with("/interaction/"), "{interaction}");
    let form = client
        .get(format!("{issuer}{interaction}"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let resume = location(
        &client
            .post(format!("{issuer}{interaction}/login"))
            .form(&[("login", login)])
            .send()
            .await
            .unwrap(),
    );
    location(&client.get(resume).send().await.unwrap())
}

/// Starts a sign-in at Attest and logs in at the provider: the callback URL, not yet opened.
async fn start_sign_in(
    server: &TestServer,
    provider: &Provider,
    client: &reqwest::Client,
    login: &str,
) -> String {
    let to_provider = location(
        &client
            .get(server.url("/auth/login?next=/people"))
            .send()
            .await
            .unwrap(),
    );
    assert!(to_provider.starts_with(&provider.issuer), "{to_provider}");
    for must in [
        "code_challenge_method=S256",
        "code_challenge=",
        "nonce=",
        "state=",
    ] {
        assert!(to_provider.contains(must), "{must} in {to_provider}");
    }
    let callback = log_in_at_provider(client, &provider.issuer, &to_provider, login).await;
    assert!(
        callback.starts_with(&server.url("/auth/callback?")),
        "{callback}"
    );
    callback
}

fn session_cookie(jar: &Jar, server: &TestServer) -> Option<String> {
    let cookies = jar.cookies(&server.base.parse().unwrap())?;
    cookies
        .to_str()
        .unwrap()
        .split("; ")
        .find_map(|c| c.strip_prefix("attest_session="))
        .map(str::to_owned)
}

async fn signed_in_as(server: &TestServer, client: &reqwest::Client) -> serde_json::Value {
    client
        .post(server.url("/_fn/get_signed_in"))
        .header("Origin", &server.base)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn people_sign_in_through_a_real_provider_with_roles_from_its_claims() {
    let Some((server, provider)) = attest_with_provider().await else {
        return;
    };
    // Alice, an admin by her group.
    let (alice, jar) = browser_with_jar();
    let callback = start_sign_in(&server, &provider, &alice, "alice@example.com").await;
    let before = session_cookie(&jar, &server).expect("the sign-in under way has a session");
    let landed = location(&alice.get(&callback).send().await.unwrap());
    assert_eq!(landed, "/people", "back where she was going");
    let after = session_cookie(&jar, &server).unwrap();
    assert_ne!(before, after, "signing in gives the session a new id");
    assert_eq!(
        alice
            .get(server.url("/people"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let who = signed_in_as(&server, &alice).await;
    assert_eq!(who["role"], "admin");
    assert_eq!(who["email"], "alice@example.com");
    assert_eq!(who["name"], "Alice Admin");
    assert_eq!(who["via"], "Test IdP");
    assert_eq!(who["subject"], format!("{}#u-alice", provider.issuer));
    // The session id from before sign-in is worth nothing.
    let planted = browser()
        .get(server.url("/people"))
        .header("cookie", format!("attest_session={before}"))
        .send()
        .await
        .unwrap();
    assert_eq!(planted.status(), StatusCode::SEE_OTHER);

    // Bob, an auditor by his e-mail.
    let (bob, _) = browser_with_jar();
    let callback = start_sign_in(&server, &provider, &bob, "bob@example.com").await;
    location(&bob.get(&callback).send().await.unwrap());
    assert_eq!(signed_in_as(&server, &bob).await["role"], "auditor");

    // Carol proves who she is but no rule gives her a role; Mallory is in the admins' group
    // but her domain is not allowed.
    for (login, error) in [
        ("carol@example.com", "no_role"),
        ("mallory@elsewhere.test", "domain"),
    ] {
        let (client, _) = browser_with_jar();
        let callback = start_sign_in(&server, &provider, &client, login).await;
        let to = location(&client.get(&callback).send().await.unwrap());
        assert_eq!(to, format!("/signin?error={error}"), "{login}");
        assert!(signed_in_as(&server, &client).await.is_null(), "{login}");
        let page = client
            .get(server.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(app::auth::failure_text(error)), "{page}");
    }

    // Alice signs out: her session ends on the server.
    let out = location(
        &alice
            .post(server.url("/auth/logout"))
            .header("Origin", &server.base)
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(out, "/signin?signed_out=1");
    let stolen = browser()
        .get(server.url("/people"))
        .header("cookie", format!("attest_session={after}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), StatusCode::SEE_OTHER);

    let log = server
        .store
        .actions(&Default::default(), 100)
        .await
        .unwrap()
        .actions;
    let said: Vec<(&str, &str)> = log
        .iter()
        .rev()
        .map(|a| (a.action.as_str(), a.actor.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            ("signin", "alice@example.com"),
            ("signin", "bob@example.com"),
            ("signin.refused", "carol@example.com"),
            ("signin.refused", "mallory@elsewhere.test"),
            ("signout", "alice@example.com"),
        ]
    );
    assert!(log[1].detail.contains("not allowed"), "{}", log[1].detail);
    let report = server.store.verify_ledger(None, &[]).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[tokio::test]
async fn a_tampered_state_a_replayed_code_and_another_clients_token_are_refused() {
    let Some((server, provider)) = attest_with_provider().await else {
        return;
    };
    // A state changed on the way back: refused, and the sign-in it belonged to is over.
    let (client, _) = browser_with_jar();
    let callback = start_sign_in(&server, &provider, &client, "alice@example.com").await;
    let tampered = callback.replace("state=", "state=x");
    assert_eq!(
        location(&client.get(&tampered).send().await.unwrap()),
        "/signin?error=state"
    );
    assert_eq!(
        location(&client.get(&callback).send().await.unwrap()),
        "/signin?error=state",
        "a state is good for one answer"
    );
    assert!(signed_in_as(&server, &client).await.is_null());
    // An answer nobody asked for.
    let (stranger, _) = browser_with_jar();
    assert_eq!(
        location(&stranger.get(&callback).send().await.unwrap()),
        "/signin?error=state"
    );

    // A code used once, replayed into another browser's sign-in with that sign-in's own
    // state: the provider refuses it, so Attest does.
    let (first, _) = browser_with_jar();
    let callback = start_sign_in(&server, &provider, &first, "alice@example.com").await;
    assert_eq!(
        location(&first.get(&callback).send().await.unwrap()),
        "/people"
    );
    let code = reqwest::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let (second, _) = browser_with_jar();
    let to_provider = location(&second.get(server.url("/auth/login")).send().await.unwrap());
    let state = reqwest::Url::parse(&to_provider)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let replay = server.url(&format!("/auth/callback?code={code}&state={state}"));
    assert_eq!(
        location(&second.get(&replay).send().await.unwrap()),
        "/signin?error=code"
    );
    assert!(signed_in_as(&server, &second).await.is_null());

    // A genuine ID token from the same provider, issued to another client: its audience is
    // not Attest.
    let (other, _) = browser_with_jar();
    let verifier = "other-client-verifier-with-enough-entropy-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let redirect = server.url("/auth/callback");
    let discovery: serde_json::Value = reqwest::get(format!(
        "{}/.well-known/openid-configuration",
        provider.issuer
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mut authorize =
        reqwest::Url::parse(discovery["authorization_endpoint"].as_str().unwrap()).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "other")
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", "openid email profile groups")
        .append_pair("state", "s")
        .append_pair("nonce", "the-nonce")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let back = log_in_at_provider(
        &other,
        &provider.issuer,
        authorize.as_str(),
        "alice@example.com",
    )
    .await;
    let code = reqwest::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let tokens: serde_json::Value = other
        .post(discovery["token_endpoint"].as_str().unwrap())
        .basic_auth("other", Some("other-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let attest = oidc(&provider.issuer, "attest", "attest-secret");
    let refused = attest
        .check_id_token(id_token, "the-nonce")
        .await
        .unwrap_err();
    assert!(refused.contains("audience"), "{refused}");
    // The same token is good for its own client, and not with another nonce.
    let own = oidc(&provider.issuer, "other", "other-secret");
    let claims = own.check_id_token(id_token, "the-nonce").await.unwrap();
    assert_eq!(claims["email"], "alice@example.com");
    let wrong_nonce = own.check_id_token(id_token, "another").await.unwrap_err();
    assert!(wrong_nonce.contains("nonce"), "{wrong_nonce}");

    let refusals = server
        .store
        .actions(
            &domain::audit::ActionFilter {
                action: "signin.refused".into(),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap()
        .actions;
    assert_eq!(refusals.len(), 4, "{refusals:?}");
    assert!(
        refusals[0].detail.contains("refused the code"),
        "{}",
        refusals[0].detail
    );
}

#[tokio::test]
async fn signing_out_can_end_the_session_at_the_provider_too() {
    // It renders a page (for its policy), so it takes its turn with the other page tests.
    let Some((server, provider)) = attest_with_provider_signing_out(true).await else {
        return;
    };
    let (alice, _) = browser_with_jar();
    let callback = start_sign_in(&server, &provider, &alice, "alice@example.com").await;
    assert_eq!(
        location(&alice.get(&callback).send().await.unwrap()),
        "/people"
    );
    // While the provider's session lasts, a new sign-in needs no login there.
    let again = location(&alice.get(server.url("/auth/login")).send().await.unwrap());
    let straight_back = location(&alice.get(&again).send().await.unwrap());
    assert!(
        !straight_back.starts_with("/interaction/"),
        "the provider asked again: {straight_back}"
    );

    // Pages let their sign-out form's answer lead on to the provider (browsers hold the
    // redirect after a form to `form-action`).
    let page = alice.get(server.url("/people")).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains(&format!("form-action 'self' {};", provider.issuer)),
        "{policy}"
    );

    // Signing out ends Attest's session, then sends the browser to the provider's end-session
    // endpoint with the ID token as a hint and the way back.
    let out = location(
        &alice
            .post(server.url("/auth/logout"))
            .header("Origin", &server.base)
            .send()
            .await
            .unwrap(),
    );
    assert!(
        out.starts_with(&format!("{}/session/end?", provider.issuer)),
        "{out}"
    );
    let url = reqwest::Url::parse(&out).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("{name} in {out}"))
    };
    assert_eq!(param("client_id"), "attest");
    assert_eq!(
        param("post_logout_redirect_uri"),
        server.url("/signin?signed_out=1")
    );
    // The hint is the ID token Alice signed in with: the provider's own, for Attest.
    let hint = param("id_token_hint");
    let payload = hint.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (claims["aud"].as_str(), claims["sub"].as_str()),
        (Some("attest"), Some("u-alice")),
        "{claims}"
    );
    assert!(signed_in_as(&server, &alice).await.is_null());

    // The provider asks to confirm (its form), then sends the browser back to Attest.
    let confirm = alice.get(&out).send().await.unwrap();
    assert_eq!(confirm.status(), 200);
    let page = confirm.text().await.unwrap();
    let field = |name: &str, html: &str| {
        let at = html
            .find(name)
            .unwrap_or_else(|| panic!("{name} in {html}"));
        let rest = &html[at..];
        let value = rest.find("value=\"").unwrap() + "value=\"".len();
        rest[value..rest[value..].find('"').unwrap() + value].to_owned()
    };
    let action = {
        let at = page.find("action=\"").unwrap() + "action=\"".len();
        page[at..page[at..].find('"').unwrap() + at].to_owned()
    };
    let xsrf = field("name=\"xsrf\"", &page);
    let back = location(
        &alice
            .post(format!(
                "{}{}",
                provider.issuer,
                action.trim_start_matches(&provider.issuer)
            ))
            .form(&[("xsrf", xsrf.as_str()), ("logout", "yes")])
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(back, server.url("/signin?signed_out=1"));

    // The provider's session is over: the next sign-in asks who it is again.
    let next = location(&alice.get(server.url("/auth/login")).send().await.unwrap());
    let asked = location(&alice.get(&next).send().await.unwrap());
    assert!(asked.starts_with("/interaction/"), "{asked}");
}

/// Attest signing in with GitHub's OAuth. No GitHub runs here: the OAuth 2.0 part (authorize,
/// PKCE, the code redeemed with the credentials in the form) runs against the same real
/// authorization server at GitHub's paths, and the provider answers its access tokens on
/// GitHub's three REST endpoints in GitHub's documented shapes (see provider.mjs).
async fn attest_with_github() -> Option<(TestServer, Provider)> {
    attest_signing_in_with(
        |issuer| {
            SignIn::Github(
                Github::new(GithubConfig {
                    name: "GitHub".into(),
                    web_url: issuer.to_owned(),
                    api_url: format!("{issuer}/api/v3"),
                    client_id: "github-app".into(),
                    client_secret: "github-secret".into(),
                })
                .unwrap(),
            )
        },
        "admin:group:acme/attest-admins,auditor:email:bob@example.com",
    )
    .await
}

#[tokio::test]
async fn people_sign_in_with_github_with_roles_from_their_teams() {
    let Some((server, provider)) = attest_with_github().await else {
        return;
    };
    let sign_in = |login: &'static str| {
        let server = &server;
        let provider = &provider;
        async move {
            let (client, _) = browser_with_jar();
            let to_github = location(
                &client
                    .get(server.url("/auth/login?next=/people"))
                    .send()
                    .await
                    .unwrap(),
            );
            assert!(
                to_github.starts_with(&format!("{}/login/oauth/authorize?", provider.issuer)),
                "{to_github}"
            );
            for must in [
                "scope=read%3Auser+user%3Aemail+read%3Aorg",
                "code_challenge_method=S256",
                "state=",
                "client_id=github-app",
            ] {
                assert!(to_github.contains(must), "{must} in {to_github}");
            }
            assert!(!to_github.contains("nonce="), "plain OAuth: {to_github}");
            let callback = log_in_at_provider(&client, &provider.issuer, &to_github, login).await;
            let landed = location(&client.get(&callback).send().await.unwrap());
            (client, landed, callback)
        }
    };

    // Alice: an admin through her team (team and organization names compared in lower case),
    // known by her GitHub id, with her primary address, not her other verified one.
    let (alice, landed, alices_callback) = sign_in("alice@example.com").await;
    assert_eq!(landed, "/people");
    let who = signed_in_as(&server, &alice).await;
    assert_eq!(
        (&who["role"], &who["email"], &who["name"], &who["via"]),
        (
            &json!("admin"),
            &json!("alice@example.com"),
            &json!("Alice Admin"),
            &json!("GitHub")
        ),
        "{who}"
    );
    assert_eq!(who["subject"], format!("{}#1001", provider.issuer));

    // Bob: an auditor by e-mail; GitHub has no name for him, so his login stands in.
    let (bob, landed, _) = sign_in("bob@example.com").await;
    assert_eq!(landed, "/people");
    let who = signed_in_as(&server, &bob).await;
    assert_eq!(
        (&who["role"], &who["name"]),
        (&json!("auditor"), &json!("bob-gh"))
    );

    // Carol's primary address is unverified; Mallory's domain is not allowed, team or not.
    for (login, error) in [
        ("carol@example.com", "email"),
        ("mallory@elsewhere.test", "domain"),
    ] {
        let (client, landed, _) = sign_in(login).await;
        assert_eq!(landed, format!("/signin?error={error}"), "{login}");
        assert!(signed_in_as(&server, &client).await.is_null(), "{login}");
    }
    let refusals = server
        .store
        .actions(
            &domain::audit::ActionFilter {
                action: "signin.refused".to_owned(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap()
        .actions;
    assert!(
        refusals.iter().any(|a| a
            .detail
            .contains("no verified primary e-mail for carol-gh (#1003)")),
        "{refusals:?}"
    );

    // Alice's code, used once already, in a sign-in another browser started: GitHub's side
    // refuses to redeem it again.
    let param = |url: &str, name: &str| {
        reqwest::Url::parse(url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == name)
            .unwrap()
            .1
            .into_owned()
    };
    let code = param(&alices_callback, "code");
    let (second, _) = browser_with_jar();
    let started = location(&second.get(server.url("/auth/login")).send().await.unwrap());
    let state = param(&started, "state");
    let replay = server.url(&format!("/auth/callback?code={code}&state={state}"));
    assert_eq!(
        location(&second.get(&replay).send().await.unwrap()),
        "/signin?error=code"
    );
}
