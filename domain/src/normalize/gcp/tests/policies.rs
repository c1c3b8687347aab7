//! `get-iam-policy` snapshots (gcpdiag's captured policies) and Cloud Asset Inventory listings
//! (written here from the documented shapes: no sample in the fixtures).

use super::*;
use crate::grant::{Grant, GrantSnapshot, Principal, Resource};
use serde_json::json;

const IAM: &str = "gcp-iam/gcpdiag-test-data";

fn snapshot(kind: &str, body: &[u8]) -> GrantSnapshot {
    let mut normalized = run(kind, body).unwrap();
    assert!(normalized.events.is_empty() && normalized.grant_changes.is_empty());
    assert_eq!(normalized.snapshots.len(), 1, "{normalized:#?}");
    normalized.snapshots.remove(0)
}

fn project(id: &str) -> Resource {
    Resource {
        kind: "project".into(),
        id: format!("gcp:project:{id}"),
        name: id.into(),
    }
}

fn grant(scope: &Resource, kind: &str, member: &str, name: &str, role: &str, via: &str) -> Grant {
    Grant {
        scope: scope.id.clone(),
        principal: Principal {
            kind: kind.into(),
            id: format!("gcp:{member}"),
            name: name.into(),
        },
        resource: scope.clone(),
        permission: role.into(),
        via: via.into(),
    }
}

#[test]
fn a_project_policy_is_one_snapshot_of_every_member_and_role() {
    let body = fixtures::read(&format!("{IAM}/apigee1.iam-policy.json"));
    let snap = snapshot("iam_policy:projects/gcpdiag-apigee1-aaaa", &body);
    let p = project("gcpdiag-apigee1-aaaa");
    assert_eq!(snap.scope, "gcp:project:gcpdiag-apigee1-aaaa");
    // The capture carries no time: the snapshot is as of the import.
    assert_eq!(snap.at, received());
    // 4 bindings: compute agent, editor (2 members), owner, networking agent.
    assert_eq!(snap.grants.len(), 5);
    assert!(snap.grants.contains(&grant(
        &p,
        "user",
        "user:test@example.com",
        "test@example.com",
        "roles/owner",
        ""
    )));
    assert!(snap.grants.contains(&grant(
        &p,
        "service_account",
        "serviceAccount:12340005@cloudservices.gserviceaccount.com",
        "12340005@cloudservices.gserviceaccount.com",
        "roles/editor",
        ""
    )));
}

#[test]
fn a_member_listed_twice_is_one_grant() {
    // gce3's policy lists `user:testuser@example.com` twice under roles/owner.
    let body = fixtures::read(&format!("{IAM}/gce3.iam-policy.json"));
    let listed: usize = serde_json::from_slice::<Value>(&body).unwrap()["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["members"].as_array().unwrap().len())
        .sum();
    assert_eq!(listed, 71);
    let snap = snapshot("iam_policy:projects/gcpdiag-gce3-aaaa", &body);
    assert_eq!(snap.grants.len(), 70);
}

#[test]
fn conditional_bindings_and_other_containers() {
    let policy = json!({
        "bindings": [
            {"role": "roles/owner", "members": ["user:alice@example.com"]},
            {"role": "roles/owner", "members": ["user:alice@example.com"],
             "condition": {"title": "break-glass", "expression": "request.time < timestamp('2025-01-01T00:00:00Z')"}},
            {"role": "roles/viewer", "members": ["allAuthenticatedUsers"]}
        ],
        "etag": "BwX=", "version": 3
    });
    let snap = snapshot("iam_policy:organizations/42", policy.to_string().as_bytes());
    assert_eq!(snap.scope, "gcp:organization:42");
    let org = Resource {
        kind: "organization".into(),
        id: "gcp:organization:42".into(),
        name: "42".into(),
    };
    let alice = |via: &str| {
        grant(
            &org,
            "user",
            "user:alice@example.com",
            "alice@example.com",
            "roles/owner",
            via,
        )
    };
    assert_eq!(snap.grants.len(), 3);
    assert!(snap.grants.contains(&alice("")));
    assert!(snap.grants.contains(&alice("condition:break-glass")));
    let snap = snapshot("iam_policy:folders/7", policy.to_string().as_bytes());
    assert_eq!(snap.scope, "gcp:folder:7");
    // A resource's own policy, named in full: scope is that resource.
    let snap = snapshot(
        "iam_policy://storage.googleapis.com/my-bucket",
        policy.to_string().as_bytes(),
    );
    assert_eq!(snap.scope, "gcp://storage.googleapis.com/my-bucket");
    assert_eq!(snap.grants[0].resource.kind, "bucket");
}

#[test]
fn an_empty_policy_is_an_empty_snapshot() {
    let body = fixtures::read(&format!("{IAM}/composer1.iam-service-account-policy.json"));
    assert_eq!(
        body.trim_ascii(),
        br#"{
  "etag": "ACAB"
}"#
    );
    let snap = snapshot(
        "iam_policy://iam.googleapis.com/projects/gcpdiag-composer1-aaaa/serviceAccounts/sa",
        &body,
    );
    assert!(snap.grants.is_empty());
}

#[test]
fn iam_policy_errors() {
    let body = fixtures::read(&format!("{IAM}/bigquery1.iam-policy.json"));
    let err = run("iam_policy", &body).unwrap_err();
    assert!(
        err.to_string().contains("does not name its resource"),
        "{err}"
    );
    let err = run("iam_policy:", &body).unwrap_err();
    assert!(
        err.to_string().contains("iam_policy:projects/<project id>"),
        "{err}"
    );
    let err = run("iam_policy:my-project", &body).unwrap_err();
    assert!(err.to_string().contains("neither `projects/<id>`"), "{err}");
    let err = run("iam_policy:projects/a/b", &body).unwrap_err();
    assert!(err.to_string().contains("neither"), "{err}");

    let kind = "iam_policy:projects/p";
    assert_eq!(
        run(kind, b"{}").unwrap_err(),
        NormalizeError::Missing("bindings")
    );
    let accounts = fixtures::read(&format!("{IAM}/apigee1.iam-service-accounts.json"));
    assert_eq!(
        run(kind, &accounts).unwrap_err(),
        NormalizeError::Missing("bindings")
    );
    let cases = [
        (json!([]), "must be a JSON object"),
        (
            json!({"bindings": {"role": "roles/owner"}}),
            "must be an array",
        ),
        (
            json!({"bindings": [{"members": ["user:a@b.c"]}]}),
            "binding 0 has no `role`",
        ),
        (
            json!({"bindings": [{"role": "roles/owner", "members": "user:a@b.c"}]}),
            "`members` must be an array",
        ),
        (
            json!({"bindings": [{"role": "roles/owner", "members": ["user:a@b.c", 5]}]}),
            "member that is not a string",
        ),
    ];
    for (body, expected) in cases {
        let err = run(kind, body.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains(expected), "{body}: {err}");
    }
    assert!(matches!(
        run(kind, b"{\"bindings\": [").unwrap_err(),
        NormalizeError::Json(_)
    ));
}

/// `gcloud asset search-all-iam-policies --scope=organizations/222 --format=json`.
fn search_results() -> Value {
    json!([
        {
            "assetType": "cloudresourcemanager.googleapis.com/Project",
            "folders": ["folders/111"],
            "organization": "organizations/222",
            "policy": {"bindings": [
                {"members": ["user:alice@example.com"], "role": "roles/owner"},
                {"condition": {"expression": "resource.name.startsWith('x')", "title": "only-x"},
                 "members": ["group:ops@example.com"], "role": "roles/compute.admin"}
            ]},
            "project": "projects/123456789",
            "resource": "//cloudresourcemanager.googleapis.com/projects/my-project"
        },
        {
            "assetType": "storage.googleapis.com/Bucket",
            "organization": "organizations/222",
            "policy": {"bindings": [
                {"members": ["projectOwner:my-project", "allUsers"], "role": "roles/storage.objectViewer"}
            ]},
            "project": "projects/123456789",
            "resource": "//storage.googleapis.com/my-bucket"
        }
    ])
}

#[test]
fn asset_search_results_give_one_snapshot_per_policy() {
    let normalized = run("asset_inventory", search_results().to_string().as_bytes()).unwrap();
    let scopes: Vec<(&str, usize)> = normalized
        .snapshots
        .iter()
        .map(|s| (s.scope.as_str(), s.grants.len()))
        .collect();
    assert_eq!(
        scopes,
        [
            ("gcp://storage.googleapis.com/my-bucket", 2),
            ("gcp:project:my-project", 2)
        ]
    );
    let p = project("my-project");
    let project_snapshot = &normalized.snapshots[1];
    assert!(project_snapshot.grants.contains(&grant(
        &p,
        "group",
        "group:ops@example.com",
        "ops@example.com",
        "roles/compute.admin",
        "condition:only-x"
    )));
    // A bucket's grant from an inventory and from an audit log's delta are the same grant.
    let bucket = &normalized.snapshots[0].grants[0].resource;
    assert_eq!(bucket.kind, "bucket");
    assert_eq!(bucket.name, "my-bucket");

    // The API's response shape and one record alone give the same snapshots.
    let api = json!({"results": search_results(), "nextPageToken": "abc"});
    assert_eq!(
        run("asset_inventory", api.to_string().as_bytes()).unwrap(),
        normalized
    );
    let first = run(
        "asset_inventory",
        search_results()[1].to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(first.snapshots, normalized.snapshots[..1]);
}

#[test]
fn asset_export_ndjson_in_snake_case() {
    let export = [
        json!({"name": "//cloudresourcemanager.googleapis.com/projects/123456789",
               "asset_type": "cloudresourcemanager.googleapis.com/Project",
               "iam_policy": {"version": 1, "etag": "BwX=", "bindings": [
                   {"role": "roles/owner", "members": ["user:alice@example.com"]}]},
               "ancestors": ["projects/123456789", "organizations/222"],
               "update_time": "2024-05-01T00:00:00Z"}),
        json!({"name": "//iam.googleapis.com/projects/my-project/serviceAccounts/1055",
               "assetType": "iam.googleapis.com/ServiceAccount",
               "iamPolicy": {"bindings": [
                   {"role": "roles/iam.serviceAccountUser", "members": ["user:bob@example.com"]}]}}),
    ];
    let body = format!("{}\n{}\n", export[0], export[1]);
    let normalized = run("asset_inventory", body.as_bytes()).unwrap();
    let scopes: Vec<&str> = normalized
        .snapshots
        .iter()
        .map(|s| s.scope.as_str())
        .collect();
    // Exports name projects by number; no record here says its id.
    assert_eq!(
        scopes,
        [
            "gcp://iam.googleapis.com/projects/my-project/serviceAccounts/1055",
            "gcp:project:123456789"
        ]
    );
    assert_eq!(
        normalized.snapshots[0].grants[0].resource.kind,
        "service_account"
    );

    let broken = format!("{}\n{{\"name\": ", export[0]);
    let err = run("asset_inventory", broken.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn asset_inventory_refuses_what_is_not_an_iam_policy_listing() {
    let err = |body: &[u8]| run("asset_inventory", body).unwrap_err().to_string();
    let resource_export = json!({"name": "//storage.googleapis.com/b",
        "asset_type": "storage.googleapis.com/Bucket", "resource": {"data": {"name": "b"}}});
    assert!(err(resource_export.to_string().as_bytes()).contains("(a resource export)"));
    let bare = fixtures::read(&format!("{IAM}/apigee1.iam-policy.json"));
    assert!(err(&bare).contains("bare IAM policy; import it as kind `iam_policy:<resource>`"));
    let relative = json!({"resource": "projects/p", "policy": {"bindings": []}});
    assert!(err(relative.to_string().as_bytes()).contains("not a full resource name"));
    let nameless = json!({"policy": {"bindings": []}});
    assert!(err(nameless.to_string().as_bytes()).contains("no resource name"));
    let mut bad_binding = search_results();
    bad_binding[1]["policy"]["bindings"][0]["members"] = json!("allUsers");
    let message = err(bad_binding.to_string().as_bytes());
    assert!(
        message.starts_with("asset inventory record 1 (gcp://storage.googleapis.com/my-bucket)"),
        "{message}"
    );
    assert!(err(b"42").contains("must hold JSON objects"));
    assert!(err(b"[1]").contains("record 0: not a JSON object"));

    let empty = run("asset_inventory", b"[]").unwrap();
    assert!(empty.is_empty());
    assert_eq!(
        empty.ignored.as_deref(),
        Some("the asset inventory file lists no IAM policies")
    );
}
