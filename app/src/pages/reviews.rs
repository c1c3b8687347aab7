//! My reviews (`/reviews`, reviewers): every open item assigned to the signed-in person across
//! campaigns, overdue first, each with the holder, the path, how it was granted, the last real
//! use from the audit logs and Attest's recommendation. Keep, revoke or "don't know" one item
//! or a selection (or everything a filter shows), hand one to someone else. Every form posts
//! without JavaScript; with it, `j`/`k` move between items, `a` keeps, `r` revokes.

use crate::api::reviews::{
    list_my_reviews, DecideReviewItems, DelegateReviewItem, ItemView, MyReviews,
};
use crate::components::notice::{ErrorNotice, FormErrorNotice};
use crate::error::form_error;
use crate::format::utc_short;
use chrono::{DateTime, Utc};
use domain::review::Decision;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The id of the bulk form, which the items' checkboxes belong to (`form=` attribute).
const BULK_FORM: &str = "bulk-decide";

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let query = use_query_map();
    let decide = ServerAction::<DecideReviewItems>::new();
    let delegate = ServerAction::<DelegateReviewItem>::new();
    let page = Resource::new(
        move || (decide.version().get(), delegate.version().get()),
        |_| list_my_reviews(),
    );
    let posted = query.with_untracked(|q| {
        form_error(q, DecideReviewItems::PATH).or_else(|| form_error(q, DelegateReviewItem::PATH))
    });
    let filter = query.with_untracked(|q| q.get("q").unwrap_or_default());
    crate::components::keyboard::use_review_keys();
    view! {
        <Title text="My reviews"/>
        <div class="page-head">
            <h1>"My reviews"</h1>
            <p class="subtle">
                "Does each of these still need this access? The evidence is the holder's last recorded use of it in the audit logs. Decisions can be changed until the stage closes; items nobody decides take the campaign's default."
            </p>
        </div>
        {posted.map(|error| view! { <FormErrorNotice error/> })}
        <Outcome decide delegate/>
        <Transition fallback=|| view! { <p class="loading">"Loading your reviews…"</p> }>
            {move || {
                let filter = filter.clone();
                Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <Inbox page filter decide delegate/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn Outcome(
    decide: ServerAction<DecideReviewItems>,
    delegate: ServerAction<DelegateReviewItem>,
) -> impl IntoView {
    view! {
        {move || match decide.value().get() {
            Some(Ok(done)) => view! {
                <p class="notice done" role="status">
                    {format!("{}: {} item{}.", done.decision.label(), done.count, if done.count == 1 { "" } else { "s" })}
                </p>
            }
            .into_any(),
            Some(Err(error)) => view! { <FormErrorNotice error/> }.into_any(),
            None => ().into_any(),
        }}
        {move || match delegate.value().get() {
            Some(Ok(to)) => view! {
                <p class="notice done" role="status">{format!("Handed to {to}.")}</p>
            }
            .into_any(),
            Some(Err(error)) => view! { <FormErrorNotice error/> }.into_any(),
            None => ().into_any(),
        }}
    }
}

/// Whether an item matches the filter text: holder, resource, permission or round, any case.
fn matches(view: &ItemView, filter: &str) -> bool {
    let filter = filter.trim().to_lowercase();
    if filter.is_empty() {
        return true;
    }
    let item = &view.item;
    let holder = item.holder.as_ref();
    [
        item.grant.principal.name.as_str(),
        item.grant.resource.name.as_str(),
        item.grant.permission.as_str(),
        view.round_name.as_str(),
        holder.map_or("", |h| h.email.as_str()),
        holder.map_or("", |h| h.name.as_str()),
        holder.and_then(|h| h.department.as_deref()).unwrap_or(""),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(&filter))
}

#[component]
fn Inbox(
    page: MyReviews,
    filter: String,
    decide: ServerAction<DecideReviewItems>,
    delegate: ServerAction<DelegateReviewItem>,
) -> impl IntoView {
    let MyReviews { items, now, .. } = page;
    if items.is_empty() {
        return view! { <p class="empty">"Nothing waits for you. Thank you."</p> }.into_any();
    }
    let total = items.len();
    let overdue = items.iter().filter(|v| v.item.is_overdue(now)).count();
    let waiting = items.iter().filter(|v| v.item.decision.is_none()).count();
    let shown: Vec<ItemView> = items.into_iter().filter(|v| matches(v, &filter)).collect();
    let shown_ids: Vec<i64> = shown.iter().map(|v| v.item.id).collect();
    let any_justify = shown.iter().any(|v| v.justify_keep || v.justify_revoke);
    let justify_keep = shown.iter().any(|v| v.justify_keep);
    let summary = format!(
        "{total} item{} open: {waiting} waiting for you{}.",
        if total == 1 { "" } else { "s" },
        if overdue > 0 {
            format!(", {overdue} overdue")
        } else {
            String::new()
        }
    );
    let cards = shown
        .into_iter()
        .enumerate()
        .map(|(i, view)| view! { <ItemCard index=i view now decide delegate/> })
        .collect_view();
    view! {
        <p class="review-summary">{summary}</p>
        <form method="get" action="/reviews" class="filters review-filter">
            <label class="field wide">
                <span>"Filter: holder, resource, permission, department"</span>
                <input type="search" name="q" value=filter.clone() placeholder="acme/infra"/>
            </label>
            <div class="form-actions"><button type="submit">"Filter"</button></div>
        </form>
        <ActionForm action=decide attr:id=BULK_FORM attr:class="bulk-decide">
            <fieldset class="filters">
                <legend>"Decide the ticked items"</legend>
                <label class="field wide">
                    <span>{if any_justify { "Justification (some campaigns ask for one)" } else { "Comment (optional)" }}</span>
                    <input name="justification" maxlength="2000"/>
                </label>
                <div class="form-actions">
                    <button type="submit" name="decision" value="keep">"Keep ticked"</button>
                    <button type="submit" name="decision" value="revoke" class="danger">"Revoke ticked"</button>
                </div>
            </fieldset>
        </ActionForm>
        <BulkAll ids=shown_ids justify=justify_keep decide/>
        <div class="review-items">{cards}</div>
    }
    .into_any()
}

/// "Keep all N shown": the filtered selection at once, without ticking each (works without
/// JavaScript: the ids travel as hidden fields). The reviewer says why, as for one item, when
/// a campaign of the selection asks for a reason to keep.
#[component]
fn BulkAll(ids: Vec<i64>, justify: bool, decide: ServerAction<DecideReviewItems>) -> impl IntoView {
    if ids.len() < 2 {
        return ().into_any();
    }
    let count = ids.len();
    let hidden = ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| view! { <input type="hidden" name=format!("ids[{i}]") value=id/> })
        .collect_view();
    view! {
        <ActionForm action=decide attr:class="bulk-all">
            {hidden}
            <label class="field wide">
                <span>{if justify { "Why they are all still needed (required)" } else { "Comment (optional)" }}</span>
                <input name="justification" maxlength="2000" required=justify/>
            </label>
            <button type="submit" name="decision" value="keep">{format!("Keep all {count} shown")}</button>
        </ActionForm>
    }
    .into_any()
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "before Attest's records".to_owned(), utc_short)
}

#[component]
fn ItemCard(
    index: usize,
    view: ItemView,
    now: DateTime<Utc>,
    decide: ServerAction<DecideReviewItems>,
    delegate: ServerAction<DelegateReviewItem>,
) -> impl IntoView {
    let ItemView {
        item,
        round_name,
        justify_keep,
        justify_revoke,
        ..
    } = view;
    let id = item.id;
    let overdue = item.is_overdue(now);
    let path = item.path();
    let holder = match &item.holder {
        Some(h) => {
            let mut about = vec![h.email.clone()];
            about.extend(h.department.clone());
            if let Some(manager) = &h.manager {
                about.push(format!("manager {manager}"));
            }
            view! { <strong>{h.name.clone()}</strong>" "<span class="subtle">{about.join(" · ")}</span> }.into_any()
        }
        None => view! {
            <strong>{item.grant.principal.name.clone()}</strong>" "
            <span class="subtle">{format!("{} (no person in the people import)", item.grant.principal.kind)}</span>
        }
        .into_any(),
    };
    let usage = match (item.usage.last_used_at, item.usage.event_id) {
        (Some(at), Some(event)) => view! {
            <a href=format!("/events/{event}")>{utc_short(at)}</a>
            ": "{item.usage.what.clone()}
            {(!item.usage.on_resource).then_some(" (elsewhere in the same org or account)")}
        }
        .into_any(),
        _ => view! { <span>"no use recorded"</span> }.into_any(),
    };
    let recommended = item.recommendation.decision;
    let state = match (item.decision, &item.decided_by) {
        (Some(decision), by) => format!(
            "Decided: {}{} — you can change it until the stage closes.",
            decision.label(),
            by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default()
        ),
        (None, _) => format!("Due {}", utc_short(item.due_at)),
    };
    let wants = if justify_revoke && justify_keep {
        "Justification (required)"
    } else if justify_revoke {
        "Justification (required to revoke)"
    } else if justify_keep {
        "Justification (required to keep)"
    } else {
        "Comment (optional)"
    };
    let label_id = format!("item-{id}-title");
    view! {
        <article
            class=if overdue { "review-item overdue" } else { "review-item" }
            id=format!("item-{id}")
            data-item-id=id
            aria-labelledby=label_id
            data-justify-keep=justify_keep.then_some("")
            data-justify-revoke=justify_revoke.then_some("")
            tabindex="-1"
        >
            <header>
                <input
                    type="checkbox"
                    form=BULK_FORM
                    name=format!("ids[{index}]")
                    value=id
                    aria-label=format!("Tick {}", item.grant.principal.name)
                />
                <h2 id=label_id.clone()>
                    {holder}
                </h2>
                <span class="badge permission">{item.grant.permission.clone()}</span>
                {item.privileged.then(|| view! { <span class="badge privileged">"privileged"</span> })}
                {overdue.then(|| view! { <span class="badge overdue">"overdue"</span> })}
                {item.regression.then(|| view! { <span class="badge regressed">"granted again"</span> })}
            </header>
            <dl class="evidence">
                <dt>"Access"</dt>
                <dd><code>{path}</code>" on "{item.grant.resource.kind.clone()}" in "<code>{item.grant.scope.clone()}</code></dd>
                <dt>"Granted"</dt>
                <dd>{when(item.granted_at)}{(!item.granted_how.is_empty()).then(|| format!(" — {}", item.granted_how))}</dd>
                <dt>"Last use"</dt>
                <dd class="usage">{usage}</dd>
                <dt>"Recommendation"</dt>
                <dd class=format!("recommendation {}", recommended.as_str())>
                    <strong>{recommended.label()}</strong>": "{item.recommendation.reason.clone()}
                </dd>
                <dt>"Campaign"</dt>
                <dd>{round_name}" · stage "{item.stage}" · "{state}</dd>
            </dl>
            <ActionForm action=decide attr:class="decide">
                <input type="hidden" name="ids[0]" value=id/>
                <label class="field wide">
                    <span>{wants}</span>
                    <input name="justification" maxlength="2000" value=item.justification.clone()/>
                </label>
                <div class="form-actions">
                    <button type="submit" name="decision" value="keep" data-key="a"
                        aria-pressed=(item.decision == Some(Decision::Keep)).to_string()>"Keep"</button>
                    <button type="submit" name="decision" value="revoke" data-key="r" class="danger"
                        aria-pressed=(item.decision == Some(Decision::Revoke)).to_string()>"Revoke"</button>
                    <button type="submit" name="decision" value="dont_know"
                        aria-pressed=(item.decision == Some(Decision::DontKnow)).to_string()>"Don't know"</button>
                </div>
            </ActionForm>
            <details class="delegate">
                <summary>"Hand to someone else"</summary>
                <ActionForm action=delegate>
                    <input type="hidden" name="id" value=id/>
                    <label class="field">
                        <span>"Their e-mail"</span>
                        <input type="email" name="to" required/>
                    </label>
                    <label class="field wide">
                        <span>"Why"</span>
                        <input name="reason" required maxlength="2000"/>
                    </label>
                    <div class="form-actions"><button type="submit">"Hand on"</button></div>
                </ActionForm>
            </details>
        </article>
    }
}
