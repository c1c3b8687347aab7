//! The access graph (`/access/graph`): the same question as the access page, drawn as the
//! principals and resources on its paths, holders above what they hold, each edge labelled with
//! the permission and how it is held. Laid out and drawn as SVG on the server, so it reads
//! without wasm; every box is a link to that principal's or resource's own question.

use crate::api::{get_access_graph, AccessGraph, AccessQuery};
use crate::components::notice::ErrorNotice;
use crate::format::utc_short;
use crate::pages::access::{page_title, AccessForm};
use domain::access::picture::Picture;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccessGraphPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| AccessQuery::from_lookup(|key| p.get(key))));
    let answer = Resource::new(move || query.get(), get_access_graph);
    view! {
        <Title text=move || format!("{} (graph)", query.with(page_title))/>
        <div class="page-head">
            <h1>"Access graph"</h1>
            <p class="subtle">
                "Who holds what, drawn: holders above what they hold, each line with the permission and how it is held."
            </p>
        </div>
        {move || view! { <AccessForm query=query.get() action="/access/graph"/> }}
        <Suspense fallback=|| view! { <p class="loading">"Drawing the grants…"</p> }>
            {move || Suspend::new(async move {
                match answer.await {
                    Ok(None) => view! {
                        <p class="subtle">"Name a person or a resource above to draw its access."</p>
                    }.into_any(),
                    Ok(Some(graph)) => {
                        let query = query.get_untracked();
                        let table = query.href("/access");
                        view! { <GraphAnswer graph table day=query.at/> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The drawing and what it leaves out; `day` is the question's day, kept by every box's link.
#[component]
fn GraphAnswer(graph: AccessGraph, table: String, day: String) -> impl IntoView {
    let when = match graph.at {
        Some(at) => format!("on {}", utc_short(at)),
        None => "now".to_owned(),
    };
    let picture = graph.picture;
    let mut notes = Vec::new();
    if picture.folded > 0 {
        notes.push(format!(
            "{} principals and resources are folded into the team, group or role they go through (counted in its box).",
            picture.folded
        ));
    }
    if picture.omitted > 0 {
        notes.push(format!(
            "{} more are not drawn: the table has them all.",
            picture.omitted
        ));
    }
    if graph.truncated {
        notes.push(
            "The walk found more rows than an answer keeps; this is the first of them.".to_owned(),
        );
    }
    let notes = notes
        .into_iter()
        .map(|note| view! { <p class="notice">{note}</p> })
        .collect_view();
    let summary = format!(
        "{} — {} principals and resources, {} grants, {when}.",
        graph.matched.join(", "),
        picture.nodes.len(),
        picture.edges.len()
    );
    view! {
        <p class="subtle">{summary} " " <a href=table>"Show as a table"</a></p>
        {notes}
        {if picture.edges.is_empty() {
            view! { <p class="empty">"Nothing is held at that time."</p> }.into_any()
        } else {
            view! { <GraphFigure picture day/> }.into_any()
        }}
    }
}

/// The SVG, drawn by [`Picture::to_svg`] (which escapes every name) and set as markup, so the
/// browser parses it as SVG whether the server or the front end put it there. Each box links
/// to the same drawing of its own question (who can reach it, or what it reaches) on `day`.
#[component]
fn GraphFigure(picture: Picture, day: String) -> impl IntoView {
    let svg = picture.to_svg(|node| {
        let question = if node.held {
            AccessQuery {
                what: node.id.clone(),
                at: day.clone(),
                ..AccessQuery::default()
            }
        } else {
            AccessQuery {
                who: node.id.clone(),
                at: day.clone(),
                ..AccessQuery::default()
            }
        };
        question.href("/access/graph")
    });
    view! { <figure class="access-graph" inner_html=svg></figure> }
}
