//! The timeline's filters: a plain GET form, so it works without JavaScript. With wasm, a submit
//! becomes a client-side navigation to a tidy URL (empty fields left out), and picking a source
//! submits at once.

use crate::query::TimelineQuery;
use domain::model::Source;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

/// The id of the free-text box, which the `/` shortcut focuses.
pub const SEARCH_INPUT_ID: &str = "filter-q";

#[component]
pub fn FilterForm(query: TimelineQuery) -> impl IntoView {
    let navigate = use_navigate();
    let on_submit = move |ev: SubmitEvent| {
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        let Ok(data) = web_sys::FormData::new_with_form(&form) else {
            // Let the browser submit the form the plain way.
            return;
        };
        ev.prevent_default();
        let query = TimelineQuery::from_lookup(|key| data.get(key).as_string());
        navigate(&query.href(), NavigateOptions::default());
    };
    let submit_on_change = |ev: leptos::ev::Event| {
        let form = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
            .and_then(|select| select.form());
        if let Some(form) = form {
            // A failed request_submit leaves the Apply button, which still works.
            let _ = form.request_submit();
        }
    };
    let source = query.source.clone();
    let source_option = move |value: &'static str, label: &'static str| {
        let selected = source == value || (value.is_empty() && source == "all");
        view! { <option value=value selected=selected>{label}</option> }
    };

    view! {
        <form class="filters" method="get" action="/" role="search" on:submit=on_submit>
            <label class="field wide">
                <span>"Search"</span>
                <input
                    id=SEARCH_INPUT_ID
                    type="search"
                    name="q"
                    value=query.q
                    placeholder="Words in summaries, names, actions  ( / )"
                    autocomplete="off"
                />
            </label>
            <label class="field">
                <span>"Actor"</span>
                <input name="actor" value=query.actor placeholder="login or IAM name" autocomplete="off"/>
            </label>
            <label class="field">
                <span>"Action"</span>
                <input name="action" value=query.action placeholder="repo.* or iam.user.created" autocomplete="off"/>
            </label>
            <label class="field">
                <span>"Source"</span>
                <select name="source" on:change=submit_on_change>
                    {source_option("", "All sources")}
                    {Source::ALL
                        .into_iter()
                        .map(|source| source_option(source.as_str(), source.label()))
                        .collect_view()}
                </select>
            </label>
            <label class="field">
                <span>"Target"</span>
                <input name="target" value=query.target placeholder="repo, team, bucket…" autocomplete="off"/>
            </label>
            <label class="field">
                <span>"Since (UTC)"</span>
                <input type="date" name="since" value=query.since/>
            </label>
            <label class="field" title="Inclusive: events on this day are shown">
                <span>"Until (UTC)"</span>
                <input type="date" name="until" value=query.until/>
            </label>
            <div class="form-actions">
                <button type="submit">"Apply"</button>
                <a class="button secondary" href="/">"Clear"</a>
            </div>
        </form>
    }
}
