//! Access reviews at rest (migration 0015): campaigns, rounds with their frozen items, and the
//! append-only review log, each log row and each round recorded in the ledger in the same
//! transaction. Launching is in [`launch`], closing stages and verifying revokes in [`close`].

mod close;
mod decide;
mod launch;
mod log;
mod notices;
mod owners;
mod remediation;

pub use close::{CloseReport, VerifyReport};
pub use decide::{Decider, MAX_BULK, MAX_COMMENT_CHARS};
pub use launch::MAX_POPULATION;
pub use owners::{codeowners_origin, OWNERS_FILE};
pub use remediation::REMEDIATION_WEBHOOK;

use super::grants::OpenRow;
use super::sql::{bind_all, Arg, Sql};
use super::{from_micros, on_engine, to_micros, Store, StoreError};
use crate::grant::Grant;
use crate::ledger::{self, Hash};
use crate::review::{
    Campaign, CampaignDefinition, Decision, Holder, Progress, Recommendation, RemediationStatus,
    ReviewItem, Round, RoundStatus, Usage,
};
use chrono::{DateTime, Utc};

pub(crate) const ROUNDS: &str = "review_rounds";
pub(crate) const LOG: &str = "review_log";
pub(crate) const ROUND_LAUNCHED: &str = "review.launched";

/// `review_rounds/<id>`.
pub(crate) fn round_subject(id: i64) -> String {
    format!("{ROUNDS}/{id}")
}

/// `review_log/<id>`.
pub(crate) fn log_subject(id: i64) -> String {
    format!("{LOG}/{id}")
}

/// A frozen grant as the population hash covers it.
pub(crate) struct FrozenGrant<'a> {
    pub grant_id: i64,
    pub grant_key: &'a str,
    pub grant: &'a Grant,
    pub granted_at_us: Option<i64>,
}

/// The SHA-256 of a frozen population: each grant's digest, in grant-key order, chained.
pub(crate) fn population_hash(grants: &mut [FrozenGrant<'_>]) -> Hash {
    grants.sort_by(|a, b| {
        a.grant_key
            .cmp(b.grant_key)
            .then(a.grant_id.cmp(&b.grant_id))
    });
    let digests: Vec<Hash> = grants
        .iter()
        .map(|g| {
            let granted = g
                .granted_at_us
                .map_or_else(|| "-".to_owned(), |us| us.to_string());
            let c = super::grants::OpenRow::from(g.grant);
            ledger::digest_of(&[
                &g.grant_id.to_be_bytes(),
                g.grant_key.as_bytes(),
                c.scope.as_bytes(),
                c.principal_kind.as_bytes(),
                c.principal_id.as_bytes(),
                c.principal_name.as_bytes(),
                c.resource_kind.as_bytes(),
                c.resource_id.as_bytes(),
                c.resource_name.as_bytes(),
                c.permission.as_bytes(),
                c.via.as_bytes(),
                granted.as_bytes(),
            ])
        })
        .collect();
    let parts: Vec<&[u8]> = digests.iter().map(|d| d.as_slice()).collect();
    ledger::digest_of(&parts)
}

/// A round as its launch entry records it.
pub(crate) struct RoundFields<'a> {
    pub campaign_id: i64,
    pub name: &'a str,
    pub definition: &'a str,
    pub planned_for_us: i64,
    pub launched_at_us: i64,
    pub launched_by: &'a str,
    pub population: i64,
    pub population_hash: &'a str,
}

pub(crate) fn round_digest(row: &RoundFields<'_>) -> Hash {
    ledger::digest_of(&[
        &row.campaign_id.to_be_bytes(),
        row.name.as_bytes(),
        row.definition.as_bytes(),
        &row.planned_for_us.to_be_bytes(),
        &row.launched_at_us.to_be_bytes(),
        row.launched_by.as_bytes(),
        &row.population.to_be_bytes(),
        row.population_hash.as_bytes(),
    ])
}

/// A row of `review_log` as its entry records it.
pub(crate) struct LogFields<'a> {
    pub item_id: i64,
    pub at_us: i64,
    pub actor: &'a str,
    pub kind: &'a str,
    pub stage: i64,
    pub decision: Option<&'a str>,
    pub comment: &'a str,
}

pub(crate) fn log_digest(row: &LogFields<'_>) -> Hash {
    let decision = row
        .decision
        .map_or_else(|| "-".to_owned(), |d| format!("+{d}"));
    ledger::digest_of(&[
        &row.item_id.to_be_bytes(),
        &row.at_us.to_be_bytes(),
        row.actor.as_bytes(),
        row.kind.as_bytes(),
        &row.stage.to_be_bytes(),
        decision.as_bytes(),
        row.comment.as_bytes(),
    ])
}

/// Inserts a `review_log` row inside `$tx` and gives the ledger entry that records it.
macro_rules! insert_log_in {
    ($tx:expr, $fields:expr) => {{
        let fields: &$crate::store::reviews::LogFields<'_> = $fields;
        let (id,): (i64,) = sqlx::query_as(
            "insert into review_log (item_id, at_us, actor, kind, stage, decision, comment) \
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
        )
        .bind(fields.item_id)
        .bind(fields.at_us)
        .bind(fields.actor)
        .bind(fields.kind)
        .bind(fields.stage)
        .bind(fields.decision)
        .bind(fields.comment)
        .fetch_one(&mut *$tx)
        .await?;
        $crate::store::ledger::NewEntry {
            kind: $crate::review::LogKind::parse(fields.kind)
                .map_or("review.unknown", |k| k.ledger_kind()),
            subject: $crate::store::reviews::log_subject(id),
            digest: $crate::store::reviews::log_digest(fields),
        }
    }};
}
pub(crate) use insert_log_in;

pub(crate) const ITEM_COLUMNS: &str = "id, round_id, origin, grant_id, scope, principal_kind, \
    principal_id, principal_name, resource_kind, resource_id, resource_name, permission, via, \
    granted_at_us, granted_how, privileged, holder_email, holder_name, holder_department, \
    holder_manager, last_used_at_us, last_used_event_id, usage_what, usage_on_resource, \
    logs_since_us, recommendation, recommendation_reason, stage, reviewer, reviewer_rule, \
    due_at_us, decision, justification, decided_by, decided_at_us, outcome, remediation, \
    remediation_note, remediation_at_us";

#[derive(sqlx::FromRow)]
struct FrozenRow {
    grant_id: i64,
    grant_key: String,
    #[sqlx(flatten)]
    grant: OpenRow,
    granted_at_us: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ItemRow {
    id: i64,
    round_id: i64,
    origin: String,
    grant_id: i64,
    #[sqlx(flatten)]
    grant: OpenRow,
    granted_at_us: Option<i64>,
    granted_how: String,
    privileged: i64,
    holder_email: Option<String>,
    holder_name: Option<String>,
    holder_department: Option<String>,
    holder_manager: Option<String>,
    last_used_at_us: Option<i64>,
    last_used_event_id: Option<i64>,
    usage_what: String,
    usage_on_resource: i64,
    logs_since_us: Option<i64>,
    recommendation: String,
    recommendation_reason: String,
    stage: i64,
    reviewer: Option<String>,
    reviewer_rule: String,
    due_at_us: i64,
    decision: Option<String>,
    justification: String,
    decided_by: Option<String>,
    decided_at_us: Option<i64>,
    outcome: Option<String>,
    remediation: Option<String>,
    remediation_note: String,
    remediation_at_us: Option<i64>,
}

fn parse_decision(id: i64, text: &str) -> Result<Decision, StoreError> {
    Decision::parse(text).ok_or_else(|| StoreError::Corrupt {
        table: "review_items",
        id,
        reason: format!("{text:?} is not a decision"),
    })
}

impl ItemRow {
    pub(crate) fn into_item(self) -> Result<ReviewItem, StoreError> {
        let id = self.id;
        let at = |us: i64| from_micros("review_items", id, us);
        let opt_at = |us: Option<i64>| us.map(at).transpose();
        let decision = |text: Option<String>| text.map(|t| parse_decision(id, &t)).transpose();
        Ok(ReviewItem {
            id,
            round_id: self.round_id,
            grant_id: self.grant_id,
            grant: self.grant.into(),
            granted_at: opt_at(self.granted_at_us)?,
            granted_how: self.granted_how,
            privileged: self.privileged != 0,
            holder: self.holder_email.map(|email| Holder {
                name: self.holder_name.unwrap_or_else(|| email.clone()),
                email,
                department: self.holder_department,
                manager: self.holder_manager,
            }),
            usage: Usage {
                last_used_at: opt_at(self.last_used_at_us)?,
                event_id: self.last_used_event_id,
                what: self.usage_what,
                on_resource: self.usage_on_resource != 0,
                logs_since: opt_at(self.logs_since_us)?,
            },
            recommendation: Recommendation {
                decision: parse_decision(id, &self.recommendation)?,
                reason: self.recommendation_reason,
            },
            regression: self.origin == "regression",
            stage: u32::try_from(self.stage).unwrap_or(1),
            reviewer: self.reviewer,
            reviewer_rule: self.reviewer_rule,
            due_at: at(self.due_at_us)?,
            decision: decision(self.decision)?,
            justification: self.justification,
            decided_by: self.decided_by,
            decided_at: opt_at(self.decided_at_us)?,
            outcome: decision(self.outcome)?,
            remediation: self
                .remediation
                .map(|text| {
                    RemediationStatus::parse(&text).ok_or_else(|| StoreError::Corrupt {
                        table: "review_items",
                        id,
                        reason: format!("{text:?} is not a remediation status"),
                    })
                })
                .transpose()?,
            remediation_note: self.remediation_note,
            remediation_at: opt_at(self.remediation_at_us)?,
        })
    }
}

type CampaignRow = (i64, String, String, i64, Option<i64>);

fn into_campaign(
    (id, definition, created_by, created, next): CampaignRow,
) -> Result<Campaign, StoreError> {
    let at = |us: i64| from_micros("campaigns", id, us);
    Ok(Campaign {
        id,
        definition: parse_definition("campaigns", id, &definition)?,
        created_by,
        created_at: at(created)?,
        next_launch_at: next.map(at).transpose()?,
    })
}

pub(crate) fn parse_definition(
    table: &'static str,
    id: i64,
    text: &str,
) -> Result<CampaignDefinition, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::Corrupt {
        table,
        id,
        reason: format!("definition: {err}"),
    })
}

#[derive(sqlx::FromRow)]
pub(crate) struct RoundRow {
    id: i64,
    campaign_id: i64,
    name: String,
    definition: String,
    planned_for_us: i64,
    launched_at_us: i64,
    launched_by: String,
    stage: i64,
    stage_due_at_us: i64,
    status: String,
    closed_at_us: Option<i64>,
    population: i64,
    population_hash: String,
}

pub(crate) const ROUND_COLUMNS: &str = "id, campaign_id, name, definition, planned_for_us, \
    launched_at_us, launched_by, stage, stage_due_at_us, status, closed_at_us, population, \
    population_hash";

impl RoundRow {
    fn into_round(self, progress: Progress) -> Result<Round, StoreError> {
        let id = self.id;
        let at = |us: i64| from_micros(ROUNDS, id, us);
        Ok(Round {
            id,
            campaign_id: self.campaign_id,
            name: self.name,
            definition: parse_definition(ROUNDS, id, &self.definition)?,
            planned_for: at(self.planned_for_us)?,
            launched_at: at(self.launched_at_us)?,
            launched_by: self.launched_by,
            stage: u32::try_from(self.stage).unwrap_or(1),
            stage_due_at: at(self.stage_due_at_us)?,
            status: RoundStatus::parse(&self.status).ok_or_else(|| StoreError::Corrupt {
                table: ROUNDS,
                id,
                reason: format!("{:?} is not a round status", self.status),
            })?,
            closed_at: self.closed_at_us.map(at).transpose()?,
            population: self.population,
            population_hash: self.population_hash,
            progress,
        })
    }
}

/// Items grouped by decision, outcome and remediation: how many are overdue, and in all.
type ProgressRow = (Option<String>, Option<String>, Option<String>, i64, i64);

impl Store {
    /// The population hash of round `round` as its launch items stand now.
    pub(crate) async fn round_population_hash(&self, round: i64) -> Result<Hash, StoreError> {
        let rows: Vec<FrozenRow> = on_engine!(self, pool => {
            sqlx::query_as(
                "select grant_id, grant_key, scope, principal_kind, principal_id, \
                 principal_name, resource_kind, resource_id, resource_name, permission, via, \
                 granted_at_us from review_items where round_id = $1 and origin = 'launch'",
            )
            .bind(round)
            .fetch_all(pool)
            .await?
        });
        let grants: Vec<(FrozenRow, Grant)> = rows
            .into_iter()
            .map(|row| {
                let grant = Grant::from(row.grant.clone());
                (row, grant)
            })
            .collect();
        let mut frozen: Vec<FrozenGrant<'_>> = grants
            .iter()
            .map(|(row, grant)| FrozenGrant {
                grant_id: row.grant_id,
                grant_key: &row.grant_key,
                grant,
                granted_at_us: row.granted_at_us,
            })
            .collect();
        Ok(population_hash(&mut frozen))
    }

    /// Stores a campaign definition (refused with its problems when it is not sound); its
    /// first launch is planned for `definition.first_launch`.
    pub async fn create_campaign(
        &self,
        definition: &CampaignDefinition,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let problems = definition.problems();
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems.join("; ")));
        }
        let json = serde_json::to_string(definition)
            .map_err(|err| StoreError::Invalid(format!("definition: {err}")))?;
        let (id,): (i64,) = on_engine!(self, pool => {
            sqlx::query_as(
                "insert into campaigns (name, definition, created_by, created_at_us, \
                 next_launch_at_us) values ($1, $2, $3, $4, $5) returning id",
            )
            .bind(definition.name.trim())
            .bind(&json)
            .bind(created_by)
            .bind(to_micros(now))
            .bind(to_micros(definition.first_launch))
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// Every campaign, by name.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows: Vec<CampaignRow> = on_engine!(self, pool => {
            sqlx::query_as(
                "select id, definition, created_by, created_at_us, next_launch_at_us \
                 from campaigns order by name, id",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(into_campaign).collect()
    }

    pub async fn campaign(&self, id: i64) -> Result<Option<Campaign>, StoreError> {
        let row: Option<CampaignRow> = on_engine!(self, pool => {
            sqlx::query_as(
                "select id, definition, created_by, created_at_us, next_launch_at_us \
                 from campaigns where id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.map(into_campaign).transpose()
    }

    /// Rounds, newest first, with their progress at `now`; of one campaign when given.
    pub async fn rounds(
        &self,
        campaign: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Round>, StoreError> {
        let mut sql = Sql::new(&format!("select {ROUND_COLUMNS} from review_rounds"));
        if let Some(id) = campaign {
            sql.push(" where campaign_id = ");
            sql.push_arg(Arg::I64(id));
        }
        sql.push(" order by launched_at_us desc, id desc");
        let rows: Vec<RoundRow> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        let mut rounds = Vec::with_capacity(rows.len());
        for row in rows {
            let progress = self.progress(row.id, now).await?;
            rounds.push(row.into_round(progress)?);
        }
        Ok(rounds)
    }

    pub async fn round(&self, id: i64, now: DateTime<Utc>) -> Result<Option<Round>, StoreError> {
        let row: Option<RoundRow> = on_engine!(self, pool => {
            sqlx::query_as(&format!("select {ROUND_COLUMNS} from review_rounds where id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        match row {
            Some(row) => {
                let progress = self.progress(id, now).await?;
                Ok(Some(row.into_round(progress)?))
            }
            None => Ok(None),
        }
    }

    /// Counts over a round's items.
    async fn progress(&self, round: i64, now: DateTime<Utc>) -> Result<Progress, StoreError> {
        let rows: Vec<ProgressRow> = on_engine!(self, pool => {
            sqlx::query_as(
                "select decision, outcome, remediation, \
                 sum(case when decision is null and outcome is null and due_at_us < $2 \
                 then 1 else 0 end), count(*) from review_items where round_id = $1 \
                 group by decision, outcome, remediation",
            )
            .bind(round)
            .bind(to_micros(now))
            .fetch_all(pool)
            .await?
        });
        let mut progress = Progress::default();
        for (decision, outcome, remediation, overdue, count) in rows {
            progress.items += count;
            if decision.is_some() || outcome.is_some() {
                progress.decided += count;
            }
            progress.overdue += overdue;
            match outcome.as_deref().or(decision.as_deref()) {
                Some("keep") => progress.keep += count,
                Some("revoke") => progress.revoke += count,
                Some("dont_know") => progress.dont_know += count,
                _ => {}
            }
            match remediation.as_deref() {
                Some("verified") => progress.verified += count,
                Some("failed") => progress.failed += count,
                Some("regressed") => progress.regressed += count,
                _ => {}
            }
        }
        Ok(progress)
    }

    /// A round's items, by resource, holder and id.
    pub async fn round_items(&self, round: i64) -> Result<Vec<ReviewItem>, StoreError> {
        let rows: Vec<ItemRow> = on_engine!(self, pool => {
            sqlx::query_as(&format!(
                "select {ITEM_COLUMNS} from review_items where round_id = $1 \
                 order by resource_name, principal_name, id"
            ))
            .bind(round)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ItemRow::into_item).collect()
    }

    pub async fn review_item(&self, id: i64) -> Result<Option<ReviewItem>, StoreError> {
        let row: Option<ItemRow> = on_engine!(self, pool => {
            sqlx::query_as(&format!("select {ITEM_COLUMNS} from review_items where id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(ItemRow::into_item).transpose()
    }

    /// Everything assigned to `reviewer` that is still open (across rounds), overdue and
    /// soonest due first, undecided before decided.
    pub async fn reviews_for(&self, reviewer: &str) -> Result<Vec<ReviewItem>, StoreError> {
        let rows: Vec<ItemRow> = on_engine!(self, pool => {
            sqlx::query_as(&format!(
                "select {ITEM_COLUMNS} from review_items where reviewer = $1 \
                 and outcome is null \
                 order by case when decision is null then 0 else 1 end, due_at_us, \
                 resource_name, principal_name, id"
            ))
            .bind(reviewer.trim().to_lowercase())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ItemRow::into_item).collect()
    }
}
