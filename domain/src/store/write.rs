//! The write path of the inbox, as macros over an open transaction so one body serves both
//! engines (`on_engine!` expands it once per engine) and both callers: webhooks, which commit
//! the raw delivery first and record its verdict in a second transaction, and file imports,
//! which store and record a normalized batch in one.

use super::deliveries::Outcome;
use super::events::NewEventRow;
use super::grants::GrantWork;
use super::sql::Dialect;
use crate::model::DeliveryStatus;

/// A batch of verdicts laid out for writing (see `Store::prepare`).
pub(crate) struct Prepared<'a> {
    /// One row per (source, source_event_id), with the delivery that yields it.
    pub rows: Vec<NewEventRow<'a>>,
    /// Deliveries whose verdict is `Normalized` (events, grants, or ignored on purpose).
    pub normalized: Vec<i64>,
    /// Deliveries that failed or were ignored, with the reason kept beside them.
    pub other: Vec<(i64, DeliveryStatus, Option<&'a str>)>,
    pub grant_work: GrantWork<'a>,
    /// People imports, with the delivery each came in.
    pub people: Vec<(i64, &'a crate::people::Directory)>,
    /// Resource listings' containment, with the delivery each came in.
    pub containment: Vec<(i64, &'a crate::grant::Containment)>,
    pub dialect: Dialect,
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
/// verdicts, index for index; `$digests`: their bodies' SHA-256 in hex when already known)
/// and evaluates to one `StoredDelivery` per delivery. Replays are
/// detected by the unique (source, delivery_key); a key repeated within the batch is new once.
/// `$dialect` says whether the engine returns new ids or the new rows get assigned ones.
///
/// Each step is a run of statements built while the engine runs the one before
/// ([`run_each!`](crate::store::sql::run_each)): with returned ids, the inserts, then a look-up
/// of the keys none of them inserted; with assigned ids, the look-up of every key, then the
/// inserts of those not found. Within the one transaction that is the same as taking the batch
/// a statement at a time.
macro_rules! insert_deliveries_in {
    ($tx:expr, $deliveries:expr, $outcomes:expr, $digests:expr, $dialect:expr) => {{
        use std::collections::HashMap;
        use $crate::store::deliveries::{
            find_deliveries, insert_deliveries, DELIVERY_ROW_VALUES, NEXT_DELIVERY_ID,
        };
        use $crate::store::sql::run_each;
        use $crate::store::{StoreError, StoredDelivery};
        let dialect: $crate::store::sql::Dialect = $dialect;
        let deliveries: &[$crate::store::IncomingDelivery] = $deliveries;
        let outcomes: Option<&[$crate::store::NormalizeOutcome]> = $outcomes;
        // Each body's SHA-256, worked out once here when the caller has not: the row stores
        // it and the ledger entry records it.
        let computed: Vec<String>;
        let digests: &[String] = match $digests {
            Some(digests) => digests,
            None => {
                computed = deliveries
                    .iter()
                    .map(|d| $crate::store::deliveries::body_digest(&d.body))
                    .collect();
                &computed
            }
        };
        let per_statement = dialect.rows_per_statement(DELIVERY_ROW_VALUES);
        let key = |d: &$crate::store::IncomingDelivery| {
            (d.source.as_str().to_owned(), d.delivery_key.clone())
        };
        let rows: Vec<_> = deliveries
            .iter()
            .enumerate()
            .map(|(i, d)| {
                (
                    d,
                    outcomes.and_then(|o| o.get(i)),
                    digests.get(i).map(String::as_str),
                )
            })
            .collect();
        // The ids of the keys inserted here.
        let mut new: HashMap<(String, String), i64> = HashMap::new();
        if !dialect.assign_ids {
            run_each!(dialect, rows
                .chunks(per_statement)
                .map(|chunk| insert_deliveries(dialect.insert, chunk, None))
                => query_as.fetch_all(&mut *$tx), |inserted: Vec<(i64, String, String)>| {
                new.extend(
                    inserted
                        .into_iter()
                        .map(|(id, source, key)| ((source, key), id)),
                );
            });
        }
        // The keys stored before, with whether they are still pending.
        let mut existing: HashMap<(String, String), (i64, bool)> = HashMap::new();
        let known: Vec<&$crate::store::IncomingDelivery> = deliveries
            .iter()
            .filter(|d| !new.contains_key(&key(d)))
            .collect();
        run_each!(dialect, known.chunks(per_statement).map(|chunk| find_deliveries(chunk))
            => query_as.fetch_all(&mut *$tx), |found: Vec<(i64, String, String, String)>| {
            for (id, source, key, status) in found {
                let pending = $crate::model::DeliveryStatus::parse(&status)
                    == $crate::model::DeliveryStatus::Pending;
                existing.insert((source, key), (id, pending));
            }
        });
        if dialect.assign_ids && !deliveries.is_empty() {
            // The first copy of each key not stored yet goes in, with the next id.
            let (first,): (i64,) = sqlx::query_as(NEXT_DELIVERY_ID).fetch_one(&mut *$tx).await?;
            let mut fresh = Vec::new();
            for row in &rows {
                let key = key(row.0);
                if !existing.contains_key(&key) && !new.contains_key(&key) {
                    new.insert(key, first + fresh.len() as i64);
                    fresh.push(*row);
                }
            }
            run_each!(dialect, fresh
                .chunks(per_statement)
                .enumerate()
                .map(|(n, chunk)| {
                    let first_id = first + (n * per_statement) as i64;
                    insert_deliveries(dialect.insert, chunk, Some(first_id))
                })
                => query.execute(&mut *$tx), |_done: _| {});
        }
        let mut stored = Vec::with_capacity(deliveries.len());
        // Each delivery stored here is recorded in the ledger, in the same transaction.
        let mut recorded = Vec::new();
        for (i, d) in deliveries.iter().enumerate() {
            let key = key(d);
            if let Some(&id) = new.get(&key) {
                let body_sha256 = match digests.get(i) {
                    Some(digest) => digest.clone(),
                    None => $crate::store::deliveries::body_digest(&d.body),
                };
                recorded.push($crate::store::ledger::NewEntry {
                    kind: $crate::store::ledger::DELIVERY,
                    subject: $crate::store::ledger::delivery_subject(id),
                    digest: $crate::store::ledger::delivery_digest(
                        d.source.as_str(),
                        &d.delivery_key,
                        $crate::store::to_micros(d.received_at),
                        &body_sha256,
                    ),
                });
            }
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
        $crate::store::ledger::append_ledger_in!($tx, dialect, recorded);
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
        use $crate::store::events::{
            find_events, insert_new_events, insert_targets, upsert_events, NEXT_EVENT_ID,
        };
        use $crate::store::grants::record_grants;
        use $crate::store::sql::{run, run_each, Sql};
        use $crate::store::StoreError;
        use std::collections::{HashMap, HashSet};
        let prepared: &$crate::store::write::Prepared<'_> = &$prepared;
        let fresh: bool = $fresh;
        let dialect = prepared.dialect;
        let mut kept: HashSet<i64> = HashSet::with_capacity(prepared.rows.len());
        let per_statement = prepared.events_per_statement;
        let key = |ev: &$crate::model::NewEvent| {
            (ev.source.as_str().to_owned(), ev.source_event_id.clone())
        };
        // Stored ids by (source, source_event_id).
        let mut ids: HashMap<(String, String), i64> = HashMap::with_capacity(prepared.rows.len());
        // Events inserted here with an assigned id: they have no targets to clear.
        let mut inserted_now: HashSet<i64> = HashSet::new();
        let upsert_rows: Vec<$crate::store::events::NewEventRow<'_>> = if dialect.assign_ids {
            run_each!(dialect, prepared.rows.chunks(per_statement).map(|chunk| find_events(chunk))
                => query_as.fetch_all(&mut *$tx), |found: Vec<(i64, String, String)>| {
                ids.extend(
                    found
                        .into_iter()
                        .map(|(id, source, event_id)| ((source, event_id), id)),
                );
            });
            let (old, new): (Vec<_>, Vec<_>) = prepared
                .rows
                .iter()
                .copied()
                .partition(|row| ids.contains_key(&key(row.event)));
            if !new.is_empty() {
                let (first,): (i64,) = sqlx::query_as(NEXT_EVENT_ID).fetch_one(&mut *$tx).await?;
                run_each!(dialect, new
                    .chunks(per_statement)
                    .enumerate()
                    .map(|(n, chunk)| {
                        let first_id = first + (n * per_statement) as i64;
                        insert_new_events(dialect.insert, chunk, first_id)
                    })
                    => query.execute(&mut *$tx), |_done: _| {});
                for (n, row) in new.iter().enumerate() {
                    let id = first + n as i64;
                    ids.insert(key(row.event), id);
                    inserted_now.insert(id);
                }
            }
            old
        } else {
            prepared.rows.clone()
        };
        run_each!(dialect, upsert_rows.chunks(per_statement).map(|chunk| upsert_events(chunk))
            => query_as.fetch_all(&mut *$tx), |written: Vec<(i64, String, String)>| {
            ids.extend(
                written
                    .into_iter()
                    .map(|(id, source, event_id)| ((source, event_id), id)),
            );
        });
        // Targets of events that were there before are replaced: an upsert may have updated an
        // event another delivery stated before.
        let mut replaced = Vec::new();
        let mut targets = Vec::new();
        for row in &prepared.rows {
            let ev = row.event;
            let Some(&id) = ids.get(&key(ev)) else {
                return Err(StoreError::Corrupt {
                    table: "events",
                    id: 0,
                    reason: format!("event {:?} was not written", ev.source_event_id),
                });
            };
            kept.insert(id);
            if !inserted_now.contains(&id) {
                replaced.push(id);
            }
            targets.extend(ev.targets.iter().enumerate().map(|(n, t)| (id, n as i64, t)));
        }
        run_each!(dialect, replaced.chunks(prepared.ids_per_statement).map(|chunk| {
                let mut clear = Sql::new("delete from event_targets where event_id in ");
                clear.id_list(chunk);
                clear
            })
            => query.execute(&mut *$tx), |_done: _| {});
        run_each!(dialect, targets
            .chunks(prepared.targets_per_statement)
            .map(|part| insert_targets(dialect.insert, part))
            => query.execute(&mut *$tx), |_done: _| {});
        if !fresh {
            for chunk in prepared.normalized.chunks(prepared.ids_per_statement) {
                // Events these deliveries no longer yield (only after a normalizer change).
                let mut find = Sql::new("select id from events where delivery_id in ");
                find.id_list(chunk);
                let present: Vec<(i64,)> =
                    run!(dialect, find => query_as.fetch_all(&mut *$tx))?;
                let stale: Vec<i64> = present
                    .into_iter()
                    .map(|(id,)| id)
                    .filter(|id| !kept.contains(id))
                    .collect();
                if !stale.is_empty() {
                    for table_column in ["event_targets where event_id", "events where id"] {
                        let mut delete = Sql::new(&format!("delete from {table_column} in "));
                        delete.id_list(&stale);
                        run!(dialect, delete => query.execute(&mut *$tx))?;
                    }
                }
                let mut mark = Sql::new(
                    "update deliveries set status = 'normalized', error = null, event_count = \
                     (select count(*) from events e where e.delivery_id = deliveries.id) where id in ",
                );
                mark.id_list(chunk);
                run!(dialect, mark => query.execute(&mut *$tx))?;
            }
        }
        if !prepared.grant_work.deliveries.is_empty() {
            record_grants!($tx, &prepared.grant_work);
        }
        $crate::store::people::record_people!($tx, dialect, &prepared.people);
        for chunk in prepared
            .containment
            .chunks(dialect.rows_per_statement($crate::store::access::PARENT_ROW_VALUES))
        {
            let upsert = $crate::store::access::upsert_parents(chunk);
            run!(dialect, upsert => query.execute(&mut *$tx))?;
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
