//! Events: insertion (upsert by source event id), the timeline query with keyset paging, one
//! event with its raw delivery, and day counts for the activity chart.

use super::deliveries::parse_source;
use super::sql::{bind_all, like_escape, prefix_upper_bound, Arg, Sql};
use super::{from_micros, on_engine, to_micros, Store, StoreError};
use crate::model::{
    Actor, ActorKind, Event, EventDetail, EventFilter, EventPage, Outcome, Scope, Source, Target,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};

/// Bound values per event row of [`upsert_events`] and [`insert_new_events`] (at most: the
/// assigned id, and either the time received or the delivery id a second time to look it up),
/// and per target row of [`insert_targets`],
/// for [`Dialect::rows_per_statement`](super::sql::Dialect::rows_per_statement).
pub(crate) const EVENT_ROW_VALUES: usize = 22;
pub(crate) const TARGET_ROW_VALUES: usize = 5;

/// The id the next new event gets (see [`NEXT_DELIVERY_ID`](super::deliveries::NEXT_DELIVERY_ID)).
pub(crate) const NEXT_EVENT_ID: &str = "select max(\
    coalesce((select seq from sqlite_sequence where name = 'events'), 0), \
    coalesce((select max(id) from events), 0)) + 1";

const EVENT_COLUMN_NAMES: &str = "delivery_id, source, source_event_id, \
    occurred_at_us, received_at_us, actor_id, actor_name, actor_kind, actor_ip, \
    actor_user_agent, action, native_action, scope_kind, scope_id, scope_name, outcome, error, \
    summary, targets, details, search_text";

/// One event row to write: the delivery it came in, the event, and its derived columns when
/// they were worked out beforehand (see [`NormalizedBatch`](super::NormalizedBatch)).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewEventRow<'a> {
    pub delivery_id: i64,
    pub event: &'a crate::model::NewEvent,
    pub columns: Option<&'a EventColumns>,
}

/// One multi-row upsert of events by (source, source_event_id): a replayed or reprocessed
/// event updates its row and keeps its id. Returns `id, source, source_event_id` per row.
/// The caller passes each (source, source_event_id) at most once.
pub(crate) fn upsert_events(rows: &[NewEventRow<'_>]) -> Sql {
    let mut sql = Sql::new(&format!(
        "insert into events ({EVENT_COLUMN_NAMES}) values "
    ));
    push_event_rows(&mut sql, rows, None);
    sql.push(
        " on conflict (source, source_event_id) do update set \
         delivery_id = excluded.delivery_id, occurred_at_us = excluded.occurred_at_us, \
         actor_id = excluded.actor_id, actor_name = excluded.actor_name, \
         actor_kind = excluded.actor_kind, actor_ip = excluded.actor_ip, \
         actor_user_agent = excluded.actor_user_agent, action = excluded.action, \
         native_action = excluded.native_action, scope_kind = excluded.scope_kind, \
         scope_id = excluded.scope_id, scope_name = excluded.scope_name, \
         outcome = excluded.outcome, error = excluded.error, summary = excluded.summary, \
         targets = excluded.targets, details = excluded.details, \
         search_text = excluded.search_text \
         returning id, source, source_event_id",
    );
    sql
}

/// One multi-row insert of events known to be new, with the ids `first_id`, `first_id + 1`,
/// … assigned in order (see [`Dialect::assign_ids`](super::sql::Dialect::assign_ids)).
pub(crate) fn insert_new_events(insert: &str, rows: &[NewEventRow<'_>], first_id: i64) -> Sql {
    let mut sql = Sql::new(&format!(
        "{insert} events (id, {EVENT_COLUMN_NAMES}) values "
    ));
    push_event_rows(&mut sql, rows, Some(first_id));
    sql
}

/// The stored ids of events, by (source, source_event_id): `id, source, source_event_id`.
pub(crate) fn find_events(rows: &[NewEventRow<'_>]) -> Sql {
    let mut sql = Sql::new(
        "select id, source, source_event_id from events where (source, source_event_id) in ",
    );
    sql.text_pairs(rows.iter().map(|row| {
        (
            row.event.source.as_str(),
            row.event.source_event_id.as_str(),
        )
    }));
    sql
}

fn push_event_rows(sql: &mut Sql, rows: &[NewEventRow<'_>], first_id: Option<i64>) {
    for (i, row) in rows.iter().enumerate() {
        let ev = row.event;
        let computed;
        let columns = match row.columns {
            Some(columns) => columns,
            None => {
                computed = EventColumns::of(ev);
                &computed
            }
        };
        let scope = ev.scope.as_ref();
        sql.push(if i == 0 { "(" } else { ", (" });
        if let Some(first) = first_id {
            sql.push_arg(Arg::I64(first + i as i64));
            sql.push(", ");
        }
        sql.push_arg(Arg::I64(row.delivery_id));
        for value in [
            Arg::Text(ev.source.as_str().to_owned()),
            Arg::Text(ev.source_event_id.clone()),
            Arg::I64(columns.occurred_at_us),
        ] {
            sql.push(", ");
            sql.push_arg(value);
        }
        sql.push(", ");
        // The event was received when its delivery was.
        match columns.received_at_us {
            Some(received) => sql.push_arg(Arg::I64(received)),
            None => {
                let delivery = sql.arg(Arg::I64(row.delivery_id));
                sql.push(&format!(
                    "(select d.received_at_us from deliveries d where d.id = {delivery})"
                ));
            }
        }
        for value in [
            Arg::OptText(ev.actor.id.clone()),
            Arg::Text(ev.actor.name.clone()),
            Arg::Text(ev.actor.kind.as_str().to_owned()),
            Arg::OptText(ev.actor.ip.clone()),
            Arg::OptText(ev.actor.user_agent.clone()),
            Arg::Text(ev.action.clone()),
            Arg::Text(ev.native_action.clone()),
            Arg::OptText(scope.map(|s| s.kind.clone())),
            Arg::OptText(scope.map(|s| s.id.clone())),
            Arg::OptText(scope.and_then(|s| s.name.clone())),
            Arg::Text(ev.outcome.as_str().to_owned()),
            Arg::OptText(ev.error.clone()),
            Arg::Text(ev.summary.clone()),
            Arg::Text(columns.targets.clone()),
            Arg::Text(columns.details.clone()),
            Arg::Text(columns.search_text.clone()),
        ] {
            sql.push(", ");
            sql.push_arg(value);
        }
        sql.push(")");
    }
}

/// One multi-row insert of targets: (event id, position, target).
pub(crate) fn insert_targets(insert: &str, rows: &[(i64, i64, &Target)]) -> Sql {
    let mut sql = Sql::new(&format!(
        "{insert} event_targets (event_id, position, kind, target_id, name) values "
    ));
    for (i, (event_id, position, target)) in rows.iter().enumerate() {
        sql.row(
            i == 0,
            vec![
                Arg::I64(*event_id),
                Arg::I64(*position),
                Arg::Text(target.kind.clone()),
                Arg::OptText(target.id.clone()),
                Arg::Text(target.name.clone()),
            ],
        );
    }
    sql
}

/// The derived columns of an event row, computed once per event for either engine.
#[derive(Debug)]
pub(crate) struct EventColumns {
    pub occurred_at_us: i64,
    /// When the event's delivery was received, when the delivery is known to be written with
    /// it; otherwise the row looks it up.
    pub received_at_us: Option<i64>,
    pub targets: String,
    pub details: String,
    pub search_text: String,
}

impl EventColumns {
    pub fn of(ev: &crate::model::NewEvent) -> EventColumns {
        let mut search = format!(
            "{} {} {} {} {}",
            ev.actor.name,
            ev.actor.id.as_deref().unwrap_or_default(),
            ev.action,
            ev.native_action,
            ev.summary
        );
        for t in &ev.targets {
            search.push(' ');
            search.push_str(&t.name);
        }
        EventColumns {
            occurred_at_us: to_micros(ev.occurred_at),
            received_at_us: None,
            targets: serde_json::to_string(&ev.targets).unwrap_or_else(|_| "[]".to_owned()),
            details: serde_json::to_string(&ev.details).unwrap_or_else(|_| "null".to_owned()),
            search_text: search.to_lowercase(),
        }
    }
}

const EVENT_COLUMNS: &str = "id, delivery_id, source, source_event_id, occurred_at_us, \
    received_at_us, actor_id, actor_name, actor_kind, actor_ip, actor_user_agent, action, \
    native_action, scope_kind, scope_id, scope_name, outcome, error, summary, targets, details";

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    delivery_id: i64,
    source: String,
    source_event_id: String,
    occurred_at_us: i64,
    received_at_us: i64,
    actor_id: Option<String>,
    actor_name: String,
    actor_kind: String,
    actor_ip: Option<String>,
    actor_user_agent: Option<String>,
    action: String,
    native_action: String,
    scope_kind: Option<String>,
    scope_id: Option<String>,
    scope_name: Option<String>,
    outcome: String,
    error: Option<String>,
    summary: String,
    targets: String,
    details: String,
}

impl EventRow {
    fn into_event(self) -> Result<Event, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            table: "events",
            id: self.id,
            reason,
        };
        let targets: Vec<Target> = serde_json::from_str(&self.targets)
            .map_err(|err| corrupt(format!("targets: {err}")))?;
        let details = serde_json::from_str(&self.details)
            .map_err(|err| corrupt(format!("details: {err}")))?;
        let scope = match (self.scope_kind, self.scope_id) {
            (Some(kind), Some(id)) => Some(Scope {
                kind,
                id,
                name: self.scope_name,
            }),
            _ => None,
        };
        Ok(Event {
            id: self.id,
            source: parse_source("events", self.id, &self.source)?,
            source_event_id: self.source_event_id,
            occurred_at: from_micros("events", self.id, self.occurred_at_us)?,
            received_at: from_micros("events", self.id, self.received_at_us)?,
            actor: Actor {
                id: self.actor_id,
                name: self.actor_name,
                kind: ActorKind::parse(&self.actor_kind),
                ip: self.actor_ip,
                user_agent: self.actor_user_agent,
            },
            action: self.action,
            native_action: self.native_action,
            targets,
            scope,
            outcome: Outcome::parse(&self.outcome),
            error: self.error,
            summary: self.summary,
            details,
            delivery_id: self.delivery_id,
        })
    }
}

/// Events of one source on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub source: Source,
    pub count: i64,
}

/// Where the previous page stopped: (occurred_at, id) of its last event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    occurred_at_us: i64,
    id: i64,
}

impl Cursor {
    fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.occurred_at_us, self.id))
    }

    fn decode(text: &str) -> Result<Cursor, StoreError> {
        let bad = || StoreError::BadCursor("not a cursor this server issued".to_owned());
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (t, id) = text.split_once(':').ok_or_else(bad)?;
        Ok(Cursor {
            occurred_at_us: t.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// Appends the filter's conditions (each starting with ` and `) to `sql`.
fn push_filter(sql: &mut Sql, filter: &EventFilter) {
    if let Some(actor) = non_blank(&filter.actor) {
        let p = sql.arg(Arg::Text(actor.to_owned()));
        sql.push(&format!(" and (actor_name = {p} or actor_id = {p})"));
    }
    if let Some(action) = non_blank(&filter.action) {
        match action.strip_suffix('*') {
            Some(prefix) => {
                if !prefix.is_empty() {
                    let lo = sql.arg(Arg::Text(prefix.to_owned()));
                    sql.push(&format!(" and action >= {lo}"));
                    if let Some(upper) = prefix_upper_bound(prefix) {
                        let hi = sql.arg(Arg::Text(upper));
                        sql.push(&format!(" and action < {hi}"));
                    }
                }
            }
            None => {
                let p = sql.arg(Arg::Text(action.to_owned()));
                sql.push(&format!(" and action = {p}"));
            }
        }
    }
    if let Some(source) = filter.source {
        let p = sql.arg(Arg::Text(source.as_str().to_owned()));
        sql.push(&format!(" and source = {p}"));
    }
    if let Some(target) = non_blank(&filter.target) {
        let p = sql.arg(Arg::Text(target.to_owned()));
        sql.push(&format!(
            " and id in (select event_id from event_targets where name = {p} \
             union select event_id from event_targets where target_id = {p})"
        ));
    }
    if let Some(since) = filter.since {
        let p = sql.arg(Arg::I64(to_micros(since)));
        sql.push(&format!(" and occurred_at_us >= {p}"));
    }
    if let Some(until) = filter.until {
        let p = sql.arg(Arg::I64(to_micros(until)));
        sql.push(&format!(" and occurred_at_us < {p}"));
    }
    if let Some(q) = non_blank(&filter.q) {
        for word in q.split_whitespace().take(8) {
            let p = sql.arg(Arg::Text(format!(
                "%{}%",
                like_escape(&word.to_lowercase())
            )));
            sql.push(&format!(" and search_text like {p} escape '\\'"));
        }
    }
}

/// Appends one page's query: the events matching `filter` after `cursor`, newest first, one
/// more than `limit` (which tells whether a next page exists, without counting).
fn push_page(sql: &mut Sql, filter: &EventFilter, cursor: Option<&Cursor>, limit: i64) {
    sql.push(&format!("select {EVENT_COLUMNS} from events where 1 = 1"));
    push_filter(sql, filter);
    if let Some(c) = cursor {
        let t = sql.arg(Arg::I64(c.occurred_at_us));
        let id = sql.arg(Arg::I64(c.id));
        sql.push(&format!(
            " and (occurred_at_us < {t} or (occurred_at_us = {t} and id < {id}))"
        ));
    }
    let n = sql.arg(Arg::I64(limit + 1));
    sql.push(&format!(" order by occurred_at_us desc, id desc limit {n}"));
}

/// Past this many actions under one prefix, a single range scan is used instead of one scan
/// per action.
const MAX_ACTIONS_PER_PREFIX: usize = 64;

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl Store {
    /// One page of events matching `filter`, newest first. `limit` is clamped to 1..=500.
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<EventPage, StoreError> {
        let limit = limit.clamp(1, 500);
        let cursor = match cursor.filter(|c| !c.trim().is_empty()) {
            Some(text) => Some(Cursor::decode(text)?),
            None => None,
        };
        // A prefix (`repo.*`) can match tens of thousands of events under a few dozen actions:
        // one newest-first scan per action, merged, reads about `limit` rows per action instead
        // of sorting every match.
        let legs = match non_blank(&filter.action).and_then(|a| a.strip_suffix('*')) {
            Some(prefix) if !prefix.is_empty() => self.actions_with_prefix(prefix).await?,
            _ => None,
        };
        let sql = match legs {
            Some(actions) if actions.is_empty() => {
                return Ok(EventPage {
                    events: Vec::new(),
                    next_cursor: None,
                })
            }
            Some(actions) => {
                let mut sql = Sql::new("select * from (");
                for (n, action) in actions.into_iter().enumerate() {
                    if n > 0 {
                        sql.push(" union all ");
                    }
                    let leg = EventFilter {
                        action: Some(action),
                        ..filter.clone()
                    };
                    sql.push("select * from (");
                    push_page(&mut sql, &leg, cursor.as_ref(), limit);
                    sql.push(&format!(") leg{n}"));
                }
                sql.push(") legs order by occurred_at_us desc, id desc limit ");
                let n = sql.arg(Arg::I64(limit + 1));
                sql.push(&n);
                sql
            }
            None => {
                let mut sql = Sql::default();
                push_page(&mut sql, filter, cursor.as_ref(), limit);
                sql
            }
        };
        let rows: Vec<EventRow> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        let more = rows.len() as i64 > limit;
        let mut events = rows
            .into_iter()
            .take(limit as usize)
            .map(EventRow::into_event)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = match events.last_mut() {
            Some(last) if more => Some(
                Cursor {
                    occurred_at_us: to_micros(last.occurred_at),
                    id: last.id,
                }
                .encode(),
            ),
            _ => None,
        };
        Ok(EventPage {
            events,
            next_cursor,
        })
    }

    /// The distinct actions starting with `prefix`, found by one index seek each (a loose
    /// index scan), or `None` when there are more than [`MAX_ACTIONS_PER_PREFIX`].
    async fn actions_with_prefix(&self, prefix: &str) -> Result<Option<Vec<String>>, StoreError> {
        let mut sql = Sql::default();
        let lo = sql.arg(Arg::Text(prefix.to_owned()));
        let below = match prefix_upper_bound(prefix) {
            Some(upper) => format!(" and e.action < {}", sql.arg(Arg::Text(upper))),
            None => String::new(),
        };
        let cap = sql.arg(Arg::I64(MAX_ACTIONS_PER_PREFIX as i64 + 1));
        sql.push(&format!(
            "with recursive found(action, n) as (\
             select (select e.action from events e where e.action >= {lo}{below} \
             order by e.action limit 1), 1 \
             union all \
             select (select e.action from events e where e.action > found.action{below} \
             order by e.action limit 1), found.n + 1 \
             from found where found.action is not null and found.n < {cap}) \
             select action from found where action is not null"
        ));
        let rows: Vec<(String,)> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        Ok(
            (rows.len() <= MAX_ACTIONS_PER_PREFIX)
                .then(|| rows.into_iter().map(|(a,)| a).collect()),
        )
    }

    pub async fn get_event(&self, id: i64) -> Result<Option<Event>, StoreError> {
        let sql = format!("select {EVENT_COLUMNS} from events where id = $1");
        let row: Option<EventRow> = on_engine!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(EventRow::into_event).transpose()
    }

    /// One event with the delivery it came from and the raw payload.
    pub async fn event_detail(&self, id: i64) -> Result<Option<EventDetail>, StoreError> {
        let Some(event) = self.get_event(id).await? else {
            return Ok(None);
        };
        let delivery = self
            .delivery_summary(event.delivery_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                table: "events",
                id,
                reason: format!("delivery {} is missing", event.delivery_id),
            })?;
        let body = self
            .delivery_body(event.delivery_id)
            .await?
            .unwrap_or_default();
        let raw = serde_json::from_slice(&body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&body).into_owned())
        });
        Ok(Some(EventDetail {
            event,
            delivery,
            raw,
        }))
    }

    /// Events per UTC day and source with `since <= occurred_at < until`.
    pub async fn count_by_day(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<DayCount>, StoreError> {
        const DAY_US: i64 = 86_400_000_000;
        let rows: Vec<(String, i64, i64)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select source, occurred_at_us / $1 as day, count(*) from events \
                 where occurred_at_us >= $2 and occurred_at_us < $3 \
                 group by source, occurred_at_us / $1 order by day, source",
            )
            .bind(DAY_US)
            .bind(to_micros(since))
            .bind(to_micros(until))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(source, day, count)| {
                let day = from_micros("events", 0, day * DAY_US)?.date_naive();
                Ok(DayCount {
                    day,
                    source: parse_source("events", 0, &source)?,
                    count,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            occurred_at_us: 1_700_000_000_123_456,
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c));
        // "", not base64, "not-a-cursor", "a:b".
        for bad in ["", "!!", "bm90LWEtY3Vyc29y", "YTpi"] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn filters_bind_values_instead_of_splicing_them() {
        let filter = EventFilter {
            actor: Some("o'brien".into()),
            action: Some("repo.*".into()),
            q: Some("50% off".into()),
            ..EventFilter::default()
        };
        let mut sql = Sql::new("");
        push_filter(&mut sql, &filter);
        assert!(!sql.text.contains("o'brien"));
        assert!(sql.text.contains("action >= $2 and action < $3"));
        assert_eq!(sql.args.len(), 5);
        assert!(sql.args.contains(&Arg::Text("%50\\%%".into())));
    }
}
