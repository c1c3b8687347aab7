//! Access reviews: campaigns that ask the right people whether each grant is still needed.
//!
//! A [`CampaignDefinition`] says which grants are in scope, who reviews them (per stage), when
//! it recurs and what happens when nobody answers. Launching it freezes the population (the
//! store records a hash of the frozen set in the ledger); each frozen grant becomes a review
//! item with the evidence of its real use and a [`Recommendation`]. Revokes become remediation
//! tasks ([`remediation`]) that later imports verify.
//!
//! The types and rules here are pure and shared with the front end; the store keeps and runs
//! them (`store::reviews`).

mod classify;
pub mod notice;
#[cfg(feature = "store")]
pub mod owners;
mod recommend;
pub mod remediation;
mod round;

pub use classify::{
    audit_source, glob_matches, is_non_human, is_person, is_privileged, is_privileged_permission,
    source_of,
};
pub use recommend::{recommend, Recommendation, Usage, ACTIVE_DAYS, RECENT_GRANT_DAYS, STALE_DAYS};
pub use round::{
    Campaign, Holder, LogEntry, LogKind, Progress, RemediationStatus, ReviewItem, Round,
    RoundStatus,
};

use crate::grant::Grant;
use crate::model::Source;
use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

/// What a reviewer says about one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Keep,
    Revoke,
    DontKnow,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Keep, Decision::Revoke, Decision::DontKnow];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Revoke => "revoke",
            Decision::DontKnow => "dont_know",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Keep => "Keep",
            Decision::Revoke => "Revoke",
            Decision::DontKnow => "Don't know",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// How often a campaign is launched again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Recurrence {
    Once,
    Monthly,
    Quarterly,
    HalfYearly,
    Yearly,
}

impl Recurrence {
    pub const ALL: [Recurrence; 5] = [
        Recurrence::Once,
        Recurrence::Monthly,
        Recurrence::Quarterly,
        Recurrence::HalfYearly,
        Recurrence::Yearly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Recurrence::Once => "once",
            Recurrence::Monthly => "monthly",
            Recurrence::Quarterly => "quarterly",
            Recurrence::HalfYearly => "half_yearly",
            Recurrence::Yearly => "yearly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Recurrence::Once => "One-off",
            Recurrence::Monthly => "Monthly",
            Recurrence::Quarterly => "Quarterly",
            Recurrence::HalfYearly => "Half-yearly",
            Recurrence::Yearly => "Yearly",
        }
    }

    pub fn parse(text: &str) -> Option<Recurrence> {
        Recurrence::ALL.into_iter().find(|r| r.as_str() == text)
    }

    fn months(self) -> Option<u32> {
        match self {
            Recurrence::Once => None,
            Recurrence::Monthly => Some(1),
            Recurrence::Quarterly => Some(3),
            Recurrence::HalfYearly => Some(6),
            Recurrence::Yearly => Some(12),
        }
    }

    /// The launch after the one planned for `planned`, or `None` for a one-off. Calendar
    /// months, so a campaign planned for the 31st runs on the last day of shorter months.
    pub fn next_after(self, planned: DateTime<Utc>) -> Option<DateTime<Utc>> {
        planned.checked_add_months(Months::new(self.months()?))
    }

    /// The next launch after `planned` that is later than `now`, skipping the ones missed
    /// (after downtime a campaign is launched once, not once per missed period).
    pub fn next_due_after(
        self,
        planned: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut next = self.next_after(planned)?;
        while next <= now {
            next = self.next_after(next)?;
        }
        Some(next)
    }
}

/// Who reviews an item in a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewerRule {
    /// The holder's manager, from the people import.
    Manager,
    /// The resource's owners (owners import, CODEOWNERS, team maintainers).
    ResourceOwner,
    /// The stage's named reviewers, the first one who is not the holder.
    Named,
    /// The holder attests their own need. Only for grants that are not privileged, unless the
    /// campaign allows it explicitly.
    Holder,
}

impl ReviewerRule {
    pub const ALL: [ReviewerRule; 4] = [
        ReviewerRule::Manager,
        ReviewerRule::ResourceOwner,
        ReviewerRule::Named,
        ReviewerRule::Holder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewerRule::Manager => "manager",
            ReviewerRule::ResourceOwner => "resource_owner",
            ReviewerRule::Named => "named",
            ReviewerRule::Holder => "holder",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewerRule::Manager => "The holder's manager",
            ReviewerRule::ResourceOwner => "The resource's owner",
            ReviewerRule::Named => "Named reviewers",
            ReviewerRule::Holder => "The holder (self-attestation)",
        }
    }

    pub fn parse(text: &str) -> Option<ReviewerRule> {
        ReviewerRule::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// Which holders a campaign reviews.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Holders {
    #[default]
    All,
    /// User accounts of humans.
    People,
    /// Service accounts, roles, keys, apps and bots.
    NonHuman,
}

impl Holders {
    pub const ALL: [Holders; 3] = [Holders::All, Holders::People, Holders::NonHuman];

    pub fn as_str(self) -> &'static str {
        match self {
            Holders::All => "all",
            Holders::People => "people",
            Holders::NonHuman => "non_human",
        }
    }

    pub fn parse(text: &str) -> Option<Holders> {
        Holders::ALL.into_iter().find(|h| h.as_str() == text)
    }
}

/// What happens to an item nobody decided when its stage closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnNoResponse {
    Keep,
    Revoke,
    /// Whatever the item's recommendation says.
    Recommendation,
}

impl OnNoResponse {
    pub const ALL: [OnNoResponse; 3] = [
        OnNoResponse::Keep,
        OnNoResponse::Revoke,
        OnNoResponse::Recommendation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OnNoResponse::Keep => "keep",
            OnNoResponse::Revoke => "revoke",
            OnNoResponse::Recommendation => "recommendation",
        }
    }

    pub fn parse(text: &str) -> Option<OnNoResponse> {
        OnNoResponse::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// The decision it makes for an item recommended `recommended`.
    pub fn decide(self, recommended: Decision) -> Decision {
        match self {
            OnNoResponse::Keep => Decision::Keep,
            OnNoResponse::Revoke => Decision::Revoke,
            OnNoResponse::Recommendation => recommended,
        }
    }
}

/// Which grants a campaign reviews. Every condition must hold; empty ones always do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct CampaignScope {
    /// Only grants from these sources (none: every source).
    #[serde(default)]
    pub sources: Vec<Source>,
    /// A pattern over resource names or ids (`acme/*`, `prod-*`), any case; empty: all.
    #[serde(default)]
    pub resources: String,
    /// Only privileged permissions (admin, owner, maintain, administrator policies, ...).
    #[serde(default)]
    pub privileged_only: bool,
    #[serde(default)]
    pub holders: Holders,
    /// Only grants with no recorded use in this many days.
    #[serde(default)]
    pub unused_days: Option<u32>,
    /// Only grants that began on or after this time.
    #[serde(default)]
    pub granted_since: Option<DateTime<Utc>>,
}

impl CampaignScope {
    /// Whether `grant`, held since `since`, is in scope, leaving aside `unused_days` (which
    /// needs the usage evidence: see [`CampaignScope::wants_unused`]).
    pub fn matches(&self, grant: &Grant, since: Option<DateTime<Utc>>) -> bool {
        let source_ok = self.sources.is_empty()
            || source_of(grant).is_some_and(|source| self.sources.contains(&source));
        let resource_ok = self.resources.trim().is_empty()
            || glob_matches(self.resources.trim(), &grant.resource.name)
            || glob_matches(self.resources.trim(), &grant.resource.id);
        let holders_ok = match self.holders {
            Holders::All => true,
            Holders::People => is_person(grant),
            Holders::NonHuman => is_non_human(grant),
        };
        let since_ok = self
            .granted_since
            .is_none_or(|wanted| since.is_some_and(|since| since >= wanted));
        source_ok
            && resource_ok
            && holders_ok
            && since_ok
            && (!self.privileged_only || is_privileged(grant))
    }

    /// Whether a grant last used at `last_used` (never: `None`) passes `unused_days` at `now`.
    pub fn wants_unused(&self, last_used: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        match (self.unused_days, last_used) {
            (None, _) | (Some(_), None) => true,
            (Some(days), Some(at)) => now - at >= chrono::Duration::days(i64::from(days)),
        }
    }
}

/// One stage: who reviews, and which outcomes go on to the next stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Stage {
    pub reviewer: ReviewerRule,
    /// For [`ReviewerRule::Named`]: e-mails, in order of preference.
    #[serde(default)]
    pub named: Vec<String>,
    /// Items decided so in this stage are reviewed again in the next one (for the last
    /// stage this is ignored).
    #[serde(default)]
    pub advance: Vec<Decision>,
}

/// Stages a campaign may have.
pub const MAX_STAGES: usize = 3;

/// Longest a stage may run.
pub const MAX_DURATION_DAYS: u32 = 120;

/// Everything that defines a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct CampaignDefinition {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub scope: CampaignScope,
    /// One to [`MAX_STAGES`].
    pub stages: Vec<Stage>,
    /// Reviews what no rule can route (no manager, no owner, or only the holder themself),
    /// and receives escalations: an e-mail.
    pub fallback_reviewer: String,
    /// Days from launch to each stage's due date.
    pub duration_days: u32,
    pub recurrence: Recurrence,
    /// When the first launch is planned (later ones follow the recurrence).
    pub first_launch: DateTime<Utc>,
    #[serde(default)]
    pub justify_keep: bool,
    #[serde(default = "yes")]
    pub justify_revoke: bool,
    pub on_no_response: OnNoResponse,
    /// Let holders attest their own *privileged* grants under [`ReviewerRule::Holder`] (off:
    /// such items go to the fallback reviewer).
    #[serde(default)]
    pub self_review_of_privileged: bool,
    /// Days before the due date to send the reminder.
    #[serde(default = "three")]
    pub remind_days_before: u32,
}

fn yes() -> bool {
    true
}

fn three() -> u32 {
    3
}

impl CampaignDefinition {
    /// A campaign over every grant, reviewed by each holder's manager in one stage of 14 days,
    /// launched quarterly from `first_launch`; revokes need a justification and items nobody
    /// decides take the recommendation. Adjust the fields for anything else.
    pub fn by_managers(
        name: &str,
        fallback_reviewer: &str,
        first_launch: DateTime<Utc>,
    ) -> CampaignDefinition {
        CampaignDefinition {
            name: name.to_owned(),
            description: String::new(),
            scope: CampaignScope::default(),
            stages: vec![Stage {
                reviewer: ReviewerRule::Manager,
                named: Vec::new(),
                advance: Vec::new(),
            }],
            fallback_reviewer: fallback_reviewer.to_owned(),
            duration_days: 14,
            recurrence: Recurrence::Quarterly,
            first_launch,
            justify_keep: false,
            justify_revoke: true,
            on_no_response: OnNoResponse::Recommendation,
            self_review_of_privileged: false,
            remind_days_before: 3,
        }
    }

    /// Every problem with the definition, in words a form can show; empty when it is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            problems.push("the campaign needs a name".to_owned());
        } else if name.chars().count() > 120 {
            problems.push("the name is longer than 120 characters".to_owned());
        }
        if self.stages.is_empty() || self.stages.len() > MAX_STAGES {
            problems.push(format!("a campaign has 1 to {MAX_STAGES} stages"));
        }
        for (i, stage) in self.stages.iter().enumerate() {
            if stage.reviewer == ReviewerRule::Named && stage.named.is_empty() {
                problems.push(format!("stage {} names no reviewers", i + 1));
            }
            for email in &stage.named {
                if !looks_like_email(email) {
                    problems.push(format!("stage {}: {email:?} is not an e-mail", i + 1));
                }
            }
        }
        if !looks_like_email(&self.fallback_reviewer) {
            problems.push(format!(
                "the fallback reviewer {:?} is not an e-mail",
                self.fallback_reviewer
            ));
        }
        if self.duration_days == 0 || self.duration_days > MAX_DURATION_DAYS {
            problems.push(format!(
                "a stage runs 1 to {MAX_DURATION_DAYS} days, not {}",
                self.duration_days
            ));
        }
        if self.remind_days_before >= self.duration_days.max(1) {
            problems.push("the reminder must come before the due date".to_owned());
        }
        if self.scope.unused_days == Some(0) {
            problems.push("\"not used in N days\" needs N of 1 or more".to_owned());
        }
        problems
    }
}

/// Whether `text` is shaped like an e-mail (something@domain.tld, no spaces).
pub fn looks_like_email(text: &str) -> bool {
    let text = text.trim();
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>')
        && !domain.contains('@')
}

#[cfg(test)]
mod tests;
