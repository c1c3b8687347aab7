//! People: the humans behind accounts, as a people import states them (an HR or identity
//! provider export). Managers come from here, so access reviews can be routed to them, and the
//! account ids link a person's GitHub login, AWS user, GCP member and so on.

use crate::model::Source;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The sources a person has accounts in (a people file's account columns, the person page's
/// choices). CloudTrail's actors are AWS accounts; Terraform and the people import have none.
pub const ACCOUNT_SOURCES: [Source; 6] = [
    Source::Github,
    Source::Gitlab,
    Source::Aws,
    Source::Gcp,
    Source::Azure,
    Source::Okta,
];

/// One person. `email` is the key: trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Person {
    pub email: String,
    pub name: String,
    pub manager_email: Option<String>,
    pub department: Option<String>,
    /// The person's accounts in each source, as that source names them (a GitHub login, an IAM
    /// user name or ARN, a GCP `user:` member, an Azure UPN, an Okta login).
    pub accounts: Vec<PersonAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct PersonAccount {
    pub source: Source,
    pub account_id: String,
}

/// A people file: everyone it lists, as of when it was imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub at: DateTime<Utc>,
    pub people: Vec<Person>,
}

/// What was decided by hand about who is who (see [`LinkEntry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LinkAction {
    /// An account was linked to a person (taken from whoever held it).
    Link,
    /// An account was taken away from a person: it belongs to no one, whatever imports say.
    Unlink,
    /// A person was merged into another: the same human, their accounts walked together.
    Merge,
    /// A merged person was split off again.
    Split,
}

impl LinkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkAction::Link => "link",
            LinkAction::Unlink => "unlink",
            LinkAction::Merge => "merge",
            LinkAction::Split => "split",
        }
    }

    pub fn parse(text: &str) -> Option<LinkAction> {
        [
            LinkAction::Link,
            LinkAction::Unlink,
            LinkAction::Merge,
            LinkAction::Split,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }
}

/// One decision, as recorded: appended, never edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct LinkEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who decided: `token:<name>` through the API, `cli:<user>` from the command line.
    pub actor: String,
    pub action: LinkAction,
    /// The person acted on.
    pub email: String,
    /// `link` and `unlink`: the account.
    pub account: Option<PersonAccount>,
    /// `link`: the person who held the account before, if anyone did; `merge` and `split`: the
    /// person merged in or split off.
    pub other_email: Option<String>,
    pub reason: String,
}

/// Why an account counts as a person's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum AccountOrigin {
    /// The people import lists it for `email` (the person, or someone merged into them).
    Import { email: String },
    /// Linked by hand, by the recorded decision `log_id`.
    Linked { log_id: i64 },
}

/// One account of a person, and why it is theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct LinkedAccount {
    pub account: PersonAccount,
    pub origin: AccountOrigin,
}

/// A person as the person page shows them: what the import says, what was decided by hand, and
/// the record of those decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct PersonProfile {
    pub email: String,
    pub name: String,
    pub manager_email: Option<String>,
    pub department: Option<String>,
    /// Set when this person was merged into another: that person's e-mail. The accounts and
    /// the rest are then theirs.
    pub merged_into: Option<String>,
    /// People merged into this one.
    pub merged: Vec<String>,
    /// Everyone whose manager this person is (by the import), by e-mail.
    pub reports: Vec<String>,
    /// Every account that counts as theirs, and why.
    pub accounts: Vec<LinkedAccount>,
    /// Accounts the import lists for them (or for someone merged in) that were unlinked or
    /// linked to someone else by hand.
    pub taken_away: Vec<PersonAccount>,
    /// Every decision about them, newest first.
    pub log: Vec<LinkEntry>,
}
