//! Webhook secrets (`/webhooks`, admins): make one for a push endpoint (shown once), see which
//! are live and when each last matched a delivery, revoke one. Several may be live for an
//! endpoint, so a sender can move to a new secret before the old one is revoked. Every change
//! is in Attest's audit log and the ledger. The forms work without JavaScript too.

use crate::api::{
    list_hook_secrets, CreateHookSecret, CreatedHookSecret, HookSecretView, HookSecretsPage,
    RevokeHookSecret,
};
use crate::components::notice::{ErrorNotice, FormErrorNotice};
use crate::error::form_error;
use crate::format::utc_short;
use chrono::{DateTime, Utc};
use domain::model::HookEndpoint;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let query = use_query_map();
    let create = ServerAction::<CreateHookSecret>::new();
    let revoke = ServerAction::<RevokeHookSecret>::new();
    let page = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_hook_secrets(),
    );
    let posted = query.with_untracked(|q| {
        form_error(q, CreateHookSecret::PATH).or_else(|| form_error(q, RevokeHookSecret::PATH))
    });
    view! {
        <Title text="Webhook secrets"/>
        <div class="page-head">
            <h1>"Webhook secrets"</h1>
            <p class="subtle">
                "What each sender proves itself with on "<code>"/hooks/…"</code>
                ". Every live secret of an endpoint is accepted, so to rotate: make a new one, give it to the sender, and revoke the old one once its last use stops moving. A secret is derived from the secrets key kept outside the database, and shown once. Also "
                <code>"attest hook-secret create|list|revoke"</code>"."
            </p>
        </div>
        {posted.map(|error| view! { <FormErrorNotice error/> })}
        <Outcome create revoke/>
        <Transition fallback=|| view! { <p class="loading">"Loading webhook secrets…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <SecretsView page create revoke/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The secret just made (shown once), or why the last change was not made.
#[component]
fn Outcome(
    create: ServerAction<CreateHookSecret>,
    revoke: ServerAction<RevokeHookSecret>,
) -> impl IntoView {
    view! {
        {move || match create.value().get() {
            Some(Ok(created)) => view! { <NewSecret created/> }.into_any(),
            Some(Err(error)) => view! { <FormErrorNotice error/> }.into_any(),
            None => ().into_any(),
        }}
        {move || match revoke.value().get() {
            Some(Ok(name)) => view! {
                <p class="notice done" role="status">
                    {format!("Revoked {name}: deliveries signed with it are refused from now on.")}
                </p>
            }
            .into_any(),
            Some(Err(error)) => view! { <FormErrorNotice error/> }.into_any(),
            None => ().into_any(),
        }}
    }
}

#[component]
fn NewSecret(created: CreatedHookSecret) -> impl IntoView {
    view! {
        <div class="notice done new-token" role="status">
            <strong>{format!("Secret {} made for {}", created.name, created.endpoint.path())}</strong>
            <p>{format!("Give it to {}. Copy it now: it is not shown again.", created.endpoint.where_it_goes())}</p>
            <p><code class="secret">{created.secret}</code></p>
        </div>
    }
}

#[component]
fn SecretsView(
    page: HookSecretsPage,
    create: ServerAction<CreateHookSecret>,
    revoke: ServerAction<RevokeHookSecret>,
) -> impl IntoView {
    let HookSecretsPage {
        secrets,
        endpoints,
        can_make,
        just_created,
    } = page;
    let fresh = just_created.map(|created| view! { <NewSecret created/> });
    let form = if can_make {
        view! {
            <ActionForm action=create>
                <fieldset class="filters">
                    <legend class="visually-hidden">"New webhook secret"</legend>
                    <label class="field">
                        <span>"Endpoint"</span>
                        <select name="endpoint">
                            {HookEndpoint::ALL
                                .iter()
                                .map(|e| view! { <option value=e.as_str()>{e.path()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <label class="field wide">
                        <span>"Name: which sender uses it"</span>
                        <input name="name" required maxlength="100" placeholder="github-acme-2026-12"/>
                    </label>
                    <div class="form-actions">
                        <button type="submit">"Make secret"</button>
                    </div>
                </fieldset>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <p class="notice" role="note">
                "Secrets cannot be made here until a secrets key is set: run "
                <code>"attest hook-secret key FILE"</code>" and start Attest with "
                <code>"ATTEST_SECRETS_KEY_FILE=FILE"</code>
                ". Until then only the secrets in the settings are accepted."
            </p>
        }
        .into_any()
    };
    view! {
        {fresh}
        {form}
        <SecretTable secrets revoke/>
        <h2>"From the settings"</h2>
        <p class="subtle">"Secrets given to "<code>"attest serve"</code>" (flags or environment), accepted beside the ones above. They are changed where they are set."</p>
        <div class="table-scroll"><table class="plain endpoints">
            <thead>
                <tr>
                    <th scope="col">"Endpoint"</th>
                    <th scope="col">"Setting"</th>
                    <th scope="col">"Secrets set"</th>
                </tr>
            </thead>
            <tbody>
                {endpoints
                    .into_iter()
                    .map(|e| view! {
                        <tr>
                            <td><code>{e.endpoint.path()}</code></td>
                            <td><code>{e.endpoint.setting()}</code></td>
                            <td>{e.from_settings}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table></div>
    }
}

fn time(at: Option<DateTime<Utc>>, none: &'static str) -> AnyView {
    match at {
        Some(at) => view! { <time datetime=at.to_rfc3339()>{utc_short(at)}</time> }.into_any(),
        None => none.into_any(),
    }
}

#[component]
fn SecretTable(
    secrets: Vec<HookSecretView>,
    revoke: ServerAction<RevokeHookSecret>,
) -> impl IntoView {
    if secrets.is_empty() {
        return view! { <p class="empty">"No webhook secrets made here yet."</p> }.into_any();
    }
    let rows = secrets
        .into_iter()
        .map(|secret| {
            let HookSecretView {
                name,
                endpoint,
                fingerprint,
                created_by,
                created_at,
                last_used_at,
                revoked_at,
            } = secret;
            let revoked = revoked_at.is_some();
            let action = if revoked {
                view! { <span class="subtle">"revoked "{time(revoked_at, "")}</span> }.into_any()
            } else {
                let label = format!("Revoke {name}");
                let value = name.clone();
                view! {
                    <ActionForm action=revoke>
                        <input type="hidden" name="name" value=value/>
                        <button type="submit" class="secondary" aria-label=label>"Revoke"</button>
                    </ActionForm>
                }
                .into_any()
            };
            view! {
                <tr class:revoked=revoked>
                    <td><code>{name}</code></td>
                    <td><code>{endpoint.path()}</code></td>
                    <td><code title="start of the secret's SHA-256">{fingerprint}</code></td>
                    <td>{time(Some(created_at), "")}" by "{created_by}</td>
                    <td>{time(last_used_at, "never")}</td>
                    <td>{action}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll"><table class="plain tokens">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Endpoint"</th>
                    <th scope="col">"Fingerprint"</th>
                    <th scope="col">"Made (UTC)"</th>
                    <th scope="col">"Last used (UTC)"</th>
                    <th scope="col"><span class="visually-hidden">"Revoke"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table></div>
    }
    .into_any()
}
