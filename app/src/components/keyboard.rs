//! Keyboard shortcuts on the timeline: `/` focuses the search box, `j`/`k` move a highlighted
//! row, `Enter` opens it, `Escape` leaves the search box. Browser-only: on the server
//! `window_event_listener` adds nothing, and the page works without them.

use crate::components::filter_form::SEARCH_INPUT_ID;
use leptos::ev;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use web_sys::{HtmlElement, KeyboardEvent, ScrollIntoViewOptions, ScrollLogicalPosition};

/// Installs the shortcuts for as long as the calling component lives. `selected` is the
/// highlighted row's position in the table.
pub fn use_timeline_keys(selected: RwSignal<Option<usize>>) {
    let navigate = use_navigate();
    let handle = window_event_listener(ev::keydown, move |e: KeyboardEvent| {
        if e.ctrl_key() || e.meta_key() || e.alt_key() || e.default_prevented() {
            return;
        }
        let target = e.target().and_then(|t| t.dyn_into::<HtmlElement>().ok());
        if target.as_ref().is_some_and(is_editable) {
            if e.key() == "Escape" {
                if let Some(el) = target {
                    let _ = el.blur();
                }
            }
            return;
        }
        let ids = row_ids();
        match e.key().as_str() {
            "/" => {
                if let Some(input) = element_by_id(SEARCH_INPUT_ID) {
                    e.prevent_default();
                    let _ = input.focus();
                }
            }
            "j" | "k" if !ids.is_empty() => {
                let last = ids.len() - 1;
                let next = match (selected.get_untracked(), e.key() == "j") {
                    (None, _) => 0,
                    (Some(i), true) => (i + 1).min(last),
                    (Some(i), false) => i.saturating_sub(1),
                };
                selected.set(Some(next));
                if let Some(row) = ids
                    .get(next)
                    .and_then(|id| element_by_id(&format!("event-{id}")))
                {
                    let options = ScrollIntoViewOptions::new();
                    options.set_block(ScrollLogicalPosition::Nearest);
                    row.scroll_into_view_with_scroll_into_view_options(&options);
                }
            }
            // Enter on a focused link or button already does what it says.
            "Enter"
                if !target
                    .as_ref()
                    .is_some_and(|t| matches!(t.tag_name().as_str(), "A" | "BUTTON")) =>
            {
                if let Some(id) = selected.get_untracked().and_then(|i| ids.get(i)) {
                    e.prevent_default();
                    navigate(&format!("/events/{id}"), NavigateOptions::default());
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
}

/// The event ids of the table's rows, top to bottom. Read from the page itself (each row
/// carries `data-event-id`) rather than from the resource, which the browser may only read
/// inside a `<Suspense/>`.
fn row_ids() -> Vec<String> {
    let Ok(rows) = document().query_selector_all("table.events tbody tr[data-event-id]") else {
        return Vec::new();
    };
    (0..rows.length())
        .filter_map(|i| rows.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::Element>().ok())
        .filter_map(|row| row.get_attribute("data-event-id"))
        .collect()
}

/// True where a key press is typing, not a shortcut.
fn is_editable(el: &HtmlElement) -> bool {
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.is_content_editable()
}

fn element_by_id(id: &str) -> Option<HtmlElement> {
    document()
        .get_element_by_id(id)
        .and_then(|el| el.dyn_into::<HtmlElement>().ok())
}

/// Shortcuts on My reviews: `j`/`k` move between items, `a` keeps the current item, `r`
/// revokes it (or, when its campaign wants a justification and none is typed, puts the cursor
/// in the justification box first). The current item is the one holding focus.
pub fn use_review_keys() {
    let handle = window_event_listener(ev::keydown, move |e: KeyboardEvent| {
        if e.ctrl_key() || e.meta_key() || e.alt_key() || e.default_prevented() {
            return;
        }
        let target = e.target().and_then(|t| t.dyn_into::<HtmlElement>().ok());
        if target.as_ref().is_some_and(is_editable) {
            return;
        }
        let items = review_items();
        if items.is_empty() {
            return;
        }
        let current = document()
            .active_element()
            .and_then(|el| el.closest("article.review-item").ok().flatten())
            .and_then(|el| items.iter().position(|item| item.is_same_node(Some(&el))));
        match e.key().as_str() {
            "j" | "k" => {
                let last = items.len() - 1;
                let next = match (current, e.key() == "j") {
                    (None, _) => 0,
                    (Some(i), true) => (i + 1).min(last),
                    (Some(i), false) => i.saturating_sub(1),
                };
                if let Some(item) = items.get(next) {
                    e.prevent_default();
                    let _ = item.focus();
                    let options = ScrollIntoViewOptions::new();
                    options.set_block(ScrollLogicalPosition::Nearest);
                    item.scroll_into_view_with_scroll_into_view_options(&options);
                }
            }
            key @ ("a" | "r") => {
                let Some(item) = current.and_then(|i| items.get(i)) else {
                    return;
                };
                let input = item
                    .query_selector("form.decide input[name=justification]")
                    .ok()
                    .flatten()
                    .and_then(|el| el.dyn_into::<web_sys::HtmlInputElement>().ok());
                let wants = item.get_attribute(if key == "a" {
                    "data-justify-keep"
                } else {
                    "data-justify-revoke"
                });
                if let Some(input) =
                    input.filter(|i| wants.is_some() && i.value().trim().is_empty())
                {
                    e.prevent_default();
                    let _ = input.focus();
                    return;
                }
                let button = item
                    .query_selector(&format!("form.decide button[data-key={key}]"))
                    .ok()
                    .flatten()
                    .and_then(|el| el.dyn_into::<HtmlElement>().ok());
                if let Some(button) = button {
                    e.prevent_default();
                    button.click();
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
}

/// The review items on the page, top to bottom.
fn review_items() -> Vec<HtmlElement> {
    let Ok(items) = document().query_selector_all("article.review-item") else {
        return Vec::new();
    };
    (0..items.length())
        .filter_map(|i| items.item(i))
        .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
        .collect()
}
