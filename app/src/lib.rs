//! Attest's Leptos UI: the HTML shell, the router with its pages, and the server functions the
//! pages read through. Built twice: with `ssr` into the `attest` server, with `hydrate` to wasm.
//!
//! Every page renders completely on the server (`SsrMode::Async`) and works with JavaScript off:
//! filters are GET forms, paging is links, query state lives in the URL. The wasm build adds
//! keyboard shortcuts and small conveniences on top.

#![recursion_limit = "256"]

pub mod api;
pub mod auth;
mod components;
pub mod error;
mod format;
mod pages;
pub mod query;

use components::site::{SiteFooter, SiteHeader};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use pages::{
    access::AccessPage,
    access_graph::AccessGraphPage,
    audit::AuditPage,
    campaigns::{CampaignsPage, RoundPageView},
    event::EventPage,
    findings::FindingsPage,
    ingest::IngestPage,
    not_found::NotFound,
    people::PeoplePage,
    people::PersonPage,
    reviews::ReviewsPage,
    signin::SigninPage,
    timeline::TimelinePage,
    tokens::TokensPage,
    webhooks::WebhooksPage,
};

/// The HTML document around the app, rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The server's security headers allow inline scripts with this request's nonce only: hand
    // it to the hydration script.
    #[cfg(feature = "ssr")]
    if let Some(nonce) = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<auth::CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Set once the wasm has taken over, so tests (and curious people) can tell an enhanced page
    // from plain server HTML. The server renders it false, hydration starts false: no mismatch.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="attest" href="/pkg/attest.css"/>
        <Title formatter=|page: String| {
            if page.is_empty() { "Attest".to_owned() } else { format!("{page} · Attest") }
        }/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <SiteHeader/>
            <main id="main" data-hydrated=move || hydrated.get().then_some("true")>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=TimelinePage ssr=SsrMode::Async/>
                    <Route path=path!("/timeline") view=TimelinePage ssr=SsrMode::Async/>
                    <Route path=path!("/events/:id") view=EventPage ssr=SsrMode::Async/>
                    <Route path=path!("/access") view=AccessPage ssr=SsrMode::Async/>
                    <Route path=path!("/access/graph") view=AccessGraphPage ssr=SsrMode::Async/>
                    <Route path=path!("/reviews") view=ReviewsPage ssr=SsrMode::Async/>
                    <Route path=path!("/campaigns") view=CampaignsPage ssr=SsrMode::Async/>
                    <Route path=path!("/campaigns/rounds/:id") view=RoundPageView ssr=SsrMode::Async/>
                    <Route path=path!("/findings") view=FindingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/people") view=PeoplePage ssr=SsrMode::Async/>
                    <Route path=path!("/people/:email") view=PersonPage ssr=SsrMode::Async/>
                    <Route path=path!("/ingest") view=IngestPage ssr=SsrMode::Async/>
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/tokens") view=TokensPage ssr=SsrMode::Async/>
                    <Route path=path!("/webhooks") view=WebhooksPage ssr=SsrMode::Async/>
                    <Route path=path!("/signin") view=SigninPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <SiteFooter/>
        </Router>
    }
}

/// The wasm entry point: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
