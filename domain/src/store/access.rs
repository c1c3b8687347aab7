//! Effective access from the stored grant intervals: the walks of [`crate::access::graph`]
//! fed one level at a time with the grants held at an instant, and what a person types
//! (a login, an e-mail, an ARN, `org/repo`) resolved to the ids the grants use.

use super::grants::{micros, OpenRow};
use super::sql::{bind_all, Arg, Sql};
use super::{from_micros, on_engine, to_micros, Store, StoreError};
use crate::access::graph::{
    containers_of, Backward, Forward, HeldGrant, Holder, Reach, ADMIN_PERMISSIONS, SCOPE_KINDS,
};
use crate::grant::{Containment, GrantChange, GrantOp};
use crate::grant::{Principal, Resource};
use chrono::{DateTime, Utc};

/// Ids per `in (...)` list: well under both engines' limits on bound values.
const IDS_PER_STATEMENT: usize = 500;

/// A team, group, org or role with more holders than this has them counted, not listed.
pub const LIST_MEMBERS_UP_TO: i64 = 200;

/// "Who can reach this" lists the members of the teams, groups and roles on its way up,
/// smallest first, while the holders listed stay within this many; the members of the rest are
/// counted on their row, to be listed by asking about that team. A repository that 50 teams of
/// 90 reach reads as its teams and collaborators with counts, not as 4,500 names.
pub const LIST_HOLDERS_UP_TO: i64 = 1_000;

/// Answer rows at most: a principal who reaches more (an org member with a base permission on
/// every one of 50,000 repositories) gets the first this many, with `truncated` set.
pub const MAX_ROWS: usize = 5_000;

#[derive(sqlx::FromRow)]
struct HeldRow {
    id: i64,
    #[sqlx(flatten)]
    grant: OpenRow,
    valid_from_us: Option<i64>,
}

impl HeldRow {
    fn into_held(self) -> Result<HeldGrant, StoreError> {
        let since = self
            .valid_from_us
            .map(|us| from_micros("grants", self.id, us))
            .transpose()?;
        Ok(HeldGrant {
            grant: self.grant.into(),
            since,
        })
    }
}

const SELECT_HELD: &str = "select id, scope, principal_kind, principal_id, principal_name, \
    resource_kind, resource_id, resource_name, permission, via, valid_from_us from grants where ";

/// `(valid_from_us is null or valid_from_us <= $n) and (valid_to_us is null or valid_to_us > $n)`
fn held_at(sql: &mut Sql, at: DateTime<Utc>) {
    let p = sql.arg(Arg::I64(micros(at)));
    sql.push(&format!(
        " and (valid_from_us is null or valid_from_us <= {p}) \
         and (valid_to_us is null or valid_to_us > {p})"
    ));
}

/// What a principal can reach at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessOf {
    pub rows: Vec<Reach>,
    /// More rows than [`MAX_ROWS`] were found; the first are given.
    pub truncated: bool,
}

/// Who can reach a resource at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessTo {
    pub rows: Vec<Holder>,
    pub truncated: bool,
}

/// Whose grant history [`Store::grant_changes`] reads.
#[derive(Debug, Clone, Copy)]
pub enum ChangesOf<'a> {
    /// Every grant's: the changes recorded last.
    Anything,
    /// Grants held by these principals (the accounts of one person, or one account).
    Principals(&'a [String]),
    /// Grants held on this resource.
    Resource(&'a str),
}

#[derive(sqlx::FromRow)]
struct RecentRow {
    id: i64,
    at_us: i64,
    #[sqlx(flatten)]
    grant: OpenRow,
    op: String,
    evidence: String,
}

/// Containers above a resource followed at most: GCP nests folders 10 deep under the
/// organization; Azure management groups 6 under the root.
const MAX_CONTAINERS: usize = 16;

/// Azure's root scope, as grants name it.
const AZURE_ROOT: &str = "azure:scope:/";

pub(crate) const PARENT_ROW_VALUES: usize = 4;

/// Resource listings' containment (one row per child): each child moves to the parent its
/// latest listing names.
pub(crate) fn upsert_parents(rows: &[(i64, &Containment)]) -> Sql {
    let mut sql = Sql::new(
        "insert into resource_parents (child_id, parent_id, delivery_id, updated_at_us) values ",
    );
    for (i, (delivery_id, c)) in rows.iter().enumerate() {
        sql.row(
            i == 0,
            vec![
                Arg::Text(c.child.clone()),
                Arg::Text(c.parent.clone()),
                Arg::I64(*delivery_id),
                Arg::I64(to_micros(c.at)),
            ],
        );
    }
    sql.push(
        " on conflict (child_id) do update set parent_id = excluded.parent_id, \
         delivery_id = excluded.delivery_id, updated_at_us = excluded.updated_at_us",
    );
    sql
}

impl Store {
    /// The grant changes recorded last (gained and lost access, as sources stated them),
    /// newest record first: where the access page starts when it is asked nothing.
    pub async fn recent_grant_changes(&self, limit: i64) -> Result<Vec<GrantChange>, StoreError> {
        self.grant_changes(ChangesOf::Anything, limit).await
    }

    /// The history of grants of some principals or on one resource: every change recorded,
    /// newest first (by when it happened, then by when it was recorded). Open-ended removals
    /// (`*` for "whatever was held") are left out: the intervals they closed are what counts.
    pub async fn grant_changes(
        &self,
        of: ChangesOf<'_>,
        limit: i64,
    ) -> Result<Vec<GrantChange>, StoreError> {
        let mut sql = Sql::new(
            "select id, at_us, scope, principal_kind, principal_id, principal_name, \
             resource_kind, resource_id, resource_name, permission, via, op, evidence \
             from grant_changes where principal_id <> '*' and resource_id <> '*'",
        );
        let order = match of {
            ChangesOf::Anything => " order by id desc",
            ChangesOf::Principals(ids) => {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                // One person's accounts are a handful; a list past the engines' limit on bound
                // values reads the history of its first accounts.
                let ids = &ids[..ids.len().min(IDS_PER_STATEMENT)];
                sql.push(" and principal_id in ").text_list(ids);
                " order by at_us desc, id desc"
            }
            ChangesOf::Resource(id) => {
                let p = sql.arg(Arg::Text(id.to_owned()));
                sql.push(&format!(" and resource_id = {p}"));
                " order by at_us desc, id desc"
            }
        };
        let p = sql.arg(Arg::I64(limit.clamp(1, 500)));
        sql.push(&format!("{order} limit {p}"));
        let rows: Vec<RecentRow> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|row| {
                let op = GrantOp::parse(&row.op).ok_or_else(|| StoreError::Corrupt {
                    table: "grant_changes",
                    id: row.id,
                    reason: format!("unknown op {:?}", row.op),
                })?;
                Ok(GrantChange {
                    at: from_micros("grant_changes", row.id, row.at_us)?,
                    grant: row.grant.into(),
                    op,
                    evidence: row.evidence,
                })
            })
            .collect()
    }

    /// Grants held at `at` whose `column` (`principal_id` or `resource_id`) is one of `ids`.
    async fn held(
        &self,
        column: &str,
        ids: &[String],
        at: DateTime<Utc>,
    ) -> Result<Vec<HeldGrant>, StoreError> {
        let mut held = Vec::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut sql = Sql::new(SELECT_HELD);
            sql.push(column).push(" in ").text_list(chunk);
            held_at(&mut sql, at);
            let rows: Vec<HeldRow> = on_engine!(self, pool => {
                bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
            });
            for row in rows {
                held.push(row.into_held()?);
            }
        }
        Ok(held)
    }

    /// How many grants held at `at` are held on each of `ids` (those with none are left out).
    async fn holder_counts(
        &self,
        ids: &[String],
        at: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut counts = Vec::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut sql =
                Sql::new("select resource_id, count(*) from grants where resource_id in ");
            sql.text_list(chunk);
            held_at(&mut sql, at);
            sql.push(" group by resource_id");
            let rows: Vec<(String, i64)> = on_engine!(self, pool => {
                bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
            });
            counts.extend(rows);
        }
        Ok(counts)
    }

    /// Everything the principals `ids` (the accounts of one person, or one account) can reach
    /// at `at`, each with its paths.
    pub async fn access_of(
        &self,
        ids: &[String],
        at: DateTime<Utc>,
    ) -> Result<AccessOf, StoreError> {
        let mut walk = Forward::new(ids);
        while !walk.frontier().is_empty() {
            let level = self.held("principal_id", walk.frontier(), at).await?;
            walk.absorb(level);
        }
        let mut rows = walk.finish();
        let truncated = rows.len() > MAX_ROWS;
        rows.truncate(MAX_ROWS);
        Ok(AccessOf { rows, truncated })
    }

    /// Everyone who can reach the resource `id` at `at`, each with their paths, and the admins
    /// of its org or account. Members of teams and groups on the way up are listed within
    /// [`LIST_HOLDERS_UP_TO`] (and [`LIST_MEMBERS_UP_TO`] per team); beyond, a team's row
    /// counts them in `members_not_listed`.
    pub async fn access_to(&self, id: &str, at: DateTime<Utc>) -> Result<AccessTo, StoreError> {
        let mut walk = Backward::within(id, self.containers(id).await?);
        while !walk.frontier().is_empty() {
            if walk.above_first_level() {
                // Members of the smallest first, within the budget; the rest counted.
                let mut counts = self.holder_counts(walk.frontier(), at).await?;
                counts.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
                let mut listed = walk.listed() as i64;
                for (id, count) in counts {
                    if count > LIST_MEMBERS_UP_TO || listed + count > LIST_HOLDERS_UP_TO {
                        walk.collapse(&id, u64::try_from(count).unwrap_or(0));
                    } else {
                        listed += count;
                    }
                }
            }
            let level = self.held("resource_id", walk.frontier(), at).await?;
            walk.absorb(level);
        }
        if !walk.scopes().is_empty() {
            let admins = self.scope_admins(walk.scopes(), at).await?;
            walk.absorb_admins(admins);
        }
        let mut rows = walk.finish();
        let truncated = rows.len() > MAX_ROWS;
        rows.truncate(MAX_ROWS);
        Ok(AccessTo { rows, truncated })
    }

    /// The resources that contain `id`, nearest first: those its id shows
    /// ([`containers_of`]), then, from the outermost of those (or `id` itself), the chain of
    /// parents resource listings gave (a project's folders and organization). The chain is
    /// today's: listings are not kept per instant.
    pub async fn containers(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let mut containers = containers_of(id);
        // Azure's root `/` is above everything, management groups included: they go below it.
        let root = (containers.last().map(String::as_str) == Some(AZURE_ROOT))
            .then(|| containers.pop())
            .flatten();
        let mut top = containers.last().cloned().unwrap_or_else(|| id.to_owned());
        while containers.len() < MAX_CONTAINERS {
            let parent: Option<(String,)> = on_engine!(self, pool => {
                sqlx::query_as("select parent_id from resource_parents where child_id = $1")
                    .bind(&top)
                    .fetch_optional(pool)
                    .await?
            });
            match parent {
                // A cycle in the listings (a folder moved under its own child between two
                // reads) ends the chain.
                Some((parent,)) if parent != id && !containers.contains(&parent) => {
                    containers.push(parent.clone());
                    top = parent;
                }
                _ => break,
            }
        }
        containers.retain(|c| c != AZURE_ROOT);
        containers.extend(root);
        Ok(containers)
    }

    /// The grants held at `at` in `scopes` that make someone admin of everything there.
    async fn scope_admins(
        &self,
        scopes: &[String],
        at: DateTime<Utc>,
    ) -> Result<Vec<HeldGrant>, StoreError> {
        let mut sql = Sql::new(SELECT_HELD);
        sql.push("scope in ").text_list(scopes);
        // Each permission as written and capitalized, so the (scope, permission) index serves
        // the lookup; `is_admin_of_everything` has the last word.
        let mut permissions: Vec<String> = Vec::new();
        for admin in ADMIN_PERMISSIONS {
            let mut capitalized = admin.to_owned();
            capitalized[..1].make_ascii_uppercase();
            permissions.extend([admin.to_owned(), capitalized]);
        }
        let kinds: Vec<String> = SCOPE_KINDS.iter().map(|k| k.to_string()).collect();
        sql.push(" and permission in ").text_list(&permissions);
        sql.push(" and resource_kind in ").text_list(&kinds);
        held_at(&mut sql, at);
        let rows: Vec<HeldRow> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        rows.into_iter().map(HeldRow::into_held).collect()
    }

    /// The principals `text` names: an id as grants store it (`github:user:583231`), an ARN,
    /// a login or name (any case), or a person's e-mail (every account that counts as theirs,
    /// and accounts named by their e-mails: see [`Store::person`]).
    pub async fn find_principals(&self, text: &str) -> Result<Vec<Principal>, StoreError> {
        let text = text.trim();
        let mut names = vec![text.to_lowercase()];
        let mut taken_away = Vec::new();
        if text.contains('@') {
            if let Some((person, emails, taken)) = self.person_aliases(text).await? {
                names.extend(emails);
                names.extend(person.accounts.iter().map(|a| a.account_id.to_lowercase()));
                taken_away = taken.iter().map(|a| a.account_id.to_lowercase()).collect();
            }
        }
        names.sort();
        names.dedup();
        let found = self.find_named("principal", text, &names).await?;
        // An account unlinked from the person by hand is not theirs, even where it is named
        // by one of their e-mails.
        Ok(found
            .into_iter()
            .filter(|(_, id, name)| {
                !taken_away.contains(&name.to_lowercase())
                    && !taken_away.contains(&id.to_lowercase())
            })
            .map(|(kind, id, name)| Principal { kind, id, name })
            .collect())
    }

    /// The resources `text` names: an id as grants store it, an ARN, or a name (`org/repo`,
    /// a team, a role; any case).
    pub async fn find_resources(&self, text: &str) -> Result<Vec<Resource>, StoreError> {
        let text = text.trim();
        let found = self
            .find_named("resource", text, &[text.to_lowercase()])
            .await?;
        Ok(found
            .into_iter()
            .map(|(kind, id, name)| Resource { kind, id, name })
            .collect())
    }

    /// (kind, id, name) of every `side` (`principal` or `resource`) of a grant whose id is
    /// `text` (or `aws:` and the ARN `text`) or whose lower-cased name is one of `names`.
    async fn find_named(
        &self,
        side: &str,
        text: &str,
        names: &[String],
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids = vec![text.to_owned()];
        if text.starts_with("arn:") {
            ids.push(format!("aws:{text}"));
        }
        let mut sql = Sql::new(&format!(
            "select distinct {side}_kind, {side}_id, {side}_name from grants where {side}_id in "
        ));
        sql.text_list(&ids);
        sql.push(&format!(" or lower({side}_name) in "))
            .text_list(names);
        sql.push(&format!(" order by {side}_id"));
        Ok(on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        }))
    }
}
