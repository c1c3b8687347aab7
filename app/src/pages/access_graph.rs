//! The access graph (`/access/graph`): the same question as the access page, drawn as the
//! principals and resources on its paths, holders above what they hold, each edge labelled with
//! the permission and how it is held. Laid out and drawn as SVG on the server, so it reads
//! without wasm; every box is a link to that principal's or resource's own question.
//!
//! Exploring: each box has a "+" (expand: draw what it holds and who holds it as well) and,
//! where there is something to hide, a "−" (collapse what it expanded, or fold the boxes linked
//! only to it into a count). Every state is a URL (`expand=`, `fold=`), so it works as plain
//! links; with wasm a click redraws in place, keeping the page and the old picture until the
//! new one is ready.

use crate::api::{get_access_graph, AccessGraph, AccessQuery, GraphQuery};
use crate::components::notice::ErrorNotice;
use crate::format::utc_short;
use crate::pages::access::{page_title, AccessForm};
use domain::access::picture::{NodeLinks, Picture, PictureNode};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccessGraphPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        params.with(|p| {
            GraphQuery::from_lookup(|key| p.get(key), |key| p.get_all(key).unwrap_or_default())
        })
    });
    let answer = Resource::new(move || query.get(), get_access_graph);
    view! {
        <Title text=move || format!("{} (graph)", query.with(|q| page_title(&q.question)))/>
        <div class="page-head">
            <h1>"Access graph"</h1>
            <p class="subtle">
                "Who holds what, drawn: holders above what they hold, each line with the permission and how it is held. "
                "Click a box to ask about it; + draws its own access as well, − hides it again."
            </p>
        </div>
        {move || view! { <AccessForm query=query.get().question action="/access/graph"/> }}
        <Transition fallback=|| view! { <p class="loading">"Drawing the grants…"</p> }>
            {move || Suspend::new(async move {
                match answer.await {
                    Ok(None) => view! {
                        <p class="subtle">"Name a person or a resource above to draw its access."</p>
                    }.into_any(),
                    Ok(Some(graph)) => {
                        let query = query.get_untracked();
                        view! { <GraphAnswer graph query/> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The drawing, what it leaves out, and what the reader opened or folded.
#[component]
fn GraphAnswer(graph: AccessGraph, query: GraphQuery) -> impl IntoView {
    let table = query.question.href("/access");
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
    // Folding every box into the focus leaves no lines, but still a box with counts to draw.
    let counted = picture
        .nodes
        .iter()
        .any(|node| node.holders_folded + node.held_folded > 0);
    let explored = Explored {
        query: query.clone(),
        picture: &picture,
    }
    .view();
    view! {
        <p class="subtle">{summary} " " <a href=table>"Show as a table"</a></p>
        {notes}
        {explored}
        {if picture.edges.is_empty() && !counted {
            view! { <p class="empty">"Nothing is held at that time."</p> }.into_any()
        } else {
            view! { <GraphFigure picture query/> }.into_any()
        }}
    }
}

/// What the reader expanded and folded, each with a link that undoes it.
struct Explored<'a> {
    query: GraphQuery,
    picture: &'a Picture,
}

impl Explored<'_> {
    fn view(self) -> impl IntoView {
        let query = self.query;
        if query.expand.is_empty() && query.fold.is_empty() {
            return None;
        }
        let name = |id: &str| {
            self.picture
                .nodes
                .iter()
                .find(|node| node.id == id)
                .map_or_else(|| id.to_owned(), |node| node.name.clone())
        };
        let mut items = Vec::new();
        for id in &query.expand {
            items.push((
                format!("expanded {}", name(id)),
                query.collapsing(id).href(),
            ));
        }
        for id in &query.fold {
            items.push((format!("folded {}", name(id)), query.unfolding(id).href()));
        }
        let items = items
            .into_iter()
            .map(|(what, undo)| {
                view! {
                    <li>{what} " " <a href=undo class="undo" title="Undo">"×"</a></li>
                }
            })
            .collect_view();
        let reset = GraphQuery {
            question: query.question.clone(),
            ..GraphQuery::default()
        }
        .href();
        Some(view! {
            <div class="explored">
                <ul>{items}</ul>
                <a href=reset>"Back to the answer alone"</a>
            </div>
        })
    }
}

/// What a box and its controls lead to, in the state `query`.
fn node_links(node: &PictureNode, query: &GraphQuery) -> NodeLinks {
    let day = query.question.at.clone();
    let question = if node.held {
        AccessQuery {
            what: node.id.clone(),
            at: day,
            ..AccessQuery::default()
        }
    } else {
        AccessQuery {
            who: node.id.clone(),
            at: day,
            ..AccessQuery::default()
        }
    };
    let focus = GraphQuery {
        question,
        ..GraphQuery::default()
    }
    .href();
    let open = if node.folded_by_hand {
        Some((
            query.unfolding(&node.id).href(),
            format!("Unfold {}: draw what was folded into it", node.name),
        ))
    } else if !node.expanded && !node.focus {
        Some((
            query.expanding(&node.id).href(),
            format!(
                "Expand {}: also draw what it holds and who holds it",
                node.name
            ),
        ))
    } else {
        None
    };
    let close = if node.expanded {
        Some((
            query.collapsing(&node.id).href(),
            format!("Collapse {}: stop drawing its own access", node.name),
        ))
    } else if node.leaves > 0 && !node.folded_by_hand {
        Some((
            query.folding(&node.id).href(),
            format!(
                "Fold into {}: the {} boxes linked only to it, as a count",
                node.name, node.leaves
            ),
        ))
    } else {
        None
    };
    NodeLinks { focus, open, close }
}

/// The SVG, drawn by [`Picture::to_svg`] (which escapes every name) and set as markup, so the
/// browser parses it as SVG whether the server or the front end put it there. Each box links
/// to the same drawing of its own question (who can reach it, or what it reaches) on the same
/// day; its controls to this drawing expanded, collapsed or folded there.
///
/// The router follows HTML links only: with wasm, a click on a link inside the SVG is turned
/// into the same client-side navigation here, so the page is not loaded again.
#[component]
fn GraphFigure(picture: Picture, query: GraphQuery) -> impl IntoView {
    let svg = picture.to_svg(|node| node_links(node, &query));
    let navigate = leptos_router::hooks::use_navigate();
    let follow = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            if ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key()
            {
                return;
            }
            let link = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("a").ok().flatten())
                .and_then(|a| a.get_attribute("href"));
            if let Some(href) = link {
                ev.prevent_default();
                navigate(&href, Default::default());
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, &navigate);
    };
    view! { <figure class="access-graph" inner_html=svg on:click=follow></figure> }
}
