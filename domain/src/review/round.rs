//! Campaigns, rounds and review items as the store keeps them and the pages and API show them.

use super::{CampaignDefinition, Decision, Recommendation, Usage};
use crate::grant::Grant;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A stored campaign definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub id: i64,
    pub definition: CampaignDefinition,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When the scheduler launches it next; `None`: nothing planned.
    pub next_launch_at: Option<DateTime<Utc>>,
}

/// Whether a round still takes decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    Open,
    Closed,
}

impl RoundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundStatus::Open => "open",
            RoundStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<RoundStatus> {
        [RoundStatus::Open, RoundStatus::Closed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// How far a round has come, over its items.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Progress {
    pub items: i64,
    /// Decided in the current stage (or closed).
    pub decided: i64,
    pub keep: i64,
    pub revoke: i64,
    pub dont_know: i64,
    /// Not decided and past their due date.
    pub overdue: i64,
    /// Revokes verified gone, failed (still there after the grace), regressed (back again).
    pub verified: i64,
    pub failed: i64,
    pub regressed: i64,
}

/// One launch of a campaign: its frozen population and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Round {
    pub id: i64,
    pub campaign_id: i64,
    pub name: String,
    pub definition: CampaignDefinition,
    pub planned_for: DateTime<Utc>,
    pub launched_at: DateTime<Utc>,
    pub launched_by: String,
    /// From 1.
    pub stage: u32,
    pub stage_due_at: DateTime<Utc>,
    pub status: RoundStatus,
    pub closed_at: Option<DateTime<Utc>>,
    /// Grants frozen at launch, and the SHA-256 (hex) of that set, as the ledger records it.
    pub population: i64,
    pub population_hash: String,
    pub progress: Progress,
}

/// Where carrying out a revoke stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RemediationStatus {
    /// To be done at the source.
    Open,
    /// A later event or snapshot shows the grant gone.
    Verified,
    /// Still held after the grace period.
    Failed,
    /// Removed, then held again.
    Regressed,
}

impl RemediationStatus {
    pub const ALL: [RemediationStatus; 4] = [
        RemediationStatus::Open,
        RemediationStatus::Verified,
        RemediationStatus::Failed,
        RemediationStatus::Regressed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RemediationStatus::Open => "open",
            RemediationStatus::Verified => "verified",
            RemediationStatus::Failed => "failed",
            RemediationStatus::Regressed => "regressed",
        }
    }

    pub fn parse(text: &str) -> Option<RemediationStatus> {
        RemediationStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The person behind a grant, as the people import describes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Holder {
    pub email: String,
    pub name: String,
    pub department: Option<String>,
    pub manager: Option<String>,
}

/// One grant to review, with everything a reviewer needs to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct ReviewItem {
    pub id: i64,
    pub round_id: i64,
    /// The frozen grant and the stored interval it was.
    pub grant_id: i64,
    pub grant: Grant,
    /// When it began (`None`: before Attest's records) and the fact that opened it
    /// ("member.added webhook by octocat").
    pub granted_at: Option<DateTime<Utc>>,
    pub granted_how: String,
    pub privileged: bool,
    pub holder: Option<Holder>,
    pub usage: Usage,
    pub recommendation: Recommendation,
    /// A revoked grant that came back, reviewed again.
    pub regression: bool,
    pub stage: u32,
    /// `None`: no one could be found who is not the holder (the campaign page shows these).
    pub reviewer: Option<String>,
    /// The rule that chose the reviewer: `manager`, `resource_owner`, `fallback`, `delegated`.
    pub reviewer_rule: String,
    pub due_at: DateTime<Utc>,
    pub decision: Option<Decision>,
    pub justification: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Keep or revoke, once the item is closed.
    pub outcome: Option<Decision>,
    pub remediation: Option<RemediationStatus>,
    /// What verified (or failed) the remediation: the event or snapshot, who, when.
    pub remediation_note: String,
    pub remediation_at: Option<DateTime<Utc>>,
}

impl ReviewItem {
    /// The path the access is held by, as the access page writes it.
    pub fn path(&self) -> String {
        let g = &self.grant;
        if g.via.is_empty() {
            format!(
                "{} → {} ({})",
                g.principal.name, g.resource.name, g.permission
            )
        } else {
            format!(
                "{} → {} ({} via {})",
                g.principal.name, g.resource.name, g.permission, g.via
            )
        }
    }

    /// Whether it waits for a decision and its due date has passed at `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.outcome.is_none() && self.decision.is_none() && self.due_at < now
    }
}

/// What happened to an item, as the log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// A reviewer decided (or changed their decision).
    Decision,
    /// The stage closed with no usable answer: the campaign's default applied.
    Default,
    /// The lockout guard kept a grant a default would have revoked.
    Guard,
    /// The item was handed to another reviewer.
    Delegate,
    /// The item went on to the next stage.
    Advance,
    /// The item closed (its outcome).
    Closed,
    Verified,
    Failed,
    Regressed,
}

impl LogKind {
    pub const ALL: [LogKind; 9] = [
        LogKind::Decision,
        LogKind::Default,
        LogKind::Guard,
        LogKind::Delegate,
        LogKind::Advance,
        LogKind::Closed,
        LogKind::Verified,
        LogKind::Failed,
        LogKind::Regressed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Decision => "decision",
            LogKind::Default => "default",
            LogKind::Guard => "guard",
            LogKind::Delegate => "delegate",
            LogKind::Advance => "advance",
            LogKind::Closed => "closed",
            LogKind::Verified => "verified",
            LogKind::Failed => "failed",
            LogKind::Regressed => "regressed",
        }
    }

    /// The ledger kind of its entries: `review.<kind>`.
    pub fn ledger_kind(self) -> &'static str {
        match self {
            LogKind::Decision => "review.decision",
            LogKind::Default => "review.default",
            LogKind::Guard => "review.guard",
            LogKind::Delegate => "review.delegate",
            LogKind::Advance => "review.advance",
            LogKind::Closed => "review.closed",
            LogKind::Verified => "review.verified",
            LogKind::Failed => "review.failed",
            LogKind::Regressed => "review.regressed",
        }
    }

    pub fn parse(text: &str) -> Option<LogKind> {
        LogKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One row of an item's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct LogEntry {
    pub id: i64,
    pub item_id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: LogKind,
    pub stage: u32,
    pub decision: Option<Decision>,
    pub comment: String,
}
