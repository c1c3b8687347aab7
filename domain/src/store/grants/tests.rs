use super::*;
use chrono::TimeZone;

fn grant(principal: &str, resource: &str, permission: &str) -> Grant {
    Grant {
        scope: "github:org:acme".into(),
        principal: Principal {
            kind: "user".into(),
            id: format!("github:user:{principal}"),
            name: principal.into(),
        },
        resource: Resource {
            kind: "repository".into(),
            id: format!("github:repo:{resource}"),
            name: resource.into(),
        },
        permission: permission.into(),
        via: String::new(),
    }
}

fn fact(id: i64, at_us: i64, op: GrantOp) -> ChangeRow {
    let g = grant("alice", "infra", "admin");
    ChangeRow {
        id,
        grant_key: grant_key(&g),
        at_us,
        grant: OpenRow::from(&g),
        op: op.as_str().into(),
    }
}

fn span(from: Option<i64>, to: Option<i64>) -> (Option<i64>, Option<i64>) {
    (from, to)
}

fn spans(changes: &[ChangeRow]) -> Vec<(Option<i64>, Option<i64>)> {
    intervals(changes)
        .into_iter()
        .map(|i| (i.valid_from_us, i.valid_to_us))
        .collect()
}

#[test]
fn additions_open_and_removals_close() {
    use GrantOp::{Added, Removed};
    let facts = [fact(1, 10, Added), fact(2, 20, Removed), fact(3, 30, Added)];
    assert_eq!(
        spans(&facts),
        vec![span(Some(10), Some(20)), span(Some(30), None)]
    );
    let all = intervals(&facts);
    assert_eq!((all[0].opened_by, all[0].closed_by), (Some(1), Some(2)));
    assert_eq!((all[1].opened_by, all[1].closed_by), (Some(3), None));
}

#[test]
fn restatements_change_nothing() {
    use GrantOp::{Added, Removed};
    // A webhook and a later snapshot both say "added"; two removals of the same grant.
    let facts = [
        fact(1, 10, Added),
        fact(2, 15, Added),
        fact(3, 20, Removed),
        fact(4, 25, Removed),
    ];
    assert_eq!(spans(&facts), vec![span(Some(10), Some(20))]);
    assert_eq!(intervals(&facts)[0].opened_by, Some(1));
}

#[test]
fn a_first_removal_means_held_since_before_the_records() {
    use GrantOp::{Added, Removed};
    let facts = [fact(1, 20, Removed), fact(2, 30, Added)];
    assert_eq!(
        spans(&facts),
        vec![span(None, Some(20)), span(Some(30), None)]
    );
}

#[test]
fn unknown_ops_are_skipped() {
    let mut odd = fact(1, 10, GrantOp::Added);
    odd.op = "renamed".into();
    assert_eq!(spans(&[odd]), vec![]);
}

#[test]
fn derive_groups_facts_by_key_and_names_come_from_the_latest() {
    use GrantOp::Added;
    let mut first = fact(1, 10, Added);
    first.grant.principal_name = "alice-old".into();
    let mut other = fact(2, 12, Added);
    other.grant_key = "other".into();
    let mut later = fact(3, 20, Added);
    later.op = GrantOp::Removed.as_str().into();
    // Sorted by key, then time, as the query returns them.
    let mut rows = vec![first, later, other];
    rows.sort_by(|a, b| (&a.grant_key, a.at_us).cmp(&(&b.grant_key, b.at_us)));
    let derived = derive(&rows);
    assert_eq!(derived.len(), 2);
    let alice = derived
        .iter()
        .find(|(latest, _)| latest.grant_key != "other")
        .unwrap();
    assert_eq!(alice.0.grant.principal_name, "alice");
    assert_eq!(
        (alice.1.valid_from_us, alice.1.valid_to_us),
        (Some(10), Some(20))
    );
}

#[test]
fn a_snapshot_adds_what_is_new_and_removes_what_vanished() {
    let at = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
    let kept = grant("alice", "infra", "admin");
    let gone = grant("bob", "infra", "write");
    let new = grant("carol", "web", "read");
    let mut elsewhere = grant("dave", "web", "read");
    elsewhere.scope = "github:org:other".into();
    let snapshot = GrantSnapshot {
        at,
        scope: "github:org:acme".into(),
        grants: vec![kept.clone(), new.clone(), kept.clone(), elsewhere],
    };
    let changes = snapshot_changes(&snapshot, &[kept, gone.clone()]);
    let summary: Vec<(&str, GrantOp)> = changes
        .iter()
        .map(|c| (c.grant.principal.name.as_str(), c.op))
        .collect();
    assert_eq!(
        summary,
        vec![("carol", GrantOp::Added), ("bob", GrantOp::Removed)]
    );
    assert!(changes.iter().all(|c| c.at == at));
    assert_eq!(
        changes[1].evidence,
        "absent from the snapshot of github:org:acme taken 2024-03-01 12:00:00 UTC"
    );
    assert_eq!(out_of_scope(&snapshot), 1);
}

#[test]
fn permission_and_via_are_part_of_the_key() {
    let direct = grant("alice", "infra", "admin");
    let mut via_team = direct.clone();
    via_team.via = "team:platform".into();
    let read = grant("alice", "infra", "read");
    assert_ne!(grant_key(&direct), grant_key(&via_team));
    assert_ne!(grant_key(&direct), grant_key(&read));
    // Names are not identity: a renamed user keeps the key.
    let mut renamed = direct.clone();
    renamed.principal.name = "alice2".into();
    assert_eq!(grant_key(&direct), grant_key(&renamed));
}

#[test]
fn inserts_bind_every_value() {
    let at = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    let change = GrantChange {
        at,
        grant: grant("alice", "infra", "admin"),
        op: GrantOp::Added,
        evidence: "member.added webhook by octocat".into(),
    };
    let sql = insert_changes(&[(7, 0, &change), (7, 1, &change)]);
    assert_eq!(sql.args.len(), 30);
    assert!(sql
        .text
        .ends_with("($16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)"));
}

#[test]
fn an_open_ended_removal_closes_what_it_matches_in_its_scope_and_path() {
    let at = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    let removal = |grant: Grant| GrantChange {
        at,
        grant,
        op: GrantOp::Removed,
        evidence: "member.removed webhook by octocat".into(),
    };
    let admin = grant("alice", "infra", "admin");
    let read = grant("alice", "infra", "read");
    let mut via_team = grant("alice", "infra", "write");
    via_team.via = "team:platform".into();
    let mut other_org = grant("alice", "infra", "admin");
    other_org.scope = "github:org:elsewhere".into();
    let bobs = grant("bob", "infra", "admin");
    let open = [
        admin.clone(),
        read.clone(),
        via_team,
        other_org,
        bobs.clone(),
    ];

    let any = removal(grant("alice", "infra", ANY));
    assert!(any.is_open_ended());
    let closed: Vec<Grant> = any.resolve(&open).into_iter().map(|c| c.grant).collect();
    assert_eq!(closed, [admin.clone(), read]);
    assert!(any
        .resolve(&open)
        .iter()
        .all(|c| c.op == GrantOp::Removed && c.at == at && c.evidence == any.evidence));

    // Nothing open: kept as stated, unless it names no principal or no resource.
    assert_eq!(
        any.resolve(std::slice::from_ref(&bobs)),
        std::slice::from_ref(&any)
    );
    let mut everyone = grant("x", "infra", ANY);
    everyone.principal.id = ANY.into();
    assert_eq!(removal(everyone.clone()).resolve(&[]), []);
    let on_infra: Vec<Grant> = removal(everyone)
        .resolve(&open)
        .into_iter()
        .map(|c| c.grant)
        .collect();
    assert_eq!(on_infra.len(), 3, "alice's two direct grants and bob's");

    // A stated permission, or an addition, is not open-ended.
    assert!(!removal(admin.clone()).is_open_ended());
    let mut added = removal(grant("alice", "infra", ANY));
    added.op = GrantOp::Added;
    assert!(!added.is_open_ended());
}
