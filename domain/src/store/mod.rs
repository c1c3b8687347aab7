//! The store: one type, two engines. SQLite (embedded, the default) and Postgres (scale) run the
//! same SQL text with `$n` placeholders (big SQLite statements are rendered with anonymous `?`,
//! see [`sql::Dialect`]); engine-specific code stays in this module.
//!
//! Why an enum of native pools rather than `sqlx::Any`: each arm keeps its own driver, so the
//! full type set, SQLite pragmas (WAL) and Postgres-only paths remain available where they pay,
//! while `on_engine!` compiles the shared SQL once per engine so the two cannot drift.

pub(crate) mod deliveries;
pub(crate) mod events;
pub(crate) mod grants;
pub(crate) mod people;
mod sql;
mod tokens;
pub(crate) mod write;

pub use deliveries::{IncomingDelivery, Outcome as NormalizeOutcome, StoredDelivery};
pub use events::DayCount;
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
    #[error("{0}")]
    Conflict(String),
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
                    // Copy the WAL back into the database every 4,096 pages (64 MiB) rather
                    // than every 1,000 (4 MiB at 4 KiB pages): during an import, checkpoints
                    // were a third of SQLite's time, rewriting the same index pages each time.
                    .pragma("wal_autocheckpoint", "4096");
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
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://attest.db"), "sqlite://attest.db");
    }
}
