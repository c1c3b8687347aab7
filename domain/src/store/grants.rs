//! Grants in the store: the facts deliveries state (`grant_changes`) and the intervals derived
//! from them (`grants`). Deriving per grant key from all of its facts, in time order, is what
//! makes late, replayed and reprocessed deliveries safe: they only re-derive the keys they touch.

use super::sql::{bind_all, Arg, Dialect, Sql};
use super::{from_micros, on_engine, Store, StoreError};
use crate::grant::{
    Grant, GrantChange, GrantFilter, GrantInterval, GrantOp, GrantSnapshot, Principal, Resource,
    ANY,
};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// Bound values per row of [`insert_changes`] (and, one fewer, of [`insert_intervals`]), for
/// [`Dialect::rows_per_statement`].
pub(crate) const GRANT_ROW_VALUES: usize = 15;

/// The identity of a grant: who, on what, which permission, through what. Unit separators keep
/// the parts apart whatever characters the ids hold.
pub fn grant_key(grant: &Grant) -> String {
    format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}",
        grant.principal.id, grant.resource.id, grant.permission, grant.via
    )
}

/// One stored fact, as read back to derive intervals.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct ChangeRow {
    pub id: i64,
    pub grant_key: String,
    pub at_us: i64,
    #[sqlx(flatten)]
    pub grant: OpenRow,
    pub op: String,
}

pub(crate) const SELECT_CHANGES: &str = "select id, grant_key, at_us, scope, principal_kind, \
    principal_id, principal_name, resource_kind, resource_id, resource_name, permission, via, op \
    from grant_changes where grant_key in ";

/// One derived interval of one grant key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interval {
    pub valid_from_us: Option<i64>,
    pub valid_to_us: Option<i64>,
    pub opened_by: Option<i64>,
    pub closed_by: Option<i64>,
}

/// Folds the facts of ONE grant key, sorted by time then id, into intervals. An addition opens
/// a grant unless it is already open (a restatement); a removal closes it. A removal with no
/// earlier fact means the grant was held since before Attest's records, so the interval has no
/// start; a removal of something already closed is a restatement and changes nothing.
pub(crate) fn intervals(changes: &[ChangeRow]) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut open: Option<(Option<i64>, Option<i64>)> = None;
    for (n, change) in changes.iter().enumerate() {
        match (GrantOp::parse(&change.op), open) {
            (Some(GrantOp::Added), None) => open = Some((Some(change.at_us), Some(change.id))),
            (Some(GrantOp::Removed), Some((from, opened_by))) => {
                out.push(Interval {
                    valid_from_us: from,
                    valid_to_us: Some(change.at_us),
                    opened_by,
                    closed_by: Some(change.id),
                });
                open = None;
            }
            (Some(GrantOp::Removed), None) if n == 0 => out.push(Interval {
                valid_from_us: None,
                valid_to_us: Some(change.at_us),
                opened_by: None,
                closed_by: Some(change.id),
            }),
            // Restatements, and ops this version does not know.
            _ => {}
        }
    }
    if let Some((from, opened_by)) = open {
        out.push(Interval {
            valid_from_us: from,
            valid_to_us: None,
            opened_by,
            closed_by: None,
        });
    }
    out
}

/// Changes that bring the open grants of a snapshot's scope in line with the snapshot: what is
/// listed and not open is added, what is open and not listed is removed, both at the
/// snapshot's time. `open` holds the scope's grants open at that time.
pub(crate) fn snapshot_changes(snapshot: &GrantSnapshot, open: &[Grant]) -> Vec<GrantChange> {
    let taken = snapshot.at.format("%Y-%m-%d %H:%M:%S UTC");
    let open: BTreeMap<String, &Grant> = open.iter().map(|g| (grant_key(g), g)).collect();
    let listed: BTreeMap<String, &Grant> = snapshot
        .grants
        .iter()
        .filter(|g| g.scope == snapshot.scope)
        .map(|g| (grant_key(g), g))
        .collect();
    let added = listed
        .iter()
        .filter(|(key, _)| !open.contains_key(*key))
        .map(|(_, grant)| GrantChange {
            at: snapshot.at,
            grant: (*grant).clone(),
            op: GrantOp::Added,
            evidence: format!("listed in the snapshot of {} taken {taken}", snapshot.scope),
        });
    let removed = open
        .iter()
        .filter(|(key, _)| !listed.contains_key(*key))
        .map(|(_, grant)| GrantChange {
            at: snapshot.at,
            grant: (*grant).clone(),
            op: GrantOp::Removed,
            evidence: format!(
                "absent from the snapshot of {} taken {taken}",
                snapshot.scope
            ),
        });
    added.chain(removed).collect()
}

/// Grants of a snapshot that fall outside its scope: a normalizer bug, reported rather than
/// silently applied to another scope.
pub(crate) fn out_of_scope(snapshot: &GrantSnapshot) -> usize {
    snapshot
        .grants
        .iter()
        .filter(|g| g.scope != snapshot.scope)
        .count()
}

const INSERT_CHANGES: &str = "insert into grant_changes (delivery_id, position, grant_key, at_us, \
    scope, principal_kind, principal_id, principal_name, resource_kind, resource_id, \
    resource_name, permission, via, op, evidence) values ";

/// A multi-row insert of facts: `(delivery id, position within the delivery, change)`.
pub(crate) fn insert_changes(rows: &[(i64, i64, &GrantChange)]) -> Sql {
    let mut sql = Sql::new(INSERT_CHANGES);
    for (i, (delivery_id, position, change)) in rows.iter().enumerate() {
        let g = &change.grant;
        let mut values = vec![
            Arg::I64(*delivery_id),
            Arg::I64(*position),
            Arg::Text(grant_key(g)),
            Arg::I64(change.at.timestamp_micros()),
        ];
        values.extend(OpenRow::from(g).into_args());
        values.extend([
            Arg::Text(change.op.as_str().to_owned()),
            Arg::Text(change.evidence.clone()),
        ]);
        sql.row(i == 0, values);
    }
    sql
}

const INSERT_GRANTS: &str = "insert into grants (grant_key, scope, principal_kind, principal_id, \
    principal_name, resource_kind, resource_id, resource_name, permission, via, valid_from_us, \
    valid_to_us, opened_by, closed_by) values ";

/// A multi-row insert of derived intervals. Names and scope come from the key's latest fact,
/// so a renamed team shows its current name on every interval.
pub(crate) fn insert_intervals(rows: &[(&ChangeRow, Interval)]) -> Sql {
    let opt = |v: Option<i64>| match v {
        Some(v) => Arg::I64(v),
        None => Arg::OptI64(None),
    };
    let mut sql = Sql::new(INSERT_GRANTS);
    for (i, (latest, interval)) in rows.iter().enumerate() {
        let mut values = vec![Arg::Text(latest.grant_key.clone())];
        values.extend(latest.grant.clone().into_args());
        values.extend([
            opt(interval.valid_from_us),
            opt(interval.valid_to_us),
            opt(interval.opened_by),
            opt(interval.closed_by),
        ]);
        sql.row(i == 0, values);
    }
    sql
}

/// Groups facts read for many keys (sorted by key, time, id) into intervals per key, each
/// paired with the key's latest fact.
pub(crate) fn derive(changes: &[ChangeRow]) -> Vec<(&ChangeRow, Interval)> {
    let mut out = Vec::new();
    for group in changes.chunk_by(|a, b| a.grant_key == b.grant_key) {
        if let Some(latest) = group.last() {
            out.extend(intervals(group).into_iter().map(|i| (latest, i)));
        }
    }
    out
}

/// The grants of `change`'s scope open at its time that it may end: those of its principal,
/// else those on its resource, else (a removal that names neither) the whole scope.
pub(crate) fn select_open_for(change: &GrantChange) -> Sql {
    let grant = &change.grant;
    let mut select = Sql::new(
        "select scope, principal_kind, principal_id, principal_name, resource_kind, \
         resource_id, resource_name, permission, via from grants where scope = ",
    );
    let scope = select.arg(Arg::Text(grant.scope.clone()));
    select.push(&scope);
    if grant.principal.id != ANY {
        let principal = select.arg(Arg::Text(grant.principal.id.clone()));
        select.push(" and principal_id = ").push(&principal);
    } else if grant.resource.id != ANY {
        let resource = select.arg(Arg::Text(grant.resource.id.clone()));
        select.push(" and resource_id = ").push(&resource);
    }
    let at = select.arg(Arg::I64(micros(change.at)));
    select.push(&format!(
        " and (valid_from_us is null or valid_from_us <= {at}) \
         and (valid_to_us is null or valid_to_us > {at})"
    ));
    select
}

/// `select` of the grants of a scope open at a moment, for snapshot reconciliation.
pub(crate) const SELECT_OPEN_IN_SCOPE: &str = "select scope, principal_kind, principal_id, \
    principal_name, resource_kind, resource_id, resource_name, permission, via from grants \
    where scope = $1 and (valid_from_us is null or valid_from_us <= $2) \
    and (valid_to_us is null or valid_to_us > $2)";

/// The columns that say which grant a row of `grants` or `grant_changes` is about, in table
/// order.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct OpenRow {
    pub scope: String,
    pub principal_kind: String,
    pub principal_id: String,
    pub principal_name: String,
    pub resource_kind: String,
    pub resource_id: String,
    pub resource_name: String,
    pub permission: String,
    pub via: String,
}

impl OpenRow {
    /// The columns as values to bind, in table order.
    pub fn into_args(self) -> [Arg; 9] {
        [
            self.scope,
            self.principal_kind,
            self.principal_id,
            self.principal_name,
            self.resource_kind,
            self.resource_id,
            self.resource_name,
            self.permission,
            self.via,
        ]
        .map(Arg::Text)
    }
}

impl From<&Grant> for OpenRow {
    fn from(g: &Grant) -> OpenRow {
        OpenRow {
            scope: g.scope.clone(),
            principal_kind: g.principal.kind.clone(),
            principal_id: g.principal.id.clone(),
            principal_name: g.principal.name.clone(),
            resource_kind: g.resource.kind.clone(),
            resource_id: g.resource.id.clone(),
            resource_name: g.resource.name.clone(),
            permission: g.permission.clone(),
            via: g.via.clone(),
        }
    }
}

impl From<OpenRow> for Grant {
    fn from(row: OpenRow) -> Grant {
        Grant {
            scope: row.scope,
            principal: Principal {
                kind: row.principal_kind,
                id: row.principal_id,
                name: row.principal_name,
            },
            resource: Resource {
                kind: row.resource_kind,
                id: row.resource_id,
                name: row.resource_name,
            },
            permission: row.permission,
            via: row.via,
        }
    }
}

/// What one recording does to grants, in order: the explicit changes of the deliveries, then
/// each snapshot reconciled against what is open at its time (so a snapshot sees the changes
/// recorded before it).
#[derive(Debug, Default)]
pub(crate) struct GrantWork<'a> {
    /// Deliveries whose earlier facts are replaced (every normalized delivery of the batch).
    pub deliveries: Vec<i64>,
    pub changes: Vec<(i64, i64, &'a GrantChange)>,
    /// Removals that leave open which grants they end, resolved against what is open at
    /// their time once the explicit changes are in (see [`GrantChange::resolve`]).
    pub open_ended: Vec<(i64, &'a GrantChange)>,
    pub snapshots: Vec<(i64, &'a GrantSnapshot)>,
    /// The next free position per delivery, for facts a snapshot produces.
    pub next_position: HashMap<i64, i64>,
    /// How the engine wants statements written, and their sizes.
    pub dialect: Dialect,
    pub rows_per_statement: usize,
    pub keys_per_statement: usize,
    /// Every delivery was stored in this transaction, so none has earlier facts to replace.
    pub fresh: bool,
}

impl<'a> GrantWork<'a> {
    pub fn add(
        &mut self,
        delivery_id: i64,
        changes: &'a [GrantChange],
        snapshots: &'a [GrantSnapshot],
    ) {
        self.deliveries.push(delivery_id);
        let mut position = 0i64;
        for change in changes {
            if change.is_open_ended() {
                self.open_ended.push((delivery_id, change));
            } else {
                self.changes.push((delivery_id, position, change));
                position += 1;
            }
        }
        self.next_position.insert(delivery_id, position);
        self.snapshots
            .extend(snapshots.iter().map(|snapshot| (delivery_id, snapshot)));
    }
}

pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// Re-derives the intervals of `$keys` (a `Vec<String>` of grant keys) from their facts, inside
/// the transaction `$tx`, with the statement sizes of `$work` (a [`GrantWork`]). A macro
/// because the body is compiled once per engine.
macro_rules! rebuild_intervals {
    ($tx:expr, $work:expr, $keys:expr) => {{
        use $crate::store::grants::{derive, insert_intervals, ChangeRow, SELECT_CHANGES};
        use $crate::store::sql::{run, Sql};
        for chunk in $keys.chunks($work.keys_per_statement) {
            let mut select = Sql::new(SELECT_CHANGES);
            select
                .text_list(chunk)
                .push(" order by grant_key, at_us, id");
            let facts: Vec<ChangeRow> =
                run!($work.dialect, select => query_as.fetch_all(&mut *$tx))?;
            let mut clear = Sql::new("delete from grants where grant_key in ");
            clear.text_list(chunk);
            run!($work.dialect, clear => query.execute(&mut *$tx))?;
            let derived = derive(&facts);
            for part in derived.chunks($work.rows_per_statement) {
                let insert = insert_intervals(part);
                run!($work.dialect, insert => query.execute(&mut *$tx))?;
            }
        }
    }};
}
pub(crate) use rebuild_intervals;

/// Records a batch's grant facts inside the transaction `$tx` and re-derives every interval
/// they touch: earlier facts of the same deliveries are replaced (a reprocess), explicit
/// changes go in, then each snapshot is reconciled against what is open in its scope at its
/// time. `$work` is a [`GrantWork`].
macro_rules! record_grants {
    ($tx:expr, $work:expr) => {{
        use $crate::store::grants::{
            grant_key, insert_changes, micros, rebuild_intervals, select_open_for,
            snapshot_changes, OpenRow, SELECT_OPEN_IN_SCOPE,
        };
        use $crate::store::sql::{run, Sql};
        let work: &$crate::store::grants::GrantWork<'_> = $work;
        let mut dirty: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let replaced: &[i64] = if work.fresh { &[] } else { &work.deliveries };
        for chunk in replaced.chunks(work.keys_per_statement) {
            let mut find =
                Sql::new("select distinct grant_key from grant_changes where delivery_id in ");
            find.id_list(chunk);
            let keys: Vec<(String,)> = run!(work.dialect, find => query_as.fetch_all(&mut *$tx))?;
            dirty.extend(keys.into_iter().map(|(key,)| key));
        }
        if !dirty.is_empty() {
            // Intervals point at the facts they came from, so they go before the facts do.
            let old: Vec<String> = dirty.iter().cloned().collect();
            for chunk in old.chunks(work.keys_per_statement) {
                let mut clear = Sql::new("delete from grants where grant_key in ");
                clear.text_list(chunk);
                run!(work.dialect, clear => query.execute(&mut *$tx))?;
            }
            for chunk in work.deliveries.chunks(work.keys_per_statement) {
                let mut clear = Sql::new("delete from grant_changes where delivery_id in ");
                clear.id_list(chunk);
                run!(work.dialect, clear => query.execute(&mut *$tx))?;
            }
        }
        for part in work.changes.chunks(work.rows_per_statement) {
            let insert = insert_changes(part);
            run!(work.dialect, insert => query.execute(&mut *$tx))?;
            dirty.extend(part.iter().map(|(_, _, change)| grant_key(&change.grant)));
        }
        let mut next_position = work.next_position.clone();
        let mut open_ended = work.open_ended.clone();
        open_ended.sort_by_key(|(_, change)| change.at);
        for (delivery_id, change) in open_ended {
            // Resolved against intervals that include everything recorded so far.
            let keys: Vec<String> = std::mem::take(&mut dirty).into_iter().collect();
            rebuild_intervals!($tx, work, keys);
            let select = select_open_for(change);
            let open: Vec<OpenRow> = run!(work.dialect, select => query_as.fetch_all(&mut *$tx))?;
            let open: Vec<$crate::grant::Grant> = open.into_iter().map(Into::into).collect();
            let closes = change.resolve(&open);
            let position = next_position.entry(delivery_id).or_insert(0);
            let mut rows = Vec::with_capacity(closes.len());
            for close in &closes {
                rows.push((delivery_id, *position, close));
                *position += 1;
            }
            for part in rows.chunks(work.rows_per_statement) {
                let insert = insert_changes(part);
                run!(work.dialect, insert => query.execute(&mut *$tx))?;
            }
            dirty.extend(closes.iter().map(|close| grant_key(&close.grant)));
        }
        for (delivery_id, snapshot) in &work.snapshots {
            // The snapshot is compared with intervals that include everything recorded so far.
            let keys: Vec<String> = std::mem::take(&mut dirty).into_iter().collect();
            rebuild_intervals!($tx, work, keys);
            let open: Vec<OpenRow> = sqlx::query_as(SELECT_OPEN_IN_SCOPE)
                .bind(&snapshot.scope)
                .bind(micros(snapshot.at))
                .fetch_all(&mut *$tx)
                .await?;
            let open: Vec<$crate::grant::Grant> = open.into_iter().map(Into::into).collect();
            let changes = snapshot_changes(snapshot, &open);
            let position = next_position.entry(*delivery_id).or_insert(0);
            let mut rows = Vec::with_capacity(changes.len());
            for change in &changes {
                rows.push((*delivery_id, *position, change));
                *position += 1;
            }
            for part in rows.chunks(work.rows_per_statement) {
                let insert = insert_changes(part);
                run!(work.dialect, insert => query.execute(&mut *$tx))?;
            }
            dirty.extend(changes.iter().map(|change| grant_key(&change.grant)));
        }
        let keys: Vec<String> = dirty.into_iter().collect();
        rebuild_intervals!($tx, work, keys);
    }};
}
pub(crate) use record_grants;

#[derive(sqlx::FromRow)]
struct IntervalRow {
    id: i64,
    #[sqlx(flatten)]
    grant: OpenRow,
    valid_from_us: Option<i64>,
    valid_to_us: Option<i64>,
}

impl Store {
    /// Grant intervals matching `filter`, by principal, resource, permission and start, at most
    /// `limit` of them.
    pub async fn grants(
        &self,
        filter: &GrantFilter,
        limit: i64,
    ) -> Result<Vec<GrantInterval>, StoreError> {
        let mut sql = Sql::new(
            "select id, scope, principal_kind, principal_id, principal_name, resource_kind, \
             resource_id, resource_name, permission, via, valid_from_us, valid_to_us \
             from grants where 1 = 1",
        );
        for (column, value) in [
            ("principal_id", &filter.principal),
            ("resource_id", &filter.resource),
            ("scope", &filter.scope),
        ] {
            if let Some(value) = value {
                let p = sql.arg(Arg::Text(value.clone()));
                sql.push(&format!(" and {column} = {p}"));
            }
        }
        if let Some(at) = filter.as_of {
            let p = sql.arg(Arg::I64(micros(at)));
            sql.push(&format!(
                " and (valid_from_us is null or valid_from_us <= {p}) \
                 and (valid_to_us is null or valid_to_us > {p})"
            ));
        }
        let p = sql.arg(Arg::I64(limit));
        sql.push(&format!(
            " order by principal_id, resource_id, permission, via, valid_from_us, id limit {p}"
        ));
        let rows: Vec<IntervalRow> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|row| {
                let time =
                    |us: Option<i64>| us.map(|us| from_micros("grants", row.id, us)).transpose();
                Ok(GrantInterval {
                    id: row.id,
                    valid_from: time(row.valid_from_us)?,
                    valid_to: time(row.valid_to_us)?,
                    grant: row.grant.into(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
