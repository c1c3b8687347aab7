//! The timeline's table: one row per event, newest first, with links that narrow the timeline
//! (by actor, action, target) and open the event; then the paging links.
//!
//! Every payload string (names, summaries) is a text node, so the browser escapes it.

use crate::api::{EventList, EventRow};
use crate::components::badges::{OutcomeBadge, SourceBadge};
use crate::format::{utc_full, utc_short};
use crate::query::TimelineQuery;
use domain::model::Target;
use leptos::prelude::*;

/// Targets shown in a row before "+N more".
const TARGETS_SHOWN: usize = 3;

#[component]
pub fn EventTable(
    list: EventList,
    query: TimelineQuery,
    /// The row the keyboard selected (j/k), by position.
    selected: RwSignal<Option<usize>>,
) -> impl IntoView {
    if list.rows.is_empty() {
        return view! { <EmptyTimeline query/> }.into_any();
    }
    let rows = list
        .rows
        .into_iter()
        .enumerate()
        .map(|(position, row)| view! { <EventTableRow row position selected/> })
        .collect_view();
    let newest = (!query.cursor.is_empty()).then(|| query.newest().href());
    let older = list.next_cursor.map(|cursor| query.older(&cursor).href());
    view! {
        <div class="table-scroll">
            <table class="events">
                <caption class="visually-hidden">"Events, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Time (UTC)"</th>
                        <th scope="col">"Source"</th>
                        <th scope="col">"Actor"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Targets"</th>
                        <th scope="col">"Summary"</th>
                        <th scope="col">"Outcome"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            {newest.map(|href| view! { <a class="button secondary" href=href>"← Newest"</a> })}
            {older.map(|href| view! { <a class="button secondary" rel="next" href=href>"Older →"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn EventTableRow(
    row: EventRow,
    position: usize,
    selected: RwSignal<Option<usize>>,
) -> impl IntoView {
    let EventRow {
        id,
        occurred_at,
        source,
        actor,
        action,
        targets,
        summary,
        outcome,
        error,
    } = row;
    let event_href = format!("/events/{id}");
    let actor_href = TimelineQuery::by_actor(&actor).href();
    let action_href = TimelineQuery::by_action(&action).href();
    view! {
        <tr
            id=format!("event-{id}")
            data-event-id=id.to_string()
            class:selected=move || selected.get() == Some(position)
        >
            <td class="time">
                <a class="row-link" href=event_href.clone()>
                    <time datetime=utc_full(occurred_at)>{utc_short(occurred_at)}</time>
                </a>
            </td>
            <td class="source"><SourceBadge source/></td>
            <td class="actor">
                <a href=actor_href title="Only events by this actor">
                    {actor}
                </a>
            </td>
            <td class="action">
                <a href=action_href title="Only events with this action">
                    <code>{action}</code>
                </a>
            </td>
            <td class="targets"><TargetList targets/></td>
            <td class="summary"><a href=event_href>{summary}</a></td>
            <td class="outcome"><OutcomeBadge outcome error/></td>
        </tr>
    }
}

#[component]
fn TargetList(targets: Vec<Target>) -> impl IntoView {
    let more = targets.len().saturating_sub(TARGETS_SHOWN);
    let shown = targets
        .into_iter()
        .take(TARGETS_SHOWN)
        .map(|t| {
            let href = TimelineQuery::by_target(&t.name).href();
            view! {
                <li>
                    <span class="target-kind">{t.kind}</span>" "
                    <a href=href title="Only events on this target">
                        {t.name}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="target-list">
            {shown}
            {(more > 0).then(|| view! { <li class="more">{format!("+{more} more")}</li> })}
        </ul>
    }
}

#[component]
fn EmptyTimeline(query: TimelineQuery) -> impl IntoView {
    if query.is_filtered() {
        view! {
            <p class="empty">
                "No events match these filters. "
                <a href="/">"Show all events"</a>
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="empty">
                "No events yet. Point a GitHub webhook at " <code>"/hooks/github"</code>
                " or import CloudTrail files with " <code>"attest import"</code> "."
            </p>
        }
        .into_any()
    }
}
