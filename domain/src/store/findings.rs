//! The findings at an instant: the latest stored snapshot of each kind per AWS account at or
//! before it, read again with the policy evaluator, and the GitHub grants held at it.
//!
//! Snapshots are read from the inbox (their raw bodies), not from the grants they left: the
//! grants say who holds which policy, but only the documents say what a policy allows.

use super::grants::OpenRow;
use super::{from_micros, on_engine, to_micros, Store, StoreError};
use crate::access::findings::github::{self, StoredGrant};
use crate::access::findings::{self, aws, FindingsReport, SnapshotUsed};
use crate::normalize::aws::{AUTHORIZATION_DETAILS, CREDENTIAL_REPORT};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    id: i64,
    kind: String,
    received_at_us: i64,
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: i64,
    #[sqlx(flatten)]
    grant: OpenRow,
    valid_from_us: Option<i64>,
    delivery_id: Option<i64>,
}

/// The permissions the GitHub checks look at; the (scope, permission) index serves the
/// lookup, so only these grants are read, not every member's.
const GITHUB_PERMISSIONS: &str = "('admin', 'Admin', 'outside_collaborator', 'write', 'maintain')";

impl Store {
    /// Every finding at `at`, most severe first.
    pub async fn findings(&self, at: DateTime<Utc>) -> Result<FindingsReport, StoreError> {
        let mut found = Vec::new();
        let mut snapshots = Vec::new();
        // Newest first, so the first of each (kind, account) is the latest. An export that was
        // ignored (filtered) or failed never stood for its account, so only normalized ones.
        // The (source, status, received_at_us) index serves this. Which account a body is of
        // is only known by reading it, so every export up to `at` is parsed once per call:
        // fine for daily imports over months, a cache of (delivery, account) once it is not.
        let rows: Vec<SnapshotRow> = on_engine!(self, pool => {
            sqlx::query_as(
                "select id, kind, received_at_us from deliveries \
                 where source = 'aws' and kind in ($1, $2) and status = 'normalized' \
                 and received_at_us <= $3 order by received_at_us desc, id desc",
            )
            .bind(AUTHORIZATION_DETAILS)
            .bind(CREDENTIAL_REPORT)
            .bind(to_micros(at))
            .fetch_all(pool)
            .await?
        });
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for row in rows {
            let received_at = from_micros("deliveries", row.id, row.received_at_us)?;
            let Some(body) = self.delivery_body(row.id).await? else {
                continue;
            };
            // It was normalized from these bytes, so failing to read them now means the row
            // or this version's reader changed: say which row rather than skip it silently.
            let corrupt = |err: crate::normalize::NormalizeError| StoreError::Corrupt {
                table: "deliveries",
                id: row.id,
                reason: format!("the {} cannot be read again: {err}", row.kind),
            };
            let (account, mut of_snapshot) = if row.kind == AUTHORIZATION_DETAILS {
                let export = aws::Export::parse(&body).map_err(corrupt)?;
                if seen.contains(&(row.kind.clone(), export.account.clone())) {
                    continue;
                }
                let list = export.findings(row.id, received_at).map_err(corrupt)?;
                (export.account, list)
            } else {
                aws::credential_report(&body, row.id, received_at).map_err(corrupt)?
            };
            if !seen.insert((row.kind.clone(), account.clone())) {
                continue;
            }
            found.append(&mut of_snapshot);
            snapshots.push(SnapshotUsed {
                scope: format!("aws:account:{account}"),
                kind: row.kind,
                delivery_id: row.id,
                received_at,
            });
        }
        found.extend(github::findings(&self.github_grants_at(at).await?));
        findings::sort(&mut found);
        snapshots.sort();
        Ok(FindingsReport {
            at,
            findings: found,
            snapshots,
        })
    }

    /// The GitHub grants held at `at` that the checks look at, each with the delivery whose
    /// fact opened it.
    async fn github_grants_at(&self, at: DateTime<Utc>) -> Result<Vec<StoredGrant>, StoreError> {
        // `scope >= 'github:' and scope < 'github;'` is the prefix `github:` as a range, which
        // an index on scope serves in both engines (`like` does not, in general).
        let sql = format!(
            "select g.id, g.scope, g.principal_kind, g.principal_id, g.principal_name, \
             g.resource_kind, g.resource_id, g.resource_name, g.permission, g.via, \
             g.valid_from_us, c.delivery_id \
             from grants g left join grant_changes c on c.id = g.opened_by \
             where g.scope >= 'github:' and g.scope < 'github;' \
             and g.permission in {GITHUB_PERMISSIONS} \
             and (g.valid_from_us is null or g.valid_from_us <= $1) \
             and (g.valid_to_us is null or g.valid_to_us > $1) order by g.id"
        );
        let rows: Vec<GrantRow> = on_engine!(self, pool => {
            sqlx::query_as(&sql).bind(to_micros(at)).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|row| {
                let since = row
                    .valid_from_us
                    .map(|us| from_micros("grants", row.id, us))
                    .transpose()?;
                Ok(StoredGrant {
                    id: row.id,
                    grant: row.grant.into(),
                    since,
                    delivery_id: row.delivery_id,
                })
            })
            .collect()
    }
}
