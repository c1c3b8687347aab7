//! Remediation tasks leaving Attest: those the outgoing webhook has not taken yet (recorded in
//! `review_notices` under the recipient [`REMEDIATION_WEBHOOK`], one row per item), and the
//! Terraform resources that may create a revoked grant.

use super::{ItemRow, ITEM_COLUMNS};
use crate::review::remediation::terraform::{managed_from_plans, Managed};
use crate::review::ReviewItem;
use crate::store::{is_unique_violation, on_engine, to_micros, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// The recipient under which a remediation task posted to the outgoing webhook is recorded.
pub const REMEDIATION_WEBHOOK: &str = "remediation-webhook";
const REMEDIATION_OPENED: &str = "remediation_opened";

fn item_day(item_id: i64) -> String {
    format!("item-{item_id}")
}

impl Store {
    /// Remediation tasks opened since `since` that the outgoing webhook has not taken yet,
    /// oldest first.
    pub async fn pending_remediation_hooks(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<ReviewItem>, StoreError> {
        let rows: Vec<ItemRow> = on_engine!(self, pool => {
            sqlx::query_as(&format!(
                "select {ITEM_COLUMNS} from review_items where remediation = 'open' \
                 and remediation_at_us >= $1 order by remediation_at_us, id"
            ))
            .bind(to_micros(since))
            .fetch_all(pool)
            .await?
        });
        let posted: Vec<(String,)> = on_engine!(self, pool => {
            sqlx::query_as("select day from review_notices where recipient = $1 and kind = $2")
                .bind(REMEDIATION_WEBHOOK)
                .bind(REMEDIATION_OPENED)
                .fetch_all(pool)
                .await?
        });
        let posted: HashSet<String> = posted.into_iter().map(|(day,)| day).collect();
        rows.into_iter()
            .map(ItemRow::into_item)
            .filter(|item| {
                item.as_ref()
                    .map_or(true, |item| !posted.contains(&item_day(item.id)))
            })
            .collect()
    }

    /// Records that the outgoing webhook took the remediation task of `item`.
    pub async fn record_remediation_hook_sent(
        &self,
        item: &ReviewItem,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let inserted: Result<_, sqlx::Error> = on_engine!(self, pool => {
            sqlx::query(
                "insert into review_notices (recipient, kind, round_id, day, sent_at_us, \
                 channels) values ($1, $2, $3, $4, $5, 'webhook')",
            )
            .bind(REMEDIATION_WEBHOOK)
            .bind(REMEDIATION_OPENED)
            .bind(item.round_id)
            .bind(item_day(item.id))
            .bind(to_micros(now))
            .execute(pool)
            .await
            .map(|_| ())
        });
        match inserted {
            Err(err) if !is_unique_violation(&err) => Err(err.into()),
            _ => Ok(()),
        }
    }

    /// The access resources the Terraform plans received manage now (see
    /// [`managed_from_plans`]).
    pub async fn terraform_managed(&self) -> Result<Vec<Managed>, StoreError> {
        let rows: Vec<(String, String)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select action, details from events where source = 'terraform' \
                 and action like 'terraform.resource.%' order by occurred_at_us, id",
            )
            .fetch_all(pool)
            .await?
        });
        let plans: Vec<(String, serde_json::Value)> = rows
            .into_iter()
            .filter_map(|(action, details)| Some((action, serde_json::from_str(&details).ok()?)))
            .collect();
        Ok(managed_from_plans(
            plans
                .iter()
                .map(|(action, details)| (action.as_str(), details)),
        ))
    }
}
