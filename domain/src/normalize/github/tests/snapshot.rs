//! Org snapshots composed at test time from the REST API's documented examples and recorded
//! responses (read from the fixtures, never copied here), with the exact grants each holds.

use super::{deliver, received, utc};
use crate::fixtures;
use crate::grant::{Grant, GrantSnapshot, Principal, Resource};
use crate::normalize::NormalizeError;
use serde_json::{json, Value};

/// Every fixture the snapshots below are composed of; `fixture_files` checks that each file of
/// the REST folders is either here or classified as holding no grants.
pub(super) const PIECES: &[&str] = &[
    "rest-api-docs-examples/GET_orgs_org.200.organization-full-default-response.json",
    "rest-api-docs-examples/GET_orgs_org_members.200.simple-user-items.json",
    "rest-api-docs-examples/GET_orgs_org_memberships_username.200.org-membership-response-if-user-has-an-active-admin-membership-with-organization.json",
    "rest-api-docs-examples/GET_orgs_org_memberships_username.200.org-membership-response-if-user-has-an-active-membership-with-organization.json",
    "rest-api-docs-examples/GET_orgs_org_memberships_username.200.org-membership-response-if-user-has-a-pending-membership-with-organization.json",
    "rest-api-docs-examples/GET_orgs_org_teams.200.team-items.json",
    "rest-api-docs-examples/GET_orgs_org_teams_team_slug_members.200.simple-user-items.json",
    "rest-api-docs-examples/GET_orgs_org_teams_team_slug_memberships_username.200.team-membership-response-if-user-is-a-team-maintainer.json",
    "rest-api-docs-examples/GET_orgs_org_teams_team_slug_memberships_username.200.team-membership-response-if-user-has-an-active-membership-with-team.json",
    "rest-api-docs-examples/GET_orgs_org_teams_team_slug_memberships_username.200.team-membership-response-if-user-has-a-pending-membership-with-team.json",
    "rest-api-docs-examples/GET_orgs_org_teams_team_slug_repos.200.minimal-repository-items.json",
    "rest-api-docs-examples/GET_orgs_org_teams_team_slug_teams.200.team-items-response-if-child-teams-exist.json",
    "rest-api-docs-examples/GET_orgs_org_teams_team_slug_repos_owner_repo.200.team-repository-alternative-response-with-repository-permissions.json",
    "rest-api-docs-examples/GET_orgs_org_repos.200.minimal-repository-items.json",
    "rest-api-docs-examples/GET_repos_owner_repo_collaborators.200.collaborator-items.json",
    "rest-api-docs-examples/GET_repos_owner_repo_keys.200.deploy-key-items.json",
    "rest-api-docs-examples/GET_orgs_org_outside_collaborators.200.simple-user-items.json",
    "rest-api-recorded/octokit-fixtures-add-and-remove-repository-collaborator.normalized.json",
    "rest-api-recorded/octokit-fixtures-add-and-remove-repository-collaborator.raw.json",
    "rest-api-recorded/octokit-fixtures-get-organization.normalized.json",
    "rest-api-recorded/pygithub-replaydata/NamedUser.testGetOrganizationMembership.01.GET_users_jacquev6_orgs.200.json",
    "rest-api-recorded/pygithub-replaydata/NamedUser.testGetOrganizationMembership.02.GET_orgs_BeaverSoftware_memberships_jacquev6.200.json",
    "rest-api-recorded/pygithub-replaydata/Organization.testGetMembers.01.GET_orgs_BeaverSoftware_members.200.json",
    "rest-api-recorded/pygithub-replaydata/Organization.testGetTeams.01.GET_orgs_BeaverSoftware_teams.200.json",
    "rest-api-recorded/pygithub-replaydata/Team.testTeamMembership.05.GET_organizations_1234567_team_12345678_members.200.json",
    "rest-api-recorded/pygithub-replaydata/Team.testTeamMembership.06.GET_organizations_1234567_team_12345678_memberships_jacquev6.200.json",
    "rest-api-recorded/pygithub-replaydata/Team.testRepos.05.GET_organizations_1234567_team_12345678_repos.200.json",
    "rest-api-recorded/pygithub-replaydata/Team.testRepoPermission.01.GET_repos_BeaverSoftware_FatherBeaver.200.json",
    "rest-api-recorded/pygithub-replaydata/Repository.testCollaborators.03.GET_repos_PyGithub_PyGithub_collaborators.200.json",
    "rest-api-recorded/pygithub-replaydata/Repository.testCollaboratorRoleName.01.GET_repos_PyGithub_PyGithub_collaborators_jacquev6_permission.200.json",
    "rest-api-recorded/pygithub-replaydata/Organization.testGetOutsideCollaborators.01.GET_orgs_BeaverSoftware_outside_collaborators.200.json",
];

/// A piece of a snapshot: one fixture below `github/`, which must be listed in [`PIECES`].
fn piece(relative: &str) -> Value {
    assert!(PIECES.contains(&relative), "{relative} is not in PIECES");
    serde_json::from_slice(&fixtures::read(&format!("github/{relative}"))).unwrap()
}

fn docs(name: &str) -> Value {
    piece(&format!("rest-api-docs-examples/{name}"))
}

fn pygithub(name: &str) -> Value {
    piece(&format!("rest-api-recorded/pygithub-replaydata/{name}"))
}

/// The first item of a list response.
fn first(list: Value) -> Value {
    list.as_array().unwrap()[0].clone()
}

/// `item` with the fields of `extra` added, as the snapshot's builder adds `role`.
fn with(mut item: Value, extra: Value) -> Value {
    let fields = item.as_object_mut().unwrap();
    fields.extend(extra.as_object().unwrap().clone());
    item
}

/// The response bodies of a recorded (nock) scenario's requests of `method` to a path ending
/// in `suffix`, in the order they were made.
fn recorded(relative: &str, method: &str, suffix: &str) -> Vec<Value> {
    piece(&format!("rest-api-recorded/{relative}"))
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap().ends_with(suffix))
        .map(|r| r["response"].clone())
        .collect()
}

fn snapshot(file: &Value) -> Result<GrantSnapshot, NormalizeError> {
    let mut normalized = deliver(Some("org_snapshot"), file.to_string().as_bytes())?;
    assert!(normalized.events.is_empty() && normalized.grant_changes.is_empty());
    assert_eq!(normalized.snapshots.len(), 1);
    Ok(normalized.snapshots.remove(0))
}

/// (principal id, resource id, permission) of every grant, sorted.
fn brief(snapshot: &GrantSnapshot) -> Vec<(String, String, String)> {
    let mut grants: Vec<_> = snapshot
        .grants
        .iter()
        .map(|g| {
            (
                g.principal.id.clone(),
                g.resource.id.clone(),
                g.permission.clone(),
            )
        })
        .collect();
    grants.sort();
    grants
}

fn expect(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut grants: Vec<_> = list
        .iter()
        .map(|(p, r, perm)| (p.to_string(), r.to_string(), perm.to_string()))
        .collect();
    grants.sort();
    grants
}

#[test]
fn the_documented_example_holds_the_documented_grants() {
    // The example in `snapshot.rs`'s module documentation, word for word.
    let file = json!({
      "org": {"login": "Octo-Org", "id": 9919, "default_repository_permission": "read"},
      "taken_at": "2024-05-01T12:00:00Z",
      "members": [{"login": "mona", "id": 1, "role": "admin"},
                  {"login": "hubot", "id": 2, "role": "member"}],
      "teams": [
        {"id": 10, "slug": "platform", "parent": null,
         "members": [{"login": "hubot", "id": 2, "role": "maintainer"}],
         "repos": [{"id": 100, "full_name": "Octo-Org/infra", "role_name": "maintain"}]},
        {"id": 11, "slug": "oncall", "parent": {"id": 10, "slug": "platform"},
         "members": [], "repos": []}
      ],
      "repos": [
        {"id": 100, "full_name": "Octo-Org/infra",
         "collaborators": [{"login": "lisa", "id": 3,
                            "permissions": {"admin": false, "push": true, "pull": true}}],
         "deploy_keys": [{"id": 7, "title": "ci", "read_only": true}]}
      ],
      "outside_collaborators": [{"login": "lisa", "id": 3}]
    });
    let snapshot = snapshot(&file).unwrap();
    assert_eq!(snapshot.scope, "github:org:octo-org");
    assert_eq!(snapshot.at, utc("2024-05-01T12:00:00Z"));
    assert_eq!(
        brief(&snapshot),
        expect(&[
            ("github:user:1", "github:org:9919", "admin"),
            ("github:user:2", "github:org:9919", "member"),
            ("github:user:2", "github:team:10", "maintainer"),
            ("github:team:10", "github:repo:100", "maintain"),
            ("github:team:11", "github:team:10", "child_of"),
            ("github:org:9919", "github:repo:100", "read"),
            ("github:user:3", "github:repo:100", "write"),
            ("github:deploy_key:7", "github:repo:100", "read"),
            ("github:user:3", "github:org:9919", "outside_collaborator"),
        ])
    );
    let child = snapshot
        .grants
        .iter()
        .find(|g| g.permission == "child_of")
        .unwrap();
    assert_eq!(
        child,
        &Grant {
            scope: "github:org:octo-org".into(),
            principal: Principal {
                kind: "team".into(),
                id: "github:team:11".into(),
                name: "Octo-Org/oncall".into(),
            },
            resource: Resource {
                kind: "team".into(),
                id: "github:team:10".into(),
                name: "Octo-Org/platform".into(),
            },
            permission: "child_of".into(),
            via: String::new(),
        }
    );
}

/// An org built from GitHub's documented response examples, as a builder would nest them.
fn documented_org() -> Value {
    let admin = docs("GET_orgs_org_memberships_username.200.org-membership-response-if-user-has-an-active-admin-membership-with-organization.json");
    let maintainer = docs("GET_orgs_org_teams_team_slug_memberships_username.200.team-membership-response-if-user-is-a-team-maintainer.json");
    let team_member = docs("GET_orgs_org_teams_team_slug_memberships_username.200.team-membership-response-if-user-has-an-active-membership-with-team.json");
    let role =
        |membership: &Value| json!({"role": membership["role"], "state": membership["state"]});
    let user = first(docs(
        "GET_orgs_org_teams_team_slug_members.200.simple-user-items.json",
    ));
    json!({
        "org": docs("GET_orgs_org.200.organization-full-default-response.json"),
        "members": [with(first(docs("GET_orgs_org_members.200.simple-user-items.json")), role(&admin))],
        "teams": [
            with(first(docs("GET_orgs_org_teams.200.team-items.json")), json!({
                "members": [with(user.clone(), role(&maintainer))],
                "repos": docs("GET_orgs_org_teams_team_slug_repos.200.minimal-repository-items.json"),
            })),
            with(first(docs("GET_orgs_org_teams_team_slug_teams.200.team-items-response-if-child-teams-exist.json")), json!({
                "members": [with(user, role(&team_member))],
                "repos": [docs("GET_orgs_org_teams_team_slug_repos_owner_repo.200.team-repository-alternative-response-with-repository-permissions.json")],
            })),
        ],
        "repos": [with(first(docs("GET_orgs_org_repos.200.minimal-repository-items.json")), json!({
            "collaborators": docs("GET_repos_owner_repo_collaborators.200.collaborator-items.json"),
            "deploy_keys": docs("GET_repos_owner_repo_keys.200.deploy-key-items.json"),
        }))],
        "outside_collaborators": docs("GET_orgs_org_outside_collaborators.200.simple-user-items.json"),
    })
}

#[test]
fn an_org_from_the_documented_examples() {
    let snapshot = snapshot(&documented_org()).unwrap();
    assert_eq!(snapshot.scope, "github:org:github");
    // No `taken_at`: the time the file arrived.
    assert_eq!(snapshot.at, received());
    // The examples use octocat (id 1) for every person, and id 1 for the org, the parent team
    // and the deploy key; Hello-World (1296269) is every repository.
    assert_eq!(
        brief(&snapshot),
        expect(&[
            ("github:user:1", "github:org:1", "admin"),
            ("github:user:1", "github:team:1", "maintainer"),
            ("github:team:1", "github:repo:1296269", "read"),
            ("github:team:2", "github:team:1", "child_of"),
            ("github:user:1", "github:team:2", "member"),
            ("github:team:2", "github:repo:1296269", "read"),
            // `default_repository_permission: read`: every member reads every repository.
            ("github:org:1", "github:repo:1296269", "read"),
            // {pull, push}: write.
            ("github:user:1", "github:repo:1296269", "write"),
            // `read_only: true`.
            ("github:deploy_key:1", "github:repo:1296269", "read"),
            ("github:user:1", "github:org:1", "outside_collaborator"),
        ])
    );
    let key = snapshot
        .grants
        .iter()
        .find(|g| g.principal.kind == "deploy_key")
        .unwrap();
    assert_eq!(key.principal.name, "octocat@octomac");
    assert_eq!(key.resource.name, "octocat/Hello-World");
    assert!(snapshot
        .grants
        .iter()
        .all(|g| g.scope == "github:org:github"));
    // The same file read twice gives the same snapshot.
    assert_eq!(self::snapshot(&documented_org()).unwrap(), snapshot);
}

#[test]
fn pending_memberships_grant_nothing() {
    let pending_org = docs("GET_orgs_org_memberships_username.200.org-membership-response-if-user-has-a-pending-membership-with-organization.json");
    let active_org = docs("GET_orgs_org_memberships_username.200.org-membership-response-if-user-has-an-active-membership-with-organization.json");
    let pending_team = docs("GET_orgs_org_teams_team_slug_memberships_username.200.team-membership-response-if-user-has-a-pending-membership-with-team.json");
    let mut file = documented_org();
    file["members"] = json!([with(
        pending_org["user"].clone(),
        json!({"role": pending_org["role"], "state": pending_org["state"]})
    )]);
    file["teams"][0]["members"][0]["state"] = pending_team["state"].clone();
    let grants = brief(&snapshot(&file).unwrap());
    // octocat stays an outside collaborator of the org; no membership of it is listed.
    assert!(!grants.iter().any(|(p, r, perm)| p == "github:user:1"
        && r == "github:org:1"
        && perm != "outside_collaborator"));
    assert!(!grants
        .iter()
        .any(|(p, r, _)| p == "github:user:1" && r == "github:team:1"));

    file["members"] = json!([with(
        active_org["user"].clone(),
        json!({"role": active_org["role"], "state": active_org["state"]})
    )]);
    let grants = brief(&snapshot(&file).unwrap());
    assert!(grants.contains(&(
        "github:user:1".into(),
        "github:org:1".into(),
        "member".into()
    )));
}

/// The octokit scenario "add and remove repository collaborator", recorded against GitHub:
/// the repository's collaborators listed after user-b accepted the invitation and after
/// user-b was removed.
fn collaborator_scenario(relative: &str, org: Value) -> (GrantSnapshot, GrantSnapshot) {
    let lists = recorded(relative, "get", "/collaborators");
    assert_eq!(lists.len(), 2, "{relative}");
    // The invitation (`PUT .../collaborators/user-b`) carries the repository.
    let repo =
        recorded(relative, "put", "/collaborators/octokit-fixture-user-b")[0]["repository"].clone();
    let file = |collaborators: &Value| {
        json!({
            "org": org,
            "taken_at": "2022-07-19T04:36:38Z",
            "members": [], "teams": [], "outside_collaborators": [],
            "repos": [with(repo.clone(), json!({"collaborators": collaborators, "deploy_keys": []}))],
        })
    };
    (
        snapshot(&file(&lists[0])).unwrap(),
        snapshot(&file(&lists[1])).unwrap(),
    )
}

#[test]
fn a_recorded_collaborator_added_then_removed() {
    let raw = "octokit-fixtures-add-and-remove-repository-collaborator.raw.json";
    // The raw recording keeps GitHub's real ids; its org is the repository's owner.
    let created = &recorded(raw, "post", "/orgs/octokit-fixture-org/repos")[0];
    let (before, after) = collaborator_scenario(raw, created["owner"].clone());
    assert_eq!(before.scope, "github:org:octokit-fixture-org");
    assert_eq!(before.at, utc("2022-07-19T04:36:38Z"));
    assert_eq!(
        brief(&before),
        expect(&[
            ("github:user:31898046", "github:repo:515435515", "admin"),
            ("github:user:31899067", "github:repo:515435515", "write"),
        ])
    );
    assert_eq!(
        brief(&after),
        expect(&[("github:user:31898046", "github:repo:515435515", "admin")])
    );

    // The normalized recording: ids replaced by 1000, and the org as `GET /orgs/{org}` says,
    // whose default permission reaches the repository.
    let normalized = "octokit-fixtures-add-and-remove-repository-collaborator.normalized.json";
    let org = piece("rest-api-recorded/octokit-fixtures-get-organization.normalized.json")[0]
        ["response"]
        .clone();
    let (before, after) = collaborator_scenario(normalized, org);
    assert_eq!(
        brief(&before),
        expect(&[
            ("github:org:1000", "github:repo:1000", "read"),
            ("github:user:31898046", "github:repo:1000", "admin"),
            ("github:user:31899067", "github:repo:1000", "write"),
        ])
    );
    assert_eq!(brief(&after).len(), 2);
}

#[test]
fn an_org_from_pygithub_recordings() {
    let membership = pygithub("NamedUser.testGetOrganizationMembership.02.GET_orgs_BeaverSoftware_memberships_jacquev6.200.json");
    let team_membership = pygithub("Team.testTeamMembership.06.GET_organizations_1234567_team_12345678_memberships_jacquev6.200.json");
    let role_name = pygithub("Repository.testCollaboratorRoleName.01.GET_repos_PyGithub_PyGithub_collaborators_jacquev6_permission.200.json");
    // Only jacquev6's role was recorded; the others are written without one (`member`).
    let members: Vec<Value> =
        pygithub("Organization.testGetMembers.01.GET_orgs_BeaverSoftware_members.200.json")
            .as_array()
            .unwrap()
            .iter()
            .map(|m| match m["login"].as_str() {
                Some("jacquev6") => with(m.clone(), json!({"role": membership["role"]})),
                _ => m.clone(),
            })
            .collect();
    // jacquev6's `role_name` (maintain) is newer than the `permissions` beside it (admin)
    // and wins, as it names roles `permissions` cannot.
    let collaborators: Vec<Value> = pygithub(
        "Repository.testCollaborators.03.GET_repos_PyGithub_PyGithub_collaborators.200.json",
    )
    .as_array()
    .unwrap()
    .iter()
    .map(|c| match c["login"].as_str() {
        Some("jacquev6") => with(c.clone(), json!({"role_name": role_name["role_name"]})),
        _ => c.clone(),
    })
    .collect();
    let teams = pygithub("Organization.testGetTeams.01.GET_orgs_BeaverSoftware_teams.200.json");
    let file = json!({
        "org": first(pygithub("NamedUser.testGetOrganizationMembership.01.GET_users_jacquev6_orgs.200.json")),
        "members": members,
        "teams": [
            with(teams[0].clone(), json!({
                "members": [with(first(pygithub("Team.testTeamMembership.05.GET_organizations_1234567_team_12345678_members.200.json")), json!({"role": team_membership["role"]}))],
                "repos": pygithub("Team.testRepos.05.GET_organizations_1234567_team_12345678_repos.200.json"),
            })),
            with(teams[1].clone(), json!({"members": [], "repos": []})),
        ],
        "repos": [with(pygithub("Team.testRepoPermission.01.GET_repos_BeaverSoftware_FatherBeaver.200.json"), json!({
            "collaborators": collaborators, "deploy_keys": [],
        }))],
        "outside_collaborators": pygithub("Organization.testGetOutsideCollaborators.01.GET_orgs_BeaverSoftware_outside_collaborators.200.json"),
    });
    let snapshot = snapshot(&file).unwrap();
    assert_eq!(snapshot.scope, "github:org:beaversoftware");
    assert_eq!(
        brief(&snapshot),
        expect(&[
            ("github:user:1233553", "github:org:1424031", "member"),
            ("github:user:327146", "github:org:1424031", "member"),
            ("github:user:1131432", "github:org:1424031", "member"),
            ("github:user:327146", "github:team:141496", "member"),
            ("github:team:141496", "github:repo:3400397", "admin"),
            ("github:user:327146", "github:repo:3400397", "maintain"),
            ("github:user:1131432", "github:repo:3400397", "write"),
            (
                "github:user:1",
                "github:org:1424031",
                "outside_collaborator"
            ),
        ])
    );
    // A team without a slug is named by its name.
    let team = snapshot
        .grants
        .iter()
        .find(|g| g.resource.id == "github:team:141496")
        .unwrap();
    assert_eq!(team.resource.name, "BeaverSoftware/Members");
}

#[test]
fn malformed_snapshots_are_refused_with_the_place() {
    let good = documented_org();
    let invalid = |file: &Value| match snapshot(file) {
        Err(NormalizeError::Invalid(message)) => message,
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        deliver(Some("org_snapshot"), b"{\"org\": {"),
        Err(NormalizeError::Json(_))
    ));
    assert_eq!(
        invalid(&json!([good.clone()])),
        "an org snapshot is a JSON object"
    );
    assert_eq!(snapshot(&json!({})), Err(NormalizeError::Missing("org")));
    assert_eq!(
        snapshot(&json!({"org": "github"})),
        Err(NormalizeError::Missing("org"))
    );
    let mut file = good.clone();
    file["org"] = json!({"id": 1});
    assert_eq!(snapshot(&file), Err(NormalizeError::Missing("org.login")));
    file["org"] = json!({"login": "github", "id": [1]});
    assert_eq!(snapshot(&file), Err(NormalizeError::Missing("org.id")));

    let mut file = good.clone();
    file.as_object_mut().unwrap().remove("members");
    assert_eq!(
        invalid(&file),
        "`members` is missing or not a list (write [] when there are none)"
    );
    let mut file = good.clone();
    file["teams"][1]["repos"] = json!({"id": 1});
    assert_eq!(
        invalid(&file),
        "`teams[1].repos` is missing or not a list (write [] when there are none)"
    );
    let mut file = good.clone();
    file["repos"][0]["collaborators"][0]["id"] = json!(null);
    assert_eq!(
        invalid(&file),
        "`repos[0].collaborators[0]` has no usable `id` and name"
    );
    let mut file = good.clone();
    file["teams"][0]["repos"][0]["permissions"] =
        json!({"admin": false, "push": false, "pull": false});
    assert_eq!(
        invalid(&file),
        "`teams[0].repos[0]` says no permission (`role_name` or `permissions`)"
    );
    let mut file = good.clone();
    file["teams"][1]["parent"] = json!({"slug": "justice-league"});
    assert_eq!(
        invalid(&file),
        "`teams[1].parent` has no usable `id` and name"
    );
    let mut file = good;
    file["taken_at"] = json!("yesterday");
    assert_eq!(invalid(&file), "`taken_at` is not a time: \"yesterday\"");
}

/// Every object in the file has each of its fields replaced, one at a time, by values of every
/// type: an error or a snapshot, never a panic.
#[test]
fn odd_field_types_never_panic() {
    fn pointers(value: &Value, at: String, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    let here = format!("{at}/{key}");
                    found.push(here.clone());
                    pointers(inner, here, found);
                }
            }
            Value::Array(items) => {
                for (n, inner) in items.iter().enumerate() {
                    pointers(inner, format!("{at}/{n}"), found);
                }
            }
            _ => {}
        }
    }
    let file = documented_org();
    let mut found = Vec::new();
    pointers(&file, String::new(), &mut found);
    let odd = super::robustness::odd_values();
    for (n, pointer) in found.iter().enumerate() {
        let mut changed = file.clone();
        *changed.pointer_mut(pointer).unwrap() = odd[n % odd.len()].clone();
        let _ = deliver(Some("org_snapshot"), changed.to_string().as_bytes());
    }
    assert!(found.len() > 200, "{}", found.len());
}
