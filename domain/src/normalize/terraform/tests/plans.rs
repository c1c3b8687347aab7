//! Plans: every fixture plan with its exact number of change events, a hand-checked IAM
//! resource, and hand-written plans for updates, replacements and sensitive values.

use super::super::plan::is_access_resource;
use super::super::redact::{mask_sensitive, SENSITIVE};
use super::super::Kind;
use super::{files, received, run, utc};
use crate::fixtures;
use crate::model::{ActorKind, NewEvent, Outcome, Target};
use crate::normalize::NormalizeError;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn plan_events(relative: &str, kind: &str) -> Vec<NewEvent> {
    let body = fixtures::read(&format!("terraform/plan-json/{relative}"));
    let normalized = run(kind, &body).unwrap();
    assert!(
        normalized.grant_changes.is_empty(),
        "a plan proposes, it grants nothing"
    );
    assert!(normalized.ignored.is_none());
    normalized.events
}

fn find<'a>(events: &'a [NewEvent], address: &str) -> &'a NewEvent {
    events
        .iter()
        .find(|e| e.targets.first().and_then(|t| t.id.as_deref()) == Some(address))
        .unwrap_or_else(|| panic!("no event for {address}"))
}

#[test]
fn every_fixture_plan_yields_one_event_per_changed_resource() {
    // Counted by hand from each file's resource_changes: no-op entries are skipped, except the
    // import in zapier-tfbuddy-import (a no-op with `importing`).
    let expected = BTreeMap::from([
        ("regula-admin_policy_infra.json", 11),
        ("regula-bucketpolicy_allowlist_infra.json", 10),
        ("regula-iam_password_length_infra.json", 3),
        ("regula-user_attached_policy_infra.json", 26),
        ("zapier-tfbuddy-basic.tfplan.json", 1),
        ("zapier-tfbuddy-import.tfplan.json", 7),
    ]);
    let names = files("terraform/plan-json");
    assert_eq!(
        names,
        expected.keys().map(|n| n.to_string()).collect::<Vec<_>>()
    );
    for (name, count) in expected {
        let events = plan_events(name, "plan");
        assert_eq!(events.len(), count, "{name}");
        let mut ids: Vec<&str> = events.iter().map(|e| e.source_event_id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "{name}: source_event_ids are unique");
        assert!(events
            .iter()
            .all(|e| e.action.starts_with("terraform.resource.")));
    }
}

#[test]
fn an_iam_policy_create_shows_its_whole_after_value() {
    let events = plan_events("regula-admin_policy_infra.json", "plan");
    let event = find(&events, "aws_iam_policy.valid_deny_policy");
    assert_eq!(event.action, "terraform.resource.created");
    assert_eq!(event.native_action, "create");
    assert_eq!(
        event.source_event_id,
        "delivery-1#aws_iam_policy.valid_deny_policy"
    );
    // Terraform 0.13 plans carry no timestamp: the delivery's arrival is the only time.
    assert_eq!(event.occurred_at, received());
    assert_eq!(event.actor.name, "terraform plan");
    assert_eq!(event.actor.kind, ActorKind::Unknown);
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(
        event.targets,
        vec![Target {
            kind: "aws_iam_policy".into(),
            id: Some("aws_iam_policy.valid_deny_policy".into()),
            name: "aws_iam_policy.valid_deny_policy".into(),
        }]
    );
    assert_eq!(
        event.summary,
        "terraform plan would create aws_iam_policy.valid_deny_policy"
    );
    assert_eq!(event.details["before"], Value::Null);
    let policy = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Action\": [\n        \"*\"\n      ],\n      \"Effect\": \"Deny\",\n      \"Resource\": \"*\"\n    }\n  ]\n}\n";
    assert_eq!(
        event.details["after"],
        json!({
            "description": "Valid deny policy",
            "name": "test_valid_deny_policy",
            "name_prefix": null,
            "path": "/",
            "policy": policy,
            "arn": "(known after apply)",
            "id": "(known after apply)",
        })
    );
    assert_eq!(event.details["terraform_version"], "0.13.5");
    assert_eq!(
        event.details["provider_name"],
        "registry.terraform.io/hashicorp/aws"
    );
}

#[test]
fn an_import_is_an_event_and_other_resources_show_only_changed_keys() {
    let events = plan_events("zapier-tfbuddy-import.tfplan.json", "plan");
    let import = find(&events, "random_integer.import");
    assert_eq!(import.action, "terraform.resource.imported");
    assert_eq!(import.native_action, "no-op");
    assert_eq!(import.details["importing"], json!({"id": "15390,2,5"}));
    // Nothing changes on import: no attribute differs.
    assert_eq!(import.details["changes"], json!({}));
    // Terraform 1.5 plans say when they were made.
    assert_eq!(import.occurred_at, utc("2023-07-20T15:17:32Z"));

    let pet = find(&events, "random_pet.will_it_be_cats");
    assert_eq!(pet.action, "terraform.resource.created");
    assert!(pet.details.get("after").is_none(), "not an access resource");
    assert_eq!(
        pet.details["changes"],
        json!({
            "id": {"before": null, "after": "(known after apply)"},
            "keepers": {"before": null, "after": {}},
            "length": {"before": null, "after": 4},
            "separator": {"before": null, "after": "-"},
        })
    );
    let indexed = find(
        &events,
        "module.more_cats.random_pet.will_it_be_more_cats[3]",
    );
    assert_eq!(
        indexed.source_event_id,
        "delivery-1#module.more_cats.random_pet.will_it_be_more_cats[3]"
    );
}

#[test]
fn the_commit_and_run_url_of_the_cli_reach_details_and_summary() {
    let kind =
        "plan;commit=0123456789abcdef0123456789abcdef01234567;run=https://ci.example/r/7?a=1;b=2";
    let events = plan_events("zapier-tfbuddy-basic.tfplan.json", kind);
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(
        event.details["commit"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(event.details["run_url"], "https://ci.example/r/7?a=1;b=2");
    assert_eq!(
        event.summary,
        "terraform plan would create random_pet.will_it_be_cats (commit 0123456789ab) \
         (run https://ci.example/r/7?a=1;b=2)"
    );
}

#[test]
fn kinds_are_parsed_with_optional_parameters() {
    let plain = Kind::parse("plan");
    assert_eq!(
        (plain.name, plain.commit, plain.run_url),
        ("plan", None, None)
    );
    let both = Kind::parse(" plan ; commit=abc ; run=https://x/y ");
    assert_eq!(both.name, "plan");
    assert_eq!(both.commit, Some("abc"));
    assert_eq!(both.run_url, Some("https://x/y"));
    // `run=` takes the rest of the text: that is how a URL keeps its own `;`.
    let url_last = Kind::parse("plan;run=https://x/?a=1;commit=zzz");
    assert_eq!(url_last.run_url, Some("https://x/?a=1;commit=zzz"));
    assert_eq!(url_last.commit, None);
    let empty = Kind::parse("plan;commit=;other=1;run=");
    assert_eq!((empty.commit, empty.run_url), (None, None));
}

/// Written here because the fixtures only create: an update with a sensitive attribute, a
/// replacement of an inline IAM policy, a deleted access key with its secret, a data source
/// read and a no-op, which yield nothing.
fn handwritten_plan() -> Value {
    json!({
        "format_version": "1.2",
        "terraform_version": "1.6.0",
        "timestamp": "2024-01-02T03:04:05Z",
        "resource_changes": [
            {
                "address": "aws_db_instance.main", "mode": "managed", "type": "aws_db_instance",
                "name": "main", "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": ["update"],
                    "before": {"instance_class": "db.t3.micro", "password": "old-secret",
                               "tags": {"env": "prod"}, "username": "admin"},
                    "after": {"instance_class": "db.t3.small", "password": "new-secret",
                              "tags": {"env": "prod"}, "username": "admin"},
                    "after_unknown": {"tags": {}},
                    "before_sensitive": {"password": true, "tags": {}},
                    "after_sensitive": {"password": true, "tags": {}}
                }
            },
            {
                "address": "aws_iam_user_policy.inline", "mode": "managed",
                "type": "aws_iam_user_policy", "name": "inline",
                "action_reason": "replace_because_cannot_update",
                "change": {
                    "actions": ["delete", "create"],
                    "before": {"id": "alice:inline", "name": "inline", "user": "alice"},
                    "after": {"name": "inline", "user": "bob"},
                    "after_unknown": {"id": true},
                    "before_sensitive": {}, "after_sensitive": {}
                }
            },
            {
                "address": "aws_iam_access_key.ci", "mode": "managed",
                "type": "aws_iam_access_key", "name": "ci",
                "change": {
                    "actions": ["delete"],
                    "before": {"id": "AKIAEXAMPLE", "secret": "wJalrXUtnFEMI-example", "user": "ci"},
                    "after": null, "after_unknown": {},
                    "before_sensitive": {"secret": true}, "after_sensitive": false
                }
            },
            {
                "address": "data.aws_caller_identity.current", "mode": "data",
                "type": "aws_caller_identity", "name": "current",
                "change": {"actions": ["read"], "before": null, "after": {}}
            },
            {
                "address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket",
                "name": "logs",
                "change": {"actions": ["no-op"], "before": {"bucket": "logs"}, "after": {"bucket": "logs"}}
            }
        ]
    })
}

#[test]
fn updates_replacements_and_deletes_never_show_secrets() {
    let body = serde_json::to_vec(&handwritten_plan()).unwrap();
    let events = run("plan", &body).unwrap().events;
    assert_eq!(events.len(), 3, "read and no-op yield nothing");
    assert!(events
        .iter()
        .all(|e| e.occurred_at == utc("2024-01-02T03:04:05Z")));

    let db = find(&events, "aws_db_instance.main");
    assert_eq!(db.action, "terraform.resource.updated");
    assert_eq!(
        db.details["changes"],
        json!({
            "instance_class": {"before": "db.t3.micro", "after": "db.t3.small"},
            "password": {"before": SENSITIVE, "after": SENSITIVE},
        })
    );

    let inline = find(&events, "aws_iam_user_policy.inline");
    assert_eq!(inline.action, "terraform.resource.replaced");
    assert_eq!(inline.native_action, "delete,create");
    assert_eq!(
        inline.details["action_reason"],
        "replace_because_cannot_update"
    );
    assert_eq!(inline.details["before"]["user"], "alice");
    assert_eq!(
        inline.details["after"],
        json!({"id": "(known after apply)", "name": "inline", "user": "bob"})
    );
    assert_eq!(
        inline.summary,
        "terraform plan would replace aws_iam_user_policy.inline"
    );

    let key = find(&events, "aws_iam_access_key.ci");
    assert_eq!(key.action, "terraform.resource.deleted");
    assert_eq!(
        key.details["before"],
        json!({"id": "AKIAEXAMPLE", "secret": SENSITIVE, "user": "ci"})
    );
    assert_eq!(key.details["after"], Value::Null);

    let everything = serde_json::to_string(&events).unwrap();
    for secret in ["old-secret", "new-secret", "wJalrXUtnFEMI"] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
}

#[test]
fn sensitive_marks_cover_whole_values_and_list_items() {
    let value = json!({"a": "x", "b": ["p", "q"], "c": {"d": 1}});
    assert_eq!(mask_sensitive(&value, Some(&json!(true))), json!(SENSITIVE));
    assert_eq!(
        mask_sensitive(&value, Some(&json!({"b": [false, true], "c": true}))),
        json!({"a": "x", "b": ["p", SENSITIVE], "c": SENSITIVE})
    );
    assert_eq!(mask_sensitive(&value, Some(&json!(false))), value);
    assert_eq!(
        mask_sensitive(&Value::Null, Some(&json!(true))),
        Value::Null
    );
}

#[test]
fn plans_that_change_nothing_are_ignored() {
    let empty = json!({"format_version": "1.2", "planned_values": {}});
    let normalized = run("plan", &serde_json::to_vec(&empty).unwrap()).unwrap();
    assert!(normalized.is_empty());
    assert!(normalized.ignored.unwrap().contains("changes nothing"));
    let no_ops = json!({"format_version": "1.0", "resource_changes": [
        {"address": "a.b", "type": "a", "change": {"actions": ["no-op"]}}
    ]});
    let normalized = run("plan", &serde_json::to_vec(&no_ops).unwrap()).unwrap();
    assert!(normalized.ignored.is_some());
}

#[test]
fn malformed_plans_are_errors_that_say_why() {
    let err = |body: &[u8]| run("plan", body).unwrap_err();
    assert!(matches!(
        err(b"{\"resource_changes\": ["),
        NormalizeError::Json(_)
    ));
    assert!(matches!(err(b"\xff\xfe"), NormalizeError::Json(_)));
    assert!(err(b"[]").to_string().contains("JSON object"));
    assert!(err(b"{}")
        .to_string()
        .contains("neither resource_changes nor planned_values"));
    assert!(err(br#"{"resource_changes": "x"}"#)
        .to_string()
        .contains("must be a list"));
    let no_address = br#"{"resource_changes": [{"change": {"actions": ["create"]}}]}"#;
    assert_eq!(
        err(no_address).to_string(),
        "resource_changes[0] has no address"
    );
    let no_actions = br#"{"resource_changes": [{"address": "a.b", "change": {}}]}"#;
    assert_eq!(
        err(no_actions).to_string(),
        "resource_changes[0] (a.b) has no change.actions list"
    );
    assert!(run("", b"{}")
        .unwrap_err()
        .to_string()
        .contains("need a kind"));
    assert!(run("apply", b"{}")
        .unwrap_err()
        .to_string()
        .contains("unknown terraform kind \"apply\""));
}

#[test]
fn access_resources_are_recognised_by_type() {
    for access in [
        "aws_iam_role_policy_attachment",
        "google_project_iam_member",
        "google_storage_bucket_iam_binding",
        "azurerm_role_assignment",
        "github_team_membership",
        "github_repository_collaborator",
        "gitlab_project_member",
        "gitlab_group_membership",
        "okta_group_memberships",
    ] {
        assert!(is_access_resource(access), "{access}");
    }
    for other in [
        "aws_s3_bucket",
        "random_pet",
        "google_compute_instance",
        "gitlab_project",
    ] {
        assert!(!is_access_resource(other), "{other}");
    }
}

/// Every fixture plan with each field of each resource change (and of its `change`) replaced
/// by a value of another type: the normalizer answers, it never panics.
#[test]
fn fields_of_the_wrong_type_never_panic() {
    let odd = [
        json!(null),
        json!(7),
        json!("x"),
        json!([true]),
        json!({"a": true}),
    ];
    for name in files("terraform/plan-json") {
        let plan: Value =
            serde_json::from_slice(&fixtures::read(&format!("terraform/plan-json/{name}")))
                .unwrap();
        let count = plan["resource_changes"].as_array().map_or(0, Vec::len);
        for index in 0..count.min(4) {
            let entry = &plan["resource_changes"][index];
            let mut paths: Vec<Vec<String>> = entry
                .as_object()
                .unwrap()
                .keys()
                .map(|k| vec![k.clone()])
                .collect();
            paths.extend(
                entry["change"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|k| vec!["change".to_owned(), k.clone()]),
            );
            for path in &paths {
                for value in &odd {
                    let mut changed = plan.clone();
                    let mut slot = &mut changed["resource_changes"][index];
                    for key in path {
                        slot = &mut slot[key.as_str()];
                    }
                    *slot = value.clone();
                    let _ = run("plan", &serde_json::to_vec(&changed).unwrap());
                }
            }
        }
    }
}

/// [`handwritten_plan`] with sensitive values in every other place a plan carries them.
fn plan_with_secrets_everywhere() -> Value {
    let mut plan = handwritten_plan();
    plan["resource_drift"] = json!([{
        "address": "aws_db_instance.main", "type": "aws_db_instance", "name": "main",
        "change": {"actions": ["update"],
                   "before": {"password": "drift-old-secret"}, "after": {"password": "drift-new-secret"},
                   "before_sensitive": {"password": true}, "after_sensitive": {"password": true}}
    }]);
    plan["output_changes"] = json!({
        "db_password": {"actions": ["update"], "before": "out-old-secret", "after": "out-new-secret",
                        "before_sensitive": true, "after_sensitive": true},
        "db_host": {"actions": ["no-op"], "before": "db.internal", "after": "db.internal",
                    "before_sensitive": false, "after_sensitive": false}
    });
    let module = json!({
        "resources": [{"address": "aws_db_instance.main", "type": "aws_db_instance",
                       "values": {"password": "planned-secret", "username": "admin"},
                       "sensitive_values": {"password": true}}],
        "child_modules": [{"resources": [{"address": "module.x.aws_iam_access_key.k",
                                          "values": {"secret": "child-secret", "user": "ci"},
                                          "sensitive_values": {"secret": true}}]}]
    });
    plan["planned_values"] = json!({
        "outputs": {"db_password": {"sensitive": true, "value": "planned-output-secret"},
                    "db_host": {"sensitive": false, "value": "db.internal"}},
        "root_module": module.clone()
    });
    plan["prior_state"] = json!({"values": {"root_module": module}});
    plan["variables"] = json!({"db_password": {"value": "variable-secret"},
                               "region": {"value": "eu-west-1"}});
    plan["configuration"] = json!({"root_module": {"variables": {
        "db_password": {"sensitive": true}, "region": {"default": "eu-west-1"}
    }}});
    plan
}

#[test]
fn a_stored_plan_keeps_no_secret_and_normalizes_the_same() {
    use super::super::redact_plan;
    let original = serde_json::to_vec(&plan_with_secrets_everywhere()).unwrap();
    let stored = redact_plan(&original).unwrap();
    let text = String::from_utf8(stored.clone()).unwrap();
    for secret in [
        "old-secret",
        "new-secret",
        "wJalrXUtnFEMI",
        "drift-old-secret",
        "out-new-secret",
        "planned-secret",
        "child-secret",
        "planned-output-secret",
        "variable-secret",
    ] {
        assert!(!text.contains(secret), "{secret} is stored");
    }
    // What is not sensitive stays, and a changed secret still reads as changed.
    let plan: Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(plan["variables"]["region"]["value"], "eu-west-1");
    assert_eq!(
        plan["planned_values"]["outputs"]["db_host"]["value"],
        "db.internal"
    );
    assert_eq!(
        plan["planned_values"]["root_module"]["resources"][0]["values"]["username"],
        "admin"
    );
    let db = &plan["resource_changes"][0]["change"];
    assert_eq!(db["before"]["password"], SENSITIVE);
    assert_eq!(db["after"]["password"], "(sensitive value, changed)");
    assert_eq!(db["after"]["instance_class"], "db.t3.small");
    let output = &plan["output_changes"]["db_password"];
    assert_eq!(
        (&output["before"], &output["after"]),
        (&json!(SENSITIVE), &json!("(sensitive value, changed)"))
    );

    // Reprocessing the stored plan gives the events the original gave.
    assert_eq!(
        run("plan", &stored).unwrap(),
        run("plan", &original).unwrap()
    );
    // Redacting again changes nothing, and what is not a plan object is left alone.
    assert_eq!(redact_plan(&stored).unwrap(), stored);
    assert_eq!(redact_plan(b"[1, 2]"), None);
    assert_eq!(redact_plan(b"{not json"), None);
}

#[test]
fn every_fixture_plan_normalizes_the_same_once_redacted() {
    use super::super::redact_plan;
    for name in files("terraform/plan-json") {
        let original = fixtures::read(&format!("terraform/plan-json/{name}"));
        let stored = redact_plan(&original).unwrap();
        assert_eq!(
            run("plan", &stored).unwrap(),
            run("plan", &original).unwrap(),
            "{name}"
        );
    }
}
