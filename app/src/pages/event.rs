//! One event (`/events/:id`): every normalized field, the delivery it came from and its raw
//! payload, with links back to the timeline narrowed to this actor or action. An unknown id is
//! a 404 page.

use crate::api::{get_event, EventView};
use crate::components::badges::{OutcomeBadge, SourceBadge, StatusBadge};
use crate::components::notice::ErrorNotice;
use crate::error::AppError;
use crate::format::{bytes, utc_full};
use crate::query::TimelineQuery;
use domain::model::{Actor, DeliverySummary, Event, Target};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn EventPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let event = Resource::new(move || id.get(), load_event);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading event…"</p> }>
            {move || Suspend::new(async move {
                match event.await {
                    Ok(detail) => view! { <EventDetails detail/> }.into_any(),
                    Err(error) => view! {
                        <Title text="No such event"/>
                        <nav class="breadcrumbs"><a href="/">"Timeline"</a>" › Event"</nav>
                        <ErrorNotice error/>
                        <p><a href="/">"Back to the timeline"</a></p>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

async fn load_event(raw_id: String) -> Result<EventView, AppError> {
    let missing = || AppError::NotFound(format!("There is no event “{raw_id}”."));
    let id: i64 = raw_id.parse().map_err(|_| missing())?;
    get_event(id).await?.ok_or_else(missing)
}

#[component]
fn EventDetails(detail: EventView) -> impl IntoView {
    let EventView {
        event,
        details_json,
        delivery,
        raw_json,
    } = detail;
    let Event {
        id,
        source,
        source_event_id,
        occurred_at,
        received_at,
        actor,
        action,
        native_action,
        targets,
        scope,
        outcome,
        error,
        summary,
        ..
    } = event;
    let by_actor = TimelineQuery::by_actor(&actor.name).href();
    let by_action = TimelineQuery::by_action(&action).href();
    let scope_text = scope.map(|s| match s.name {
        Some(name) if name != s.id => format!("{} {} ({})", s.kind, name, s.id),
        _ => format!("{} {}", s.kind, s.id),
    });
    view! {
        <Title text=format!("Event {id}: {action}")/>
        <nav class="breadcrumbs"><a href="/">"Timeline"</a>" › Event " {id}</nav>
        <div class="page-head">
            <h1 class="event-summary">{summary}</h1>
            <p class="badges">
                <SourceBadge source/>" "<OutcomeBadge outcome error=error.clone()/>
            </p>
        </div>
        <p class="filter-links">
            <a class="button secondary" href=by_actor>"All events by " {actor.name.clone()}</a>
            <a class="button secondary" href=by_action>"All " <code>{action.clone()}</code> " events"</a>
        </p>
        <div class="columns">
            <section class="panel">
                <h2>"What happened"</h2>
                <dl class="facts">
                    <dt>"Time"</dt>
                    <dd><time datetime=utc_full(occurred_at)>{utc_full(occurred_at)}</time></dd>
                    <dt>"Received"</dt>
                    <dd><time datetime=utc_full(received_at)>{utc_full(received_at)}</time></dd>
                    <dt>"Action"</dt>
                    <dd><code>{action}</code></dd>
                    <dt>"Native action"</dt>
                    <dd><code>{native_action}</code></dd>
                    <dt>"Outcome"</dt>
                    <dd>
                        {outcome.as_str()}
                        {error.map(|e| view! { <span class="error-text">" — " {e}</span> })}
                    </dd>
                    <dt>"Scope"</dt>
                    <dd>{scope_text.unwrap_or_else(|| "—".to_owned())}</dd>
                    <dt>"Source event id"</dt>
                    <dd><code class="wrap">{source_event_id}</code></dd>
                </dl>
            </section>
            <ActorPanel actor/>
        </div>
        <TargetsPanel targets/>
        <section class="panel">
            <h2>"Details"</h2>
            <pre class="json">{details_json}</pre>
        </section>
        <DeliveryPanel delivery/>
        <section class="panel" id="raw">
            <h2>"Raw payload"</h2>
            <p class="subtle">"The body of the delivery as stored, pretty-printed (keys sorted)."</p>
            <pre class="json raw">{raw_json}</pre>
        </section>
    }
}

#[component]
fn ActorPanel(actor: Actor) -> impl IntoView {
    let dash = || "—".to_owned();
    view! {
        <section class="panel">
            <h2>"Actor"</h2>
            <dl class="facts">
                <dt>"Name"</dt>
                <dd><a href=TimelineQuery::by_actor(&actor.name).href()>{actor.name.clone()}</a></dd>
                <dt>"Kind"</dt>
                <dd>{actor.kind.as_str()}</dd>
                <dt>"Id"</dt>
                <dd><code class="wrap">{actor.id.unwrap_or_else(dash)}</code></dd>
                <dt>"IP address"</dt>
                <dd>{actor.ip.unwrap_or_else(dash)}</dd>
                <dt>"User agent"</dt>
                <dd class="wrap">{actor.user_agent.unwrap_or_else(dash)}</dd>
            </dl>
        </section>
    }
}

#[component]
fn TargetsPanel(targets: Vec<Target>) -> impl IntoView {
    let body = if targets.is_empty() {
        view! { <p class="subtle">"This event names no targets."</p> }.into_any()
    } else {
        let rows = targets
            .into_iter()
            .map(|t| {
                view! {
                    <tr>
                        <td>{t.kind}</td>
                        <td><a href=TimelineQuery::by_target(&t.name).href()>{t.name.clone()}</a></td>
                        <td><code class="wrap">{t.id.unwrap_or_default()}</code></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="plain">
                <thead><tr><th scope="col">"Type"</th><th scope="col">"Name"</th><th scope="col">"Id"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! { <section class="panel"><h2>"Targets"</h2>{body}</section> }
}

#[component]
fn DeliveryPanel(delivery: DeliverySummary) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Delivery"</h2>
            <dl class="facts">
                <dt>"Delivery"</dt>
                <dd>"#" {delivery.id}</dd>
                <dt>"Key"</dt>
                <dd><code class="wrap">{delivery.delivery_key}</code></dd>
                <dt>"Kind"</dt>
                <dd>{delivery.kind.unwrap_or_else(|| "—".to_owned())}</dd>
                <dt>"Status"</dt>
                <dd><StatusBadge status=delivery.status/></dd>
                <dt>"Received"</dt>
                <dd><time datetime=utc_full(delivery.received_at)>{utc_full(delivery.received_at)}</time></dd>
                <dt>"Size"</dt>
                <dd>{bytes(delivery.body_bytes)}</dd>
                {delivery.error.map(|e| view! { <dt>"Error"</dt><dd class="error-text">{e}</dd> })}
            </dl>
        </section>
    }
}
