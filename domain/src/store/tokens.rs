//! API tokens at rest: only a SHA-256 of each token is stored, with its name, role and use.

use super::ledger::{
    append_ledger_in, token_created_digest, token_revoked_digest, token_subject, NewEntry,
    TOKEN_CREATED, TOKEN_REVOKED,
};
use super::{from_micros, is_unique_violation, on_engine, to_micros, Store, StoreError};
use crate::model::Role;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

type TokenRow = (i64, String, String, i64, Option<i64>, Option<i64>);

fn into_record(
    (id, name, role, created, last_used, revoked): TokenRow,
) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id,
        name,
        role: role
            .parse()
            .map_err(|err: crate::model::UnknownRole| StoreError::Corrupt {
                table: "api_tokens",
                id,
                reason: err.to_string(),
            })?,
        created_at: from_micros("api_tokens", id, created)?,
        last_used_at: last_used
            .map(|us| from_micros("api_tokens", id, us))
            .transpose()?,
        revoked: revoked.is_some(),
    })
}

impl Store {
    /// Stores a token (by its hash) and records its creation in the ledger, together.
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let dialect = self.dialect();
        let created_us = to_micros(now);
        let result: Result<i64, StoreError> = on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
                "insert into api_tokens (name, role, token_hash, created_at_us) \
                 values ($1, $2, $3, $4) returning id",
            )
            .bind(name)
            .bind(role.as_str())
            .bind(token_hash)
            .bind(created_us)
            .fetch_one(&mut *tx)
            .await;
            match inserted {
                Ok((id,)) => {
                    let recorded = vec![NewEntry {
                        kind: TOKEN_CREATED,
                        subject: token_subject(id),
                        digest: token_created_digest(name, role.as_str(), token_hash, created_us),
                    }];
                    append_ledger_in!(tx, dialect, recorded);
                    tx.commit().await?;
                    Ok(id)
                }
                Err(err) if is_unique_violation(&err) => Err(StoreError::Conflict(format!(
                    "a token named {name:?} already exists"
                ))),
                Err(err) => Err(err.into()),
            }
        });
        result
    }

    /// The live token with this hash, if any, and marks it used (at most once a minute, so
    /// reads do not turn into a write per request).
    pub async fn use_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<TokenRow> = on_engine!(self, pool => {
            sqlx::query_as(
                "select id, name, role, created_at_us, last_used_at_us, revoked_at_us \
                 from api_tokens where token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await?
        });
        let Some(record) = row.map(into_record).transpose()? else {
            return Ok(None);
        };
        if record.revoked {
            return Ok(None);
        }
        let now_us = to_micros(now);
        on_engine!(self, pool => {
            sqlx::query(
                "update api_tokens set last_used_at_us = $1 \
                 where id = $2 and (last_used_at_us is null or last_used_at_us < $3)",
            )
            .bind(now_us)
            .bind(record.id)
            .bind(now_us - 60_000_000)
            .execute(pool)
            .await?;
        });
        Ok(Some(record))
    }

    pub async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let rows: Vec<TokenRow> = on_engine!(self, pool => {
            sqlx::query_as(
                "select id, name, role, created_at_us, last_used_at_us, revoked_at_us \
                 from api_tokens order by name",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(into_record).collect()
    }

    /// Revokes the token named `name` and records it in the ledger; false when there is no
    /// live token of that name.
    pub async fn revoke_token(&self, name: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let dialect = self.dialect();
        let revoked_us = to_micros(now);
        let done = on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let live: Option<(i64,)> = sqlx::query_as(
                "select id from api_tokens where name = $1 and revoked_at_us is null",
            )
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
            match live {
                None => false,
                Some((id,)) => {
                    sqlx::query("update api_tokens set revoked_at_us = $1 where id = $2")
                        .bind(revoked_us)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let recorded = vec![NewEntry {
                        kind: TOKEN_REVOKED,
                        subject: token_subject(id),
                        digest: token_revoked_digest(name, revoked_us),
                    }];
                    append_ledger_in!(tx, dialect, recorded);
                    tx.commit().await?;
                    true
                }
            }
        });
        Ok(done)
    }
}
