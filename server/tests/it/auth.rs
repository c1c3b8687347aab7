//! Sign-in, sessions and roles over HTTP: every page, server function and API route answered
//! for each role as the role table promises; cross-site writes refused; security headers;
//! sessions that end when idle, when too old and at sign-out (server-side); rate limits; and
//! every sign-in and sign-out in the audit log and the ledger.

use crate::support::TestServer;
use app::auth::Persona;
use domain::model::Role;
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use server::auth::limits::RateLimit;
use server::auth::Auth;
use std::collections::BTreeSet;
use std::time::Duration;

/// One persona per role, keyed by the role's name.
pub fn personas() -> Vec<Persona> {
    Role::ALL
        .into_iter()
        .map(|role| Persona {
            key: role.as_str().to_owned(),
            name: format!("The {}", role.as_str()),
            email: format!("{}@example.com", role.as_str()),
            title: "Tester".to_owned(),
            role,
        })
        .collect()
}

pub async fn demo_server() -> TestServer {
    TestServer::with_signin(|_| Auth {
        personas: personas(),
        ..Auth::closed()
    })
    .await
}

/// A client that keeps cookies and does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A browser signed in as the persona of `role`.
pub async fn signed_in(server: &TestServer, role: Role) -> reqwest::Client {
    let client = browser();
    let response = client
        .post(server.url("/auth/demo"))
        .header("Origin", &server.base)
        .form(&[("persona", role.as_str()), ("next", "/people")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/people");
    client
}

/// The pages and the least role each needs (`None`: anyone), written out here rather than
/// read from the code, so a change to who may open what shows up as a failing test.
const PAGES: &[(&str, &str, Option<Role>)] = &[
    ("/", "/", Some(Role::Viewer)),
    ("/timeline", "/timeline", Some(Role::Viewer)),
    ("/events/{id}", "/events/1", Some(Role::Viewer)),
    ("/access", "/access?who=alice", Some(Role::Reviewer)),
    (
        "/access/graph",
        "/access/graph?who=alice",
        Some(Role::Reviewer),
    ),
    ("/reviews", "/reviews", Some(Role::Reviewer)),
    ("/campaigns", "/campaigns", Some(Role::Auditor)),
    (
        "/campaigns/rounds/{id}",
        "/campaigns/rounds/1",
        Some(Role::Auditor),
    ),
    ("/findings", "/findings", Some(Role::Auditor)),
    ("/people", "/people", Some(Role::Auditor)),
    (
        "/people/{email}",
        "/people/nobody@example.com",
        Some(Role::Auditor),
    ),
    ("/ingest", "/ingest", Some(Role::Auditor)),
    ("/audit", "/audit", Some(Role::Auditor)),
    ("/tokens", "/tokens", Some(Role::Admin)),
    ("/webhooks", "/webhooks", Some(Role::Admin)),
    ("/signin", "/signin", None),
];

/// The server functions (under `/_fn/`) and the least role each needs.
const SERVER_FNS: &[(&str, Option<Role>)] = &[
    ("get_signed_in", None),
    ("get_signin_options", None),
    ("list_events", Some(Role::Viewer)),
    ("get_event", Some(Role::Viewer)),
    ("get_activity_chart", Some(Role::Viewer)),
    ("get_access", Some(Role::Reviewer)),
    ("get_access_graph", Some(Role::Reviewer)),
    ("list_recent_grant_changes", Some(Role::Reviewer)),
    ("list_my_reviews", Some(Role::Reviewer)),
    ("decide_review_items", Some(Role::Reviewer)),
    ("delegate_review_item", Some(Role::Reviewer)),
    ("list_campaigns", Some(Role::Auditor)),
    ("get_round", Some(Role::Auditor)),
    ("create_campaign", Some(Role::Admin)),
    ("launch_campaign", Some(Role::Admin)),
    ("close_review_stage", Some(Role::Admin)),
    ("list_findings", Some(Role::Auditor)),
    ("list_people", Some(Role::Auditor)),
    ("get_person", Some(Role::Auditor)),
    ("get_ingest_health", Some(Role::Auditor)),
    ("list_actions", Some(Role::Auditor)),
    ("decide_person", Some(Role::Admin)),
    ("list_tokens", Some(Role::Admin)),
    ("create_token", Some(Role::Admin)),
    ("revoke_token", Some(Role::Admin)),
    ("list_hook_secrets", Some(Role::Admin)),
    ("create_hook_secret", Some(Role::Admin)),
    ("revoke_hook_secret", Some(Role::Admin)),
];

/// Downloads for a signed-in browser (not pages: plain routes) and the least role each needs.
const DOWNLOADS: &[(&str, &str, Option<Role>)] = &[
    (
        "/export/events.csv",
        "/export/events.csv",
        Some(Role::Auditor),
    ),
    (
        "/export/audit.csv",
        "/export/audit.csv",
        Some(Role::Auditor),
    ),
    (
        "/export/rounds/{file}",
        "/export/rounds/1.csv",
        Some(Role::Auditor),
    ),
    (
        "/reports/rounds/{id}",
        "/reports/rounds/1",
        Some(Role::Auditor),
    ),
];

/// The JSON API's routes (bearer tokens) and the least role each needs.
const API: &[(&str, &str, Role)] = &[
    ("GET", "/api/v1/events", Role::Viewer),
    ("GET", "/api/v1/events/1", Role::Viewer),
    ("GET", "/api/v1/access?principal=alice", Role::Reviewer),
    (
        "GET",
        "/api/v1/access/history?principal=alice",
        Role::Reviewer,
    ),
    ("GET", "/api/v1/findings", Role::Auditor),
    ("GET", "/api/v1/people", Role::Auditor),
    ("GET", "/api/v1/people/nobody@example.com", Role::Auditor),
    (
        "POST",
        "/api/v1/people/nobody@example.com/link",
        Role::Admin,
    ),
    (
        "POST",
        "/api/v1/people/nobody@example.com/unlink",
        Role::Admin,
    ),
    (
        "POST",
        "/api/v1/people/nobody@example.com/merge",
        Role::Admin,
    ),
    (
        "POST",
        "/api/v1/people/nobody@example.com/split",
        Role::Admin,
    ),
    ("GET", "/api/v1/campaigns", Role::Auditor),
    ("POST", "/api/v1/campaigns/1/launch", Role::Admin),
    ("GET", "/api/v1/rounds/1", Role::Auditor),
    ("POST", "/api/v1/rounds/1/close", Role::Admin),
    (
        "GET",
        "/api/v1/review-items?reviewer=a@example.com",
        Role::Auditor,
    ),
    ("POST", "/api/v1/review-items/decisions", Role::Admin),
];

#[tokio::test]
async fn every_page_function_and_api_route_answers_each_role_as_the_table_says() {
    // Every route the app has is in the table, and every server function: a new one fails
    // here until someone decides who may use it.
    let routes: BTreeSet<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    let listed: BTreeSet<String> = PAGES.iter().map(|(p, _, _)| (*p).to_owned()).collect();
    assert_eq!(
        routes, listed,
        "pages without a row in PAGES, or rows without a page"
    );
    let fns: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    let listed: BTreeSet<String> = SERVER_FNS
        .iter()
        .map(|(name, _)| format!("/_fn/{name}"))
        .collect();
    assert_eq!(fns, listed, "server functions without a row in SERVER_FNS");

    let server = demo_server().await;
    let anonymous = browser();
    let mut clients = vec![(None, anonymous)];
    for role in Role::ALL {
        clients.push((Some(role), signed_in(&server, role).await));
    }
    let mut checked = 0;
    for (role, client) in &clients {
        let who = role.map_or("anonymous", Role::as_str);
        for (_, path, needs) in PAGES.iter().chain(DOWNLOADS) {
            let response = client
                .get(server.url(path))
                .send()
                .await
                .unwrap_or_else(|err| panic!("{who} {path}: {err}"));
            let status = response.status();
            match (needs, role) {
                (None, _) => assert_eq!(status, StatusCode::OK, "{who} {path}"),
                (Some(_), None) => {
                    assert_eq!(status, StatusCode::SEE_OTHER, "{who} {path}");
                    let to = response.headers()["location"].to_str().unwrap().to_owned();
                    let back = path
                        .replace('?', "%3F")
                        .replace('=', "%3D")
                        .replace('@', "%40");
                    assert_eq!(to, format!("/signin?next={back}"));
                }
                (Some(needed), Some(have)) if have < needed => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}")
                }
                (Some(_), Some(_)) => assert!(
                    // Event 1 and that person do not exist: their pages say so, with 404.
                    status == StatusCode::OK || status == StatusCode::NOT_FOUND,
                    "{who} {path}: {status}"
                ),
            }
            checked += 1;
        }
        for (name, needs) in SERVER_FNS {
            let response = client
                .post(server.url(&format!("/_fn/{name}")))
                .header("Origin", &server.base)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap_or_else(|err| panic!("{who} {name}: {err}"));
            let status = response.status();
            match (needs, role) {
                (Some(_), None) => assert_eq!(status, StatusCode::UNAUTHORIZED, "{who} {name}"),
                (Some(needed), Some(have)) if have < needed => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{who} {name}")
                }
                // Allowed: whatever the answer to an empty argument list is, it is not a
                // refusal.
                _ => assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{who} {name}: {status}"
                ),
            }
            checked += 1;
        }
    }
    // The API takes bearer tokens, never the session cookie.
    let mut tokens = vec![(None, None)];
    for role in Role::ALL {
        tokens.push((Some(role), Some(server.token(role).await)));
    }
    for (role, token) in &tokens {
        let who = role.map_or("anonymous", Role::as_str);
        for (method, path, needed) in API {
            let mut request = clients[4]
                .1
                .request(method.parse().unwrap(), server.url(path))
                .header("content-type", "application/json")
                .body(r#"{"reason": "matrix"}"#);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let status = request
                .send()
                .await
                .unwrap_or_else(|err| panic!("{who} {path}: {err}"))
                .status();
            match role {
                None => assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{who} {path} (cookie only)"
                ),
                Some(have) if have < needed => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}")
                }
                Some(_) => assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{who} {path}: {status}"
                ),
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        5 * (PAGES.len() + DOWNLOADS.len() + SERVER_FNS.len()) + 5 * API.len()
    );
}

#[tokio::test]
async fn cross_site_writes_are_refused_and_pages_carry_security_headers() {
    let server = demo_server().await;
    let admin = signed_in(&server, Role::Admin).await;
    let call = |origin: Option<&'static str>, referer: Option<&'static str>| {
        let mut request = admin
            .post(server.url("/_fn/get_signed_in"))
            .header("content-type", "application/json")
            .body("{}");
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        if let Some(referer) = referer {
            request = request.header("Referer", referer);
        }
        request.send()
    };
    assert_eq!(
        call(Some("https://evil.test"), None)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(call(Some("null"), None).await.unwrap().status(), 403);
    assert_eq!(call(None, None).await.unwrap().status(), 403);
    assert_eq!(
        call(None, Some("https://evil.test/page"))
            .await
            .unwrap()
            .status(),
        403
    );
    let own_page: &'static str = Box::leak(format!("{}/people", server.base).into_boxed_str());
    assert_eq!(call(None, Some(own_page)).await.unwrap().status(), 200);
    let own: &'static str = Box::leak(server.base.clone().into_boxed_str());
    let answer = call(Some(own), None).await.unwrap();
    assert_eq!(answer.status(), 200);
    let who: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(who["role"], "admin");

    // A cross-site sign-out cannot end someone's session either, nor a cross-site demo sign-in
    // start one.
    let logout = admin
        .post(server.url("/auth/logout"))
        .header("Origin", "https://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 403);
    let still = admin.get(server.url("/people")).send().await.unwrap();
    assert_eq!(still.status(), 200);
    let planted = browser()
        .post(server.url("/auth/demo"))
        .header("Origin", "https://evil.test")
        .form(&[("persona", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(planted.status(), 403);

    // Headers: a page allows its own nonce'd script and nothing inline besides.
    let page = admin.get(server.url("/people")).send().await.unwrap();
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned();
    assert!(nonce.len() >= 16, "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(
        headers["cache-control"], "no-store",
        "a page of someone's data"
    );
    let asset = admin
        .get(server.url("/pkg/attest.css"))
        .send()
        .await
        .unwrap();
    assert!(
        asset
            .headers()
            .get("cache-control")
            .is_none_or(|v| v != "no-store"),
        "the static front end may be cached"
    );
    // Plain HTTP: no HSTS, cookie not Secure (HTTPS deployments set ATTEST_PUBLIC_URL).
    assert!(!headers.contains_key("strict-transport-security"));
    let again = admin.get(server.url("/people")).send().await.unwrap();
    let other_nonce = again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(csp, other_nonce, "a nonce is used once");
    let api = server
        .client
        .get(server.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert!(api.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    assert_eq!(api.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site() {
    let server = demo_server().await;
    let response = browser()
        .post(server.url("/auth/demo"))
        .header("Origin", &server.base)
        .form(&[("persona", "viewer")])
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("attest_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server_and_is_recorded() {
    let server = demo_server().await;
    let auditor = signed_in(&server, Role::Auditor).await;
    // The cookie, as a thief would copy it.
    let jar_cookie = {
        let response = browser()
            .post(server.url("/auth/demo"))
            .header("Origin", &server.base)
            .form(&[("persona", "auditor")])
            .send()
            .await
            .unwrap();
        let set = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        set.split(';').next().unwrap().to_owned()
    };
    let stolen = |cookie: String| {
        server
            .client
            .get(server.url("/audit"))
            .header("cookie", cookie)
            .send()
    };
    assert_eq!(stolen(jar_cookie.clone()).await.unwrap().status(), 200);
    let sessions_before = count(&server, "sessions").await;
    assert!(sessions_before >= 2);
    // That second session signs out; its copied cookie is worth nothing afterwards.
    let out = server
        .client
        .post(server.url("/auth/logout"))
        .header("cookie", jar_cookie.clone())
        .header("Origin", &server.base)
        .send()
        .await
        .unwrap();
    assert!(
        out.url().as_str().ends_with("/signin?signed_out=1"),
        "{}",
        out.url()
    );
    assert_eq!(count(&server, "sessions").await, sessions_before - 1);
    let replayed = server
        .client
        .get(server.url("/audit"))
        .header("cookie", jar_cookie)
        .send()
        .await
        .unwrap();
    assert!(replayed.url().path() == "/signin", "{}", replayed.url());
    // The other session is untouched.
    assert_eq!(
        auditor
            .get(server.url("/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let log = server
        .store
        .actions(&Default::default(), 100)
        .await
        .unwrap()
        .actions;
    let said: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|a| (a.action.as_str(), a.actor.as_str(), a.role.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            ("signout", "auditor@example.com", "auditor"),
            ("signin", "auditor@example.com", "auditor"),
            ("signin", "auditor@example.com", "auditor"),
        ]
    );
    assert!(log.iter().all(|a| a.ip == "127.0.0.1"));
    let report = server.store.verify_ledger(None, &[]).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.size, 3);
}

async fn count(server: &TestServer, table: &str) -> i64 {
    let domain::store::Store::Sqlite(pool) = &server.store else {
        unreachable!("the test server runs on SQLite")
    };
    let (n,): (i64,) = sqlx::query_as(&format!("select count(*) from {table}"))
        .fetch_one(pool)
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn sessions_end_when_idle_and_when_too_old_however_active() {
    let idle = TestServer::with_signin(|_| Auth {
        personas: personas(),
        idle: Duration::from_millis(800),
        ..Auth::closed()
    })
    .await;
    // The cookie as sent at sign-in, replayed by hand: a client that ignores its Max-Age (or
    // a copied cookie) must find the session over on the server too.
    let cookie = {
        let response = browser()
            .post(idle.url("/auth/demo"))
            .header("Origin", &idle.base)
            .form(&[("persona", "viewer")])
            .send()
            .await
            .unwrap();
        let set = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        set.split(';').next().unwrap().to_owned()
    };
    let open = |cookie: String| browser().get(idle.url("/")).header("cookie", cookie).send();
    assert_eq!(open(cookie.clone()).await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let after = open(cookie).await.unwrap();
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "an idle session ended"
    );
    // The expired row goes at the next cleanup (which compares whole seconds on SQLite).
    assert_eq!(count(&idle, "sessions").await, 1);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    use tower_sessions::session_store::ExpiredDeletion;
    server::auth::sessions::Sessions::new(&idle.store)
        .delete_expired()
        .await
        .unwrap();
    assert_eq!(count(&idle, "sessions").await, 0, "cleanup removed it");

    let old = TestServer::with_signin(|_| Auth {
        personas: personas(),
        absolute: Duration::from_millis(1500),
        ..Auth::closed()
    })
    .await;
    let client = signed_in(&old, Role::Viewer).await;
    for _ in 0..4 {
        assert_eq!(client.get(old.url("/")).send().await.unwrap().status(), 200);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = client.get(old.url("/")).send().await.unwrap();
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "however active, it ended"
    );
}

#[tokio::test]
async fn sign_in_and_webhooks_are_rate_limited_per_client() {
    let server = TestServer::with_signin(|_| Auth {
        personas: personas(),
        signin_limit: RateLimit::per_minute(3),
        hook_limit: RateLimit::per_minute(2),
        ..Auth::closed()
    })
    .await;
    for _ in 0..3 {
        signed_in(&server, Role::Viewer).await;
    }
    let limited = browser()
        .post(server.url("/auth/demo"))
        .header("Origin", &server.base)
        .form(&[("persona", "viewer")])
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    // Pages are not limited.
    assert_eq!(
        server
            .client
            .get(server.url("/signin"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    for expected in [503, 503, 429] {
        // No GitHub secret is configured: the endpoint refuses (503) until the limit answers.
        let response = server.github("ping", "d-1", b"{}", "whatever").await;
        assert_eq!(response.status().as_u16(), expected);
    }
}

#[tokio::test]
async fn demo_sign_in_exists_only_in_demo_mode() {
    let server = TestServer::start().await;
    let response = browser()
        .post(server.url("/auth/demo"))
        .header("Origin", &server.base)
        .form(&[("persona", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let page = server
        .client
        .get(server.url("/signin"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("No sign-in is configured"), "{html}");
    assert!(!html.contains("Demo personas"));

    let demo = demo_server().await;
    let html = demo
        .client
        .get(demo.url("/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Demo personas") && html.contains("Sign in as The admin"));
    let unknown = browser()
        .post(demo.url("/auth/demo"))
        .header("Origin", &demo.base)
        .form(&[("persona", "root")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn admins_make_and_revoke_api_tokens_on_the_tokens_page_on_the_record() {
    let server = demo_server().await;
    let admin = signed_in(&server, Role::Admin).await;
    let page = server.url("/tokens");

    // Made by a plain form: the page shows the token once, on the next reading only.
    let (status, to) = crate::support::post_form(
        &server,
        &admin,
        "create_token",
        &page,
        &[("name", " ci-export "), ("role", "viewer")],
    )
    .await;
    assert_eq!(
        (status, to.trim_end_matches('?')),
        (StatusCode::FOUND, page.as_str())
    );
    let html = admin.get(&to).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Token ci-export (viewer) created"), "{html}");
    let start = html.find(r#"<code class="secret">"#).unwrap() + r#"<code class="secret">"#.len();
    let token = html[start..].split('<').next().unwrap().to_owned();
    assert!(token.len() >= 32, "{token}");
    let again = admin.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(!again.contains(&token), "a token is shown once");
    assert!(again.contains("<code>ci-export</code>"));
    let row = |html: &str| {
        let at = html.find("<code>ci-export</code>").unwrap();
        html[at..html[at..].find("</tr>").unwrap() + at].to_owned()
    };
    assert!(
        row(&again).contains("never"),
        "not used yet: {}",
        row(&again)
    );

    // It works on the API with its role, and the page says when it was last used.
    let api = |token: String| {
        let client = browser();
        let url = server.url("/api/v1/events");
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(api(token.clone()).await, StatusCode::OK);
    let used = admin.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(
        !row(&used).contains("never") && row(&used).matches("<time").count() == 2,
        "last used is shown: {}",
        row(&used)
    );

    // Refusals come back on the page with the reason.
    for (fields, says) in [
        (
            vec![("name", "ci-export"), ("role", "viewer")],
            "exists already",
        ),
        (vec![("name", "x"), ("role", "root")], "role:"),
        (
            vec![("name", "  "), ("role", "viewer")],
            "say who or what uses the token",
        ),
    ] {
        let (status, to) =
            crate::support::post_form(&server, &admin, "create_token", &page, &fields).await;
        assert_eq!(status, StatusCode::FOUND, "{fields:?}");
        let html = admin.get(&to).send().await.unwrap().text().await.unwrap();
        assert!(
            html.contains(says),
            "{fields:?}: the page does not say {says:?}"
        );
    }

    // Revoked: it stops working at once.
    let (status, _) = crate::support::post_form(
        &server,
        &admin,
        "revoke_token",
        &page,
        &[("name", "ci-export")],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(api(token).await, StatusCode::UNAUTHORIZED);
    let (_, to) = crate::support::post_form(
        &server,
        &admin,
        "revoke_token",
        &page,
        &[("name", "ci-export")],
    )
    .await;
    let html = admin.get(&to).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("no active token named"),
        "revoking twice says why"
    );

    // An auditor may not.
    let auditor = signed_in(&server, Role::Auditor).await;
    let (status, _) = crate::support::post_form(
        &server,
        &auditor,
        "create_token",
        &page,
        &[("name", "mine"), ("role", "admin")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Attest's audit log has both, by the admin; the ledger is sound.
    let filter = domain::audit::ActionFilter {
        action: "token.*".to_owned(),
        ..Default::default()
    };
    let log = server.store.actions(&filter, 10).await.unwrap().actions;
    let logged: Vec<_> = log
        .iter()
        .map(|a| {
            (
                a.action.as_str(),
                a.actor.as_str(),
                a.target.as_str(),
                a.detail.as_str(),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("token.revoke", "admin@example.com", "ci-export", ""),
            (
                "token.create",
                "admin@example.com",
                "ci-export",
                "role viewer"
            ),
        ]
    );
    let report = server.store.verify_ledger(None, &[]).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
