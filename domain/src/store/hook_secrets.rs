//! Webhook secrets managed in Attest at rest (`hook_secrets`, migration 0014): a name, the
//! endpoint, the salt the secret is derived from and its fingerprint, never the secret. Each
//! creation and revocation is written with its audit-log row and ledger entries in one
//! transaction.

use super::actions::{insert_action_in, ledger_kind};
use super::ledger::{
    append_ledger_in, hook_secret_created_digest, hook_secret_revoked_digest, hook_secret_subject,
    HookSecretFields, NewEntry, HOOK_SECRET_CREATED, HOOK_SECRET_REVOKED,
};
use super::{from_micros, is_unique_violation, on_engine, to_micros, Store, StoreError};
use crate::audit::NewAction;
use crate::model::{HookEndpoint, UnknownHookEndpoint};
use chrono::{DateTime, Utc};

/// A stored webhook secret (without the secret, which is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSecretRecord {
    pub id: i64,
    pub name: String,
    pub endpoint: HookEndpoint,
    pub salt: String,
    /// SHA-256 of the secret, hex.
    pub fingerprint: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A webhook secret to store.
#[derive(Debug, Clone)]
pub struct NewHookSecret<'a> {
    pub name: &'a str,
    pub endpoint: HookEndpoint,
    pub salt: &'a str,
    pub fingerprint: &'a str,
    pub created_by: &'a str,
    pub at: DateTime<Utc>,
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

const COLUMNS: &str = "id, name, endpoint, salt, fingerprint, created_by, created_at_us, \
                       last_used_at_us, revoked_at_us";

fn into_record(
    (id, name, endpoint, salt, fingerprint, created_by, created, used, revoked): Row,
) -> Result<HookSecretRecord, StoreError> {
    let at = |us: i64| from_micros("hook_secrets", id, us);
    Ok(HookSecretRecord {
        id,
        endpoint: endpoint
            .parse()
            .map_err(|err: UnknownHookEndpoint| StoreError::Corrupt {
                table: "hook_secrets",
                id,
                reason: err.to_string(),
            })?,
        name,
        salt,
        fingerprint,
        created_by,
        created_at: at(created)?,
        last_used_at: used.map(at).transpose()?,
        revoked_at: revoked.map(at).transpose()?,
    })
}

impl Store {
    /// Stores a webhook secret's record with the audit-log row `action` (its actor and address)
    /// and their ledger entries, together. Names are unique, revoked ones included.
    pub async fn create_hook_secret(
        &self,
        secret: &NewHookSecret<'_>,
        action: &NewAction,
    ) -> Result<i64, StoreError> {
        let dialect = self.dialect();
        let kind = ledger_kind(&action.action)?;
        let created_us = to_micros(secret.at);
        let result: Result<i64, StoreError> = on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
                "insert into hook_secrets \
                 (name, endpoint, salt, fingerprint, created_by, created_at_us) \
                 values ($1, $2, $3, $4, $5, $6) returning id",
            )
            .bind(secret.name)
            .bind(secret.endpoint.as_str())
            .bind(secret.salt)
            .bind(secret.fingerprint)
            .bind(secret.created_by)
            .bind(created_us)
            .fetch_one(&mut *tx)
            .await;
            match inserted {
                Ok((id,)) => {
                    let (_, action_entry) = insert_action_in!(tx, action, kind);
                    let recorded = vec![
                        NewEntry {
                            kind: HOOK_SECRET_CREATED,
                            subject: hook_secret_subject(id),
                            digest: hook_secret_created_digest(&HookSecretFields {
                                name: secret.name,
                                endpoint: secret.endpoint.as_str(),
                                salt: secret.salt,
                                fingerprint: secret.fingerprint,
                                created_by: secret.created_by,
                                created_at_us: created_us,
                            }),
                        },
                        action_entry,
                    ];
                    append_ledger_in!(tx, dialect, recorded);
                    tx.commit().await?;
                    Ok(id)
                }
                Err(err) if is_unique_violation(&err) => Err(StoreError::Conflict(format!(
                    "a webhook secret named {:?} exists already (revoked ones keep their name)",
                    secret.name
                ))),
                Err(err) => Err(err.into()),
            }
        });
        result
    }

    /// Every webhook secret, live ones first, then by endpoint and name.
    pub async fn list_hook_secrets(&self) -> Result<Vec<HookSecretRecord>, StoreError> {
        let sql = format!(
            "select {COLUMNS} from hook_secrets \
             order by case when revoked_at_us is null then 0 else 1 end, endpoint, name"
        );
        let rows: Vec<Row> = on_engine!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter().map(into_record).collect()
    }

    /// Revokes the live webhook secret `name` with the audit-log row `action`; its record as
    /// it was, or `NotFound` when there is no live secret of that name.
    pub async fn revoke_hook_secret(
        &self,
        name: &str,
        action: &NewAction,
    ) -> Result<HookSecretRecord, StoreError> {
        let dialect = self.dialect();
        let kind = ledger_kind(&action.action)?;
        let revoked_us = to_micros(action.at);
        let sql = format!("select {COLUMNS} from hook_secrets where name = $1");
        let found: Result<HookSecretRecord, StoreError> = on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let row: Option<Row> = sqlx::query_as(&sql).bind(name).fetch_optional(&mut *tx).await?;
            match row.map(into_record).transpose()? {
                Some(record) if record.revoked_at.is_none() => {
                    sqlx::query("update hook_secrets set revoked_at_us = $1 where id = $2")
                        .bind(revoked_us)
                        .bind(record.id)
                        .execute(&mut *tx)
                        .await?;
                    let (_, action_entry) = insert_action_in!(tx, action, kind);
                    let recorded = vec![
                        NewEntry {
                            kind: HOOK_SECRET_REVOKED,
                            subject: hook_secret_subject(record.id),
                            digest: hook_secret_revoked_digest(name, revoked_us),
                        },
                        action_entry,
                    ];
                    append_ledger_in!(tx, dialect, recorded);
                    tx.commit().await?;
                    Ok(record)
                }
                Some(_) => Err(StoreError::Conflict(format!(
                    "the webhook secret {name:?} is revoked already"
                ))),
                None => Err(StoreError::NotFound(format!(
                    "there is no webhook secret named {name:?}"
                ))),
            }
        });
        found
    }

    /// Of the rows `ids`, those whose revocation the ledger records (by its partial index on
    /// revocations): never to be used again, even if their row was changed to say otherwise.
    pub async fn hook_secrets_revoked_in_ledger(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashSet<i64>, StoreError> {
        let mut revoked = std::collections::HashSet::new();
        for &id in ids {
            // The kind is written out (not bound) so that the partial index applies.
            let found: Option<(String,)> = on_engine!(self, pool => {
                sqlx::query_as(
                    "select subject from ledger where kind = 'hook_secret.revoked' \
                     and subject = $1 limit 1",
                )
                .bind(hook_secret_subject(id))
                .fetch_optional(pool)
                .await?
            });
            if found.is_some() {
                revoked.insert(id);
            }
        }
        Ok(revoked)
    }

    /// Records when managed secrets last matched (row id, Unix microseconds); a time never
    /// moves back.
    pub async fn record_hook_secret_uses(&self, uses: &[(i64, i64)]) -> Result<(), StoreError> {
        for &(id, at_us) in uses {
            on_engine!(self, pool => {
                sqlx::query(
                    "update hook_secrets set last_used_at_us = $1 \
                     where id = $2 and (last_used_at_us is null or last_used_at_us < $1)",
                )
                .bind(at_us)
                .bind(id)
                .execute(pool)
                .await?;
            });
        }
        Ok(())
    }
}
