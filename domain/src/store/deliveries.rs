//! The inbox: raw deliveries committed before a source gets its 2xx, their normalization
//! status, and what the ingest health page reads.

use super::events::{EventColumns, NewEventRow, EVENT_ROW_VALUES, TARGET_ROW_VALUES};
use super::grants::{out_of_scope, GrantWork, GRANT_ROW_VALUES};
use super::sql::{Arg, Sql};
use super::write::{initial_status, insert_deliveries_in, write_outcomes_in, Prepared};
use super::{from_micros, on_engine, to_micros, Store, StoreError, BULK_WAL_PAGES, WAL_PAGES};
use crate::model::{DeliveryStatus, DeliverySummary, IngestHealth, Source, SourceHealth};
use crate::normalize::Normalized;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::Connection as _;
use std::collections::{BTreeMap, HashMap};

/// A delivery as it arrived: authenticated, not yet parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingDelivery {
    pub source: Source,
    /// The source's idempotency key (`X-GitHub-Delivery`, CloudTrail `eventID`, or a body hash).
    pub delivery_key: String,
    pub kind: Option<String>,
    pub received_at: DateTime<Utc>,
    /// The request headers worth keeping (never secrets or signatures' keys).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What storing a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredDelivery {
    New {
        id: i64,
    },
    /// The same (source, delivery key) was stored before: a replay or a redelivery.
    /// `pending` when it was stored but its normalization was never recorded (the database
    /// failed in between), so the retry can finish the job.
    Duplicate {
        id: i64,
        pending: bool,
    },
}

/// Deliveries normalized before they are stored, with everything about them that needs no
/// database worked out when the batch is made: the bodies' digests and the events' derived
/// columns (JSON text, search text). A file import makes its batches on its reading thread,
/// so that work overlaps with writing the previous batch.
#[derive(Debug)]
pub struct NormalizedBatch {
    pub deliveries: Vec<IncomingDelivery>,
    /// The verdict on each delivery, index for index.
    pub outcomes: Vec<Outcome>,
    digests: Vec<String>,
    columns: Vec<Vec<EventColumns>>,
}

impl NormalizedBatch {
    /// `outcomes[i]` is the verdict on `deliveries[i]`; missing verdicts are failures.
    pub fn new(deliveries: Vec<IncomingDelivery>, mut outcomes: Vec<Outcome>) -> NormalizedBatch {
        outcomes.resize_with(deliveries.len(), || {
            Outcome::Failed("no verdict was given for this delivery".to_owned())
        });
        outcomes.truncate(deliveries.len());
        let digests = deliveries.iter().map(|d| body_digest(&d.body)).collect();
        let columns = outcomes
            .iter()
            .zip(&deliveries)
            .map(|(outcome, delivery)| match outcome {
                Outcome::Normalized(n) => n
                    .events
                    .iter()
                    .map(|ev| EventColumns {
                        // Only new deliveries' events are written from a batch, with them.
                        received_at_us: Some(to_micros(delivery.received_at)),
                        ..EventColumns::of(ev)
                    })
                    .collect(),
                Outcome::Failed(_) => Vec::new(),
            })
            .collect();
        NormalizedBatch {
            deliveries,
            outcomes,
            digests,
            columns,
        }
    }

    pub fn len(&self) -> usize {
        self.deliveries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.deliveries.is_empty()
    }
}

/// See [`Store::bulk_writer`].
#[derive(Debug)]
pub struct BulkWriter {
    sqlite: Option<sqlx::pool::PoolConnection<sqlx::Sqlite>>,
}

impl BulkWriter {
    /// Gives the connection back to the pool with the usual checkpoint threshold.
    pub async fn finish(mut self) -> Result<(), StoreError> {
        if let Some(mut conn) = self.sqlite.take() {
            let restored = sqlx::query(&format!("pragma wal_autocheckpoint = {WAL_PAGES}"))
                .execute(&mut *conn)
                .await;
            if let Err(err) = restored {
                conn.close_on_drop();
                return Err(err.into());
            }
        }
        Ok(())
    }
}

impl Drop for BulkWriter {
    /// Not finished (the import stopped on an error): the connection is closed rather than
    /// back in the pool with the bulk threshold.
    fn drop(&mut self) {
        if let Some(conn) = self.sqlite.as_mut() {
            conn.close_on_drop();
        }
    }
}

/// A normalizer's verdict on one stored delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Events, grant changes and snapshots; or nothing, with the reason it was ignored.
    Normalized(Normalized),
    Failed(String),
}

impl Outcome {
    /// The delivery status this outcome leaves behind, with the text kept beside it.
    pub(crate) fn status(&self) -> (DeliveryStatus, Option<&str>) {
        match self {
            Outcome::Normalized(n) if n.is_empty() => {
                (DeliveryStatus::Ignored, n.ignored.as_deref())
            }
            Outcome::Normalized(_) => (DeliveryStatus::Normalized, None),
            Outcome::Failed(reason) => (DeliveryStatus::Failed, Some(reason)),
        }
    }
}

/// A stored delivery with its bytes, for `attest reprocess`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRaw {
    pub id: i64,
    pub source: Source,
    pub delivery_key: String,
    pub kind: Option<String>,
    pub received_at: DateTime<Utc>,
    pub body: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    source: String,
    delivery_key: String,
    kind: Option<String>,
    received_at_us: i64,
    status: String,
    error: Option<String>,
    body_bytes: i64,
}

impl SummaryRow {
    fn into_summary(self) -> Result<DeliverySummary, StoreError> {
        Ok(DeliverySummary {
            id: self.id,
            source: parse_source("deliveries", self.id, &self.source)?,
            delivery_key: self.delivery_key,
            kind: self.kind,
            received_at: from_micros("deliveries", self.id, self.received_at_us)?,
            status: DeliveryStatus::parse(&self.status),
            error: self.error,
            body_bytes: self.body_bytes,
        })
    }
}

pub(crate) fn parse_source(table: &'static str, id: i64, s: &str) -> Result<Source, StoreError> {
    s.parse()
        .map_err(|err: crate::model::UnknownSource| StoreError::Corrupt {
            table,
            id,
            reason: err.to_string(),
        })
}

const SUMMARY_COLUMNS: &str = "id, source, delivery_key, kind, received_at_us, status, error, \
     cast(length(body) as bigint) as body_bytes";

impl Store {
    /// Commits the deliveries (one transaction) and says which were new. Replays are detected
    /// by the unique (source, delivery_key); a key repeated within the batch is new once.
    pub async fn store_deliveries(
        &self,
        deliveries: &[IncomingDelivery],
    ) -> Result<Vec<StoredDelivery>, StoreError> {
        let dialect = self.dialect();
        let stored = on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let stored = insert_deliveries_in!(tx, deliveries, None, None, dialect);
            tx.commit().await?;
            stored
        });
        Ok(stored)
    }

    /// A writer for a run of [`Store::store_normalized`] batches (a file import): on SQLite
    /// one connection kept from the first batch to the last, so its page cache (the indexes
    /// every batch writes into) stays warm instead of a cold connection per batch, and whose
    /// commits leave the WAL to [`Store::checkpoint`] up to a bound ([`BULK_WAL_PAGES`]).
    /// [`BulkWriter::finish`] hands the connection back as it was.
    pub async fn bulk_writer(&self) -> Result<BulkWriter, StoreError> {
        match self {
            Store::Postgres(_) => Ok(BulkWriter { sqlite: None }),
            Store::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query(&format!("pragma wal_autocheckpoint = {BULK_WAL_PAGES}"))
                    .execute(&mut *conn)
                    .await?;
                Ok(BulkWriter { sqlite: Some(conn) })
            }
        }
    }

    /// Stores deliveries that were normalized before they were stored, and records what they
    /// yield, in ONE transaction: a new delivery goes in with its final status, so nothing is
    /// written twice. For file imports, where the raw data is still in the file if the
    /// transaction fails; webhooks use [`Store::store_deliveries`] then
    /// [`Store::record_outcomes`], committing the raw delivery before anything else.
    /// Duplicates are not touched; one left `pending` by an earlier failure is reported so the
    /// caller can finish it.
    pub async fn store_normalized(
        &self,
        writer: &mut BulkWriter,
        batch: &NormalizedBatch,
    ) -> Result<Vec<StoredDelivery>, StoreError> {
        let dialect = self.dialect();
        // One body for both engines, over whichever connection `$conn` is.
        macro_rules! store_in {
            ($conn:expr) => {{
                let mut tx = $conn.begin_with(dialect.begin).await?;
                let stored = insert_deliveries_in!(
                    tx,
                    &batch.deliveries,
                    Some(&batch.outcomes[..]),
                    Some(&batch.digests[..]),
                    dialect
                );
                let fresh: Vec<(i64, &Outcome, Option<&[EventColumns]>)> = stored
                    .iter()
                    .zip(batch.outcomes.iter().zip(&batch.columns))
                    .filter_map(|(s, (outcome, columns))| match s {
                        StoredDelivery::New { id } => Some((*id, outcome, Some(&columns[..]))),
                        StoredDelivery::Duplicate { .. } => None,
                    })
                    .collect();
                let mut prepared = self.prepare(&fresh);
                prepared.grant_work.fresh = true;
                write_outcomes_in!(tx, prepared, true);
                tx.commit().await?;
                Ok(stored)
            }};
        }
        match (self, writer.sqlite.as_mut()) {
            (Store::Postgres(pool), _) => store_in!(pool),
            (Store::Sqlite(_), Some(conn)) => store_in!(conn),
            (Store::Sqlite(pool), None) => store_in!(pool),
        }
    }

    /// Copies what the SQLite WAL holds back into the database, as far as no reader still
    /// needs it, without blocking writers (`PRAGMA wal_checkpoint(PASSIVE)`); the next write
    /// then starts the WAL over. Bulk imports run it beside their writes, on another
    /// connection, so the writer never waits for the disk to sync. Nothing to do on Postgres.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if let Store::Sqlite(pool) = self {
            sqlx::query("pragma wal_checkpoint(passive)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Records the normalizers' verdicts (one transaction, a few statements per chunk): events
    /// are upserted by (source, source_event_id), so a reprocessed delivery updates its events in
    /// place and keeps their ids; events a delivery no longer yields are removed.
    pub async fn record_outcomes(&self, outcomes: &[(i64, Outcome)]) -> Result<(), StoreError> {
        let outcomes: Vec<(i64, &Outcome, Option<&[EventColumns]>)> =
            outcomes.iter().map(|(id, o)| (*id, o, None)).collect();
        let prepared = self.prepare(&outcomes);
        let dialect = prepared.dialect;
        on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            write_outcomes_in!(tx, prepared, false);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Lays out a batch of verdicts for writing: one row per (source, source_event_id) (the
    /// last delivery to mention an event wins, as it would if the deliveries had come one at a
    /// time), the grant work, and statement sizes for this engine. Each outcome may come with
    /// its events' derived columns, worked out beforehand.
    fn prepare<'a>(
        &self,
        outcomes: &[(i64, &'a Outcome, Option<&'a [EventColumns]>)],
    ) -> Prepared<'a> {
        let mut rows: Vec<NewEventRow<'a>> = Vec::new();
        let mut position: HashMap<(&str, &str), usize> = HashMap::new();
        let mut grant_work = GrantWork::default();
        let mut people = Vec::new();
        let mut containment = Vec::new();
        for &(delivery_id, outcome, columns) in outcomes {
            if let Outcome::Normalized(normalized) = outcome {
                if let Some(directory) = &normalized.directory {
                    people.push((delivery_id, directory));
                }
                containment.extend(normalized.containment.iter().map(|c| (delivery_id, c)));
                grant_work.add(
                    delivery_id,
                    &normalized.grant_changes,
                    &normalized.snapshots,
                );
                for snapshot in &normalized.snapshots {
                    let stray = out_of_scope(snapshot);
                    if stray > 0 {
                        tracing::warn!(scope = %snapshot.scope, stray, "snapshot grants outside its scope were left out");
                    }
                }
                for (n, ev) in normalized.events.iter().enumerate() {
                    let row = NewEventRow {
                        delivery_id,
                        event: ev,
                        columns: columns.and_then(|c| c.get(n)),
                    };
                    let key = (ev.source.as_str(), ev.source_event_id.as_str());
                    match position.get(&key) {
                        Some(&at) => rows[at] = row,
                        None => {
                            position.insert(key, rows.len());
                            rows.push(row);
                        }
                    }
                }
            }
        }
        // One row per contained resource: the last listing to name it wins.
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (n, (_, c)) in containment.iter().enumerate() {
            last.insert(c.child.as_str(), n);
        }
        let containment: Vec<_> = containment
            .iter()
            .enumerate()
            .filter(|(n, (_, c))| last.get(c.child.as_str()) == Some(n))
            .map(|(_, row)| *row)
            .collect();
        let dialect = self.dialect();
        grant_work.dialect = dialect;
        grant_work.rows_per_statement = dialect.rows_per_statement(GRANT_ROW_VALUES);
        grant_work.keys_per_statement = dialect.rows_per_statement(1);
        Prepared {
            rows,
            normalized: outcomes
                .iter()
                .filter(|(_, o, _)| matches!(o, Outcome::Normalized(_)))
                .map(|(id, _, _)| *id)
                .collect(),
            other: outcomes
                .iter()
                .filter_map(|(id, o, _)| {
                    let (status, reason) = o.status();
                    (status != DeliveryStatus::Normalized).then_some((*id, status, reason))
                })
                .collect(),
            grant_work,
            people,
            containment,
            dialect,
            events_per_statement: dialect.rows_per_statement(EVENT_ROW_VALUES),
            targets_per_statement: dialect.rows_per_statement(TARGET_ROW_VALUES),
            ids_per_statement: dialect.rows_per_statement(1),
        }
    }

    /// True when any delivery is stored (a cheap `exists`, not a count).
    pub async fn has_deliveries(&self) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = on_engine!(self, pool => {
            sqlx::query_as("select id from deliveries limit 1").fetch_optional(pool).await?
        });
        Ok(row.is_some())
    }

    /// Stored deliveries with ids greater than `after`, oldest first, for reprocessing in pages.
    pub async fn deliveries_after(
        &self,
        after: i64,
        limit: i64,
        only_failed: bool,
    ) -> Result<Vec<StoredRaw>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            source: String,
            delivery_key: String,
            kind: Option<String>,
            received_at_us: i64,
            body: Vec<u8>,
        }
        let sql = if only_failed {
            "select id, source, delivery_key, kind, received_at_us, body from deliveries \
             where id > $1 and status <> 'normalized' order by id limit $2"
        } else {
            "select id, source, delivery_key, kind, received_at_us, body from deliveries \
             where id > $1 order by id limit $2"
        };
        let rows: Vec<Row> = on_engine!(self, pool => {
            sqlx::query_as(sql).bind(after).bind(limit).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(StoredRaw {
                    id: row.id,
                    source: parse_source("deliveries", row.id, &row.source)?,
                    delivery_key: row.delivery_key,
                    kind: row.kind,
                    received_at: from_micros("deliveries", row.id, row.received_at_us)?,
                    body: row.body,
                })
            })
            .collect()
    }

    pub async fn delivery_summary(&self, id: i64) -> Result<Option<DeliverySummary>, StoreError> {
        let sql = format!("select {SUMMARY_COLUMNS} from deliveries where id = $1");
        let row: Option<SummaryRow> = on_engine!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(SummaryRow::into_summary).transpose()
    }

    /// The raw body of a delivery.
    pub async fn delivery_body(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>,)> = on_engine!(self, pool => {
            sqlx::query_as("select body from deliveries where id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(body,)| body))
    }

    /// Deliveries per source and status, and the latest failures with their reasons.
    pub async fn ingest_health(&self, failures: i64) -> Result<IngestHealth, StoreError> {
        let counts: Vec<(String, String, i64, i64)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select source, status, count(*), max(received_at_us) from deliveries \
                 group by source, status order by source, status",
            )
            .fetch_all(pool)
            .await?
        });
        let mut by_source: BTreeMap<Source, SourceHealth> = BTreeMap::new();
        for (source, status, count, last) in counts {
            let source = parse_source("deliveries", 0, &source)?;
            let entry = by_source.entry(source).or_insert(SourceHealth {
                source,
                normalized: 0,
                failed: 0,
                ignored: 0,
                pending: 0,
                last_received_at: None,
            });
            match DeliveryStatus::parse(&status) {
                DeliveryStatus::Normalized => entry.normalized += count,
                DeliveryStatus::Failed => entry.failed += count,
                DeliveryStatus::Ignored => entry.ignored += count,
                DeliveryStatus::Pending => entry.pending += count,
            }
            let last = from_micros("deliveries", 0, last)?;
            entry.last_received_at = entry.last_received_at.max(Some(last));
        }
        let sql = format!(
            // The first condition lets both engines read the partial index of unsettled
            // deliveries.
            "select {SUMMARY_COLUMNS} from deliveries where status <> 'normalized' \
             and status = 'failed' order by id desc limit $1"
        );
        let rows: Vec<SummaryRow> = on_engine!(self, pool => {
            sqlx::query_as(&sql).bind(failures).fetch_all(pool).await?
        });
        Ok(IngestHealth {
            sources: by_source.into_values().collect(),
            configured: Vec::new(),
            recent_failures: rows
                .into_iter()
                .map(SummaryRow::into_summary)
                .collect::<Result<_, _>>()?,
        })
    }
}

fn headers_object(headers: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), serde_json::Value::String(v.clone())))
        .collect()
}

/// The id the next new delivery gets, for [`Dialect::assign_ids`](super::sql::Dialect::assign_ids)
/// (SQLite only: ids are never reused, so the highest ever handed out counts, not only the
/// highest still stored).
pub(crate) const NEXT_DELIVERY_ID: &str = "select max(\
    coalesce((select seq from sqlite_sequence where name = 'deliveries'), 0), \
    coalesce((select max(id) from deliveries), 0)) + 1";

/// Bound values per row of [`insert_deliveries`].
pub(crate) const DELIVERY_ROW_VALUES: usize = 11;

/// A multi-row insert of deliveries, each pending or with its verdict. Without `first_id` it
/// skips keys already stored and returns the new rows' `id, source, delivery_key`; with it, the
/// rows are known to be new and get the ids `first_id`, `first_id + 1`, … (see
/// [`Dialect::assign_ids`](super::sql::Dialect::assign_ids)).
pub(crate) fn insert_deliveries(
    insert: &str,
    rows: &[(&IncomingDelivery, Option<&Outcome>, Option<&str>)],
    first_id: Option<i64>,
) -> Sql {
    let mut sql = Sql::new(&format!(
        "{insert} deliveries ({}source, delivery_key, kind, received_at_us, headers, body, \
         body_sha256, status, error, event_count) values ",
        if first_id.is_some() { "id, " } else { "" }
    ));
    for (i, (d, verdict, digest)) in rows.iter().enumerate() {
        let headers =
            serde_json::to_string(&headers_object(&d.headers)).unwrap_or_else(|_| "{}".to_owned());
        let (status, error, events) = initial_status(*verdict);
        let mut values = Vec::with_capacity(DELIVERY_ROW_VALUES);
        if let Some(first) = first_id {
            values.push(Arg::I64(first + i as i64));
        }
        values.extend([
            Arg::Text(d.source.as_str().to_owned()),
            Arg::Text(d.delivery_key.clone()),
            Arg::OptText(d.kind.clone()),
            Arg::I64(to_micros(d.received_at)),
            Arg::Text(headers),
            Arg::Bytes(d.body.clone()),
            Arg::Text(digest.map_or_else(|| body_digest(&d.body), str::to_owned)),
            Arg::Text(status.to_owned()),
            Arg::OptText(error),
            Arg::I64(events),
        ]);
        sql.row(i == 0, values);
    }
    if first_id.is_none() {
        sql.push(
            " on conflict (source, delivery_key) do nothing returning id, source, delivery_key",
        );
    }
    sql
}

/// A body's SHA-256 in hex, as `deliveries.body_sha256` keeps it.
pub(crate) fn body_digest(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Looks up stored deliveries by (source, delivery_key).
pub(crate) fn find_deliveries(deliveries: &[&IncomingDelivery]) -> Sql {
    let mut sql = Sql::new(
        "select id, source, delivery_key, status from deliveries where (source, delivery_key) in ",
    );
    sql.text_pairs(
        deliveries
            .iter()
            .map(|d| (d.source.as_str(), d.delivery_key.as_str())),
    );
    sql
}
