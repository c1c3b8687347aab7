//! The evidence of a grant's real use and what Attest recommends from it.

use super::Decision;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a grant has really been used, from the audit logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Usage {
    /// The holder's last recorded action on the resource (or, when `on_resource` is false,
    /// anywhere in the grant's org, account or project).
    pub last_used_at: Option<DateTime<Utc>>,
    /// That event, to link to.
    pub event_id: Option<i64>,
    /// What it was, as the timeline writes it: "pushed 3 commits to acme/infra".
    pub what: String,
    /// The event touched the resource itself (not only its org or account).
    pub on_resource: bool,
    /// The earliest event Attest holds from the grant's source: "no use in N days" is only
    /// said when the logs reach back that far.
    pub logs_since: Option<DateTime<Utc>>,
}

/// A grant younger than this is recommended to keep: it was given for a reason just now.
pub const RECENT_GRANT_DAYS: i64 = 14;
/// Used within this many days: keep.
pub const ACTIVE_DAYS: i64 = 30;
/// Not used for this many days (with logs reaching back as far): revoke.
pub const STALE_DAYS: i64 = 90;

/// What Attest suggests for an item, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Recommendation {
    pub decision: Decision,
    pub reason: String,
}

/// The recommendation for a grant held since `since` (`None`: since before Attest's records)
/// with `usage`, at `now`.
pub fn recommend(
    since: Option<DateTime<Utc>>,
    usage: &Usage,
    now: DateTime<Utc>,
) -> Recommendation {
    let days = |at: DateTime<Utc>| (now - at).num_days().max(0);
    let keep = |reason: String| Recommendation {
        decision: Decision::Keep,
        reason,
    };
    let where_used = |usage: &Usage| {
        if usage.on_resource || usage.what.is_empty() {
            usage.what.clone()
        } else {
            format!("{} (in the same org or account)", usage.what)
        }
    };
    if let Some(at) = usage.last_used_at {
        if days(at) <= ACTIVE_DAYS {
            return keep(format!("used {} days ago: {}", days(at), where_used(usage)));
        }
    }
    if let Some(since) = since {
        if days(since) < RECENT_GRANT_DAYS {
            return keep(format!("granted {} days ago", days(since)));
        }
    }
    // How far back "no use" can be claimed: since the grant began, but no further than the
    // logs reach.
    let quiet_from = match (usage.last_used_at, since, usage.logs_since) {
        (Some(used), _, _) => Some(used),
        (None, Some(since), Some(logs)) => Some(since.max(logs)),
        (None, None, logs) => logs,
        (None, Some(_), None) => None,
    };
    let logs_reach_less = match (since, usage.logs_since) {
        (Some(since), Some(logs)) => logs > since,
        _ => true,
    };
    match quiet_from {
        Some(from) if days(from) >= STALE_DAYS => Recommendation {
            decision: Decision::Revoke,
            reason: match usage.last_used_at {
                Some(at) => format!(
                    "no use in {} days (last: {} on {})",
                    days(at),
                    where_used(usage),
                    at.format("%Y-%m-%d")
                ),
                None => format!("no use in {} days", days(from)),
            },
        },
        Some(from) => keep(match usage.last_used_at {
            Some(at) => format!("last used {} days ago: {}", days(at), where_used(usage)),
            None if logs_reach_less => format!(
                "no use seen, but the audit logs reach back only {} days",
                days(from)
            ),
            None => format!("not used since it was granted {} days ago", days(from)),
        }),
        None => keep("no audit logs from this source to judge use by".to_owned()),
    }
}
