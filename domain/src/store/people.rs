//! People from the people import: written with the rest of a batch (`record_people!`), read
//! by e-mail or as a list.

use super::sql::{Arg, Sql};
use super::{on_engine, to_micros, Store, StoreError};
use crate::model::Source;
use crate::people::{Directory, Person, PersonAccount};
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

impl Store {
    /// People in e-mail order, from `after` (exclusive) on, at most `limit` (1..=1000), each
    /// with their accounts.
    pub async fn people(&self, after: Option<&str>, limit: i64) -> Result<Vec<Person>, StoreError> {
        let limit = limit.clamp(1, 1000);
        let rows: Vec<PersonRow> = on_engine!(self, pool => {
            sqlx::query_as(
                "select email, name, manager_email, department from people \
                 where email > $1 order by email limit $2",
            )
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        self.with_accounts(rows).await
    }

    /// One person by e-mail (any case).
    pub async fn person(&self, email: &str) -> Result<Option<Person>, StoreError> {
        let rows: Vec<PersonRow> = on_engine!(self, pool => {
            sqlx::query_as(
                "select email, name, manager_email, department from people where email = $1",
            )
            .bind(email.trim().to_lowercase())
            .fetch_all(pool)
            .await?
        });
        Ok(self.with_accounts(rows).await?.into_iter().next())
    }

    async fn with_accounts(&self, rows: Vec<PersonRow>) -> Result<Vec<Person>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let emails: Vec<String> = rows.iter().map(|r| r.email.clone()).collect();
        let mut sql =
            Sql::new("select email, source, account_id from person_accounts where email in ");
        sql.text_list(&emails).push(" order by source, account_id");
        let accounts: Vec<(String, String, String)> = on_engine!(self, pool => {
            super::sql::bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        let mut by_email: HashMap<String, Vec<PersonAccount>> = HashMap::new();
        for (email, source, account_id) in accounts {
            let source = source.parse::<Source>().map_err(|_| StoreError::Corrupt {
                table: "person_accounts",
                id: 0,
                reason: format!("unknown source {source:?}"),
            })?;
            by_email
                .entry(email)
                .or_default()
                .push(PersonAccount { source, account_id });
        }
        Ok(rows
            .into_iter()
            .map(|row| Person {
                accounts: by_email.remove(&row.email).unwrap_or_default(),
                email: row.email,
                name: row.name,
                manager_email: row.manager_email,
                department: row.department,
            })
            .collect())
    }
}
