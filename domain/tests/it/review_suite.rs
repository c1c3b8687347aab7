//! The access-review story, on both engines: a quarterly campaign over admin grants is launched
//! by the scheduler, two managers decide (one in bulk), one misses the due date (the default and
//! the lockout guard apply), revokes are verified or fail against later snapshots, one comes
//! back (regressed, reviewed again), and the ledger holds every step and catches edits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::import::{self, ImportKind, ImportOptions};
use domain::ingest::{self, GithubRequest};
use domain::ledger::Problem;
use domain::review::notice::{Notice, NoticeKind};
use domain::review::owners::parse_codeowners;
use domain::review::{
    CampaignDefinition, CampaignScope, Decision, LogKind, OnNoResponse, Recurrence,
    RemediationStatus, ReviewItem, ReviewerRule, RoundStatus, Stage,
};
use domain::signature::{github_signature, Secrets};
use domain::store::reviews::{codeowners_origin, Decider};
use domain::store::{Store, StoreError};
use serde_json::json;

crate::on_both_engines!(
    a_quarterly_admin_review_from_launch_to_verified_revokes,
    owners_route_items_and_stages_hand_on,
);

const SECRET: &str = "review-suite-secret";

fn at(m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap()
}

/// An org snapshot of `acme` (id 1) at `when`: `admins` and `members` of the org, and the
/// repository acme/infra (id 100) with `collaborators` (login, admin?).
async fn snapshot(
    store: &Store,
    when: DateTime<Utc>,
    admins: &[(&str, u64)],
    members: &[(&str, u64)],
    teams: serde_json::Value,
    collaborators: &[(&str, u64, bool)],
) {
    let user =
        |(login, id): &(&str, u64), role: &str| json!({"login": login, "id": id, "role": role});
    let mut people: Vec<_> = admins.iter().map(|u| user(u, "admin")).collect();
    people.extend(members.iter().map(|u| user(u, "member")));
    let snapshot = json!({
        "org": {"login": "acme", "id": 1, "default_repository_permission": "none"},
        "taken_at": when.to_rfc3339(),
        "members": people,
        "teams": teams,
        "repos": [{"id": 100, "full_name": "acme/infra",
                   "collaborators": collaborators.iter().map(|(login, id, admin)| json!({
                       "login": login, "id": id,
                       "permissions": {"admin": admin, "push": true, "pull": true}})).collect::<Vec<_>>(),
                   "deploy_keys": []}],
        "outside_collaborators": [],
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("org-{}.json", when.timestamp()));
    std::fs::write(&file, serde_json::to_vec(&snapshot).unwrap()).unwrap();
    import_file(store, ImportKind::GithubOrg, &file).await;
}

async fn import_file(store: &Store, kind: ImportKind, file: &std::path::Path) {
    let summary = import::import_files(
        store,
        kind,
        &ImportOptions::default(),
        &[file.to_path_buf()],
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(summary.failed_files.is_empty(), "{summary:?}");
}

async fn people(store: &Store, csv: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    std::fs::write(&file, csv).unwrap();
    import_file(store, ImportKind::People, &file).await;
}

/// A push by `login` to acme/infra at `when`, as GitHub sends it.
async fn push(store: &Store, login: &str, user_id: u64, when: DateTime<Utc>) {
    let stamp = when.to_rfc3339();
    let body = serde_json::to_vec(&json!({
        "ref": "refs/heads/main", "before": "0000000000000000000000000000000000000000",
        "after": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "created": false, "deleted": false, "forced": false, "base_ref": null,
        "compare": "https://github.com/acme/infra/compare/a...b",
        "commits": [{"id": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "message": "Tune the VPC",
                     "timestamp": stamp, "author": {"name": login, "email": format!("{login}@example.com"), "username": login}}],
        "head_commit": {"id": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "message": "Tune the VPC",
                        "timestamp": stamp, "author": {"name": login, "email": format!("{login}@example.com"), "username": login}},
        "repository": {"id": 100, "name": "infra", "full_name": "acme/infra", "private": true,
                       "owner": {"login": "acme", "id": 1, "type": "Organization"}},
        "organization": {"login": "acme", "id": 1},
        "pusher": {"name": login, "email": format!("{login}@example.com")},
        "sender": {"login": login, "id": user_id, "type": "User"},
    }))
    .unwrap();
    let request = GithubRequest {
        event: Some("push".to_owned()),
        delivery: Some(format!("push-{login}-{}", when.timestamp())),
        signature: Some(github_signature(SECRET.as_bytes(), &body)),
        headers: Vec::new(),
        received_at: when,
        body,
    };
    let delivery =
        ingest::github_delivery(&Secrets::from_comma_separated(SECRET), request).unwrap();
    ingest::ingest(store, vec![delivery]).await.unwrap();
}

fn definition(first_launch: DateTime<Utc>) -> CampaignDefinition {
    CampaignDefinition {
        description: "Who administers acme on GitHub".into(),
        scope: CampaignScope {
            privileged_only: true,
            ..CampaignScope::default()
        },
        ..CampaignDefinition::by_managers(
            "Quarterly admin review",
            "security@example.com",
            first_launch,
        )
    }
}

fn manager(email: &str) -> Decider {
    Decider {
        actor: email.to_owned(),
        email: Some(email.to_owned()),
        may_act_for_others: false,
    }
}

fn by_holder<'a>(items: &'a [ReviewItem], login: &str) -> &'a ReviewItem {
    items
        .iter()
        .find(|i| i.grant.principal.name == login && i.outcome.is_none())
        .unwrap_or_else(|| panic!("no open item for {login}: {items:#?}"))
}

const PEOPLE: &str = "email,name,manager,department,github\n\
    mia@example.com,Mia,,Platform,mia\n\
    max@example.com,Max,,Data,\n\
    ada@example.com,Ada,mia@example.com,Platform,ada\n\
    bob@example.com,Bob,mia@example.com,Platform,bob\n\
    erin@example.com,Erin,mia@example.com,Platform,erin\n\
    carol@example.com,Carol,max@example.com,Data,carol\n\
    dan@example.com,Dan,max@example.com,Data,dan\n";

async fn a_quarterly_admin_review_from_launch_to_verified_revokes(store: &Store) {
    // Audit logs from December on; Bob pushed to infra ten days before the launch.
    push(store, "ada", 11, at(1, 2) - Duration::days(40)).await;
    push(store, "bob", 12, at(3, 22)).await;
    people(store, PEOPLE).await;
    let admins = [("ada", 11), ("bob", 12), ("erin", 15), ("carol", 13)];
    snapshot(
        store,
        at(1, 1) - Duration::days(30),
        &admins,
        &[("dan", 14)],
        json!([]),
        &[("dan", 14, true)],
    )
    .await;

    let campaign = store
        .create_campaign(&definition(at(4, 1)), "security@example.com", at(3, 1))
        .await
        .unwrap();
    // Nothing is due before the planned launch; at it, the scheduler launches once.
    assert!(store
        .launch_due_campaigns(at(3, 31))
        .await
        .unwrap()
        .is_empty());
    let launched = store.launch_due_campaigns(at(4, 1)).await.unwrap();
    assert_eq!(launched.len(), 1);
    assert!(store
        .launch_due_campaigns(at(4, 1))
        .await
        .unwrap()
        .is_empty());
    let round_id = launched[0];
    let planned = store.campaign(campaign).await.unwrap().unwrap();
    assert_eq!(planned.next_launch_at, Some(at(7, 1)));

    // The population: every privileged grant held at launch, frozen with its evidence.
    let round = store.round(round_id, at(4, 1)).await.unwrap().unwrap();
    assert_eq!(round.population, 5);
    assert_eq!(round.population_hash.len(), 64);
    let items = store.round_items(round_id).await.unwrap();
    let mut frozen: Vec<(&str, &str, &str, Option<&str>)> = items
        .iter()
        .map(|i| {
            (
                i.grant.principal.name.as_str(),
                i.grant.resource.name.as_str(),
                i.grant.permission.as_str(),
                i.reviewer.as_deref(),
            )
        })
        .collect();
    frozen.sort();
    assert_eq!(
        frozen,
        [
            ("ada", "acme", "admin", Some("mia@example.com")),
            ("bob", "acme", "admin", Some("mia@example.com")),
            ("carol", "acme", "admin", Some("max@example.com")),
            ("dan", "acme/infra", "admin", Some("max@example.com")),
            ("erin", "acme", "admin", Some("mia@example.com")),
        ]
    );
    let bob = by_holder(&items, "bob");
    assert_eq!(
        bob.holder.as_ref().unwrap().department.as_deref(),
        Some("Platform")
    );
    assert_eq!(bob.usage.last_used_at, Some(at(3, 22)));
    assert!(bob.usage.on_resource, "{:?}", bob.usage);
    assert!(bob.usage.what.contains("acme/infra"), "{:?}", bob.usage);
    assert_eq!(bob.recommendation.decision, Decision::Keep);
    assert_eq!(
        bob.recommendation.reason,
        format!("used 10 days ago: {}", bob.usage.what)
    );
    let carol = by_holder(&items, "carol");
    assert_eq!(carol.usage.last_used_at, None);
    assert_eq!(carol.recommendation.decision, Decision::Revoke);
    assert_eq!(carol.recommendation.reason, "no use in 120 days");
    let ada = by_holder(&items, "ada");
    assert_eq!(ada.recommendation.decision, Decision::Revoke);
    assert!(
        ada.recommendation
            .reason
            .starts_with("no use in 129 days (last: "),
        "{:?}",
        ada.recommendation
    );
    assert!(!ada.granted_how.is_empty(), "{ada:?}");

    // Mia's inbox holds her three; Max's his two.
    let mia_items = store.reviews_for("Mia@example.com").await.unwrap();
    assert_eq!(mia_items.len(), 3);
    assert_eq!(store.reviews_for("max@example.com").await.unwrap().len(), 2);

    // Refusals: a revoke without the justification the campaign asks for, someone else's item,
    // and nobody may decide their own access, even an admin acting for others.
    let mia = manager("mia@example.com");
    let erin = by_holder(&items, "erin").id;
    let refused = store
        .decide_items(&[erin], Decision::Revoke, " ", &mia, at(4, 2))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(ref m)) if m.contains("justification")),
        "{refused:?}"
    );
    let refused = store
        .decide_items(&[carol.id], Decision::Keep, "", &mia, at(4, 2))
        .await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(_))),
        "{refused:?}"
    );
    let carol_herself = Decider {
        actor: "carol@example.com".into(),
        email: Some("carol@example.com".into()),
        may_act_for_others: true,
    };
    let refused = store
        .decide_items(&[carol.id], Decision::Keep, "", &carol_herself, at(4, 2))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(ref m)) if m.contains("own access")),
        "{refused:?}"
    );

    // Mia: a bulk keep of Ada and Bob (first a revoke of Ada, changed), a revoke of Erin.
    store
        .decide_items(&[ada.id], Decision::Revoke, "left the team", &mia, at(4, 2))
        .await
        .unwrap();
    assert_eq!(
        store
            .decide_items(&[ada.id, bob.id], Decision::Keep, "", &mia, at(4, 3))
            .await
            .unwrap(),
        2
    );
    store
        .decide_items(
            &[erin],
            Decision::Revoke,
            "moved to sales in March",
            &mia,
            at(4, 3),
        )
        .await
        .unwrap();
    let log = store.item_log(ada.id).await.unwrap();
    // The round's log, read at once, holds the same entries per item.
    let round_log = store.round_log(round_id).await.unwrap();
    assert_eq!(round_log.get(&ada.id), Some(&log));
    assert!(round_log
        .values()
        .flatten()
        .all(|e| items.iter().any(|i| i.id == e.item_id)));
    let steps: Vec<(LogKind, Option<Decision>)> =
        log.iter().map(|e| (e.kind, e.decision)).collect();
    assert_eq!(
        steps,
        [
            (LogKind::Decision, Some(Decision::Revoke)),
            (LogKind::Decision, Some(Decision::Keep))
        ]
    );
    // Mia's items are decided but open until the stage closes; Max did nothing.
    let progress = store
        .round(round_id, at(4, 10))
        .await
        .unwrap()
        .unwrap()
        .progress;
    assert_eq!(
        (progress.items, progress.decided, progress.overdue),
        (5, 3, 0)
    );
    let progress = store
        .round(round_id, at(4, 16))
        .await
        .unwrap()
        .unwrap()
        .progress;
    assert_eq!(progress.overdue, 2);

    // The due date passes: Max's two take the default (the recommendation: revoke), but Dan is
    // the only admin of acme/infra, so the guard keeps him.
    assert_eq!(store.close_due_rounds(at(4, 10)).await.unwrap(), 0);
    assert_eq!(store.close_due_rounds(at(4, 16)).await.unwrap(), 1);
    let round = store.round(round_id, at(4, 16)).await.unwrap().unwrap();
    assert_eq!(round.status, RoundStatus::Closed);
    let items = store.round_items(round_id).await.unwrap();
    let outcome = |login: &str| {
        let item = items
            .iter()
            .find(|i| i.grant.principal.name == login)
            .unwrap();
        (item.outcome, item.remediation)
    };
    assert_eq!(outcome("ada"), (Some(Decision::Keep), None));
    assert_eq!(outcome("bob"), (Some(Decision::Keep), None));
    assert_eq!(
        outcome("erin"),
        (Some(Decision::Revoke), Some(RemediationStatus::Open))
    );
    assert_eq!(
        outcome("carol"),
        (Some(Decision::Revoke), Some(RemediationStatus::Open))
    );
    assert_eq!(outcome("dan"), (Some(Decision::Keep), None));
    let dan = items
        .iter()
        .find(|i| i.grant.principal.name == "dan")
        .unwrap();
    let guard = store.item_log(dan.id).await.unwrap();
    assert_eq!(guard.last().unwrap().kind, LogKind::Guard);
    assert!(guard
        .last()
        .unwrap()
        .comment
        .contains("last privileged holder of acme/infra"));
    assert!(store
        .reviews_for("max@example.com")
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store
            .decide_items(&[ada.id], Decision::Revoke, "late", &mia, at(4, 17))
            .await,
        Err(StoreError::Conflict(_))
    ));

    // Erin is removed by the next snapshot; Carol is not: after a three-day grace she fails.
    let after = [("ada", 11), ("bob", 12), ("carol", 13)];
    snapshot(
        store,
        at(4, 18),
        &after,
        &[("dan", 14)],
        json!([]),
        &[("dan", 14, true)],
    )
    .await;
    let report = store
        .verify_remediations(Duration::days(3), at(4, 20))
        .await
        .unwrap();
    assert_eq!(
        (report.verified, report.failed, report.regressed),
        (1, 1, 0)
    );
    let items = store.round_items(round_id).await.unwrap();
    let erin_item = items
        .iter()
        .find(|i| i.grant.principal.name == "erin")
        .unwrap();
    assert_eq!(erin_item.remediation, Some(RemediationStatus::Verified));
    assert!(
        erin_item
            .remediation_note
            .starts_with("removed 2026-04-18 09:00 UTC: "),
        "{}",
        erin_item.remediation_note
    );
    assert_eq!(erin_item.remediation_at, Some(at(4, 18)));
    let carol_item = items
        .iter()
        .find(|i| i.grant.principal.name == "carol")
        .unwrap();
    assert_eq!(carol_item.remediation, Some(RemediationStatus::Failed));

    // Then Carol goes, and Erin is made admin again: verified, and regressed with a new item.
    let later = [("ada", 11), ("bob", 12), ("erin", 15)];
    snapshot(
        store,
        at(5, 1),
        &later,
        &[("dan", 14)],
        json!([]),
        &[("dan", 14, true)],
    )
    .await;
    let report = store
        .verify_remediations(Duration::days(3), at(5, 2))
        .await
        .unwrap();
    assert_eq!(
        (report.verified, report.failed, report.regressed),
        (1, 0, 1)
    );
    let again = store
        .verify_remediations(Duration::days(3), at(5, 3))
        .await
        .unwrap();
    assert_eq!(again, Default::default());
    let items = store.round_items(round_id).await.unwrap();
    let erins: Vec<&ReviewItem> = items
        .iter()
        .filter(|i| i.grant.principal.name == "erin")
        .collect();
    assert_eq!(erins.len(), 2);
    assert_eq!(
        erins
            .iter()
            .filter(|i| i.remediation == Some(RemediationStatus::Regressed))
            .count(),
        1
    );
    let revisit = erins.iter().find(|i| i.regression).unwrap();
    assert_eq!(revisit.reviewer.as_deref(), Some("mia@example.com"));
    assert_eq!(revisit.recommendation.decision, Decision::Revoke);
    assert_eq!(revisit.granted_at, Some(at(5, 1)));
    assert_eq!(store.reviews_for("mia@example.com").await.unwrap().len(), 1);
    let progress = store
        .round(round_id, at(5, 2))
        .await
        .unwrap()
        .unwrap()
        .progress;
    assert_eq!(
        (progress.verified, progress.regressed, progress.items),
        (1, 1, 6)
    );

    // The round had closed: it opens again for the new item, for the campaign's duration, and
    // the alarm goes to Mia and to the fallback reviewer, once.
    let reopened = store.round(round_id, at(5, 2)).await.unwrap().unwrap();
    assert_eq!(reopened.status, RoundStatus::Open);
    let until = at(5, 2) + Duration::days(i64::from(reopened.definition.duration_days));
    assert_eq!(reopened.stage_due_at, until);
    assert_eq!(revisit.due_at, until);
    let alarms = |notices: Vec<Notice>| -> Vec<(String, String)> {
        notices
            .into_iter()
            .filter(|n| n.kind == NoticeKind::Regression)
            .map(|n| (n.to, n.day))
            .collect()
    };
    let pending = store.pending_notices(at(5, 2)).await.unwrap();
    let day = format!("item-{}", revisit.id);
    assert_eq!(
        alarms(pending.clone()),
        [
            ("mia@example.com".to_owned(), day.clone()),
            ("security@example.com".to_owned(), day.clone())
        ]
    );
    let sent: Vec<&Notice> = pending.iter().collect();
    store
        .record_notices_sent(&sent, "email", at(5, 2))
        .await
        .unwrap();
    assert!(alarms(store.pending_notices(at(5, 3)).await.unwrap()).is_empty());

    // Mia revokes it again; the reopened stage closes on its due date with a new task.
    store
        .decide_items(
            &[revisit.id],
            Decision::Revoke,
            "granted again without a ticket",
            &manager("mia@example.com"),
            at(5, 3),
        )
        .await
        .unwrap();
    assert_eq!(store.close_due_rounds(at(5, 4)).await.unwrap(), 0);
    assert_eq!(
        store
            .close_due_rounds(until + Duration::hours(1))
            .await
            .unwrap(),
        1
    );
    let closed = store.review_item(revisit.id).await.unwrap().unwrap();
    assert_eq!(
        (closed.outcome, closed.remediation),
        (Some(Decision::Revoke), Some(RemediationStatus::Open))
    );
    let round = store.round(round_id, until).await.unwrap().unwrap();
    assert_eq!(round.status, RoundStatus::Closed);

    // The evidence CSV says what was decided, by whom, and what became of each revoke.
    let items = store.round_items(round_id).await.unwrap();
    // The round's charts: progress per reviewer, and (one stage only) remediation per source.
    let charts = domain::chart::round_charts(&round, &items, until).unwrap();
    let captions: Vec<&str> = charts.iter().map(|(caption, _)| *caption).collect();
    assert_eq!(
        captions,
        ["Progress per reviewer", "Remediation of revokes per source"]
    );
    assert!(
        charts[1]
            .1
            .contains("remediation of revokes; 1 verified, 0 failed, 1 regressed"),
        "{}",
        charts[1].1
    );
    let csv = domain::export::review_items_csv(&round, &items);
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut rows: Vec<(String, String, String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let cell = |name: &str| r[column(name)].to_owned();
            (
                cell("principal"),
                cell("decision"),
                cell("decided_by"),
                cell("outcome"),
                cell("remediation"),
            )
        })
        .collect();
    rows.sort();
    let row = |p: &str, d: &str, by: &str, o: &str, r: &str| {
        (
            p.to_owned(),
            d.to_owned(),
            by.to_owned(),
            o.to_owned(),
            r.to_owned(),
        )
    };
    assert_eq!(
        rows,
        [
            row("ada", "keep", "mia@example.com", "keep", ""),
            row("bob", "keep", "mia@example.com", "keep", ""),
            row("carol", "", "", "revoke", "verified"),
            row("dan", "", "", "keep", ""),
            row("erin", "revoke", "mia@example.com", "revoke", "open"),
            row("erin", "revoke", "mia@example.com", "revoke", "regressed"),
        ]
    );

    // The ledger holds the round and every step, and names any of them edited.
    let report = store.verify_ledger(None, &[]).await.unwrap();
    assert!(report.is_sound(), "{report:?}");
    tamper(
        store,
        &format!(
            "update review_items set permission = 'read' where id = {}",
            dan.id
        ),
    )
    .await;
    tamper(
        store,
        &format!(
            "update review_log set comment = 'ok' where item_id = {} and kind = 'decision'",
            erin
        ),
    )
    .await;
    let report = store.verify_ledger(None, &[]).await.unwrap();
    let changed: Vec<String> = report
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::RecordChanged { subject, .. } => Some(subject.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(changed.len(), 2, "{report:?}");
    assert!(
        changed.contains(&format!("review_rounds/{round_id}")),
        "{changed:?}"
    );
    assert!(
        changed.iter().any(|s| s.starts_with("review_log/")),
        "{changed:?}"
    );

    // Down from May to November: the July and October launches were missed; one launch
    // catches up and the next is planned by the calendar.
    let caught_up = store.launch_due_campaigns(at(11, 15)).await.unwrap();
    assert_eq!(caught_up.len(), 1);
    assert!(store
        .launch_due_campaigns(at(11, 16))
        .await
        .unwrap()
        .is_empty());
    let planned = store.campaign(campaign).await.unwrap().unwrap();
    assert_eq!(
        planned.next_launch_at,
        Some(Utc.with_ymd_and_hms(2027, 1, 1, 9, 0, 0).unwrap())
    );
}

/// Resource owners from CODEOWNERS and team maintainers route a two-stage campaign: stage one
/// goes to the repository's owner, revokes go on to the security team in stage two; someone
/// who owns their own grant never reviews it.
async fn owners_route_items_and_stages_hand_on(store: &Store) {
    people(store, PEOPLE).await;
    let teams = json!([{"id": 10, "slug": "platform", "parent": null,
        "members": [{"login": "mia", "id": 20, "role": "maintainer"}, {"login": "bob", "id": 12, "role": "member"}],
        "repos": [{"id": 100, "full_name": "acme/infra", "role_name": "admin"}]}]);
    snapshot(
        store,
        at(1, 5),
        &[("ada", 11)],
        &[("bob", 12), ("dan", 14)],
        teams,
        &[("dan", 14, true), ("bob", 12, false)],
    )
    .await;
    let codeowners =
        parse_codeowners("acme/infra", b"# owners\n* @ada\n/docs/ docs@example.com\n").unwrap();
    assert!(codeowners.problems.is_empty(), "{:?}", codeowners.problems);
    let rule = domain::review::owners::OwnerRule {
        pattern: "acme/infra".into(),
        owners: codeowners.repository_owners.clone(),
        note: "CODEOWNERS".into(),
    };
    store
        .import_owners(
            &codeowners_origin("acme/infra"),
            &[rule],
            "cli:test",
            at(1, 6),
        )
        .await
        .unwrap();

    let mut definition = definition(at(2, 1));
    definition.name = "Infra access".into();
    definition.recurrence = Recurrence::Once;
    definition.scope = CampaignScope {
        resources: "acme/*".into(),
        ..CampaignScope::default()
    };
    definition.on_no_response = OnNoResponse::Keep;
    definition.stages = vec![
        Stage {
            reviewer: ReviewerRule::ResourceOwner,
            named: vec![],
            advance: vec![Decision::Revoke],
        },
        Stage {
            reviewer: ReviewerRule::Named,
            named: vec!["dan@example.com".into(), "security@example.com".into()],
            advance: vec![],
        },
    ];
    let campaign = store
        .create_campaign(&definition, "security@example.com", at(1, 7))
        .await
        .unwrap();
    let round_id = store
        .launch_campaign(campaign, None, "security@example.com", at(2, 1))
        .await
        .unwrap();
    assert_eq!(
        store
            .campaign(campaign)
            .await
            .unwrap()
            .unwrap()
            .next_launch_at,
        None
    );
    let items = store.round_items(round_id).await.unwrap();
    let routed: Vec<(&str, &str, Option<&str>, &str)> = items
        .iter()
        .map(|i| {
            (
                i.grant.principal.name.as_str(),
                i.grant.resource.name.as_str(),
                i.reviewer.as_deref(),
                i.reviewer_rule.as_str(),
            )
        })
        .collect();
    // Grants on the repository go to its CODEOWNER (Ada), team membership to the team's
    // maintainer (Mia), and Mia's own maintainer grant to the fallback reviewer.
    assert!(
        routed.contains(&(
            "dan",
            "acme/infra",
            Some("ada@example.com"),
            "resource_owner"
        )),
        "{routed:?}"
    );
    assert!(
        routed.contains(&(
            "bob",
            "acme/platform",
            Some("mia@example.com"),
            "resource_owner"
        )),
        "{routed:?}"
    );
    assert!(
        routed.contains(&(
            "mia",
            "acme/platform",
            Some("security@example.com"),
            "fallback"
        )),
        "{routed:?}"
    );

    let ada = manager("ada@example.com");
    let dan = items
        .iter()
        .find(|i| i.grant.principal.name == "dan" && i.grant.resource.name == "acme/infra")
        .unwrap();
    store
        .decide_items(
            &[dan.id],
            Decision::Revoke,
            "contractor left",
            &ada,
            at(2, 2),
        )
        .await
        .unwrap();
    store
        .delegate_item(
            items
                .iter()
                .find(|i| i.grant.principal.name == "bob" && i.grant.resource.name == "acme/infra")
                .unwrap()
                .id,
            "max@example.com",
            "Max runs that team now",
            &ada,
            at(2, 2),
        )
        .await
        .unwrap();
    let report = store
        .close_stage(round_id, "security@example.com", at(2, 5))
        .await
        .unwrap();
    assert_eq!(report.advanced, 1);
    assert!(!report.round_closed);
    let round = store.round(round_id, at(2, 5)).await.unwrap().unwrap();
    assert_eq!((round.stage, round.status), (2, RoundStatus::Open));
    // A campaign of two stages gets a chart per stage: the item sent on sits in stage 2.
    let items = store.round_items(round_id).await.unwrap();
    let charts = domain::chart::round_charts(&round, &items, at(2, 5)).unwrap();
    let (caption, stages) = &charts[1];
    assert_eq!(*caption, "Progress per stage");
    let in_stage_one = items.iter().filter(|i| i.stage == 1).count();
    assert!(
        stages.contains(&format!(
            "by stage: Stage 1: {in_stage_one} items, Stage 2: 1 item"
        )),
        "{stages}"
    );
    // Stage two's first named reviewer is Dan, the holder: it goes to the next one.
    let dan = store.review_item(dan.id).await.unwrap().unwrap();
    assert_eq!(
        (dan.stage, dan.reviewer.as_deref(), dan.decision),
        (2, Some("security@example.com"), None)
    );
    let report = store
        .close_stage(round_id, "security@example.com", at(2, 20))
        .await
        .unwrap();
    assert!(report.round_closed);
    // Unanswered in stage two, the default (keep) applies.
    let dan = store.review_item(dan.id).await.unwrap().unwrap();
    assert_eq!(dan.outcome, Some(Decision::Keep));
    assert!(matches!(
        store
            .close_stage(round_id, "security@example.com", at(2, 21))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.verify_ledger(None, &[]).await.unwrap().is_sound());
}

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
