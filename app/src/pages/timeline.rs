//! The timeline (`/`): filters, the activity chart, and events newest first, all from the URL's
//! query so any view can be bookmarked or shared.

use crate::api::{get_activity_chart, list_events, EventList};
use crate::components::chart::ActivityChartFigure;
use crate::components::event_table::EventTable;
use crate::components::filter_form::FilterForm;
use crate::components::keyboard::use_timeline_keys;
use crate::components::notice::ErrorNotice;
use crate::error::AppError;
use crate::query::TimelineQuery;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TimelinePage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| TimelineQuery::from_lookup(|key| p.get(key))));
    // The query travels with its result, so the table's paging links always match the rows.
    let events = Resource::new(
        move || query.get(),
        |query| async move {
            let result = list_events(query.clone()).await;
            (query, result)
        },
    );
    // Keyed on the period only: paging through the same period keeps the same chart.
    let period = Memo::new(move |_| query.with(|q| (q.since.clone(), q.until.clone())));
    let chart = Resource::new(
        move || period.get(),
        |(since, until)| get_activity_chart(since, until),
    );

    let selected = RwSignal::new(None::<usize>);
    Effect::new(move |_| {
        query.track();
        selected.set(None);
    });
    use_timeline_keys(selected);

    view! {
        <Title text=move || query.with(page_title)/>
        <div class="page-head">
            <h1>"Timeline"</h1>
            <p class="subtle">"Who changed what, when, and from where — newest first."</p>
            <ExportLink query/>
        </div>
        {move || view! { <FilterForm query=query.get()/> }}
        <Suspense fallback=|| view! { <div class="chart placeholder" aria-hidden="true"></div> }>
            {move || Suspend::new(async move {
                match chart.await {
                    Ok(chart) => Some(view! { <ActivityChartFigure chart/> }.into_any()),
                    // The event list below says what is wrong with the dates.
                    Err(AppError::BadRequest(_)) => None,
                    Err(error) => Some(view! { <ErrorNotice error/> }.into_any()),
                }
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p class="loading">"Loading events…"</p> }>
            {move || Suspend::new(async move {
                let (query, result) = events.await;
                events_view(query, result, selected)
            })}
        </Suspense>
    }
}

fn events_view(
    query: TimelineQuery,
    result: Result<EventList, AppError>,
    selected: RwSignal<Option<usize>>,
) -> AnyView {
    match result {
        Ok(list) => view! { <EventTable list query selected/> }.into_any(),
        Err(error) => view! { <ErrorNotice error/> }.into_any(),
    }
}

/// "Timeline: actor alice, source github" — so browser history and tabs tell views apart.
fn page_title(query: &TimelineQuery) -> String {
    let named: Vec<String> = [
        ("actor", &query.actor),
        ("action", &query.action),
        ("source", &query.source),
        ("target", &query.target),
        ("since", &query.since),
        ("until", &query.until),
        ("search", &query.q),
    ]
    .iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(key, value)| format!("{key} {value}"))
    .collect();
    if named.is_empty() {
        "Timeline".to_owned()
    } else {
        format!("Timeline: {}", named.join(", "))
    }
}

/// "Download CSV" of the filtered events, for those who may export (auditors and admins);
/// every export is recorded in the audit log.
#[component]
fn ExportLink(query: Memo<TimelineQuery>) -> impl IntoView {
    let who = Resource::new(|| (), |_| crate::api::get_signed_in());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let may = who
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|user| crate::auth::may_open(user.role, "/export"));
                may.then(|| {
                    let href = move || {
                        let page = query.get().newest().href();
                        format!("/export/events.csv{}", page.trim_start_matches('/'))
                    };
                    view! {
                        <a class="button secondary" rel="external" href=href>"Download CSV"</a>
                    }
                })
            })}
        </Suspense>
    }
}
