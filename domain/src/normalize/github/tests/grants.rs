//! Hand-checked grant changes of webhooks: who gained or lost what, on what, when, and on
//! whose word; and that every sample of the kinds that change no access yields none.

use super::{deliver, received, sample, utc};
use crate::grant::{Grant, GrantChange, GrantOp, Principal, Resource, ANY};
use crate::normalize::NormalizeError;
use serde_json::{json, Value};

fn grants(kind: &str, payload: &Value) -> Vec<GrantChange> {
    deliver(Some(kind), payload.to_string().as_bytes())
        .unwrap()
        .grant_changes
}

/// What each change says, in one line: (op, principal id, resource id, permission).
fn brief(changes: &[GrantChange]) -> Vec<(GrantOp, &str, &str, &str)> {
    changes
        .iter()
        .map(|c| {
            (
                c.op,
                c.grant.principal.id.as_str(),
                c.grant.resource.id.as_str(),
                c.grant.permission.as_str(),
            )
        })
        .collect()
}

fn principal(kind: &str, id: &str, name: &str) -> Principal {
    Principal {
        kind: kind.into(),
        id: id.into(),
        name: name.into(),
    }
}

fn resource(kind: &str, id: &str, name: &str) -> Resource {
    Resource {
        kind: kind.into(),
        id: id.into(),
        name: name.into(),
    }
}

use GrantOp::{Added, Removed};

#[test]
fn member_added_with_a_role_is_a_collaborator_grant() {
    let mut payload = sample("webhooks/member/added.payload.json");
    // `role_name` names `maintain`, which the legacy `permission` folds into `write`.
    payload["changes"] = json!({"permission": {"to": "write"}, "role_name": {"to": "maintain"}});
    assert_eq!(
        grants("member", &payload),
        [GrantChange {
            at: received(),
            grant: Grant {
                // Codertocat is a user: the repository is a personal one.
                scope: "github:user:codertocat".into(),
                principal: principal("user", "github:user:39652351", "hacktocat"),
                resource: resource(
                    "repository",
                    "github:repo:186853002",
                    "Codertocat/Hello-World"
                ),
                permission: "maintain".into(),
                via: String::new(),
            },
            op: Added,
            evidence: "member.added webhook by hacktocat".into(),
        }]
    );

    payload["changes"] = json!({"permission": {"to": "admin"}});
    let changes = grants("member", &payload);
    assert_eq!(
        brief(&changes),
        [(
            Added,
            "github:user:39652351",
            "github:repo:186853002",
            "admin"
        )]
    );
    // The published sample says no permission: GitHub's default for a collaborator.
    let changes = grants("member", &sample("webhooks/member/added.payload.json"));
    assert_eq!(changes[0].grant.permission, "write");
    assert_eq!(changes.len(), 1);
}

#[test]
fn member_edited_and_removed() {
    // The sample names only the old permission: nothing is claimed about the new one.
    let edited = sample("webhooks/member/edited.payload.json");
    assert_eq!(grants("member", &edited), []);

    let mut payload = edited.clone();
    payload["changes"] = json!({"permission": {"from": "write", "to": "admin"}});
    assert_eq!(
        brief(&grants("member", &payload)),
        [
            (
                Removed,
                "github:user:583231",
                "github:repo:135493233",
                "write"
            ),
            (
                Added,
                "github:user:583231",
                "github:repo:135493233",
                "admin"
            ),
        ]
    );

    // A removal that does not say which permission ends whichever was held.
    payload["action"] = json!("removed");
    payload["changes"] = json!({});
    let changes = grants("member", &payload);
    assert_eq!(
        brief(&changes),
        [(Removed, "github:user:583231", "github:repo:135493233", ANY)]
    );
    assert_eq!(changes[0].evidence, "member.removed webhook by Codertocat");
}

#[test]
fn membership_removed_takes_a_user_out_of_a_team() {
    let changes = grants(
        "membership",
        &sample("webhooks/membership/removed.payload.json"),
    );
    assert_eq!(
        changes,
        [GrantChange {
            at: received(),
            grant: Grant {
                scope: "github:org:octocoders".into(),
                principal: principal("user", "github:user:21031067", "Codertocat"),
                resource: resource("team", "github:team:3253328", "Octocoders/github"),
                // Member or maintainer: the payload does not say, and either ends.
                permission: ANY.into(),
                via: String::new(),
            },
            op: Removed,
            evidence: "membership.removed webhook by Codertocat".into(),
        }]
    );
    // A team deleted since keeps its id, which is all the grant needs.
    let changes = grants(
        "membership",
        &sample("webhooks/membership/removed.with-deleted-team.payload.json"),
    );
    assert_eq!(changes[0].grant.resource.id, "github:team:3253328");
    assert_eq!(changes[0].grant.resource.name, "Octocoders/github");
    let changes = grants(
        "membership",
        &sample("webhooks/membership/added.payload.json"),
    );
    assert_eq!(
        brief(&changes),
        [(
            Added,
            "github:user:21031067",
            "github:team:3253328",
            "member"
        )]
    );
}

#[test]
fn organization_member_added_as_admin() {
    let mut payload = sample("webhooks/organization/member_added.payload.json");
    payload["membership"]["role"] = json!("admin");
    assert_eq!(
        grants("organization", &payload),
        [GrantChange {
            at: received(),
            grant: Grant {
                scope: "github:org:octocoders".into(),
                principal: principal("user", "github:user:39652351", "hacktocat"),
                resource: resource("org", "github:org:38302899", "Octocoders"),
                permission: "admin".into(),
                via: String::new(),
            },
            op: Added,
            evidence: "organization.member_added webhook by Codertocat".into(),
        }]
    );
    let changes = grants(
        "organization",
        &sample("webhooks/organization/member_added.payload.json"),
    );
    assert_eq!(changes[0].grant.permission, "member");

    // After a removal the role reads `unaffiliated`: whichever role was held ends.
    let changes = grants(
        "organization",
        &sample("webhooks-ghes-3.5/organization/member_removed.json"),
    );
    assert_eq!(
        brief(&changes),
        [(Removed, "github:user:5", "github:org:6", ANY)]
    );
    // An invitation grants nothing yet.
    let invited = sample("webhooks/organization/member_invited.payload.json");
    assert_eq!(grants("organization", &invited), []);
}

#[test]
fn team_added_to_repository_and_its_permission_changed() {
    let added = sample("webhooks/team/added_to_repository.payload.json");
    assert_eq!(
        grants("team", &added),
        [GrantChange {
            at: received(),
            grant: Grant {
                scope: "github:org:octocoders".into(),
                principal: principal("team", "github:team:3253328", "Octocoders/github"),
                resource: resource(
                    "repository",
                    "github:repo:186853261",
                    "Octocoders/Hello-World"
                ),
                // `repository.permissions` is {pull: true, push: false, admin: false}.
                permission: "read".into(),
                via: String::new(),
            },
            op: Added,
            evidence: "team.added_to_repository webhook by Codertocat".into(),
        }]
    );

    let mut edited = added;
    edited["action"] = json!("edited");
    edited["changes"] = json!({"repository": {"permissions": {"from": {"admin": false, "push": false, "pull": true}}}});
    edited["repository"]["permissions"] = json!({"admin": false, "push": true, "pull": true});
    assert_eq!(
        brief(&grants("team", &edited)),
        [
            (
                Removed,
                "github:team:3253328",
                "github:repo:186853261",
                "read"
            ),
            (
                Added,
                "github:team:3253328",
                "github:repo:186853261",
                "write"
            ),
        ]
    );
    // An edit of the team's name or privacy is no change of access.
    assert_eq!(
        grants("team", &sample("webhooks/team/edited.payload.json")),
        []
    );

    // The permissions in a removal are the ones after it: whichever was held ends.
    let removed = sample("webhooks/team/removed_from_repository.payload.json");
    assert_eq!(
        brief(&grants("team", &removed)),
        [(Removed, "github:team:3253328", "github:repo:186853261", ANY)]
    );

    let team_add = grants("team_add", &sample("webhooks/team_add/payload.json"));
    assert_eq!(
        brief(&team_add),
        [(
            Added,
            "github:team:3253328",
            "github:repo:186853261",
            "read"
        )]
    );
    assert_eq!(team_add[0].evidence, "team_add webhook by Octocoders");
}

#[test]
fn child_teams_join_and_leave_their_parent() {
    let mut created = sample("webhooks/team/created.payload.json");
    assert_eq!(grants("team", &created), []);
    created["team"]["parent"] = json!({"id": 77, "slug": "engineering", "name": "Engineering"});
    let changes = grants("team", &created);
    assert_eq!(
        brief(&changes),
        [(Added, "github:team:3253328", "github:team:77", "child_of")]
    );
    assert_eq!(changes[0].grant.resource.name, "Octocoders/engineering");
    // A deleted team ends everything it held (its place under a parent among it) and
    // everything held on it (memberships, child teams), though the payload lists none of it.
    let mut deleted = sample("webhooks/team/deleted.payload.json");
    let everything = [
        (Removed, "github:team:3253328", ANY, ANY),
        (Removed, ANY, "github:team:3253328", ANY),
    ];
    assert_eq!(brief(&grants("team", &deleted)), everything);
    deleted["team"]["parent"] = json!({"id": 77, "slug": "engineering"});
    assert_eq!(brief(&grants("team", &deleted)), everything);
}

#[test]
fn deploy_key_created_read_only() {
    let created = sample("webhooks/deploy_key/created.payload.json");
    assert_eq!(
        grants("deploy_key", &created),
        [GrantChange {
            // The key's own `created_at`, as the event says.
            at: utc("2019-04-02T17:37:07Z"),
            grant: Grant {
                scope: "github:user:codertocat".into(),
                principal: principal(
                    "deploy_key",
                    "github:deploy_key:100",
                    "hey-its-a-deploy-key"
                ),
                resource: resource(
                    "repository",
                    "github:repo:135493233",
                    "Codertocat/Hello-World"
                ),
                permission: "read".into(),
                via: String::new(),
            },
            op: Added,
            evidence: "deploy_key.created webhook by Codertocat".into(),
        }]
    );
    let mut deleted = created;
    deleted["action"] = json!("deleted");
    deleted["key"]["read_only"] = json!(false);
    let changes = grants("deploy_key", &deleted);
    assert_eq!(
        brief(&changes),
        [(
            Removed,
            "github:deploy_key:100",
            "github:repo:135493233",
            "write"
        )]
    );
    assert_eq!(changes[0].at, received());
}

#[test]
fn app_installations_reach_repositories() {
    let created = grants(
        "installation",
        &sample("webhooks/installation/created.payload.json"),
    );
    assert_eq!(
        brief(&created),
        [(
            Added,
            "github:app:29310",
            "github:repo:186853002",
            "installed"
        )]
    );
    assert_eq!(created[0].grant.principal.name, "app 29310");
    assert_eq!(created[0].grant.principal.kind, "app");
    assert_eq!(created[0].grant.scope, "github:user:codertocat");
    assert_eq!(created[0].at, utc("2019-05-15T15:19:51Z"));

    let deleted = grants(
        "installation",
        &sample("webhooks/installation/deleted.payload.json"),
    );
    assert_eq!(
        brief(&deleted),
        [(
            Removed,
            "github:app:5725",
            "github:repo:1296269",
            "installed"
        )]
    );

    // On all of an account's repositories, the account itself is what the app reaches.
    let mut all = sample("webhooks/installation/created.payload.json");
    all["installation"]["repository_selection"] = json!("all");
    all["installation"]["account"]["type"] = json!("Organization");
    assert_eq!(
        brief(&grants("installation", &all)),
        [(
            Added,
            "github:app:29310",
            "github:org:21031067",
            "installed"
        )]
    );

    let added = sample("webhooks/installation_repositories/added.payload.json");
    assert_eq!(
        brief(&grants("installation_repositories", &added)),
        [(
            Added,
            "github:app:29310",
            "github:repo:186853007",
            "installed"
        )]
    );
    let removed = sample("webhooks/installation_repositories/removed.payload.json");
    assert_eq!(
        brief(&grants("installation_repositories", &removed)),
        [(
            Removed,
            "github:app:5725",
            "github:repo:1296269",
            "installed"
        )]
    );
    // GHES's older twin of `installation` is not counted twice.
    let twin = sample("webhooks-ghes-3.5/integration_installation/created.json");
    assert_eq!(grants("integration_installation", &twin), []);
}

#[test]
fn events_are_unchanged_beside_the_grants() {
    let normalized = deliver(
        Some("member"),
        &crate::fixtures::read("github/webhooks/member/added.payload.json"),
    )
    .unwrap();
    assert_eq!(normalized.events.len(), 1);
    assert_eq!(normalized.events[0].action, "repo.collaborator.added");
    assert_eq!(normalized.grant_changes.len(), 1);
    assert!(normalized.snapshots.is_empty());
    assert_eq!(normalized.ignored, None);
}

#[test]
fn kinds_that_change_no_access_yield_no_grants() {
    for (kind, file) in [
        ("repository", "webhooks/repository/transferred.payload.json"),
        ("push", "webhooks/push/payload.json"),
        ("organization", "webhooks/organization/renamed.payload.json"),
        ("ping", "webhooks-ghes-3.5/ping/payload.json"),
    ] {
        assert_eq!(grants(kind, &sample(file)), [], "{file}");
    }
}

#[test]
fn a_deleted_repository_ends_every_grant_on_it() {
    let deleted = grants(
        "repository",
        &sample("webhooks-ghes-3.5/repository/deleted.json"),
    );
    assert_eq!(brief(&deleted), [(Removed, ANY, "github:repo:120", ANY)]);
    assert_eq!(deleted[0].grant.resource.name, "Octocoders/Hello-World");
}

#[test]
fn a_delivery_without_a_kind_is_refused() {
    let body = crate::fixtures::read("github/webhooks/member/added.payload.json");
    assert_eq!(
        deliver(None, &body),
        Err(NormalizeError::Invalid(
            "the X-GitHub-Event header is empty".into()
        ))
    );
}
