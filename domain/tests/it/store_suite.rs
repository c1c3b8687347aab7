//! The store suite: ingest, idempotency, filters, keyset paging, reprocessing and tokens, each
//! against real sample data, on both engines.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::fixtures;
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::grant::{
    Grant, GrantChange, GrantFilter, GrantOp, GrantSnapshot, Principal, Resource, ANY,
};
use domain::import::{self, ImportKind, ImportOptions};
use domain::ingest::{self, GithubRequest, Ingested, Tally};
use domain::model::{DeliveryStatus, EventFilter, Role, Source};
use domain::normalize::Normalized;
use domain::signature::{github_signature, Secrets};
use domain::store::{
    IncomingDelivery, NormalizeOutcome, NormalizedBatch, Store, StoreError, StoredDelivery,
};
use std::collections::HashSet;
use std::path::PathBuf;

const SECRET: &str = "store-suite-secret";

crate::on_both_engines!(
    every_github_fixture_ingests_once,
    cloudtrail_import_is_idempotent_and_reports_bad_files,
    filters_and_keyset_paging_agree,
    failed_deliveries_are_kept_and_reprocessing_never_duplicates,
    event_detail_carries_the_raw_payload,
    tokens_are_hashed_unique_and_revocable,
    day_counts_match_the_events,
    a_retry_finishes_a_delivery_left_pending,
    grants_follow_changes_snapshots_and_reprocessing,
    removals_that_do_not_name_a_permission_close_what_was_held,
    ignored_deliveries_keep_their_reason,
    every_source_imports_its_fixtures_once,
    people_imports_update_people_and_move_accounts,
    terraform_plans_are_stored_without_their_secrets,
);

/// (event header, path) of every GitHub webhook fixture.
fn github_fixtures() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for root in ["github/webhooks", "github/webhooks-ghes-3.5"] {
        for event_dir in std::fs::read_dir(fixtures().join(root)).unwrap() {
            let event_dir = event_dir.unwrap().path();
            let event = event_dir
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            for file in std::fs::read_dir(&event_dir).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_some_and(|e| e == "json") {
                    out.push((event.clone(), file));
                }
            }
        }
    }
    out.sort();
    out
}

fn github_request(event: &str, delivery: &str, body: Vec<u8>) -> GithubRequest {
    GithubRequest {
        event: Some(event.to_owned()),
        delivery: Some(delivery.to_owned()),
        signature: Some(github_signature(SECRET.as_bytes(), &body)),
        headers: vec![("user-agent".into(), "GitHub-Hookshot/test".into())],
        received_at: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
        body,
    }
}

async fn ingest_github_fixtures(store: &Store) -> Tally {
    let secrets = Secrets::from_comma_separated(SECRET);
    let mut tally = Tally::default();
    for (i, (event, path)) in github_fixtures().into_iter().enumerate() {
        let body = std::fs::read(&path).unwrap();
        let delivery = ingest::github_delivery(
            &secrets,
            github_request(&event, &format!("fixture-{i}"), body),
        )
        .unwrap();
        tally.add(&ingest::ingest(store, vec![delivery]).await.unwrap());
    }
    tally
}

async fn count_events(store: &Store) -> usize {
    let mut cursor: Option<String> = None;
    let mut n = 0;
    loop {
        let page = store
            .list_events(&EventFilter::default(), cursor.as_deref(), 500)
            .await
            .unwrap();
        n += page.events.len();
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return n,
        }
    }
}

async fn every_github_fixture_ingests_once(store: &Store) {
    let files = github_fixtures().len() as u64;
    assert!(files > 250, "only {files} GitHub fixtures found");
    let first = ingest_github_fixtures(store).await;
    assert_eq!(first.new, files);
    assert_eq!(first.failed, 0, "every fixture normalizes");
    assert!(first.events >= files, "at least one event per delivery");
    let stored = count_events(store).await as u64;
    assert_eq!(stored, first.events);

    // Redelivery of everything: same delivery ids, nothing new.
    let again = ingest_github_fixtures(store).await;
    assert_eq!(again.duplicates, files);
    assert_eq!(again.new, 0);
    assert_eq!(count_events(store).await as u64, stored);

    let health = store.ingest_health(10).await.unwrap();
    let github = health
        .sources
        .iter()
        .find(|s| s.source == Source::Github)
        .unwrap();
    assert_eq!(github.normalized as u64, files);
    assert_eq!(github.failed, 0);
}

async fn cloudtrail_import_is_idempotent_and_reports_bad_files(store: &Store) {
    let dir = fixtures().join("aws-cloudtrail/stratus-red-team-detonation-logs");
    let tmp = tempfile::tempdir().unwrap();
    let truncated = tmp.path().join("truncated.json");
    std::fs::write(&truncated, br#"{"Records":[{"eventID":"cut-1","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}},{"eventID":"#).unwrap();
    let paths = vec![dir.clone(), truncated.clone()];

    let first = import::import_cloudtrail(store, &paths, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(first.failed_files.len(), 1, "{:?}", first.failed_files);
    assert_eq!(first.failed_files[0].0, truncated);
    assert!(first.files > 30);
    // The record before the cut still made it in.
    let cut = store
        .list_events(
            &EventFilter {
                q: Some("getobject".into()),
                actor: Some("root".into()),
                ..EventFilter::default()
            },
            None,
            50,
        )
        .await
        .unwrap();
    let cut = cut
        .events
        .iter()
        .find(|e| e.source_event_id == "cut-1")
        .expect("the record before the cut");
    // An imported event was received when its delivery was (the import binds that time with
    // the row; this checks the value, which a lookup would give too).
    let detail = store.event_detail(cut.id).await.unwrap().unwrap();
    assert_eq!(detail.event.received_at, detail.delivery.received_at);
    assert!(detail.delivery.received_at > Utc::now() - Duration::minutes(10));
    assert!(first.tally.new > 300);
    assert_eq!(first.tally.failed, 0);

    let second = import::import_cloudtrail(store, &[dir], &mut |_| {})
        .await
        .unwrap();
    assert_eq!(second.tally.new, 0);
    assert_eq!(second.tally.duplicates, first.tally.records - 1);
    assert!(second.failed_files.is_empty());

    // Imports write with the WAL checkpointed beside them; every connection they used is
    // back in the pool with the usual threshold, so later writers checkpoint as before.
    if let Store::Sqlite(pool) = store {
        let mut held = Vec::new();
        for _ in 0..pool.size() {
            held.push(pool.acquire().await.unwrap());
        }
        for conn in &mut held {
            let (pages,): (i64,) = sqlx::query_as("pragma wal_autocheckpoint")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(pages, 4096);
        }
    }
}

async fn filters_and_keyset_paging_agree(store: &Store) {
    ingest_github_fixtures(store).await;
    import::import_cloudtrail(
        store,
        &[fixtures().join("aws-cloudtrail/invictus-aws_dataset")],
        &mut |_| {},
    )
    .await
    .unwrap();
    let total = count_events(store).await;

    // Paging with a small page visits every event once, newest first.
    let mut seen = HashSet::new();
    let mut timeline: Vec<(i64, String)> = Vec::new();
    let mut last: Option<(chrono::DateTime<Utc>, i64)> = None;
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list_events(&EventFilter::default(), cursor.as_deref(), 37)
            .await
            .unwrap();
        for e in &page.events {
            assert!(seen.insert(e.id), "event {} twice", e.id);
            timeline.push((e.id, e.action.clone()));
            if let Some(prev) = last {
                assert!((e.occurred_at, e.id) < prev, "not newest first");
            }
            last = Some((e.occurred_at, e.id));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);

    let all = store
        .list_events(&EventFilter::default(), None, 500)
        .await
        .unwrap()
        .events;
    let by_source = |source| EventFilter {
        source: Some(source),
        ..EventFilter::default()
    };
    let github = store
        .list_events(&by_source(Source::Github), None, 500)
        .await
        .unwrap();
    assert!(github.events.iter().all(|e| e.source == Source::Github));
    assert!(!github.events.is_empty());

    // Actor, action prefix and target filters return exactly the matching events.
    let actor = all
        .iter()
        .find(|e| e.source == Source::Cloudtrail)
        .unwrap()
        .actor
        .name
        .clone();
    let page = store
        .list_events(
            &EventFilter {
                actor: Some(actor.clone()),
                ..EventFilter::default()
            },
            None,
            500,
        )
        .await
        .unwrap();
    assert!(!page.events.is_empty());
    assert!(page
        .events
        .iter()
        .all(|e| e.actor.name == actor || e.actor.id.as_deref() == Some(&actor)));

    let page = store
        .list_events(
            &EventFilter {
                action: Some("repo.*".into()),
                ..EventFilter::default()
            },
            None,
            500,
        )
        .await
        .unwrap();
    assert!(!page.events.is_empty());
    assert!(page.events.iter().all(|e| e.action.starts_with("repo.")));
    // A prefix is answered by one scan per action, merged: paging through it in small pages
    // gives exactly the matching events of the whole timeline, in its order.
    let expected: Vec<i64> = timeline
        .iter()
        .filter(|(_, action)| action.starts_with("repo."))
        .map(|(id, _)| *id)
        .collect();
    let actions: HashSet<&str> = timeline
        .iter()
        .filter(|(_, action)| action.starts_with("repo."))
        .map(|(_, action)| action.as_str())
        .collect();
    assert!(
        actions.len() > 1,
        "several actions share the prefix: {actions:?}"
    );
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list_events(
                &EventFilter {
                    action: Some("repo.*".into()),
                    ..EventFilter::default()
                },
                cursor.as_deref(),
                7,
            )
            .await
            .unwrap();
        paged.extend(page.events.iter().map(|e| e.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, expected);
    let none = store
        .list_events(
            &EventFilter {
                action: Some("no.such.action.*".into()),
                ..EventFilter::default()
            },
            None,
            50,
        )
        .await
        .unwrap();
    assert!(none.events.is_empty() && none.next_cursor.is_none());

    let target = all
        .iter()
        .flat_map(|e| e.targets.iter())
        .next()
        .unwrap()
        .name
        .clone();
    let page = store
        .list_events(
            &EventFilter {
                target: Some(target.clone()),
                ..EventFilter::default()
            },
            None,
            500,
        )
        .await
        .unwrap();
    assert!(page.events.iter().all(|e| e
        .targets
        .iter()
        .any(|t| t.name == target || t.id.as_deref() == Some(&target))));
    assert!(!page.events.is_empty());

    // Time window: since inclusive, until exclusive.
    let pivot = all[all.len() / 2].occurred_at;
    let newer = store
        .list_events(
            &EventFilter {
                since: Some(pivot),
                ..EventFilter::default()
            },
            None,
            500,
        )
        .await
        .unwrap();
    assert!(newer.events.iter().all(|e| e.occurred_at >= pivot));
    let older = store
        .list_events(
            &EventFilter {
                until: Some(pivot),
                ..EventFilter::default()
            },
            None,
            500,
        )
        .await
        .unwrap();
    assert!(older.events.iter().all(|e| e.occurred_at < pivot));

    // Free text is case-insensitive and treats % literally.
    let page = store
        .list_events(
            &EventFilter {
                q: Some("CONSOLELOGIN".into()),
                ..EventFilter::default()
            },
            None,
            500,
        )
        .await
        .unwrap();
    assert!(page.events.iter().all(
        |e| format!("{} {} {}", e.action, e.native_action, e.summary)
            .to_lowercase()
            .contains("consolelogin")
    ));
    let none = store
        .list_events(
            &EventFilter {
                q: Some("%".into()),
                ..EventFilter::default()
            },
            None,
            500,
        )
        .await
        .unwrap();
    assert!(none.events.iter().all(|e| e.summary.contains('%')
        || e.actor.name.contains('%')
        || e.targets.iter().any(|t| t.name.contains('%'))));

    // A cursor that this server did not issue is an error, not an empty page.
    assert!(matches!(
        store
            .list_events(&EventFilter::default(), Some("garbage!"), 10)
            .await,
        Err(StoreError::BadCursor(_))
    ));
}

async fn failed_deliveries_are_kept_and_reprocessing_never_duplicates(store: &Store) {
    let secrets = Secrets::from_comma_separated(SECRET);
    ingest_github_fixtures(store).await;
    let bad = ingest::github_delivery(
        &secrets,
        github_request("push", "broken-1", b"{not json".to_vec()),
    )
    .unwrap();
    let result = ingest::ingest(store, vec![bad]).await.unwrap();
    let Ingested::New {
        delivery_id,
        events: 0,
        failure: Some(reason),
        ..
    } = &result[0]
    else {
        panic!("{result:?}")
    };
    assert!(reason.contains("JSON"), "{reason}");
    let health = store.ingest_health(10).await.unwrap();
    assert_eq!(health.recent_failures[0].id, *delivery_id);
    assert_eq!(health.recent_failures[0].status, DeliveryStatus::Failed);

    let before: Vec<_> = store
        .list_events(&EventFilter::default(), None, 500)
        .await
        .unwrap()
        .events;
    let tally = ingest::reprocess(store, false).await.unwrap();
    assert_eq!(tally.failed, 1, "the broken delivery still fails");
    let after: Vec<_> = store
        .list_events(&EventFilter::default(), None, 500)
        .await
        .unwrap()
        .events;
    assert_eq!(before.len(), after.len());
    let ids = |events: &[domain::model::Event]| events.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&before), ids(&after), "event ids stay stable");
    let only_failed = ingest::reprocess(store, true).await.unwrap();
    assert_eq!(only_failed.records, 1);
}

async fn event_detail_carries_the_raw_payload(store: &Store) {
    let secrets = Secrets::from_comma_separated(SECRET);
    let body = std::fs::read(fixtures().join("github/webhooks/member/added.payload.json")).unwrap();
    let delivery =
        ingest::github_delivery(&secrets, github_request("member", "member-1", body.clone()))
            .unwrap();
    ingest::ingest(store, vec![delivery]).await.unwrap();
    let event = store
        .list_events(&EventFilter::default(), None, 1)
        .await
        .unwrap()
        .events
        .remove(0);
    let detail = store.event_detail(event.id).await.unwrap().unwrap();
    assert_eq!(
        detail.raw,
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()
    );
    assert_eq!(detail.delivery.delivery_key, "member-1");
    assert_eq!(detail.delivery.kind.as_deref(), Some("member"));
    assert_eq!(detail.delivery.body_bytes, body.len() as i64);
    assert_eq!(
        detail.event.received_at,
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    );
    assert!(store
        .event_detail(event.id + 1_000_000)
        .await
        .unwrap()
        .is_none());
}

async fn tokens_are_hashed_unique_and_revocable(store: &Store) {
    let now = Utc::now();
    let token = domain::tokens::generate();
    let hash = domain::tokens::hash(&token);
    store
        .create_token("ci", Role::Auditor, &hash, now)
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_token("ci", Role::Viewer, &domain::tokens::hash("other"), now)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let used = store.use_token(&hash, now).await.unwrap().unwrap();
    assert_eq!((used.name.as_str(), used.role), ("ci", Role::Auditor));
    let listed = store.list_tokens().await.unwrap();
    assert!(listed[0].last_used_at.is_some());
    assert!(store
        .use_token(&domain::tokens::hash("attest_wrong"), now)
        .await
        .unwrap()
        .is_none());
    assert!(store.revoke_token("ci", now).await.unwrap());
    assert!(!store.revoke_token("ci", now).await.unwrap());
    assert!(store.use_token(&hash, now).await.unwrap().is_none());
}

async fn day_counts_match_the_events(store: &Store) {
    let dir = fixtures().join("aws-cloudtrail/stratus-red-team-detonation-logs");
    import::import_cloudtrail(store, &[dir], &mut |_| {})
        .await
        .unwrap();
    let all = store
        .list_events(&EventFilter::default(), None, 500)
        .await
        .unwrap();
    assert!(all.next_cursor.is_none(), "the fixture fits one page");
    let all = all.events;
    let since = all.iter().map(|e| e.occurred_at).min().unwrap() - Duration::days(1);
    let until = all.iter().map(|e| e.occurred_at).max().unwrap() + Duration::days(1);
    let counts = store.count_by_day(since, until).await.unwrap();
    let total: i64 = counts.iter().map(|c| c.count).sum();
    assert_eq!(total as usize, all.len());
    for c in &counts {
        let on_day = all
            .iter()
            .filter(|e| e.occurred_at.date_naive() == c.day && e.source == c.source)
            .count();
        assert_eq!(on_day as i64, c.count, "{c:?}");
    }
}

/// A delivery committed to the inbox whose events were never recorded (the database failed in
/// between) is normalized when the source retries it, and only then counts as a duplicate.
async fn a_retry_finishes_a_delivery_left_pending(store: &Store) {
    let secrets = Secrets::from_comma_separated(SECRET);
    let body = std::fs::read(fixtures().join("github/webhooks/member/added.payload.json")).unwrap();
    let delivery = || {
        ingest::github_delivery(
            &secrets,
            github_request("member", "left-pending", body.clone()),
        )
        .unwrap()
    };
    store.store_deliveries(&[delivery()]).await.unwrap();
    let health = store.ingest_health(0).await.unwrap();
    assert_eq!(health.sources[0].pending, 1);
    assert_eq!(count_events(store).await, 0);

    let retried = ingest::ingest(store, vec![delivery()]).await.unwrap();
    assert!(
        matches!(
            retried[0],
            Ingested::New {
                events: 1,
                failure: None,
                ..
            }
        ),
        "{retried:?}"
    );
    assert_eq!(count_events(store).await, 1);
    let again = ingest::ingest(store, vec![delivery()]).await.unwrap();
    assert!(matches!(again[0], Ingested::Duplicate { .. }), "{again:?}");
    assert_eq!(count_events(store).await, 1);
    let health = store.ingest_health(0).await.unwrap();
    assert_eq!(
        (health.sources[0].pending, health.sources[0].normalized),
        (0, 1)
    );

    // The import path finishes a pending delivery too, once, even when a file repeats it.
    let mut pending = delivery();
    pending.delivery_key = "left-pending-import".into();
    store.store_deliveries(&[pending.clone()]).await.unwrap();
    let batch = vec![pending.clone(), pending];
    let outcomes = ingest::normalize_all(&batch);
    let mut writer = store.bulk_writer().await.unwrap();
    let (imported, _) =
        ingest::ingest_normalized(store, &mut writer, NormalizedBatch::new(batch, outcomes))
            .await
            .unwrap();
    writer.finish().await.unwrap();
    assert!(
        matches!(
            imported.as_slice(),
            [Ingested::New { events: 1, .. }, Ingested::Duplicate { .. }]
        ),
        "{imported:?}"
    );
    let health = store.ingest_health(0).await.unwrap();
    assert_eq!(
        (health.sources[0].pending, health.sources[0].normalized),
        (0, 2)
    );
}

fn user_grant(login: &str, repo: &str, permission: &str) -> Grant {
    Grant {
        scope: "github:org:acme".into(),
        principal: Principal {
            kind: "user".into(),
            id: format!("github:user:{login}"),
            name: login.into(),
        },
        resource: Resource {
            kind: "repository".into(),
            id: format!("github:repo:acme/{repo}"),
            name: format!("acme/{repo}"),
        },
        permission: permission.into(),
        via: String::new(),
    }
}

fn change(at: DateTime<Utc>, grant: Grant, op: GrantOp) -> GrantChange {
    GrantChange {
        at,
        grant,
        op,
        evidence: "store suite".into(),
    }
}

/// Stores one delivery per key (their bodies do not matter: outcomes are recorded directly).
async fn stored(store: &Store, keys: &[&str]) -> Vec<i64> {
    let deliveries: Vec<IncomingDelivery> = keys
        .iter()
        .map(|key| IncomingDelivery {
            source: Source::Github,
            delivery_key: (*key).to_owned(),
            kind: Some("member".into()),
            received_at: Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap(),
            headers: Vec::new(),
            body: b"{}".to_vec(),
        })
        .collect();
    store
        .store_deliveries(&deliveries)
        .await
        .unwrap()
        .into_iter()
        .map(|s| match s {
            StoredDelivery::New { id } => id,
            other => panic!("{other:?}"),
        })
        .collect()
}

/// (principal name, permission, from, to) of one grant interval.
type Held = (String, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The grants matching `filter`, as [`Held`] tuples.
async fn held(store: &Store, filter: GrantFilter) -> Vec<Held> {
    store
        .grants(&filter, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|g| {
            (
                g.grant.principal.name,
                g.grant.permission,
                g.valid_from,
                g.valid_to,
            )
        })
        .collect()
}

fn as_of(at: DateTime<Utc>) -> GrantFilter {
    GrantFilter {
        as_of: Some(at),
        ..GrantFilter::default()
    }
}

async fn grants_follow_changes_snapshots_and_reprocessing(store: &Store) {
    let day = |d: u32| Utc.with_ymd_and_hms(2024, 3, d, 9, 0, 0).unwrap();
    let ids = stored(store, &["webhook-1", "snapshot-1", "webhook-late"]).await;
    let (webhook, snapshot, late) = (ids[0], ids[1], ids[2]);
    let alice = user_grant("alice", "infra", "admin");
    let bob = user_grant("bob", "infra", "write");
    let carol = user_grant("carol", "web", "read");

    // Day 1: a webhook says alice and bob gained access.
    let first = Normalized {
        grant_changes: vec![
            change(day(1), alice.clone(), GrantOp::Added),
            change(day(1), bob.clone(), GrantOp::Added),
        ],
        ..Normalized::default()
    };
    store
        .record_outcomes(&[(webhook, NormalizeOutcome::Normalized(first))])
        .await
        .unwrap();
    // Day 5: a snapshot lists alice and carol, so bob's access ended and carol's began.
    let day_five = || Normalized {
        snapshots: vec![GrantSnapshot {
            at: day(5),
            scope: "github:org:acme".into(),
            grants: vec![alice.clone(), carol.clone()],
        }],
        ..Normalized::default()
    };
    store
        .record_outcomes(&[(snapshot, NormalizeOutcome::Normalized(day_five()))])
        .await
        .unwrap();
    let names = |rows: Vec<Held>| rows.into_iter().map(|r| r.0).collect::<Vec<_>>();
    assert_eq!(names(held(store, as_of(day(2))).await), ["alice", "bob"]);
    assert_eq!(names(held(store, as_of(day(6))).await), ["alice", "carol"]);
    let bobs = GrantFilter {
        principal: Some("github:user:bob".into()),
        ..GrantFilter::default()
    };
    assert_eq!(
        held(store, bobs.clone()).await,
        [("bob".into(), "write".into(), Some(day(1)), Some(day(5)))]
    );

    // A delivery that arrives late but happened on day 3 closes alice's grant then.
    let removal = Normalized {
        grant_changes: vec![change(day(3), alice.clone(), GrantOp::Removed)],
        ..Normalized::default()
    };
    store
        .record_outcomes(&[(late, NormalizeOutcome::Normalized(removal))])
        .await
        .unwrap();
    let alices = GrantFilter {
        principal: Some("github:user:alice".into()),
        ..GrantFilter::default()
    };
    assert_eq!(
        held(store, alices).await,
        // The day-5 snapshot was compared with what was open then (alice, bob) and stored
        // only its differences, so the late removal is not undone by it until the snapshot
        // is reprocessed.
        [("alice".into(), "admin".into(), Some(day(1)), Some(day(3)))]
    );
    // Reprocessing the snapshot compares it again: alice was not open on day 5 any more, so
    // the snapshot now reopens her grant on day 5.
    store
        .record_outcomes(&[(snapshot, NormalizeOutcome::Normalized(day_five()))])
        .await
        .unwrap();
    assert_eq!(names(held(store, as_of(day(6))).await), ["alice", "carol"]);
    assert_eq!(names(held(store, as_of(day(4))).await), ["bob"]);

    // Reprocessing the first webhook with a normalizer that no longer sees bob: his only fact
    // left is the snapshot's removal, so he held it from before the records until day 5.
    let fixed = Normalized {
        grant_changes: vec![change(day(1), alice.clone(), GrantOp::Added)],
        ..Normalized::default()
    };
    store
        .record_outcomes(&[(webhook, NormalizeOutcome::Normalized(fixed))])
        .await
        .unwrap();
    assert_eq!(
        held(store, bobs).await,
        [("bob".into(), "write".into(), None, Some(day(5)))]
    );
    let health = store.ingest_health(0).await.unwrap();
    assert_eq!(
        (health.sources[0].normalized, health.sources[0].pending),
        (3, 0)
    );
}

/// (principal name, resource name, permission, from, to) of one grant interval.
type Span = (
    String,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// A grant in the acme org between any two identities.
fn edge(principal: (&str, &str), resource: (&str, &str), permission: &str) -> Grant {
    let identity = |(kind, name): (&str, &str)| {
        let id = if name == ANY {
            ANY.to_owned()
        } else {
            format!("github:{kind}:{name}")
        };
        (kind.to_owned(), id, name.to_owned())
    };
    let (principal, resource) = (identity(principal), identity(resource));
    Grant {
        scope: "github:org:acme".into(),
        principal: Principal {
            kind: principal.0,
            id: principal.1,
            name: principal.2,
        },
        resource: Resource {
            kind: resource.0,
            id: resource.1,
            name: resource.2,
        },
        permission: permission.into(),
        via: String::new(),
    }
}

async fn removals_that_do_not_name_a_permission_close_what_was_held(store: &Store) {
    let day = |d: u32| Utc.with_ymd_and_hms(2024, 4, d, 9, 0, 0).unwrap();
    let ids = stored(store, &["granted", "left-repo", "team-deleted"]).await;
    let alice_infra = edge(("user", "alice"), ("repository", "infra"), "admin");
    let bob_infra = edge(("user", "bob"), ("repository", "infra"), "write");
    let alice_platform = edge(("user", "alice"), ("team", "platform"), "maintainer");
    let platform_infra = edge(("team", "platform"), ("repository", "infra"), "write");
    let platform_web = edge(("team", "platform"), ("repository", "web"), "read");
    let platform_parent = edge(("team", "platform"), ("team", "engineering"), "child_of");
    let granted = Normalized {
        grant_changes: [
            &alice_infra,
            &bob_infra,
            &alice_platform,
            &platform_infra,
            &platform_web,
            &platform_parent,
        ]
        .into_iter()
        .map(|g| change(day(1), g.clone(), GrantOp::Added))
        .collect(),
        ..Normalized::default()
    };
    // Day 3: alice leaves infra and carol leaves web, neither removal saying as what; carol
    // held nothing Attest knew of.
    let left = Normalized {
        grant_changes: vec![
            change(
                day(3),
                edge(("user", "alice"), ("repository", "infra"), ANY),
                GrantOp::Removed,
            ),
            change(
                day(3),
                edge(("user", "carol"), ("repository", "web"), ANY),
                GrantOp::Removed,
            ),
        ],
        ..Normalized::default()
    };
    // Day 4: the platform team is deleted: everything it held and everything held on it ends.
    let deleted = Normalized {
        grant_changes: vec![
            change(
                day(4),
                edge(("team", "platform"), ("any", ANY), ANY),
                GrantOp::Removed,
            ),
            change(
                day(4),
                edge(("any", ANY), ("team", "platform"), ANY),
                GrantOp::Removed,
            ),
        ],
        ..Normalized::default()
    };
    // The grants first; then both removals in one transaction; then all three again, as a
    // reprocess records them (the removals resolved again, not doubled).
    for outcomes in [
        vec![(ids[0], granted.clone())],
        vec![(ids[1], left.clone()), (ids[2], deleted.clone())],
        vec![(ids[0], granted), (ids[1], left), (ids[2], deleted)],
    ] {
        let outcomes: Vec<_> = outcomes
            .into_iter()
            .map(|(id, n)| (id, NormalizeOutcome::Normalized(n)))
            .collect();
        store.record_outcomes(&outcomes).await.unwrap();
        let all: Vec<Span> = store
            .grants(&GrantFilter::default(), 100)
            .await
            .unwrap()
            .into_iter()
            .map(|g| {
                (
                    g.grant.principal.name,
                    g.grant.resource.name,
                    g.grant.permission,
                    g.valid_from,
                    g.valid_to,
                )
            })
            .collect();
        let row = |p: &str, r: &str, perm: &str, from, to| {
            (p.to_owned(), r.to_owned(), perm.to_owned(), from, to)
        };
        let mut expected = vec![
            row("alice", "infra", "admin", Some(day(1)), Some(day(3))),
            row(
                "alice",
                "platform",
                "maintainer",
                Some(day(1)),
                Some(day(4)),
            ),
            row("bob", "infra", "write", Some(day(1)), None),
            row(
                "platform",
                "engineering",
                "child_of",
                Some(day(1)),
                Some(day(4)),
            ),
            row("platform", "infra", "write", Some(day(1)), Some(day(4))),
            row("platform", "web", "read", Some(day(1)), Some(day(4))),
        ];
        if outcomes.len() == 1 {
            expected = expected
                .into_iter()
                .map(|(p, r, perm, from, _)| (p, r, perm, from, None))
                .collect();
        } else {
            // What carol held is not known, only that it ended on day 3.
            expected.insert(3, row("carol", "web", ANY, None, Some(day(3))));
        }
        let mut all = all;
        all.sort();
        expected.sort();
        assert_eq!(
            all,
            expected,
            "after recording {} deliveries",
            outcomes.len()
        );
    }
}

async fn ignored_deliveries_keep_their_reason(store: &Store) {
    let ids = stored(store, &["ping-1"]).await;
    store
        .record_outcomes(&[(
            ids[0],
            NormalizeOutcome::Normalized(Normalized::ignored("a ping, not an event")),
        )])
        .await
        .unwrap();
    let health = store.ingest_health(5).await.unwrap();
    assert_eq!(
        (health.sources[0].ignored, health.sources[0].normalized),
        (1, 0)
    );
    let summary = store.delivery_summary(ids[0]).await.unwrap().unwrap();
    assert_eq!(summary.status, DeliveryStatus::Ignored);
    assert_eq!(summary.error.as_deref(), Some("a ping, not an event"));
    // Ignored deliveries are not failures.
    assert!(health.recent_failures.is_empty());
}

/// Imports `paths` (below the fixtures folder) as `kind` and checks the import's promises: the
/// files listed in `rejected` (and only those) are refused as a whole with a reason, everything
/// else is stored and yields something, and a second import stores nothing new.
async fn import_fixture_kind(
    store: &Store,
    kind: ImportKind,
    options: &ImportOptions,
    paths: &[&str],
    rejected: &[&str],
) -> Tally {
    let paths: Vec<PathBuf> = paths.iter().map(|p| fixtures().join(p)).collect();
    let first = import::import_files(store, kind, options, &paths, &mut |_| {})
        .await
        .unwrap();
    let mut refused: Vec<String> = first
        .failed_files
        .iter()
        .map(|(path, reason)| {
            assert!(!reason.is_empty());
            path.strip_prefix(fixtures())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    refused.sort();
    assert_eq!(refused, rejected, "{kind:?}: files refused as a whole");
    let t = &first.tally;
    assert!(t.records > 0 && t.new > 0, "{kind:?}: {t:?}");
    assert!(
        t.events + t.grant_changes + t.snapshot_grants > 0,
        "{kind:?} yields nothing: {t:?}"
    );
    let again = import::import_files(store, kind, options, &paths, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        (again.tally.new, again.tally.records),
        (0, t.records),
        "{kind:?}: a second import is all duplicates"
    );
    first.tally
}

async fn every_source_imports_its_fixtures_once(store: &Store) {
    let none = ImportOptions::default();
    let gcp = import_fixture_kind(store, ImportKind::Gcp, &none, &["gcp-audit"], &[]).await;
    assert!(gcp.grant_changes > 0, "SetIamPolicy deltas: {gcp:?}");
    let azure = import_fixture_kind(store, ImportKind::Azure, &none, &["azure"], &[]).await;
    assert!(azure.grant_changes > 0, "role assignments: {azure:?}");
    let okta = import_fixture_kind(store, ImportKind::Okta, &none, &["okta"], &[]).await;
    assert!(okta.grant_changes > 0, "admin role grants: {okta:?}");
    let github = import_fixture_kind(
        store,
        ImportKind::GithubAudit,
        &none,
        &["github/audit-log"],
        &[],
    )
    .await;
    assert!(github.grant_changes > 0, "{github:?}");
    // Panther's GitLab files are a Rails request log and trimmed fragments, not audit exports.
    import_fixture_kind(
        store,
        ImportKind::GitlabAudit,
        &none,
        &[
            "gitlab/audit-event-streaming-docs",
            "gitlab/panther-analysis-tests",
        ],
        &[
            "gitlab/panther-analysis-tests/gitlab-audit.jsonl",
            "gitlab/panther-analysis-tests/gitlab-production.jsonl",
        ],
    )
    .await;
    let plans = import_fixture_kind(
        store,
        ImportKind::TerraformPlan,
        &ImportOptions {
            commit: Some("0123abc".into()),
            ..ImportOptions::default()
        },
        &["terraform/plan-json"],
        &[],
    )
    .await;
    assert_eq!(plans.records, 6);
    let iam = import_fixture_kind(store, ImportKind::AwsIam, &none, &["aws-iam"], &[]).await;
    assert!(iam.snapshot_grants > 100, "{iam:?}");
    let policy = import_fixture_kind(
        store,
        ImportKind::GcpIam,
        &ImportOptions {
            resource: Some("projects/gcpdiag-apigee1-aaaa".into()),
            ..ImportOptions::default()
        },
        &["gcp-iam/gcpdiag-test-data/apigee1.iam-policy.json"],
        &[],
    )
    .await;
    assert!(policy.snapshot_grants > 0, "{policy:?}");

    // Snapshots and changes became intervals: the GCP project's policy is held now.
    let held_now = store
        .grants(
            &GrantFilter {
                scope: Some("gcp:project:gcpdiag-apigee1-aaaa".into()),
                as_of: Some(Utc::now()),
                ..GrantFilter::default()
            },
            1000,
        )
        .await
        .unwrap();
    assert_eq!(held_now.len() as u64, policy.snapshot_grants);
    assert!(held_now.iter().all(|g| g.valid_to.is_none()));
}

async fn people_imports_update_people_and_move_accounts(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    let import_people = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        async move {
            import::import_files(
                store,
                ImportKind::People,
                &ImportOptions::default(),
                &[path],
                &mut |_| {},
            )
            .await
            .unwrap()
        }
    };
    let first = import_people(
        "people.csv",
        "email,name,manager,department,github,aws\n\
         alice@example.com,\"Smith, Alice\",bob@example.com,Platform,alice-gh,alice\n\
         bob@example.com,Bob,,Platform,,bob\n",
    )
    .await;
    assert_eq!((first.tally.new, first.tally.failed), (1, 0), "{first:?}");
    let alice = store.person("Alice@Example.com").await.unwrap().unwrap();
    assert_eq!(alice.name, "Smith, Alice");
    assert_eq!(alice.manager_email.as_deref(), Some("bob@example.com"));
    assert_eq!(alice.accounts.len(), 2);

    // The same file again changes nothing.
    let again = import_people(
        "same.csv",
        &std::fs::read_to_string(dir.path().join("people.csv")).unwrap(),
    )
    .await;
    assert_eq!((again.tally.new, again.tally.duplicates), (0, 1));

    // A newer file: Alice changes manager, her GitHub login moves to Carol, Bob is not listed
    // (kept as he was).
    let newer = import_people(
        "newer.json",
        r#"[{"email": "alice@example.com", "name": "Alice Smith", "manager": "carol@example.com"},
            {"email": "carol@example.com", "name": "Carol", "accounts": {"github": "alice-gh"}}]"#,
    )
    .await;
    assert_eq!(newer.tally.new, 1);
    let alice = store.person("alice@example.com").await.unwrap().unwrap();
    assert_eq!(
        (alice.name.as_str(), alice.manager_email.as_deref()),
        ("Alice Smith", Some("carol@example.com"))
    );
    assert!(
        alice.accounts.is_empty(),
        "the newer file names no accounts for her: {alice:?}"
    );
    let carol = store.person("carol@example.com").await.unwrap().unwrap();
    assert_eq!(carol.accounts.len(), 1);
    let everyone = store.people(None, None, 10).await.unwrap();
    let emails: Vec<&str> = everyone.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(
        emails,
        ["alice@example.com", "bob@example.com", "carol@example.com"]
    );
    assert_eq!(
        store
            .people(None, Some("alice@example.com"), 1)
            .await
            .unwrap()[0]
            .email,
        "bob@example.com"
    );
    // Searched by name or e-mail, any case; `%` and `_` are plain characters.
    let found = |q: &'static str| async move {
        let people = store.people(Some(q), None, 10).await.unwrap();
        people.into_iter().map(|p| p.email).collect::<Vec<_>>()
    };
    assert_eq!(found("SMITH").await, ["alice@example.com"]);
    assert_eq!(found("carol@").await, ["carol@example.com"]);
    assert_eq!(
        found("Alice-GH").await,
        ["carol@example.com"],
        "by an account"
    );
    assert!(found("%").await.is_empty());

    // A bad file is kept in the inbox with its reason and changes no one.
    let bad = import_people(
        "bad.csv",
        "email,name\nalice@example.com,Renamed\n,Nobody\n",
    )
    .await;
    assert_eq!(bad.tally.failed, 1, "{bad:?}");
    let alice = store.person("alice@example.com").await.unwrap().unwrap();
    assert_eq!(alice.name, "Alice Smith");
    let failures = store.ingest_health(10).await.unwrap().recent_failures;
    assert!(
        failures.iter().any(|d| d.source == Source::People
            && d.error
                .as_deref()
                .is_some_and(|e| e.contains("line 3 has no e-mail"))),
        "{failures:?}"
    );
}

async fn terraform_plans_are_stored_without_their_secrets(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let plan = serde_json::json!({
        "format_version": "1.2",
        "timestamp": "2024-01-02T03:04:05Z",
        "resource_changes": [{
            "address": "aws_iam_access_key.ci", "mode": "managed",
            "type": "aws_iam_access_key", "name": "ci",
            "change": {"actions": ["create"], "before": null,
                       "after": {"user": "ci", "secret": "s3cr3t-never-stored"},
                       "after_sensitive": {"secret": true}, "after_unknown": {}}
        }],
        "variables": {"token": {"value": "variable-never-stored"}},
        "configuration": {"root_module": {"variables": {"token": {"sensitive": true}}}}
    });
    std::fs::write(&path, serde_json::to_vec(&plan).unwrap()).unwrap();
    let (options, paths) = (ImportOptions::default(), [path]);
    let mut tallies = Vec::new();
    for _ in 0..2 {
        let summary = import::import_files(
            store,
            ImportKind::TerraformPlan,
            &options,
            &paths,
            &mut |_| {},
        )
        .await
        .unwrap();
        tallies.push(summary.tally);
    }
    assert_eq!((tallies[0].new, tallies[0].events), (1, 1), "{tallies:?}");
    // Keyed by the file's own bytes: the same file again is a duplicate.
    assert_eq!(tallies[1].duplicates, 1);

    let filter = EventFilter {
        source: Some(Source::Terraform),
        ..EventFilter::default()
    };
    let page = store.list_events(&filter, None, 10).await.unwrap();
    let detail = store
        .event_detail(page.events[0].id)
        .await
        .unwrap()
        .unwrap();
    let shown = serde_json::to_string(&detail).unwrap();
    assert!(shown.contains("aws_iam_access_key.ci"));
    for secret in ["s3cr3t-never-stored", "variable-never-stored"] {
        assert!(!shown.contains(secret), "{secret} is shown");
    }
    let body = store
        .delivery_body(detail.delivery.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!String::from_utf8_lossy(&body).contains("never-stored"));
}
