//! People from the people import: written with the rest of a batch (`record_people!`), read
//! by e-mail or as a list.

use super::sql::{bind_all, like_escape, Arg, Sql};
use super::{from_micros, on_engine, to_micros, Store, StoreError};
use crate::model::Source;
use crate::people::{
    AccountOrigin, Directory, LinkAction, LinkEntry, LinkedAccount, Person, PersonAccount,
    PersonProfile,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Bound values per row of [`upsert_people`] and of [`upsert_accounts`].
pub(crate) const PERSON_ROW_VALUES: usize = 6;
pub(crate) const ACCOUNT_ROW_VALUES: usize = 4;

/// People by e-mail: a later import updates name, manager and department.
pub(crate) fn upsert_people(delivery_id: i64, directory: &Directory, people: &[Person]) -> Sql {
    let mut sql = Sql::new(
        "insert into people (email, name, manager_email, department, delivery_id, \
         updated_at_us) values ",
    );
    for (i, person) in people.iter().enumerate() {
        sql.row(
            i == 0,
            vec![
                Arg::Text(person.email.clone()),
                Arg::Text(person.name.clone()),
                Arg::OptText(person.manager_email.clone()),
                Arg::OptText(person.department.clone()),
                Arg::I64(delivery_id),
                Arg::I64(to_micros(directory.at)),
            ],
        );
    }
    sql.push(
        " on conflict (email) do update set name = excluded.name, \
         manager_email = excluded.manager_email, department = excluded.department, \
         delivery_id = excluded.delivery_id, updated_at_us = excluded.updated_at_us",
    );
    sql
}

/// Accounts, each moving to the person who names it now.
pub(crate) fn upsert_accounts(delivery_id: i64, accounts: &[(&str, &PersonAccount)]) -> Sql {
    let mut sql =
        Sql::new("insert into person_accounts (source, account_id, email, delivery_id) values ");
    for (i, (email, account)) in accounts.iter().enumerate() {
        sql.row(
            i == 0,
            vec![
                Arg::Text(account.source.as_str().to_owned()),
                Arg::Text(account.account_id.clone()),
                Arg::Text((*email).to_owned()),
                Arg::I64(delivery_id),
            ],
        );
    }
    sql.push(
        " on conflict (source, account_id) do update set email = excluded.email, \
         delivery_id = excluded.delivery_id",
    );
    sql
}

/// Writes the people imports of a batch inside `$tx`: each listed person is upserted and
/// their accounts replaced by the ones the file names. `$people` is `&[(delivery id,
/// &Directory)]`, `$dialect` the engine's [`Dialect`](super::sql::Dialect).
macro_rules! record_people {
    ($tx:expr, $dialect:expr, $people:expr) => {{
        use $crate::store::people::{
            upsert_accounts, upsert_people, ACCOUNT_ROW_VALUES, PERSON_ROW_VALUES,
        };
        use $crate::store::sql::{run, Sql};
        let dialect: $crate::store::sql::Dialect = $dialect;
        for (delivery_id, directory) in $people {
            for chunk in directory
                .people
                .chunks(dialect.rows_per_statement(PERSON_ROW_VALUES))
            {
                let upsert = upsert_people(*delivery_id, directory, chunk);
                run!(dialect, upsert => query.execute(&mut *$tx))?;
                let emails: Vec<String> = chunk.iter().map(|p| p.email.clone()).collect();
                let mut clear = Sql::new("delete from person_accounts where email in ");
                clear.text_list(&emails);
                run!(dialect, clear => query.execute(&mut *$tx))?;
                let accounts: Vec<(&str, &$crate::people::PersonAccount)> = chunk
                    .iter()
                    .flat_map(|p| p.accounts.iter().map(move |a| (p.email.as_str(), a)))
                    .collect();
                for part in accounts.chunks(dialect.rows_per_statement(ACCOUNT_ROW_VALUES)) {
                    let upsert = upsert_accounts(*delivery_id, part);
                    run!(dialect, upsert => query.execute(&mut *$tx))?;
                }
            }
        }
    }};
}
pub(crate) use record_people;

#[derive(sqlx::FromRow)]
struct PersonRow {
    email: String,
    name: String,
    manager_email: Option<String>,
    department: Option<String>,
}

/// A decision about who is who, as [`Store::link_account`] and the others take it.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    /// Who decides: the signed-in person's e-mail on the person page, `token:<name>` through
    /// the API, `cli:<user>` from the command line.
    pub actor: &'a str,
    /// The decider's role, for Attest's audit log (`cli` from the command line).
    pub role: &'a str,
    /// Where the decision came from (the client's address; empty from the command line).
    pub ip: &'a str,
    /// Why, in the decider's words; required.
    pub reason: &'a str,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct LogRow {
    id: i64,
    at_us: i64,
    actor: String,
    action: String,
    email: String,
    source: Option<String>,
    account_id: Option<String>,
    other_email: Option<String>,
    reason: String,
}

impl LogRow {
    fn into_entry(self) -> Result<LinkEntry, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            table: "person_link_log",
            id: self.id,
            reason,
        };
        let action = LinkAction::parse(&self.action)
            .ok_or_else(|| corrupt(format!("unknown action {:?}", self.action)))?;
        let account = match (&self.source, &self.account_id) {
            (Some(source), Some(account_id)) => Some(PersonAccount {
                source: parse_account_source("person_link_log", self.id, source)?,
                account_id: account_id.clone(),
            }),
            _ => None,
        };
        Ok(LinkEntry {
            id: self.id,
            at: from_micros("person_link_log", self.id, self.at_us)?,
            actor: self.actor,
            action,
            email: self.email,
            account,
            other_email: self.other_email,
            reason: self.reason,
        })
    }
}

const LOG_COLUMNS: &str =
    "id, at_us, actor, action, email, source, account_id, other_email, reason";

/// Decisions the person page lists, newest first.
const LOG_SHOWN: i64 = 500;

fn parse_account_source(table: &'static str, id: i64, text: &str) -> Result<Source, StoreError> {
    text.parse::<Source>().map_err(|_| StoreError::Corrupt {
        table,
        id,
        reason: format!("unknown source {text:?}"),
    })
}

/// An e-mail as people are keyed: trimmed, lower-cased.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A person's e-mail and the e-mails of everyone merged into them.
struct Merged {
    root: String,
    members: Vec<String>,
}

impl Store {
    /// People in e-mail order, from `after` (exclusive) on, at most `limit` (1..=1000), each
    /// with their accounts (see [`Store::person`]). With `query`, only those whose e-mail, name
    /// or an account the import lists for them contains it (any case).
    pub async fn people(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Person>, StoreError> {
        let limit = limit.clamp(1, 1000);
        let pattern = query
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| format!("%{}%", like_escape(&q.to_lowercase())));
        let mut sql =
            Sql::new("select email, name, manager_email, department from people where email > ");
        sql.push_arg(Arg::Text(after.unwrap_or("").to_owned()));
        if let Some(pattern) = pattern {
            sql.push(" and (email like ");
            sql.push_arg(Arg::Text(pattern.clone()));
            sql.push(" escape '\\' or lower(name) like ");
            sql.push_arg(Arg::Text(pattern.clone()));
            // Or one of the accounts the import lists for them.
            sql.push(
                " escape '\\' or email in (select pa.email from person_accounts pa \
                 where lower(pa.account_id) like ",
            );
            sql.push_arg(Arg::Text(pattern));
            sql.push(" escape '\\'))");
        }
        sql.push(" order by email limit ");
        sql.push_arg(Arg::I64(limit));
        let rows: Vec<PersonRow> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        let emails: Vec<String> = rows.iter().map(|r| r.email.clone()).collect();
        // Someone merged into another has no accounts of their own: they are listed under
        // the person they were merged into.
        let merged_away = self.merged_away(&emails).await?;
        let roots: Vec<String> = emails
            .into_iter()
            .filter(|e| !merged_away.contains(e))
            .collect();
        let merged = self.merged_into(&roots).await?;
        let mut accounts = self.accounts_of(&roots, &merged).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let (linked, _) = accounts.remove(&row.email).unwrap_or_default();
                row.into_person(linked)
            })
            .collect())
    }

    /// One person by e-mail (any case), with every account that counts as theirs: what the
    /// people import lists for them and for anyone merged into them, less what was unlinked by
    /// hand, plus what was linked by hand. An e-mail merged into another person gives that
    /// person.
    pub async fn person(&self, email: &str) -> Result<Option<Person>, StoreError> {
        let Some(merged) = self.resolve_person(email).await? else {
            return Ok(None);
        };
        let Some(row) = self.person_row(&merged.root).await? else {
            return Ok(None);
        };
        let (linked, _) = self.accounts_of_one(&merged).await?;
        Ok(Some(row.into_person(linked)))
    }

    /// Every e-mail that names the same human as `email` (it, the person it was merged into,
    /// and everyone merged into that one), and the accounts taken away from them by hand.
    pub(crate) async fn person_aliases(
        &self,
        email: &str,
    ) -> Result<Option<(Person, Vec<String>, Vec<PersonAccount>)>, StoreError> {
        let Some(merged) = self.resolve_person(email).await? else {
            return Ok(None);
        };
        let Some(row) = self.person_row(&merged.root).await? else {
            return Ok(None);
        };
        let (linked, taken_away) = self.accounts_of_one(&merged).await?;
        let mut emails = merged.members;
        emails.push(merged.root);
        Ok(Some((row.into_person(linked), emails, taken_away)))
    }

    /// The accounts of one person (with everyone merged into them) and those taken away.
    async fn accounts_of_one(
        &self,
        merged: &Merged,
    ) -> Result<(Vec<LinkedAccount>, Vec<PersonAccount>), StoreError> {
        let members = [(merged.root.clone(), merged.members.clone())]
            .into_iter()
            .collect();
        let mut accounts = self
            .accounts_of(std::slice::from_ref(&merged.root), &members)
            .await?;
        Ok(accounts.remove(&merged.root).unwrap_or_default())
    }

    /// A person for their page: what the import says, the accounts that count as theirs and
    /// why, and every decision about them. `None` when no import named the e-mail.
    pub async fn person_profile(&self, email: &str) -> Result<Option<PersonProfile>, StoreError> {
        let key = email_key(email);
        let Some(row) = self.person_row(&key).await? else {
            return Ok(None);
        };
        let Some(merged) = self.resolve_person(&key).await? else {
            return Ok(None);
        };
        if merged.root != key {
            // Merged into someone else: their page has the accounts; this one says where.
            let log = self.log_about(std::slice::from_ref(&key)).await?;
            return Ok(Some(PersonProfile {
                email: row.email,
                name: row.name,
                manager_email: row.manager_email,
                department: row.department,
                merged_into: Some(merged.root),
                merged: Vec::new(),
                reports: self.reports_of(&key).await?,
                accounts: Vec::new(),
                taken_away: Vec::new(),
                log,
            }));
        }
        self.profile_of(&merged).await
    }

    async fn profile_of(&self, merged: &Merged) -> Result<Option<PersonProfile>, StoreError> {
        let Some(row) = self.person_row(&merged.root).await? else {
            return Ok(None);
        };
        let (linked, taken_away) = self.accounts_of_one(merged).await?;
        let mut about = merged.members.clone();
        about.push(merged.root.clone());
        Ok(Some(PersonProfile {
            email: row.email,
            name: row.name,
            manager_email: row.manager_email,
            department: row.department,
            merged_into: None,
            merged: merged.members.clone(),
            reports: self.reports_of(&merged.root).await?,
            accounts: linked,
            taken_away,
            log: self.log_about(&about).await?,
        }))
    }

    async fn person_row(&self, email: &str) -> Result<Option<PersonRow>, StoreError> {
        Ok(on_engine!(self, pool => {
            sqlx::query_as(
                "select email, name, manager_email, department from people where email = $1",
            )
            .bind(email_key(email))
            .fetch_optional(pool)
            .await?
        }))
    }

    async fn reports_of(&self, email: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_engine!(self, pool => {
            sqlx::query_as("select email from people where manager_email = $1 order by email")
                .bind(email)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(email,)| email).collect())
    }

    /// The person `email` names (it, or the one it was merged into) and everyone merged into
    /// them; `None` when no import named the e-mail.
    async fn resolve_person(&self, email: &str) -> Result<Option<Merged>, StoreError> {
        let key = email_key(email);
        let into: Option<(String,)> = on_engine!(self, pool => {
            sqlx::query_as("select into_email from person_merges where email = $1")
                .bind(&key)
                .fetch_optional(pool)
                .await?
        });
        let root = into.map_or(key, |(into,)| into);
        if self.person_row(&root).await?.is_none() {
            return Ok(None);
        }
        let members = self
            .merged_into(std::slice::from_ref(&root))
            .await?
            .remove(&root)
            .unwrap_or_default();
        Ok(Some(Merged { root, members }))
    }

    /// Those of `emails` merged into someone else.
    async fn merged_away(
        &self,
        emails: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        if emails.is_empty() {
            return Ok(Default::default());
        }
        let mut sql = Sql::new("select email from person_merges where email in ");
        sql.text_list(emails);
        let rows: Vec<(String,)> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(|(email,)| email).collect())
    }

    /// For each of `roots`, the people merged into them.
    async fn merged_into(
        &self,
        roots: &[String],
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let mut merged: HashMap<String, Vec<String>> = HashMap::new();
        if roots.is_empty() {
            return Ok(merged);
        }
        let mut sql = Sql::new("select email, into_email from person_merges where into_email in ");
        sql.text_list(roots).push(" order by email");
        let rows: Vec<(String, String)> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        for (email, into) in rows {
            merged.entry(into).or_default().push(email);
        }
        Ok(merged)
    }

    /// For each of `roots` (people not merged into anyone), the accounts that count as theirs
    /// (with why) and the accounts the import gives them that were taken away by hand.
    async fn accounts_of(
        &self,
        roots: &[String],
        merged: &HashMap<String, Vec<String>>,
    ) -> Result<HashMap<String, (Vec<LinkedAccount>, Vec<PersonAccount>)>, StoreError> {
        let mut owner: HashMap<String, String> = HashMap::new();
        for root in roots {
            owner.insert(root.clone(), root.clone());
            for member in merged.get(root).into_iter().flatten() {
                owner.insert(member.clone(), root.clone());
            }
        }
        let mut out: HashMap<String, (Vec<LinkedAccount>, Vec<PersonAccount>)> = HashMap::new();
        if owner.is_empty() {
            return Ok(out);
        }
        let emails: Vec<String> = owner.keys().cloned().collect();
        // What the import lists, with any decision made about the same account since.
        let mut sql = Sql::new(
            "select pa.email, pa.source, pa.account_id, l.email, l.log_id \
             from person_accounts pa left join person_account_links l \
             on l.source = pa.source and l.account_id = pa.account_id where pa.email in ",
        );
        sql.text_list(&emails);
        type Imported = (String, String, String, Option<String>, Option<i64>);
        let imported: Vec<Imported> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        let mut sql = Sql::new(
            "select email, source, account_id, log_id from person_account_links where email in ",
        );
        sql.text_list(&emails);
        let linked: Vec<(String, String, String, i64)> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        for (email, source, account_id, decided_for, log_id) in imported {
            let Some(root) = owner.get(&email) else {
                continue;
            };
            let account = PersonAccount {
                source: parse_account_source("person_accounts", 0, &source)?,
                account_id,
            };
            let entry = out.entry(root.clone()).or_default();
            match log_id {
                None => entry.0.push(LinkedAccount {
                    account,
                    origin: AccountOrigin::Import { email },
                }),
                // Linked by hand to this same person: listed below as such.
                Some(_) if decided_for.as_ref().and_then(|e| owner.get(e)) == Some(root) => {}
                Some(_) => entry.1.push(account),
            }
        }
        for (email, source, account_id, log_id) in linked {
            let Some(root) = owner.get(&email) else {
                continue;
            };
            out.entry(root.clone()).or_default().0.push(LinkedAccount {
                account: PersonAccount {
                    source: parse_account_source("person_account_links", log_id, &source)?,
                    account_id,
                },
                origin: AccountOrigin::Linked { log_id },
            });
        }
        for (accounts, taken) in out.values_mut() {
            accounts.sort_by(|a, b| a.account.cmp(&b.account));
            accounts.dedup_by(|a, b| a.account == b.account);
            taken.sort();
        }
        Ok(out)
    }

    /// The decisions about any of `emails` (acted on, or merged in and split off), newest
    /// first.
    async fn log_about(&self, emails: &[String]) -> Result<Vec<LinkEntry>, StoreError> {
        let mut sql = Sql::new(&format!(
            "select {LOG_COLUMNS} from person_link_log where email in "
        ));
        sql.text_list(emails);
        sql.push(" or other_email in ").text_list(emails);
        sql.push(" order by id desc limit ");
        sql.push_arg(Arg::I64(LOG_SHOWN));
        let rows: Vec<LogRow> = on_engine!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        rows.into_iter().map(LogRow::into_entry).collect()
    }

    /// Links `account` to the person `email` by hand, taking it from whoever holds it (by
    /// import or by an earlier decision). Recorded.
    pub async fn link_account(
        &self,
        email: &str,
        account: &PersonAccount,
        decision: Decision<'_>,
    ) -> Result<LinkEntry, StoreError> {
        self.decide(LinkAction::Link, email, Some(account), None, decision)
            .await
    }

    /// Takes `account` away from the person `email` by hand: it then belongs to no one,
    /// whatever a later import says (until linked again). Recorded.
    pub async fn unlink_account(
        &self,
        email: &str,
        account: &PersonAccount,
        decision: Decision<'_>,
    ) -> Result<LinkEntry, StoreError> {
        self.decide(LinkAction::Unlink, email, Some(account), None, decision)
            .await
    }

    /// Merges the person `from` into the person `into`: the same human, whose accounts are
    /// walked together and who is found by either e-mail. Anyone merged into `from` moves to
    /// `into` with them. Recorded.
    pub async fn merge_people(
        &self,
        into: &str,
        from: &str,
        decision: Decision<'_>,
    ) -> Result<LinkEntry, StoreError> {
        self.decide(LinkAction::Merge, into, None, Some(from), decision)
            .await
    }

    /// Splits the person `from` off `into` again, undoing their merge. Recorded.
    pub async fn split_people(
        &self,
        into: &str,
        from: &str,
        decision: Decision<'_>,
    ) -> Result<LinkEntry, StoreError> {
        self.decide(LinkAction::Split, into, None, Some(from), decision)
            .await
    }

    /// Checks and records one decision, and applies it, in one transaction (decisions are
    /// taken one at a time: SQLite's immediate transaction, a table lock on Postgres).
    async fn decide(
        &self,
        action: LinkAction,
        email: &str,
        account: Option<&PersonAccount>,
        other: Option<&str>,
        decision: Decision<'_>,
    ) -> Result<LinkEntry, StoreError> {
        let email = email_key(email);
        let other = other.map(email_key);
        let reason = decision.reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                "reason: say why, for the record (it is kept with the decision)".to_owned(),
            ));
        }
        if let Some(account) = account {
            if account.account_id.trim().is_empty() {
                return Err(StoreError::Invalid("account id is empty".to_owned()));
            }
        }
        let account = account.map(|a| PersonAccount {
            source: a.source,
            account_id: a.account_id.trim().to_owned(),
        });
        let at_us = to_micros(decision.at);
        let begin = self.dialect().begin;
        let postgres = matches!(self, Store::Postgres(_));
        let (id, other_email) = on_engine!(self, pool => {
            let mut tx = pool.begin_with(begin).await?;
            if postgres {
                sqlx::query("lock table person_link_log in exclusive mode")
                    .execute(&mut *tx)
                    .await?;
            }
            // Every person named must exist and stand for themselves (not merged into
            // someone else), except where a split names who was merged.
            let mut named = vec![email.clone()];
            named.extend(other.clone());
            for person in &named {
                let found: Option<(String,)> =
                    sqlx::query_as("select email from people where email = $1")
                        .bind(person)
                        .fetch_optional(&mut *tx)
                        .await?;
                if found.is_none() {
                    return Err(StoreError::NotFound(format!(
                        "no person {person:?}: people come from `attest import people`"
                    )));
                }
            }
            let merged_into: Option<(String,)> =
                sqlx::query_as("select into_email from person_merges where email = $1")
                    .bind(&email)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((root,)) = merged_into {
                return Err(StoreError::Conflict(format!(
                    "{email} was merged into {root}: act on {root}"
                )));
            }
            let mut other_email = other.clone();
            match (action, &account, &other) {
                (LinkAction::Link | LinkAction::Unlink, Some(account), None) => {
                    let source = account.source.as_str();
                    let decided: Option<(Option<String>,)> = sqlx::query_as(
                        "select email from person_account_links where source = $1 \
                         and account_id = $2",
                    )
                    .bind(source)
                    .bind(&account.account_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let holder = match decided {
                        Some((holder,)) => holder,
                        None => {
                            let imported: Option<(String,)> = sqlx::query_as(
                                "select email from person_accounts where source = $1 \
                                 and account_id = $2",
                            )
                            .bind(source)
                            .bind(&account.account_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                            imported.map(|(e,)| e)
                        }
                    };
                    // Whose the account is now, through any merge.
                    let holder = match holder {
                        Some(holder) => {
                            let root: Option<(String,)> = sqlx::query_as(
                                "select into_email from person_merges where email = $1",
                            )
                            .bind(&holder)
                            .fetch_optional(&mut *tx)
                            .await?;
                            Some(root.map_or(holder, |(root,)| root))
                        }
                        None => None,
                    };
                    let theirs = holder.as_deref() == Some(email.as_str());
                    if action == LinkAction::Link && theirs {
                        return Err(StoreError::Conflict(format!(
                            "{} account {:?} is already {email}'s",
                            account.source, account.account_id
                        )));
                    }
                    if action == LinkAction::Unlink && !theirs {
                        return Err(StoreError::Conflict(format!(
                            "{} account {:?} is not {email}'s{}",
                            account.source,
                            account.account_id,
                            holder.map_or_else(
                                || " (it is no one's)".to_owned(),
                                |h| format!(" but {h}'s")
                            )
                        )));
                    }
                    if action == LinkAction::Link {
                        other_email = holder;
                    }
                }
                (LinkAction::Merge, None, Some(from)) => {
                    if *from == email {
                        return Err(StoreError::Invalid(
                            "a person cannot be merged into themselves".to_owned(),
                        ));
                    }
                    let already: Option<(String,)> =
                        sqlx::query_as("select into_email from person_merges where email = $1")
                            .bind(from)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if let Some((into,)) = already {
                        return Err(StoreError::Conflict(format!(
                            "{from} is already merged into {into}; split them first"
                        )));
                    }
                }
                (LinkAction::Split, None, Some(from)) => {
                    let merged: Option<(String,)> =
                        sqlx::query_as("select into_email from person_merges where email = $1")
                            .bind(from)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if merged.as_ref().map(|(into,)| into) != Some(&email) {
                        return Err(StoreError::Conflict(format!(
                            "{from} is not merged into {email}"
                        )));
                    }
                }
                _ => {
                    return Err(StoreError::Invalid(format!(
                        "{} takes {}",
                        action.as_str(),
                        if matches!(action, LinkAction::Link | LinkAction::Unlink) {
                            "an account"
                        } else {
                            "another person"
                        }
                    )))
                }
            }
            let (id,): (i64,) = sqlx::query_as(
                "insert into person_link_log (at_us, actor, action, email, source, account_id, \
                 other_email, reason) values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
            )
            .bind(at_us)
            .bind(decision.actor)
            .bind(action.as_str())
            .bind(&email)
            .bind(account.as_ref().map(|a| a.source.as_str()))
            .bind(account.as_ref().map(|a| a.account_id.as_str()))
            .bind(&other_email)
            .bind(reason)
            .fetch_one(&mut *tx)
            .await?;
            let source = account.as_ref().map(|a| a.source.as_str());
            let account_id = account.as_ref().map(|a| a.account_id.as_str());
            let recorded = vec![crate::store::ledger::NewEntry {
                kind: decision_kind(action),
                subject: crate::store::ledger::decision_subject(id),
                digest: crate::store::ledger::decision_digest(&crate::store::ledger::DecisionFields {
                    at_us,
                    actor: decision.actor,
                    action: action.as_str(),
                    email: &email,
                    source,
                    account_id,
                    other_email: other_email.as_deref(),
                    reason,
                }),
            }];
            match (action, &account, &other) {
                (LinkAction::Link | LinkAction::Unlink, Some(account), _) => {
                    let holder = (action == LinkAction::Link).then_some(&email);
                    sqlx::query(
                        "insert into person_account_links (source, account_id, email, log_id) \
                         values ($1, $2, $3, $4) on conflict (source, account_id) do update \
                         set email = excluded.email, log_id = excluded.log_id",
                    )
                    .bind(account.source.as_str())
                    .bind(&account.account_id)
                    .bind(holder)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                (LinkAction::Merge, _, Some(from)) => {
                    // Whoever was merged into `from` is now merged into `into`.
                    sqlx::query("update person_merges set into_email = $1 where into_email = $2")
                        .bind(&email)
                        .bind(from)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "insert into person_merges (email, into_email, log_id) values ($1, $2, $3)",
                    )
                    .bind(from)
                    .bind(&email)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                (LinkAction::Split, _, Some(from)) => {
                    sqlx::query("delete from person_merges where email = $1")
                        .bind(from)
                        .execute(&mut *tx)
                        .await?;
                }
                _ => {}
            }
            // Attest's audit log says who did it, as for any other action in Attest.
            let logged = audit_action(
                action,
                &decision,
                &email,
                account.as_ref(),
                other_email.as_deref(),
                id,
            );
            let (_, logged) = crate::store::actions::insert_action_in!(
                tx,
                &logged,
                crate::store::actions::ledger_kind(&logged.action)?
            );
            let mut recorded = recorded;
            recorded.push(logged);
            crate::store::ledger::append_ledger_in!(tx, self.dialect(), recorded);
            tx.commit().await?;
            (id, other_email)
        });
        Ok(LinkEntry {
            id,
            at: decision.at,
            actor: decision.actor.to_owned(),
            action,
            email,
            account,
            other_email,
            reason: reason.to_owned(),
        })
    }
}

/// The audit log's record of decision `id`.
fn audit_action(
    action: LinkAction,
    decision: &Decision<'_>,
    email: &str,
    account: Option<&PersonAccount>,
    other_email: Option<&str>,
    id: i64,
) -> crate::audit::NewAction {
    use crate::audit::actions::{PERSON_LINK, PERSON_MERGE, PERSON_SPLIT, PERSON_UNLINK};
    let other = other_email.unwrap_or("");
    let (name, what) = match (action, account) {
        (LinkAction::Link, Some(a)) if other.is_empty() => (
            PERSON_LINK,
            format!("linked {} account {}", a.source, a.account_id),
        ),
        (LinkAction::Link, Some(a)) => (
            PERSON_LINK,
            format!(
                "linked {} account {} (taken from {other})",
                a.source, a.account_id
            ),
        ),
        (LinkAction::Unlink, Some(a)) => (
            PERSON_UNLINK,
            format!("unlinked {} account {}", a.source, a.account_id),
        ),
        (LinkAction::Merge, _) => (PERSON_MERGE, format!("merged {other} in")),
        (LinkAction::Split, _) => (PERSON_SPLIT, format!("split {other} off")),
        (LinkAction::Link | LinkAction::Unlink, None) => (PERSON_LINK, String::new()),
    };
    crate::audit::NewAction {
        at: decision.at,
        actor: decision.actor.to_owned(),
        role: decision.role.to_owned(),
        action: name.to_owned(),
        target: email.to_owned(),
        detail: format!("#{id} {what}: {}", decision.reason.trim()),
        ip: decision.ip.to_owned(),
    }
}

/// The ledger kind of a decision by hand: `person.link`, `person.merge`, ….
fn decision_kind(action: LinkAction) -> &'static str {
    match action {
        LinkAction::Link => "person.link",
        LinkAction::Unlink => "person.unlink",
        LinkAction::Merge => "person.merge",
        LinkAction::Split => "person.split",
    }
}

impl PersonRow {
    fn into_person(self, accounts: Vec<LinkedAccount>) -> Person {
        Person {
            email: self.email,
            name: self.name,
            manager_email: self.manager_email,
            department: self.department,
            accounts: accounts.into_iter().map(|a| a.account).collect(),
        }
    }
}
