//! The frame around every page: product name, navigation, footer.

use crate::api::get_signed_in;
use crate::auth::{may_open, SignedIn};
use leptos::prelude::*;
use leptos_router::components::A;

/// The main pages, in the navigation's order.
const PAGES: [(&str, &str); 10] = [
    ("/", "Timeline"),
    ("/reviews", "My reviews"),
    ("/access", "Access"),
    ("/campaigns", "Campaigns"),
    ("/findings", "Findings"),
    ("/people", "People"),
    ("/ingest", "Ingest health"),
    ("/audit", "Audit log"),
    ("/tokens", "Tokens"),
    ("/webhooks", "Webhooks"),
];

#[component]
pub fn SiteHeader() -> impl IntoView {
    let who = Resource::new(|| (), |_| get_signed_in());
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <img src="/favicon.svg" alt="" width="20" height="20"/>
                <span>"Attest"</span>
            </a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    who.await.ok().flatten().map(|user| view! { <SignedInNav user/> })
                })}
            </Suspense>
        </header>
    }
}

/// The pages the signed-in person's role may open, who they are, and signing out.
#[component]
fn SignedInNav(user: SignedIn) -> impl IntoView {
    let links = PAGES
        .into_iter()
        .filter(|(href, _)| may_open(user.role, href))
        .map(|(href, label)| view! { <A href=href exact=href == "/">{label}</A> })
        .collect_view();
    view! {
        <nav aria-label="Main">{links}</nav>
        <form class="whoami" method="post" action="/auth/logout">
            <span title=user.email.clone()>
                {user.name.clone()}
                " · "
                <span class="role">{user.role.as_str()}</span>
            </span>
            <button type="submit" class="link">"Sign out"</button>
        </form>
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
