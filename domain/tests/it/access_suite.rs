//! The access suite: effective access and its paths, now and at past instants, over grants
//! recorded from real sample data (GitHub webhooks, an AWS authorization export), on both
//! engines. Every expected answer is worked out by hand from the fixtures named beside it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::fixtures;
use chrono::{DateTime, TimeZone, Utc};
use domain::access::graph::{Holder, Reach};
use domain::grant::{GrantChange, GrantOp};
use domain::import::{self, ImportKind, ImportOptions};
use domain::ingest::{self, GithubRequest};
use domain::model::Source;
use domain::people::{AccountOrigin, LinkAction, PersonAccount};
use domain::signature::{github_signature, Secrets};
use domain::store::access::{ChangesOf, LIST_HOLDERS_UP_TO};
use domain::store::{Decision, Store, StoreError};

const SECRET: &str = "access-suite-secret";

crate::on_both_engines!(
    big_teams_are_counted_past_the_listing_budget,
    grants_on_a_subscription_or_project_reach_what_is_in_it,
    grants_on_an_organization_or_folder_reach_the_projects_in_it,
    people_corrected_by_hand_change_whose_accounts_are_walked,
    team_access_follows_membership_over_time,
    who_is_admin_of_the_cloudsplaining_account,
);

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 4, d, 12, 0, 0).unwrap()
}

/// Delivers one GitHub webhook fixture as if it arrived at `at`.
async fn deliver(store: &Store, event: &str, fixture: &str, at: DateTime<Utc>) {
    let body = std::fs::read(fixtures().join("github/webhooks").join(fixture)).unwrap();
    let request = GithubRequest {
        event: Some(event.to_owned()),
        delivery: Some(format!("{fixture}@{at}")),
        signature: Some(github_signature(SECRET.as_bytes(), &body)),
        headers: Vec::new(),
        received_at: at,
        body,
    };
    let delivery =
        ingest::github_delivery(&Secrets::from_comma_separated(SECRET), request).unwrap();
    let results = ingest::ingest(store, vec![delivery]).await.unwrap();
    assert_eq!(results.len(), 1);
}

/// (resource name, permission, paths) of what `who` reaches at `at`.
async fn reach(store: &Store, who: &str, at: DateTime<Utc>) -> Vec<(String, String, Vec<String>)> {
    let ids: Vec<String> = store
        .find_principals(who)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert!(!ids.is_empty(), "{who} is not found");
    let access = store.access_of(&ids, at).await.unwrap();
    assert!(!access.truncated);
    access.rows.iter().map(reach_row).collect()
}

fn reach_row(r: &Reach) -> (String, String, Vec<String>) {
    (
        r.resource.name.clone(),
        r.permission.clone(),
        r.paths.iter().map(ToString::to_string).collect(),
    )
}

/// (principal name, permission, paths) of who reaches `what` at `at`.
async fn holders(
    store: &Store,
    what: &str,
    at: DateTime<Utc>,
) -> Vec<(String, String, Vec<String>)> {
    let resources = store.find_resources(what).await.unwrap();
    assert_eq!(resources.len(), 1, "{what}: {resources:?}");
    let access = store.access_to(&resources[0].id, at).await.unwrap();
    assert!(!access.truncated);
    access.rows.iter().map(holder_row).collect()
}

fn holder_row(h: &Holder) -> (String, String, Vec<String>) {
    (
        h.principal.name.clone(),
        h.permission.clone(),
        h.paths.iter().map(ToString::to_string).collect(),
    )
}

fn expect(rows: &[(&str, &str, &[&str])]) -> Vec<(String, String, Vec<String>)> {
    rows.iter()
        .map(|(name, permission, paths)| {
            (
                name.to_string(),
                permission.to_string(),
                paths.iter().map(|p| p.to_string()).collect(),
            )
        })
        .collect()
}

/// The Octocoders org of GitHub's webhook examples: team `github` is created (day 1) and given
/// Hello-World (day 2, `permission: pull`, which GitHub shows as read); Codertocat joins the
/// team on day 3 (`membership.added`) and leaves on day 5 (`membership.removed`).
async fn team_access_follows_membership_over_time(store: &Store) {
    deliver(store, "team", "team/created.payload.json", day(1)).await;
    deliver(
        store,
        "team",
        "team/added_to_repository.payload.json",
        day(2),
    )
    .await;
    deliver(store, "membership", "membership/added.payload.json", day(3)).await;
    deliver(
        store,
        "membership",
        "membership/removed.payload.json",
        day(5),
    )
    .await;

    let through_team = "Codertocat → Octocoders/github (member) → Octocoders/Hello-World (read)";
    assert_eq!(
        reach(store, "Codertocat", day(4)).await,
        expect(&[
            ("Octocoders/Hello-World", "read", &[through_team]),
            (
                "Octocoders/github",
                "member",
                &["Codertocat → Octocoders/github (member)"]
            ),
        ])
    );
    let team_itself = (
        "Octocoders/github",
        "read",
        &["Octocoders/github → Octocoders/Hello-World (read)"][..],
    );
    assert_eq!(
        holders(store, "octocoders/hello-world", day(4)).await,
        expect(&[("Codertocat", "read", &[through_team]), team_itself])
    );
    // Before the team had the repository, and after Codertocat left the team.
    assert_eq!(reach(store, "codertocat", day(2)).await, expect(&[]));
    assert_eq!(reach(store, "codertocat", day(6)).await, expect(&[]));
    assert_eq!(
        holders(store, "Octocoders/Hello-World", day(6)).await,
        expect(&[team_itself])
    );
    // Nothing was held on day 1.
    let resources = store
        .find_resources("Octocoders/Hello-World")
        .await
        .unwrap();
    let day_one = store.access_to(&resources[0].id, day(1)).await.unwrap();
    assert!(day_one.rows.is_empty(), "{day_one:?}");

    // The grant history, newest first: Codertocat's joining and leaving the team, and the
    // repository's one grant, to the team.
    let codertocat: Vec<String> = store
        .find_principals("Codertocat")
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let history = store
        .grant_changes(ChangesOf::Principals(&codertocat), 50)
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(change_row).collect::<Vec<_>>(),
        [
            change(
                day(5),
                GrantOp::Removed,
                "Codertocat",
                "Octocoders/github",
                "member"
            ),
            change(
                day(3),
                GrantOp::Added,
                "Codertocat",
                "Octocoders/github",
                "member"
            ),
        ]
    );
    let history = store
        .grant_changes(ChangesOf::Resource(&resources[0].id), 50)
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(change_row).collect::<Vec<_>>(),
        [change(
            day(2),
            GrantOp::Added,
            "Octocoders/github",
            "Octocoders/Hello-World",
            "read"
        )]
    );
    // The newest first whatever the order of recording, and the limit holds.
    let latest = store
        .grant_changes(ChangesOf::Principals(&codertocat), 1)
        .await
        .unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].op, GrantOp::Removed);
}

type ChangeRow = (DateTime<Utc>, GrantOp, String, String, String);

fn change_row(change: &GrantChange) -> ChangeRow {
    (
        change.at,
        change.op,
        change.grant.principal.name.clone(),
        change.grant.resource.name.clone(),
        change.grant.permission.clone(),
    )
}

fn change(
    at: DateTime<Utc>,
    op: GrantOp,
    principal: &str,
    resource: &str,
    permission: &str,
) -> ChangeRow {
    (
        at,
        op,
        principal.to_owned(),
        resource.to_owned(),
        permission.to_owned(),
    )
}

/// `aws iam get-account-authorization-details` of the cloudsplaining example account
/// 200611803367.
async fn who_is_admin_of_the_cloudsplaining_account(store: &Store) {
    let path = fixtures().join("aws-iam/authorization-details/cloudsplaining-example.json");
    let summary = import_file(store, ImportKind::AwsIam, path).await;
    assert_eq!(summary.tally.failed, 0, "{summary:?}");
    let now = Utc::now();

    // obama holds AdministratorAccess himself and through the group `admin`.
    let admin_paths = [
        "obama → 200611803367 (admin via policy:AdministratorAccess)",
        "obama → admin (member) → 200611803367 (admin via policy:AdministratorAccess)",
    ];
    assert_eq!(
        reach(store, "obama", now).await,
        expect(&[
            ("200611803367", "admin", &admin_paths),
            (
                "200611803367",
                "iam_user",
                &["obama → 200611803367 (iam_user)"]
            ),
            (
                "AdministratorAccess",
                "attached",
                &[
                    "obama → AdministratorAccess (attached)",
                    "obama → admin (member) → AdministratorAccess (attached)",
                ],
            ),
            ("admin", "member", &["obama → admin (member)"]),
        ])
    );
    let obama = store.find_principals("obama").await.unwrap();
    let everything = store.access_of(&[obama[0].id.clone()], now).await.unwrap();
    assert!(everything.rows[0].everything && everything.rows[0].permission == "admin");

    // privesc-sre-role trusts user/privesc-sre-user by ARN; its policy and the group's,
    // privesc-sre-admin-policy, allow iam:* on *, which the export reader counts as admin.
    let sre = reach(store, "privesc-sre-user", now).await;
    assert_eq!(
        sre[0],
        expect(&[(
            "200611803367",
            "admin",
            &[
                "privesc-sre-user → privesc-sre-group (member) → 200611803367 (admin via policy:privesc-sre-admin-policy)",
                "privesc-sre-user → privesc-sre-role (sts:AssumeRole) → 200611803367 (admin via policy:privesc-sre-admin-policy)",
            ],
        )])[0]
    );

    // The role chain: starting-role may assume intermediate-role, which may assume
    // ending-role, which holds privesc-AssumeRole-high-priv-policy (`*` on `*`).
    let chain = reach(
        store,
        "arn:aws:iam::200611803367:role/privesc-AssumeRole-starting-role",
        now,
    )
    .await;
    assert_eq!(
        chain[0],
        expect(&[(
            "200611803367",
            "admin",
            &["privesc-AssumeRole-starting-role → privesc-AssumeRole-intermediate-role (sts:AssumeRole) → privesc-AssumeRole-ending-role (sts:AssumeRole) → 200611803367 (admin via policy:privesc-AssumeRole-high-priv-policy)"],
        )])[0]
    );

    // Who is admin of the account, and how: walking up from the account finds the role chain
    // from the SSO session that the starting role trusts, services trusted by admin roles
    // (cloudformation through the QuickSetup administration role, two hops), the SAML
    // provider of the SSO administrator role, and the account 072528804237 trusted by
    // OrganizationAccountAccessRole.
    let account = holders(store, "200611803367", now).await;
    let admin: Vec<&(String, String, Vec<String>)> =
        account.iter().filter(|row| row.1 == "admin").collect();
    let names: Vec<&str> = admin.iter().map(|row| row.0.as_str()).collect();
    for expected in [
        "obama",
        "userwithlotsofpermissions",
        "admin",
        "OrganizationAccountAccessRole",
        "072528804237",
        "AWSSSO_b937d2dff24f2774_DO_NOT_DELETE",
        "privesc-AssumeRole-starting-role",
        "privesc-sre-user",
        "cloudformation.amazonaws.com",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    // Users whose policies are neither admin nor lead to an admin role.
    for absent in [
        "biden",
        "fp3-deny-iam-user",
        "privesc-AssumeRole-start-user",
    ] {
        assert!(
            !names.contains(&absent),
            "{absent} is not an admin: {admin:?}"
        );
    }
    let path_of = |name: &str| {
        admin
            .iter()
            .find(|row| row.0 == name)
            .map(|row| row.2.clone())
            .unwrap()
    };
    assert!(path_of("cloudformation.amazonaws.com").contains(
        &"cloudformation.amazonaws.com → AWS-QuickSetup-StackSet-Local-AdministrationRole (sts:AssumeRole) → AWS-QuickSetup-StackSet-Local-ExecutionRole (sts:AssumeRole) → 200611803367 (admin via policy:AdministratorAccess)".to_owned()
    ));
    assert_eq!(path_of("userwithlotsofpermissions"), [
        "userwithlotsofpermissions → admin (member) → 200611803367 (admin via policy:AdministratorAccess)"
    ]);
    assert!(path_of("AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc/elad@codsec.io").contains(
        &"AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc/elad@codsec.io → privesc-AssumeRole-starting-role (sts:AssumeRole) → privesc-AssumeRole-intermediate-role (sts:AssumeRole) → privesc-AssumeRole-ending-role (sts:AssumeRole) → 200611803367 (admin via policy:privesc-AssumeRole-high-priv-policy)".to_owned()
    ));
}

/// A repository six teams of 180 reach (a generated org snapshot, imported as `attest import
/// github-org` does): members are listed smallest team first while the answer stays within
/// [`LIST_HOLDERS_UP_TO`] rows; the team that would pass it is a row with its count, and its
/// own answer lists every one of them.
async fn big_teams_are_counted_past_the_listing_budget(store: &Store) {
    const TEAMS: usize = 6;
    const MEMBERS: usize = 180;
    let user = |n: usize| serde_json::json!({"login": format!("u{n}"), "id": 10_000 + n, "role": "member"});
    let teams: Vec<serde_json::Value> = (0..TEAMS)
        .map(|t| {
            serde_json::json!({
                "id": 500 + t, "slug": format!("team{t}"), "parent": null,
                "members": (0..MEMBERS).map(|m| user(t * MEMBERS + m)).collect::<Vec<_>>(),
                "repos": [{"id": 900, "full_name": "big/repo", "role_name": "write"}],
            })
        })
        .collect();
    let snapshot = serde_json::json!({
        "org": {"login": "big", "id": 77, "default_repository_permission": "none"},
        "members": (0..TEAMS * MEMBERS).map(user).collect::<Vec<_>>(),
        "teams": teams,
        "repos": [{"id": 900, "full_name": "big/repo", "collaborators": [], "deploy_keys": []}],
        "outside_collaborators": [],
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.json");
    std::fs::write(&file, serde_json::to_vec(&snapshot).unwrap()).unwrap();
    let summary = import_file(store, ImportKind::GithubOrg, file).await;
    assert!(
        summary.failed_files.is_empty(),
        "{:?}",
        summary.failed_files
    );

    let now = Utc::now();
    let repo = &store.find_resources("big/repo").await.unwrap()[0];
    let access = store.access_to(&repo.id, now).await.unwrap();
    assert!(!access.truncated);
    assert!(access.rows.len() as i64 <= LIST_HOLDERS_UP_TO);
    let teams: Vec<(&str, Option<u64>)> = access
        .rows
        .iter()
        .filter(|row| row.principal.kind == "team")
        .map(|row| (row.principal.name.as_str(), row.members_not_listed))
        .collect();
    // Five teams' members fit (6 team rows + 900 people); the sixth (last by id) would not.
    assert_eq!(teams.len(), TEAMS, "{teams:?}");
    let counted: Vec<_> = teams.iter().filter(|(_, n)| n.is_some()).collect();
    assert_eq!(counted.len(), 1, "{teams:?}");
    assert_eq!(counted[0].1, Some(MEMBERS as u64));
    let people = access
        .rows
        .iter()
        .filter(|row| row.principal.kind == "user");
    assert_eq!(people.count(), (TEAMS - 1) * MEMBERS);

    // Asking about the counted team lists its members.
    let team = &store.find_resources(counted[0].0).await.unwrap()[0];
    let members = store.access_to(&team.id, now).await.unwrap();
    assert_eq!(members.rows.len(), MEMBERS);
}

/// Imports one file of `kind` as `attest import` does.
async fn import_file(
    store: &Store,
    kind: ImportKind,
    path: std::path::PathBuf,
) -> import::ImportSummary {
    import::import_files(store, kind, &ImportOptions::default(), &[path], &mut |_| {})
        .await
        .unwrap()
}

/// The names of the accounts `who` names, sorted.
async fn accounts_named(store: &Store, who: &str) -> Vec<String> {
    let mut names: Vec<String> = store
        .find_principals(who)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    names.sort();
    names.dedup();
    names
}

async fn import_people(store: &Store, dir: &std::path::Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let summary = import_file(store, ImportKind::People, path).await;
    assert_eq!(
        (summary.tally.new, summary.tally.failed),
        (1, 0),
        "{summary:?}"
    );
}

/// Over the cloudsplaining account's users: accounts linked, unlinked, people merged and split
/// by hand decide whose accounts an e-mail walks; each decision is recorded, checked, and
/// outlives a later people import.
async fn people_corrected_by_hand_change_whose_accounts_are_walked(store: &Store) {
    let path = fixtures().join("aws-iam/authorization-details/cloudsplaining-example.json");
    import_file(store, ImportKind::AwsIam, path).await;
    let dir = tempfile::tempdir().unwrap();
    let people = "email,name,manager,aws\n\
                  alice@example.com,Alice,,obama\n\
                  sre@example.com,Site Reliability,alice@example.com,privesc-sre-user\n";
    import_people(store, dir.path(), "people.csv", people).await;
    assert_eq!(accounts_named(store, "alice@example.com").await, ["obama"]);
    assert_eq!(
        accounts_named(store, "SRE@example.com").await,
        ["privesc-sre-user"]
    );

    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let by = |reason: &'static str| Decision {
        actor: "cli:tester",
        role: "cli",
        ip: "",
        reason,
        at,
    };
    let aws = |id: &str| PersonAccount {
        source: Source::Aws,
        account_id: id.to_owned(),
    };

    // The same human under two e-mails: either finds both accounts.
    let merged = store
        .merge_people(
            "alice@example.com",
            "sre@example.com",
            by("one person, two mailboxes"),
        )
        .await
        .unwrap();
    assert_eq!(merged.action, LinkAction::Merge);
    assert_eq!(merged.other_email.as_deref(), Some("sre@example.com"));
    for who in ["alice@example.com", "sre@example.com"] {
        assert_eq!(
            accounts_named(store, who).await,
            ["obama", "privesc-sre-user"],
            "{who}"
        );
    }
    // Listed once with every account: the merged e-mail has none of its own.
    let listed = store.people(None, None, 10).await.unwrap();
    let listed: Vec<(&str, usize)> = listed
        .iter()
        .map(|p| (p.email.as_str(), p.accounts.len()))
        .collect();
    assert_eq!(listed, [("alice@example.com", 2), ("sre@example.com", 0)]);
    let sre = store
        .person_profile("sre@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sre.merged_into.as_deref(), Some("alice@example.com"));
    assert!(sre.accounts.is_empty());
    let alice = store
        .person_profile("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice.merged, ["sre@example.com"]);
    assert_eq!(
        alice
            .accounts
            .iter()
            .map(|a| (a.account.account_id.as_str(), a.origin.clone()))
            .collect::<Vec<_>>(),
        [
            (
                "obama",
                AccountOrigin::Import {
                    email: "alice@example.com".into()
                }
            ),
            (
                "privesc-sre-user",
                AccountOrigin::Import {
                    email: "sre@example.com".into()
                }
            ),
        ]
    );
    assert_eq!(alice.reports, ["sre@example.com"]);

    // Unlinked: no longer hers, though the import lists it (and her e-mail still names her).
    store
        .unlink_account("alice@example.com", &aws("obama"), by("shared admin login"))
        .await
        .unwrap();
    assert_eq!(
        accounts_named(store, "alice@example.com").await,
        ["privesc-sre-user"]
    );
    let alice = store
        .person_profile("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice.taken_away, [aws("obama")]);

    // Split again: each e-mail walks its own accounts.
    store
        .split_people(
            "alice@example.com",
            "sre@example.com",
            by("two people after all"),
        )
        .await
        .unwrap();
    assert!(accounts_named(store, "alice@example.com").await.is_empty());
    assert_eq!(
        accounts_named(store, "sre@example.com").await,
        ["privesc-sre-user"]
    );

    // Linked by hand to the other person, and a later import that still lists it for Alice
    // (with a new manager) changes the import's facts but not the decision.
    let linked = store
        .link_account("sre@example.com", &aws("obama"), by("the SRE rota owns it"))
        .await
        .unwrap();
    assert_eq!(linked.other_email, None, "it was no one's after the unlink");
    import_people(
        store,
        dir.path(),
        "newer.csv",
        &people.replace("Alice,,obama", "Alice,boss@example.com,obama"),
    )
    .await;
    assert_eq!(
        accounts_named(store, "sre@example.com").await,
        ["obama", "privesc-sre-user"]
    );
    assert!(accounts_named(store, "alice@example.com").await.is_empty());
    let alice = store.person("alice@example.com").await.unwrap().unwrap();
    assert_eq!(alice.manager_email.as_deref(), Some("boss@example.com"));
    assert!(alice.accounts.is_empty(), "{alice:?}");

    // Taking it back records whose it was.
    let back = store
        .link_account("alice@example.com", &aws("obama"), by("rota ended"))
        .await
        .unwrap();
    assert_eq!(back.other_email.as_deref(), Some("sre@example.com"));
    assert_eq!(accounts_named(store, "alice@example.com").await, ["obama"]);

    // What cannot be done changes nothing and says why.
    let refused = [
        store
            .link_account("alice@example.com", &aws("obama"), by("again"))
            .await,
        store
            .unlink_account("sre@example.com", &aws("obama"), by("not theirs"))
            .await,
        store
            .split_people("alice@example.com", "sre@example.com", by("not merged"))
            .await,
        store
            .merge_people("alice@example.com", "alice@example.com", by("self"))
            .await,
        store
            .merge_people("alice@example.com", "nobody@example.com", by("who?"))
            .await,
        store
            .merge_people("alice@example.com", "sre@example.com", by("  "))
            .await,
    ];
    let kinds: Vec<&str> = refused
        .iter()
        .map(|r| match r {
            Err(StoreError::Conflict(_)) => "conflict",
            Err(StoreError::Invalid(_)) => "invalid",
            Err(StoreError::NotFound(_)) => "not found",
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "conflict",
            "conflict",
            "conflict",
            "invalid",
            "not found",
            "invalid"
        ]
    );
    store
        .merge_people(
            "alice@example.com",
            "sre@example.com",
            by("merged for good"),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .link_account("sre@example.com", &aws("someone"), by("act on the merged"))
            .await,
        Err(StoreError::Conflict(_))
    ));

    // The record, newest first: every decision, with who took it and why.
    let alice = store
        .person_profile("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    let record: Vec<(LinkAction, &str, &str)> = alice
        .log
        .iter()
        .map(|e| (e.action, e.email.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        record,
        [
            (LinkAction::Merge, "alice@example.com", "merged for good"),
            (LinkAction::Link, "alice@example.com", "rota ended"),
            (LinkAction::Link, "sre@example.com", "the SRE rota owns it"),
            (
                LinkAction::Split,
                "alice@example.com",
                "two people after all"
            ),
            (
                LinkAction::Unlink,
                "alice@example.com",
                "shared admin login"
            ),
            (
                LinkAction::Merge,
                "alice@example.com",
                "one person, two mailboxes"
            ),
        ]
    );
    assert!(alice
        .log
        .iter()
        .all(|e| e.actor == "cli:tester" && e.at == at));
}

/// (principal name, permission, the container it is inherited from, paths) of each holder.
fn inherited_rows(rows: &[Holder]) -> Vec<(String, String, Option<String>, Vec<String>)> {
    rows.iter()
        .map(|h| {
            (
                h.principal.name.clone(),
                h.permission.clone(),
                h.inherited_from.as_ref().map(|r| r.id.clone()),
                h.paths.iter().map(ToString::to_string).collect(),
            )
        })
        .collect()
}

/// Azure: Panther's Activity Log records 119–121 assign, on subscription 12345678-…, an
/// unknown role (a GUID one letter off Owner's) to service principal 770797c4-… at 10:30 and
/// Reader to user 22222222-… at 13:30, then Storage Blob Data Owner on storage account
/// mystorageacct (resource group storage-rg) to service principal 33333333-… at 14:00, all on
/// 17 December 2024. Who can reach the storage account is its own holder and, inherited, the
/// subscription's, as of each instant.
///
/// GCP: gcpdiag's apigee1 project policy (four bindings, six members) and its KMS key policy
/// (one binding, the Apigee service agent), imported for key `k` of key ring `r`: the key's
/// holders are its own and, inherited, the project's; the project's owner is also its admin.
async fn grants_on_a_subscription_or_project_reach_what_is_in_it(store: &Store) {
    let activity = fixtures().join("azure/panther-analysis-tests/azure-monitor-activity.jsonl");
    let summary = import_file(store, ImportKind::Azure, activity).await;
    // The three role assignments (the file's other records are other operations, and one
    // of Panther's test records is malformed on purpose).
    assert_eq!(summary.tally.grant_changes, 3, "{summary:?}");
    let subscription = "/subscriptions/12345678-1234-1234-1234-123456789abc";
    let account = store.find_resources("mystorageacct").await.unwrap();
    assert_eq!(account.len(), 1, "{account:?}");
    assert_eq!(
        account[0].id,
        format!(
            "azure:scope:{subscription}/resourcegroups/storage-rg/providers/\
             microsoft.storage/storageaccounts/mystorageacct"
        )
    );
    let at = |time: &str| -> DateTime<Utc> { format!("2024-12-17T{time}Z").parse().unwrap() };
    let on_sub = Some(format!("azure:scope:{subscription}"));
    let unknown_role = (
        "770797c4-e05a-43f9-bda2-1f1f379987ae".to_owned(),
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635".to_owned(),
        on_sub.clone(),
        vec![
            "770797c4-e05a-43f9-bda2-1f1f379987ae → 12345678-1234-1234-1234-123456789abc \
              (8e3af657-a8ff-443c-a75c-2fe8c4bcb635)"
                .to_owned(),
        ],
    );
    let reader = (
        "22222222-3333-4444-5555-666666666666".to_owned(),
        "Reader".to_owned(),
        on_sub.clone(),
        vec![
            "22222222-3333-4444-5555-666666666666 → 12345678-1234-1234-1234-123456789abc \
              (Reader)"
                .to_owned(),
        ],
    );
    let blob_owner = (
        "33333333-4444-5555-6666-777777777777".to_owned(),
        "Storage Blob Data Owner".to_owned(),
        None,
        vec![
            "33333333-4444-5555-6666-777777777777 → mystorageacct (Storage Blob Data Owner)"
                .to_owned(),
        ],
    );
    let holders_at = |time: &'static str| {
        let id = account[0].id.clone();
        async move {
            let found = store.access_to(&id, at(time)).await.unwrap();
            inherited_rows(&found.rows)
        }
    };
    assert_eq!(holders_at("10:00:00").await, vec![]);
    assert_eq!(holders_at("12:00:00").await, vec![unknown_role.clone()]);
    assert_eq!(
        holders_at("13:45:00").await,
        vec![reader.clone(), unknown_role.clone()]
    );
    assert_eq!(
        holders_at("15:00:00").await,
        vec![reader, blob_owner, unknown_role]
    );
    // Our management-group listing puts the subscription in group Platform, under the tenant
    // root group: both are above it, below the root scope `/`.
    let dir = tempfile::tempdir().unwrap();
    let listing = dir.path().join("groups.json");
    std::fs::write(
        &listing,
        format!(
            r#"{{"id": "/providers/Microsoft.Management/managementGroups/Platform",
                "details": {{"parent": {{"id": "/providers/Microsoft.Management/managementGroups/tenant-root"}}}},
                "children": [{{"id": "{subscription}", "type": "/subscriptions"}}]}}"#
        ),
    )
    .unwrap();
    let summary = import_file(store, ImportKind::AzureManagementGroups, listing).await;
    assert_eq!(
        (summary.tally.new, summary.tally.failed),
        (1, 0),
        "{summary:?}"
    );
    let groups = "azure:scope:/providers/microsoft.management/managementgroups";
    assert_eq!(
        store.containers(&account[0].id).await.unwrap(),
        [
            format!("azure:scope:{subscription}/resourcegroups/storage-rg"),
            format!("azure:scope:{subscription}"),
            format!("{groups}/platform"),
            format!("{groups}/tenant-root"),
            "azure:scope:/".to_owned(),
        ]
    );

    // GCP.
    let dir = fixtures().join("gcp-iam/gcpdiag-test-data");
    let project = "gcpdiag-apigee1-aaaa";
    let key = format!(
        "//cloudkms.googleapis.com/projects/{project}/locations/us-central1/keyRings/r/cryptoKeys/k"
    );
    for (file, resource) in [
        ("apigee1.iam-policy.json", format!("projects/{project}")),
        ("apigee1.kms-key-iam-policy.json", key.clone()),
    ] {
        let options = ImportOptions {
            resource: Some(resource),
            ..ImportOptions::default()
        };
        let summary = import::import_files(
            store,
            ImportKind::GcpIam,
            &options,
            &[dir.join(file)],
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(
            (summary.tally.new, summary.tally.failed),
            (1, 0),
            "{file}: {summary:?}"
        );
    }
    let found = store
        .access_to(&format!("gcp:{key}"), Utc::now())
        .await
        .unwrap();
    let on_project = Some(format!("gcp:project:{project}"));
    let inherited = |name: &str, role: &str| {
        (
            name.to_owned(),
            role.to_owned(),
            on_project.clone(),
            vec![format!("{name} → {project} ({role})")],
        )
    };
    let mut owner = inherited("test@example.com", "roles/owner");
    owner.2 = None;
    assert_eq!(
        inherited_rows(&found.rows),
        vec![
            inherited(
                "12340005-compute@developer.gserviceaccount.com",
                "roles/editor"
            ),
            inherited("12340005@cloudservices.gserviceaccount.com", "roles/editor"),
            inherited(
                "service-12340005@compute-system.iam.gserviceaccount.com",
                "roles/compute.serviceAgent"
            ),
            (
                "service-12340005@gcp-sa-apigee.iam.gserviceaccount.com".to_owned(),
                "roles/cloudkms.cryptoKeyEncrypterDecrypter".to_owned(),
                None,
                vec![
                    "service-12340005@gcp-sa-apigee.iam.gserviceaccount.com → k \
                     (roles/cloudkms.cryptoKeyEncrypterDecrypter)"
                        .to_owned()
                ],
            ),
            inherited(
                "service-12340005@service-networking.iam.gserviceaccount.com",
                "roles/servicenetworking.serviceAgent"
            ),
            owner,
        ]
    );
    // The project's owner is its admin: everything in it.
    let owner_row = found
        .rows
        .iter()
        .find(|h| h.permission == "roles/owner")
        .unwrap();
    assert!(owner_row.everything);
}

/// Imports the GCP IAM file `path` (a policy of `resource`, or a listing).
async fn import_gcp(store: &Store, path: &std::path::Path, resource: Option<&str>) {
    let options = ImportOptions {
        resource: resource.map(str::to_owned),
        ..ImportOptions::default()
    };
    let summary = import::import_files(
        store,
        ImportKind::GcpIam,
        &options,
        &[path.to_owned()],
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.tally.failed, 0, "{path:?}: {summary:?}");
}

/// gcpdiag's project listings say gcb1 is in organization 11112222 and apigee1 in folder
/// 373737373737. Our own listing puts that folder in the organization, and our policies give
/// the organization an owner and a viewer group, and the folder an editor. gcb1's one binding
/// (testuser@example.com, `roles/owner`) is its own; the organization's reach it, the folder's
/// do not. apigee1 gets both, each from where it is held.
async fn grants_on_an_organization_or_folder_reach_the_projects_in_it(store: &Store) {
    let gcpdiag = fixtures().join("gcp-iam/gcpdiag-test-data");
    let dir = tempfile::tempdir().unwrap();
    let ours = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    import_gcp(
        store,
        &gcpdiag.join("gcb1.iam-policy.json"),
        Some("projects/gcpdiag-gcb1-aaaa"),
    )
    .await;
    import_gcp(
        store,
        &gcpdiag.join("apigee1.iam-policy.json"),
        Some("projects/gcpdiag-apigee1-aaaa"),
    )
    .await;
    for project in ["gcb1", "apigee1"] {
        import_gcp(
            store,
            &gcpdiag.join(format!("{project}.project.json")),
            None,
        )
        .await;
    }
    let folder = ours(
        "folders.json",
        r#"[{"name": "folders/373737373737", "parent": "organizations/11112222", "displayName": "gcpdiag"}]"#,
    );
    import_gcp(store, &folder, None).await;
    let org_policy = ours(
        "org.json",
        r#"{"bindings": [{"role": "roles/owner", "members": ["user:root@example.com"]},
                        {"role": "roles/viewer", "members": ["group:auditors@example.com"]}],
            "etag": "BwXorg"}"#,
    );
    import_gcp(store, &org_policy, Some("organizations/11112222")).await;
    let folder_policy = ours(
        "folder.json",
        r#"{"bindings": [{"role": "roles/editor", "members": ["user:folder-admin@example.com"]}],
            "etag": "BwXfolder"}"#,
    );
    import_gcp(store, &folder_policy, Some("folders/373737373737")).await;

    let org = "gcp:organization:11112222";
    let folder_id = "gcp:folder:373737373737";
    assert_eq!(
        store
            .containers("gcp:project:gcpdiag-gcb1-aaaa")
            .await
            .unwrap(),
        [org]
    );
    assert_eq!(
        store
            .containers("gcp:project:gcpdiag-apigee1-aaaa")
            .await
            .unwrap(),
        [folder_id, org]
    );
    let key = "gcp://cloudkms.googleapis.com/projects/gcpdiag-apigee1-aaaa/locations/l/keyRings/r/cryptoKeys/k";
    assert_eq!(
        store.containers(key).await.unwrap(),
        [
            "gcp://cloudkms.googleapis.com/projects/gcpdiag-apigee1-aaaa/locations/l/keyRings/r",
            "gcp:project:gcpdiag-apigee1-aaaa",
            folder_id,
            org
        ]
    );

    let row = |name: &str, role: &str, from: Option<&str>, path: &str| {
        (
            name.to_owned(),
            role.to_owned(),
            from.map(str::to_owned),
            vec![path.to_owned()],
        )
    };
    // The organization's owner is admin of everything in it: not "inherited", everything.
    let root = row(
        "root@example.com",
        "roles/owner",
        None,
        "root@example.com → 11112222 (roles/owner)",
    );
    let auditors = row(
        "auditors@example.com",
        "roles/viewer",
        Some(org),
        "auditors@example.com → 11112222 (roles/viewer)",
    );
    let found = store
        .access_to("gcp:project:gcpdiag-gcb1-aaaa", Utc::now())
        .await
        .unwrap();
    assert_eq!(
        inherited_rows(&found.rows),
        vec![
            auditors.clone(),
            root.clone(),
            row(
                "testuser@example.com",
                "roles/owner",
                None,
                "testuser@example.com → gcpdiag-gcb1-aaaa (roles/owner)"
            ),
        ]
    );
    assert!(
        found
            .rows
            .iter()
            .find(|h| h.principal.name == "root@example.com")
            .unwrap()
            .everything
    );

    let found = store
        .access_to("gcp:project:gcpdiag-apigee1-aaaa", Utc::now())
        .await
        .unwrap();
    let inherited: Vec<_> = inherited_rows(&found.rows)
        .into_iter()
        .filter(|r| {
            r.2.as_deref()
                .is_some_and(|from| from == org || from == folder_id)
                || r.0 == "root@example.com"
        })
        .collect();
    assert_eq!(
        inherited,
        vec![
            auditors,
            row(
                "folder-admin@example.com",
                "roles/editor",
                Some(folder_id),
                "folder-admin@example.com → 373737373737 (roles/editor)"
            ),
            root,
        ]
    );

    // A project moved: the latest listing wins.
    let moved = ours(
        "moved.json",
        r#"{"projectId": "gcpdiag-apigee1-aaaa", "parent": {"type": "organization", "id": "11112222"}}"#,
    );
    import_gcp(store, &moved, None).await;
    assert_eq!(
        store
            .containers("gcp:project:gcpdiag-apigee1-aaaa")
            .await
            .unwrap(),
        [org]
    );
}
