//! The UI's server functions (under `/_fn/`, apart from the JSON API's `/api/v1/`) and the shapes
//! they return. During server rendering they run in-process; after hydration the browser calls
//! them over HTTP. Each reads the `Store` the server put in the Leptos context.

pub mod reviews;

use crate::error::AppError;
use crate::query::TimelineQuery;
use chrono::{DateTime, NaiveDate, Utc};
use domain::model::{DeliverySummary, Event, IngestHealth, Outcome, Source, Target};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Events per timeline page.
pub const PAGE_SIZE: i64 = 50;
/// Days the activity chart shows when the filters name no period.
pub const DEFAULT_CHART_DAYS: u64 = 30;

/// One timeline row: what the table shows, nothing more (the hydration payload stays small).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub source: Source,
    pub actor: String,
    pub action: String,
    pub targets: Vec<Target>,
    pub summary: String,
    pub outcome: Outcome,
    pub error: Option<String>,
}

impl From<Event> for EventRow {
    fn from(event: Event) -> Self {
        EventRow {
            id: event.id,
            occurred_at: event.occurred_at,
            source: event.source,
            actor: event.actor.name,
            action: event.action,
            targets: event.targets,
            summary: event.summary,
            outcome: event.outcome,
            error: event.error,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventList {
    pub rows: Vec<EventRow>,
    /// The cursor of the next (older) page, when there is one.
    pub next_cursor: Option<String>,
}

/// The activity chart, drawn on the server, and the period it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityChart {
    pub svg: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// True when the asked period was longer than one chart holds and was cut to its end.
    pub clipped: bool,
}

/// One event for its page: the normalized fields, the delivery it came from, and the JSON
/// pretty-printed on the server (so browser and server show the very same text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    /// The event, with `details` moved into `details_json`.
    pub event: Event,
    pub details_json: String,
    pub delivery: DeliverySummary,
    pub raw_json: String,
}

/// The access page's question, as typed: `who` (a principal) or `what` (a resource), and the
/// UTC day `at` (empty: now).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccessQuery {
    pub who: String,
    pub what: String,
    pub at: String,
}

impl AccessQuery {
    /// Reads the question from a page's query parameters, trimming blanks.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> AccessQuery {
        let read = |key: &str| get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
        AccessQuery {
            who: read("who"),
            what: read("what"),
            at: read("at"),
        }
    }

    /// The permalink of this question on `path` (`/access`, `/access/graph`).
    pub fn href(&self, path: &str) -> String {
        let parts: Vec<String> = [("who", &self.who), ("what", &self.what), ("at", &self.at)]
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| format!("{key}={}", crate::query::encode(value)))
            .collect();
        if parts.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", parts.join("&"))
        }
    }
}

/// Nodes whose own answers the graph page draws at most, and nodes it folds at most: a URL
/// naming more keeps the first.
pub const MAX_EXPANDED: usize = 8;
pub const MAX_FOLDED: usize = 32;

/// The graph page's question: the access question, and what the reader opened or folded
/// while exploring it. Every state is a URL, so exploring works without wasm and can be shared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GraphQuery {
    pub question: AccessQuery,
    /// Nodes whose own answers are drawn too: what each holds and who holds it.
    pub expand: Vec<String>,
    /// Nodes whose one-edge neighbours are folded into a count on them.
    pub fold: Vec<String>,
}

impl GraphQuery {
    /// Reads the question and the repeated `expand` and `fold` parameters.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
        get_all: impl Fn(&str) -> Vec<String>,
    ) -> GraphQuery {
        let ids = |key: &str, max: usize| {
            let mut ids: Vec<String> = Vec::new();
            for id in get_all(key) {
                let id = id.trim().to_owned();
                if !id.is_empty() && !ids.contains(&id) && ids.len() < max {
                    ids.push(id);
                }
            }
            ids
        };
        GraphQuery {
            question: AccessQuery::from_lookup(get),
            expand: ids("expand", MAX_EXPANDED),
            fold: ids("fold", MAX_FOLDED),
        }
    }

    /// The permalink of this state of the graph page.
    pub fn href(&self) -> String {
        let mut href = self.question.href("/access/graph");
        let mut separator = if href.contains('?') { '&' } else { '?' };
        for (key, ids) in [("expand", &self.expand), ("fold", &self.fold)] {
            for id in ids {
                href.push(separator);
                href.push_str(&format!("{key}={}", crate::query::encode(id)));
                separator = '&';
            }
        }
        href
    }

    /// The same picture with `id`'s own answers drawn too (and unfolded).
    pub fn expanding(&self, id: &str) -> GraphQuery {
        let mut next = self.unfolding(id);
        if !next.expand.iter().any(|e| e == id) && next.expand.len() < MAX_EXPANDED {
            next.expand.push(id.to_owned());
        }
        next
    }

    /// The same picture without `id`'s own answers.
    pub fn collapsing(&self, id: &str) -> GraphQuery {
        let mut next = self.clone();
        next.expand.retain(|e| e != id);
        next
    }

    /// The same picture with `id`'s one-edge neighbours folded into it.
    pub fn folding(&self, id: &str) -> GraphQuery {
        let mut next = self.collapsing(id);
        if !next.fold.iter().any(|f| f == id) && next.fold.len() < MAX_FOLDED {
            next.fold.push(id.to_owned());
        }
        next
    }

    /// The same picture with `id`'s neighbours drawn again.
    pub fn unfolding(&self, id: &str) -> GraphQuery {
        let mut next = self.clone();
        next.fold.retain(|f| f != id);
        next
    }
}

/// The access page's answer: rows of what was reached, or of who reaches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessView {
    /// `None`: now.
    pub at: Option<DateTime<Utc>>,
    /// The names the question matched (several accounts of one person, or one resource).
    pub matched: Vec<String>,
    /// The person the question named by e-mail, when it did: (e-mail, name).
    pub person: Option<(String, String)>,
    pub reaches: Option<Vec<domain::access::graph::Reach>>,
    pub holders: Option<Vec<domain::access::graph::Holder>>,
    pub truncated: bool,
    /// The grants gained and lost by the accounts, or on the resource: newest first, at most
    /// [`HISTORY_ROWS`], whatever the date asked about.
    pub history: Vec<domain::grant::GrantChange>,
    /// The latest events by the accounts, or naming the resource, newest first.
    pub activity: Vec<EventRow>,
    /// Timeline filters that show all of that activity: one per account name, or the resource.
    pub activity_queries: Vec<crate::query::TimelineQuery>,
}

/// The access page's answer drawn as a graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessGraph {
    /// `None`: now.
    pub at: Option<DateTime<Utc>>,
    /// The names the question matched.
    pub matched: Vec<String>,
    pub picture: domain::access::picture::Picture,
    /// The walk found more rows than it keeps: the picture is of the first.
    pub truncated: bool,
}

/// Grant changes shown on an access answer.
pub const HISTORY_ROWS: i64 = 50;

/// Events shown on an access answer; the timeline has the rest.
pub const ACTIVITY_ROWS: i64 = 10;

/// The findings page's question: one kind (empty: every kind) and a UTC day `at` (empty: now).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FindingsQuery {
    pub kind: String,
    pub at: String,
}

// Each server function hands its result to `answer`, which sets the HTTP status its error calls
// for: a page rendered on the server, or a call from the browser, both get a 400 or 404 or 500.
// Each runs its work only for the role `crate::auth::server_fn_needs` names for its endpoint
// (`as_role`): the guard checked it for calls over HTTP, this checks calls made in-process.

#[server(prefix = "/_fn", endpoint = "list_events", input = leptos::server_fn::codec::Json)]
pub async fn list_events(query: TimelineQuery) -> Result<EventList, AppError> {
    answer(as_role("list_events", imp::list_events(query)).await)
}

/// `None` when there is no event with this id.
#[server(prefix = "/_fn", endpoint = "get_event", input = leptos::server_fn::codec::Json)]
pub async fn get_event(id: i64) -> Result<Option<EventView>, AppError> {
    answer(as_role("get_event", imp::get_event(id)).await)
}

/// Deliveries per source and the 50 most recent failures.
#[server(prefix = "/_fn", endpoint = "get_ingest_health", input = leptos::server_fn::codec::Json)]
pub async fn get_ingest_health() -> Result<IngestHealth, AppError> {
    answer(as_role("get_ingest_health", imp::get_ingest_health()).await)
}

/// Events per day and source over the filter's period (`since`/`until`, UTC days), or the last
/// 30 days when it names none.
#[server(prefix = "/_fn", endpoint = "get_activity_chart", input = leptos::server_fn::codec::Json)]
pub async fn get_activity_chart(since: String, until: String) -> Result<ActivityChart, AppError> {
    answer(as_role("get_activity_chart", imp::get_activity_chart(since, until)).await)
}

/// The last 20 grant changes recorded, newest first.
#[server(prefix = "/_fn", endpoint = "list_recent_grant_changes", input = leptos::server_fn::codec::Json)]
pub async fn list_recent_grant_changes() -> Result<Vec<domain::grant::GrantChange>, AppError> {
    answer(
        as_role(
            "list_recent_grant_changes",
            imp::list_recent_grant_changes(),
        )
        .await,
    )
}

/// Effective access with paths; `None` when the question names nobody and nothing.
#[server(prefix = "/_fn", endpoint = "get_access", input = leptos::server_fn::codec::Json)]
pub async fn get_access(query: AccessQuery) -> Result<Option<AccessView>, AppError> {
    answer(as_role("get_access", imp::get_access(query)).await)
}

/// The access question's answer as a laid-out graph; `None` when nothing is asked.
#[server(prefix = "/_fn", endpoint = "get_access_graph", input = leptos::server_fn::codec::Json)]
pub async fn get_access_graph(query: GraphQuery) -> Result<Option<AccessGraph>, AppError> {
    answer(as_role("get_access_graph", imp::get_access_graph(query)).await)
}

/// The findings at the query's day (or now), of its kind when it names one.
#[server(prefix = "/_fn", endpoint = "list_findings", input = leptos::server_fn::codec::Json)]
pub async fn list_findings(
    query: FindingsQuery,
) -> Result<domain::access::findings::FindingsReport, AppError> {
    answer(as_role("list_findings", imp::list_findings(query)).await)
}

/// People per page of the people list.
pub const PEOPLE_PAGE: i64 = 100;

/// A page of the people list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeopleList {
    pub people: Vec<domain::people::Person>,
    /// The e-mail the next page starts after, when there is one.
    pub next_after: Option<String>,
}

/// People in e-mail order whose e-mail or name contains `q`, after `after`.
#[server(prefix = "/_fn", endpoint = "list_people", input = leptos::server_fn::codec::Json)]
pub async fn list_people(q: String, after: String) -> Result<PeopleList, AppError> {
    answer(as_role("list_people", imp::list_people(q, after)).await)
}

/// One person for their page; `None` when no people import names the e-mail.
#[server(prefix = "/_fn", endpoint = "get_person", input = leptos::server_fn::codec::Json)]
pub async fn get_person(email: String) -> Result<Option<domain::people::PersonProfile>, AppError> {
    answer(as_role("get_person", imp::get_person(email)).await)
}

/// A correction by hand of who is who, from the forms of the person page: `decision` is
/// `link` or `unlink` (with `source` and `account_id`), or `merge` or `split` (with `person`,
/// the other person's e-mail). Recorded with the signed-in admin's e-mail and the reason.
/// Posted by a plain form, so it also works without JavaScript.
#[server(prefix = "/_fn", endpoint = "decide_person")]
pub async fn decide_person(
    email: String,
    decision: String,
    #[server(default)] source: String,
    #[server(default)] account_id: String,
    #[server(default)] person: String,
    reason: String,
) -> Result<domain::people::LinkEntry, AppError> {
    let correction = PersonCorrection {
        email,
        decision,
        source,
        account_id,
        person,
        reason,
    };
    answer(as_role("decide_person", imp::decide_person(correction)).await)
}

/// The fields of [`decide_person`], as its forms post them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonCorrection {
    pub email: String,
    pub decision: String,
    pub source: String,
    pub account_id: String,
    pub person: String,
    pub reason: String,
}

/// An API token as the tokens page lists it (never the token itself: only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub name: String,
    pub role: domain::model::Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// A token just created: shown once, then only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub name: String,
    pub role: domain::model::Role,
    pub token: String,
}

/// The tokens page: every token, and the one just created by a plain form (without
/// JavaScript), which is shown on this one reading of the page and never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensPage {
    pub tokens: Vec<TokenView>,
    pub just_created: Option<CreatedToken>,
}

/// The API tokens, active first, newest first.
#[server(prefix = "/_fn", endpoint = "list_tokens", input = leptos::server_fn::codec::Json)]
pub async fn list_tokens() -> Result<TokensPage, AppError> {
    answer(as_role("list_tokens", imp::list_tokens()).await)
}

/// Creates an API token with `role` for the API (`Authorization: Bearer …`). Posted by a plain
/// form, so it also works without JavaScript.
#[server(prefix = "/_fn", endpoint = "create_token")]
pub async fn create_token(name: String, role: String) -> Result<CreatedToken, AppError> {
    answer(as_role("create_token", imp::create_token(name, role)).await)
}

/// Revokes the API token `name`: it stops working at once.
#[server(prefix = "/_fn", endpoint = "revoke_token")]
pub async fn revoke_token(name: String) -> Result<String, AppError> {
    answer(as_role("revoke_token", imp::revoke_token(name)).await)
}

/// A webhook secret as the webhooks page lists it (never the secret: it is derived when
/// needed from the secrets key, which stays outside the database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookSecretView {
    pub name: String,
    pub endpoint: domain::model::HookEndpoint,
    /// The start of its SHA-256, to tell it apart from others.
    pub fingerprint: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A webhook secret just made: shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedHookSecret {
    pub name: String,
    pub endpoint: domain::model::HookEndpoint,
    pub secret: String,
}

/// Per endpoint, how many secrets come from the settings (flags, environment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSettings {
    pub endpoint: domain::model::HookEndpoint,
    pub from_settings: usize,
}

/// The webhooks page: the managed secrets, the settings' count per endpoint, whether secrets
/// can be made here (a secrets key is set), and the one just made by a plain form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookSecretsPage {
    pub secrets: Vec<HookSecretView>,
    pub endpoints: Vec<EndpointSettings>,
    pub can_make: bool,
    pub just_created: Option<CreatedHookSecret>,
}

/// The webhook secrets, live first.
#[server(prefix = "/_fn", endpoint = "list_hook_secrets", input = leptos::server_fn::codec::Json)]
pub async fn list_hook_secrets() -> Result<HookSecretsPage, AppError> {
    answer(as_role("list_hook_secrets", imp::list_hook_secrets()).await)
}

/// Makes a webhook secret for `endpoint`, accepted at once; shown once.
#[server(prefix = "/_fn", endpoint = "create_hook_secret")]
pub async fn create_hook_secret(
    endpoint: String,
    name: String,
) -> Result<CreatedHookSecret, AppError> {
    answer(
        as_role(
            "create_hook_secret",
            imp::create_hook_secret(endpoint, name),
        )
        .await,
    )
}

/// Revokes the webhook secret `name`: its endpoint stops accepting it at once.
#[server(prefix = "/_fn", endpoint = "revoke_hook_secret")]
pub async fn revoke_hook_secret(name: String) -> Result<String, AppError> {
    answer(as_role("revoke_hook_secret", imp::revoke_hook_secret(name)).await)
}

/// Who is signed in, if anyone.
#[server(prefix = "/_fn", endpoint = "get_signed_in", input = leptos::server_fn::codec::Json)]
pub async fn get_signed_in() -> Result<Option<crate::auth::SignedIn>, AppError> {
    Ok(crate::auth::signed_in())
}

/// What the sign-in page offers: the provider, and the personas of demo mode.
#[server(prefix = "/_fn", endpoint = "get_signin_options", input = leptos::server_fn::codec::Json)]
pub async fn get_signin_options() -> Result<crate::auth::SigninOptions, AppError> {
    Ok(use_context::<crate::auth::SigninOptions>().unwrap_or_default())
}

/// Actions per page of the audit log.
pub const ACTIONS_PAGE: i64 = 100;

/// Attest's own audit log: a page of recorded actions, newest first.
#[server(prefix = "/_fn", endpoint = "list_actions", input = leptos::server_fn::codec::Json)]
pub async fn list_actions(
    filter: domain::audit::ActionFilter,
) -> Result<domain::audit::ActionPage, AppError> {
    answer(as_role("list_actions", imp::list_actions(filter)).await)
}

#[cfg(feature = "ssr")]
use crate::error::ssr::answer;

/// `work`'s answer if the signed-in person has the role the server function `endpoint` needs,
/// else the refusal (without starting it).
#[cfg(feature = "ssr")]
async fn as_role<T>(
    endpoint: &str,
    work: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    crate::auth::require(crate::auth::server_fn_needs(endpoint))?;
    work.await
}

/// What the server functions do, on the server.
#[cfg(feature = "ssr")]
mod imp {
    use super::{
        AccessGraph, AccessQuery, AccessView, ActivityChart, EventList, EventRow, EventView,
        FindingsQuery, GraphQuery, PeopleList, ACTIVITY_ROWS, DEFAULT_CHART_DAYS, HISTORY_ROWS,
        MAX_EXPANDED, MAX_FOLDED, PAGE_SIZE, PEOPLE_PAGE,
    };
    use crate::error::ssr::{internal, store};
    use crate::error::AppError;
    use crate::query::{start_of, TimelineQuery};
    use chrono::{Days, NaiveDate, Utc};
    use domain::model::{ConfiguredSources, IngestHealth};
    use domain::store::access::ChangesOf;

    pub async fn list_actions(
        filter: domain::audit::ActionFilter,
    ) -> Result<domain::audit::ActionPage, AppError> {
        Ok(store()?.actions(&filter, super::ACTIONS_PAGE).await?)
    }

    pub async fn list_events(query: TimelineQuery) -> Result<EventList, AppError> {
        let filter = query
            .to_filter()
            .map_err(|problems| AppError::BadRequest(problems.join(" ")))?;
        let cursor = Some(query.cursor.as_str()).filter(|c| !c.is_empty());
        let page = store()?.list_events(&filter, cursor, PAGE_SIZE).await?;
        Ok(EventList {
            rows: page.events.into_iter().map(EventRow::from).collect(),
            next_cursor: page.next_cursor,
        })
    }

    pub async fn get_event(id: i64) -> Result<Option<EventView>, AppError> {
        let Some(detail) = store()?.event_detail(id).await? else {
            return Ok(None);
        };
        let mut event = detail.event;
        let details = std::mem::take(&mut event.details);
        let pretty = |value: &serde_json::Value| {
            serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
        };
        Ok(Some(EventView {
            details_json: pretty(&details),
            // A body that is not JSON arrives as a string: show its text, not a quoted literal.
            raw_json: match &detail.raw {
                serde_json::Value::String(text) => text.clone(),
                other => pretty(other),
            },
            event,
            delivery: detail.delivery,
        }))
    }

    pub async fn list_people(q: String, after: String) -> Result<PeopleList, AppError> {
        let after = Some(after.trim()).filter(|a| !a.is_empty());
        let people = store()?
            .people(Some(q.as_str()), after, PEOPLE_PAGE)
            .await?;
        let next_after = (people.len() as i64 == PEOPLE_PAGE)
            .then(|| people.last().map(|p| p.email.clone()))
            .flatten();
        Ok(PeopleList { people, next_after })
    }

    /// The session key of a token created by a plain form, until the page shows it.
    const JUST_CREATED: &str = "just_created_token";

    fn session() -> Option<tower_sessions::Session> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<tower_sessions::Session>().cloned())
    }

    /// Records an admin's action on tokens in Attest's audit log.
    async fn record_token_action(
        who: &crate::auth::SignedIn,
        action: &str,
        name: &str,
        detail: String,
    ) -> Result<(), AppError> {
        store()?
            .record_action(&domain::audit::NewAction {
                at: Utc::now(),
                actor: who.actor(),
                role: who.role.as_str().to_owned(),
                action: action.to_owned(),
                target: name.to_owned(),
                detail,
                ip: crate::auth::client_ip(),
            })
            .await?;
        Ok(())
    }

    pub async fn list_tokens() -> Result<super::TokensPage, AppError> {
        let mut tokens: Vec<super::TokenView> = store()?
            .list_tokens()
            .await?
            .into_iter()
            .map(|t| super::TokenView {
                name: t.name,
                role: t.role,
                created_at: t.created_at,
                last_used_at: t.last_used_at,
                revoked: t.revoked,
            })
            .collect();
        tokens.sort_by(|a, b| {
            a.revoked
                .cmp(&b.revoked)
                .then_with(|| b.created_at.cmp(&a.created_at))
        });
        let just_created = match session() {
            Some(session) => session
                .remove::<super::CreatedToken>(JUST_CREATED)
                .await
                .map_err(|err| internal(&err))?,
            None => None,
        };
        Ok(super::TokensPage {
            tokens,
            just_created,
        })
    }

    pub async fn create_token(name: String, role: String) -> Result<super::CreatedToken, AppError> {
        use domain::model::Role;
        use domain::store::StoreError;
        let who = crate::auth::require(Role::Admin)?;
        let name = name.trim().to_owned();
        if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
            return Err(AppError::BadRequest(
                "name: say who or what uses the token (1 to 100 characters, e.g. ci-export)"
                    .to_owned(),
            ));
        }
        let role: Role = role
            .trim()
            .parse()
            .map_err(|err: domain::model::UnknownRole| {
                AppError::BadRequest(format!("role: {err}"))
            })?;
        let token = domain::tokens::generate();
        match store()?
            .create_token(&name, role, &domain::tokens::hash(&token), Utc::now())
            .await
        {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::Conflict(format!(
                    "a token named {name:?} exists already (revoked ones keep their name): \
                     choose another name"
                )))
            }
            Err(err) => return Err(err.into()),
        }
        record_token_action(
            &who,
            domain::audit::actions::TOKEN_CREATE,
            &name,
            format!("role {}", role.as_str()),
        )
        .await?;
        tracing::info!(name = %name, role = role.as_str(), by = %who.email, "API token created");
        let created = super::CreatedToken { name, role, token };
        // A plain form's answer is a redirect back to the page: the page shows the token from
        // the session, once.
        if crate::error::ssr::plain_form_post() {
            if let Some(session) = session() {
                session
                    .insert(JUST_CREATED, &created)
                    .await
                    .map_err(|err| internal(&err))?;
            }
        }
        Ok(created)
    }

    pub async fn revoke_token(name: String) -> Result<String, AppError> {
        let who = crate::auth::require(domain::model::Role::Admin)?;
        let name = name.trim().to_owned();
        if !store()?.revoke_token(&name, Utc::now()).await? {
            return Err(AppError::NotFound(format!(
                "no active token named {name:?} (it may be revoked already)"
            )));
        }
        record_token_action(
            &who,
            domain::audit::actions::TOKEN_REVOKE,
            &name,
            String::new(),
        )
        .await?;
        tracing::info!(name = %name, by = %who.email, "API token revoked");
        Ok(name)
    }

    /// The session key of a webhook secret made by a plain form, until the page shows it.
    const JUST_MADE_SECRET: &str = "just_created_hook_secret";

    fn hook_keys() -> Result<std::sync::Arc<domain::hook_secrets::HookKeys>, AppError> {
        leptos::prelude::use_context::<std::sync::Arc<domain::hook_secrets::HookKeys>>().ok_or_else(
            || internal(&"no HookKeys in the Leptos context: the server did not provide them"),
        )
    }

    fn changer(who: &crate::auth::SignedIn) -> domain::hook_secrets::Changer {
        domain::hook_secrets::Changer {
            actor: who.actor(),
            role: who.role.as_str().to_owned(),
            ip: crate::auth::client_ip(),
        }
    }

    pub async fn list_hook_secrets() -> Result<super::HookSecretsPage, AppError> {
        use domain::model::HookEndpoint;
        crate::auth::require(domain::model::Role::Admin)?;
        let keys = hook_keys()?;
        let secrets = store()?
            .list_hook_secrets()
            .await?
            .into_iter()
            .map(|s| super::HookSecretView {
                fingerprint: s.fingerprint.chars().take(16).collect(),
                name: s.name,
                endpoint: s.endpoint,
                created_by: s.created_by,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                revoked_at: s.revoked_at,
            })
            .collect();
        let endpoints = HookEndpoint::ALL
            .into_iter()
            .map(|endpoint| super::EndpointSettings {
                endpoint,
                from_settings: keys.settings().get(endpoint).from_settings(),
            })
            .collect();
        let just_created = match session() {
            Some(session) => session
                .remove::<super::CreatedHookSecret>(JUST_MADE_SECRET)
                .await
                .map_err(|err| internal(&err))?,
            None => None,
        };
        Ok(super::HookSecretsPage {
            secrets,
            endpoints,
            can_make: keys.has_key(),
            just_created,
        })
    }

    pub async fn create_hook_secret(
        endpoint: String,
        name: String,
    ) -> Result<super::CreatedHookSecret, AppError> {
        let who = crate::auth::require(domain::model::Role::Admin)?;
        let endpoint: domain::model::HookEndpoint =
            endpoint
                .trim()
                .parse()
                .map_err(|err: domain::model::UnknownHookEndpoint| {
                    AppError::BadRequest(format!("endpoint: {err}"))
                })?;
        let made = hook_keys()?
            .create(&name, endpoint, &changer(&who), Utc::now())
            .await?;
        tracing::info!(name = %made.record.name, %endpoint, by = %who.email, "webhook secret made");
        let created = super::CreatedHookSecret {
            name: made.record.name,
            endpoint,
            secret: made.secret,
        };
        if crate::error::ssr::plain_form_post() {
            if let Some(session) = session() {
                session
                    .insert(JUST_MADE_SECRET, &created)
                    .await
                    .map_err(|err| internal(&err))?;
            }
        }
        Ok(created)
    }

    pub async fn revoke_hook_secret(name: String) -> Result<String, AppError> {
        let who = crate::auth::require(domain::model::Role::Admin)?;
        let record = hook_keys()?
            .revoke(&name, &changer(&who), Utc::now())
            .await?;
        tracing::info!(name = %record.name, by = %who.email, "webhook secret revoked");
        Ok(record.name)
    }

    pub async fn decide_person(
        fix: super::PersonCorrection,
    ) -> Result<domain::people::LinkEntry, AppError> {
        use domain::model::Source;
        use domain::people::{LinkAction, PersonAccount};
        use domain::store::Decision;
        let who = crate::auth::require(domain::model::Role::Admin)?;
        let action = LinkAction::parse(fix.decision.trim()).ok_or_else(|| {
            AppError::BadRequest(format!(
                "{:?} is not a decision: link, unlink, merge or split",
                fix.decision
            ))
        })?;
        let actor = who.actor();
        let ip = crate::auth::client_ip();
        let decision = Decision {
            actor: &actor,
            role: who.role.as_str(),
            ip: &ip,
            reason: &fix.reason,
            at: Utc::now(),
        };
        let store = store()?;
        let entry = match action {
            LinkAction::Link | LinkAction::Unlink => {
                let source = fix
                    .source
                    .trim()
                    .parse::<Source>()
                    .map_err(|err| AppError::BadRequest(format!("source: {err}")))?;
                let account = PersonAccount {
                    source,
                    account_id: fix.account_id,
                };
                if action == LinkAction::Link {
                    store.link_account(&fix.email, &account, decision).await?
                } else {
                    store.unlink_account(&fix.email, &account, decision).await?
                }
            }
            LinkAction::Merge | LinkAction::Split => {
                if fix.person.trim().is_empty() {
                    return Err(AppError::BadRequest(
                        "person: name the other person by e-mail".to_owned(),
                    ));
                }
                if action == LinkAction::Merge {
                    store
                        .merge_people(&fix.email, &fix.person, decision)
                        .await?
                } else {
                    store
                        .split_people(&fix.email, &fix.person, decision)
                        .await?
                }
            }
        };
        tracing::info!(
            actor = %entry.actor,
            decision = entry.action.as_str(),
            person = %entry.email,
            id = entry.id,
            "person corrected by hand"
        );
        Ok(entry)
    }

    pub async fn get_person(
        email: String,
    ) -> Result<Option<domain::people::PersonProfile>, AppError> {
        Ok(store()?.person_profile(&email).await?)
    }

    pub async fn list_recent_grant_changes() -> Result<Vec<domain::grant::GrantChange>, AppError> {
        Ok(store()?.recent_grant_changes(20).await?)
    }

    /// What an access question named, walked at its instant.
    enum Walked {
        Of {
            principals: Vec<domain::grant::Principal>,
            found: domain::store::access::AccessOf,
        },
        To {
            resource: domain::grant::Resource,
            found: domain::store::access::AccessTo,
        },
    }

    /// The day asked about (`None`: now) and the walk, or `None` when nothing was asked.
    async fn walk(
        store: &domain::store::Store,
        query: &AccessQuery,
    ) -> Result<(Option<chrono::DateTime<Utc>>, Option<Walked>), AppError> {
        let at = match query.at.as_str() {
            "" => None,
            day => Some(
                NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .map(start_of)
                    .map_err(|_| {
                        AppError::BadRequest(format!("on: {day:?} is not a date (YYYY-MM-DD)"))
                    })?,
            ),
        };
        let when = at.unwrap_or_else(Utc::now);
        if !query.who.is_empty() {
            let principals = store.find_principals(&query.who).await?;
            if principals.is_empty() {
                return Err(AppError::NotFound(format!(
                    "Nothing named {:?} holds or has held a grant.",
                    query.who
                )));
            }
            let ids: Vec<String> = principals.iter().map(|p| p.id.clone()).collect();
            let found = store.access_of(&ids, when).await?;
            return Ok((at, Some(Walked::Of { principals, found })));
        }
        if query.what.is_empty() {
            return Ok((at, None));
        }
        let mut resources = store.find_resources(&query.what).await?;
        let resource = match resources.len() {
            0 => {
                return Err(AppError::NotFound(format!(
                    "Nothing named {:?} is or was held.",
                    query.what
                )))
            }
            1 => resources.remove(0),
            several => {
                let ids: Vec<String> = resources
                    .iter()
                    .map(|r| format!("{} ({})", r.id, r.kind))
                    .collect();
                return Err(AppError::BadRequest(format!(
                    "{:?} names {several} resources; ask for one by its id: {}",
                    query.what,
                    ids.join(", ")
                )));
            }
        };
        let found = store.access_to(&resource.id, when).await?;
        Ok((at, Some(Walked::To { resource, found })))
    }

    pub async fn get_access(query: AccessQuery) -> Result<Option<AccessView>, AppError> {
        let store = store()?;
        let (at, walked) = walk(&store, &query).await?;
        match walked {
            None => Ok(None),
            Some(Walked::Of { principals, found }) => {
                let ids: Vec<String> = principals.iter().map(|p| p.id.clone()).collect();
                let history = store
                    .grant_changes(ChangesOf::Principals(&ids), HISTORY_ROWS)
                    .await?;
                let mut names: Vec<&str> = principals.iter().map(|p| p.name.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                let queries: Vec<TimelineQuery> = names
                    .iter()
                    .take(MAX_ACTIVITY_QUERIES)
                    .map(|name| TimelineQuery::by_actor(name))
                    .collect();
                let person = if query.who.contains('@') {
                    store.person(&query.who).await?.map(|p| (p.email, p.name))
                } else {
                    None
                };
                Ok(Some(AccessView {
                    at,
                    person,
                    matched: principals
                        .iter()
                        .map(|p| format!("{} ({})", p.name, p.kind))
                        .collect(),
                    reaches: Some(found.rows),
                    holders: None,
                    truncated: found.truncated,
                    history,
                    activity: latest_events(&store, &queries).await?,
                    activity_queries: queries,
                }))
            }
            Some(Walked::To { resource, found }) => {
                let history = store
                    .grant_changes(ChangesOf::Resource(&resource.id), HISTORY_ROWS)
                    .await?;
                let queries = vec![TimelineQuery::by_target(&resource.name)];
                Ok(Some(AccessView {
                    at,
                    person: None,
                    matched: vec![format!("{} ({})", resource.name, resource.kind)],
                    reaches: None,
                    holders: Some(found.rows),
                    truncated: found.truncated,
                    history,
                    activity: latest_events(&store, &queries).await?,
                    activity_queries: queries,
                }))
            }
        }
    }

    pub async fn get_access_graph(query: GraphQuery) -> Result<Option<AccessGraph>, AppError> {
        use domain::access::picture::Neighbourhood;
        let store = store()?;
        let (at, walked) = walk(&store, &query.question).await?;
        let when = at.unwrap_or_else(Utc::now);
        let (matched, graph, truncated) = match walked {
            None => return Ok(None),
            Some(Walked::Of { principals, found }) => {
                let focus: Vec<(String, String, String)> = principals
                    .iter()
                    .map(|p| (p.id.clone(), p.name.clone(), p.kind.clone()))
                    .collect();
                let mut graph = Neighbourhood::new(&focus, false);
                for row in &found.rows {
                    row.paths.iter().for_each(|path| graph.add_path(path));
                }
                let matched = principals.iter().map(|p| p.name.clone()).collect();
                (matched, graph, found.truncated)
            }
            Some(Walked::To { resource, found }) => {
                let focus = [(
                    resource.id.clone(),
                    resource.name.clone(),
                    resource.kind.clone(),
                )];
                let mut graph = Neighbourhood::new(&focus, true);
                for row in &found.rows {
                    row.paths.iter().for_each(|path| graph.add_path(path));
                    if let Some(container) = &row.inherited_from {
                        graph.add_containment(container, &resource.id);
                    }
                    if let Some(members) = row.members_not_listed {
                        graph.add_unlisted_holders(&row.principal.id, members);
                    }
                }
                (vec![resource.name], graph, found.truncated)
            }
        };
        let mut graph = graph;
        let mut truncated = truncated;
        for id in query.expand.iter().take(MAX_EXPANDED) {
            // A node's own answers both ways: what it holds (for a principal) and who holds
            // it (for a resource; a team is both).
            let ids = [id.clone()];
            let of = store.access_of(&ids, when).await?;
            let to = store.access_to(id, when).await?;
            truncated |= of.truncated || to.truncated;
            for row in &of.rows {
                row.paths.iter().for_each(|path| graph.add_path(path));
            }
            for row in &to.rows {
                row.paths.iter().for_each(|path| graph.add_path(path));
                if let Some(container) = &row.inherited_from {
                    graph.add_containment(container, id);
                }
                if let Some(members) = row.members_not_listed {
                    graph.add_unlisted_holders(&row.principal.id, members);
                }
            }
            graph.mark_expanded(id);
        }
        for id in query.fold.iter().take(MAX_FOLDED) {
            graph.fold_around(id);
        }
        let picture = graph.picture().map_err(|err| internal(&err))?;
        Ok(Some(AccessGraph {
            at,
            matched,
            picture,
            truncated,
        }))
    }

    /// Accounts of one person whose activity is looked up, one timeline query each.
    const MAX_ACTIVITY_QUERIES: usize = 5;

    /// The newest [`ACTIVITY_ROWS`] events matching any of `queries`, newest first.
    async fn latest_events(
        store: &domain::store::Store,
        queries: &[TimelineQuery],
    ) -> Result<Vec<EventRow>, AppError> {
        let mut events = Vec::new();
        for query in queries {
            // A name no filter takes (longer than any login) has no activity to show.
            let Ok(filter) = query.to_filter() else {
                continue;
            };
            events.extend(
                store
                    .list_events(&filter, None, ACTIVITY_ROWS)
                    .await?
                    .events,
            );
        }
        events.sort_by_key(|event| std::cmp::Reverse((event.occurred_at, event.id)));
        events.dedup_by_key(|event| event.id);
        events.truncate(ACTIVITY_ROWS as usize);
        Ok(events.into_iter().map(EventRow::from).collect())
    }

    pub async fn list_findings(
        query: FindingsQuery,
    ) -> Result<domain::access::findings::FindingsReport, AppError> {
        use domain::access::findings;
        let kind = query.kind.trim();
        if !kind.is_empty() && findings::kind(kind).is_none() {
            return Err(AppError::BadRequest(format!(
                "kind: {kind:?} is not a kind of finding; pick one from the list."
            )));
        }
        let at = match query.at.trim() {
            "" => Utc::now(),
            day => NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map(start_of)
                .map_err(|_| {
                    AppError::BadRequest(format!("on: {day:?} is not a date (YYYY-MM-DD)"))
                })?,
        };
        let mut report = store()?.findings(at).await?;
        if !kind.is_empty() {
            report.findings.retain(|finding| finding.kind == kind);
        }
        Ok(report)
    }

    pub async fn get_ingest_health() -> Result<IngestHealth, AppError> {
        let mut health = store()?.ingest_health(50).await?;
        health.configured = leptos::prelude::use_context::<ConfiguredSources>()
            .map(|c| c.0)
            .unwrap_or_default();
        Ok(health)
    }

    pub async fn get_activity_chart(
        since: String,
        until: String,
    ) -> Result<ActivityChart, AppError> {
        let query = TimelineQuery {
            since,
            until,
            ..TimelineQuery::default()
        };
        let days = query
            .days()
            .map_err(|problems| AppError::BadRequest(problems.join(" ")))?;
        let (first, last, clipped) = chart_period(days, Utc::now().date_naive());
        let end = last.checked_add_days(Days::new(1)).unwrap_or(last);
        let counts = store()?
            .count_by_day(start_of(first), start_of(end))
            .await?;
        let svg =
            domain::chart::activity_svg(&counts, first, last).map_err(|err| internal(&err))?;
        Ok(ActivityChart {
            svg,
            first,
            last,
            clipped,
        })
    }

    /// The days the chart covers for a filter's `since`/`until`: at most one chart's worth
    /// (`domain::chart::MAX_DAYS`), keeping the end of a longer period.
    pub fn chart_period(
        (since, until): (Option<NaiveDate>, Option<NaiveDate>),
        today: NaiveDate,
    ) -> (NaiveDate, NaiveDate, bool) {
        let back = |day: NaiveDate, days: u64| day.checked_sub_days(Days::new(days)).unwrap_or(day);
        let last = match (since, until) {
            (_, Some(until)) => until,
            (Some(since), None) => today.max(since),
            (None, None) => today,
        };
        let first = since.unwrap_or_else(|| back(last, DEFAULT_CHART_DAYS - 1));
        let longest = back(last, domain::chart::MAX_DAYS - 1);
        if first < longest {
            (longest, last, true)
        } else {
            (first, last, false)
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::imp::chart_period;
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn chart_periods() {
        let today = day("2024-03-31");
        assert_eq!(
            chart_period((None, None), today),
            (day("2024-03-02"), today, false)
        );
        assert_eq!(
            chart_period((Some(day("2024-03-10")), None), today),
            (day("2024-03-10"), today, false)
        );
        assert_eq!(
            chart_period((None, Some(day("2024-01-31"))), today),
            (day("2024-01-02"), day("2024-01-31"), false)
        );
        assert_eq!(
            chart_period((Some(day("2020-01-01")), Some(day("2024-03-31"))), today),
            (day("2023-04-01"), today, true)
        );
        // A future `since` still draws its own day.
        let future = day("2024-05-01");
        assert_eq!(
            chart_period((Some(future), None), today),
            (future, future, false)
        );
    }
}

#[cfg(test)]
mod graph_query_tests {
    use super::{GraphQuery, MAX_EXPANDED};

    fn read(pairs: &[(&str, &str)]) -> GraphQuery {
        GraphQuery::from_lookup(
            |key| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| (*v).to_owned())
            },
            |key| {
                pairs
                    .iter()
                    .filter(|(k, _)| *k == key)
                    .map(|(_, v)| (*v).to_owned())
                    .collect()
            },
        )
    }

    #[test]
    fn every_state_is_a_link_that_reads_back_the_same() {
        let query = read(&[
            ("what", "acme/infra"),
            ("at", "2024-03-01"),
            ("expand", "github:team:1"),
            ("expand", " github:team:1 "),
            ("expand", ""),
            ("fold", "a&b=c"),
        ]);
        assert_eq!(query.expand, ["github:team:1"]);
        assert_eq!(query.fold, ["a&b=c"]);
        let href = query.href();
        assert_eq!(
            href,
            "/access/graph?what=acme%2Finfra&at=2024-03-01&expand=github%3Ateam%3A1&fold=a%26b%3Dc"
        );
        // Undoing each step comes back to the question alone.
        let bare = query.collapsing("github:team:1").unfolding("a&b=c");
        assert_eq!(bare.href(), "/access/graph?what=acme%2Finfra&at=2024-03-01");
        assert_eq!(GraphQuery::default().href(), "/access/graph");
        assert_eq!(
            GraphQuery::default().expanding("x").href(),
            "/access/graph?expand=x"
        );
    }

    #[test]
    fn expanding_unfolds_and_folding_collapses() {
        let query = read(&[("who", "alice"), ("fold", "t")]);
        let expanded = query.expanding("t");
        assert_eq!(
            (expanded.expand.clone(), expanded.fold.clone()),
            (vec!["t".to_owned()], vec![])
        );
        let folded = expanded.folding("t");
        assert_eq!(
            (folded.expand.clone(), folded.fold.clone()),
            (vec![], vec!["t".to_owned()])
        );
        // Expanding twice is once; past the bound, nothing more is added.
        assert_eq!(expanded.expanding("t"), expanded);
        let mut many = GraphQuery::default();
        for n in 0..MAX_EXPANDED + 3 {
            many = many.expanding(&n.to_string());
        }
        assert_eq!(many.expand.len(), MAX_EXPANDED);
        let from_url: Vec<(&str, String)> = (0..20).map(|n| ("expand", n.to_string())).collect();
        let pairs: Vec<(&str, &str)> = from_url.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(read(&pairs).expand.len(), MAX_EXPANDED);
    }
}
