//! People: the humans behind accounts, as a people import states them (an HR or identity
//! provider export). Managers come from here, so access reviews can be routed to them, and the
//! account ids link a person's GitHub login, AWS user, GCP member and so on.

use crate::model::Source;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One person. `email` is the key: trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
