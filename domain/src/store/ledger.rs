//! The ledger in the store (table `ledger`, migration 0011): entries appended in the same
//! transaction as what they record, so a record and its entry are written together or not at
//! all; signed checkpoints beside them; and the check `attest verify` runs, which recomputes
//! the chain and each recorded row (deliveries, decisions about people, API tokens, webhook
//! secrets, Attest's own audit log) from its stored columns.

use super::reviews;
use super::sql::{bind_all, Arg, Sql};
use super::{from_micros, on_engine, Store, StoreError};
use crate::ledger::{self, Checkpoint, Entry, Hash, Problem, Verifier};
use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// Values per ledger row, for sizing multi-row inserts.
pub(crate) const LEDGER_ROW_VALUES: usize = 7;

/// Entries read per query while verifying.
const VERIFY_PAGE: i64 = 5_000;

/// Something to record: its kind, which record it is, and the digest of its canonical bytes.
pub(crate) struct NewEntry {
    pub kind: &'static str,
    pub subject: String,
    pub digest: Hash,
}

/// The kind of the entries that record stored deliveries.
pub(crate) const DELIVERY: &str = "delivery";

/// `deliveries/<id>`: the subject of a delivery's entry (each subject is its table's name,
/// then the row's id).
pub(crate) fn delivery_subject(id: i64) -> String {
    format!("{}/{id}", Table::Deliveries.name())
}

/// What a delivery is recorded by: its source, key, when it was received and the SHA-256 of
/// its body (hex), each length-prefixed.
pub(crate) fn delivery_digest(
    source: &str,
    delivery_key: &str,
    received_at_us: i64,
    body_sha256: &str,
) -> Hash {
    ledger::digest_of(&[
        source.as_bytes(),
        delivery_key.as_bytes(),
        &received_at_us.to_be_bytes(),
        body_sha256.as_bytes(),
    ])
}

/// `person_link_log/<id>`: the subject of a decision by hand about who is who.
pub(crate) fn decision_subject(id: i64) -> String {
    format!("{}/{id}", Table::Decisions.name())
}

/// A row of `person_link_log`, as its entry records it.
pub(crate) struct DecisionFields<'a> {
    pub at_us: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub email: &'a str,
    pub source: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub other_email: Option<&'a str>,
    pub reason: &'a str,
}

/// What a decision is recorded by: every column of its row, absent ones as empty with a
/// marker so that none can stand for another.
pub(crate) fn decision_digest(row: &DecisionFields<'_>) -> Hash {
    let optional = |value: Option<&str>| match value {
        Some(text) => format!("+{text}"),
        None => "-".to_owned(),
    };
    let (source, account_id, other) = (
        optional(row.source),
        optional(row.account_id),
        optional(row.other_email),
    );
    ledger::digest_of(&[
        &row.at_us.to_be_bytes(),
        row.actor.as_bytes(),
        row.action.as_bytes(),
        row.email.as_bytes(),
        source.as_bytes(),
        account_id.as_bytes(),
        other.as_bytes(),
        row.reason.as_bytes(),
    ])
}

/// The kinds of the entries that record API tokens created and revoked.
pub(crate) const TOKEN_CREATED: &str = "token.created";
pub(crate) const TOKEN_REVOKED: &str = "token.revoked";

/// `api_tokens/<id>`.
pub(crate) fn token_subject(id: i64) -> String {
    format!("{}/{id}", Table::Tokens.name())
}

/// What a token's creation is recorded by: its name, role, hash and creation time (what
/// never changes about it afterwards).
pub(crate) fn token_created_digest(name: &str, role: &str, token_hash: &str, at_us: i64) -> Hash {
    ledger::digest_of(&[
        name.as_bytes(),
        role.as_bytes(),
        token_hash.as_bytes(),
        &at_us.to_be_bytes(),
    ])
}

/// What a token's revocation is recorded by: its name and when.
pub(crate) fn token_revoked_digest(name: &str, at_us: i64) -> Hash {
    ledger::digest_of(&[name.as_bytes(), &at_us.to_be_bytes()])
}

/// The kinds of the entries that record webhook secrets made and revoked.
pub(crate) const HOOK_SECRET_CREATED: &str = "hook_secret.created";
pub(crate) const HOOK_SECRET_REVOKED: &str = "hook_secret.revoked";

/// `hook_secrets/<id>`.
pub(crate) fn hook_secret_subject(id: i64) -> String {
    format!("{}/{id}", Table::HookSecrets.name())
}

/// A row of `hook_secrets` as its creation's entry records it: everything but its use and
/// revocation.
pub(crate) struct HookSecretFields<'a> {
    pub name: &'a str,
    pub endpoint: &'a str,
    pub salt: &'a str,
    pub fingerprint: &'a str,
    pub created_by: &'a str,
    pub created_at_us: i64,
}

/// What a webhook secret's creation is recorded by.
pub(crate) fn hook_secret_created_digest(row: &HookSecretFields<'_>) -> Hash {
    ledger::digest_of(&[
        row.name.as_bytes(),
        row.endpoint.as_bytes(),
        row.salt.as_bytes(),
        row.fingerprint.as_bytes(),
        row.created_by.as_bytes(),
        &row.created_at_us.to_be_bytes(),
    ])
}

/// What a webhook secret's revocation is recorded by: its name and when (as for tokens).
pub(crate) fn hook_secret_revoked_digest(name: &str, at_us: i64) -> Hash {
    token_revoked_digest(name, at_us)
}

/// `audit_log/<id>`: the subject of an action recorded in Attest's own audit log.
pub(crate) fn action_subject(id: i64) -> String {
    format!("{}/{id}", Table::Actions.name())
}

/// A row of `audit_log`, as its entry records it.
pub(crate) struct ActionFields<'a> {
    pub at_us: i64,
    pub actor: &'a str,
    pub role: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: &'a str,
    pub ip: &'a str,
}

/// What an action is recorded by: every column of its row.
pub(crate) fn action_digest(row: &ActionFields<'_>) -> Hash {
    ledger::digest_of(&[
        &row.at_us.to_be_bytes(),
        row.actor.as_bytes(),
        row.role.as_bytes(),
        row.action.as_bytes(),
        row.target.as_bytes(),
        row.detail.as_bytes(),
        row.ip.as_bytes(),
    ])
}

pub(crate) fn insert_entries(insert: &str, entries: &[Entry]) -> Sql {
    let mut sql = Sql::new(&format!(
        "{insert} ledger (seq, at_us, kind, subject, digest, prev, hash) values "
    ));
    for (i, entry) in entries.iter().enumerate() {
        sql.row(
            i == 0,
            vec![
                Arg::I64(entry.seq as i64),
                Arg::I64(entry.at.timestamp_micros()),
                Arg::Text(entry.kind.clone()),
                Arg::Text(entry.subject.clone()),
                Arg::Text(hex::encode(entry.digest)),
                Arg::Text(hex::encode(entry.prev)),
                Arg::Text(hex::encode(entry.hash)),
            ],
        );
    }
    sql
}

/// A stored hash read back, or why it cannot be.
pub(crate) fn parse_hash(table: &'static str, id: i64, text: &str) -> Result<Hash, StoreError> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash).map_err(|err| StoreError::Corrupt {
        table,
        id,
        reason: format!("{text:?} is not a SHA-256 in hex: {err}"),
    })?;
    Ok(hash)
}

/// Appends `$entries` (a `Vec<NewEntry>`) to the ledger inside `$tx`, after the last entry.
/// On Postgres the ledger is locked first, so concurrent writers append one after the other;
/// SQLite's write transactions already hold the only write lock from their start. Call it
/// last in a transaction, so the lock is held briefly and always taken after any other.
macro_rules! append_ledger_in {
    ($tx:expr, $dialect:expr, $entries:expr) => {{
        use $crate::store::ledger::{insert_entries, parse_hash, LEDGER_ROW_VALUES};
        use $crate::store::sql::run_each;
        let dialect: $crate::store::sql::Dialect = $dialect;
        let new: Vec<$crate::store::ledger::NewEntry> = $entries;
        if !new.is_empty() {
            if !dialect.assign_ids {
                sqlx::query("lock table ledger in exclusive mode")
                    .execute(&mut *$tx)
                    .await?;
            }
            let last: Option<(i64, String)> =
                sqlx::query_as("select seq, hash from ledger order by seq desc limit 1")
                    .fetch_optional(&mut *$tx)
                    .await?;
            let (mut seq, mut prev) = match last {
                Some((seq, hash)) => (seq as u64, parse_hash("ledger", seq, &hash)?),
                None => (0, $crate::ledger::GENESIS),
            };
            let at = chrono::Utc::now();
            let mut entries = Vec::with_capacity(new.len());
            for entry in new {
                seq += 1;
                let entry = $crate::ledger::Entry::next(
                    seq,
                    prev,
                    at,
                    entry.kind,
                    &entry.subject,
                    entry.digest,
                );
                prev = entry.hash;
                entries.push(entry);
            }
            let per_statement = dialect.rows_per_statement(LEDGER_ROW_VALUES);
            run_each!(dialect, entries
                .chunks(per_statement)
                .map(|chunk| insert_entries(dialect.insert, chunk))
                => query.execute(&mut *$tx), |_done: _| {});
        }
    }};
}
pub(crate) use append_ledger_in;

/// What `attest verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerReport {
    /// Entries read.
    pub size: u64,
    /// Checkpoints checked (stored and exported), and the largest size they covered.
    pub checkpoints: usize,
    pub checkpointed_size: u64,
    /// Stored checkpoints not checked, for want of the public key.
    pub checkpoints_unchecked: usize,
    /// Deliveries compared with their entries.
    pub deliveries_checked: u64,
    /// Deliveries stored before the ledger began (no entry names them, rightly).
    pub deliveries_before_ledger: u64,
    /// In the order found; at most [`ledger::MAX_PROBLEMS`], with `more_problems` counted.
    pub problems: Vec<Problem>,
    pub more_problems: u64,
}

impl LedgerReport {
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty() && self.more_problems == 0
    }
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    at_us: i64,
    kind: String,
    subject: String,
    digest: String,
    prev: String,
    hash: String,
}

impl EntryRow {
    fn into_entry(self) -> Result<Entry, StoreError> {
        Ok(Entry {
            seq: u64::try_from(self.seq).map_err(|_| StoreError::Corrupt {
                table: "ledger",
                id: self.seq,
                reason: "negative sequence number".into(),
            })?,
            at: from_micros("ledger", self.seq, self.at_us)?,
            digest: parse_hash("ledger", self.seq, &self.digest)?,
            prev: parse_hash("ledger", self.seq, &self.prev)?,
            hash: parse_hash("ledger", self.seq, &self.hash)?,
            kind: self.kind,
            subject: self.subject,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CheckpointRow {
    size: i64,
    root: String,
    at_us: i64,
    public_key: String,
    signature: String,
}

impl CheckpointRow {
    fn into_checkpoint(self) -> Result<Checkpoint, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            table: "ledger_checkpoints",
            id: self.size,
            reason,
        };
        let mut key = [0u8; 32];
        hex::decode_to_slice(&self.public_key, &mut key)
            .map_err(|err| corrupt(format!("public key: {err}")))?;
        let mut signature = [0u8; 64];
        hex::decode_to_slice(&self.signature, &mut signature)
            .map_err(|err| corrupt(format!("signature: {err}")))?;
        Ok(Checkpoint {
            size: u64::try_from(self.size).map_err(|_| corrupt("negative size".into()))?,
            root: parse_hash("ledger_checkpoints", self.size, &self.root)?,
            at: from_micros("ledger_checkpoints", self.size, self.at_us)?,
            key,
            signature,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DecisionRow {
    id: i64,
    at_us: i64,
    actor: String,
    action: String,
    email: String,
    source: Option<String>,
    account_id: Option<String>,
    other_email: Option<String>,
    reason: String,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    role: String,
    token_hash: String,
    created_at_us: i64,
    revoked_at_us: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct HookSecretRow {
    id: i64,
    name: String,
    endpoint: String,
    salt: String,
    fingerprint: String,
    created_by: String,
    created_at_us: i64,
    revoked_at_us: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    id: i64,
    at_us: i64,
    actor: String,
    role: String,
    action: String,
    target: String,
    detail: String,
    ip: String,
}

#[derive(sqlx::FromRow)]
struct RoundRow {
    id: i64,
    campaign_id: i64,
    name: String,
    definition: String,
    planned_for_us: i64,
    launched_at_us: i64,
    launched_by: String,
    population: i64,
    population_hash: String,
}

#[derive(sqlx::FromRow)]
struct ReviewLogRow {
    id: i64,
    item_id: i64,
    at_us: i64,
    actor: String,
    kind: String,
    stage: i64,
    decision: Option<String>,
    comment: String,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    source: String,
    delivery_key: String,
    received_at_us: i64,
    body: Vec<u8>,
}

impl Store {
    /// Signs the ledger's tree head as it stands with `key`, stores the checkpoint and returns
    /// it (to be exported: kept outside the database, it shows a cut tail even if these rows
    /// are deleted too).
    pub async fn checkpoint_ledger(
        &self,
        key: &SigningKey,
        at: DateTime<Utc>,
    ) -> Result<Checkpoint, StoreError> {
        let mut hashes = Vec::new();
        let mut after = 0i64;
        loop {
            let page: Vec<(i64, String)> = on_engine!(self, pool => {
                sqlx::query_as("select seq, hash from ledger where seq > $1 order by seq limit $2")
                    .bind(after)
                    .bind(VERIFY_PAGE)
                    .fetch_all(pool)
                    .await?
            });
            let Some(&(last, _)) = page.last() else {
                break;
            };
            for (seq, hash) in &page {
                hashes.push(parse_hash("ledger", *seq, hash)?);
            }
            after = last;
        }
        let checkpoint = Checkpoint::sign(&hashes, at, key);
        on_engine!(self, pool => {
            sqlx::query(
                "insert into ledger_checkpoints (size, root, at_us, public_key, signature) \
                 values ($1, $2, $3, $4, $5) on conflict (size) do nothing",
            )
            .bind(checkpoint.size as i64)
            .bind(hex::encode(checkpoint.root))
            .bind(checkpoint.at.timestamp_micros())
            .bind(hex::encode(checkpoint.key))
            .bind(hex::encode(checkpoint.signature))
            .execute(pool)
            .await?;
        });
        Ok(checkpoint)
    }

    /// Signs a checkpoint when the ledger has grown since the last one stored (or has entries
    /// and none is stored); `None` when there is nothing new to sign.
    pub async fn checkpoint_if_grown(
        &self,
        key: &SigningKey,
        at: DateTime<Utc>,
    ) -> Result<Option<Checkpoint>, StoreError> {
        let (size, signed): (Option<i64>, Option<i64>) = on_engine!(self, pool => {
            sqlx::query_as(
                "select (select max(seq) from ledger), (select max(size) from ledger_checkpoints)",
            )
            .fetch_one(pool)
            .await?
        });
        if size.unwrap_or(0) <= signed.unwrap_or(0) {
            return Ok(None);
        }
        self.checkpoint_ledger(key, at).await.map(Some)
    }

    /// The checkpoints stored beside the ledger, smallest first.
    pub async fn ledger_checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let rows: Vec<CheckpointRow> = on_engine!(self, pool => {
            sqlx::query_as(
                "select size, root, at_us, public_key, signature from ledger_checkpoints \
                 order by size",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(CheckpointRow::into_checkpoint)
            .collect()
    }

    /// Recomputes the ledger from its first entry: each entry's hash and link, each record
    /// it names from that record's stored bytes, records no entry names, and the checkpoints
    /// stored and `exported` against `key` (stored ones are left unchecked without a key).
    pub async fn verify_ledger(
        &self,
        key: Option<&VerifyingKey>,
        exported: &[Checkpoint],
    ) -> Result<LedgerReport, StoreError> {
        let mut verifier = Verifier::new();
        // Per table, the rows whose creation an entry records.
        let mut created: HashMap<Table, HashSet<i64>> = HashMap::new();
        let mut deliveries_checked = 0u64;
        let mut after = 0i64;
        loop {
            let rows: Vec<EntryRow> = on_engine!(self, pool => {
                sqlx::query_as(
                    "select seq, at_us, kind, subject, digest, prev, hash from ledger \
                     where seq > $1 order by seq limit $2",
                )
                .bind(after)
                .bind(VERIFY_PAGE)
                .fetch_all(pool)
                .await?
            });
            let Some(last) = rows.last().map(|row| row.seq) else {
                break;
            };
            after = last;
            let entries = rows
                .into_iter()
                .map(EntryRow::into_entry)
                .collect::<Result<Vec<_>, _>>()?;
            // The records this page names, per table.
            let mut named: HashMap<Table, Vec<(i64, &Entry)>> = HashMap::new();
            for entry in &entries {
                verifier.entry(entry);
                let Some(table) = Table::of(&entry.kind) else {
                    continue;
                };
                match entry
                    .subject
                    .strip_prefix(table.name())
                    .and_then(|rest| rest.strip_prefix('/'))
                    .and_then(|id| id.parse::<i64>().ok())
                {
                    Some(id) => named.entry(table).or_default().push((id, entry)),
                    None => verifier.record_problem(Problem::RecordMissing {
                        seq: entry.seq,
                        subject: entry.subject.clone(),
                    }),
                }
            }
            for table in Table::ALL {
                let Some(named) = named.remove(&table) else {
                    continue;
                };
                let ids: Vec<i64> = named.iter().map(|(id, _)| *id).collect();
                let current = self.current_digests(table, &ids).await?;
                for (id, entry) in named {
                    if table.records_creation(&entry.kind) {
                        created.entry(table).or_default().insert(id);
                    }
                    if table == Table::Deliveries {
                        deliveries_checked += 1;
                    }
                    let expected = current.get(&id).map(|digests| {
                        if table.records_creation(&entry.kind) {
                            Some(digests.created)
                        } else {
                            digests.revoked
                        }
                    });
                    let subject = entry.subject.clone();
                    match expected {
                        None => verifier.record_problem(Problem::RecordMissing {
                            seq: entry.seq,
                            subject,
                        }),
                        Some(digest) if digest != Some(entry.digest) => {
                            verifier.record_problem(Problem::RecordChanged {
                                seq: entry.seq,
                                subject,
                            })
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        // Every row made since the first one recorded must be recorded: a delivery or a token
        // written around Attest would otherwise pass for one it stored.
        let mut deliveries_before_ledger = 0u64;
        for table in Table::ALL {
            let none = HashSet::new();
            let recorded = created.get(&table).unwrap_or(&none);
            let before = self.find_unrecorded(table, recorded, &mut verifier).await?;
            if table == Table::Deliveries {
                deliveries_before_ledger = before;
            }
        }
        let stored_checkpoints = self.ledger_checkpoints().await?;
        let mut checked = 0;
        let mut checkpointed_size = 0;
        let mut unchecked = 0;
        for checkpoint in stored_checkpoints.iter().chain(exported) {
            match key {
                Some(key) => {
                    verifier.checkpoint(checkpoint, key);
                    checked += 1;
                    checkpointed_size = checkpointed_size.max(checkpoint.size);
                }
                None => unchecked += 1,
            }
        }
        let size = verifier.size();
        let (problems, more_problems) = verifier.finish();
        Ok(LedgerReport {
            size,
            checkpoints: checked,
            checkpointed_size,
            checkpoints_unchecked: unchecked,
            deliveries_checked,
            deliveries_before_ledger,
            problems,
            more_problems,
        })
    }

    /// The digests the rows `ids` of `table` have now, computed from their stored columns.
    async fn current_digests(
        &self,
        table: Table,
        ids: &[i64],
    ) -> Result<HashMap<i64, RowDigests>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(table.select());
            sql.id_list(chunk);
            match table {
                Table::Deliveries => {
                    let rows: Vec<DeliveryRow> = on_engine!(self, pool => {
                        bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
                    });
                    out.extend(rows.into_iter().map(|row| {
                        let digest = delivery_digest(
                            &row.source,
                            &row.delivery_key,
                            row.received_at_us,
                            &hex::encode(Sha256::digest(&row.body)),
                        );
                        (row.id, RowDigests::once(digest))
                    }));
                }
                Table::Decisions => {
                    let rows: Vec<DecisionRow> = on_engine!(self, pool => {
                        bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
                    });
                    out.extend(rows.into_iter().map(|row| {
                        let digest = decision_digest(&DecisionFields {
                            at_us: row.at_us,
                            actor: &row.actor,
                            action: &row.action,
                            email: &row.email,
                            source: row.source.as_deref(),
                            account_id: row.account_id.as_deref(),
                            other_email: row.other_email.as_deref(),
                            reason: &row.reason,
                        });
                        (row.id, RowDigests::once(digest))
                    }));
                }
                Table::Actions => {
                    let rows: Vec<ActionRow> = on_engine!(self, pool => {
                        bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
                    });
                    out.extend(rows.into_iter().map(|row| {
                        let digest = action_digest(&ActionFields {
                            at_us: row.at_us,
                            actor: &row.actor,
                            role: &row.role,
                            action: &row.action,
                            target: &row.target,
                            detail: &row.detail,
                            ip: &row.ip,
                        });
                        (row.id, RowDigests::once(digest))
                    }));
                }
                Table::HookSecrets => {
                    let rows: Vec<HookSecretRow> = on_engine!(self, pool => {
                        bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
                    });
                    out.extend(rows.into_iter().map(|row| {
                        let digests = RowDigests {
                            created: hook_secret_created_digest(&HookSecretFields {
                                name: &row.name,
                                endpoint: &row.endpoint,
                                salt: &row.salt,
                                fingerprint: &row.fingerprint,
                                created_by: &row.created_by,
                                created_at_us: row.created_at_us,
                            }),
                            revoked: row
                                .revoked_at_us
                                .map(|at| hook_secret_revoked_digest(&row.name, at)),
                        };
                        (row.id, digests)
                    }));
                }
                Table::ReviewRounds => {
                    let rows: Vec<RoundRow> = on_engine!(self, pool => {
                        bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
                    });
                    for row in rows {
                        // The population is hashed again from the frozen items, so an item
                        // added, removed or edited since the launch changes the digest.
                        let recomputed = hex::encode(self.round_population_hash(row.id).await?);
                        let hash = if recomputed == row.population_hash {
                            row.population_hash.clone()
                        } else {
                            format!("{} (items now hash to {recomputed})", row.population_hash)
                        };
                        let digest = reviews::round_digest(&reviews::RoundFields {
                            campaign_id: row.campaign_id,
                            name: &row.name,
                            definition: &row.definition,
                            planned_for_us: row.planned_for_us,
                            launched_at_us: row.launched_at_us,
                            launched_by: &row.launched_by,
                            population: row.population,
                            population_hash: &hash,
                        });
                        out.insert(row.id, RowDigests::once(digest));
                    }
                }
                Table::ReviewLog => {
                    let rows: Vec<ReviewLogRow> = on_engine!(self, pool => {
                        bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
                    });
                    out.extend(rows.into_iter().map(|row| {
                        let digest = reviews::log_digest(&reviews::LogFields {
                            item_id: row.item_id,
                            at_us: row.at_us,
                            actor: &row.actor,
                            kind: &row.kind,
                            stage: row.stage,
                            decision: row.decision.as_deref(),
                            comment: &row.comment,
                        });
                        (row.id, RowDigests::once(digest))
                    }));
                }
                Table::Tokens => {
                    let rows: Vec<TokenRow> = on_engine!(self, pool => {
                        bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
                    });
                    out.extend(rows.into_iter().map(|row| {
                        let digests = RowDigests {
                            created: token_created_digest(
                                &row.name,
                                &row.role,
                                &row.token_hash,
                                row.created_at_us,
                            ),
                            revoked: row
                                .revoked_at_us
                                .map(|at| token_revoked_digest(&row.name, at)),
                        };
                        (row.id, digests)
                    }));
                }
            }
        }
        Ok(out)
    }

    /// Reports each row of `table` from the first `recorded` one on that no entry recorded;
    /// returns how many rows come before it (made before the ledger began).
    async fn find_unrecorded(
        &self,
        table: Table,
        recorded: &HashSet<i64>,
        verifier: &mut Verifier,
    ) -> Result<u64, StoreError> {
        let first = recorded.iter().min().copied();
        let mut before = 0u64;
        let mut after = 0i64;
        let sql = format!(
            "select id from {} where id > $1 order by id limit $2",
            table.name()
        );
        loop {
            let ids: Vec<(i64,)> = on_engine!(self, pool => {
                sqlx::query_as(&sql)
                    .bind(after)
                    .bind(VERIFY_PAGE * 4)
                    .fetch_all(pool)
                    .await?
            });
            let Some(&(last,)) = ids.last() else {
                break;
            };
            after = last;
            for (id,) in ids {
                match first {
                    Some(first) if id >= first => {
                        if !recorded.contains(&id) {
                            verifier.record_problem(Problem::Unrecorded {
                                subject: format!("{}/{id}", table.name()),
                            });
                        }
                    }
                    _ => before += 1,
                }
            }
        }
        Ok(before)
    }
}

/// The tables whose rows the ledger records, by the subjects' prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Table {
    Deliveries,
    Decisions,
    Tokens,
    HookSecrets,
    Actions,
    ReviewRounds,
    ReviewLog,
}

impl Table {
    const ALL: [Table; 7] = [
        Table::Deliveries,
        Table::Decisions,
        Table::Tokens,
        Table::HookSecrets,
        Table::Actions,
        Table::ReviewRounds,
        Table::ReviewLog,
    ];

    /// The table an entry of `kind` names a row of.
    fn of(kind: &str) -> Option<Table> {
        match kind {
            DELIVERY => Some(Table::Deliveries),
            TOKEN_CREATED | TOKEN_REVOKED => Some(Table::Tokens),
            HOOK_SECRET_CREATED | HOOK_SECRET_REVOKED => Some(Table::HookSecrets),
            _ if kind.starts_with("person.") => Some(Table::Decisions),
            _ if kind.starts_with("action.") => Some(Table::Actions),
            reviews::ROUND_LAUNCHED => Some(Table::ReviewRounds),
            _ if kind.starts_with("review.") => Some(Table::ReviewLog),
            _ => None,
        }
    }

    /// The table's name, which is also its entries' subject prefix (`deliveries/12`).
    fn name(self) -> &'static str {
        match self {
            Table::Deliveries => "deliveries",
            Table::Decisions => "person_link_log",
            Table::Tokens => "api_tokens",
            Table::HookSecrets => "hook_secrets",
            Table::Actions => "audit_log",
            Table::ReviewRounds => reviews::ROUNDS,
            Table::ReviewLog => reviews::LOG,
        }
    }

    /// Whether an entry of `kind` records a row's creation (rather than a later change).
    fn records_creation(self, kind: &str) -> bool {
        kind != TOKEN_REVOKED && kind != HOOK_SECRET_REVOKED
    }

    /// The columns its digests are computed from, for `id in (…)`.
    fn select(self) -> &'static str {
        match self {
            Table::Deliveries => {
                "select id, source, delivery_key, received_at_us, body from deliveries where id in "
            }
            Table::Decisions => {
                "select id, at_us, actor, action, email, source, account_id, other_email, reason \
                 from person_link_log where id in "
            }
            Table::Tokens => {
                "select id, name, role, token_hash, created_at_us, revoked_at_us \
                 from api_tokens where id in "
            }
            Table::HookSecrets => {
                "select id, name, endpoint, salt, fingerprint, created_by, created_at_us, \
                 revoked_at_us from hook_secrets where id in "
            }
            Table::Actions => {
                "select id, at_us, actor, role, action, target, detail, ip \
                 from audit_log where id in "
            }
            Table::ReviewRounds => {
                "select id, campaign_id, name, definition, planned_for_us, launched_at_us, \
                 launched_by, population, population_hash from review_rounds where id in "
            }
            Table::ReviewLog => {
                "select id, item_id, at_us, actor, kind, stage, decision, comment \
                 from review_log where id in "
            }
        }
    }
}

/// A row's digests as they would be recorded now: at its creation, and (tokens, webhook
/// secrets) at its revocation.
struct RowDigests {
    created: Hash,
    revoked: Option<Hash>,
}

impl RowDigests {
    fn once(digest: Hash) -> RowDigests {
        RowDigests {
            created: digest,
            revoked: None,
        }
    }
}
