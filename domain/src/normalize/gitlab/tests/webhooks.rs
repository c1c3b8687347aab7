//! Hand-checked events of the project, group and system hooks that are not membership
//! changes: pushes, merge requests, CI, deployments, users, keys, projects and groups.

use super::{deliver, fixture, hook, received, sample, scope, single, t, utc, KEY};
use crate::model::{ActorKind, Outcome};
use serde_json::json;

#[test]
fn push_hook_is_a_push_by_the_username() {
    let (event, grants) = hook("Push Hook", "webhooks-go-gitlab-testdata/push.json");
    assert_eq!(event.action, "push");
    assert_eq!(event.native_action, "push");
    assert_eq!(event.actor.name, "jsmith");
    assert_eq!(event.actor.id.as_deref(), Some("4"));
    assert_eq!(event.actor.kind, ActorKind::Human);
    assert_eq!(
        event.targets,
        [
            t("branch", None, "master"),
            t("project", Some("15"), "mike/diaspora")
        ]
    );
    assert_eq!(event.scope, scope("project", "15", "mike/diaspora"));
    // `total_commits_count` counts the push; the payload lists only some commits.
    assert_eq!(
        event.summary,
        "jsmith pushed 4 commits to mike/diaspora master"
    );
    assert_eq!(event.details["commit_count"], 4);
    let commits = event.details["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 2);
    assert_eq!(
        commits[0]["title"],
        "Merge branch 'some-feature' into 'master'"
    );
    assert_eq!(commits[1]["author"], "GitLab dev user");
    // A push carries no time of its own.
    assert_eq!(event.occurred_at, received());
    assert!(grants.is_empty());
}

#[test]
fn system_hook_push_names_the_pusher_by_display_name() {
    let (event, _) = hook("System Hook", "system-hooks-go-gitlab-testdata/push.json");
    assert_eq!(event.action, "push");
    assert_eq!(event.actor.name, "John Smith");
    assert_eq!(event.actor.id.as_deref(), Some("4"));
    assert_eq!(
        event.summary,
        "John Smith pushed 1 commit to mike/diaspora master"
    );
}

#[test]
fn tag_push_of_a_new_tag_is_tag_created() {
    let (event, _) = hook("Tag Push Hook", "webhooks-go-gitlab-testdata/tag_push.json");
    assert_eq!(event.action, "tag.created");
    assert_eq!(event.native_action, "tag_push");
    assert_eq!(event.summary, "jsmith created tag v1.0.0 in jsmith/example");
    assert_eq!(event.targets[0], t("tag", None, "v1.0.0"));
}

#[test]
fn merge_request_opened_by_its_user() {
    let (event, _) = hook(
        "Merge Request Hook",
        "webhooks-go-gitlab-testdata/merge_request.json",
    );
    assert_eq!(event.action, "merge_request.opened");
    assert_eq!(event.native_action, "merge_request.open");
    assert_eq!(event.actor.name, "user1");
    assert_eq!(event.actor.id.as_deref(), Some("1"));
    assert_eq!(
        event.targets,
        [
            t("merge_request", Some("99"), "gitlabhq/gitlab-test!1"),
            t("project", Some("1"), "gitlabhq/gitlab-test"),
        ]
    );
    assert_eq!(
        event.summary,
        "user1 opened merge request gitlabhq/gitlab-test!1 MS-Viewport (ms-viewport → master)"
    );
    assert_eq!(event.occurred_at, utc("2013-12-03T17:23:34Z"));
    assert_eq!(event.details["source_branch"], "ms-viewport");
}

#[test]
fn merge_request_actions_and_states() {
    let (merged, _) = hook(
        "Merge Request Hook",
        "webhooks-go-gitlab-testdata/group_merge_request.json",
    );
    assert_eq!(merged.action, "merge_request.merged");
    assert_eq!(merged.actor.name, "user1");
    // This sample's `iid`, `title` and `updated_at` keys end in a space (a typo in the
    // published copy), so the request is named by its id and dated on arrival.
    assert_eq!(
        merged.targets[0],
        t(
            "merge_request",
            Some("15917"),
            "exm-namespace/example-project (id 15917)"
        )
    );
    assert_eq!(
        merged.summary,
        "user1 merged merge request exm-namespace/example-project (id 15917)"
    );
    assert_eq!(merged.occurred_at, received());

    let (updated, _) = hook(
        "Merge Request Hook",
        "webhooks-go-gitlab-testdata/service_merge_request.json",
    );
    assert_eq!(updated.action, "merge_request.updated");
    assert_eq!(updated.occurred_at, utc("2021-09-27T05:01:21Z"));

    // Older system hooks send no action: the state says what happened.
    let (system, _) = hook(
        "System Hook",
        "system-hooks-go-gitlab-testdata/merge_request.json",
    );
    assert_eq!(system.action, "merge_request.opened");
    assert_eq!(system.native_action, "merge_request");
    assert_eq!(system.actor.name, "root");
    assert_eq!(
        system.targets[1],
        t("project", Some("14"), "jsmith/example")
    );
}

#[test]
fn pipeline_that_passed_is_pipeline_succeeded() {
    let (event, _) = hook("Pipeline Hook", "webhooks-go-gitlab-testdata/pipeline.json");
    assert_eq!(event.action, "pipeline.succeeded");
    assert_eq!(event.actor.name, "user1");
    assert_eq!(
        event.targets[0],
        t(
            "pipeline",
            Some("31"),
            "gitlab-org/gitlab-test/-/pipelines/31"
        )
    );
    assert_eq!(
        event.summary,
        "user1: pipeline 31 on master in gitlab-org/gitlab-test succeeded"
    );
    assert_eq!(event.occurred_at, utc("2016-08-12T15:26:29Z"));
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.details["job_count"], 5);

    let mut failed = sample("webhooks-go-gitlab-testdata/pipeline.json");
    failed["object_attributes"]["status"] = json!("failed");
    let (event, _) = single(deliver(Some("Pipeline Hook"), failed.to_string().as_bytes()).unwrap());
    assert_eq!(event.action, "pipeline.failed");
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(event.error.as_deref(), Some("pipeline failed"));
}

#[test]
fn jobs_under_both_header_names() {
    let (job, _) = hook("Job Hook", "webhooks-go-gitlab-testdata/job.json");
    assert_eq!(job.action, "job.succeeded");
    assert_eq!(job.native_action, "build");
    assert_eq!(job.actor.name, "jsmithy2");
    assert_eq!(job.occurred_at, utc("2023-01-10T13:50:54Z"));
    assert_eq!(job.details["environment"], "production");
    // The failure reason of a job that did not fail is not an error.
    assert_eq!(job.error, None);

    let (build, _) = hook("Build Hook", "webhooks-go-gitlab-testdata/build.json");
    assert_eq!(build.action, "job.created");
    assert_eq!(
        build.targets[1],
        t("project", Some("380"), "gitlab-org/gitlab-test")
    );
    assert_eq!(build.occurred_at, utc("2021-02-23T02:41:37.886Z"));
}

#[test]
fn deployment_keeps_gitlabs_status_word_and_offset_time() {
    let (event, _) = hook(
        "Deployment Hook",
        "webhooks-go-gitlab-testdata/deployment.json",
    );
    assert_eq!(event.action, "deployment.success");
    assert_eq!(event.actor.name, "user1");
    assert_eq!(
        event.summary,
        "user1 deployed root/test-deployment-webhooks 1.0.0 (279484c0) to staging: success"
    );
    // `2021-04-28 21:50:00 +0200`
    assert_eq!(event.occurred_at, utc("2021-04-28T19:50:00Z"));
    assert_eq!(event.targets[0], t("environment", None, "staging"));
    assert_eq!(
        event.targets[1],
        t("deployment", Some("15"), "staging deployment 15")
    );
}

#[test]
fn notes_name_what_they_are_on() {
    for (file, action, on) in [
        (
            "note_merge_request.json",
            "note.created",
            t("merge_request", Some("7"), "gitlab-org/gitlab-test!1"),
        ),
        (
            "note_issue.json",
            "note.created",
            t("issue", Some("92"), "gitlab-org/gitlab-test#17"),
        ),
        (
            "note_commit.json",
            "note.created",
            t(
                "commit",
                Some("cfe32cf61b73a0d5e9f13e774abde7ff789b1660"),
                "gitlabhq/gitlab-test@cfe32cf6",
            ),
        ),
        (
            "note_snippet.json",
            "note.created",
            t("snippet", Some("53"), "gitlab-org/gitlab-test$53"),
        ),
    ] {
        let (event, _) = hook("Note Hook", &format!("webhooks-go-gitlab-testdata/{file}"));
        assert_eq!(event.action, action, "{file}");
        assert_eq!(event.targets[0], on, "{file}");
    }
    let (event, _) = hook(
        "Note Hook",
        "webhooks-go-gitlab-testdata/note_merge_request.json",
    );
    assert_eq!(
        event.summary,
        "root commented on merge request gitlab-org/gitlab-test!1: This MR needs work."
    );
    assert_eq!(event.occurred_at, utc("2015-05-17T18:21:36Z"));
}

#[test]
fn issue_release_wiki_and_feature_flag() {
    let (issue, _) = hook("Issue Hook", "webhooks-go-gitlab-testdata/issue.json");
    assert_eq!(issue.action, "issue.opened");
    assert_eq!(
        issue.targets[0],
        t("issue", Some("301"), "gitlabhq/gitlab-test#23")
    );

    let (release, _) = hook("Release Hook", "webhooks-go-gitlab-testdata/release.json");
    assert_eq!(release.action, "release.created");
    assert_eq!(release.actor.name, "unknown");
    assert_eq!(
        release.summary,
        "release 1.0.0 of exm-namespace/example-project was created"
    );
    assert_eq!(release.occurred_at, utc("2021-02-25T21:23:34Z"));

    let (wiki, _) = hook(
        "Wiki Page Hook",
        "webhooks-go-gitlab-testdata/wiki_page.json",
    );
    assert_eq!(wiki.action, "wiki_page.created");
    assert_eq!(
        wiki.summary,
        "user1 created wiki page Awesome in root/awesome-project"
    );

    let (flag, _) = hook(
        "Feature Flag Hook",
        "webhooks-go-gitlab-testdata/feature_flag.json",
    );
    assert_eq!(flag.action, "feature_flag.enabled");
    assert_eq!(
        flag.summary,
        "root turned on feature flag test-feature-flag in gitlabhq/gitlab-test"
    );
}

#[test]
fn users_keys_and_failed_sign_ins() {
    let (created, _) = hook("System Hook", "system-hooks-docs/user_create.json");
    assert_eq!(created.action, "user.created");
    assert_eq!(created.targets, [t("user", Some("41"), "js")]);
    assert_eq!(created.occurred_at, utc("2012-07-21T07:44:07Z"));

    let (renamed, _) = hook("System Hook", "system-hooks-docs/user_rename.json");
    assert_eq!(renamed.action, "user.renamed");
    assert_eq!(
        renamed.summary,
        "user old-boring-name was renamed to new-exciting-name"
    );

    let (failed, _) = hook("System Hook", "system-hooks-docs/user_failed_login.json");
    assert_eq!(failed.action, "auth.login");
    assert_eq!(failed.outcome, Outcome::Failure);
    assert_eq!(failed.actor.name, "user4");
    assert_eq!(
        failed.error.as_deref(),
        Some("sign-in refused (account blocked)")
    );

    let (key, grants) = hook("System Hook", "system-hooks-docs/key_create.json");
    assert_eq!(key.action, "ssh_key.added");
    assert_eq!(
        key.targets,
        [
            t("ssh_key", Some("4"), "john@localhost"),
            t("user", None, "root")
        ]
    );
    // `2014-08-18 18:45:16 UTC`
    assert_eq!(key.occurred_at, utc("2014-08-18T18:45:16Z"));
    assert_eq!(key.details["key_type"], "ssh-rsa");
    assert!(grants.is_empty());
    let (removed, _) = hook("System Hook", "system-hooks-docs/key_destroy.json");
    assert_eq!(removed.action, "ssh_key.removed");
}

#[test]
fn projects_and_groups_made_moved_and_deleted() {
    for (kind, file, action, summary) in [
        (
            "System Hook",
            "system-hooks-docs/project_create.json",
            "project.created",
            "project jsmith/storecloud was created",
        ),
        (
            "System Hook",
            "system-hooks-docs/project_transfer.json",
            "project.transferred",
            "project jsmith/overscore was moved to scores/underscore",
        ),
        (
            "System Hook",
            "system-hooks-docs/group_rename.json",
            "group.renamed",
            "group parent-group/old-name was renamed to parent-group/better-name",
        ),
        (
            "Project Hook",
            "group-webhooks-docs/project_hook.project_destroy.json",
            "project.deleted",
            "project group1/project1 was deleted",
        ),
        (
            "Subgroup Hook",
            "group-webhooks-docs/subgroup_hook.subgroup_create.json",
            "group.created",
            "subgroup group1/subgroup1 was created",
        ),
    ] {
        let (event, grants) = hook(kind, file);
        assert_eq!(event.action, action, "{file}");
        assert_eq!(event.summary, summary, "{file}");
        assert!(grants.is_empty(), "{file}");
    }
    let (subgroup, _) = hook("Subgroup Hook", "webhooks-go-gitlab-testdata/subgroup.json");
    assert_eq!(
        subgroup.targets,
        [
            t("group", Some("2"), "group-1/subgroup-1"),
            t("group", Some("1"), "group-1")
        ]
    );
    // A subgroup hook is sent to the parent group.
    assert_eq!(subgroup.scope, scope("group", "1", "group-1"));
}

#[test]
fn expiring_access_tokens_name_the_token_and_its_owner() {
    let (event, grants) = hook(
        "Resource Access Token Hook",
        "webhooks-go-gitlab-testdata/resource_access_token_project.json",
    );
    assert_eq!(event.action, "access_token.expiring");
    assert_eq!(event.native_action, "expiring_access_token");
    assert_eq!(
        event.summary,
        "access token acd of project flightjs/Flight expires on 2024-01-26"
    );
    assert_eq!(
        event.targets,
        [
            t("access_token", Some("25"), "acd"),
            t("user", Some("90"), "user 90"),
            t("project", Some("7"), "flightjs/Flight"),
        ]
    );
    assert!(grants.is_empty());
    let (group, _) = hook(
        "Resource Access Token Hook",
        "webhooks-go-gitlab-testdata/resource_access_token_group.json",
    );
    assert_eq!(group.scope, scope("group", "35", "twitter"));
}

#[test]
fn member_promotions_wait_for_an_administrator() {
    let (queued, grants) = hook(
        "System Hook",
        "system-hooks-docs/gitlab_subscription_member_approval.enqueue.json",
    );
    assert_eq!(queued.action, "member.promotion.requested");
    assert_eq!(queued.actor.id.as_deref(), Some("99"));
    assert_eq!(
        queued.summary,
        "promotion of user 42 from guest to developer is waiting for approval"
    );
    // The role changes only with the membership event that follows an approval.
    assert!(grants.is_empty());
    let (approved, _) = hook(
        "System Hook",
        "system-hooks-docs/gitlab_subscription_member_approvals.approve.json",
    );
    assert_eq!(approved.action, "member.promotion.approved");
    assert_eq!(approved.actor.id.as_deref(), Some("101"));
}

#[test]
fn without_a_kind_the_body_says_what_it_is() {
    for (kind, file) in [
        (
            "Member Hook",
            "group-webhooks-docs/member_hook.user_add_to_group.json",
        ),
        ("Push Hook", "webhooks-go-gitlab-testdata/push.json"),
        (
            "Merge Request Hook",
            "webhooks-go-gitlab-testdata/merge_request.json",
        ),
        (
            "System Hook",
            "system-hooks-docs/user_remove_from_team.json",
        ),
    ] {
        let with_kind = deliver(Some(kind), &fixture(file)).unwrap();
        let without = deliver(None, &fixture(file)).unwrap();
        let (mut a, grants_a) = single(with_kind);
        let (b, grants_b) = single(without);
        // Only the header noted in the details differs.
        if let Some(details) = a.details.as_object_mut() {
            details.remove("hook");
        }
        assert_eq!(a, b, "{file}");
        // Evidence names the header when there was one; the grants are the same.
        let facts = |grants: &[crate::grant::GrantChange]| {
            grants
                .iter()
                .map(|g| (g.at, g.grant.clone(), g.op))
                .collect::<Vec<_>>()
        };
        assert_eq!(facts(&grants_a), facts(&grants_b), "{file}");
        assert_eq!(b.source_event_id, KEY);
    }
}

#[test]
fn old_payloads_without_object_kind_are_read_by_their_header() {
    let mut body = sample("webhooks-go-gitlab-testdata/push.json");
    let map = body.as_object_mut().unwrap();
    map.remove("object_kind");
    map.remove("event_name");
    let (event, _) = single(deliver(Some("Push Hook"), body.to_string().as_bytes()).unwrap());
    assert_eq!(event.action, "push");
}

#[test]
fn unknown_kinds_get_a_generic_event() {
    let body = json!({
        "object_kind": "emoji",
        "event_type": "award",
        "user": {"id": 1, "username": "root"},
        "project": {"id": 6, "path_with_namespace": "flightjs/flight"},
        "object_attributes": {"id": 1, "name": "thumbsup", "action": "award",
                              "created_at": "2023-03-27 00:03:05 UTC"}
    });
    let (event, _) = single(deliver(Some("Emoji Hook"), body.to_string().as_bytes()).unwrap());
    assert_eq!(event.action, "emoji.award");
    assert_eq!(event.native_action, "emoji.award");
    assert_eq!(event.actor.name, "root");
    assert_eq!(event.summary, "root: emoji award in flightjs/flight");
    assert_eq!(event.occurred_at, utc("2023-03-27T00:03:05Z"));
}
