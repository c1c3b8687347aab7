//! Reading the review log: one item's entries, or a whole round's at once (the round page
//! shows every item's log, and reads them in one query rather than one per item).

use super::LOG;
use crate::review::{Decision, LogEntry, LogKind};
use crate::store::{from_micros, on_engine, Store, StoreError};
use std::collections::BTreeMap;

type Row = (i64, i64, i64, String, String, i64, Option<String>, String);

const COLUMNS: &str = "l.id, l.item_id, l.at_us, l.actor, l.kind, l.stage, l.decision, l.comment";

impl Store {
    /// An item's log, oldest first.
    pub async fn item_log(&self, item: i64) -> Result<Vec<LogEntry>, StoreError> {
        let rows: Vec<Row> = on_engine!(self, pool => {
            sqlx::query_as(&format!(
                "select {COLUMNS} from review_log l where l.item_id = $1 order by l.id"
            ))
            .bind(item)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(entry).collect()
    }

    /// The log of every item of round `round`, by item, each oldest first.
    pub async fn round_log(&self, round: i64) -> Result<BTreeMap<i64, Vec<LogEntry>>, StoreError> {
        let rows: Vec<Row> = on_engine!(self, pool => {
            sqlx::query_as(&format!(
                "select {COLUMNS} from review_log l join review_items i on i.id = l.item_id \
                 where i.round_id = $1 order by l.id"
            ))
            .bind(round)
            .fetch_all(pool)
            .await?
        });
        let mut out: BTreeMap<i64, Vec<LogEntry>> = BTreeMap::new();
        for row in rows {
            let entry = entry(row)?;
            out.entry(entry.item_id).or_default().push(entry);
        }
        Ok(out)
    }
}

fn entry(
    (id, item_id, at_us, actor, kind, stage, decision, comment): Row,
) -> Result<LogEntry, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        table: LOG,
        id,
        reason,
    };
    Ok(LogEntry {
        id,
        item_id,
        at: from_micros(LOG, id, at_us)?,
        actor,
        kind: LogKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("{kind:?} is not a log kind")))?,
        stage: u32::try_from(stage).unwrap_or(1),
        decision: decision
            .map(|d| Decision::parse(&d).ok_or_else(|| corrupt(format!("{d:?} is not a decision"))))
            .transpose()?,
        comment,
    })
}
