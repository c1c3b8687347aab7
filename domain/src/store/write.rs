//! The write path of the inbox, as macros over an open transaction so one body serves both
//! engines (`on_engine!` expands it once per engine) and both callers: webhooks, which commit
//! the raw delivery first and record its verdict in a second transaction, and file imports,
//! which store and record a normalized batch in one.

use super::deliveries::Outcome;
use super::grants::GrantWork;
use crate::model::{DeliveryStatus, NewEvent};

/// A batch of verdicts laid out for writing (see `Store::prepare`).
pub(crate) struct Prepared<'a> {
    /// One row per (source, source_event_id), with the delivery that yields it.
    pub rows: Vec<(i64, &'a NewEvent)>,
    /// Deliveries whose verdict is `Normalized` (events, grants, or ignored on purpose).
    pub normalized: Vec<i64>,
    /// Deliveries that failed or were ignored, with the reason kept beside them.
    pub other: Vec<(i64, DeliveryStatus, Option<&'a str>)>,
    pub grant_work: GrantWork<'a>,
    pub events_per_statement: usize,
    pub targets_per_statement: usize,
    pub ids_per_statement: usize,
}

/// The status columns a delivery is inserted with: pending when it is stored before it is
/// normalized, else its verdict.
pub(crate) fn initial_status(outcome: Option<&Outcome>) -> (&'static str, Option<String>, i64) {
    match outcome {
        None => (DeliveryStatus::Pending.as_str(), None, 0),
        Some(outcome) => {
            let (status, reason) = outcome.status();
            let events = match outcome {
                Outcome::Normalized(n) => n.events.len() as i64,
                Outcome::Failed(_) => 0,
            };
            (status.as_str(), reason.map(str::to_owned), events)
        }
    }
}

/// Inserts `$deliveries` inside `$tx` (`$outcomes`: `None` to store them pending, or their
/// verdicts, index for index) and evaluates to one `StoredDelivery` per delivery. Replays are
/// detected by the unique (source, delivery_key); a key repeated within the batch is new once.
macro_rules! insert_deliveries_in {
    ($tx:expr, $deliveries:expr, $outcomes:expr, $per_statement:expr) => {{
        use std::collections::HashMap;
        use $crate::store::deliveries::{find_deliveries, insert_deliveries};
        use $crate::store::sql::bind_all;
        use $crate::store::{StoreError, StoredDelivery};
        let deliveries: &[$crate::store::IncomingDelivery] = $deliveries;
        let outcomes: Option<&[$crate::store::NormalizeOutcome]> = $outcomes;
        let mut stored = Vec::with_capacity(deliveries.len());
        for (n, chunk) in deliveries.chunks($per_statement).enumerate() {
            let verdicts =
                outcomes.and_then(|o| o.get(n * $per_statement..n * $per_statement + chunk.len()));
            let insert = insert_deliveries(chunk, verdicts);
            let inserted: Vec<(i64, String, String)> =
                bind_all!(sqlx::query_as(&insert.text), &insert.args)
                    .fetch_all(&mut *$tx)
                    .await?;
            let mut new: HashMap<(String, String), i64> = inserted
                .into_iter()
                .map(|(id, source, key)| ((source, key), id))
                .collect();
            let known: Vec<&$crate::store::IncomingDelivery> = chunk
                .iter()
                .filter(|d| {
                    !new.contains_key(&(d.source.as_str().to_owned(), d.delivery_key.clone()))
                })
                .collect();
            let mut existing: HashMap<(String, String), (i64, bool)> = HashMap::new();
            if !known.is_empty() {
                let lookup = find_deliveries(&known);
                let rows: Vec<(i64, String, String, String)> =
                    bind_all!(sqlx::query_as(&lookup.text), &lookup.args)
                        .fetch_all(&mut *$tx)
                        .await?;
                for (id, source, key, status) in rows {
                    let pending = $crate::model::DeliveryStatus::parse(&status)
                        == $crate::model::DeliveryStatus::Pending;
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
                                reason: format!(
                                    "delivery {:?} neither inserted nor found",
                                    d.delivery_key
                                ),
                            })
                        }
                    },
                });
            }
        }
        stored
    }};
}
pub(crate) use insert_deliveries_in;

/// Writes a [`Prepared`] batch inside `$tx`: events (upserted by source event id) and their
/// targets, grant facts and intervals, and delivery statuses. `$fresh` says every delivery was
/// inserted in this transaction with its final status, which skips what only a reprocess
/// needs: looking for events and grant facts a delivery no longer yields, and status updates.
macro_rules! write_outcomes_in {
    ($tx:expr, $prepared:expr, $fresh:expr) => {{
        use $crate::store::events::{insert_targets, upsert_events};
        use $crate::store::grants::record_grants;
        use $crate::store::sql::{bind_all, Sql};
        use $crate::store::StoreError;
        use std::collections::{HashMap, HashSet};
        let prepared: &$crate::store::write::Prepared<'_> = &$prepared;
        let fresh: bool = $fresh;
        let mut kept: HashSet<i64> = HashSet::with_capacity(prepared.rows.len());
        for chunk in prepared.rows.chunks(prepared.events_per_statement) {
            let upsert = upsert_events(chunk);
            let written: Vec<(i64, String, String)> =
                bind_all!(sqlx::query_as(&upsert.text), &upsert.args)
                    .fetch_all(&mut *$tx)
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
            // An upsert may have updated an event another delivery stated before.
            let mut clear = Sql::new("delete from event_targets where event_id in ");
            clear.id_list(&event_ids);
            bind_all!(sqlx::query(&clear.text), &clear.args).execute(&mut *$tx).await?;
            for part in targets.chunks(prepared.targets_per_statement) {
                let insert = insert_targets(part);
                bind_all!(sqlx::query(&insert.text), &insert.args).execute(&mut *$tx).await?;
            }
        }
        if !fresh {
            for chunk in prepared.normalized.chunks(prepared.ids_per_statement) {
                // Events these deliveries no longer yield (only after a normalizer change).
                let mut find = Sql::new("select id from events where delivery_id in ");
                find.id_list(chunk);
                let present: Vec<(i64,)> = bind_all!(sqlx::query_as(&find.text), &find.args)
                    .fetch_all(&mut *$tx)
                    .await?;
                let stale: Vec<i64> = present
                    .into_iter()
                    .map(|(id,)| id)
                    .filter(|id| !kept.contains(id))
                    .collect();
                if !stale.is_empty() {
                    for table_column in ["event_targets where event_id", "events where id"] {
                        let mut delete = Sql::new(&format!("delete from {table_column} in "));
                        delete.id_list(&stale);
                        bind_all!(sqlx::query(&delete.text), &delete.args)
                            .execute(&mut *$tx)
                            .await?;
                    }
                }
                let mut mark = Sql::new(
                    "update deliveries set status = 'normalized', error = null, event_count = \
                     (select count(*) from events e where e.delivery_id = deliveries.id) where id in ",
                );
                mark.id_list(chunk);
                bind_all!(sqlx::query(&mark.text), &mark.args).execute(&mut *$tx).await?;
            }
        }
        if !prepared.grant_work.deliveries.is_empty() {
            record_grants!($tx, &prepared.grant_work);
        }
        if !fresh {
            // Failed and ignored deliveries keep their reason; normalized ones were marked
            // above in bulk.
            for (delivery_id, status, reason) in &prepared.other {
                sqlx::query("update deliveries set status = $1, error = $2 where id = $3")
                    .bind(status.as_str())
                    .bind(*reason)
                    .bind(*delivery_id)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}
pub(crate) use write_outcomes_in;
