//! GCP: a binding's member is the principal id without `gcp:`; the resource is the project,
//! folder, organization or full resource name whose policy holds the binding.

use super::{line, path, word, Instructions};
use crate::grant::Grant;

/// How to remove `g`, when it is of a kind known here.
pub(super) fn remove(g: &Grant) -> Option<Instructions> {
    let (r, role) = (&g.resource, g.permission.as_str());
    let member = g.principal.id.strip_prefix("gcp:")?;
    let name = word(&r.name)?;
    let iam = |page: &str| {
        path(
            &format!("console.cloud.google.com/iam-admin/iam?{page}={{}}"),
            &[name],
        )
    };
    let (group, target, console) = match r.kind.as_str() {
        "project" => ("gcloud projects", line("{}", &[name]), iam("project")),
        "folder" => (
            "gcloud resource-manager folders",
            line("{}", &[name]),
            iam("folder"),
        ),
        "organization" => (
            "gcloud organizations",
            line("{}", &[name]),
            iam("organizationId"),
        ),
        "bucket" => {
            let page = path(
                "console.cloud.google.com/storage/browser/{};tab=permissions",
                &[name],
            );
            ("gcloud storage buckets", line("gs://{}", &[name]), page)
        }
        "service_account" => {
            let rest = r.id.strip_prefix("gcp://iam.googleapis.com/projects/")?;
            let project = word(rest.split_once("/serviceAccounts/")?.0)?;
            let page = path(
                "console.cloud.google.com/iam-admin/serviceaccounts?project={}",
                &[project],
            );
            (
                "gcloud iam service-accounts",
                line("{} --project={}", &[name, project]),
                page,
            )
        }
        _ => return None,
    };
    let summary = format!(
        "Remove {member} from {role} on {} {name}",
        r.kind.replace('_', " ")
    );
    let out = match g.via.strip_prefix("condition:") {
        // gcloud removes a conditional binding only given its exact expression, which the
        // grant does not carry (only its title): the policy is edited as a document instead.
        Some(title) => {
            let commands = vec![
                format!("{group} get-iam-policy {target} --format=json > policy.json"),
                format!("{group} set-iam-policy {target} policy.json"),
            ];
            Instructions::new(summary, Some(console), commands).careful(format!(
                "The binding holds under condition {title}: between the two commands, take \
                 {member} out of that {role} binding in policy.json; keep the `etag`, so a \
                 change made meanwhile is refused rather than overwritten."
            ))
        }
        None => {
            let flags = line("--member={} --role={}", &[member, role]);
            let command = format!("{group} remove-iam-policy-binding {target} {flags}");
            Instructions::new(summary, Some(console), vec![command])
        }
    };
    let out = out.careful(format!(
        "{} may also hold {role} through a group or a binding above (folder, organization).",
        g.principal.name
    ));
    Some(match g.principal.kind.as_str() {
        "group" | "domain" | "public" | "project_role" => out.careful(format!(
            "{member} stands for many people: all of them lose {role} here."
        )),
        _ => out,
    })
}
