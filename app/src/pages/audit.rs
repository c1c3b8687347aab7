//! Attest's own audit log (`/audit`): who signed in or was refused, who signed out, and (as
//! they come) who changed settings or exported what. Searchable like the timeline, by actor,
//! action and words; every row is also in the ledger.

use crate::api::list_actions;
use crate::components::notice::ErrorNotice;
use crate::format::utc_short;
use crate::query::encode;
use domain::audit::{ActionFilter, ActionPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_query_map();
    let filter = Memo::new(move |_| {
        params.with(|p| {
            let read = |key: &str| p.get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
            ActionFilter {
                actor: read("actor"),
                action: read("action"),
                text: read("q"),
                before: read("before").parse().ok(),
            }
        })
    });
    let page = Resource::new(move || filter.get(), list_actions);
    view! {
        <Title text="Audit log"/>
        <div class="page-head">
            <h1>"Audit log"</h1>
            <p class="subtle">
                "What people did in Attest itself: sign-ins (and refusals), sign-outs, changes. Each row is in the ledger that "
                <code>"attest verify"</code>" checks."
            </p>
            <a class="button secondary" rel="external" href=move || {
                let f = filter.get();
                let params: Vec<String> = [("actor", f.actor), ("action", f.action), ("q", f.text)]
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| format!("{k}={}", crate::query::encode(&v)))
                    .collect();
                format!("/export/audit.csv?{}", params.join("&"))
            }>"Download CSV"</a>
        </div>
        <form class="filters" method="get" action="/audit" role="search">
            <label class="field">
                <span>"Actor"</span>
                <input type="text" name="actor" value=move || filter.get().actor placeholder="alice@example.com"/>
            </label>
            <label class="field">
                <span>"Action"</span>
                <input type="text" name="action" value=move || filter.get().action placeholder="signin*"/>
            </label>
            <label class="field wide">
                <span>"Words"</span>
                <input type="search" name="q" value=move || filter.get().text placeholder="refused"/>
            </label>
            <div class="form-actions">
                <button type="submit">"Search"</button>
                <a class="button secondary" href="/audit">"Clear"</a>
            </div>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <ActionTable page filter=filter.get_untracked()/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ActionTable(page: ActionPage, filter: ActionFilter) -> impl IntoView {
    if page.actions.is_empty() {
        return view! { <p class="empty">"Nothing recorded matches."</p> }.into_any();
    }
    let older = page.next_before.map(|before| {
        let mut href = format!("/audit?before={before}");
        for (key, value) in [
            ("actor", &filter.actor),
            ("action", &filter.action),
            ("q", &filter.text),
        ] {
            if !value.is_empty() {
                href.push_str(&format!("&{key}={}", encode(value)));
            }
        }
        view! { <p class="pager"><a href=href>"Older actions"</a></p> }
    });
    let rows = page
        .actions
        .into_iter()
        .map(|a| {
            view! {
                <tr>
                    <td class="when">{utc_short(a.at)}</td>
                    <td>{a.actor}</td>
                    <td>{a.role}</td>
                    <td><code>{a.action}</code></td>
                    <td>{a.target}</td>
                    <td>{a.detail}</td>
                    <td class="ip">{a.ip}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="actions">
            <thead>
                <tr>
                    <th scope="col">"When (UTC)"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Action"</th>
                    <th scope="col">"On"</th>
                    <th scope="col">"Detail"</th>
                    <th scope="col">"From"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        {older}
    }
    .into_any()
}
