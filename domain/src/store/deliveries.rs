//! The inbox: raw deliveries committed before a source gets its 2xx, their normalization
//! status, and what the ingest health page reads.

use super::events::insert_events;
use super::{from_micros, on_engine, to_micros, Store, StoreError};
use crate::model::{DeliveryStatus, DeliverySummary, IngestHealth, NewEvent, Source, SourceHealth};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Deletes the events of `$delivery` whose ids are not in `$kept` (used on reprocess).
macro_rules! remove_stale_events {
    ($tx:expr, $delivery:expr, $kept:expr) => {{
        let existing: Vec<(i64,)> = sqlx::query_as("select id from events where delivery_id = $1")
            .bind($delivery)
            .fetch_all(&mut **$tx)
            .await?;
        for (id,) in existing {
            if !$kept.contains(&id) {
                sqlx::query("delete from event_targets where event_id = $1")
                    .bind(id)
                    .execute(&mut **$tx)
                    .await?;
                sqlx::query("delete from events where id = $1")
                    .bind(id)
                    .execute(&mut **$tx)
                    .await?;
            }
        }
    }};
}

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
    Events(Vec<NewEvent>),
    Failed(String),
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
    /// by the unique (source, delivery_key) and cost nothing but a lookup.
    pub async fn store_deliveries(
        &self,
        deliveries: &[IncomingDelivery],
    ) -> Result<Vec<StoredDelivery>, StoreError> {
        let mut stored = Vec::with_capacity(deliveries.len());
        on_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            for d in deliveries {
                let headers = serde_json::to_string(&headers_object(&d.headers))
                    .unwrap_or_else(|_| "{}".to_owned());
                let new_id: Option<(i64,)> = sqlx::query_as(
                    "insert into deliveries \
                     (source, delivery_key, kind, received_at_us, headers, body, body_sha256) \
                     values ($1, $2, $3, $4, $5, $6, $7) \
                     on conflict (source, delivery_key) do nothing returning id",
                )
                .bind(d.source.as_str())
                .bind(&d.delivery_key)
                .bind(&d.kind)
                .bind(to_micros(d.received_at))
                .bind(headers)
                .bind(&d.body)
                .bind(hex::encode(Sha256::digest(&d.body)))
                .fetch_optional(&mut *tx)
                .await?;
                stored.push(match new_id {
                    Some((id,)) => StoredDelivery::New { id },
                    None => {
                        let (id, status): (i64, String) = sqlx::query_as(
                            "select id, status from deliveries \
                             where source = $1 and delivery_key = $2",
                        )
                        .bind(d.source.as_str())
                        .bind(&d.delivery_key)
                        .fetch_one(&mut *tx)
                        .await?;
                        StoredDelivery::Duplicate {
                            id,
                            pending: DeliveryStatus::parse(&status) == DeliveryStatus::Pending,
                        }
                    }
                });
            }
            tx.commit().await?;
        });
        Ok(stored)
    }

    /// Records the normalizers' verdicts (one transaction): events are upserted by
    /// (source, source_event_id), so a reprocessed delivery updates its events in place and
    /// keeps their ids; events a delivery no longer yields are removed.
    pub async fn record_outcomes(&self, outcomes: &[(i64, Outcome)]) -> Result<(), StoreError> {
        on_engine!(self, pool => {
            let mut tx = pool.begin().await?;
            for (delivery_id, outcome) in outcomes {
                match outcome {
                    Outcome::Events(events) => {
                        let kept = insert_events!(&mut tx, *delivery_id, events);
                        remove_stale_events!(&mut tx, *delivery_id, &kept);
                        sqlx::query(
                            "update deliveries set status = 'normalized', error = null, \
                             event_count = $1 where id = $2",
                        )
                        .bind(kept.len() as i64)
                        .bind(*delivery_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    Outcome::Failed(reason) => {
                        sqlx::query(
                            "update deliveries set status = 'failed', error = $1 where id = $2",
                        )
                        .bind(reason)
                        .bind(*delivery_id)
                        .execute(&mut *tx)
                        .await?;
                    }
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
                pending: 0,
                last_received_at: None,
            });
            match DeliveryStatus::parse(&status) {
                DeliveryStatus::Normalized => entry.normalized += count,
                DeliveryStatus::Failed => entry.failed += count,
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
