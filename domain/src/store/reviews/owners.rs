//! Resource owners at rest (`resource_owners`): the rules of each import, replaced whole by the
//! next import of the same origin (the owners file, or one repository's CODEOWNERS).

use crate::review::owners::{Owner, OwnerRule};
use crate::store::{on_engine, to_micros, Store, StoreError};
use chrono::{DateTime, Utc};

/// The origin of the owners file's rules.
pub const OWNERS_FILE: &str = "owners";

/// The origin of one repository's CODEOWNERS rules: `codeowners:org/name`.
pub fn codeowners_origin(repo: &str) -> String {
    format!("codeowners:{}", repo.to_lowercase())
}

impl Store {
    /// Replaces the rules of `origin` with `rules`; gives how many are stored.
    pub async fn import_owners(
        &self,
        origin: &str,
        rules: &[OwnerRule],
        imported_by: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let dialect = self.dialect();
        on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            sqlx::query("delete from resource_owners where origin = $1")
                .bind(origin)
                .execute(&mut *tx)
                .await?;
            for (position, rule) in rules.iter().enumerate() {
                let owners: Vec<String> = rule.owners.iter().map(Owner::as_text).collect();
                sqlx::query(
                    "insert into resource_owners (origin, position, pattern, owners, note, \
                     imported_at_us, imported_by) values ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(origin)
                .bind(position as i64)
                .bind(&rule.pattern)
                .bind(owners.join(" "))
                .bind(&rule.note)
                .bind(to_micros(now))
                .bind(imported_by)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(rules.len())
    }

    /// Every owner rule, in precedence order (a later matching rule wins): the owners file's,
    /// then each repository's CODEOWNERS (which name only their own repository).
    pub async fn owner_rules(&self) -> Result<Vec<OwnerRule>, StoreError> {
        let rows: Vec<(i64, String, String, String)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select id, pattern, owners, note from resource_owners \
                 order by case when origin = 'owners' then 0 else 1 end, origin, position",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, pattern, owners, note)| {
                let owners = owners
                    .split_whitespace()
                    .map(Owner::parse)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|err| StoreError::Corrupt {
                        table: "resource_owners",
                        id,
                        reason: err.to_string(),
                    })?;
                Ok(OwnerRule {
                    pattern,
                    owners,
                    note,
                })
            })
            .collect()
    }
}
