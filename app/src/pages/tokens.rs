//! API tokens (`/tokens`, admins): create one for a role (shown once; only its hash is kept),
//! see when each was last used, revoke it. Every change is in Attest's audit log and the
//! ledger. The forms work without JavaScript too.

use crate::api::{list_tokens, CreateToken, CreatedToken, RevokeToken, TokenView, TokensPage};
use crate::components::notice::{ErrorNotice, FormErrorNotice};
use crate::error::form_error;
use crate::format::utc_short;
use domain::model::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TokensPage() -> impl IntoView {
    let query = use_query_map();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let page = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    // What a form posted without JavaScript left in the URL.
    let posted = query.with_untracked(|q| {
        form_error(q, CreateToken::PATH).or_else(|| form_error(q, RevokeToken::PATH))
    });
    view! {
        <Title text="API tokens"/>
        <div class="page-head">
            <h1>"API tokens"</h1>
            <p class="subtle">
                "For scripts and other tools: "<code>"Authorization: Bearer …"</code>
                " on "<code>"/api/v1"</code>", with the role the token was made for. Attest keeps only a hash of each token, so it is shown once, when made. Also "
                <code>"attest token create|list|revoke"</code>"."
            </p>
        </div>
        {posted.map(|error| view! { <FormErrorNotice error/> })}
        <Outcome create revoke/>
        <ActionForm action=create>
            <fieldset class="filters">
                <legend class="visually-hidden">"New token"</legend>
                <label class="field wide">
                    <span>"Name: who or what uses it"</span>
                    <input name="name" required maxlength="100" placeholder="ci-export"/>
                </label>
                <label class="field">
                    <span>"Role"</span>
                    <select name="role">
                        {Role::ALL
                            .iter()
                            .rev()
                            .map(|r| {
                                view! {
                                    <option value=r.as_str() selected=*r == Role::Viewer>
                                        {r.as_str()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <div class="form-actions">
                    <button type="submit">"Create token"</button>
                </div>
            </fieldset>
        </ActionForm>
        <Transition fallback=|| view! { <p class="loading">"Loading tokens…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <TokenTable page revoke/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The token just made (shown once), or why the last change was not made.
#[component]
fn Outcome(create: ServerAction<CreateToken>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    view! {
        {move || match create.value().get() {
            Some(Ok(created)) => view! { <NewToken created/> }.into_any(),
            Some(Err(error)) => view! { <FormErrorNotice error/> }.into_any(),
            None => ().into_any(),
        }}
        {move || match revoke.value().get() {
            Some(Ok(name)) => view! {
                <p class="notice done" role="status">{format!("Revoked {name}: it no longer works.")}</p>
            }
            .into_any(),
            Some(Err(error)) => view! { <FormErrorNotice error/> }.into_any(),
            None => ().into_any(),
        }}
    }
}

#[component]
fn NewToken(created: CreatedToken) -> impl IntoView {
    view! {
        <div class="notice done new-token" role="status">
            <strong>{format!("Token {} ({}) created", created.name, created.role.as_str())}</strong>
            <p>"Copy it now: it is not shown again."</p>
            <p><code class="secret">{created.token}</code></p>
        </div>
    }
}

#[component]
fn TokenTable(page: TokensPage, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let TokensPage {
        tokens,
        just_created,
    } = page;
    let fresh = just_created.map(|created| view! { <NewToken created/> });
    if tokens.is_empty() {
        return view! { {fresh}<p class="empty">"No tokens yet."</p> }.into_any();
    }
    let rows = tokens
        .into_iter()
        .map(|token| {
            let TokenView {
                name,
                role,
                created_at,
                last_used_at,
                revoked,
            } = token;
            let action = if revoked {
                view! { <span class="subtle">"revoked"</span> }.into_any()
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
                    <td><code>{name.clone()}</code></td>
                    <td>{role.as_str()}</td>
                    <td><time datetime=created_at.to_rfc3339()>{utc_short(created_at)}</time></td>
                    <td>
                        {match last_used_at {
                            Some(at) => view! { <time datetime=at.to_rfc3339()>{utc_short(at)}</time> }.into_any(),
                            None => "never".into_any(),
                        }}
                    </td>
                    <td>{action}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {fresh}
        <div class="table-scroll"><table class="plain tokens">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Created (UTC)"</th>
                    <th scope="col">"Last used (UTC)"</th>
                    <th scope="col"><span class="visually-hidden">"Revoke"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table></div>
    }
    .into_any()
}
