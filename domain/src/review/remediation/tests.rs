//! Each source's grants in the very shapes its normalizer emits (ids, names, kinds and
//! permissions copied from the normalizers and their tests), the commands they get, and names
//! from hostile payloads coming out as plain words.

#![allow(clippy::unwrap_used, clippy::panic)]

mod aws;
mod azure;
mod gcp;
mod github;
mod gitlab;
mod okta;

use super::*;
use crate::grant::{Principal, Resource};
use aws::{ACCOUNT, ALICE, AWS_ACCOUNT};
use github::{GH, HUBOT, INFRA, LISA, MONA, ORG, PLATFORM};

fn grant(scope: &str, principal: [&str; 3], resource: [&str; 3], permission: &str) -> Grant {
    let [kind, id, name] = principal.map(str::to_owned);
    let principal = Principal { kind, id, name };
    let [kind, id, name] = resource.map(str::to_owned);
    let resource = Resource { kind, id, name };
    Grant {
        scope: scope.into(),
        principal,
        resource,
        permission: permission.into(),
        via: String::new(),
    }
}

fn via(mut grant: Grant, via: &str) -> Grant {
    grant.via = via.into();
    grant
}

fn commands(grant: &Grant) -> Vec<String> {
    instructions(grant, None).commands
}

/// The words a POSIX shell makes of `line`: unquoted text, '…' and "…" (where `\` and a
/// backquote are refused). Any other shell syntax outside quotes fails the test, so a hostile
/// name can only ever come out as (part of) one word.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => words.extend(word.take()),
            '\'' => loop {
                let word = word.get_or_insert_with(String::new);
                match chars.next() {
                    Some('\'') => break,
                    Some(c) => word.push(c),
                    None => panic!("unclosed ' in {line}"),
                }
            },
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\' | '`') | None => panic!("unexpected in \"…\" of {line}"),
                    Some(c) => word.get_or_insert_with(String::new).push(c),
                }
            },
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            ';' | '&' | '|' | '<' | '>' | '(' | ')' | '$' | '`' | '*' | '?' | '~' | '#' | '\n' => {
                panic!("unquoted {c:?} in {line}")
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

#[test]
fn hostile_names_stay_one_word() {
    let evil = "x'; rm -rf /";
    assert_eq!(shell_quote(evil), r"'x'\''; rm -rf /'");
    assert_eq!(shell_quote("alice@example.com"), "alice@example.com");
    assert_eq!(shell_quote(""), "''");
    for name in [evil, "", "a'b'", "$(reboot)", "`id`", "a\\b", "*"] {
        assert_eq!(words(&shell_quote(name)), [name]);
    }
    assert_eq!(shell_quote("$(reboot)"), "'$(reboot)'");
    let inline = [
        "inline_policy",
        &format!("{}/inline/{evil}", ALICE[1]),
        evil,
    ];
    let line = &commands(&grant(
        ACCOUNT,
        ALICE,
        inline.map(|s| s as &str),
        "inline_policy",
    ))[0];
    assert_eq!(
        words(line),
        [
            "aws",
            "iam",
            "delete-user-policy",
            "--user-name",
            "alice",
            "--policy-name",
            evil
        ]
    );
    // In an API path a name is one percent-encoded segment, and `..` climbs nowhere; a login
    // with spaces or `/` is no GitHub login, and gets no command at all.
    let lisa = ["user", "github:user:3", "x';rm"];
    let line = &commands(&grant(GH, lisa, INFRA, "write"))[0];
    assert_eq!(
        words(line),
        [
            "gh",
            "api",
            "-X",
            "DELETE",
            "/repos/Octo-Org/infra/collaborators/x%27%3Brm"
        ]
    );
    let dots = ["user", "github:user:4", ".."];
    let line = &commands(&grant(GH, dots, INFRA, "write"))[0];
    assert_eq!(words(line)[4], "/repos/Octo-Org/infra/collaborators/%2E%2E");
    let spaced = ["user", "github:user:5", evil];
    assert!(commands(&grant(GH, spaced, INFRA, "write")).is_empty());
    let role = "Owner`$(reboot)`'\"";
    let sub = ["subscription", "azure:scope:/subscriptions/s", "s"];
    let azure_user = ["user", "azure:principal:u-1", "u-1"];
    let line = &commands(&grant("azure:subscription:s", azure_user, sub, role))[0];
    assert_eq!(words(line)[7], role);
    let member = "user:x'; rm -rf /";
    let project = ["project", "gcp:project:p", "p"];
    let gcp_user = ["user", &format!("gcp:{member}"), member];
    let line = &commands(&grant(
        "gcp:project:p",
        gcp_user.map(|s| s as &str),
        project,
        "roles/viewer",
    ))[0];
    assert_eq!(words(line)[4], format!("--member={member}"));
}

#[test]
fn control_characters_give_no_command() {
    let inline = [
        "inline_policy",
        "aws:arn:aws:iam::229654561268:user/alice/inline/a\nb",
        "a\nb",
    ];
    let out = instructions(&grant(ACCOUNT, ALICE, inline, "inline_policy"), None);
    assert!(out.commands.is_empty());
    assert!(out.caution.iter().any(|c| c.contains("control characters")));
}

#[test]
fn unknown_grants_are_described_without_a_command() {
    let out = instructions(
        &grant(
            "vault:cluster:prod",
            ["user", "vault:entity:42", "alice"],
            ["policy", "vault:policy:root", "root"],
            "attached",
        ),
        None,
    );
    assert_eq!(
        out.summary,
        "Take attached on policy root away from user alice (vault)"
    );
    assert!(out.commands.is_empty());
    assert_eq!(out.console, None);
    assert!(out.caution[0].contains("no exact steps"));
    // A known source, but a kind of grant with no rule here.
    let odd = grant(ACCOUNT, ALICE, AWS_ACCOUNT, "iam:PassRole");
    assert!(commands(&odd).is_empty());
    // An open-ended removal is no grant anyone can revoke.
    let any = grant(GH, ["any", ANY, ANY], INFRA, ANY);
    assert!(commands(&any).is_empty());
}

#[test]
fn terraform_managed_grants_say_so() {
    let team = grant(GH, HUBOT, PLATFORM, "member");
    let address = "module.x.github_team_membership.hubot";
    let out = instructions(&team, Some(address));
    assert_eq!(
        out.terraform.as_deref(),
        Some(
            "Remove or change `module.x.github_team_membership.hubot` in Terraform, then apply; \
             removing it at the source alone would be undone by the next apply."
        )
    );
    assert_eq!(out.commands.len(), 1);
    let by_via = via(team.clone(), &format!("terraform:{address}"));
    assert!(instructions(&by_via, None)
        .terraform
        .unwrap()
        .contains(address));
    let mut by_scope = team.clone();
    by_scope.scope = "terraform:workspace:prod".into();
    assert!(instructions(&by_scope, None)
        .terraform
        .unwrap()
        .starts_with("Terraform manages"));
    assert_eq!(instructions(&team, Some("  ")).terraform, None);
}

#[test]
fn other_paths_and_the_last_admin_are_cautioned() {
    let direct = grant(GH, LISA, INFRA, "write");
    let held = [
        direct.clone(),
        grant(GH, LISA, PLATFORM, "member"),
        grant(GH, PLATFORM, INFRA, "maintain"),
        grant(GH, MONA, ORG, "admin"),
        grant(GH, HUBOT, ORG, "member"),
    ];
    let out = instructions_among(&direct, None, &held);
    assert!(out.caution.iter().any(|c| c
        == "lisa also holds maintain on Octo-Org/infra through team Octo-Org/platform (member); \
            that stays."));
    let owner = &held[3];
    let only = instructions_among(owner, None, &held);
    assert!(only
        .caution
        .iter()
        .any(|c| c.starts_with("mona is the only admin of Octo-Org")));
    let mut two = held.to_vec();
    two.push(grant(GH, HUBOT, ORG, "admin"));
    let shared = instructions_among(owner, None, &two);
    assert!(!shared.caution.iter().any(|c| c.contains("only admin")));
    // Knowing nothing else of the scope, nothing is claimed.
    let alone = instructions_among(owner, None, std::slice::from_ref(owner));
    assert!(!alone.caution.iter().any(|c| c.contains("only admin")));
}

#[test]
fn instructions_serialize_as_json_fields() {
    let out = instructions(&grant(GH, MONA, ORG, "member"), None);
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(
        json["commands"][0],
        "gh api -X DELETE /orgs/Octo-Org/memberships/mona"
    );
    assert_eq!(serde_json::from_value::<Instructions>(json).unwrap(), out);
}
