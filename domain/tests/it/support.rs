//! Test support: fresh stores on either engine, fixture paths, signed GitHub deliveries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::store::Store;
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

pub use domain::fixtures::dir as fixtures;

/// A store that exists for one test.
pub struct TestDb {
    pub store: Store,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Schema { url: String, schema: String },
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("attest.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        TestDb {
            store,
            cleanup: Cleanup::Dir(dir),
        }
    }

    /// A fresh schema in the Postgres named by `ATTEST_TEST_POSTGRES_URL`. `None` (the test is
    /// skipped, loudly) only outside CI when the variable is unset.
    pub async fn postgres() -> Option<TestDb> {
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
        let url = match std::env::var("ATTEST_TEST_POSTGRES_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ if in_ci => panic!("CI=true but ATTEST_TEST_POSTGRES_URL is not set"),
            _ => {
                eprintln!("skipping the Postgres run: ATTEST_TEST_POSTGRES_URL is not set");
                return None;
            }
        };
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let schema = format!(
            "attest_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        let admin = Store::connect(&url)
            .await
            .unwrap_or_else(|err| panic!("Postgres at {url} is unreachable: {err}"));
        let Store::Postgres(pool) = &admin else {
            panic!("ATTEST_TEST_POSTGRES_URL must be a postgres:// URL")
        };
        sqlx::query(&format!("create schema {schema}"))
            .execute(pool)
            .await
            .unwrap();
        admin.close().await;
        let options = PgConnectOptions::from_str(&url)
            .unwrap()
            .options([("search_path", schema.as_str())]);
        let store = Store::connect_postgres(options).await.unwrap();
        store.migrate().await.unwrap();
        Some(TestDb {
            store,
            cleanup: Cleanup::Schema { url, schema },
        })
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Cleanup::Schema { url, schema } = self.cleanup {
            let admin = Store::connect(&url).await.unwrap();
            if let Store::Postgres(pool) = &admin {
                sqlx::query(&format!("drop schema {schema} cascade"))
                    .execute(pool)
                    .await
                    .unwrap();
            }
            admin.close().await;
        }
    }
}

/// Declares each listed `async fn(&Store)` of the current module as a test on both engines.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::support::TestDb::sqlite().await;
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::support::TestDb::postgres().await else { return };
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
    };
}
