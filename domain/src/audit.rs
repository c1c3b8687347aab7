//! Attest's own audit log: what people and tokens did in Attest (sign-ins, refusals, sign-outs,
//! tokens created and revoked, exports), as the audit page and API show it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The actions Attest records, by name.
pub mod actions {
    /// A person signed in (`detail` names the provider).
    pub const SIGN_IN: &str = "signin";
    /// A sign-in was refused (`detail` says why; `actor` is who the provider said it was, or
    /// empty when the refusal came before the provider answered).
    pub const SIGN_IN_REFUSED: &str = "signin.refused";
    /// A person signed out.
    pub const SIGN_OUT: &str = "signout";
    /// An account was linked to a person by hand (`target` is the person, `detail` the
    /// account and the reason).
    pub const PERSON_LINK: &str = "person.link";
    /// An account was taken away from a person by hand.
    pub const PERSON_UNLINK: &str = "person.unlink";
    /// A person was merged into another (`target` is the one merged into).
    pub const PERSON_MERGE: &str = "person.merge";
    /// A merged person was split off again.
    pub const PERSON_SPLIT: &str = "person.split";
    /// An API token was created on the tokens page (`target` is its name, `detail` its role).
    pub const TOKEN_CREATE: &str = "token.create";
    /// An API token was revoked on the tokens page.
    pub const TOKEN_REVOKE: &str = "token.revoke";
    /// A webhook secret was made (`target` is its name, `detail` its endpoint and
    /// fingerprint).
    pub const HOOK_SECRET_CREATE: &str = "hook_secret.create";
    /// A webhook secret was revoked.
    pub const HOOK_SECRET_REVOKE: &str = "hook_secret.revoke";
    /// Something was exported (`target` is the file's name, `detail` the filter, the row
    /// count and the file's SHA-256).
    pub const EXPORT: &str = "export";
}

/// One action to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The actor's role then (`""` when none).
    pub role: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

/// Which actions to list: all of them combine with AND; empty ones do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFilter {
    /// Exact actor.
    pub actor: String,
    /// Exact action, or a prefix ending in `*` (`signin*`).
    pub action: String,
    /// Words found in the actor, target or detail (case-insensitive).
    pub text: String,
    /// Only actions before this id (the next page of a listing).
    pub before: Option<i64>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionPage {
    pub actions: Vec<ActionRecord>,
    /// The `before` of the next (older) page, when there is one.
    pub next_before: Option<i64>,
}
