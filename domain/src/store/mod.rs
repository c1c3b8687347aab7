//! The store: one type, two engines. SQLite (embedded, the default) and Postgres (scale) run the
//! same SQL text with `$n` placeholders (big SQLite statements are rendered with anonymous `?`,
//! see [`sql::Dialect`]); engine-specific code stays in this module.
//!
//! Why an enum of native pools rather than `sqlx::Any`: each arm keeps its own driver, so the
//! full type set, SQLite pragmas (WAL) and Postgres-only paths remain available where they pay,
//! while `on_engine!` compiles the shared SQL once per engine so the two cannot drift.

pub mod access;
mod actions;
pub(crate) mod deliveries;
pub(crate) mod events;
mod findings;
pub(crate) mod grants;
mod hook_secrets;
pub mod ledger;
pub(crate) mod people;
pub mod reviews;
mod sql;
mod tokens;
pub(crate) mod write;

pub use deliveries::{
    BulkWriter, IncomingDelivery, NormalizedBatch, Outcome as NormalizeOutcome, StoredDelivery,
};
pub use events::DayCount;
pub use hook_secrets::{HookSecretRecord, NewHookSecret};
pub use people::Decision;
pub use tokens::TokenRecord;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// Runs `$body` with `$pool` bound to the engine's native pool. The body is compiled once per
/// engine, so it may only use SQL both engines accept.
macro_rules! on_engine {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_engine;

/// WAL pages after which a commit copies the WAL back into the database: every 4,096 pages
/// (64 MiB at 16 KiB pages) rather than SQLite's 1,000, whose checkpoints were a third of an
/// import's time, rewriting the same index pages each time.
pub(crate) const WAL_PAGES: u32 = 4_096;

/// The same threshold during bulk imports, which checkpoint beside their writes instead
/// ([`Store::checkpoint`]): only a WAL this big (1 GiB at 16 KiB pages) is copied back by
/// the writer itself, in case nothing else did.
pub(crate) const BULK_WAL_PAGES: u32 = 65_536;

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid database URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    /// A request that contradicts what is stored (already done, not the case).
    #[error("{0}")]
    Conflict(String),
    /// Something a request names is not stored.
    #[error("{0}")]
    NotFound(String),
    /// A request that cannot be right whatever is stored.
    #[error("{0}")]
    Invalid(String),
    #[error("invalid cursor: {0}")]
    BadCursor(String),
    /// A row that this version cannot read (written by a newer version, or edited by hand).
    #[error("stored row {table}#{id} cannot be read: {reason}")]
    Corrupt {
        table: &'static str,
        id: i64,
        reason: String,
    },
}

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of_url(url: &str) -> Engine {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }
}

impl Store {
    /// Connects to `url`: `postgres://…` for Postgres; `sqlite://path`, `sqlite:path` or a plain
    /// file path for SQLite (created if missing, in WAL mode).
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let bad_url = |err: sqlx::Error| StoreError::BadUrl {
            url: redact(url),
            reason: err.to_string(),
        };
        match Engine::of_url(url) {
            Engine::Postgres => {
                let options = PgConnectOptions::from_str(url).map_err(bad_url)?;
                Store::connect_postgres(options).await
            }
            Engine::Sqlite => {
                let url = if url.starts_with("sqlite:") {
                    url.to_owned()
                } else {
                    format!("sqlite://{url}")
                };
                let options = SqliteConnectOptions::from_str(&url)
                    .map_err(bad_url)?
                    .create_if_missing(true)
                    // 16 KiB pages for a new database (an existing one keeps its own): rows
                    // of an audit log are a few KiB, and bigger pages split less often.
                    .page_size(16384)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // 64 MiB of page cache per connection (SQLite's default is 2 MiB): index
                    // pages of a bulk import stay in memory instead of being re-read.
                    .pragma("cache_size", "-65536")
                    .pragma("temp_store", "memory")
                    // Read pages straight from a memory map (up to 1 GiB of the file) instead
                    // of a read call per page that misses the cache: walking grants of a big
                    // organisation reads thousands of scattered rows per question.
                    .pragma("mmap_size", "1073741824")
                    .pragma("wal_autocheckpoint", WAL_PAGES.to_string());
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await?;
                Ok(Store::Sqlite(pool))
            }
        }
    }

    pub async fn connect_postgres(options: PgConnectOptions) -> Result<Store, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Store::Postgres(pool))
    }

    /// How this engine wants multi-row statements written (see [`sql::Dialect`]).
    pub(crate) fn dialect(&self) -> sql::Dialect {
        match self {
            Store::Sqlite(_) => sql::Dialect::SQLITE,
            Store::Postgres(_) => sql::Dialect::POSTGRES,
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Store::Sqlite(_) => Engine::Sqlite,
            Store::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies the migrations of this engine (`migrations/sqlite` or `migrations/postgres`).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await?,
            Store::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// A round trip to the database, for `/healthz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_engine!(self, pool => {
            sqlx::query("select 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        on_engine!(self, pool => pool.close().await)
    }
}

/// Hides a password in a URL before it reaches an error message or a log.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub(crate) fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn from_micros(
    table: &'static str,
    id: i64,
    us: i64,
) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| StoreError::Corrupt {
        table,
        id,
        reason: format!("time {us} is out of range"),
    })
}

/// True when the error is a unique-constraint violation (a replay, or a name taken).
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// A database made by an older Attest (migrations up to 0004) keeps every row and every
    /// id counter through migration 0005, which rebuilds the tables with foreign keys.
    #[tokio::test]
    async fn upgrading_an_older_sqlite_database_keeps_rows_and_counters() {
        let dir = tempfile::tempdir().unwrap();
        let older = dir.path().join("migrations");
        std::fs::create_dir(&older).unwrap();
        let current = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite");
        for entry in std::fs::read_dir(current).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.as_str() < "0005" {
                std::fs::copy(&path, older.join(&name)).unwrap();
            }
        }
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        let store = Store::connect(&url).await.unwrap();
        let Store::Sqlite(pool) = &store else {
            panic!("an SQLite URL opens SQLite")
        };
        let migrator = sqlx::migrate::Migrator::new(older.as_path()).await.unwrap();
        migrator.run(pool).await.unwrap();
        for statement in [
            "insert into deliveries (source, delivery_key, received_at_us, headers, body, \
             body_sha256, status) values ('github', 'd1', 1, '{}', x'7b7d', 'h', 'normalized')",
            "insert into events (delivery_id, source, source_event_id, occurred_at_us, \
             received_at_us, actor_name, actor_kind, action, native_action, outcome, summary, \
             targets, details, search_text) values (1, 'github', 'e1', 1, 1, 'alice', 'human', \
             'repo.created', 'repository.created', 'success', 's', '[]', '{}', 's'), \
             (1, 'github', 'e2', 2, 1, 'bob', 'human', 'repo.created', 'repository.created', \
             'success', 's', '[]', '{}', 's')",
            "insert into event_targets values (1, 0, 'repository', '1', 'acme/infra')",
            // The newest event is gone (a reprocess dropped it): its id must not come back.
            "delete from events where id = 2",
            "insert into grant_changes (delivery_id, position, grant_key, at_us, scope, \
             principal_kind, principal_id, principal_name, resource_kind, resource_id, \
             resource_name, permission, via, op, evidence) values (1, 0, 'k', 1, 's', 'user', \
             'p', 'alice', 'repository', 'r', 'acme/infra', 'admin', '', 'added', 'e')",
            "insert into grants (grant_key, scope, principal_kind, principal_id, \
             principal_name, resource_kind, resource_id, resource_name, permission, via, \
             valid_from_us, opened_by) values ('k', 's', 'user', 'p', 'alice', 'repository', \
             'r', 'acme/infra', 'admin', '', 1, 1)",
            "insert into people values ('alice@acme.test', 'Alice', null, null, 1, 1)",
            "insert into person_accounts values ('github', 'p', 'alice@acme.test', 1)",
        ] {
            sqlx::query(statement).execute(pool).await.unwrap();
        }

        store.migrate().await.unwrap();
        for (table, rows) in [
            ("events", 1),
            ("event_targets", 1),
            ("grant_changes", 1),
            ("grants", 1),
            ("people", 1),
            ("person_accounts", 1),
        ] {
            let (count,): (i64,) = sqlx::query_as(&format!("select count(*) from {table}"))
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(count, rows, "{table}");
            let (schema,): (String,) =
                sqlx::query_as("select sql from sqlite_master where type = 'table' and name = $1")
                    .bind(table)
                    .fetch_one(pool)
                    .await
                    .unwrap();
            assert!(schema.contains("deferrable initially deferred"), "{schema}");
        }
        let (next,): (i64,) = sqlx::query_as(events::NEXT_EVENT_ID)
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(
            next, 3,
            "event 2 was handed out once; it is not handed out again"
        );
        let (target,): (String,) =
            sqlx::query_as("select name from event_targets where event_id = 1")
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(target, "acme/infra");
        // Foreign keys still hold, now at the commit.
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("insert into event_targets values (99, 0, 'repository', null, 'x')")
            .execute(&mut *tx)
            .await
            .unwrap();
        assert!(tx.commit().await.is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://attest.db"), "sqlite://attest.db");
    }
}
