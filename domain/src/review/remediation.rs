//! How to take a revoked grant away at its source: the [`Instructions`] a remediation task
//! carries (a line for a person, the console page, the exact commands, what to be careful of).
//!
//! Pure: it reads only the grant (and, in [`instructions_among`], the grants held beside it).
//! Names come from the sources' payloads, so each one put in a command is one shell word
//! ([`shell_quote`]) and each one put in a URL path is percent-encoded. Where a grant lacks
//! what a command needs (an installation id, a key id the credential report does not name) the
//! instructions say how to find it rather than guess; a grant of a kind not known here gets a
//! plain description and no command. Each source's rules live in a submodule of their own.

mod aws;
mod azure;
mod gcp;
mod github;
mod gitlab;
mod okta;
pub mod terraform;
#[cfg(test)]
mod tests;

use crate::access::graph::{passes_on, ADMIN_PERMISSIONS};
use crate::grant::{Grant, ANY};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// How to take a grant away at its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Instructions {
    /// One line for a person: "Remove alice from team platform in acme".
    pub summary: String,
    /// The source's console path, when one is useful: "github.com/orgs/acme/teams/platform/members".
    pub console: Option<String>,
    /// Commands or API calls to run, in order, exact and copy-pasteable, each a complete line:
    /// `gh api -X DELETE /orgs/acme/teams/platform/memberships/alice`,
    /// `aws iam detach-user-policy --user-name alice --policy-arn arn:aws:iam::aws:policy/AdministratorAccess`,
    /// `gcloud projects remove-iam-policy-binding my-project --member=user:alice@example.com --role=roles/owner`,
    /// `az role assignment delete --assignee … --role Owner --scope /subscriptions/…`.
    pub commands: Vec<String>,
    /// When the grant came from Terraform (its via, scope or ids say so, or `terraform_address`
    /// is given): "Remove or change `module.x.github_team_membership.alice` in Terraform, then
    /// apply; removing it at the source alone would be undone by the next apply."
    pub terraform: Option<String>,
    /// What to be careful of: "alice also holds this through team platform", "this is the only
    /// admin", ...; may be empty.
    pub caution: Vec<String>,
}

impl Instructions {
    fn new(summary: String, console: Option<String>, commands: Vec<String>) -> Self {
        Instructions {
            summary,
            console,
            commands,
            terraform: None,
            caution: Vec::new(),
        }
    }

    fn careful(mut self, text: impl Into<String>) -> Self {
        self.caution.push(text.into());
        self
    }
}

/// Instructions for removing `grant`. `terraform_address` is the Terraform resource address
/// that created it, when Attest knows one.
pub fn instructions(grant: &Grant, terraform_address: Option<&str>) -> Instructions {
    let open_ended = [&grant.principal.id, &grant.resource.id]
        .iter()
        .any(|id| *id == ANY);
    let known = match source_of(grant) {
        _ if open_ended => None,
        "github" => github::remove(grant),
        "aws" => aws::remove(grant),
        "gcp" => gcp::remove(grant),
        "azure" => azure::remove(grant),
        "gitlab" => gitlab::remove(grant),
        "okta" => okta::remove(grant),
        _ => None,
    };
    let mut out = known.unwrap_or_else(|| generic(grant));
    // A quoted newline is harmless to a shell but splits the line a person pastes.
    if out.commands.iter().any(|c| c.chars().any(char::is_control)) {
        out.commands.clear();
        out.caution
            .push("A name here holds control characters: remove it in the console.".into());
    }
    out.terraform = terraform(grant, terraform_address);
    out
}

/// [`instructions`] with what `held` (other grants open beside it, such as its scope's) adds:
/// the exact policy an AWS admin grant follows from, the other ways the principal reaches the
/// same resource, and whether it is the last admin.
pub fn instructions_among(
    grant: &Grant,
    terraform_address: Option<&str>,
    held: &[Grant],
) -> Instructions {
    let (who, on) = (&grant.principal.name, &grant.resource.name);
    let aws_admin = grant.permission == "admin" && source_of(grant) == "aws";
    let policy = grant.via.strip_prefix("policy:").filter(|_| aws_admin);
    let attachment = held.iter().find(|h| {
        h.principal.id == grant.principal.id
            && h.permission == "attached"
            && Some(h.resource.name.as_str()) == policy
    });
    let mut out = match attachment {
        Some(attached) => instructions(attached, terraform_address).careful(format!(
            "{who} is an administrator of {on} through this policy."
        )),
        None => instructions(grant, terraform_address),
    };
    let hops = held
        .iter()
        .filter(|h| h.principal.id == grant.principal.id && *h != grant);
    for hop in hops.filter(|h| passes_on(h)) {
        let (kind, name, as_what) = (&hop.resource.kind, &hop.resource.name, &hop.permission);
        for next in held
            .iter()
            .filter(|n| n.principal.id == hop.resource.id && n.resource.id == grant.resource.id)
        {
            out.caution.push(format!(
                "{who} also holds {} on {on} through {kind} {name} ({as_what}); that stays.",
                next.permission
            ));
        }
    }
    let perm = &grant.permission;
    let admin = ADMIN_PERMISSIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(perm));
    let seen = held.iter().any(|h| h.scope == grant.scope && h != grant);
    let another = held.iter().any(|h| {
        h.resource.id == grant.resource.id
            && h.principal.id != grant.principal.id
            && h.permission.eq_ignore_ascii_case(perm)
    });
    if admin && seen && !another {
        out.caution.push(format!(
            "{who} is the only {perm} of {on} that Attest knows of: make someone else {perm} first."
        ));
    }
    out
}

/// `value` as one shell word: as it is when every character is plainly safe, else in single
/// quotes (inside which a shell expands nothing), each `'` written `'\''`.
pub fn shell_quote(value: &str) -> Cow<'_, str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@./:=+-".contains(c);
    if !value.is_empty() && value.chars().all(safe) {
        return Cow::Borrowed(value);
    }
    Cow::Owned(format!("'{}'", value.replace('\'', r"'\''")))
}

/// One URL path segment: unreserved characters as they are, the rest percent-encoded, so a
/// name can neither add a segment nor climb out of one (`..`).
fn seg(value: &str) -> Cow<'_, str> {
    let dots = matches!(value, "." | "..");
    let plain = |b: u8| !dots && (b.is_ascii_alphanumeric() || b"-_~.".contains(&b));
    if value.bytes().all(plain) {
        return Cow::Borrowed(value);
    }
    let encode = |b: u8| {
        if plain(b) {
            char::from(b).to_string()
        } else {
            format!("%{b:02X}")
        }
    };
    Cow::Owned(value.bytes().map(encode).collect())
}

/// `template` with each `{}` replaced by the next of `values`, made safe by `escape`.
fn fill(template: &str, values: &[&str], escape: fn(&str) -> Cow<'_, str>) -> String {
    let mut values = values.iter();
    let mut out = String::new();
    for (n, piece) in template.split("{}").enumerate() {
        if n > 0 {
            out.push_str(&escape(values.next().copied().unwrap_or_default()));
        }
        out.push_str(piece);
    }
    out
}

/// A command line: the template's words are trusted, each value becomes one shell word.
fn line(template: &str, values: &[&str]) -> String {
    fill(template, values, shell_quote)
}

/// A URL path: each value becomes one segment.
fn path(template: &str, values: &[&str]) -> String {
    fill(template, values, seg)
}

/// A JSON string literal, as `jq` and JMESPath read one.
fn json_string(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => out.extend(['\\', c]),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JMESPath literal (`` `"text"` ``) for an `--query` filter.
fn jmes(text: &str) -> String {
    format!("`{}`", json_string(text).replace('`', "\\`"))
}

/// A name usable as one path piece or argument: not empty, no whitespace, no `/`, not [`ANY`].
fn word(text: &str) -> Option<&str> {
    let odd = |c: char| c.is_whitespace() || c == '/';
    (!text.is_empty() && text != ANY && !text.contains(odd)).then_some(text)
}

/// `github`, `aws`, ... from the first id that says.
fn source_of(grant: &Grant) -> &str {
    [&grant.resource.id, &grant.principal.id, &grant.scope]
        .into_iter()
        .find(|id| !id.is_empty() && *id != ANY)
        .and_then(|id| id.split(':').next())
        .unwrap_or_default()
}

fn generic(grant: &Grant) -> Instructions {
    let (p, r) = (&grant.principal, &grant.resource);
    let source = Some(source_of(grant))
        .filter(|s| !s.is_empty())
        .unwrap_or("its source");
    let via = Some(&grant.via)
        .filter(|v| !v.is_empty())
        .map(|v| format!(", held via {v}"));
    let summary = format!(
        "Take {} on {} {} away from {} {} ({source}{})",
        grant.permission,
        r.kind,
        r.name,
        p.kind,
        p.name,
        via.unwrap_or_default()
    );
    Instructions::new(summary, None, Vec::new()).careful(format!(
        "Attest has no exact steps for this kind of {source} grant: remove it where {source} \
         manages access, then check that the next import no longer lists it."
    ))
}

fn terraform(grant: &Grant, address: Option<&str>) -> Option<String> {
    let named = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let from_via = grant.via.strip_prefix("terraform:").and_then(named);
    let ids = [&grant.scope, &grant.principal.id, &grant.resource.id];
    let managed = ids.iter().any(|id| id.starts_with("terraform:"));
    let undone = "removing it at the source alone would be undone by the next apply.";
    match address.and_then(named).or(from_via) {
        Some(address) => Some(format!(
            "Remove or change `{address}` in Terraform, then apply; {undone}"
        )),
        None if managed => Some(format!(
            "Terraform manages this grant: remove or change the resource that creates it, then \
             apply; {undone}"
        )),
        None => None,
    }
}
