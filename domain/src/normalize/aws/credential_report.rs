//! `aws iam get-credential-report` → a [`GrantSnapshot`] of the account's sign-in
//! credentials (console passwords, active access keys) and one event that sums up what an
//! auditor asks of the report: console users without MFA, access keys nobody used for 90 days,
//! access keys of the root user.
//!
//! The report is a CSV with one row per user (the root user first, as `<root_account>`). It
//! arrives as the CLI's JSON (`{"Content": <base64>, "GeneratedTime": ...}`), as the decoded
//! CSV, or as the base64 text alone.

use super::ids::{self, permission, Arn, Entity};
use crate::grant::{Grant, GrantSnapshot, Principal};
use crate::model::{Actor, ActorKind, NewEvent, Outcome, Scope, Source, Target};
use crate::normalize::{json, NormalizeError, Normalized, RawDelivery};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// How long an active key may go unused before the report calls it stale (CIS AWS 1.12).
const STALE_AFTER_DAYS: i64 = 90;
/// Lists in the event's details stop here; their counts stay exact.
const MAX_LISTED: usize = 100;
/// How the report names the root user.
const ROOT: &str = "<root_account>";

pub(super) fn report(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let (csv, generated) = content(delivery.body)?;
    let rows = rows(&csv)?;
    let account = account_of(&rows)?;
    // The facts were true when AWS generated the report; a bare CSV does not say when that
    // was, so the import time stands in.
    let at = generated.unwrap_or(delivery.received_at);
    let grants = grants(&rows, &account)?;
    let findings = Findings::of(&rows, at);
    let event = event(
        delivery.delivery_key,
        &account,
        at,
        generated,
        &findings,
        rows.len(),
    );
    Ok(Normalized {
        events: vec![event],
        snapshots: vec![GrantSnapshot {
            at,
            scope: ids::credentials_scope(&account),
            grants,
        }],
        ..Normalized::default()
    })
}

/// A credential report read for the findings engine: its account, when AWS generated it (the
/// JSON form says; `None` for a bare CSV) and its rows.
pub(crate) struct Report {
    pub(crate) account: String,
    pub(crate) generated: Option<DateTime<Utc>>,
    pub(crate) rows: Rows,
}

/// Reads a stored report the way [`report`] does, so both always agree on what it says.
pub(crate) fn read(body: &[u8]) -> Result<Report, NormalizeError> {
    let (csv, generated) = content(body)?;
    let rows = rows(&csv)?;
    let account = account_of(&rows)?;
    Ok(Report {
        account,
        generated,
        rows,
    })
}

/// The CSV text and, from the JSON form, the time AWS generated it.
fn content(body: &[u8]) -> Result<(String, Option<DateTime<Utc>>), NormalizeError> {
    let trimmed = body.trim_ascii();
    if trimmed.starts_with(b"{") {
        let wrapper: Value = serde_json::from_slice(trimmed)?;
        let text = json::text(&wrapper, "/Content").ok_or(NormalizeError::Missing("Content"))?;
        let generated = wrapper.get("GeneratedTime").and_then(json::timestamp);
        // The CLI leaves `Content` base64-encoded; tools that save it decoded write the CSV.
        let csv = if is_csv(text.as_bytes()) {
            text.to_owned()
        } else {
            from_base64(text.as_bytes()).ok_or_else(|| {
                NormalizeError::Invalid(
                    "credential report `Content` is neither the CSV nor base64 of it".into(),
                )
            })?
        };
        return Ok((csv, generated));
    }
    if is_csv(trimmed) {
        let csv = std::str::from_utf8(trimmed)
            .map_err(|_| NormalizeError::Invalid("credential report is not UTF-8 text".into()))?;
        return Ok((csv.to_owned(), None));
    }
    from_base64(trimmed).map(|csv| (csv, None)).ok_or_else(|| {
        NormalizeError::Invalid(
            "not a credential report: expected its CSV (a header starting `user,arn`), the \
             base64 of it, or the JSON of `aws iam get-credential-report`"
                .into(),
        )
    })
}

fn is_csv(bytes: &[u8]) -> bool {
    bytes.starts_with(b"user,arn,")
}

fn from_base64(text: &[u8]) -> Option<String> {
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()?;
    let csv = String::from_utf8(decoded).ok()?;
    is_csv(csv.as_bytes()).then_some(csv)
}

/// One user's row, read by column name so added columns do not shift anything.
pub(crate) struct Row<'a> {
    header: &'a [String],
    fields: &'a [String],
}

impl Row<'_> {
    /// A column's value; AWS writes `N/A`, `no_information` or `not_supported` for "none".
    pub(crate) fn get(&self, column: &str) -> Option<&str> {
        let index = self.header.iter().position(|name| name == column)?;
        self.fields
            .get(index)
            .map(String::as_str)
            .filter(|v| !matches!(*v, "" | "N/A" | "no_information" | "not_supported"))
    }

    /// A column's value exactly as the report writes it, `N/A` included (for evidence).
    pub(crate) fn raw(&self, column: &str) -> Option<&str> {
        let index = self.header.iter().position(|name| name == column)?;
        self.fields.get(index).map(String::as_str)
    }

    pub(crate) fn is_true(&self, column: &str) -> bool {
        self.get(column) == Some("true")
    }

    pub(crate) fn time(&self, column: &str) -> Option<DateTime<Utc>> {
        self.get(column)
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|time| time.with_timezone(&Utc))
    }

    pub(crate) fn user(&self) -> &str {
        self.get("user").unwrap_or_default()
    }

    pub(crate) fn is_root(&self) -> bool {
        self.user() == ROOT
    }
}

pub(crate) struct Rows {
    header: Vec<String>,
    lines: Vec<Vec<String>>,
}

impl Rows {
    pub(crate) fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.lines.iter().map(|fields| Row {
            header: &self.header,
            fields,
        })
    }

    fn len(&self) -> usize {
        self.lines.len()
    }
}

fn rows(csv: &str) -> Result<Rows, NormalizeError> {
    let mut lines = csv.lines().filter(|line| !line.trim().is_empty());
    let header: Vec<String> = split(lines.next().unwrap_or_default());
    for required in ["user", "arn"] {
        if !header.iter().any(|name| name == required) {
            return Err(NormalizeError::Invalid(format!(
                "credential report header has no `{required}` column"
            )));
        }
    }
    let mut rows = Vec::new();
    for (index, line) in lines.enumerate() {
        let fields = split(line);
        if fields.len() != header.len() {
            return Err(NormalizeError::Invalid(format!(
                "credential report row {} has {} fields where the header has {}",
                index + 1,
                fields.len(),
                header.len()
            )));
        }
        rows.push(fields);
    }
    Ok(Rows {
        header,
        lines: rows,
    })
}

/// Splits one CSV line. AWS does not quote the report's fields, but quoted ones (`"a,b"`, with
/// `""` for a quote) are read too, in case a tool re-saved the file.
fn split(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches('\r').chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// The account every row's ARN names (the root row's `arn:aws:iam::<id>:root` at least).
fn account_of(rows: &Rows) -> Result<String, NormalizeError> {
    rows.iter()
        .find_map(|row| {
            let arn = Arn::parse(row.get("arn")?)?;
            ids::is_account_number(arn.account).then(|| arn.account.to_owned())
        })
        .ok_or_else(|| {
            NormalizeError::Invalid("no row of the credential report names an account".into())
        })
}

fn grants(rows: &Rows, account: &str) -> Result<Vec<Grant>, NormalizeError> {
    let scope = ids::credentials_scope(account);
    let mut found = BTreeSet::new();
    for (index, row) in rows.iter().enumerate() {
        let arn = row.get("arn").and_then(Arn::parse);
        let (holder, user) = match (
            row.is_root(),
            arn.and_then(|arn| Some((arn, arn.entity()?))),
        ) {
            (true, _) => (ids::account(account), "root"),
            (false, Some((arn, (Entity::User, name)))) => {
                (arn.account().resource(Entity::User, name), name)
            }
            _ => {
                return Err(NormalizeError::Invalid(format!(
                    "credential report row {} has no user ARN",
                    index + 1
                )))
            }
        };
        // Root's password shows as `not_supported`: it always has one, but the report says
        // nothing more, so no console grant is claimed for it.
        if row.is_true("password_enabled") && !row.is_root() {
            found.insert(Grant {
                scope: scope.clone(),
                principal: Principal {
                    kind: Entity::User.word().into(),
                    id: holder.id.clone(),
                    name: user.into(),
                },
                resource: ids::account(account),
                permission: permission::CONSOLE_LOGIN.into(),
                via: String::new(),
            });
        }
        for n in [1, 2] {
            if row.is_true(&format!("access_key_{n}_active")) {
                found.insert(Grant {
                    scope: scope.clone(),
                    principal: report_key(account, user, n),
                    resource: holder.clone(),
                    permission: permission::ACCESS_KEY.into(),
                    via: String::new(),
                });
            }
        }
    }
    Ok(found.into_iter().collect())
}

/// The report names no key ids, only a user's first and second key: `alice#1`. The account
/// is part of the id because user names repeat across accounts.
pub(crate) fn report_key(account: &str, user: &str, n: u8) -> Principal {
    Principal {
        kind: "access_key".into(),
        id: format!("aws:access_key:{account}:{user}#{n}"),
        name: format!("{user} key {n}"),
    }
}

/// What the event sums up, each as a count and the first names.
#[derive(Default)]
struct Findings {
    users: usize,
    console_without_mfa: Vec<String>,
    stale_keys: Vec<String>,
    root_keys: usize,
    root_mfa: Option<bool>,
}

impl Findings {
    fn of(rows: &Rows, at: DateTime<Utc>) -> Findings {
        let stale_before = at - Duration::days(STALE_AFTER_DAYS);
        let mut findings = Findings::default();
        for row in rows.iter() {
            let name = if row.is_root() { "root" } else { row.user() };
            if row.is_root() {
                findings.root_mfa = Some(row.is_true("mfa_active"));
            } else {
                findings.users += 1;
                if row.is_true("password_enabled") && !row.is_true("mfa_active") {
                    findings.console_without_mfa.push(name.to_owned());
                }
            }
            for n in [1, 2] {
                if !row.is_true(&format!("access_key_{n}_active")) {
                    continue;
                }
                if row.is_root() {
                    findings.root_keys += 1;
                }
                // A key never used counts from when it was made (last rotated).
                let last = row
                    .time(&format!("access_key_{n}_last_used_date"))
                    .or_else(|| row.time(&format!("access_key_{n}_last_rotated")));
                if last.is_some_and(|last| last < stale_before) {
                    findings.stale_keys.push(format!("{name}#{n}"));
                }
            }
        }
        findings
    }
}

fn event(
    delivery_key: &str,
    account: &str,
    at: DateTime<Utc>,
    generated: Option<DateTime<Utc>>,
    findings: &Findings,
    rows: usize,
) -> NewEvent {
    let mut summary = format!(
        "credential report of account {account}: {}, {} with console access without MFA, {} unused for {STALE_AFTER_DAYS} days",
        json::count(findings.users, "user", "users"),
        findings.console_without_mfa.len(),
        json::count(findings.stale_keys.len(), "access key", "access keys"),
    );
    if findings.root_keys > 0 {
        summary.push_str(", root has active access keys");
    }
    let listed = |names: &[String]| names.iter().take(MAX_LISTED).cloned().collect::<Vec<_>>();
    let details = json!({
        "generated": generated,
        "rows": rows,
        "users": findings.users,
        "console_without_mfa_count": findings.console_without_mfa.len(),
        "console_without_mfa": listed(&findings.console_without_mfa),
        "keys_unused_90_days_count": findings.stale_keys.len(),
        "keys_unused_90_days": listed(&findings.stale_keys),
        "root_active_access_keys": findings.root_keys,
        "root_mfa_active": findings.root_mfa,
    });
    let source_event_id = if delivery_key.is_empty() {
        format!("credential-report:{account}:{}", at.to_rfc3339())
    } else {
        delivery_key.to_owned()
    };
    NewEvent {
        source: Source::Aws,
        source_event_id,
        occurred_at: at,
        actor: Actor {
            id: None,
            name: "AWS IAM".into(),
            kind: ActorKind::Service,
            ip: None,
            user_agent: None,
        },
        action: "iam.credential_report.imported".into(),
        native_action: "iam:GetCredentialReport".into(),
        targets: vec![Target {
            kind: "account".into(),
            id: Some(account.into()),
            name: account.into(),
        }],
        scope: Some(Scope {
            kind: "account".into(),
            id: account.into(),
            name: None,
        }),
        outcome: Outcome::Success,
        error: None,
        summary,
        details,
    }
}
