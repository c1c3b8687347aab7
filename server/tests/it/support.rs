//! A running server on 127.0.0.1:0 over a fresh SQLite file, and fixture paths.

use domain::hook_secrets::{HookKeys, SecretsKey};
use domain::signature::{HookSecrets, Secrets};
use domain::store::Store;
use server::auth::Auth;
use server::cli::leptos_options;
use server::jwks::PubsubOidc;
use server::{router, AppState};
use std::net::SocketAddr;
use std::sync::Arc;

pub const SECRET: &str = "it-secret";

pub use domain::fixtures::dir as fixtures;

pub struct TestServer {
    pub base: String,
    pub store: Store,
    /// Its SQLite file, for the command line.
    pub db_url: String,
    /// The secrets its push endpoints accept.
    pub hooks: Arc<HookKeys>,
    /// The key its managed webhook secrets are derived from.
    pub secrets_key: SecretsKey,
    pub client: reqwest::Client,
    /// What its router was built from.
    pub state: AppState,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::with_secrets(SECRET).await
    }

    pub async fn with_secrets(secrets: &str) -> TestServer {
        TestServer::with_hooks(HookSecrets {
            github: Secrets::from_comma_separated(secrets),
            ..HookSecrets::default()
        })
        .await
    }

    /// A server whose push endpoints accept these secrets.
    pub async fn with_hooks(hooks: HookSecrets) -> TestServer {
        TestServer::with_auth(hooks, None).await
    }

    /// A server whose push endpoints accept these secrets, and `/hooks/gcp` these OIDC tokens.
    pub async fn with_auth(hooks: HookSecrets, gcp_oidc: Option<PubsubOidc>) -> TestServer {
        TestServer::build(hooks, gcp_oidc, |_| Auth::closed()).await
    }

    /// A server whose sign-in `auth` makes, given the server's base URL (known once its port
    /// is), over a fresh SQLite file.
    pub async fn with_signin(auth: impl FnOnce(&str) -> Auth) -> TestServer {
        TestServer::build(HookSecrets::default(), None, auth).await
    }

    pub async fn build(
        hooks: HookSecrets,
        gcp_oidc: Option<PubsubOidc>,
        auth: impl FnOnce(&str) -> Auth,
    ) -> TestServer {
        let (listener, base) = TestServer::bind().await;
        let auth = auth(&base);
        TestServer::serve(listener, hooks, gcp_oidc, auth).await
    }

    /// A loopback port for a server, and the base URL it will have.
    pub async fn bind() -> (tokio::net::TcpListener, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        (listener, base)
    }

    /// Serves Attest on `listener` over a fresh SQLite file.
    pub async fn serve(
        listener: tokio::net::TcpListener,
        hooks: HookSecrets,
        gcp_oidc: Option<PubsubOidc>,
        auth: Auth,
    ) -> TestServer {
        if let Ok(filter) = std::env::var("ATTEST_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("attest.db").display());
        let store = Store::connect(&db_url).await.unwrap();
        store.migrate().await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        // Every test server can make webhook secrets: its key is its own.
        let secrets_key = SecretsKey::generate();
        let hooks = Arc::new(
            HookKeys::load(store.clone(), hooks, Some(secrets_key.clone()))
                .await
                .unwrap(),
        );
        let state = AppState {
            store: store.clone(),
            hooks: hooks.clone(),
            gcp_oidc: gcp_oidc.map(Arc::new),
            auth: Arc::new(auth),
            leptos_options: leptos_options(&dir.path().join("site"), addr),
        };
        let service = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            axum::serve(listener, service).await.unwrap();
        });
        TestServer {
            base: format!("http://{addr}"),
            store,
            db_url,
            hooks,
            secrets_key,
            client: reqwest::Client::new(),
            state,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A valid API token of `role`.
    pub async fn token(&self, role: domain::model::Role) -> String {
        let token = domain::tokens::generate();
        self.store
            .create_token(
                &format!("t-{}", &token[7..15]),
                role,
                &domain::tokens::hash(&token),
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        token
    }

    /// POSTs a GitHub delivery signed with `secret`.
    pub async fn github(
        &self,
        event: &str,
        delivery: &str,
        body: &[u8],
        secret: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/hooks/github"))
            .header("X-GitHub-Event", event)
            .header("X-GitHub-Delivery", delivery)
            .header(
                "X-Hub-Signature-256",
                domain::signature::github_signature(secret.as_bytes(), body),
            )
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }
}

/// Posts a page's form as a browser without JavaScript does; gives the status and where the
/// answer sends the browser.
pub async fn post_form(
    server: &TestServer,
    client: &reqwest::Client,
    function: &str,
    page: &str,
    fields: &[(&str, &str)],
) -> (reqwest::StatusCode, String) {
    let response = client
        .post(server.url(&format!("/_fn/{function}")))
        .header("Origin", &server.base)
        .header("Referer", page)
        .header("Accept", "text/html")
        .form(fields)
        .send()
        .await
        .unwrap();
    let to = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), to)
}
