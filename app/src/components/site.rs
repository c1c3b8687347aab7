//! The frame around every page: product name, navigation, footer.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <img src="/favicon.svg" alt="" width="20" height="20"/>
                <span>"Attest"</span>
            </a>
            <nav aria-label="Main">
                <A href="/" exact=true>"Timeline"</A>
                <A href="/access">"Access"</A>
                <A href="/findings">"Findings"</A>
                <A href="/people">"People"</A>
                <A href="/ingest">"Ingest health"</A>
            </nav>
        </header>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <span>"Attest — audit history for infrastructure access. All times are UTC."</span>
            <span class="shortcuts" aria-label="Keyboard shortcuts">
                <kbd>"/"</kbd>" search · "<kbd>"j"</kbd>" "<kbd>"k"</kbd>" move · "
                <kbd>"Enter"</kbd>" open"
            </span>
        </footer>
    }
}
