//! AWS: users, groups and roles are named by their path-free ARN (`aws:arn:…:user/alice`),
//! managed policies by their ARN, inline policies by the owner's ARN and `/inline/<name>`.

use super::{jmes, line, path, word, Instructions};
use crate::grant::Grant;

/// `aws:arn:aws:iam::1:user/path/alice` → (`user`, `alice`).
fn iam_entity(id: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = id.strip_prefix("aws:arn:")?.splitn(5, ':').collect();
    let [_, "iam", _, _, resource] = parts.as_slice() else {
        return None;
    };
    let (kind, rest) = resource.split_once('/')?;
    let name = rest.rsplit('/').next().and_then(word)?;
    matches!(kind, "user" | "group" | "role").then_some((kind, name))
}

fn iam_page(kind: &str, name: &str, section: &str) -> Option<String> {
    let page = format!("console.aws.amazon.com/iam/home#/{kind}s/details/{{}}?section={section}");
    Some(path(&page, &[name]))
}

/// How to remove `g`, when it is of a kind known here.
pub(super) fn remove(g: &Grant) -> Option<Instructions> {
    let (p, r, perm) = (&g.principal, &g.resource, g.permission.as_str());
    if perm == "access_key" {
        return access_key(g);
    }
    if perm.starts_with("sts:AssumeRole") && r.kind == "role" {
        return trust(g);
    }
    if perm == "member" && r.kind == "group" {
        let ((_, user), (_, group)) = (iam_entity(&p.id)?, iam_entity(&r.id)?);
        let command = line(
            "aws iam remove-user-from-group --user-name {} --group-name {}",
            &[user, group],
        );
        let summary = format!("Remove {user} from group {group}");
        return Some(Instructions::new(
            summary,
            iam_page("user", user, "groups"),
            vec![command],
        ));
    }
    let (kind, name) = iam_entity(&p.id)?;
    // `detach-user-policy --user-name {}`, `get-role-policy --role-name {}`, ...
    let policy_call = |verb: &str| format!("aws iam {verb}-{kind}-policy --{kind}-name {{}}");
    let page = iam_page(kind, name, "permissions");
    let inline = |policy: &str| {
        let call = |verb: &str| line(&(policy_call(verb) + " --policy-name {}"), &[name, policy]);
        let summary = format!("Delete inline policy {policy} of {kind} {name}");
        Instructions::new(summary, page.clone(), vec![call("delete")]).careful(format!(
            "A deleted inline policy is gone; to keep a copy: {}",
            call("get")
        ))
    };
    let out = match (perm, g.via.split_once(':')) {
        ("attached", _) => {
            let arn =
                r.id.strip_prefix("aws:")
                    .filter(|a| a.starts_with("arn:"))?;
            let command = line(&(policy_call("detach") + " --policy-arn {}"), &[name, arn]);
            let summary = format!("Detach policy {} from {kind} {name}", r.name);
            Instructions::new(summary, page, vec![command])
        }
        ("inline_policy", _) => inline(&r.name),
        ("admin", Some(("inline_policy", policy))) => inline(policy),
        ("admin", Some(("policy", policy))) => {
            let query = format!("AttachedPolicies[?PolicyName=={}].PolicyArn", jmes(policy));
            let list =
                format!("aws iam list-attached-{kind}-policies --{kind}-name {{}} --query {{}}");
            let commands = vec![
                format!(
                    "policy_arn=$({} --output text)",
                    line(&list, &[name, &query])
                ),
                line(&policy_call("detach"), &[name]) + " --policy-arn \"$policy_arn\"",
            ];
            let summary =
                format!("End {kind} {name}'s administrator access: detach policy {policy}");
            Instructions::new(summary, page, commands).careful(format!(
                "The first command looks up {policy}'s ARN: check that `echo \"$policy_arn\"` \
                 shows exactly one before the second."
            ))
        }
        ("console_login", _) => {
            let command = line("aws iam delete-login-profile --user-name {}", &[name]);
            let summary = format!("Delete {name}'s console password");
            Instructions::new(summary, page, vec![command]).careful(format!(
                "{name}'s access keys still work: each is a grant of its own."
            ))
        }
        ("iam_user" | "iam_role", _) => {
            let command = line(
                &format!("aws iam delete-{kind} --{kind}-name {{}}"),
                &[name],
            );
            let summary = format!("Delete IAM {kind} {name} from account {}", r.name);
            return Some(
                Instructions::new(summary, page, vec![command]).careful(format!(
                    "IAM refuses to delete a {kind} that still has policies, groups, instance \
                 profiles, a password or keys: remove those first (each is a grant of its own)."
                )),
            );
        }
        _ => return None,
    };
    Some(match kind {
        "group" => out.careful(format!("Every member of group {name} loses this.")),
        "role" => out.careful(format!("Whatever assumes role {name} loses this.")),
        _ => out,
    })
}

fn access_key(g: &Grant) -> Option<Instructions> {
    let (p, r) = (&g.principal, &g.resource);
    let key = p.id.strip_prefix("aws:access_key:")?;
    if r.kind == "account" {
        let summary = format!(
            "Deactivate, then delete, root's access key {} in {}",
            p.name, r.name
        );
        let page = "console.aws.amazon.com/iam/home#/security_credentials".to_owned();
        return Some(Instructions::new(summary, Some(page), Vec::new()).careful(
            "Only the root user, signed in, can change root's keys; there should be none at all.",
        ));
    }
    let (_, user) = iam_entity(&r.id)?;
    let summary = format!("Deactivate, then delete, access key {} of {user}", p.name);
    let page = iam_page("user", user, "security_credentials");
    // The credential report names a key by position (`alice#1`), CloudTrail by its id.
    if key.contains('#') {
        let list = line("aws iam list-access-keys --user-name {}", &[user]);
        return Some(Instructions::new(summary, page, vec![list]).careful(
            "The credential report names keys by position, not id: find this key's id in the \
             list (CreateDate against the report's last_rotated), then run `aws iam \
             update-access-key --status Inactive` and later `aws iam delete-access-key` with \
             `--user-name` and `--access-key-id`.",
        ));
    }
    let key = word(key)?;
    let flags = "--user-name {} --access-key-id {}";
    let commands = vec![
        line(
            &format!("aws iam update-access-key {flags} --status Inactive"),
            &[user, key],
        ),
        line(&format!("aws iam delete-access-key {flags}"), &[user, key]),
    ];
    Some(Instructions::new(summary, page, commands).careful(
        "Deactivating first shows what breaks while the key can be turned back on \
         (`--status Active`); delete it once nothing needs it.",
    ))
}

fn trust(g: &Grant) -> Option<Instructions> {
    let p = &g.principal;
    let (_, role) = iam_entity(&g.resource.id)?;
    let partition = g.resource.id.strip_prefix("aws:arn:")?.split(':').next()?;
    let trustee = match p.kind.as_str() {
        "anyone" => "`\"*\"`".to_owned(),
        "account" => format!("`arn:{partition}:iam::{0}:root` (or `{0}`)", p.name),
        "service" => format!("`\"Service\": \"{}\"`", p.name),
        "identity_provider" if p.id.starts_with("aws:federated:") => {
            format!("`\"Federated\": \"{}\"`", p.name)
        }
        "canonical_user" => format!("`\"CanonicalUser\": \"{}\"`", p.name),
        _ => format!(
            "`{}`",
            p.id.strip_prefix("aws:principal:")
                .or(p.id.strip_prefix("aws:"))?
        ),
    };
    let get = "aws iam get-role --role-name {} --query Role.AssumeRolePolicyDocument --output json";
    let put = "aws iam update-assume-role-policy --role-name {} --policy-document {}";
    let commands = vec![
        line(get, &[role]) + " > trust-policy.json",
        line(put, &[role, "file://trust-policy.json"]),
    ];
    let summary = format!(
        "Stop {} from assuming role {role}: edit its trust policy",
        p.name
    );
    let out = Instructions::new(
        summary,
        iam_page("role", role, "trust_relationships"),
        commands,
    )
    .careful(format!(
        "A trust policy is one document, replaced whole: between the two commands, take \
             {trustee} out of the `Principal` of each statement allowing {} in \
             trust-policy.json, keeping every other principal and statement.",
        g.permission
    ));
    Some(match p.kind.as_str() {
        "user" | "role" => out.careful(format!("The policy may name {} with a path.", p.name)),
        _ => out,
    })
}
