//! GCP, in the shapes of `normalize::gcp::names` and `policy`.

use super::*;

#[test]
fn bindings_are_removed_with_the_resources_own_command() {
    let alice = ["user", "gcp:user:alice@example.com", "alice@example.com"];
    let flags = "--member=user:alice@example.com --role=roles/owner";
    let cases = [
        (
            ["project", "gcp:project:my-project", "my-project"],
            "gcloud projects remove-iam-policy-binding my-project",
        ),
        (
            ["folder", "gcp:folder:123", "123"],
            "gcloud resource-manager folders remove-iam-policy-binding 123",
        ),
        (
            ["organization", "gcp:organization:42", "42"],
            "gcloud organizations remove-iam-policy-binding 42",
        ),
        (
            [
                "bucket",
                "gcp://storage.googleapis.com/jacks-test-bucket",
                "jacks-test-bucket",
            ],
            "gcloud storage buckets remove-iam-policy-binding gs://jacks-test-bucket",
        ),
    ];
    for (resource, start) in cases {
        let scope = resource[1];
        assert_eq!(
            commands(&grant(scope, alice, resource, "roles/owner")),
            [format!("{start} {flags}")]
        );
    }
    let account = [
        "service_account",
        "gcp://iam.googleapis.com/projects/p1/serviceAccounts/1055",
        "1055",
    ];
    assert_eq!(
        commands(&grant(
            account[1],
            alice,
            account,
            "roles/iam.serviceAccountUser"
        )),
        [
            "gcloud iam service-accounts remove-iam-policy-binding 1055 --project=p1 \
          --member=user:alice@example.com --role=roles/iam.serviceAccountUser"
        ]
    );
    let project = ["project", "gcp:project:my-project", "my-project"];
    let out = instructions(
        &grant("gcp:project:my-project", alice, project, "roles/owner"),
        None,
    );
    assert_eq!(
        out.summary,
        "Remove user:alice@example.com from roles/owner on project my-project"
    );
    assert_eq!(
        out.console.as_deref(),
        Some("console.cloud.google.com/iam-admin/iam?project=my-project")
    );
}

#[test]
fn public_deleted_and_conditional_members() {
    let bucket = ["bucket", "gcp://storage.googleapis.com/b", "b"];
    let public = instructions(
        &grant(
            bucket[1],
            ["public", "gcp:allUsers", "allUsers"],
            bucket,
            "roles/storage.objectViewer",
        ),
        None,
    );
    assert_eq!(
        public.commands,
        [
            "gcloud storage buckets remove-iam-policy-binding gs://b --member=allUsers \
          --role=roles/storage.objectViewer"
        ]
    );
    assert!(public.caution.iter().any(|c| c.contains("many people")));
    let project = ["project", "gcp:project:p", "p"];
    let deleted = [
        "user",
        "gcp:deleted:user:bob@example.com?uid=123",
        "bob@example.com (deleted)",
    ];
    let line = &commands(&grant("gcp:project:p", deleted, project, "roles/viewer"))[0];
    assert!(words(line).contains(&"--member=deleted:user:bob@example.com?uid=123".to_owned()));
    let alice = ["user", "gcp:user:alice@example.com", "alice@example.com"];
    let conditional = via(
        grant("gcp:project:p", alice, project, "roles/owner"),
        "condition:until 2025",
    );
    assert_eq!(
        commands(&conditional),
        [
            "gcloud projects get-iam-policy p --format=json > policy.json",
            "gcloud projects set-iam-policy p policy.json",
        ]
    );
    let key_ring = [
        "key_ring",
        "gcp://cloudkms.googleapis.com/projects/p/locations/global/keyRings/r",
        "r",
    ];
    assert!(commands(&grant(key_ring[1], alice, key_ring, "roles/owner")).is_empty());
}
