//! Deciding review items: a reviewer's keep, revoke or "don't know" (one item or many at
//! once), and handing an item to someone else; each in the log and the ledger, and never on
//! one's own access.

use super::{insert_log_in, LogFields};
use crate::review::{Decision, LogKind, ReviewItem};
use crate::store::ledger::{append_ledger_in, NewEntry};
use crate::store::{on_engine, to_micros, Store, StoreError};
use chrono::{DateTime, Utc};

/// Who acts on review items: the signed-in person (their e-mail) or a token, and whether they
/// may act on items assigned to someone else (admins, automation with the admin role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decider {
    /// As the log records it: an e-mail, `token:<name>`, `cli:<user>`.
    pub actor: String,
    /// The person deciding, when it is one.
    pub email: Option<String>,
    pub may_act_for_others: bool,
}

/// Longest justification or comment kept.
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// Items one bulk decision may cover.
pub const MAX_BULK: usize = 1_000;

/// Trims a justification or comment and refuses one that is too long.
fn clean_comment(text: &str) -> Result<String, StoreError> {
    let text = text.trim();
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(StoreError::Invalid(format!(
            "a comment has at most {MAX_COMMENT_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}

impl Store {
    /// Records `decision` on each of `ids` (a bulk decision when several), with its
    /// justification, each in the log and the ledger; all or nothing. Refused for an item
    /// that is closed, assigned to someone else (unless the decider may act for others), or
    /// held by the decider themself, and when the campaign wants a justification that is
    /// missing. Changing a decision within the stage is allowed: the log keeps both.
    pub async fn decide_items(
        &self,
        ids: &[i64],
        decision: Decision,
        justification: &str,
        decider: &Decider,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        if ids.is_empty() {
            return Err(StoreError::Invalid("no items chosen".into()));
        }
        if ids.len() > MAX_BULK {
            return Err(StoreError::Invalid(format!(
                "at most {MAX_BULK} items at once"
            )));
        }
        let justification = clean_comment(justification)?;
        let mut items = Vec::with_capacity(ids.len());
        for &id in ids {
            let item = self
                .review_item(id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no review item {id}")))?;
            let round = self
                .round(item.round_id, now)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no round {}", item.round_id)))?;
            check_may_decide(&item, decider)?;
            let definition = &round.definition;
            let wants = match decision {
                Decision::Keep => definition.justify_keep,
                Decision::Revoke => definition.justify_revoke,
                Decision::DontKnow => false,
            };
            if wants && justification.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "this campaign asks for a justification to {}",
                    decision.as_str()
                )));
            }
            items.push(item);
        }
        let dialect = self.dialect();
        let at_us = to_micros(now);
        on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let mut entries: Vec<NewEntry> = Vec::with_capacity(items.len());
            for item in &items {
                // Checked again inside the transaction: a stage may have closed meanwhile.
                let changed = sqlx::query(
                    "update review_items set decision = $1, justification = $2, \
                     decided_by = $3, decided_at_us = $4 where id = $5 and outcome is null \
                     and stage = $6",
                )
                .bind(decision.as_str())
                .bind(&justification)
                .bind(&decider.actor)
                .bind(at_us)
                .bind(item.id)
                .bind(i64::from(item.stage))
                .execute(&mut *tx)
                .await?;
                if changed.rows_affected() == 0 {
                    return Err(StoreError::Conflict(format!(
                        "review item {} was closed meanwhile",
                        item.id
                    )));
                }
                entries.push(insert_log_in!(tx, &LogFields {
                    item_id: item.id,
                    at_us,
                    actor: &decider.actor,
                    kind: LogKind::Decision.as_str(),
                    stage: i64::from(item.stage),
                    decision: Some(decision.as_str()),
                    comment: &justification,
                }));
            }
            append_ledger_in!(tx, dialect, entries);
            tx.commit().await?;
        });
        Ok(items.len())
    }

    /// Hands an open item to another reviewer, with the reason; refused when the new reviewer
    /// is the holder.
    pub async fn delegate_item(
        &self,
        id: i64,
        to: &str,
        reason: &str,
        decider: &Decider,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let to = to.trim().to_lowercase();
        if !crate::review::looks_like_email(&to) {
            return Err(StoreError::Invalid(format!("{to:?} is not an e-mail")));
        }
        let reason = clean_comment(reason)?;
        if reason.is_empty() {
            return Err(StoreError::Invalid("say why you hand it on".into()));
        }
        let item = self
            .review_item(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no review item {id}")))?;
        check_may_decide(&item, decider)?;
        if item.holder.as_ref().is_some_and(|h| h.email == to) {
            return Err(StoreError::Invalid(
                "no one may review their own access".into(),
            ));
        }
        let dialect = self.dialect();
        let at_us = to_micros(now);
        let comment = format!("to {to}: {reason}");
        on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let changed = sqlx::query(
                "update review_items set reviewer = $1, reviewer_rule = 'delegated', \
                 decision = null, decided_by = null, decided_at_us = null, justification = '' \
                 where id = $2 and outcome is null",
            )
            .bind(&to)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() == 0 {
                return Err(StoreError::Conflict(format!("review item {id} is closed")));
            }
            let entry = insert_log_in!(tx, &LogFields {
                item_id: id,
                at_us,
                actor: &decider.actor,
                kind: LogKind::Delegate.as_str(),
                stage: i64::from(item.stage),
                decision: None,
                comment: &comment,
            });
            append_ledger_in!(tx, dialect, vec![entry]);
            tx.commit().await?;
        });
        Ok(())
    }
}

/// Whether `decider` may decide `item`: it is open, theirs (or they may act for others), and
/// not their own access.
fn check_may_decide(item: &ReviewItem, decider: &Decider) -> Result<(), StoreError> {
    if item.outcome.is_some() {
        return Err(StoreError::Conflict(format!(
            "review item {} is closed",
            item.id
        )));
    }
    let own = decider
        .email
        .as_deref()
        .is_some_and(|email| item.holder.as_ref().is_some_and(|h| h.email == email));
    if own {
        return Err(StoreError::Invalid(
            "no one may review their own access".into(),
        ));
    }
    let assigned = decider.email.is_some() && item.reviewer.as_deref() == decider.email.as_deref();
    if !assigned && !decider.may_act_for_others {
        return Err(StoreError::NotFound(format!(
            "review item {} is not assigned to you",
            item.id
        )));
    }
    Ok(())
}
