//! Every file in the GitHub fixture folders is accounted for: webhook samples (`robustness`),
//! audit-log records (`audit`), snapshot pieces (`snapshot`), or classified here as holding no
//! grants, with the reason. A new file fails these tests until someone decides which it is.

use super::deliver;
use super::snapshot::PIECES;
use crate::fixtures;
use crate::normalize::NormalizeError;
use serde_json::Value;
use std::collections::BTreeSet;

/// Files below `github/` that are read by the audit-log tests.
const AUDIT_RECORDS: &[&str] = &[
    "rest-api-docs-examples/GET_orgs_org_audit-log.200.audit-log.json",
    "audit-log/panther-analysis-tests/github-audit.jsonl",
    "audit-log/panther-analysis-tests/github-webhook.jsonl",
];

/// REST responses that are not part of an org snapshot, and why.
const NOT_GRANTS: &[(&str, &str)] = &[
    ("rest-api-docs-examples/GET_app_installations.200.base-installation-items.json", "an app's view of its own installations; installations arrive as webhooks"),
    ("rest-api-docs-examples/GET_orgs_org.200.organization-full-response-with-git-hub-plan-information.json", "the default org response again, with its plan"),
    ("rest-api-docs-examples/GET_orgs_org_blocks.200.simple-user-items.json", "blocked users: a restriction, not a grant"),
    ("rest-api-docs-examples/GET_orgs_org_credential-authorizations.200.credential-authorization-items.json", "SAML SSO approval of tokens, not access"),
    ("rest-api-docs-examples/GET_orgs_org_hooks.200.org-hook-items.json", "webhook settings"),
    ("rest-api-docs-examples/GET_orgs_org_installations.200.installation-paginated.json", "apps installed in the org: not in the snapshot shape (they arrive as webhooks)"),
    ("rest-api-docs-examples/GET_orgs_org_invitations.200.organization-invitation-items.json", "invitations grant nothing until accepted"),
    ("rest-api-docs-examples/GET_orgs_org_public_members.200.simple-user-items.json", "the public subset of the members list"),
    ("rest-api-docs-examples/GET_orgs_org_teams_team_slug.200.team-full.json", "one team in full; the snapshot nests the list items"),
    ("rest-api-docs-examples/GET_orgs_org_teams_team_slug_invitations.200.organization-invitation-items.json", "invitations grant nothing until accepted"),
    ("rest-api-docs-examples/GET_repos_owner_repo.200.full-repository-default-response.json", "repository settings; its `permissions` are the caller's own"),
    ("rest-api-docs-examples/GET_repos_owner_repo.200.full-repository-response-with-scarlet-witch-preview-media-type.json", "repository settings; its `permissions` are the caller's own"),
    ("rest-api-docs-examples/GET_repos_owner_repo_branches.200.short-branch-items.json", "branches"),
    ("rest-api-docs-examples/GET_repos_owner_repo_branches.200.short-branch-with-protection-items.json", "branch protection settings"),
    ("rest-api-docs-examples/GET_repos_owner_repo_branches_branch_protection.200.branch-protection.json", "branch protection settings"),
    ("rest-api-docs-examples/GET_repos_owner_repo_collaborators_username_permission.200.repository-collaborator-permission-response-if-user-has-admin-permissions.json", "one person's effective permission, teams and org included: not a direct grant"),
    ("rest-api-docs-examples/GET_repos_owner_repo_hooks.200.hook-items.json", "webhook settings"),
    ("rest-api-docs-examples/GET_repos_owner_repo_invitations.200.repository-invitation-items.json", "invitations grant nothing until accepted"),
    ("rest-api-docs-examples/GET_repos_owner_repo_teams.200.team-items.json", "the team → repository edges again, read from the repository's side"),
    ("rest-api-docs-examples/GET_user_memberships_orgs.200.org-membership-items.json", "the caller's own memberships"),
    ("rest-api-docs-examples/GET_user_orgs.200.organization-simple-items.json", "the caller's own orgs"),
    ("rest-api-docs-examples/GET_user_teams.200.team-full-items.json", "the caller's own teams"),
    ("rest-api-recorded/octokit-fixtures-branch-protection.normalized.json", "branch protection settings"),
    ("rest-api-recorded/octokit-fixtures-get-repository.normalized.json", "repository settings; its `permissions` are the caller's own"),
    ("rest-api-recorded/octokit-fixtures-rename-repository.normalized.json", "a rename: the repository's id, which grants use, stays"),
    ("rest-api-recorded/pygithub-replaydata/Issue937.testCollaboratorsAffiliation.01.GET_repos_hegde5_PyGithub_collaborators.200.json", "a collaborators list of a personal repository, same shape as the one used"),
    ("rest-api-recorded/pygithub-replaydata/Organization.testGetTeamBySlug.01.GET_orgs_BeaverSoftware_teams_Members.200.json", "one team in full; the snapshot nests the list items"),
    ("rest-api-recorded/pygithub-replaydata/Repository.testCollaboratorPermission.01.GET_repos_PyGithub_PyGithub_collaborators_jacquev6_permission.200.json", "one person's effective permission: not a direct grant"),
    ("rest-api-recorded/pygithub-replaydata/Team.testMembers.02.GET_organizations_1234567_team_12345678_members.200.json", "a team's members recorded around a change, same shape as the one used"),
    ("rest-api-recorded/pygithub-replaydata/Team.testMembers.04.GET_organizations_1234567_team_12345678_members.200.json", "a team's members recorded around a change, same shape as the one used"),
    ("rest-api-recorded/pygithub-replaydata/Team.testMembers.05.GET_organizations_1234567_team_12345678_members.200.json", "a team's members recorded around a change, same shape as the one used"),
    ("rest-api-recorded/pygithub-replaydata/Team.testTeamMembership.02.GET_organizations_1234567_team_12345678_members.200.json", "a team's members recorded around a change, same shape as the one used"),
    ("rest-api-recorded/pygithub-replaydata/Team.testRepos.01.GET_repos_BeaverSoftware_FatherBeaver.200.json", "the repository used, recorded again"),
    ("rest-api-recorded/pygithub-replaydata/Team.testRepos.02.GET_organizations_1234567_team_12345678_repos.200.json", "a team's repositories recorded around a change, same shape as the one used"),
    ("rest-api-recorded/pygithub-replaydata/Team.testRepos.06.GET_organizations_1234567_team_12345678_repos_BeaverSoftware_FatherBeaver.200.json", "a check of one team repository"),
    ("rest-api-recorded/pygithub-replaydata/Team.testRepos.07.GET_organizations_1234567_team_12345678_repos.200.json", "a team's repositories recorded around a change, same shape as the one used"),
];

/// Whole families of recorded responses that hold no grants, by a part of their name (a
/// piece of a snapshot may share one: pieces are looked up first).
fn family(name: &str) -> Option<&'static str> {
    if name.contains(".404.") || name.contains(".403.") {
        Some("an error answer")
    } else if name.contains(".GET_users_") {
        Some("a user's profile")
    } else if name.contains("_protection.") {
        Some("branch protection settings")
    } else if name.contains(".PUT_") {
        Some("the answer to a change a test made, not a listing")
    } else {
        None
    }
}

/// Every file below a folder of `github/`, as paths relative to `github/`.
fn files(folder: &str) -> Vec<String> {
    let root = fixtures::dir().join("github");
    let mut found = Vec::new();
    let mut pending = vec![root.join(folder)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(&root).unwrap();
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_github_folder_holds_only_known_collections() {
    let root = fixtures::dir().join("github");
    let entries: BTreeSet<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // `webhooks*` are every sample in `robustness`; the HMAC vector is the server's
    // signature test's.
    let known = [
        "audit-log",
        "hmac-test-vector.json",
        "rest-api-docs-examples",
        "rest-api-recorded",
        "webhooks",
        "webhooks-ghes-3.5",
    ];
    assert_eq!(entries, known.iter().map(|s| s.to_string()).collect());
}

#[test]
fn every_rest_response_is_a_snapshot_piece_or_classified() {
    let mut unclassified = Vec::new();
    let mut used = BTreeSet::new();
    for file in files("rest-api-docs-examples")
        .into_iter()
        .chain(files("rest-api-recorded"))
    {
        let body: Value = serde_json::from_slice(&fixtures::read(&format!("github/{file}")))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let listed = NOT_GRANTS.iter().any(|(name, _)| *name == file)
            || AUDIT_RECORDS.contains(&file.as_str());
        if PIECES.contains(&file.as_str()) {
            assert!(!listed, "{file} is both a piece and classified");
            assert!(!body.is_null(), "{file}");
            used.insert(file);
        } else if !listed && family(&file).is_none() {
            unclassified.push(file);
        }
    }
    assert_eq!(unclassified, Vec::<String>::new());
    // Every piece and every classification names a file that exists.
    assert_eq!(used.len(), PIECES.len());
    for (name, _) in NOT_GRANTS {
        assert!(
            fixtures::dir().join("github").join(name).is_file(),
            "{name}"
        );
    }
}

#[test]
fn the_audit_log_folder_is_records_and_their_indexes() {
    for file in files("audit-log") {
        if AUDIT_RECORDS.contains(&file.as_str()) {
            continue;
        }
        // Panther's index names the rule and test case of each line: a header, then one row
        // per record, numbered from 1.
        let records = file.replace(".index.tsv", ".jsonl");
        assert!(
            file.ends_with(".index.tsv") && AUDIT_RECORDS.contains(&records.as_str()),
            "{file}"
        );
        let index = String::from_utf8(fixtures::read(&format!("github/{file}"))).unwrap();
        let lines = super::audit::lines(&format!("github/{records}"));
        let rows: Vec<&str> = index.lines().skip(1).collect();
        assert_eq!(rows.len(), lines.len(), "{file}");
        for (n, row) in rows.iter().enumerate() {
            assert_eq!(row.split('\t').next(), Some((n + 1).to_string().as_str()));
        }
    }
}

/// The `X-GitHub-Event` a Panther webhook body was sent with, told from the objects in it;
/// `None` when the body does not say.
fn inferred_event(body: &Value) -> Option<&'static str> {
    let has = |key: &str| body.get(key).is_some();
    let action = body.get("action").and_then(Value::as_str);
    Some(match () {
        _ if has("workflow_run") => "workflow_run",
        _ if has("workflow_job") => "workflow_job",
        _ if has("review") => "pull_request_review",
        _ if has("comment") && has("issue") => "issue_comment",
        _ if has("comment") && has("pull_request") => "pull_request_review_comment",
        _ if has("pages") => "gollum",
        _ if has("commits") => "push",
        _ if has("issue") => "issues",
        _ if has("pull_request") && action.is_some() => "pull_request",
        _ if matches!(action, Some("created" | "deleted")) => "repository",
        _ => return None,
    })
}

#[test]
fn panther_webhook_bodies_are_classified() {
    let bodies =
        super::audit::lines("github/audit-log/panther-analysis-tests/github-webhook.jsonl");
    assert_eq!(bodies.len(), 74);
    let mut unknown = Vec::new();
    for (n, body) in bodies.iter().enumerate() {
        let line = n + 1;
        let bytes = body.to_string().into_bytes();
        // Without the header nothing says what a body is: refused, as a delivery would be.
        assert_eq!(
            deliver(None, &bytes),
            Err(NormalizeError::Invalid(
                "the X-GitHub-Event header is empty".into()
            )),
            "line {line}"
        );
        let Some(event) = inferred_event(body) else {
            unknown.push(line);
            continue;
        };
        // Panther cut most bodies down by hand and dropped `sender`, which every real delivery
        // has; only a push can still name who acted (its `pusher`).
        let has_actor = body.pointer("/sender/login").is_some_and(Value::is_string)
            || (event == "push" && body.pointer("/pusher/name").is_some_and(Value::is_string));
        match deliver(Some(event), &bytes) {
            Ok(normalized) => {
                assert!(has_actor, "line {line}");
                assert!(!normalized.events.is_empty(), "line {line}");
                assert!(
                    normalized
                        .events
                        .iter()
                        .all(|e| e.native_action.starts_with(event)),
                    "line {line}"
                );
                // None of these kinds changes access.
                assert!(normalized.grant_changes.is_empty(), "line {line}");
            }
            Err(err) => {
                assert!(!has_actor, "line {line}: {err}");
                assert_eq!(err, NormalizeError::Missing("sender"), "line {line}");
            }
        }
    }
    // Line 10 is "Non-Comment Event" (`action: push`, no commits), 33 "PR Event Missing Pull
    // Request Object", 71 "Non-Push Event with Skip Pattern" (a `pull_request` without an
    // action, beside a `pusher`).
    assert_eq!(unknown, [10, 33, 71]);
}
