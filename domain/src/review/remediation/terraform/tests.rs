#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::fixtures;
use crate::grant::{Principal, Resource};
use crate::model::Source;
use crate::normalize::{terraform, RawDelivery};
use serde_json::json;

fn grant(principal: &str, resource: [&str; 3], permission: &str, via: &str) -> Grant {
    let [kind, id, name] = resource.map(str::to_owned);
    Grant {
        scope: String::new(),
        principal: Principal {
            kind: "user".into(),
            id: format!("x:user:{principal}"),
            name: principal.into(),
        },
        resource: Resource { kind, id, name },
        permission: permission.into(),
        via: via.into(),
    }
}

/// A fixture plan through the Terraform normalizer, as the store reads it back.
fn managed(file: &str) -> Vec<Managed> {
    let body = fixtures::read(&format!("terraform/plan-json/{file}"));
    let normalized = terraform::normalize(&RawDelivery {
        source: Source::Terraform,
        kind: Some("plan"),
        delivery_key: "d1",
        received_at: chrono::Utc::now(),
        body: &body,
    })
    .unwrap();
    managed_from_plans(
        normalized
            .events
            .iter()
            .map(|e| (e.action.as_str(), &e.details)),
    )
}

const ACCOUNT: [&str; 3] = ["account", "aws:account:123456789012", "123456789012"];

#[test]
fn a_group_membership_in_a_real_plan_is_found_by_its_user_and_group() {
    let managed = managed("regula-user_attached_policy_infra.json");
    let member = grant(
        "valid_group_blank_user",
        ACCOUNT,
        "member",
        "group:valid_group_blank_users",
    );
    assert_eq!(
        address_for(&member, &managed),
        Some("aws_iam_group_membership.valid_group_blank_users_membership")
    );
    // The plan's `aws_iam_user` names the user, and its policy attachment names only the
    // user (the policy ARN is unknown until apply): neither says what is held, so no address.
    let attached = grant(
        "invalid_user_policy_attachment_user",
        ACCOUNT,
        "attached",
        "policy:SomePolicy",
    );
    assert_eq!(address_for(&attached, &managed), None);
    // Someone the plan does not name.
    let stranger = grant(
        "mallory",
        ACCOUNT,
        "member",
        "group:valid_group_blank_users",
    );
    assert_eq!(address_for(&stranger, &managed), None);
}

#[test]
fn memberships_and_bindings_match_whole_values_never_substrings() {
    let plans = [
        (
            "terraform.resource.created",
            json!({"address": "github_team_membership.platform[\"hubot\"]",
                   "after": {"team_id": "10", "username": "hubot", "role": "maintainer"}}),
        ),
        (
            "terraform.resource.created",
            json!({"address": "github_membership.hub",
                   "after": {"username": "hub", "role": "admin"}}),
        ),
        (
            "terraform.resource.created",
            json!({"address": "module.gcp.google_project_iam_member.owner",
                   "after": {"project": "my-project", "role": "roles/owner",
                             "member": "user:alice@example.com"}}),
        ),
        (
            "terraform.resource.created",
            json!({"address": "github_membership.gone",
                   "after": {"username": "lisa", "role": "member"}}),
        ),
        (
            "terraform.resource.deleted",
            json!({"address": "github_membership.gone", "before": {}, "after": null}),
        ),
        // Not an access resource: no values kept, not a candidate.
        (
            "terraform.resource.updated",
            json!({"address": "aws_s3_bucket.logs", "changes": {"tags": {}}}),
        ),
    ];
    let managed = managed_from_plans(plans.iter().map(|(a, d)| (*a, d)));
    assert_eq!(
        managed
            .iter()
            .map(|m| m.address.as_str())
            .collect::<Vec<_>>(),
        [
            "github_membership.hub",
            "github_team_membership.platform[\"hubot\"]",
            "module.gcp.google_project_iam_member.owner"
        ]
    );
    let team = ["team", "github:team:10", "Octo-Org/platform"];
    assert_eq!(
        address_for(&grant("hubot", team, "maintainer", ""), &managed),
        Some("github_team_membership.platform[\"hubot\"]")
    );
    // `hub` is a whole value only in github_membership.hub.
    let org = ["org", "github:org:9919", "Octo-Org"];
    assert_eq!(
        address_for(&grant("hub", org, "admin", ""), &managed),
        Some("github_membership.hub")
    );
    assert_eq!(address_for(&grant("hu", org, "admin", ""), &managed), None);
    let project = ["project", "gcp:project:my-project", "my-project"];
    let mut owner = grant("alice@example.com", project, "roles/owner", "");
    owner.principal.id = "gcp:user:alice@example.com".into();
    assert_eq!(
        address_for(&owner, &managed),
        Some("module.gcp.google_project_iam_member.owner")
    );
    // A user whose numeric id is the team's id is not named by the team membership.
    let mut numbered = grant("octocat", team, "maintainer", "");
    numbered.principal.id = "github:user:10".into();
    assert_eq!(address_for(&numbered, &managed), None);
    // Deleted by a later plan: Terraform no longer manages it.
    assert_eq!(
        address_for(&grant("lisa", org, "member", ""), &managed),
        None
    );
}
