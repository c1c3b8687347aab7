//! The inbox: raw deliveries committed before a source gets its 2xx, their normalization
//! status, and what the ingest health page reads.

use super::events::{insert_targets, upsert_events, CHUNK};
use super::grants::{out_of_scope, record_grants, GrantWork};
use super::sql::{bind_all, Arg, Sql};
use super::{from_micros, on_engine, to_micros, Store, StoreError};
use crate::model::{DeliveryStatus, DeliverySummary, IngestHealth, NewEvent, Source, SourceHealth};
use crate::normalize::Normalized;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

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

/// A normalizer's verdict on one stored delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Events, grant changes and snapshots; or nothing, with the reason it was ignored.
    Normalized(Normalized),
    Failed(String),
}

impl Outcome {
    /// The delivery status this outcome leaves behind, with the text kept beside it.
    fn status(&self) -> (DeliveryStatus, Option<&str>) {
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
        let mut stored = Vec::with_capacity(deliveries.len());
        on_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in deliveries.chunks(CHUNK) {
                let insert = insert_deliveries(chunk);
                let inserted: Vec<(i64, String, String)> =
                    bind_all!(sqlx::query_as(&insert.text), &insert.args)
                        .fetch_all(&mut *tx)
                        .await?;
                let mut new: HashMap<(String, String), i64> = inserted
                    .into_iter()
                    .map(|(id, source, key)| ((source, key), id))
                    .collect();
                let known: Vec<&IncomingDelivery> = chunk
                    .iter()
                    .filter(|d| !new.contains_key(&(d.source.as_str().to_owned(), d.delivery_key.clone())))
                    .collect();
                let mut existing: HashMap<(String, String), (i64, bool)> = HashMap::new();
                if !known.is_empty() {
                    let lookup = find_deliveries(&known);
                    let rows: Vec<(i64, String, String, String)> =
                        bind_all!(sqlx::query_as(&lookup.text), &lookup.args)
                            .fetch_all(&mut *tx)
                            .await?;
                    for (id, source, key, status) in rows {
                        let pending = DeliveryStatus::parse(&status) == DeliveryStatus::Pending;
                        existing.insert((source, key), (id, pending));
                    }
                }
                for d in chunk {
                    let key = (d.source.as_str().to_owned(), d.delivery_key.clone());
                    stored.push(match new.remove(&key) {
                        Some(id) => {
                            // Later copies in this batch are duplicates of this one.
                            existing.insert(key, (id, false));
                            StoredDelivery::New { id }
                        }
                        None => match existing.get(&key) {
                            Some(&(id, pending)) => StoredDelivery::Duplicate { id, pending },
                            None => {
                                return Err(StoreError::Corrupt {
                                    table: "deliveries",
                                    id: 0,
                                    reason: format!("delivery {:?} neither inserted nor found", d.delivery_key),
                                })
                            }
                        },
                    });
                }
            }
            tx.commit().await?;
        });
        Ok(stored)
    }

    /// Records the normalizers' verdicts (one transaction, a few statements per chunk): events
    /// are upserted by (source, source_event_id), so a reprocessed delivery updates its events in
    /// place and keeps their ids; events a delivery no longer yields are removed.
    pub async fn record_outcomes(&self, outcomes: &[(i64, Outcome)]) -> Result<(), StoreError> {
        // One row per (source, source_event_id): the last delivery to mention an event wins,
        // as it would if the deliveries had come one at a time.
        let mut rows: Vec<(i64, &NewEvent)> = Vec::new();
        let mut position: HashMap<(&str, &str), usize> = HashMap::new();
        let mut grant_work = GrantWork::default();
        for (delivery_id, outcome) in outcomes {
            if let Outcome::Normalized(normalized) = outcome {
                grant_work.add(
                    *delivery_id,
                    &normalized.grant_changes,
                    &normalized.snapshots,
                );
                for ev in &normalized.events {
                    let key = (ev.source.as_str(), ev.source_event_id.as_str());
                    match position.get(&key) {
                        Some(&at) => rows[at] = (*delivery_id, ev),
                        None => {
                            position.insert(key, rows.len());
                            rows.push((*delivery_id, ev));
                        }
                    }
                }
            }
        }
        let normalized: Vec<i64> = outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Normalized(_)))
            .map(|(id, _)| *id)
            .collect();
        for (_, outcome) in outcomes {
            if let Outcome::Normalized(n) = outcome {
                for snapshot in &n.snapshots {
                    let stray = out_of_scope(snapshot);
                    if stray > 0 {
                        tracing::warn!(scope = %snapshot.scope, stray, "snapshot grants outside its scope were left out");
                    }
                }
            }
        }
        on_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut kept: HashSet<i64> = HashSet::with_capacity(rows.len());
            for chunk in rows.chunks(CHUNK) {
                let upsert = upsert_events(chunk);
                let written: Vec<(i64, String, String)> =
                    bind_all!(sqlx::query_as(&upsert.text), &upsert.args)
                        .fetch_all(&mut *tx)
                        .await?;
                let ids: HashMap<(String, String), i64> = written
                    .into_iter()
                    .map(|(id, source, event_id)| ((source, event_id), id))
                    .collect();
                let mut event_ids = Vec::with_capacity(chunk.len());
                let mut targets = Vec::new();
                for (_, ev) in chunk {
                    let key = (ev.source.as_str().to_owned(), ev.source_event_id.clone());
                    let Some(&id) = ids.get(&key) else {
                        return Err(StoreError::Corrupt {
                            table: "events",
                            id: 0,
                            reason: format!("event {:?} was not written", ev.source_event_id),
                        });
                    };
                    kept.insert(id);
                    event_ids.push(id);
                    targets.extend(ev.targets.iter().enumerate().map(|(n, t)| (id, n as i64, t)));
                }
                let mut clear = Sql::new("delete from event_targets where event_id in ");
                clear.id_list(&event_ids);
                bind_all!(sqlx::query(&clear.text), &clear.args).execute(&mut *tx).await?;
                for part in targets.chunks(CHUNK * 2) {
                    let insert = insert_targets(part);
                    bind_all!(sqlx::query(&insert.text), &insert.args).execute(&mut *tx).await?;
                }
            }
            for chunk in normalized.chunks(CHUNK) {
                // Events these deliveries no longer yield (only after a normalizer change).
                let mut find = Sql::new("select id from events where delivery_id in ");
                find.id_list(chunk);
                let present: Vec<(i64,)> = bind_all!(sqlx::query_as(&find.text), &find.args)
                    .fetch_all(&mut *tx)
                    .await?;
                let stale: Vec<i64> = present.into_iter().map(|(id,)| id).filter(|id| !kept.contains(id)).collect();
                if !stale.is_empty() {
                    for table_column in ["event_targets where event_id", "events where id"] {
                        let mut delete = Sql::new(&format!("delete from {table_column} in "));
                        delete.id_list(&stale);
                        bind_all!(sqlx::query(&delete.text), &delete.args).execute(&mut *tx).await?;
                    }
                }
                let mut mark = Sql::new(
                    "update deliveries set status = 'normalized', error = null, event_count = \
                     (select count(*) from events e where e.delivery_id = deliveries.id) where id in ",
                );
                mark.id_list(chunk);
                bind_all!(sqlx::query(&mark.text), &mark.args).execute(&mut *tx).await?;
            }
            if !grant_work.deliveries.is_empty() {
                record_grants!(tx, &grant_work);
            }
            for (delivery_id, outcome) in outcomes {
                // Failed and ignored deliveries keep their reason; normalized ones were marked
                // above in bulk.
                let (status, reason) = outcome.status();
                if status != DeliveryStatus::Normalized {
                    sqlx::query("update deliveries set status = $1, error = $2 where id = $3")
                        .bind(status.as_str())
                        .bind(reason)
                        .bind(*delivery_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
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
            "select {SUMMARY_COLUMNS} from deliveries where status = 'failed' \
             order by id desc limit $1"
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

/// One multi-row insert of deliveries that skips keys already stored; returns the new rows'
/// `id, source, delivery_key`.
fn insert_deliveries(chunk: &[IncomingDelivery]) -> Sql {
    let mut sql = Sql::new(
        "insert into deliveries \
         (source, delivery_key, kind, received_at_us, headers, body, body_sha256) values ",
    );
    for (i, d) in chunk.iter().enumerate() {
        let headers =
            serde_json::to_string(&headers_object(&d.headers)).unwrap_or_else(|_| "{}".to_owned());
        sql.row(
            i == 0,
            vec![
                Arg::Text(d.source.as_str().to_owned()),
                Arg::Text(d.delivery_key.clone()),
                Arg::OptText(d.kind.clone()),
                Arg::I64(to_micros(d.received_at)),
                Arg::Text(headers),
                Arg::Bytes(d.body.clone()),
                Arg::Text(hex::encode(Sha256::digest(&d.body))),
            ],
        );
    }
    sql.push(" on conflict (source, delivery_key) do nothing returning id, source, delivery_key");
    sql
}

/// Looks up stored deliveries by (source, delivery_key).
fn find_deliveries(deliveries: &[&IncomingDelivery]) -> Sql {
    let mut sql = Sql::new(
        "select id, source, delivery_key, status from deliveries where (source, delivery_key) in (",
    );
    for (i, d) in deliveries.iter().enumerate() {
        let source = sql.arg(Arg::Text(d.source.as_str().to_owned()));
        let key = sql.arg(Arg::Text(d.delivery_key.clone()));
        if i > 0 {
            sql.push(", ");
        }
        sql.push(&format!("({source}, {key})"));
    }
    sql.push(")");
    sql
}
