//! Sign-in sessions in Attest's own database (table `sessions`, migration 0012), through
//! tower-sessions' SQLx stores: one type over both engines, so the router is built the same way
//! whichever the store is.

use async_trait::async_trait;
use domain::store::Store;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// The table migration 0012 creates for them.
const TABLE: &str = "sessions";

#[derive(Debug, Clone)]
pub enum Sessions {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Sessions {
    pub fn new(store: &Store) -> Sessions {
        // The table name is a constant that both stores accept: the `expect`s cannot fail.
        #[allow(clippy::expect_used)]
        match store {
            Store::Sqlite(pool) => Sessions::Sqlite(
                SqliteStore::new(pool.clone())
                    .with_table_name(TABLE)
                    .expect("a valid table name"),
            ),
            Store::Postgres(pool) => Sessions::Postgres(
                PostgresStore::new(pool.clone())
                    .with_schema_name("public")
                    .expect("a valid schema name")
                    .with_table_name(TABLE)
                    .expect("a valid table name"),
            ),
        }
    }

    /// Deletes expired sessions every `period`, for as long as the server runs.
    pub async fn delete_expired_every(self, period: std::time::Duration) {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            if let Err(err) = self.delete_expired().await {
                tracing::warn!(%err, "could not delete expired sessions");
            }
        }
    }
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(s) => s.create(record).await,
            Sessions::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(s) => s.save(record).await,
            Sessions::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Sessions::Sqlite(s) => s.load(id).await,
            Sessions::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(s) => s.delete(id).await,
            Sessions::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Sessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(s) => s.delete_expired().await,
            Sessions::Postgres(s) => s.delete_expired().await,
        }
    }
}
