//! The ingest pipeline, shared by webhooks, file imports, the demo and `attest reprocess`:
//! store the raw delivery first (committed), then normalize it and record the events or the
//! reason it failed. A delivery is never dropped because it could not be parsed.

use crate::model::Source;
use crate::normalize::{self, RawDelivery};
use crate::signature::{self, Secrets, SignatureError};
use crate::store::{
    BulkWriter, IncomingDelivery, NormalizeOutcome, NormalizedBatch, Store, StoreError,
    StoredDelivery,
};
use chrono::{DateTime, Utc};

/// GitHub's own cap on webhook payloads; larger bodies are refused before they are buffered.
pub const GITHUB_MAX_BODY: usize = 25 * 1024 * 1024;

/// A GitHub webhook request, as the HTTP layer (or the demo) hands it over.
#[derive(Debug, Clone)]
pub struct GithubRequest {
    pub event: Option<String>,
    pub delivery: Option<String>,
    pub signature: Option<String>,
    /// Other headers worth keeping with the delivery (user agent, hook id, target).
    pub headers: Vec<(String, String)>,
    pub received_at: DateTime<Utc>,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Unauthenticated(#[from] SignatureError),
    #[error("missing or empty {0} header")]
    MissingHeader(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What happened to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// Stored now; `events`, grant changes and snapshot grants were recorded, or `failure`
    /// says why none could be, or the delivery was understood and `ignored` on purpose.
    New {
        delivery_id: i64,
        events: usize,
        grant_changes: usize,
        snapshot_grants: usize,
        failure: Option<String>,
        ignored: bool,
    },
    /// Stored before (a redelivery or a replay); nothing new was written.
    Duplicate { delivery_id: i64 },
}

/// Authenticates a GitHub request and turns it into a delivery for the inbox. Checks the
/// signature first, so an unauthenticated caller learns nothing about the headers it lacks.
pub fn github_delivery(
    secrets: &Secrets,
    request: GithubRequest,
) -> Result<IncomingDelivery, WebhookError> {
    signature::verify_github(secrets, request.signature.as_deref(), &request.body)?;
    let event = non_empty(request.event).ok_or(WebhookError::MissingHeader("X-GitHub-Event"))?;
    let delivery =
        non_empty(request.delivery).ok_or(WebhookError::MissingHeader("X-GitHub-Delivery"))?;
    let mut headers = request.headers;
    headers.push(("x-github-event".to_owned(), event.clone()));
    headers.push(("x-github-delivery".to_owned(), delivery.clone()));
    Ok(IncomingDelivery {
        source: Source::Github,
        delivery_key: delivery,
        kind: Some(event),
        received_at: request.received_at,
        headers,
        body: request.body,
    })
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Stores the deliveries (committed first), then normalizes the new ones and records the result.
/// If recording fails after the commit, the deliveries stay `pending` for `attest reprocess`.
pub async fn ingest(
    store: &Store,
    deliveries: Vec<IncomingDelivery>,
) -> Result<Vec<Ingested>, StoreError> {
    let stored = store.store_deliveries(&deliveries).await?;
    let mut outcomes = Vec::new();
    let mut results = Vec::with_capacity(stored.len());
    // A batch may hold the same delivery twice (an export that repeats a record): the second
    // is a duplicate of the first, not a second normalization of the same inbox row.
    let mut seen = std::collections::HashSet::new();
    for (delivery, stored) in deliveries.iter().zip(stored) {
        match stored {
            StoredDelivery::Duplicate { id, .. } if seen.contains(&id) => {
                results.push(Ingested::Duplicate { delivery_id: id })
            }
            StoredDelivery::Duplicate { id, pending: false } => {
                results.push(Ingested::Duplicate { delivery_id: id })
            }
            // A retry of a delivery whose events were never recorded finishes the job.
            StoredDelivery::New { id } | StoredDelivery::Duplicate { id, pending: true } => {
                seen.insert(id);
                let outcome = normalize_outcome(&RawDelivery {
                    source: delivery.source,
                    kind: delivery.kind.as_deref(),
                    delivery_key: &delivery.delivery_key,
                    received_at: delivery.received_at,
                    body: &delivery.body,
                });
                results.push(summarize(id, &outcome));
                outcomes.push((id, outcome));
            }
        }
    }
    store.record_outcomes(&outcomes).await?;
    Ok(results)
}

/// Normalizes deliveries (pure, no I/O): the first half of [`ingest_normalized`], which file
/// imports run on the thread that reads the file, so parsing overlaps with writing.
pub fn normalize_all(deliveries: &[IncomingDelivery]) -> Vec<NormalizeOutcome> {
    deliveries
        .iter()
        .map(|d| {
            normalize_outcome(&RawDelivery {
                source: d.source,
                kind: d.kind.as_deref(),
                delivery_key: &d.delivery_key,
                received_at: d.received_at,
                body: &d.body,
            })
        })
        .collect()
}

/// File imports: stores deliveries normalized beforehand (a [`NormalizedBatch`] of
/// [`normalize_all`]'s verdicts) and records them in one transaction, each new delivery
/// written once with its final status. The raw data stays in the file if the transaction
/// fails, so the commit-first rule of webhooks is not needed, and nothing is written twice. A
/// duplicate left pending by an earlier failure is finished. The batch is handed back, so
/// whoever made it can also free it.
pub async fn ingest_normalized(
    store: &Store,
    writer: &mut BulkWriter,
    batch: NormalizedBatch,
) -> Result<(Vec<Ingested>, NormalizedBatch), StoreError> {
    let stored = store.store_normalized(writer, &batch).await?;
    let mut results = Vec::with_capacity(stored.len());
    let mut unfinished = Vec::new();
    let mut finishing = std::collections::HashSet::new();
    for (stored, outcome) in stored.into_iter().zip(&batch.outcomes) {
        let summary = summarize(0, outcome);
        results.push(match stored {
            StoredDelivery::New { id } => with_id(summary, id),
            // Left pending by an earlier failure: finished now, once even if repeated here.
            StoredDelivery::Duplicate { id, pending: true } if finishing.insert(id) => {
                // The batch already holds its verdict: recorded, not normalized again.
                unfinished.push((id, outcome.clone()));
                with_id(summary, id)
            }
            StoredDelivery::Duplicate { id, .. } => Ingested::Duplicate { delivery_id: id },
        });
    }
    if !unfinished.is_empty() {
        store.record_outcomes(&unfinished).await?;
    }
    Ok((results, batch))
}

/// What a verdict amounts to, for the caller's tally.
fn summarize(delivery_id: i64, outcome: &NormalizeOutcome) -> Ingested {
    match outcome {
        NormalizeOutcome::Normalized(normalized) => Ingested::New {
            delivery_id,
            events: normalized.events.len(),
            grant_changes: normalized.grant_changes.len(),
            snapshot_grants: normalized.snapshots.iter().map(|s| s.grants.len()).sum(),
            failure: None,
            ignored: normalized.is_empty(),
        },
        NormalizeOutcome::Failed(reason) => Ingested::New {
            delivery_id,
            events: 0,
            grant_changes: 0,
            snapshot_grants: 0,
            failure: Some(reason.clone()),
            ignored: false,
        },
    }
}

fn with_id(summary: Ingested, id: i64) -> Ingested {
    match summary {
        Ingested::New {
            events,
            grant_changes,
            snapshot_grants,
            failure,
            ignored,
            ..
        } => Ingested::New {
            delivery_id: id,
            events,
            grant_changes,
            snapshot_grants,
            failure,
            ignored,
        },
        duplicate => duplicate,
    }
}

fn normalize_outcome(raw: &RawDelivery<'_>) -> NormalizeOutcome {
    match normalize::normalize(raw) {
        Ok(normalized) if normalized.is_empty() && normalized.ignored.is_none() => {
            NormalizeOutcome::Failed("the normalizer produced nothing from it".to_owned())
        }
        Ok(normalized) => NormalizeOutcome::Normalized(normalized),
        Err(err) => NormalizeOutcome::Failed(err.to_string()),
    }
}

/// Totals of an import, a demo load or a reprocess run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub records: u64,
    pub new: u64,
    pub duplicates: u64,
    /// Stored, but could not be normalized (kept with the reason).
    pub failed: u64,
    /// Understood and deliberately without events or grants (kept with the reason).
    pub ignored: u64,
    pub events: u64,
    pub grant_changes: u64,
    /// Grants listed by snapshots (most are restatements of open grants, not changes).
    pub snapshot_grants: u64,
}

impl Tally {
    pub fn add(&mut self, results: &[Ingested]) {
        for result in results {
            self.records += 1;
            match result {
                Ingested::Duplicate { .. } => self.duplicates += 1,
                Ingested::New {
                    events,
                    grant_changes,
                    snapshot_grants,
                    failure,
                    ignored,
                    ..
                } => {
                    self.new += 1;
                    self.events += *events as u64;
                    self.grant_changes += *grant_changes as u64;
                    self.snapshot_grants += *snapshot_grants as u64;
                    if failure.is_some() {
                        self.failed += 1;
                    }
                    if *ignored {
                        self.ignored += 1;
                    }
                }
            }
        }
    }
}

/// Re-runs the normalizers over stored deliveries (all, or only those not normalized), updating
/// events in place: no duplicates, and event ids stay stable.
pub async fn reprocess(store: &Store, only_unfinished: bool) -> Result<Tally, StoreError> {
    let mut tally = Tally::default();
    let mut after = 0;
    loop {
        let page = store.deliveries_after(after, 500, only_unfinished).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let outcomes: Vec<(i64, NormalizeOutcome)> = page
            .iter()
            .map(|d| {
                let outcome = normalize_outcome(&RawDelivery {
                    source: d.source,
                    kind: d.kind.as_deref(),
                    delivery_key: &d.delivery_key,
                    received_at: d.received_at,
                    body: &d.body,
                });
                (d.id, outcome)
            })
            .collect();
        for (_, outcome) in &outcomes {
            tally.records += 1;
            match outcome {
                NormalizeOutcome::Normalized(n) => {
                    tally.events += n.events.len() as u64;
                    tally.grant_changes += n.grant_changes.len() as u64;
                    tally.snapshot_grants +=
                        n.snapshots.iter().map(|s| s.grants.len()).sum::<usize>() as u64;
                    if n.is_empty() {
                        tally.ignored += 1;
                    }
                }
                NormalizeOutcome::Failed(_) => tally.failed += 1,
            }
        }
        store.record_outcomes(&outcomes).await?;
    }
    Ok(tally)
}
