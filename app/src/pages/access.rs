//! Access (`/access`): what a person or account can reach, or who can reach a resource, now or
//! on any past date, each row with the paths that give it ("alice → team platform (member) →
//! acme/infra (admin)"). A GET form, so every answer is a permalink and works without wasm.

use crate::api::{
    get_access, list_recent_grant_changes, AccessQuery, AccessView, EventList, EventRow,
};
use crate::components::event_table::EventTable;
use crate::components::notice::ErrorNotice;
use crate::format::utc_short;
use crate::query::TimelineQuery;
use domain::access::graph::{AccessPath, Holder, Reach};
use domain::grant::{GrantChange, GrantOp};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccessPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| AccessQuery::from_lookup(|key| p.get(key))));
    let answer = Resource::new(move || query.get(), get_access);
    view! {
        <Title text=move || query.with(page_title)/>
        <div class="page-head">
            <h1>"Access"</h1>
            <p class="subtle">
                "What someone can reach, or who can reach something — with the grants that give it, on any date."
            </p>
        </div>
        {move || view! { <AccessForm query=query.get() action="/access"/> }}
        <Suspense fallback=|| view! { <p class="loading">"Walking the grants…"</p> }>
            {move || Suspend::new(async move {
                match answer.await {
                    Ok(None) => view! { <RecentChanges/> }.into_any(),
                    Ok(Some(view)) => {
                        let graph = query.get_untracked().href("/access/graph");
                        view! { <AccessAnswer view graph/> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

pub(crate) fn page_title(query: &AccessQuery) -> String {
    match (query.who.is_empty(), query.what.is_empty()) {
        (false, _) => format!("Access of {}", query.who),
        (true, false) => format!("Who can reach {}", query.what),
        (true, true) => "Access".to_owned(),
    }
}

/// The question's form; `action` is the page that answers it (the table or the graph).
#[component]
pub fn AccessForm(query: AccessQuery, action: &'static str) -> impl IntoView {
    view! {
        <form class="filters" method="get" action=action role="search">
            <label class="field wide">
                <span>"Who"</span>
                <input name="who" value=query.who placeholder="login, e-mail, ARN or id" autocomplete="off"/>
            </label>
            <label class="field wide">
                <span>"What"</span>
                <input name="what" value=query.what placeholder="org/repo, team, role, account" autocomplete="off"/>
            </label>
            <label class="field" title="The access held at the start of this UTC day; empty: now">
                <span>"On (UTC)"</span>
                <input type="date" name="at" value=query.at/>
            </label>
            <div class="form-actions">
                <button type="submit">"Show"</button>
                <a class="button secondary" href=action>"Clear"</a>
            </div>
        </form>
    }
}

/// The answer's tables, history and activity; `graph` is the same question drawn.
#[component]
fn AccessAnswer(view: AccessView, graph: String) -> impl IntoView {
    let when = match view.at {
        Some(at) => format!("on {}", utc_short(at)),
        None => "now".to_owned(),
    };
    let truncated = view.truncated.then(|| {
        view! { <p class="notice">"More rows were found than are shown; narrow the question."</p> }
    });
    let body = match (view.reaches, view.holders) {
        (Some(rows), _) => {
            let names = view.matched.join(", ");
            let count = rows.len();
            let person = view.person.map(|(email, name)| {
                view! {
                    <p>
                        "The accounts of "
                        <a href=crate::pages::people::person_href(&email)>{name}</a>
                        " (" {email.clone()} "), walked together."
                    </p>
                }
            });
            view! {
                {person}
                <p class="subtle">{format!("{names} — {count} grants reachable {when}.")}</p>
                <ReachTable rows/>
            }
            .into_any()
        }
        (None, Some(rows)) => {
            let names = view.matched.join(", ");
            let count = rows.len();
            view! {
                <p class="subtle">{format!("{names} — {count} holders {when}.")}</p>
                <HolderTable rows/>
            }
            .into_any()
        }
        (None, None) => ().into_any(),
    };
    let history = if view.history.is_empty() {
        view! { <p class="empty">"No grant change has been recorded here."</p> }.into_any()
    } else {
        view! { <ChangeList changes=view.history/> }.into_any()
    };
    view! {
        {truncated}
        <p><a class="button secondary" href=graph>"Show as a graph"</a></p>
        {body}
        <section aria-labelledby="history">
            <h2 id="history">"Grant history"</h2>
            <p class="subtle">"Access gained and lost, newest first, as the sources recorded it."</p>
            {history}
        </section>
        <section aria-labelledby="activity">
            <h2 id="activity">"Recent activity"</h2>
            <Activity rows=view.activity queries=view.activity_queries/>
        </section>
    }
}

/// The latest events, and where the timeline shows all of them.
#[component]
fn Activity(rows: Vec<EventRow>, queries: Vec<TimelineQuery>) -> impl IntoView {
    let links = queries
        .into_iter()
        .map(|query| {
            let name = if query.actor.is_empty() {
                query.target.clone()
            } else {
                query.actor.clone()
            };
            view! { <li><a href=query.href()>{format!("All activity of {name} on the timeline →")}</a></li> }
        })
        .collect_view();
    let table = if rows.is_empty() {
        view! { <p class="empty">"No event has been recorded here."</p> }.into_any()
    } else {
        let list = EventList {
            rows,
            next_cursor: None,
        };
        view! { <EventTable list query=TimelineQuery::default() selected=RwSignal::new(None)/> }
            .into_any()
    };
    view! {
        {table}
        <ul class="links">{links}</ul>
    }
}

/// Where to start: the grant changes recorded last, each side a link to its access.
#[component]
fn RecentChanges() -> impl IntoView {
    let changes = Resource::new(|| (), |_| list_recent_grant_changes());
    view! {
        <p class="subtle">
            "Name a person (login, e-mail, ARN) or a resource (org/repo, team, role, account) above, or start from a recent change."
        </p>
        <h2>"Recent access changes"</h2>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match changes.await {
                    Ok(changes) if changes.is_empty() => view! {
                        <p class="empty">"No grant has been recorded yet: import a snapshot or connect a source."</p>
                    }.into_any(),
                    Ok(changes) => view! { <ChangeList changes/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChangeList(changes: Vec<GrantChange>) -> impl IntoView {
    let items = changes
        .into_iter()
        .map(|change| {
            let grant = change.grant;
            let verb = match change.op {
                GrantOp::Added => "gained",
                GrantOp::Removed => "lost",
            };
            view! {
                <li class="change">
                    <time datetime=change.at.to_rfc3339()>{utc_short(change.at)}</time>
                    " "
                    <a class="who" href=format!("/access?who={}", encode(&grant.principal.id))>{grant.principal.name}</a>
                    {format!(" {verb} {} on ", grant.permission)}
                    <a class="what" href=format!("/access?what={}", encode(&grant.resource.id))>{grant.resource.name}</a>
                    <span class="subtle">{format!(" — {}", change.evidence)}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="changes">{items}</ul> }
}

/// One answer row, whichever way the question was asked.
struct Row {
    /// Where the name leads: the same question about it.
    href: String,
    name: String,
    kind: String,
    /// Beside the name: members counted rather than listed.
    note: Option<String>,
    permission: String,
    everything: bool,
    /// Held through a grant on a container of the resource: its kind and name.
    inherited_from: Option<(String, String)>,
    paths: Vec<AccessPath>,
}

#[component]
fn ReachTable(rows: Vec<Reach>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|row| Row {
            href: format!("/access?what={}", encode(&row.resource.id)),
            name: row.resource.name,
            kind: row.resource.kind,
            note: None,
            permission: row.permission,
            everything: row.everything,
            inherited_from: None,
            paths: row.paths,
        })
        .collect();
    view! { <AccessTable heading="Resource" rows empty="Nothing is reachable at that time."/> }
}

#[component]
fn HolderTable(rows: Vec<Holder>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|row| Row {
            href: format!("/access?who={}", encode(&row.principal.id)),
            name: row.principal.name,
            kind: row.principal.kind,
            note: row
                .members_not_listed
                .map(|n| format!(" and {n} members through it, not listed")),
            permission: row.permission,
            everything: row.everything,
            inherited_from: row.inherited_from.map(|r| (r.kind, r.name)),
            paths: row.paths,
        })
        .collect();
    view! { <AccessTable heading="Who" rows empty="Nobody holds access at that time."/> }
}

#[component]
fn AccessTable(heading: &'static str, rows: Vec<Row>, empty: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    let rows = rows
        .into_iter()
        .map(|row| {
            let everything = row.everything.then(|| {
                view! { <span class="badge warn" title="Admin of everything in its org or account">"everything"</span> }
            });
            let inherited = row.inherited_from.map(|(kind, name)| {
                view! {
                    <span class="badge" title="Held on something that contains this resource, which covers everything in it">
                        {format!("inherited from {kind} {name}")}
                    </span>
                }
            });
            view! {
                <tr>
                    <td>
                        <a href=row.href>{row.name}</a>
                        <span class="subtle">{format!(" {}", row.kind)}</span>
                        {row.note.map(|note| view! { <span class="subtle">{note}</span> })}
                    </td>
                    <td>{row.permission} " " {everything} {inherited}</td>
                    <td><Paths paths=row.paths/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="plain access">
                <thead>
                    <tr>
                        <th scope="col">{heading}</th>
                        <th scope="col">"Permission"</th>
                        <th scope="col">"Through"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Each path as its hops, the grant's start beside each hop.
#[component]
fn Paths(paths: Vec<AccessPath>) -> impl IntoView {
    let items = paths
        .into_iter()
        .map(|path| {
            let hops = path
                .hops
                .into_iter()
                .enumerate()
                .map(|(n, hop)| {
                    let first = (n == 0).then(
                        || view! { <span class="hop-from">{hop.principal.name.clone()}</span> },
                    );
                    let since = match hop.since {
                        Some(at) => format!("since {}", utc_short(at)),
                        None => "held before Attest's records".to_owned(),
                    };
                    let via = (!hop.via.is_empty()).then(|| format!(" via {}", hop.via));
                    view! {
                        {first}
                        <span class="hop" title=since>
                            " → " {hop.resource.name.clone()}
                            <span class="subtle">{format!(" ({}", hop.permission)}{via}")"</span>
                        </span>
                    }
                })
                .collect_view();
            view! { <li>{hops}</li> }
        })
        .collect_view();
    view! { <ul class="paths">{items}</ul> }
}

fn encode(value: &str) -> String {
    crate::query::encode(value)
}
