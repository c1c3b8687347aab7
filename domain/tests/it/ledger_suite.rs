//! The ledger suite, on both engines: every stored delivery is recorded in the same
//! transaction, and `verify_ledger` finds each kind of tampering done to the database directly,
//! naming the entry or record.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::fixtures;
use chrono::{TimeZone, Utc};
use domain::import;
use domain::ingest::{self, GithubRequest};
use domain::ledger::{Problem, SigningKey};
use domain::model::Role;
use domain::signature::{github_signature, Secrets};
use domain::store::ledger::LedgerReport;
use domain::store::{Decision, Store};

const SECRET: &str = "ledger-suite-secret";

crate::on_both_engines!(
    every_stored_delivery_is_recorded_once,
    edited_and_missing_records_are_named,
    edited_removed_and_reordered_entries_are_named,
    deliveries_written_around_attest_are_found,
    a_cut_tail_is_found_against_an_exported_checkpoint,
    decisions_by_hand_are_recorded_and_checked,
    tokens_made_or_revived_around_attest_are_found,
    webhook_secrets_are_recorded_and_a_changed_one_is_refused_and_named,
);

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// Runs SQL on the store's own connection, as someone with database access would.
async fn tamper(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => {
            sqlx::query(sql).execute(pool).await.unwrap();
        }
        Store::Postgres(pool) => {
            sqlx::query(sql).execute(pool).await.unwrap();
        }
    }
}

/// The one number `sql` selects.
async fn number(store: &Store, sql: &str) -> i64 {
    let (n,): (i64,) = match store {
        Store::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
        Store::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
    };
    n
}

async fn webhook(store: &Store, delivery: &str, fixture: &str) {
    let body = std::fs::read(fixtures().join("github/webhooks").join(fixture)).unwrap();
    let request = GithubRequest {
        event: Some("push".to_owned()),
        delivery: Some(delivery.to_owned()),
        signature: Some(github_signature(SECRET.as_bytes(), &body)),
        headers: Vec::new(),
        received_at: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
        body,
    };
    let delivery =
        ingest::github_delivery(&Secrets::from_comma_separated(SECRET), request).unwrap();
    ingest::ingest(store, vec![delivery]).await.unwrap();
}

/// Three webhooks, then a CloudTrail file import (29 records): the ledger's deliveries 1–3
/// and 4–32, the first time. Returns how many entries were added.
async fn fill(store: &Store) -> u64 {
    let before = store.verify_ledger(None, &[]).await.unwrap().size;
    for n in 1..=3 {
        webhook(store, &format!("d-{n}"), "push/payload.json").await;
    }
    let file = fixtures().join(
        "aws-cloudtrail/stratus-red-team-detonation-logs/aws.execution.ssm-start-session.json",
    );
    import::import_cloudtrail(store, &[file], &mut |_| {})
        .await
        .unwrap();
    store.verify_ledger(None, &[]).await.unwrap().size - before
}

async fn verify(store: &Store) -> LedgerReport {
    store
        .verify_ledger(Some(&key().verifying_key()), &[])
        .await
        .unwrap()
}

async fn every_stored_delivery_is_recorded_once(store: &Store) {
    let empty = verify(store).await;
    assert!(empty.is_sound() && empty.size == 0, "{empty:?}");
    assert_eq!(
        store.checkpoint_if_grown(&key(), Utc::now()).await.unwrap(),
        None
    );
    let stored = fill(store).await;
    assert_eq!(stored, 32);
    // A redelivery and a re-import store nothing, and record nothing.
    webhook(store, "d-2", "push/payload.json").await;
    assert_eq!(fill(store).await, 0);
    let report = verify(store).await;
    assert!(report.is_sound(), "{report:?}");
    assert_eq!(report.size, stored);
    assert_eq!(report.deliveries_checked, stored);
    assert_eq!(report.deliveries_before_ledger, 0);

    // A checkpoint signs the head, once: the ledger has not grown since.
    let checkpoint = store
        .checkpoint_if_grown(&key(), Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checkpoint.size, stored);
    assert_eq!(
        store.checkpoint_if_grown(&key(), Utc::now()).await.unwrap(),
        None
    );
    webhook(store, "d-9", "push/payload.json").await;
    let report = verify(store).await;
    assert!(report.is_sound(), "{report:?}");
    assert_eq!((report.size, report.checkpoints), (stored + 1, 1));
    // Without the public key the checkpoint is not checked, and the report says so.
    let keyless = store.verify_ledger(None, &[]).await.unwrap();
    assert_eq!((keyless.checkpoints, keyless.checkpoints_unchecked), (0, 1));
    // Signed by another key, the stored checkpoint is refused.
    let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
    let report = store.verify_ledger(Some(&other), &[]).await.unwrap();
    assert_eq!(
        report.problems,
        vec![Problem::BadSignature { size: stored }]
    );
}

async fn edited_and_missing_records_are_named(store: &Store) {
    fill(store).await;
    // A delivery's body edited (its stored digest too, to hide it).
    tamper(
        store,
        "update deliveries set body = body || body, body_sha256 = 'x' where id = 2",
    )
    .await;
    // Another's key changed.
    tamper(
        store,
        "update deliveries set delivery_key = 'forged' where id = 5",
    )
    .await;
    let report = verify(store).await;
    assert_eq!(
        report.problems,
        vec![
            Problem::RecordChanged {
                seq: 2,
                subject: "deliveries/2".into()
            },
            Problem::RecordChanged {
                seq: 5,
                subject: "deliveries/5".into()
            },
        ]
    );
    // A delivery deleted, with its events.
    tamper(
        store,
        "delete from event_targets where event_id in (select id from events where delivery_id = 3)",
    )
    .await;
    tamper(store, "delete from events where delivery_id = 3").await;
    tamper(store, "delete from deliveries where id = 3").await;
    let report = verify(store).await;
    assert_eq!(
        report.problems[1],
        Problem::RecordMissing {
            seq: 3,
            subject: "deliveries/3".into()
        }
    );
    assert_eq!(
        report.problems[1].to_string(),
        "deliveries/3, recorded by entry 3, is gone"
    );
}

async fn edited_removed_and_reordered_entries_are_named(store: &Store) {
    let size = fill(store).await;
    tamper(
        store,
        "update ledger set subject = 'deliveries/999' where seq = 2",
    )
    .await;
    assert_eq!(
        verify(store).await.problems,
        vec![
            Problem::Edited { seq: 2 },
            Problem::RecordMissing {
                seq: 2,
                subject: "deliveries/999".into()
            },
            // And delivery 2 is recorded nowhere now.
            Problem::Unrecorded {
                subject: "deliveries/2".into()
            },
        ]
    );
    tamper(
        store,
        "update ledger set subject = 'deliveries/2' where seq = 2",
    )
    .await;
    assert!(verify(store).await.is_sound());

    // Entry 4 removed: a gap, and delivery 4 no longer recorded.
    tamper(store, "delete from ledger where seq = 4").await;
    assert_eq!(
        verify(store).await.problems,
        vec![
            Problem::Missing {
                expected: 4,
                found: 5
            },
            Problem::Unrecorded {
                subject: "deliveries/4".into()
            },
        ]
    );

    // Two entries swapped (each keeping its number).
    tamper(store, "update ledger set seq = -6 where seq = 6").await;
    tamper(store, "update ledger set seq = 6 where seq = 7").await;
    tamper(store, "update ledger set seq = 7 where seq = -6").await;
    let problems = verify(store).await.problems;
    assert!(
        problems.contains(&Problem::Edited { seq: 6 }),
        "{problems:?}"
    );
    assert!(
        problems.contains(&Problem::Edited { seq: 7 }),
        "{problems:?}"
    );
    assert_eq!(size, 32);
}

async fn deliveries_written_around_attest_are_found(store: &Store) {
    fill(store).await;
    let id = number(store, "select max(id) + 1 from deliveries").await;
    tamper(
        store,
        &format!(
            "insert into deliveries (id, source, delivery_key, received_at_us, headers, body, \
             body_sha256, status) values ({id}, 'github', 'slipped-in', 0, '{{}}', '', '', 'normalized')"
        ),
    )
    .await;
    assert_eq!(
        verify(store).await.problems,
        vec![Problem::Unrecorded {
            subject: format!("deliveries/{id}")
        }]
    );
}

async fn a_cut_tail_is_found_against_an_exported_checkpoint(store: &Store) {
    let size = fill(store).await;
    let exported = store.checkpoint_ledger(&key(), Utc::now()).await.unwrap();
    // The last two entries, their deliveries (with events) and the stored checkpoint removed:
    // what is left is a sound chain.
    for id in [size - 1, size] {
        tamper(
            store,
            &format!(
                "delete from event_targets where event_id in \
                 (select id from events where delivery_id = {id})"
            ),
        )
        .await;
        tamper(
            store,
            &format!("delete from events where delivery_id = {id}"),
        )
        .await;
        tamper(store, &format!("delete from deliveries where id = {id}")).await;
        tamper(store, &format!("delete from ledger where seq = {id}")).await;
    }
    tamper(store, "delete from ledger_checkpoints").await;
    assert!(verify(store).await.is_sound());
    let report = store
        .verify_ledger(Some(&key().verifying_key()), &[exported])
        .await
        .unwrap();
    assert_eq!(
        report.problems,
        vec![Problem::Truncated {
            checkpoint_size: size,
            ledger_size: size - 2
        }]
    );
}

/// A people import (one delivery), then two decisions by hand: each recorded after it, and a
/// decision's reason rewritten afterwards is named.
async fn decisions_by_hand_are_recorded_and_checked(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    let people = dir.path().join("people.csv");
    std::fs::write(
        &people,
        "email,name,github\nalice@example.com,Alice,alice\nali@example.com,Ali,ali-gh\n",
    )
    .unwrap();
    let summary = import::import_files(
        store,
        import::ImportKind::People,
        &import::ImportOptions::default(),
        &[people],
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.tally.new, 1);
    let decision = |reason| Decision {
        actor: "cli:auditor",
        role: "cli",
        ip: "",
        reason,
        at: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    };
    store
        .merge_people(
            "alice@example.com",
            "ali@example.com",
            decision("same person"),
        )
        .await
        .unwrap();
    store
        .split_people(
            "alice@example.com",
            "ali@example.com",
            decision("not after all"),
        )
        .await
        .unwrap();
    // A refused decision records nothing.
    assert!(store
        .split_people("alice@example.com", "ali@example.com", decision("again"))
        .await
        .is_err());
    // The import; then each decision and its line in Attest's audit log.
    let report = verify(store).await;
    assert!(report.is_sound(), "{report:?}");
    assert_eq!(report.size, 5);

    tamper(
        store,
        "update person_link_log set reason = 'typo fixed' where action = 'merge'",
    )
    .await;
    tamper(
        store,
        "update audit_log set actor = 'someone else' where action = 'person.merge'",
    )
    .await;
    let problems = verify(store).await.problems;
    assert_eq!(problems.len(), 2, "{problems:?}");
    let Problem::RecordChanged { seq: 2, subject } = &problems[0] else {
        panic!("{problems:?}")
    };
    assert!(subject.starts_with("person_link_log/"), "{subject}");
    let Problem::RecordChanged { seq: 3, subject } = &problems[1] else {
        panic!("{problems:?}")
    };
    assert!(subject.starts_with("audit_log/"), "{subject}");
}

/// Tokens created and revoked through the store are recorded; one slipped into the table, and
/// a revoked one brought back to life, are named.
async fn tokens_made_or_revived_around_attest_are_found(store: &Store) {
    let now = Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap();
    store
        .create_token("ci", Role::Auditor, "hash-ci", now)
        .await
        .unwrap();
    store
        .create_token("old", Role::Admin, "hash-old", now)
        .await
        .unwrap();
    assert!(store.revoke_token("old", now).await.unwrap());
    // A refused creation (the name is taken) and a revocation of nothing record nothing.
    assert!(store
        .create_token("ci", Role::Admin, "hash-x", now)
        .await
        .is_err());
    assert!(!store.revoke_token("nobody", now).await.unwrap());
    let report = verify(store).await;
    assert!(report.is_sound(), "{report:?}");
    assert_eq!(report.size, 3);

    tamper(
        store,
        "insert into api_tokens (name, role, token_hash, created_at_us) \
         values ('backdoor', 'admin', 'hash-backdoor', 0)",
    )
    .await;
    tamper(
        store,
        "update api_tokens set revoked_at_us = null where name = 'old'",
    )
    .await;
    let problems = verify(store).await.problems;
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        matches!(&problems[0], Problem::RecordChanged { seq: 3, subject } if subject == "api_tokens/2"),
        "{problems:?}"
    );
    // (Postgres spent an id on the refused creation; SQLite did not.)
    let backdoor = number(store, "select id from api_tokens where name = 'backdoor'").await;
    assert_eq!(
        problems[1],
        Problem::Unrecorded {
            subject: format!("api_tokens/{backdoor}")
        }
    );
}

/// Webhook secrets made and revoked through `HookKeys` are recorded with their audit-log rows.
/// A secret slipped into the table, or one whose fingerprint was changed to a secret of the
/// intruder's choosing, is named by verify; the changed one is not accepted either, and a
/// wrong secrets key derives nothing that is accepted.
async fn webhook_secrets_are_recorded_and_a_changed_one_is_refused_and_named(store: &Store) {
    use domain::hook_secrets::{fingerprint, Changer, HookKeys, SecretsKey};
    use domain::model::HookEndpoint;
    use domain::signature::HookSecrets;
    let now = Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).unwrap();
    let key = SecretsKey::generate();
    let keys = HookKeys::load(store.clone(), HookSecrets::default(), Some(key.clone()))
        .await
        .unwrap();
    let by = Changer {
        actor: "ada@example.com".to_owned(),
        role: "admin".to_owned(),
        ip: "192.0.2.1".to_owned(),
    };
    let github = keys
        .create("gh", HookEndpoint::Github, &by, now)
        .await
        .unwrap();
    let gitlab = keys
        .create("gl", HookEndpoint::Gitlab, &by, now)
        .await
        .unwrap();
    assert_ne!(github.secret, gitlab.secret);
    assert_eq!(github.record.fingerprint, fingerprint(&github.secret));
    // Accepted at once by the endpoint it was made for, and only by that one.
    let loaded = keys.now();
    assert!(loaded.github.matches(github.secret.as_bytes()));
    assert!(!loaded.github.matches(gitlab.secret.as_bytes()));
    assert!(loaded.gitlab.matches(gitlab.secret.as_bytes()));
    // Nothing secret is stored: neither secret appears in any column.
    let stored = store.list_hook_secrets().await.unwrap();
    assert_eq!(stored.len(), 2);
    for record in &stored {
        let columns = format!("{record:?}");
        assert!(!columns.contains(&github.secret) && !columns.contains(&gitlab.secret));
    }
    // A name is taken for good; revoking twice is refused; neither records anything.
    assert!(keys
        .create("gh", HookEndpoint::Aws, &by, now)
        .await
        .is_err());
    keys.revoke("gl", &by, now).await.unwrap();
    assert!(keys.revoke("gl", &by, now).await.is_err());
    assert!(!keys.now().gitlab.matches(gitlab.secret.as_bytes()));
    let report = verify(store).await;
    assert!(report.is_sound(), "{report:?}");
    // Two creations and a revocation, each with its audit-log row.
    assert_eq!(report.size, 6);
    let actions = store.actions(&Default::default(), 10).await.unwrap();
    let names: Vec<&str> = actions.actions.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        names,
        [
            "hook_secret.revoke",
            "hook_secret.create",
            "hook_secret.create"
        ]
    );

    // Another key derives other secrets: the stored fingerprints refuse them.
    let other = HookKeys::load(
        store.clone(),
        HookSecrets::default(),
        Some(SecretsKey::generate()),
    )
    .await
    .unwrap();
    assert!(other.now().github.is_empty());

    // Someone with database access, without the key, points "gh" at a secret of their own,
    // adds another row for it, and brings the revoked "gl" back.
    let chosen = "intruders-own-secret";
    tamper(
        store,
        &format!(
            "update hook_secrets set fingerprint = '{}' where name = 'gh'",
            fingerprint(chosen)
        ),
    )
    .await;
    tamper(
        store,
        &format!(
            "insert into hook_secrets (name, endpoint, salt, fingerprint, created_by, \
             created_at_us) values ('backdoor', 'github', 'x', '{}', 'nobody', 0)",
            fingerprint(chosen)
        ),
    )
    .await;
    tamper(
        store,
        "update hook_secrets set revoked_at_us = null where name = 'gl'",
    )
    .await;
    // None of them is accepted: the fingerprints are not the key's, and the ledger says "gl"
    // was revoked.
    keys.reload().await.unwrap();
    let loaded = keys.now();
    assert!(
        loaded.github.is_empty() && loaded.gitlab.is_empty(),
        "{loaded:?}"
    );
    // And verify names each.
    let problems = verify(store).await.problems;
    let mut ids = Vec::new();
    for name in ["gh", "gl", "backdoor"] {
        let sql = format!("select id from hook_secrets where name = '{name}'");
        ids.push(number(store, &sql).await);
    }
    let [gh, gl, backdoor] = ids[..] else {
        panic!("{ids:?}")
    };
    assert_eq!(
        problems,
        vec![
            Problem::RecordChanged {
                seq: 1,
                subject: format!("hook_secrets/{gh}")
            },
            Problem::RecordChanged {
                seq: 5,
                subject: format!("hook_secrets/{gl}")
            },
            Problem::Unrecorded {
                subject: format!("hook_secrets/{backdoor}")
            },
        ]
    );
}
