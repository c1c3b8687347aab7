//! Hand-checked results for repository settings, app installations, webhooks and the kinds
//! normalized generically.

use super::{received, run, sample, scope, single, t, utc};
use crate::model::ActorKind;
use serde_json::json;

#[test]
fn deploy_key_created() {
    let event = single(
        "deploy_key",
        &sample("webhooks/deploy_key/created.payload.json"),
    );
    assert_eq!(event.action, "repo.deploy_key.created");
    assert_eq!(
        event.targets,
        [
            t("deploy_key", Some("100"), "hey-its-a-deploy-key"),
            t("repository", Some("135493233"), "Codertocat/Hello-World"),
        ]
    );
    assert_eq!(
        event.summary,
        "Codertocat added read-only deploy key \"hey-its-a-deploy-key\" to Codertocat/Hello-World"
    );
    assert_eq!(event.occurred_at, utc("2019-04-02T17:37:07Z"));
    assert!(
        event.details.get("key").is_none(),
        "the public key itself is left out"
    );
}

#[test]
fn repository_events() {
    let event = single(
        "repository",
        &sample("webhooks/repository/publicized.payload.json"),
    );
    assert_eq!(event.action, "repo.visibility.publicized");
    let event = single(
        "repository",
        &sample("webhooks-ghes-3.5/repository/deleted.json"),
    );
    assert_eq!(event.action, "repo.deleted");
    let event = single(
        "repository",
        &sample("webhooks/repository/renamed.payload.json"),
    );
    assert_eq!(
        event.summary,
        "Codertocat renamed repository Hello-World to Octocoders/Hello-World"
    );
}

#[test]
fn branch_protection_rule_edited() {
    let event = single(
        "branch_protection_rule",
        &sample("webhooks/branch_protection_rule/edited.payload.json"),
    );
    assert_eq!(event.action, "repo.branch_protection.edited");
    assert_eq!(
        event.targets[0],
        t("branch_protection_rule", Some("21796960"), "production")
    );
    // "2021-08-19T12:16:32.000-04:00", in UTC.
    assert_eq!(event.occurred_at, utc("2021-08-19T16:16:32Z"));
    assert_eq!(
        event.details["changes"]["required_approving_review_count"]["from"],
        2
    );
}

#[test]
fn installation_and_its_repositories() {
    let event = single(
        "installation",
        &sample("webhooks/installation/created.payload.json"),
    );
    assert_eq!(event.action, "app.installation.created");
    // No organization and no repository: the account the app is installed on.
    assert_eq!(event.scope, scope("user", "21031067", "Codertocat"));
    assert_eq!(event.occurred_at, utc("2019-05-15T15:19:51Z"));

    let mut payload = sample("webhooks/installation_repositories/added.payload.json");
    let second = json!({"id": 7, "full_name": "Codertocat/Other", "private": true});
    payload["repositories_added"]
        .as_array_mut()
        .unwrap()
        .push(second);
    let events = run("installation_repositories", &payload).unwrap();
    let ids: Vec<_> = events.iter().map(|e| e.source_event_id.as_str()).collect();
    assert_eq!(ids, ["delivery-1:0", "delivery-1:1"]);
    assert_eq!(events[1].action, "app.installation.repo.added");
    assert_eq!(
        events[1].targets[0],
        t("repository", Some("7"), "Codertocat/Other")
    );
}

#[test]
fn bots_and_organizations_as_actors() {
    let event = single(
        "check_suite",
        &sample("webhooks/check_suite/rerequested.payload.json"),
    );
    assert_eq!(event.actor.kind, ActorKind::Bot);
    let payload = json!({"sender": {"login": "renovate[bot]", "id": 1, "type": "User"}});
    assert_eq!(single("star", &payload).actor.kind, ActorKind::Bot);
    let event = single(
        "org_block",
        &sample("webhooks/org_block/blocked.payload.json"),
    );
    assert_eq!(event.actor.kind, ActorKind::Service);
    assert_eq!(event.action, "org.user.blocked");
}

#[test]
fn other_kinds_get_a_generic_action() {
    let event = single("issues", &sample("webhooks/issues/opened.payload.json"));
    assert_eq!(event.action, "issues.opened");
    assert_eq!(event.native_action, "issues.opened");
    let event = single("ping", &sample("webhooks/ping/payload.json"));
    assert_eq!(event.action, "webhook.ping");
    // Security advisories come from GitHub itself, with no sender.
    let event = single(
        "security_advisory",
        &sample("webhooks/security_advisory/published.payload.json"),
    );
    assert_eq!(event.actor.name, "GitHub");
}

#[test]
fn branches_and_tags_made_or_removed() {
    let event = single("create", &sample("webhooks/create/payload.json"));
    assert_eq!(event.action, "repo.tag.created");
    assert_eq!(event.native_action, "create");
    assert_eq!(event.targets[0], t("tag", None, "simple-tag"));
    assert_eq!(
        event.summary,
        "Codertocat created tag simple-tag in Codertocat/Hello-World"
    );
    let event = single("delete", &sample("webhooks/delete/payload.json"));
    assert_eq!(event.action, "repo.tag.deleted");
}

#[test]
fn public_and_organization_renamed() {
    let event = single("public", &sample("webhooks/public/payload.json"));
    assert_eq!(event.action, "repo.visibility.publicized");
    assert_eq!(event.native_action, "public");
    assert_eq!(
        event.summary,
        "Codertocat made Codertocat/Hello-World public"
    );

    let event = single(
        "organization",
        &sample("webhooks/organization/renamed.payload.json"),
    );
    assert_eq!(event.action, "org.renamed");
    // No member in it: the organization is what was acted on.
    assert_eq!(event.targets, [t("org", Some("38302899"), "Octocoders")]);
    assert_eq!(event.details["changes"]["login"]["from"], "Octocoders");
}

#[test]
fn text_from_the_payload_cannot_break_actions_or_summaries() {
    let mut payload = sample("webhooks/repository_dispatch/payload.json");
    payload["action"] = json!("Deploy Prod!\nnow");
    let event = single("repository_dispatch", &payload);
    assert_eq!(event.action, "repository_dispatch.deploy_prod__now");
    assert_eq!(event.native_action, "repository_dispatch.Deploy Prod!\nnow");
    assert!(!event.summary.contains('\n'), "{:?}", event.summary);

    let mut payload = sample("webhooks/pull_request/opened.payload.json");
    payload["pull_request"]["title"] = json!("fix\r\nDROP TABLE");
    let event = single("pull_request", &payload);
    assert!(!event.summary.contains(['\n', '\r']), "{:?}", event.summary);
    assert_eq!(event.occurred_at, utc("2019-05-15T15:20:33Z"));
    assert_ne!(event.occurred_at, received());
}
