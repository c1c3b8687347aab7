//! Attest's own audit log at rest (`audit_log`, migration 0012): each action is stored and
//! recorded in the ledger in one transaction.

use super::ledger::append_ledger_in;
use super::sql::{bind_all, like_escape, prefix_upper_bound, Arg, Sql};
use super::{from_micros, on_engine, Store, StoreError};
use crate::audit::{ActionFilter, ActionPage, ActionRecord, NewAction};

/// The most actions one page lists.
pub const MAX_PAGE: i64 = 500;

/// Inserts `$action` (a [`NewAction`]) into `audit_log` within the transaction `$tx`; gives its
/// id and the ledger entry to append in the same transaction. `$kind` is its
/// [`ledger_kind`].
macro_rules! insert_action_in {
    ($tx:expr, $action:expr, $kind:expr) => {{
        use $crate::store::ledger::{action_digest, action_subject, ActionFields, NewEntry};
        let action: &$crate::audit::NewAction = $action;
        let at_us = $crate::store::to_micros(action.at);
        let (id,): (i64,) = sqlx::query_as(
            "insert into audit_log (at_us, actor, role, action, target, detail, ip) \
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
        )
        .bind(at_us)
        .bind(&action.actor)
        .bind(&action.role)
        .bind(&action.action)
        .bind(&action.target)
        .bind(&action.detail)
        .bind(&action.ip)
        .fetch_one(&mut *$tx)
        .await?;
        let entry = NewEntry {
            kind: $kind,
            subject: action_subject(id),
            digest: action_digest(&ActionFields {
                at_us,
                actor: &action.actor,
                role: &action.role,
                action: &action.action,
                target: &action.target,
                detail: &action.detail,
                ip: &action.ip,
            }),
        };
        (id, entry)
    }};
}
pub(crate) use insert_action_in;

type ActionRow = (i64, i64, String, String, String, String, String, String);

impl Store {
    /// Stores `action` and its ledger entry together; returns its id.
    pub async fn record_action(&self, action: &NewAction) -> Result<i64, StoreError> {
        let dialect = self.dialect();
        let kind = ledger_kind(&action.action)?;
        let id: i64 = on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let (id, entry) = insert_action_in!(tx, action, kind);
            append_ledger_in!(tx, dialect, vec![entry]);
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Recorded actions matching `filter`, newest first, at most `limit` (1..=[`MAX_PAGE`]).
    pub async fn actions(
        &self,
        filter: &ActionFilter,
        limit: i64,
    ) -> Result<ActionPage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut sql = Sql::new(
            "select id, at_us, actor, role, action, target, detail, ip from audit_log where 1 = 1",
        );
        if let Some(before) = filter.before {
            sql.push(" and id < ");
            sql.push_arg(Arg::I64(before));
        }
        let actor = filter.actor.trim();
        if !actor.is_empty() {
            sql.push(" and actor = ");
            sql.push_arg(Arg::Text(actor.to_owned()));
        }
        let action = filter.action.trim();
        if let Some(prefix) = action.strip_suffix('*') {
            sql.push(" and action >= ");
            sql.push_arg(Arg::Text(prefix.to_owned()));
            if let Some(upper) = prefix_upper_bound(prefix) {
                sql.push(" and action < ");
                sql.push_arg(Arg::Text(upper));
            }
        } else if !action.is_empty() {
            sql.push(" and action = ");
            sql.push_arg(Arg::Text(action.to_owned()));
        }
        for word in filter.text.split_whitespace().take(8) {
            let pattern = format!("%{}%", like_escape(&word.to_lowercase()));
            sql.push(" and (lower(actor) like ");
            sql.push_arg(Arg::Text(pattern.clone()));
            sql.push(" escape '\\' or lower(target) like ");
            sql.push_arg(Arg::Text(pattern.clone()));
            sql.push(" escape '\\' or lower(detail) like ");
            sql.push_arg(Arg::Text(pattern));
            sql.push(" escape '\\')");
        }
        sql.push(" order by id desc limit ");
        sql.push_arg(Arg::I64(limit + 1));
        let mut rows: Vec<ActionRow> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let actions = rows
            .into_iter()
            .map(|(id, at_us, actor, role, action, target, detail, ip)| {
                Ok(ActionRecord {
                    id,
                    at: from_micros("audit_log", id, at_us)?,
                    actor,
                    role,
                    action,
                    target,
                    detail,
                    ip,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next_before = if more {
            actions.last().map(|a| a.id)
        } else {
            None
        };
        Ok(ActionPage {
            actions,
            next_before,
        })
    }
}

/// The ledger kind of an action: `action.<name>`. Entry kinds are `&'static str`, so only the
/// actions Attest knows can be recorded.
pub(crate) fn ledger_kind(action: &str) -> Result<&'static str, StoreError> {
    use crate::audit::actions::{
        EXPORT, HOOK_SECRET_CREATE, HOOK_SECRET_REVOKE, PERSON_LINK, PERSON_MERGE, PERSON_SPLIT,
        PERSON_UNLINK, SIGN_IN, SIGN_IN_REFUSED, SIGN_OUT, TOKEN_CREATE, TOKEN_REVOKE,
    };
    match action {
        SIGN_IN => Ok("action.signin"),
        SIGN_IN_REFUSED => Ok("action.signin.refused"),
        SIGN_OUT => Ok("action.signout"),
        PERSON_LINK => Ok("action.person.link"),
        PERSON_UNLINK => Ok("action.person.unlink"),
        PERSON_MERGE => Ok("action.person.merge"),
        PERSON_SPLIT => Ok("action.person.split"),
        TOKEN_CREATE => Ok("action.token.create"),
        TOKEN_REVOKE => Ok("action.token.revoke"),
        HOOK_SECRET_CREATE => Ok("action.hook_secret.create"),
        HOOK_SECRET_REVOKE => Ok("action.hook_secret.revoke"),
        EXPORT => Ok("action.export"),
        other => Err(StoreError::Invalid(format!(
            "{other:?} is not an action Attest records"
        ))),
    }
}
