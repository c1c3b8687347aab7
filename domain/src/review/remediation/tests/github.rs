//! GitHub, in the shapes of `normalize::github::snapshot`'s example (Octo-Org, id 9919).

use super::*;

pub(super) const GH: &str = "github:org:octo-org";
pub(super) const ORG: [&str; 3] = ["org", "github:org:9919", "Octo-Org"];
pub(super) const MONA: [&str; 3] = ["user", "github:user:1", "mona"];
pub(super) const HUBOT: [&str; 3] = ["user", "github:user:2", "hubot"];
pub(super) const LISA: [&str; 3] = ["user", "github:user:3", "lisa"];
pub(super) const PLATFORM: [&str; 3] = ["team", "github:team:10", "Octo-Org/platform"];
pub(super) const ONCALL: [&str; 3] = ["team", "github:team:11", "Octo-Org/oncall"];
pub(super) const INFRA: [&str; 3] = ["repository", "github:repo:100", "Octo-Org/infra"];

#[test]
fn org_membership_is_deleted_and_an_owner_may_be_demoted_instead() {
    let owner = instructions(&grant(GH, MONA, ORG, "admin"), None);
    assert_eq!(
        owner.summary,
        "Remove mona from organization Octo-Org (owner)"
    );
    assert_eq!(
        owner.console.as_deref(),
        Some("github.com/orgs/Octo-Org/people")
    );
    assert_eq!(
        owner.commands,
        ["gh api -X DELETE /orgs/Octo-Org/memberships/mona"]
    );
    assert!(owner
        .caution
        .iter()
        .any(|c| c.contains("gh api -X PUT /orgs/Octo-Org/memberships/mona -f role=member")));
    assert_eq!(owner.terraform, None);
    let member = instructions(&grant(GH, HUBOT, ORG, "member"), None);
    assert_eq!(
        member.commands,
        ["gh api -X DELETE /orgs/Octo-Org/memberships/hubot"]
    );
    assert!(!member.caution.iter().any(|c| c.contains("owner")));
}

#[test]
fn outside_collaborators_leave_every_repository() {
    let out = instructions(&grant(GH, LISA, ORG, "outside_collaborator"), None);
    assert_eq!(
        out.commands,
        ["gh api -X DELETE /orgs/Octo-Org/outside_collaborators/lisa"]
    );
    assert_eq!(
        out.console.as_deref(),
        Some("github.com/orgs/Octo-Org/outside-collaborators")
    );
}

#[test]
fn team_membership_from_snapshot_webhook_and_audit_log() {
    let snapshot = instructions(&grant(GH, HUBOT, PLATFORM, "maintainer"), None);
    assert_eq!(
        snapshot.summary,
        "Remove hubot from team platform in Octo-Org"
    );
    assert_eq!(
        snapshot.commands,
        ["gh api -X DELETE /orgs/Octo-Org/teams/platform/memberships/hubot"]
    );
    assert_eq!(
        snapshot.console.as_deref(),
        Some("github.com/orgs/Octo-Org/teams/platform/members")
    );
    assert!(snapshot
        .caution
        .iter()
        .any(|c| c.contains("-f role=member")));
    // Audit records without ids name the user by login and the team by `org/slug`.
    let audit = grant(
        GH,
        ["user", "github:login:hubot", "hubot"],
        ["team", "github:team:octo-org/platform", "octo-org/platform"],
        "member",
    );
    assert_eq!(
        commands(&audit),
        ["gh api -X DELETE /orgs/octo-org/teams/platform/memberships/hubot"]
    );
    // A deleted team's name is only `team <id>`: no slug, so no command.
    let nameless = grant(GH, HUBOT, ["team", "github:team:42", "team 42"], "member");
    assert!(commands(&nameless).is_empty());
}

#[test]
fn repository_access_of_teams_collaborators_keys_and_the_org() {
    let cases = [
        (
            grant(GH, PLATFORM, INFRA, "maintain"),
            "gh api -X DELETE /orgs/Octo-Org/teams/platform/repos/Octo-Org/infra",
        ),
        (
            grant(GH, LISA, INFRA, "write"),
            "gh api -X DELETE /repos/Octo-Org/infra/collaborators/lisa",
        ),
        (
            grant(
                GH,
                ["deploy_key", "github:deploy_key:7", "ci"],
                INFRA,
                "read",
            ),
            "gh api -X DELETE /repos/Octo-Org/infra/keys/7",
        ),
        (
            grant(GH, ORG, INFRA, "read"),
            "gh api -X PATCH /orgs/Octo-Org -f default_repository_permission=none",
        ),
        (
            grant(GH, ONCALL, PLATFORM, "child_of"),
            "gh api -X PATCH /orgs/Octo-Org/teams/oncall -F parent_team_id=null",
        ),
    ];
    for (grant, command) in cases {
        assert_eq!(commands(&grant), [command], "{grant:?}");
    }
    let collaborator = instructions(&grant(GH, LISA, INFRA, "write"), None);
    assert_eq!(
        collaborator.console.as_deref(),
        Some("github.com/Octo-Org/infra/settings/access")
    );
}

#[test]
fn app_installations_point_to_the_settings_page() {
    let app = ["app", "github:app:15368", "github-actions"];
    let out = instructions(&grant(GH, app, ORG, "installed"), None);
    assert_eq!(out.summary, "Uninstall app github-actions from Octo-Org");
    assert!(out.commands.is_empty());
    assert_eq!(
        out.console.as_deref(),
        Some("github.com/organizations/Octo-Org/settings/installations")
    );
}
