//! The people import (`attest import people FILE`): a CSV file with a header row, or JSON (an
//! array of people, `{"people": [...]}`, or a SCIM `ListResponse` of users as identity
//! providers export them).
//!
//! CSV columns, matched without regard to case, spaces, `_` or `-`: `email` (required; also
//! `mail`, `work email`), `name` (`full name`, `display name`), `manager` (`manager email`),
//! `department` (`dept`), and one column per source holding the person's account ids there:
//! `github`, `gitlab`, `aws`, `gcp`, `azure`, `okta` (several ids separated by `;` or spaces).
//! Other columns are ignored. JSON objects use the same names (`managerEmail` too) and may put
//! the account ids under `accounts`.
//!
//! The file is all or nothing: a row without an e-mail, an e-mail given twice, an account id
//! claimed by two people or a person managing themselves fails the whole file with the row
//! that is wrong, so a directory is never half imported.

use super::{NormalizeError, Normalized, RawDelivery};
use crate::model::Source;
use crate::people::{Directory, Person, PersonAccount, ACCOUNT_SOURCES};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};

/// The sources a people file may name accounts in, each in the column of its name.
fn account_columns() -> impl Iterator<Item = (&'static str, Source)> {
    ACCOUNT_SOURCES
        .into_iter()
        .map(|source| (source.as_str(), source))
}

const SCIM_ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

pub(super) fn normalize(delivery: &RawDelivery<'_>) -> Result<Normalized, NormalizeError> {
    let people = parse(delivery.body)?;
    Ok(Normalized {
        directory: Some(Directory {
            at: delivery.received_at,
            people,
        }),
        ..Normalized::default()
    })
}

/// The people a file lists, checked as a whole (see the module documentation).
pub fn parse(body: &[u8]) -> Result<Vec<Person>, NormalizeError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let rows = match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(NormalizeError::Invalid("the file is empty".to_owned())),
        Some(b'[' | b'{') => json_rows(body)?,
        Some(_) => csv_rows(body)?,
    };
    check(rows)
}

/// One row as read, before the file is checked as a whole. `line` names it in messages.
struct Row {
    line: String,
    email: Option<String>,
    name: Option<String>,
    manager: Option<String>,
    department: Option<String>,
    accounts: Vec<PersonAccount>,
}

/// A column or field name without case, spaces, `_` or `-`.
fn simple(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn non_blank(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn account_ids(source: Source, text: &str) -> impl Iterator<Item = PersonAccount> + '_ {
    text.split(|c: char| c == ';' || c.is_whitespace())
        .filter(|id| !id.is_empty())
        .map(move |id| PersonAccount {
            source,
            account_id: id.to_owned(),
        })
}

fn csv_rows(body: &[u8]) -> Result<Vec<Row>, NormalizeError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(body);
    let header = reader
        .headers()
        .map_err(|err| NormalizeError::Invalid(format!("the CSV header cannot be read: {err}")))?
        .clone();
    let columns: Vec<String> = header.iter().map(simple).collect();
    let find = |names: &[&str]| columns.iter().position(|c| names.contains(&c.as_str()));
    let Some(email) = find(&["email", "mail", "workemail", "emailaddress"]) else {
        return Err(NormalizeError::Invalid(format!(
            "the CSV header has no e-mail column (columns: {})",
            header.iter().collect::<Vec<_>>().join(", ")
        )));
    };
    let name = find(&["name", "fullname", "displayname"]);
    let manager = find(&["manager", "manageremail", "managermail"]);
    let department = find(&["department", "dept"]);
    let accounts: Vec<(usize, Source)> = account_columns()
        .filter_map(|(column, source)| find(&[column]).map(|at| (at, source)))
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| NormalizeError::Invalid(format!("CSV: {err}")))?;
        let line = record
            .position()
            .map_or_else(|| "a row".to_owned(), |p| format!("line {}", p.line()));
        let field = |at: Option<usize>| at.and_then(|at| record.get(at)).and_then(non_blank);
        rows.push(Row {
            line,
            email: field(Some(email)),
            name: field(name),
            manager: field(manager),
            department: field(department),
            accounts: accounts
                .iter()
                .flat_map(|(at, source)| account_ids(*source, record.get(*at).unwrap_or("")))
                .collect(),
        });
    }
    Ok(rows)
}

fn json_rows(body: &[u8]) -> Result<Vec<Row>, NormalizeError> {
    let value: Value = serde_json::from_slice(body)?;
    let (items, scim) = match &value {
        Value::Array(items) => (items, false),
        Value::Object(map) => match (map.get("Resources"), map.get("people")) {
            (Some(Value::Array(items)), _) => (items, true),
            (_, Some(Value::Array(items))) => (items, false),
            _ => {
                return Err(NormalizeError::Invalid(
                    "a JSON people file is an array of people, {\"people\": [...]} or a SCIM \
                     ListResponse with Resources"
                        .to_owned(),
                ))
            }
        },
        _ => {
            return Err(NormalizeError::Invalid(
                "expected a JSON array or object".to_owned(),
            ))
        }
    };
    // SCIM names a manager by their SCIM id: map ids to e-mails first.
    let mut scim_emails: HashMap<&str, String> = HashMap::new();
    if scim {
        for item in items {
            if let (Some(id), Some(email)) =
                (item.get("id").and_then(Value::as_str), scim_email(item))
            {
                scim_emails.insert(id, email);
            }
        }
    }
    items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let line = format!("entry {}", n + 1);
            let Value::Object(map) = item else {
                return Err(NormalizeError::Invalid(format!(
                    "{line} is not a JSON object"
                )));
            };
            Ok(if scim {
                scim_row(line, item, &scim_emails)
            } else {
                plain_row(line, map)
            })
        })
        .collect()
}

/// A field by its simple name, as text.
fn text(map: &Map<String, Value>, names: &[&str]) -> Option<String> {
    map.iter()
        .find(|(key, _)| names.contains(&simple(key).as_str()))
        .and_then(|(_, value)| value.as_str())
        .and_then(non_blank)
}

fn plain_row(line: String, map: &Map<String, Value>) -> Row {
    let mut accounts = Vec::new();
    let nested = map
        .iter()
        .find(|(key, _)| simple(key) == "accounts")
        .and_then(|(_, value)| value.as_object());
    for (column, source) in account_columns() {
        for holder in [Some(map), nested].into_iter().flatten() {
            let Some((_, value)) = holder.iter().find(|(key, _)| simple(key) == column) else {
                continue;
            };
            match value {
                Value::String(ids) => accounts.extend(account_ids(source, ids)),
                Value::Array(ids) => accounts.extend(
                    ids.iter()
                        .filter_map(Value::as_str)
                        .flat_map(|ids| account_ids(source, ids)),
                ),
                _ => {}
            }
        }
    }
    Row {
        line,
        email: text(map, &["email", "mail", "workemail", "emailaddress"]),
        name: text(map, &["name", "fullname", "displayname"]),
        manager: text(map, &["manager", "manageremail", "managermail"]),
        department: text(map, &["department", "dept"]),
        accounts,
    }
}

fn scim_email(user: &Value) -> Option<String> {
    let emails = user.get("emails").and_then(Value::as_array);
    let pick = emails.and_then(|emails| {
        emails
            .iter()
            .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
            .or_else(|| emails.first())
    });
    pick.and_then(|e| e.get("value"))
        .and_then(Value::as_str)
        .and_then(non_blank)
        .or_else(|| {
            user.get("userName")
                .and_then(Value::as_str)
                .filter(|name| name.contains('@'))
                .and_then(non_blank)
        })
}

fn scim_row(line: String, user: &Value, emails: &HashMap<&str, String>) -> Row {
    let name = user
        .get("displayName")
        .and_then(Value::as_str)
        .and_then(non_blank)
        .or_else(|| {
            let name = user.get("name")?;
            name.get("formatted")
                .and_then(Value::as_str)
                .and_then(non_blank)
                .or_else(|| {
                    let given = name.get("givenName").and_then(Value::as_str).unwrap_or("");
                    let family = name.get("familyName").and_then(Value::as_str).unwrap_or("");
                    non_blank(&format!("{given} {family}"))
                })
        });
    let enterprise = user.get(SCIM_ENTERPRISE);
    let manager = enterprise
        .and_then(|e| e.get("manager"))
        .and_then(|manager| {
            let id = manager.get("value").and_then(Value::as_str)?;
            emails
                .get(id)
                .cloned()
                .or_else(|| id.contains('@').then(|| id.trim().to_owned()))
        });
    Row {
        line,
        email: scim_email(user),
        name,
        manager,
        department: enterprise
            .and_then(|e| e.get("department"))
            .and_then(Value::as_str)
            .and_then(non_blank),
        // A SCIM userName is an Okta login or an Entra UPN depending on who exported it: the
        // e-mail links the person's accounts instead of a guess.
        accounts: Vec::new(),
    }
}

fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check(rows: Vec<Row>) -> Result<Vec<Person>, NormalizeError> {
    let invalid = |message: String| Err(NormalizeError::Invalid(message));
    let mut people = Vec::with_capacity(rows.len());
    let mut lines: HashMap<String, String> = HashMap::new();
    let mut owners: HashMap<PersonAccount, String> = HashMap::new();
    for row in rows {
        let Some(email) = row.email.as_deref().map(key) else {
            return invalid(format!("{} has no e-mail", row.line));
        };
        if !is_email(&email) {
            return invalid(format!("{}: {email:?} is not an e-mail address", row.line));
        }
        if let Some(first) = lines.insert(email.clone(), row.line.clone()) {
            return invalid(format!(
                "{email} is listed twice ({first} and {})",
                row.line
            ));
        }
        let manager_email = row.manager.as_deref().map(key);
        if let Some(manager) = &manager_email {
            if !is_email(manager) {
                return invalid(format!(
                    "{}: manager {manager:?} is not an e-mail address",
                    row.line
                ));
            }
            if *manager == email {
                return invalid(format!("{}: {email} is their own manager", row.line));
            }
        }
        let accounts: BTreeSet<PersonAccount> = row.accounts.into_iter().collect();
        for account in &accounts {
            if let Some(other) = owners.insert(account.clone(), email.clone()) {
                return invalid(format!(
                    "{}: the {} account {:?} is also {other}'s",
                    row.line,
                    account.source.label(),
                    account.account_id
                ));
            }
        }
        people.push(Person {
            name: row.name.unwrap_or_else(|| email.clone()),
            email,
            manager_email,
            department: row.department,
            accounts: accounts.into_iter().collect(),
        });
    }
    if people.is_empty() {
        return invalid("the file lists no one".to_owned());
    }
    Ok(people)
}

fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !text.chars().any(|c| c.is_whitespace() || c.is_control())
                && text.len() <= 320
        }
        None => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
