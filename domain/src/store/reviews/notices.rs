//! Review notices at rest (`review_notices`, migration 0016): which are due and not yet sent,
//! and recording those sent, each once by its key.

use crate::review::notice::{notices_for, Notice};
use crate::store::{is_unique_violation, on_engine, to_micros, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

impl Store {
    /// The notices open rounds call for at `now` that were not sent yet.
    pub async fn pending_notices(&self, now: DateTime<Utc>) -> Result<Vec<Notice>, StoreError> {
        let open: Vec<(i64,)> = on_engine!(self, pool => {
            sqlx::query_as("select id from review_rounds where status = 'open' order by id")
                .fetch_all(pool)
                .await?
        });
        if open.is_empty() {
            return Ok(Vec::new());
        }
        let sent: Vec<(String, String, i64, String)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select n.recipient, n.kind, n.round_id, n.day from review_notices n \
                 join review_rounds r on r.id = n.round_id where r.status = 'open'",
            )
            .fetch_all(pool)
            .await?
        });
        let sent: HashSet<(String, String, i64, String)> = sent.into_iter().collect();
        let mut managers: HashMap<String, Option<String>> = HashMap::new();
        let mut out = Vec::new();
        for (round_id,) in open {
            let Some(round) = self.round(round_id, now).await? else {
                continue;
            };
            let items = self.round_items(round_id).await?;
            for reviewer in items.iter().filter_map(|i| i.reviewer.clone()) {
                if let std::collections::hash_map::Entry::Vacant(slot) = managers.entry(reviewer) {
                    let manager = self.person(slot.key()).await?.and_then(|p| p.manager_email);
                    slot.insert(manager);
                }
            }
            let manager_of = |who: &str| managers.get(who).cloned().flatten();
            out.extend(
                notices_for(&round, &items, now, manager_of)
                    .into_iter()
                    .filter(|n| {
                        !sent.contains(&(
                            n.to.clone(),
                            n.kind.as_str().to_owned(),
                            n.round_id,
                            n.day.clone(),
                        ))
                    }),
            );
        }
        Ok(out)
    }

    /// Records `notices` as sent through `channels`. One another process recorded first is
    /// left as it was.
    pub async fn record_notices_sent(
        &self,
        notices: &[&Notice],
        channels: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for notice in notices {
            let inserted: Result<_, sqlx::Error> = on_engine!(self, pool => {
                sqlx::query(
                    "insert into review_notices (recipient, kind, round_id, day, sent_at_us, \
                     channels) values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&notice.to)
                .bind(notice.kind.as_str())
                .bind(notice.round_id)
                .bind(&notice.day)
                .bind(to_micros(now))
                .bind(channels)
                .execute(pool)
                .await
                .map(|_| ())
            });
            match inserted {
                Ok(()) => {}
                Err(err) if is_unique_violation(&err) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }
}
