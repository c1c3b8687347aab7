//! Closing a stage (defaults and the lockout guard apply, decisions go on to the next stage or
//! become outcomes, revokes become remediation tasks) and verifying those tasks against later
//! grant data: gone (verified), still there after the grace (failed), back again (regressed,
//! with a new item to review).

use super::launch::{item_args, NewItem, INSERT_ITEM};
use super::{insert_log_in, LogFields};
use crate::people::Person;
use crate::review::{
    is_privileged_permission, Decision, Holder, LogKind, Recommendation, ReviewItem, RoundStatus,
    Usage,
};
use crate::store::ledger::{append_ledger_in, NewEntry};
use crate::store::sql::{bind_all, Sql};
use crate::store::{from_micros, on_engine, to_micros, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};

/// What closing a stage did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloseReport {
    /// Items that went on to the next stage.
    pub advanced: usize,
    pub kept: usize,
    pub revoked: usize,
    /// Items the campaign's default decided.
    pub defaulted: usize,
    /// Default revokes the lockout guard turned into keeps.
    pub guarded: usize,
    /// The round is closed (no item went on).
    pub round_closed: bool,
}

/// What verifying remediation tasks found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub verified: usize,
    pub failed: usize,
    pub regressed: usize,
}

/// One item's change at a stage's close.
struct Closing {
    item: i64,
    kind: LogKind,
    decision: Decision,
    comment: String,
}

impl Store {
    /// Closes the current stage of round `round_id` at `now`: items decided so that the stage
    /// sends them on are reviewed again in the next stage; every other item closes with its
    /// decision, or, undecided or "don't know", with the campaign's default. A default revoke
    /// of the last privileged holder of a resource is kept instead (the lockout guard). Each
    /// step is in the log and the ledger.
    pub async fn close_stage(
        &self,
        round_id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<CloseReport, StoreError> {
        let round = self
            .round(round_id, now)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no round {round_id}")))?;
        if round.status == RoundStatus::Closed {
            return Err(StoreError::Conflict(format!(
                "round {round_id} is already closed"
            )));
        }
        let definition = &round.definition;
        let stage_index = round.stage as usize;
        let next_stage = definition.stages.get(stage_index).cloned();
        let advance_on = definition
            .stages
            .get(stage_index.saturating_sub(1))
            .map(|s| s.advance.clone())
            .unwrap_or_default();
        let items: Vec<ReviewItem> = self
            .round_items(round_id)
            .await?
            .into_iter()
            .filter(|item| item.outcome.is_none())
            .collect();
        let mut report = CloseReport::default();
        let mut advancing: Vec<&ReviewItem> = Vec::new();
        let mut closing: Vec<Closing> = Vec::new();
        for item in &items {
            match item.decision {
                Some(decision) if next_stage.is_some() && advance_on.contains(&decision) => {
                    advancing.push(item);
                }
                Some(decision @ (Decision::Keep | Decision::Revoke)) => closing.push(Closing {
                    item: item.id,
                    kind: LogKind::Closed,
                    decision,
                    comment: String::new(),
                }),
                _ => {
                    let decision = definition
                        .on_no_response
                        .decide(item.recommendation.decision);
                    let why = match item.decision {
                        Some(_) => "the reviewer did not know",
                        None => "no answer by the end of the stage",
                    };
                    closing.push(Closing {
                        item: item.id,
                        kind: LogKind::Default,
                        decision: if decision == Decision::DontKnow {
                            Decision::Keep
                        } else {
                            decision
                        },
                        comment: format!(
                            "{why}: the campaign's default ({}) applies",
                            definition.on_no_response.as_str()
                        ),
                    });
                }
            }
        }
        self.guard_last_admins(&items, &mut closing).await?;
        // The next stage's reviewers, chosen before the transaction.
        let mut reassigned: Vec<(i64, Option<String>, &'static str)> = Vec::new();
        if let Some(stage) = &next_stage {
            let mut directory = self.directory().await?;
            for item in &advancing {
                let holder = item.holder.as_ref().map(person_of);
                let (reviewer, rule) = self
                    .choose_reviewer(
                        definition,
                        stage,
                        &item.grant,
                        holder.as_ref(),
                        &mut directory,
                    )
                    .await?;
                reassigned.push((item.id, reviewer, rule));
            }
        }
        report.advanced = advancing.len();
        report.round_closed = advancing.is_empty();
        for closed in &closing {
            match closed.kind {
                LogKind::Default => report.defaulted += 1,
                LogKind::Guard => report.guarded += 1,
                _ => {}
            }
            match closed.decision {
                Decision::Revoke => report.revoked += 1,
                _ => report.kept += 1,
            }
        }
        let stage_now = i64::from(round.stage);
        let due_us = to_micros(now + Duration::days(i64::from(definition.duration_days)));
        let at_us = to_micros(now);
        let dialect = self.dialect();
        on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let mut entries: Vec<NewEntry> = Vec::new();
            for closed in &closing {
                let revoke = closed.decision == Decision::Revoke;
                sqlx::query(
                    "update review_items set outcome = $1, remediation = $2, \
                     remediation_at_us = $3 where id = $4",
                )
                .bind(closed.decision.as_str())
                .bind(revoke.then_some("open"))
                .bind(revoke.then_some(at_us))
                .bind(closed.item)
                .execute(&mut *tx)
                .await?;
                entries.push(insert_log_in!(tx, &LogFields {
                    item_id: closed.item,
                    at_us,
                    actor,
                    kind: closed.kind.as_str(),
                    stage: stage_now,
                    decision: Some(closed.decision.as_str()),
                    comment: &closed.comment,
                }));
            }
            for (item, reviewer, rule) in &reassigned {
                sqlx::query(
                    "update review_items set stage = $1, reviewer = $2, reviewer_rule = $3, \
                     due_at_us = $4, decision = null, justification = '', decided_by = null, \
                     decided_at_us = null where id = $5",
                )
                .bind(stage_now + 1)
                .bind(reviewer.as_deref())
                .bind(*rule)
                .bind(due_us)
                .bind(*item)
                .execute(&mut *tx)
                .await?;
                let comment = match reviewer {
                    Some(reviewer) => format!("to stage {}, reviewer {reviewer}", stage_now + 1),
                    None => format!("to stage {}, no reviewer found", stage_now + 1),
                };
                entries.push(insert_log_in!(tx, &LogFields {
                    item_id: *item,
                    at_us,
                    actor,
                    kind: LogKind::Advance.as_str(),
                    stage: stage_now,
                    decision: None,
                    comment: &comment,
                }));
            }
            if report.round_closed {
                sqlx::query(
                    "update review_rounds set status = 'closed', closed_at_us = $1 where id = $2",
                )
                .bind(at_us)
                .bind(round_id)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "update review_rounds set stage = $1, stage_due_at_us = $2 where id = $3",
                )
                .bind(stage_now + 1)
                .bind(due_us)
                .bind(round_id)
                .execute(&mut *tx)
                .await?;
            }
            append_ledger_in!(tx, dialect, entries);
            tx.commit().await?;
        });
        Ok(report)
    }

    /// Closes the stage of every open round whose stage is due at `now`.
    pub async fn close_due_rounds(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let due: Vec<(i64,)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select id from review_rounds where status = 'open' and stage_due_at_us <= $1 \
                 order by id",
            )
            .bind(to_micros(now))
            .fetch_all(pool)
            .await?
        });
        let mut closed = 0;
        for (id,) in due {
            match self.close_stage(id, "scheduler", now).await {
                Ok(_) => closed += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(closed)
    }

    /// Turns default revokes that would leave a resource without any privileged holder into
    /// keeps (one per resource: the others can still go).
    async fn guard_last_admins(
        &self,
        items: &[ReviewItem],
        closing: &mut [Closing],
    ) -> Result<(), StoreError> {
        let by_id: HashMap<i64, &ReviewItem> = items.iter().map(|i| (i.id, i)).collect();
        let revoked: HashSet<(String, String, String, String)> = closing
            .iter()
            .filter(|c| c.decision == Decision::Revoke)
            .filter_map(|c| by_id.get(&c.item))
            .map(|i| key(i))
            .collect();
        let mut remaining: HashMap<String, HashSet<(String, String, String, String)>> =
            HashMap::new();
        for closed in closing.iter_mut() {
            let Some(item) = by_id.get(&closed.item) else {
                continue;
            };
            if closed.kind != LogKind::Default
                || closed.decision != Decision::Revoke
                || !item.privileged
            {
                continue;
            }
            let resource = item.grant.resource.id.clone();
            if !remaining.contains_key(&resource) {
                let holders = self.privileged_holders(&resource).await?;
                let left: HashSet<_> = holders
                    .into_iter()
                    .filter(|k| !revoked.contains(k))
                    .collect();
                remaining.insert(resource.clone(), left);
            }
            let left = remaining.entry(resource).or_default();
            if left.is_empty() {
                closed.kind = LogKind::Guard;
                closed.decision = Decision::Keep;
                closed.comment = format!(
                    "kept by the lockout guard: the last privileged holder of {}",
                    item.grant.resource.name
                );
                left.insert(key(item));
            }
        }
        Ok(())
    }

    /// Who holds a privileged permission on `resource` now, as grant identities.
    async fn privileged_holders(
        &self,
        resource: &str,
    ) -> Result<Vec<(String, String, String, String)>, StoreError> {
        let rows: Vec<(String, String, String, String)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select principal_id, resource_id, permission, via from grants \
                 where resource_id = $1 and valid_to_us is null",
            )
            .bind(resource)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter(|(_, _, permission, _)| is_privileged_permission(permission))
            .collect())
    }

    /// Checks every remediation task against the grants as imported since: a grant closed
    /// since is verified (with the fact that closed it); one still held `grace` after the
    /// decision has failed; a verified one held again has regressed, and its new grant is
    /// put to review in the same round.
    pub async fn verify_remediations(
        &self,
        grace: Duration,
        now: DateTime<Utc>,
    ) -> Result<VerifyReport, StoreError> {
        let tasks: Vec<(i64, i64, String, String, i64)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select id, frozen_at_us, grant_key, remediation, coalesce(remediation_at_us, 0) \
                 from review_items where remediation in ('open', 'failed', 'verified') \
                 order by id",
            )
            .fetch_all(pool)
            .await?
        });
        let mut report = VerifyReport::default();
        for (item_id, frozen_us, grant_key, status, since_us) in tasks {
            // The interval that was held when the item was frozen, as the facts now say.
            let closed: Option<HeldRow> = on_engine!(self, pool => {
                sqlx::query_as(
                    "select g.id, g.valid_to_us, c.evidence, c.delivery_id from grants g \
                     left join grant_changes c on c.id = g.closed_by where g.grant_key = $1 \
                     and (g.valid_from_us is null or g.valid_from_us <= $2) \
                     and (g.valid_to_us is null or g.valid_to_us > $2) \
                     order by g.valid_from_us desc limit 1",
                )
                .bind(&grant_key)
                .bind(frozen_us)
                .fetch_optional(pool)
                .await?
            });
            let (grant_id, valid_to, evidence, delivery) =
                closed.unwrap_or((item_id, None, None, None));
            match (status.as_str(), valid_to) {
                ("open" | "failed", Some(to_us)) => {
                    let at = from_micros("grants", grant_id, to_us)?;
                    let mut note = format!(
                        "removed {}: {}",
                        at.format("%Y-%m-%d %H:%M UTC"),
                        evidence.unwrap_or_else(|| "a later snapshot no longer lists it".into())
                    );
                    if let Some(delivery) = delivery {
                        note.push_str(&format!(" (delivery {delivery})"));
                    }
                    self.set_remediation(item_id, LogKind::Verified, &note, to_us, now)
                        .await?;
                    report.verified += 1;
                }
                ("open", None) if now - from_micros("review_items", item_id, since_us)? > grace => {
                    let note = format!(
                        "still held {} days after the decision",
                        (now - from_micros("review_items", item_id, since_us)?).num_days()
                    );
                    self.set_remediation(item_id, LogKind::Failed, &note, to_micros(now), now)
                        .await?;
                    report.failed += 1;
                }
                ("verified", Some(to_us))
                    if self.regress(item_id, &grant_key, to_us, now).await? =>
                {
                    report.regressed += 1;
                }
                _ => {}
            }
        }
        Ok(report)
    }

    /// Records a remediation's new status with its note, in the log and the ledger.
    async fn set_remediation(
        &self,
        item_id: i64,
        kind: LogKind,
        note: &str,
        at_us: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let dialect = self.dialect();
        let now_us = to_micros(now);
        on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let (stage,): (i64,) = sqlx::query_as(
                "update review_items set remediation = $1, remediation_note = $2, \
                 remediation_at_us = $3 where id = $4 returning stage",
            )
            .bind(kind.as_str())
            .bind(note)
            .bind(at_us)
            .bind(item_id)
            .fetch_one(&mut *tx)
            .await?;
            let entry = insert_log_in!(tx, &LogFields {
                item_id,
                at_us: now_us,
                actor: "verifier",
                kind: kind.as_str(),
                stage,
                decision: None,
                comment: note,
            });
            append_ledger_in!(tx, dialect, vec![entry]);
            tx.commit().await?;
        });
        Ok(())
    }

    /// When the grant `grant_key` removed at `removed_us` is held again, marks the item
    /// regressed and puts the new grant to review in the same round; gives whether it did.
    async fn regress(
        &self,
        item_id: i64,
        grant_key: &str,
        removed_us: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let back: Option<(i64, Option<i64>, Option<String>)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select g.id, g.valid_from_us, c.evidence from grants g \
                 left join grant_changes c on c.id = g.opened_by \
                 where g.grant_key = $1 and g.valid_to_us is null \
                 and g.valid_from_us >= $2 order by g.valid_from_us limit 1",
            )
            .bind(grant_key)
            .bind(removed_us)
            .fetch_optional(pool)
            .await?
        });
        let Some((new_grant, from_us, evidence)) = back else {
            return Ok(false);
        };
        let Some(item) = self.review_item(item_id).await? else {
            return Ok(false);
        };
        let round = self
            .round(item.round_id, now)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no round {}", item.round_id)))?;
        let how = evidence.unwrap_or_default();
        let note = format!(
            "held again since {}: {how}",
            from_us
                .map(|us| from_micros("grants", new_grant, us))
                .transpose()?
                .map_or_else(
                    || "an unknown time".to_owned(),
                    |at| at.format("%Y-%m-%d %H:%M UTC").to_string()
                )
        );
        let revisit = NewItem {
            grant_id: new_grant,
            grant_key: grant_key.to_owned(),
            grant: item.grant.clone(),
            granted_at_us: from_us,
            granted_how: how,
            privileged: item.privileged,
            holder: item.holder.as_ref().map(person_of),
            usage: Usage {
                logs_since: item.usage.logs_since,
                ..Usage::default()
            },
            recommendation: Recommendation {
                decision: Decision::Revoke,
                reason: format!("revoked in review item {item_id}, then granted again"),
            },
            reviewer: item.reviewer.clone(),
            reviewer_rule: "regression",
        };
        // An open round reviews it with the rest of the stage; a closed one opens again for
        // a stage of the campaign's duration, so the item is decided, closed and remediated
        // like any other (and its alarm goes out with the round's notices).
        let reopen = round.status == RoundStatus::Closed;
        let due_us = if reopen {
            to_micros(now + Duration::days(i64::from(round.definition.duration_days)))
        } else {
            to_micros(round.stage_due_at)
        };
        let dialect = self.dialect();
        let now_us = to_micros(now);
        on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            if reopen {
                sqlx::query(
                    "update review_rounds set status = 'open', closed_at_us = null, \
                     stage_due_at_us = $1 where id = $2",
                )
                .bind(due_us)
                .bind(item.round_id)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "update review_items set remediation = 'regressed', remediation_note = $1, \
                 remediation_at_us = $2 where id = $3",
            )
            .bind(&note)
            .bind(now_us)
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
            let mut entries = vec![insert_log_in!(tx, &LogFields {
                item_id,
                at_us: now_us,
                actor: "verifier",
                kind: LogKind::Regressed.as_str(),
                stage: i64::from(item.stage),
                decision: None,
                comment: &note,
            })];
            let mut sql = Sql::new(INSERT_ITEM);
            sql.row(true, item_args(item.round_id, "regression", &revisit, from_us.unwrap_or(now_us), i64::from(round.stage), due_us));
            sql.push(" returning id");
            let (new_item,): (i64,) = bind_all!(sqlx::query_as(&sql.text), &sql.args)
                .fetch_one(&mut *tx)
                .await?;
            let comment = if reopen {
                format!(
                    "came back after review item {item_id} revoked it; the round is open again \
                     until {}",
                    (now + Duration::days(i64::from(round.definition.duration_days)))
                        .format("%Y-%m-%d %H:%M UTC")
                )
            } else {
                format!("came back after review item {item_id} revoked it")
            };
            entries.push(insert_log_in!(tx, &LogFields {
                item_id: new_item,
                at_us: now_us,
                actor: "verifier",
                kind: LogKind::Regressed.as_str(),
                stage: i64::from(round.stage),
                decision: None,
                comment: &comment,
            }));
            append_ledger_in!(tx, dialect, entries);
            tx.commit().await?;
        });
        Ok(true)
    }
}

/// The interval held when an item was frozen: its id, end, and the fact and delivery that
/// ended it.
type HeldRow = (i64, Option<i64>, Option<String>, Option<i64>);

/// The person an item's holder is, as reviewer routing needs them (their accounts do not
/// matter there).
fn person_of(holder: &Holder) -> Person {
    Person {
        email: holder.email.clone(),
        name: holder.name.clone(),
        manager_email: holder.manager.clone(),
        department: holder.department.clone(),
        accounts: Vec::new(),
    }
}

fn key(item: &ReviewItem) -> (String, String, String, String) {
    let g = &item.grant;
    (
        g.principal.id.clone(),
        g.resource.id.clone(),
        g.permission.clone(),
        g.via.clone(),
    )
}
