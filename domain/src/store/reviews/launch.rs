//! Launching a campaign: the grants in scope at that instant are frozen into review items, each
//! with its holder, the evidence of its real use, a recommendation and a reviewer, and the
//! round is recorded in the ledger with the hash of that population.

use super::{
    population_hash, round_digest, round_subject, FrozenGrant, RoundFields, ROUND_LAUNCHED,
};
use crate::grant::Grant;
use crate::model::Source;
use crate::people::Person;
use crate::review::owners::{owners_of, Owner, OwnerRule};
use crate::review::{
    audit_source, is_privileged, recommend, source_of, CampaignDefinition, Recommendation,
    ReviewerRule, Stage, Usage,
};
use crate::store::grants::OpenRow;
use crate::store::ledger::{append_ledger_in, NewEntry};
use crate::store::sql::{bind_all, Arg, Sql};
use crate::store::{from_micros, is_unique_violation, on_engine, to_micros, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Grants one round may freeze: past this the campaign's scope is too wide to review.
pub const MAX_POPULATION: i64 = 50_000;

/// An open grant as launch reads it.
#[derive(sqlx::FromRow)]
struct OpenGrant {
    id: i64,
    grant_key: String,
    #[sqlx(flatten)]
    grant: OpenRow,
    valid_from_us: Option<i64>,
    evidence: Option<String>,
}

/// One item about to be stored.
pub(crate) struct NewItem {
    pub grant_id: i64,
    pub grant_key: String,
    pub grant: Grant,
    pub granted_at_us: Option<i64>,
    pub granted_how: String,
    pub privileged: bool,
    pub holder: Option<Person>,
    pub usage: Usage,
    pub recommendation: Recommendation,
    pub reviewer: Option<String>,
    pub reviewer_rule: &'static str,
}

/// What reviewer routing needs, loaded once per launch.
pub(crate) struct Directory {
    /// People by lower-cased e-mail and by each account id (lower-cased).
    by_key: HashMap<String, Person>,
    rules: Vec<OwnerRule>,
    /// Team maintainers by lower-cased team name, filled as teams are asked about.
    maintainers: HashMap<String, Vec<String>>,
    logs_since: HashMap<Source, Option<DateTime<Utc>>>,
}

impl Directory {
    /// The person behind a principal: by its name, or its id's last part, as an account or an
    /// e-mail of theirs.
    pub(crate) fn holder(&self, grant: &Grant) -> Option<&Person> {
        if !matches!(grant.principal.kind.as_str(), "user" | "service_account") {
            return None;
        }
        native_ids(&grant.principal.id)
            .into_iter()
            .chain([grant.principal.name.clone()])
            .find_map(|key| self.by_key.get(&key.to_lowercase()))
    }
}

/// An id as grants store it and the forms events write it in: `aws:arn:…` → `arn:…`, and the
/// part after the last `:` (`github:repo:42` → `42`, `gcp:user:a@b.c` → `a@b.c`).
pub(crate) fn native_ids(id: &str) -> Vec<String> {
    let mut out = vec![id.to_owned()];
    if let Some(arn) = id.strip_prefix("aws:") {
        out.push(arn.to_owned());
    }
    if let Some((_, last)) = id.rsplit_once(':') {
        if !last.is_empty() {
            out.push(last.to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Store {
    /// Launches a campaign: freezes the grants in its scope at `now` into a new round (stage
    /// 1, due after the campaign's duration), recorded in the ledger with the population's
    /// hash. `planned_for` is the scheduler's slot (a slot launches once: a second launch of
    /// it is a conflict); by hand it is `now`. Plans the next launch by the recurrence,
    /// skipping slots missed while Attest was down.
    pub async fn launch_campaign(
        &self,
        campaign_id: i64,
        planned_for: Option<DateTime<Utc>>,
        launched_by: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let campaign = self
            .campaign(campaign_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no campaign {campaign_id}")))?;
        let definition = campaign.definition;
        let planned = planned_for.unwrap_or(now);
        let items = self.population(&definition, now).await?;
        let due = now + chrono::Duration::days(i64::from(definition.duration_days));
        let name = format!(
            "{} · {}",
            definition.name.trim(),
            planned.format("%Y-%m-%d")
        );
        let json = serde_json::to_string(&definition)
            .map_err(|err| StoreError::Invalid(format!("definition: {err}")))?;
        let mut frozen: Vec<FrozenGrant<'_>> = items
            .iter()
            .map(|item| FrozenGrant {
                grant_id: item.grant_id,
                grant_key: &item.grant_key,
                grant: &item.grant,
                granted_at_us: item.granted_at_us,
            })
            .collect();
        let hash = hex::encode(population_hash(&mut frozen));
        let population = items.len() as i64;
        let (launched_at_us, planned_us, due_us) =
            (to_micros(now), to_micros(planned), to_micros(due));
        let next = definition
            .recurrence
            .next_due_after(planned, now)
            .map(to_micros);
        let dialect = self.dialect();
        let round_id: i64 = on_engine!(self, pool => {
            let mut tx = pool.begin_with(dialect.begin).await?;
            let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
                "insert into review_rounds (campaign_id, name, definition, planned_for_us, \
                 launched_at_us, launched_by, stage, stage_due_at_us, status, population, \
                 population_hash) values ($1, $2, $3, $4, $5, $6, 1, $7, 'open', $8, $9) \
                 returning id",
            )
            .bind(campaign_id)
            .bind(&name)
            .bind(&json)
            .bind(planned_us)
            .bind(launched_at_us)
            .bind(launched_by)
            .bind(due_us)
            .bind(population)
            .bind(&hash)
            .fetch_one(&mut *tx)
            .await;
            let round_id = match inserted {
                Ok((id,)) => id,
                Err(err) if is_unique_violation(&err) => {
                    return Err(StoreError::Conflict(format!(
                        "campaign {campaign_id} was already launched for {}",
                        planned.to_rfc3339()
                    )))
                }
                Err(err) => return Err(err.into()),
            };
            for item in &items {
                let mut sql = Sql::new(INSERT_ITEM);
                sql.row(true, item_args(round_id, "launch", item, launched_at_us, 1, due_us));
                bind_all!(sqlx::query(&sql.text), &sql.args)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("update campaigns set next_launch_at_us = $1 where id = $2")
                .bind(next)
                .bind(campaign_id)
                .execute(&mut *tx)
                .await?;
            let entry = NewEntry {
                kind: ROUND_LAUNCHED,
                subject: round_subject(round_id),
                digest: round_digest(&RoundFields {
                    campaign_id,
                    name: &name,
                    definition: &json,
                    planned_for_us: planned_us,
                    launched_at_us,
                    launched_by,
                    population,
                    population_hash: &hash,
                }),
            };
            append_ledger_in!(tx, dialect, vec![entry]);
            tx.commit().await?;
            round_id
        });
        Ok(round_id)
    }

    /// Launches every campaign whose next launch is due at `now`, once each (a campaign due
    /// several times over while Attest was down is launched once, and planned from now on).
    pub async fn launch_due_campaigns(&self, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        let due: Vec<(i64, i64)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select id, next_launch_at_us from campaigns \
                 where next_launch_at_us is not null and next_launch_at_us <= $1 order by id",
            )
            .bind(to_micros(now))
            .fetch_all(pool)
            .await?
        });
        let mut launched = Vec::new();
        for (id, slot_us) in due {
            let slot = from_micros("campaigns", id, slot_us)?;
            match self.launch_campaign(id, Some(slot), "scheduler", now).await {
                Ok(round) => launched.push(round),
                // Another process launched this slot first.
                Err(StoreError::Conflict(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(launched)
    }

    /// The items a launch of `definition` at `now` freezes.
    pub(crate) async fn population(
        &self,
        definition: &CampaignDefinition,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewItem>, StoreError> {
        let rows: Vec<OpenGrant> = on_engine!(self, pool => {
            sqlx::query_as(
                "select g.id, g.grant_key, g.scope, g.principal_kind, g.principal_id, \
                 g.principal_name, g.resource_kind, g.resource_id, g.resource_name, \
                 g.permission, g.via, g.valid_from_us, c.evidence \
                 from grants g left join grant_changes c on c.id = g.opened_by \
                 where (g.valid_from_us is null or g.valid_from_us <= $1) \
                 and (g.valid_to_us is null or g.valid_to_us > $1) \
                 and g.permission <> 'child_of' \
                 order by g.resource_name, g.principal_name, g.id limit $2",
            )
            .bind(to_micros(now))
            .bind(MAX_POPULATION + 1)
            .fetch_all(pool)
            .await?
        });
        if rows.len() as i64 > MAX_POPULATION {
            return Err(StoreError::Invalid(format!(
                "more than {MAX_POPULATION} grants are held: narrow the campaign's scope"
            )));
        }
        let mut directory = self.directory().await?;
        let stage = definition.stages.first().cloned().unwrap_or(Stage {
            reviewer: ReviewerRule::Manager,
            named: Vec::new(),
            advance: Vec::new(),
        });
        let mut items = Vec::new();
        for row in rows {
            let grant = Grant::from(row.grant.clone());
            let since = row
                .valid_from_us
                .map(|us| from_micros("grants", row.id, us))
                .transpose()?;
            if !definition.scope.matches(&grant, since) {
                continue;
            }
            let holder = directory.holder(&grant).cloned();
            let usage = self.usage(&grant, holder.as_ref(), &mut directory).await?;
            if !definition.scope.wants_unused(usage.last_used_at, now) {
                continue;
            }
            let recommendation = recommend(since, &usage, now);
            let privileged = is_privileged(&grant);
            let (reviewer, reviewer_rule) = self
                .choose_reviewer(definition, &stage, &grant, holder.as_ref(), &mut directory)
                .await?;
            items.push(NewItem {
                grant_id: row.id,
                grant_key: row.grant_key,
                granted_at_us: row.valid_from_us,
                granted_how: row.evidence.unwrap_or_default(),
                privileged,
                holder,
                usage,
                recommendation,
                reviewer,
                reviewer_rule,
                grant,
            });
        }
        Ok(items)
    }

    /// Everyone in the people import, the owner rules, and nothing else yet.
    pub(crate) async fn directory(&self) -> Result<Directory, StoreError> {
        let mut by_key = HashMap::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.people(None, after.as_deref(), 1000).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.email.clone());
            for person in page {
                for account in &person.accounts {
                    by_key
                        .entry(account.account_id.to_lowercase())
                        .or_insert_with(|| person.clone());
                }
                by_key.insert(person.email.to_lowercase(), person);
            }
        }
        Ok(Directory {
            by_key,
            rules: self.owner_rules().await?,
            maintainers: HashMap::new(),
            logs_since: HashMap::new(),
        })
    }

    /// The reviewer of `grant` in `stage`, and the rule that chose them: the stage's rule,
    /// then the fallback reviewer, then the holder's manager; never the holder.
    pub(crate) async fn choose_reviewer(
        &self,
        definition: &CampaignDefinition,
        stage: &Stage,
        grant: &Grant,
        holder: Option<&Person>,
        directory: &mut Directory,
    ) -> Result<(Option<String>, &'static str), StoreError> {
        let mut candidates: Vec<(String, &'static str)> = Vec::new();
        match stage.reviewer {
            ReviewerRule::Manager => {
                if let Some(manager) = holder.and_then(|h| h.manager_email.clone()) {
                    candidates.push((manager, "manager"));
                }
            }
            ReviewerRule::ResourceOwner => {
                for owner in self.owners(grant, directory).await? {
                    candidates.push((owner, "resource_owner"));
                }
            }
            ReviewerRule::Named => {
                candidates.extend(stage.named.iter().map(|e| (e.clone(), "named")));
            }
            ReviewerRule::Holder => {
                if !is_privileged(grant) || definition.self_review_of_privileged {
                    if let Some(holder) = holder {
                        candidates.push((holder.email.clone(), "holder"));
                    }
                }
            }
        }
        candidates.push((definition.fallback_reviewer.clone(), "fallback"));
        if let Some(manager) = holder.and_then(|h| h.manager_email.clone()) {
            candidates.push((manager, "manager"));
        }
        let holder_email = holder.map(|h| h.email.to_lowercase());
        let self_allowed = stage.reviewer == ReviewerRule::Holder;
        Ok(candidates
            .into_iter()
            .map(|(email, rule)| (email.trim().to_lowercase(), rule))
            .find(|(email, rule)| {
                !email.is_empty()
                    && (Some(email) != holder_email.as_ref() || (self_allowed && *rule == "holder"))
            })
            .map_or((None, "unassigned"), |(email, rule)| (Some(email), rule)))
    }

    /// The owners of a grant's resource, as e-mails: the last matching owner rule (owners
    /// file or CODEOWNERS), and for a team, its maintainers.
    async fn owners(
        &self,
        grant: &Grant,
        directory: &mut Directory,
    ) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        let named: Vec<Owner> = owners_of(&directory.rules, &grant.resource.name).to_vec();
        for owner in named {
            match owner {
                Owner::Email(email) => out.push(email),
                Owner::GithubLogin(login) => {
                    if let Some(person) = directory.by_key.get(&login.to_lowercase()) {
                        out.push(person.email.clone());
                    }
                }
                Owner::Team(team) => out.extend(self.maintainers(&team, directory).await?),
            }
        }
        if grant.resource.kind == "team" {
            out.extend(self.maintainers(&grant.resource.name, directory).await?);
        }
        Ok(out)
    }

    /// The people who maintain the team named `team` (`org/slug` or `slug`), by e-mail.
    async fn maintainers(
        &self,
        team: &str,
        directory: &mut Directory,
    ) -> Result<Vec<String>, StoreError> {
        let key = team.to_lowercase();
        if let Some(found) = directory.maintainers.get(&key) {
            return Ok(found.clone());
        }
        let slug = key.rsplit('/').next().unwrap_or(&key).to_owned();
        let rows: Vec<(String, String, String)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select principal_id, principal_name, resource_name from grants \
                 where resource_kind = 'team' and permission = 'maintainer' \
                 and valid_to_us is null",
            )
            .fetch_all(pool)
            .await?
        });
        let mut found = Vec::new();
        for (id, name, resource) in rows {
            let resource = resource.to_lowercase();
            if resource == key || resource == slug || resource.ends_with(&format!("/{slug}")) {
                let person = native_ids(&id)
                    .into_iter()
                    .chain([name])
                    .find_map(|k| directory.by_key.get(&k.to_lowercase()));
                if let Some(person) = person {
                    found.push(person.email.clone());
                }
            }
        }
        directory.maintainers.insert(key, found.clone());
        Ok(found)
    }

    /// The holder's last recorded use of a grant: an event by them on the resource, else in
    /// the grant's org, account or project.
    async fn usage(
        &self,
        grant: &Grant,
        holder: Option<&Person>,
        directory: &mut Directory,
    ) -> Result<Usage, StoreError> {
        let source = source_of(grant).map(audit_source);
        let logs_since = match source {
            Some(source) => match directory.logs_since.get(&source) {
                Some(since) => *since,
                None => {
                    let since = self.first_event_of(source).await?;
                    directory.logs_since.insert(source, since);
                    since
                }
            },
            None => None,
        };
        let mut names = vec![grant.principal.name.clone()];
        if let Some(person) = holder {
            names.push(person.email.clone());
            names.extend(person.accounts.iter().map(|a| a.account_id.clone()));
        }
        let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
        names.extend(lower);
        names.sort();
        names.dedup();
        let ids = native_ids(&grant.principal.id);
        let mut resource_ids = native_ids(&grant.resource.id);
        resource_ids.push(grant.resource.name.clone());
        let scope_ids = native_ids(&grant.scope);
        let actor = |sql: &mut Sql| {
            sql.push(" (e.actor_name in ").text_list(&names);
            sql.push(" or e.actor_id in ").text_list(&ids);
            sql.push(")");
        };
        let mut on_resource =
            Sql::new("select e.id, e.occurred_at_us, e.summary from events e where");
        actor(&mut on_resource);
        on_resource
            .push(" and (e.scope_id in ")
            .text_list(&resource_ids);
        on_resource
            .push(" or e.scope_name in ")
            .text_list(&resource_ids);
        on_resource.push(
            " or exists (select 1 from event_targets t where t.event_id = e.id and \
             (t.target_id in ",
        );
        on_resource.text_list(&resource_ids);
        on_resource.push(" or t.name in ").text_list(&resource_ids);
        on_resource.push("))) order by e.occurred_at_us desc, e.id desc limit 1");
        let mut in_scope = Sql::new("select e.id, e.occurred_at_us, e.summary from events e where");
        actor(&mut in_scope);
        in_scope.push(" and (e.scope_id in ").text_list(&scope_ids);
        in_scope.push(" or e.scope_name in ").text_list(&scope_ids);
        in_scope.push(") order by e.occurred_at_us desc, e.id desc limit 1");
        for (sql, on) in [(on_resource, true), (in_scope, false)] {
            let found: Option<(i64, i64, String)> = on_engine!(self, pool => {
                bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_optional(pool).await?
            });
            if let Some((id, at_us, summary)) = found {
                return Ok(Usage {
                    last_used_at: Some(from_micros("events", id, at_us)?),
                    event_id: Some(id),
                    what: summary,
                    on_resource: on,
                    logs_since,
                });
            }
        }
        Ok(Usage {
            logs_since,
            ..Usage::default()
        })
    }

    /// When the oldest event Attest holds from `source` happened.
    async fn first_event_of(&self, source: Source) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row: Option<(i64, i64)> = on_engine!(self, pool => {
            sqlx::query_as(
                "select id, occurred_at_us from events where source = $1 \
                 order by occurred_at_us, id limit 1",
            )
            .bind(source.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(|(id, us)| from_micros("events", id, us))
            .transpose()
    }
}

/// The insert of review items, before its rows: [`item_args`] gives a row's values.
pub(crate) const INSERT_ITEM: &str = "insert into review_items (round_id, origin, grant_id, \
    grant_key, frozen_at_us, scope, principal_kind, principal_id, principal_name, resource_kind, \
    resource_id, resource_name, permission, via, granted_at_us, granted_how, privileged, \
    holder_email, holder_name, holder_department, holder_manager, last_used_at_us, \
    last_used_event_id, usage_what, usage_on_resource, logs_since_us, recommendation, \
    recommendation_reason, stage, reviewer, reviewer_rule, due_at_us) values ";

/// The values of one `review_items` row, in the insert's column order.
pub(crate) fn item_args(
    round_id: i64,
    origin: &str,
    item: &NewItem,
    frozen_us: i64,
    stage: i64,
    due_us: i64,
) -> Vec<Arg> {
    let g = &item.grant;
    let holder = item.holder.as_ref();
    vec![
        Arg::I64(round_id),
        Arg::Text(origin.to_owned()),
        Arg::I64(item.grant_id),
        Arg::Text(item.grant_key.clone()),
        Arg::I64(frozen_us),
        Arg::Text(g.scope.clone()),
        Arg::Text(g.principal.kind.clone()),
        Arg::Text(g.principal.id.clone()),
        Arg::Text(g.principal.name.clone()),
        Arg::Text(g.resource.kind.clone()),
        Arg::Text(g.resource.id.clone()),
        Arg::Text(g.resource.name.clone()),
        Arg::Text(g.permission.clone()),
        Arg::Text(g.via.clone()),
        Arg::OptI64(item.granted_at_us),
        Arg::Text(item.granted_how.clone()),
        Arg::I64(i64::from(item.privileged)),
        Arg::OptText(holder.map(|h| h.email.to_lowercase())),
        Arg::OptText(holder.map(|h| h.name.clone())),
        Arg::OptText(holder.and_then(|h| h.department.clone())),
        Arg::OptText(holder.and_then(|h| h.manager_email.clone())),
        Arg::OptI64(item.usage.last_used_at.map(to_micros)),
        Arg::OptI64(item.usage.event_id),
        Arg::Text(item.usage.what.clone()),
        Arg::I64(i64::from(item.usage.on_resource)),
        Arg::OptI64(item.usage.logs_since.map(to_micros)),
        Arg::Text(item.recommendation.decision.as_str().to_owned()),
        Arg::Text(item.recommendation.reason.clone()),
        Arg::I64(stage),
        Arg::OptText(item.reviewer.clone()),
        Arg::Text(item.reviewer_rule.to_owned()),
        Arg::I64(due_us),
    ]
}
