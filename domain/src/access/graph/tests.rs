//! The walk on the organisation of `normalize::github::snapshot`'s example, with a member of the
//! child team added: every answer and path below is worked out by hand from those grants.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn node(kind: &str, id: &str, name: &str) -> (String, String, String) {
    (kind.to_owned(), id.to_owned(), name.to_owned())
}

fn grant(
    from: &(String, String, String),
    to: &(String, String, String),
    permission: &str,
) -> HeldGrant {
    HeldGrant {
        grant: Grant {
            scope: "github:org:octo-org".to_owned(),
            principal: Principal {
                kind: from.0.clone(),
                id: from.1.clone(),
                name: from.2.clone(),
            },
            resource: Resource {
                kind: to.0.clone(),
                id: to.1.clone(),
                name: to.2.clone(),
            },
            permission: permission.to_owned(),
            via: String::new(),
        },
        since: None,
    }
}

fn org_grants() -> Vec<HeldGrant> {
    let mona = node("user", "github:user:1", "mona");
    let hubot = node("user", "github:user:2", "hubot");
    let lisa = node("user", "github:user:3", "lisa");
    let dev = node("user", "github:user:4", "dev");
    let org = node("org", "github:org:9919", "Octo-Org");
    let platform = node("team", "github:team:10", "Octo-Org/platform");
    let oncall = node("team", "github:team:11", "Octo-Org/oncall");
    let infra = node("repository", "github:repo:100", "Octo-Org/infra");
    let key = node("deploy_key", "github:deploy_key:7", "ci");
    vec![
        grant(&mona, &org, "admin"),
        grant(&hubot, &org, "member"),
        grant(&hubot, &platform, "maintainer"),
        grant(&platform, &infra, "maintain"),
        grant(&oncall, &platform, "child_of"),
        grant(&dev, &oncall, "member"),
        grant(&org, &infra, "read"),
        grant(&lisa, &infra, "write"),
        grant(&key, &infra, "read"),
        grant(&lisa, &org, "outside_collaborator"),
    ]
}

/// Runs a forward walk the way the store does, level by level, over `grants`.
fn forward(start: &[&str], grants: &[HeldGrant]) -> Vec<Reach> {
    let start: Vec<String> = start.iter().map(|s| s.to_string()).collect();
    let mut walk = Forward::new(&start);
    while !walk.frontier().is_empty() {
        let wanted = walk.frontier().to_vec();
        let level = grants
            .iter()
            .filter(|g| wanted.contains(&g.grant.principal.id))
            .cloned()
            .collect();
        walk.absorb(level);
    }
    walk.finish()
}

fn backward(resource: &str, grants: &[HeldGrant], collapse: Option<(&str, u64)>) -> Vec<Holder> {
    let mut walk = Backward::new(resource);
    while !walk.frontier().is_empty() {
        if walk.above_first_level() {
            if let Some((id, members)) = collapse {
                walk.collapse(id, members);
            }
        }
        let wanted = walk.frontier().to_vec();
        let level = grants
            .iter()
            .filter(|g| wanted.contains(&g.grant.resource.id))
            .cloned()
            .collect();
        walk.absorb(level);
    }
    let scopes = walk.scopes().to_vec();
    let admins = grants
        .iter()
        .filter(|g| scopes.contains(&g.grant.scope))
        .cloned()
        .collect();
    walk.absorb_admins(admins);
    walk.finish()
}

/// (resource name, permission, everything, paths as text) of each row.
fn reach_rows(rows: &[Reach]) -> Vec<(String, String, bool, Vec<String>)> {
    rows.iter()
        .map(|r| {
            (
                r.resource.name.clone(),
                r.permission.clone(),
                r.everything,
                r.paths.iter().map(ToString::to_string).collect(),
            )
        })
        .collect()
}

fn row(
    name: &str,
    permission: &str,
    everything: bool,
    paths: &[&str],
) -> (String, String, bool, Vec<String>) {
    (
        name.to_owned(),
        permission.to_owned(),
        everything,
        paths.iter().map(|p| p.to_string()).collect(),
    )
}

#[test]
fn a_child_teams_member_inherits_the_parents_repository() {
    let rows = forward(&["github:user:4"], &org_grants());
    assert_eq!(
        reach_rows(&rows),
        vec![
            row(
                "Octo-Org/infra",
                "maintain",
                false,
                &["dev → Octo-Org/oncall (member) → Octo-Org/platform (child_of) → Octo-Org/infra (maintain)"]
            ),
            row("Octo-Org/oncall", "member", false, &["dev → Octo-Org/oncall (member)"]),
            row(
                "Octo-Org/platform",
                "child_of",
                false,
                &["dev → Octo-Org/oncall (member) → Octo-Org/platform (child_of)"]
            ),
        ]
    );
}

#[test]
fn members_reach_repositories_through_teams_and_the_base_permission() {
    let rows = forward(&["github:user:2"], &org_grants());
    assert_eq!(
        reach_rows(&rows),
        vec![
            row("Octo-Org", "member", false, &["hubot → Octo-Org (member)"]),
            row(
                "Octo-Org/infra",
                "maintain",
                false,
                &["hubot → Octo-Org/platform (maintainer) → Octo-Org/infra (maintain)"]
            ),
            row(
                "Octo-Org/infra",
                "read",
                false,
                &["hubot → Octo-Org (member) → Octo-Org/infra (read)"]
            ),
            row(
                "Octo-Org/platform",
                "maintainer",
                false,
                &["hubot → Octo-Org/platform (maintainer)"]
            ),
        ]
    );
}

#[test]
fn an_owner_is_admin_of_everything_and_an_outside_collaborator_gets_no_base_permission() {
    let owner = forward(&["github:user:1"], &org_grants());
    assert_eq!(
        reach_rows(&owner)[0],
        row("Octo-Org", "admin", true, &["mona → Octo-Org (admin)"])
    );
    let lisa = forward(&["github:user:3"], &org_grants());
    assert_eq!(
        reach_rows(&lisa),
        vec![
            row(
                "Octo-Org",
                "outside_collaborator",
                false,
                &["lisa → Octo-Org (outside_collaborator)"]
            ),
            row(
                "Octo-Org/infra",
                "write",
                false,
                &["lisa → Octo-Org/infra (write)"]
            ),
        ]
    );
}

#[test]
fn several_accounts_of_one_person_are_walked_together() {
    let rows = forward(&["github:user:3", "github:user:4"], &org_grants());
    let infra: Vec<&str> = rows
        .iter()
        .filter(|r| r.resource.name == "Octo-Org/infra")
        .map(|r| r.permission.as_str())
        .collect();
    assert_eq!(infra, ["maintain", "write"]);
}

fn holder_rows(rows: &[Holder]) -> Vec<(String, String, bool, Vec<String>)> {
    rows.iter()
        .map(|h| {
            (
                h.principal.name.clone(),
                h.permission.clone(),
                h.everything,
                h.paths.iter().map(ToString::to_string).collect(),
            )
        })
        .collect()
}

#[test]
fn who_can_reach_a_repository_and_how() {
    let rows = backward("github:repo:100", &org_grants(), None);
    assert_eq!(
        holder_rows(&rows),
        vec![
            row("ci", "read", false, &["ci → Octo-Org/infra (read)"]),
            row(
                "dev",
                "maintain",
                false,
                &["dev → Octo-Org/oncall (member) → Octo-Org/platform (child_of) → Octo-Org/infra (maintain)"]
            ),
            row(
                "hubot",
                "maintain",
                false,
                &["hubot → Octo-Org/platform (maintainer) → Octo-Org/infra (maintain)"]
            ),
            row("hubot", "read", false, &["hubot → Octo-Org (member) → Octo-Org/infra (read)"]),
            row("lisa", "write", false, &["lisa → Octo-Org/infra (write)"]),
            row("mona", "admin", true, &["mona → Octo-Org (admin)"]),
            row("mona", "read", false, &["mona → Octo-Org (admin) → Octo-Org/infra (read)"]),
            row("Octo-Org", "read", false, &["Octo-Org → Octo-Org/infra (read)"]),
            row(
                "Octo-Org/oncall",
                "maintain",
                false,
                &["Octo-Org/oncall → Octo-Org/platform (child_of) → Octo-Org/infra (maintain)"]
            ),
            row(
                "Octo-Org/platform",
                "maintain",
                false,
                &["Octo-Org/platform → Octo-Org/infra (maintain)"]
            ),
        ]
    );
}

#[test]
fn a_group_too_big_to_list_is_counted_not_walked() {
    let rows = backward(
        "github:repo:100",
        &org_grants(),
        Some(("github:org:9919", 5000)),
    );
    let org = rows
        .iter()
        .find(|h| h.principal.name == "Octo-Org")
        .unwrap();
    assert_eq!(org.members_not_listed, Some(5000));
    assert!(!rows
        .iter()
        .any(|h| h.permission == "read" && h.principal.kind == "user"));
    // The owner is still found, as the org's admin.
    assert!(rows
        .iter()
        .any(|h| h.principal.name == "mona" && h.everything));
}

#[test]
fn cycles_end_and_deep_chains_stop_at_the_hop_limit() {
    let a = node("team", "t:a", "a");
    let b = node("team", "t:b", "b");
    let cycle = vec![grant(&a, &b, "child_of"), grant(&b, &a, "child_of")];
    let rows = forward(&["t:a"], &cycle);
    assert_eq!(rows.len(), 2, "{rows:?}");

    let teams: Vec<_> = (0..20)
        .map(|n| node("team", &format!("t:{n}"), &format!("team{n}")))
        .collect();
    let chain: Vec<HeldGrant> = teams
        .windows(2)
        .map(|pair| grant(&pair[0], &pair[1], "child_of"))
        .collect();
    let rows = forward(&["t:0"], &chain);
    assert_eq!(rows.len(), MAX_HOPS);
    let longest = rows.iter().map(|r| r.paths[0].hops.len()).max();
    assert_eq!(longest, Some(MAX_HOPS));
}

#[test]
fn what_passes_access_on() {
    let cases = [
        ("team", "member", true),
        ("team", "maintainer", true),
        ("group", "member", true),
        ("org", "member", true),
        ("org", "admin", true),
        ("org", "outside_collaborator", false),
        ("role", "sts:AssumeRole", true),
        ("role", "sts:AssumeRoleWithSAML", true),
        ("repository", "admin", false),
        ("policy", "attached", false),
        ("account", "iam_user", false),
    ];
    let user = node("user", "u", "u");
    for (kind, permission, expected) in cases {
        let held = grant(&user, &node(kind, "r", "r"), permission);
        assert_eq!(passes_on(&held.grant), expected, "{kind} {permission}");
    }
}

#[test]
fn containers_come_from_the_resource_id() {
    let sub = "azure:scope:/subscriptions/5a1d";
    let cases: Vec<(&str, Vec<String>)> = vec![
        // Azure: resource → resource group → subscription → root.
        (
            "azure:scope:/subscriptions/5a1d/resourcegroups/rg/providers/microsoft.storage/storageaccounts/acct",
            vec![
                format!("{sub}/resourcegroups/rg"),
                sub.to_owned(),
                "azure:scope:/".to_owned(),
            ],
        ),
        // A nested resource has its parent resource first.
        (
            "azure:scope:/subscriptions/5a1d/resourcegroups/rg/providers/microsoft.storage/storageaccounts/acct/blobservices/default",
            vec![
                format!("{sub}/resourcegroups/rg/providers/microsoft.storage/storageaccounts/acct"),
                format!("{sub}/resourcegroups/rg"),
                sub.to_owned(),
                "azure:scope:/".to_owned(),
            ],
        ),
        (
            "azure:scope:/subscriptions/5a1d/resourcegroups/rg",
            vec![sub.to_owned(), "azure:scope:/".to_owned()],
        ),
        (sub, vec!["azure:scope:/".to_owned()]),
        (
            "azure:scope:/providers/microsoft.management/managementgroups/mg",
            vec!["azure:scope:/".to_owned()],
        ),
        ("azure:scope:/", vec![]),
        // GCP: a key's key ring (not its location), then its project.
        (
            "gcp://cloudkms.googleapis.com/projects/p1/locations/us/keyRings/ring/cryptoKeys/key",
            vec![
                "gcp://cloudkms.googleapis.com/projects/p1/locations/us/keyRings/ring".to_owned(),
                "gcp:project:p1".to_owned(),
            ],
        ),
        (
            "gcp://iam.googleapis.com/projects/p1/serviceAccounts/sa@p1.iam.gserviceaccount.com",
            vec!["gcp:project:p1".to_owned()],
        ),
        (
            "gcp:resource:projects/p1/builds",
            vec!["gcp:project:p1".to_owned()],
        ),
        // An object's bucket; a bucket's project is not in its name.
        (
            "gcp://storage.googleapis.com/logs/objects/2024/01/a.json",
            vec!["gcp://storage.googleapis.com/logs".to_owned()],
        ),
        ("gcp://storage.googleapis.com/logs", vec![]),
        ("gcp://iam.googleapis.com/projects/-/serviceAccounts/x", vec![]),
        ("gcp:project:p1", vec![]),
        // Containment of other sources is held by grants of their own.
        ("github:repo:100", vec![]),
        ("aws:arn:aws:s3:::bucket", vec![]),
    ];
    for (id, expected) in cases {
        assert_eq!(containers_of(id), expected, "{id}");
    }
}

/// (name, permission, everything, inherited from, paths) of a holder row.
type HolderSummary = (String, String, bool, Option<String>, Vec<String>);

/// An Azure storage account: one assignment on it, one on its subscription (to a group with a
/// member), the subscription's Owner, and one on another subscription that must not count.
#[test]
fn grants_on_containers_reach_what_they_contain() {
    let acct_id =
        "azure:scope:/subscriptions/s1/resourcegroups/rg/providers/microsoft.storage/storageaccounts/acct";
    let acct = node("resource", acct_id, "acct");
    let sub = node("subscription", "azure:scope:/subscriptions/s1", "s1");
    let other = node("subscription", "azure:scope:/subscriptions/s2", "s2");
    let app = node("service_principal", "azure:principal:a", "app");
    let readers = node("group", "azure:principal:g", "readers");
    let ann = node("user", "azure:principal:u1", "ann");
    let bob = node("user", "azure:principal:u2", "bob");
    let eve = node("user", "azure:principal:u3", "eve");
    let with_scope = |mut held: HeldGrant, scope: &str| {
        held.grant.scope = scope.to_owned();
        held
    };
    let grants = vec![
        with_scope(
            grant(&app, &acct, "Storage Blob Data Owner"),
            "azure:subscription:s1",
        ),
        with_scope(grant(&readers, &sub, "Reader"), "azure:subscription:s1"),
        with_scope(grant(&ann, &readers, "member"), "azure:tenant:t"),
        with_scope(grant(&bob, &sub, "Owner"), "azure:subscription:s1"),
        // bob also holds Reader on the account itself: that row is direct.
        with_scope(grant(&bob, &acct, "Reader"), "azure:subscription:s1"),
        with_scope(grant(&eve, &other, "Owner"), "azure:subscription:s2"),
    ];
    let rows = backward(acct_id, &grants, None);
    let summary: Vec<HolderSummary> = rows
        .iter()
        .map(|h| {
            (
                h.principal.name.clone(),
                h.permission.clone(),
                h.everything,
                h.inherited_from.as_ref().map(|r| r.name.clone()),
                h.paths.iter().map(ToString::to_string).collect(),
            )
        })
        .collect();
    let s = |text: &str| text.to_owned();
    assert_eq!(
        summary,
        vec![
            (
                s("ann"),
                s("Reader"),
                false,
                Some(s("s1")),
                vec![s("ann → readers (member) → s1 (Reader)")]
            ),
            (
                s("app"),
                s("Storage Blob Data Owner"),
                false,
                None,
                vec![s("app → acct (Storage Blob Data Owner)")]
            ),
            // Owner of the subscription: found as its admin too, so admin of everything.
            (
                s("bob"),
                s("Owner"),
                true,
                None,
                vec![s("bob → s1 (Owner)")]
            ),
            (
                s("bob"),
                s("Reader"),
                false,
                None,
                vec![s("bob → acct (Reader)")]
            ),
            (
                s("readers"),
                s("Reader"),
                false,
                Some(s("s1")),
                vec![s("readers → s1 (Reader)")]
            ),
        ]
    );
}
