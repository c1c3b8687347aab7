//! Sign-in (`/signin`): the configured identity provider, and in demo mode the personas one may
//! be. Both work without JavaScript: the provider is a link (the server redirects to it), the
//! personas a form.

use crate::api::get_signin_options;
use crate::auth::{failure_text, SigninOptions};
use crate::components::notice::ErrorNotice;
use crate::query::encode;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SigninPage() -> impl IntoView {
    let query = use_query_map();
    let read = move |key: &str| query.with(|q| q.get(key).unwrap_or_default());
    let error = read("error");
    let signed_out = !read("signed_out").is_empty();
    let next = read("next");
    let options = Resource::new(|| (), |_| get_signin_options());
    view! {
        <Title text="Sign in"/>
        <div class="page-head">
            <h1>"Sign in"</h1>
            <p class="subtle">"Attest shows who can reach your infrastructure: every page needs a signed-in person."</p>
        </div>
        {(!error.is_empty()).then(|| view! {
            <p class="notice error" role="alert">{failure_text(&error)}</p>
        })}
        {signed_out.then(|| view! { <p class="notice" role="status">"You are signed out."</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let next = next.clone();
                Suspend::new(async move {
                    match options.await {
                        Ok(options) => view! { <SigninChoices options next/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn SigninChoices(options: SigninOptions, next: String) -> impl IntoView {
    let provider = options.provider.map(|name| {
        let href = if next.is_empty() {
            "/auth/login".to_owned()
        } else {
            format!("/auth/login?next={}", encode(&next))
        };
        view! {
            // `rel=external`: a server route that redirects to the provider, not a page the
            // client-side router could render.
            <p><a class="button" href=href rel="external">{format!("Sign in with {name}")}</a></p>
        }
    });
    let demo = (!options.personas.is_empty()).then(|| {
        let personas = options
            .personas
            .into_iter()
            .map(|p| {
                view! {
                    <li>
                        <button type="submit" name="persona" value=p.key.clone()>
                            {format!("Sign in as {}", p.name)}
                        </button>
                        " "
                        <span class="subtle">
                            {format!("{} · {} · role {}", p.title, p.email, p.role.as_str())}
                        </span>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="demo-signin" aria-labelledby="demo-heading">
                <h2 id="demo-heading">"Demo personas"</h2>
                <p class="subtle">
                    "Demo mode only (it serves on loopback): sign in as one of the demo company's people, without an identity provider."
                </p>
                <form method="post" action="/auth/demo">
                    <input type="hidden" name="next" value=next.clone()/>
                    <ul class="personas">{personas}</ul>
                </form>
            </section>
        }
    });
    let nothing = (provider.is_none() && demo.is_none()).then(|| {
        view! {
            <p class="empty">
                "No sign-in is configured. An administrator sets "
                <code>"ATTEST_OIDC_ISSUER"</code>", "<code>"ATTEST_OIDC_CLIENT_ID"</code>", "
                <code>"ATTEST_OIDC_CLIENT_SECRET"</code>" and "<code>"ATTEST_ROLES"</code>
                " (see the README)."
            </p>
        }
    });
    view! { {provider} {demo} {nothing} }
}
