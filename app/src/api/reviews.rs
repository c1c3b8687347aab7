//! Access reviews' server functions: a reviewer's inbox and decisions, the campaigns and their
//! rounds for auditors, and defining, launching and closing them for admins.

use crate::error::AppError;
use domain::review::remediation::Instructions;
use domain::review::{Campaign, Decision, LogEntry, ReviewItem, Round};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One item as a page shows it: the item, its round's name and what the campaign asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    pub item: ReviewItem,
    pub round_name: String,
    pub justify_keep: bool,
    pub justify_revoke: bool,
    /// How to carry out a revoke, once it is one.
    pub instructions: Option<Instructions>,
}

/// The signed-in reviewer's open items, overdue and soonest due first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyReviews {
    pub reviewer: String,
    pub items: Vec<ItemView>,
    pub now: chrono::DateTime<chrono::Utc>,
}

#[server(prefix = "/_fn", endpoint = "list_my_reviews", input = leptos::server_fn::codec::Json)]
pub async fn list_my_reviews() -> Result<MyReviews, AppError> {
    crate::error::ssr::answer(imp::list_my_reviews().await)
}

/// What a decision did, for the page to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    pub count: usize,
    pub decision: Decision,
}

/// Records one decision on every item of `ids` (checkboxes named `ids[N]`, or one).
#[server(prefix = "/_fn", endpoint = "decide_review_items")]
pub async fn decide_review_items(
    #[server(default)] ids: Vec<i64>,
    decision: String,
    #[server(default)] justification: String,
) -> Result<Decided, AppError> {
    crate::error::ssr::answer(imp::decide(ids, decision, justification).await)
}

/// Hands an item to someone else, with the reason.
#[server(prefix = "/_fn", endpoint = "delegate_review_item")]
pub async fn delegate_review_item(id: i64, to: String, reason: String) -> Result<String, AppError> {
    crate::error::ssr::answer(imp::delegate(id, to, reason).await)
}

/// Campaigns with their rounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignsPage {
    pub campaigns: Vec<Campaign>,
    pub rounds: Vec<Round>,
    pub can_manage: bool,
}

#[server(prefix = "/_fn", endpoint = "list_campaigns", input = leptos::server_fn::codec::Json)]
pub async fn list_campaigns() -> Result<CampaignsPage, AppError> {
    crate::error::ssr::answer(imp::list_campaigns().await)
}

/// One round: its progress, items (with their log) and where each reviewer stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundPage {
    pub round: Round,
    pub items: Vec<ItemView>,
    pub logs: Vec<(i64, Vec<LogEntry>)>,
    /// Its charts with their captions (plotters SVG, drawn on the server): progress per
    /// reviewer, per stage, remediation per source.
    pub charts: Vec<(String, String)>,
    pub can_manage: bool,
    pub now: chrono::DateTime<chrono::Utc>,
}

#[server(prefix = "/_fn", endpoint = "get_round", input = leptos::server_fn::codec::Json)]
pub async fn get_round(id: i64) -> Result<Option<RoundPage>, AppError> {
    crate::error::ssr::answer(imp::get_round(id).await)
}

/// A campaign defined on the campaigns page (one or two stages).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignForm {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A source (`github`, `aws`, …) or empty for all.
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub resources: String,
    #[serde(default)]
    pub privileged_only: Option<String>,
    #[serde(default)]
    pub holders: String,
    #[serde(default)]
    pub unused_days: String,
    #[serde(default)]
    pub granted_since: String,
    pub reviewer: String,
    #[serde(default)]
    pub named: String,
    #[serde(default)]
    pub second_reviewer: String,
    #[serde(default)]
    pub second_named: String,
    /// Which outcomes of stage one go on to stage two: `revoke`, `dont_know` or `both`.
    #[serde(default)]
    pub advance: String,
    pub fallback: String,
    pub duration_days: String,
    /// Days before the due date a reminder goes out (empty: 3, or less for a short stage).
    #[serde(default)]
    pub remind_days_before: String,
    pub recurrence: String,
    /// The first launch, a UTC day (empty: today).
    #[serde(default)]
    pub first_launch: String,
    #[serde(default)]
    pub justify_keep: Option<String>,
    #[serde(default)]
    pub justify_revoke: Option<String>,
    pub on_no_response: String,
    #[serde(default)]
    pub self_review_of_privileged: Option<String>,
}

#[server(prefix = "/_fn", endpoint = "create_campaign")]
pub async fn create_campaign(form: CampaignForm) -> Result<i64, AppError> {
    crate::error::ssr::answer(imp::create_campaign(form).await)
}

#[server(prefix = "/_fn", endpoint = "launch_campaign")]
pub async fn launch_campaign(id: i64) -> Result<i64, AppError> {
    crate::error::ssr::answer(imp::launch_campaign(id).await)
}

#[server(prefix = "/_fn", endpoint = "close_review_stage")]
pub async fn close_review_stage(round: i64) -> Result<String, AppError> {
    crate::error::ssr::answer(imp::close_stage(round).await)
}

/// Reads a campaign form into a definition, or says what is wrong with it.
pub fn definition_of(
    form: &CampaignForm,
    today: chrono::DateTime<chrono::Utc>,
) -> Result<domain::review::CampaignDefinition, Vec<String>> {
    use domain::review::{
        CampaignDefinition, CampaignScope, Holders, OnNoResponse, Recurrence, ReviewerRule, Stage,
    };
    let mut problems = Vec::new();
    let emails = |text: &str| -> Vec<String> {
        text.split([',', ' ', ';', '\n'])
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect()
    };
    let number = |text: &str, what: &str, problems: &mut Vec<String>| -> Option<u32> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match text.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(format!("{what}: {text:?} is not a whole number of days"));
                None
            }
        }
    };
    let day = |text: &str, what: &str, problems: &mut Vec<String>| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => date.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
            Err(_) => {
                problems.push(format!("{what}: {text:?} is not a date like 2026-12-31"));
                None
            }
        }
    };
    let sources = match form.source.trim() {
        "" => Vec::new(),
        text => match text.parse::<domain::model::Source>() {
            Ok(source) => vec![source],
            Err(err) => {
                problems.push(format!("source: {err}"));
                Vec::new()
            }
        },
    };
    let rule = |text: &str, what: &str, problems: &mut Vec<String>| {
        ReviewerRule::parse(text.trim()).or_else(|| {
            problems.push(format!("{what}: {text:?} is not a reviewer rule"));
            None
        })
    };
    let advance = match form.advance.trim() {
        "" | "revoke" => vec![Decision::Revoke],
        "dont_know" => vec![Decision::DontKnow],
        "both" => vec![Decision::Revoke, Decision::DontKnow],
        other => {
            problems.push(format!(
                "what goes on to stage two: {other:?} is not a choice"
            ));
            Vec::new()
        }
    };
    let mut stages = Vec::new();
    if let Some(reviewer) = rule(&form.reviewer, "reviewer", &mut problems) {
        stages.push(Stage {
            reviewer,
            named: emails(&form.named),
            advance,
        });
    }
    if !form.second_reviewer.trim().is_empty() {
        if let Some(reviewer) = rule(&form.second_reviewer, "stage two", &mut problems) {
            stages.push(Stage {
                reviewer,
                named: emails(&form.second_named),
                advance: Vec::new(),
            });
        }
    }
    let holders = match form.holders.trim() {
        "" => Holders::All,
        text => Holders::parse(text).unwrap_or_else(|| {
            problems.push(format!("holders: {text:?} is not a choice"));
            Holders::All
        }),
    };
    let recurrence = Recurrence::parse(form.recurrence.trim()).unwrap_or_else(|| {
        problems.push(format!("{:?} is not a recurrence", form.recurrence));
        Recurrence::Once
    });
    let on_no_response = OnNoResponse::parse(form.on_no_response.trim()).unwrap_or_else(|| {
        problems.push(format!("{:?} is not a default", form.on_no_response));
        OnNoResponse::Keep
    });
    let duration_days = number(&form.duration_days, "duration", &mut problems).unwrap_or(0);
    let definition = CampaignDefinition {
        name: form.name.trim().to_owned(),
        description: form.description.trim().to_owned(),
        scope: CampaignScope {
            sources,
            resources: form.resources.trim().to_owned(),
            privileged_only: form.privileged_only.is_some(),
            holders,
            unused_days: number(&form.unused_days, "not used in", &mut problems),
            granted_since: day(&form.granted_since, "granted since", &mut problems),
        },
        stages,
        fallback_reviewer: form.fallback.trim().to_lowercase(),
        duration_days,
        recurrence,
        first_launch: day(&form.first_launch, "first launch", &mut problems).unwrap_or(today),
        justify_keep: form.justify_keep.is_some(),
        justify_revoke: form.justify_revoke.is_some(),
        on_no_response,
        self_review_of_privileged: form.self_review_of_privileged.is_some(),
        remind_days_before: number(&form.remind_days_before, "remind", &mut problems)
            .unwrap_or_else(|| 3.min(duration_days.saturating_sub(1))),
    };
    problems.extend(definition.problems());
    if problems.is_empty() {
        Ok(definition)
    } else {
        Err(problems)
    }
}

#[cfg(feature = "ssr")]
mod imp {
    use super::{CampaignForm, CampaignsPage, Decided, ItemView, MyReviews, RoundPage};
    use crate::auth::{require, SignedIn};
    use crate::error::ssr::store;
    use crate::error::AppError;
    use chrono::Utc;
    use domain::model::Role;
    use domain::review::remediation::terraform;
    use domain::review::{Decision, ReviewItem, Round};
    use domain::store::reviews::Decider;
    use std::collections::HashMap;

    fn decider(who: &SignedIn) -> Decider {
        Decider {
            actor: who.actor(),
            email: Some(who.email.to_lowercase()).filter(|e| !e.is_empty()),
            // Admins may decide on others' behalf; nobody on their own access.
            may_act_for_others: who.role >= Role::Admin,
        }
    }

    async fn views(items: Vec<ReviewItem>) -> Result<Vec<ItemView>, AppError> {
        let now = Utc::now();
        let mut rounds: HashMap<i64, Option<Round>> = HashMap::new();
        let mut out = Vec::with_capacity(items.len());
        // Terraform's resources are read only when some item is a revoke to remediate.
        let managed = if items.iter().any(|i| i.outcome == Some(Decision::Revoke)) {
            store()?.terraform_managed().await?
        } else {
            Vec::new()
        };
        for item in items {
            if let std::collections::hash_map::Entry::Vacant(slot) = rounds.entry(item.round_id) {
                slot.insert(store()?.round(item.round_id, now).await?);
            }
            let round = rounds.get(&item.round_id).and_then(|r| r.as_ref());
            let instructions = (item.outcome == Some(Decision::Revoke)).then(|| {
                let address = terraform::address_for(&item.grant, &managed);
                domain::review::remediation::instructions(&item.grant, address)
            });
            out.push(ItemView {
                round_name: round.map(|r| r.name.clone()).unwrap_or_default(),
                justify_keep: round.is_some_and(|r| r.definition.justify_keep),
                justify_revoke: round.is_none_or(|r| r.definition.justify_revoke),
                instructions,
                item,
            });
        }
        Ok(out)
    }

    pub async fn list_my_reviews() -> Result<MyReviews, AppError> {
        let who = require(Role::Reviewer)?;
        let reviewer = who.email.to_lowercase();
        let items = store()?.reviews_for(&reviewer).await?;
        Ok(MyReviews {
            reviewer,
            items: views(items).await?,
            now: Utc::now(),
        })
    }

    pub async fn decide(
        ids: Vec<i64>,
        decision: String,
        justification: String,
    ) -> Result<Decided, AppError> {
        let who = require(Role::Reviewer)?;
        let decision = Decision::parse(decision.trim()).ok_or_else(|| {
            AppError::BadRequest(format!(
                "decision: {decision:?} is not keep, revoke or dont_know"
            ))
        })?;
        let mut ids = ids;
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Err(AppError::BadRequest(
                "choose at least one item to decide".into(),
            ));
        }
        let count = store()?
            .decide_items(&ids, decision, &justification, &decider(&who), Utc::now())
            .await?;
        tracing::info!(count, decision = decision.as_str(), by = %who.email, "review decided");
        Ok(Decided { count, decision })
    }

    pub async fn delegate(id: i64, to: String, reason: String) -> Result<String, AppError> {
        let who = require(Role::Reviewer)?;
        store()?
            .delegate_item(id, &to, &reason, &decider(&who), Utc::now())
            .await?;
        Ok(to.trim().to_lowercase())
    }

    pub async fn list_campaigns() -> Result<CampaignsPage, AppError> {
        let who = require(Role::Auditor)?;
        let store = store()?;
        Ok(CampaignsPage {
            campaigns: store.campaigns().await?,
            rounds: store.rounds(None, Utc::now()).await?,
            can_manage: who.role >= Role::Admin,
        })
    }

    pub async fn get_round(id: i64) -> Result<Option<RoundPage>, AppError> {
        let who = require(Role::Auditor)?;
        let store = store()?;
        let now = Utc::now();
        let Some(round) = store.round(id, now).await? else {
            return Ok(None);
        };
        let items = store.round_items(id).await?;
        let logs = store.round_log(id).await?.into_iter().collect();
        let charts = domain::chart::round_charts(&round, &items, now)
            .map_err(|err| crate::error::ssr::internal(&err))?
            .into_iter()
            .map(|(caption, svg)| (caption.to_owned(), svg))
            .collect();
        Ok(Some(RoundPage {
            items: views(items).await?,
            round,
            logs,
            charts,
            can_manage: who.role >= Role::Admin,
            now,
        }))
    }

    pub async fn create_campaign(form: CampaignForm) -> Result<i64, AppError> {
        let who = require(Role::Admin)?;
        let definition = super::definition_of(&form, Utc::now())
            .map_err(|problems| AppError::BadRequest(problems.join("; ")))?;
        let id = store()?
            .create_campaign(&definition, &who.actor(), Utc::now())
            .await?;
        tracing::info!(id, name = %definition.name, by = %who.email, "campaign defined");
        Ok(id)
    }

    pub async fn launch_campaign(id: i64) -> Result<i64, AppError> {
        let who = require(Role::Admin)?;
        let round = store()?
            .launch_campaign(id, None, &who.actor(), Utc::now())
            .await?;
        tracing::info!(campaign = id, round, by = %who.email, "campaign launched");
        Ok(round)
    }

    pub async fn close_stage(round: i64) -> Result<String, AppError> {
        let who = require(Role::Admin)?;
        let report = store()?
            .close_stage(round, &who.actor(), Utc::now())
            .await?;
        Ok(format!(
            "{} kept, {} revoked ({} by the default, {} kept by the lockout guard), {} on to the next stage{}",
            report.kept,
            report.revoked,
            report.defaulted,
            report.guarded,
            report.advanced,
            if report.round_closed { "; the round is closed" } else { "" }
        ))
    }
}
