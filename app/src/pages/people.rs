//! People (`/people`, `/people/:email`): who is who. The list searches by e-mail or name; a
//! person's page shows what the people import says about them, every account that counts as
//! theirs and why (listed by the import, for them or for someone merged into them, or linked by
//! hand), what was taken away from them by hand, and the record of every such decision.

use crate::api::{get_person, get_signed_in, list_people, DecidePerson, PeopleList};
use crate::components::badges::SourceBadge;
use crate::components::notice::{ErrorNotice, FormErrorNotice};
use crate::error::{form_error, AppError};
use crate::format::utc_short;
use crate::query::{encode, TimelineQuery};
use domain::model::{Role, Source};
use domain::people::{AccountOrigin, LinkAction, LinkEntry, PersonProfile, ACCOUNT_SOURCES};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The page of a person.
pub fn person_href(email: &str) -> String {
    format!("/people/{}", encode(email))
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        params.with(|p| {
            let read = |key: &str| p.get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
            (read("q"), read("after"))
        })
    });
    let list = Resource::new(move || query.get(), |(q, after)| list_people(q, after));
    view! {
        <Title text="People"/>
        <div class="page-head">
            <h1>"People"</h1>
            <p class="subtle">
                "Who is who, from the people import: each person with the accounts that count as theirs in every source."
            </p>
        </div>
        <form class="filters" method="get" action="/people" role="search">
            <label class="field wide">
                <span>"E-mail, name or account"</span>
                <input type="search" name="q" value=move || query.get().0 placeholder="alice"/>
            </label>
            <div class="form-actions">
                <button type="submit">"Search"</button>
                <a class="button secondary" href="/people">"Clear"</a>
            </div>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading people…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <PeopleTable list q=query.get_untracked().0/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PeopleTable(list: PeopleList, q: String) -> impl IntoView {
    if list.people.is_empty() {
        return view! {
            <p class="empty">
                {if q.is_empty() {
                    "No one yet: people come from "
                } else {
                    "No one matches. People come from "
                }}
                <code>"attest import people people.csv"</code>
                "."
            </p>
        }
        .into_any();
    }
    let rows = list
        .people
        .into_iter()
        .map(|person| {
            let accounts = person
                .accounts
                .iter()
                .map(|a| {
                    view! {
                        <li><SourceBadge source=a.source/>" "<code>{a.account_id.clone()}</code></li>
                    }
                })
                .collect_view();
            view! {
                <tr>
                    <td><a href=person_href(&person.email)>{person.name.clone()}</a></td>
                    <td><code>{person.email.clone()}</code></td>
                    <td>{person.department.clone().unwrap_or_default()}</td>
                    <td>
                        {person.manager_email.clone().map(|m| view! { <a href=person_href(&m)>{m.clone()}</a> })}
                    </td>
                    <td><ul class="accounts">{accounts}</ul></td>
                </tr>
            }
        })
        .collect_view();
    let older = list.next_after.map(|after| {
        let mut href = format!("/people?after={}", encode(&after));
        if !q.is_empty() {
            href.push_str(&format!("&q={}", encode(&q)));
        }
        view! { <nav class="pager"><a class="button secondary" href=href>"Next"</a></nav> }
    });
    view! {
        <div class="table-scroll"><table class="plain people">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"E-mail"</th>
                    <th scope="col">"Department"</th>
                    <th scope="col">"Manager"</th>
                    <th scope="col">"Accounts"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table></div>
        {older}
    }
    .into_any()
}

#[component]
pub fn PersonPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let email = Memo::new(move |_| params.with(|p| p.get("email").unwrap_or_default()));
    let decide = ServerAction::<DecidePerson>::new();
    // Read again after each correction made here (with JavaScript; without it, the form's
    // answer sends the browser back to this page, read afresh).
    let person = Resource::new(
        move || (email.get(), decide.version().get()),
        |(email, _)| load_person(email),
    );
    let who = Resource::new(|| (), |_| get_signed_in());
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading person…"</p> }>
            {move || Suspend::new(async move {
                let admin = matches!(who.await, Ok(Some(user)) if user.role >= Role::Admin);
                match person.await {
                    Ok(person) => {
                        // What a correction posted without JavaScript left in the URL.
                        let posted = query.with_untracked(|q| form_error(q, DecidePerson::PATH));
                        let fixes = admin.then_some(Fixes { decide, posted });
                        view! { <PersonDetails person fixes/> }.into_any()
                    }
                    Err(error) => view! {
                        <Title text="No such person"/>
                        <nav class="breadcrumbs"><a href="/people">"People"</a>" › Person"</nav>
                        <ErrorNotice error/>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

/// What an admin's person page needs for its correction forms.
#[derive(Clone)]
struct Fixes {
    decide: ServerAction<DecidePerson>,
    /// The error of a correction posted without JavaScript, read from the URL.
    posted: Option<AppError>,
}

async fn load_person(email: String) -> Result<PersonProfile, AppError> {
    get_person(email.clone()).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "No people import names “{email}”. People come from `attest import people`."
        ))
    })
}

/// A decision in words, for the record table.
fn decision_text(entry: &LinkEntry) -> String {
    let account = entry
        .account
        .as_ref()
        .map(|a| format!("{} account {}", a.source, a.account_id))
        .unwrap_or_default();
    let other = entry.other_email.clone().unwrap_or_default();
    match entry.action {
        LinkAction::Link if other.is_empty() => format!("Linked {account} to {}", entry.email),
        LinkAction::Link => format!("Linked {account} to {} (it was {other}’s)", entry.email),
        LinkAction::Unlink => format!("Unlinked {account} from {}", entry.email),
        LinkAction::Merge => format!("Merged {other} into {}", entry.email),
        LinkAction::Split => format!("Split {other} off {}", entry.email),
    }
}

#[component]
fn PersonDetails(person: PersonProfile, fixes: Option<Fixes>) -> impl IntoView {
    let PersonProfile {
        email,
        name,
        manager_email,
        department,
        merged_into,
        merged,
        reports,
        accounts,
        taken_away,
        log,
    } = person;
    let access_href = format!("/access?who={}", encode(&email));
    let graph_href = format!("/access/graph?who={}", encode(&email));
    let facts = view! {
        <dl class="facts">
            <dt>"E-mail"</dt>
            <dd><code>{email.clone()}</code></dd>
            <dt>"Department"</dt>
            <dd>{department.unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Manager"</dt>
            <dd>
                {match manager_email {
                    Some(m) => view! { <a href=person_href(&m)>{m.clone()}</a> }.into_any(),
                    None => "—".into_any(),
                }}
            </dd>
            <dt>"Reports"</dt>
            <dd>
                {if reports.is_empty() {
                    "—".into_any()
                } else {
                    reports
                        .iter()
                        .map(|r| view! { <a href=person_href(r)>{r.clone()}</a>" " })
                        .collect_view()
                        .into_any()
                }}
            </dd>
        </dl>
    };
    let head = view! {
        <Title text=format!("{name} — people")/>
        <nav class="breadcrumbs"><a href="/people">"People"</a>" › "{name.clone()}</nav>
        <div class="page-head">
            <h1>{name.clone()}</h1>
        </div>
    };
    if let Some(into) = merged_into {
        return view! {
            {head}
            <p class="notice" role="status">
                "Merged into "<a href=person_href(&into)>{into.clone()}</a>
                ": the same human. Their accounts, access and record are on that page."
            </p>
            {fixes.map(|fixes| view! {
                <Outcome fixes=fixes.clone()/>
                <DecisionForm
                    decide=fixes.decide
                    email=into.clone()
                    decision="split"
                    person=email.clone()
                    label="Split off again"
                    summary=format!("Split {email} off {into}…")
                />
            })}
            {facts}
            <Record log/>
        }
        .into_any();
    }
    let admin = fixes.is_some();
    let decide = fixes.as_ref().map(|f| f.decide);
    let account_rows = accounts
        .into_iter()
        .map(|linked| {
            let unlink = decide.map(|decide| {
                view! {
                    <td>
                        <DecisionForm
                            decide
                            email=email.clone()
                            decision="unlink"
                            source=linked.account.source
                            account_id=linked.account.account_id.clone()
                            label="Unlink"
                            summary="Unlink…".to_owned()
                        />
                    </td>
                }
            });
            let why = match linked.origin {
                AccountOrigin::Import { email: listed } if listed == email => {
                    "people import".to_owned()
                }
                AccountOrigin::Import { email: listed } => {
                    format!("people import, as {listed}’s (merged in)")
                }
                AccountOrigin::Linked { log_id } => format!("linked by hand (#{log_id})"),
            };
            let timeline = TimelineQuery::by_actor(&linked.account.account_id).href();
            view! {
                <tr>
                    <td><SourceBadge source=linked.account.source/></td>
                    <td><code>{linked.account.account_id.clone()}</code></td>
                    <td>{why}</td>
                    <td><a href=timeline>"Activity"</a></td>
                    {unlink}
                </tr>
            }
        })
        .collect_view();
    let merged_list = (!merged.is_empty()).then(|| {
        let items = merged
            .iter()
            .map(|m| {
                let split = decide.map(|decide| {
                    view! {
                        <DecisionForm
                            decide
                            email=email.clone()
                            decision="split"
                            person=m.clone()
                            label="Split off"
                            summary="Split off…".to_owned()
                        />
                    }
                });
                view! { <li><a href=person_href(m)>{m.clone()}</a>" "{split}</li> }
            })
            .collect_view();
        view! {
            <h2>"Merged in"</h2>
            <p class="subtle">"The same human under other e-mails; their accounts count as this person’s."</p>
            <ul>{items}</ul>
        }
    });
    let taken_list = (!taken_away.is_empty()).then(|| {
        let items = taken_away
            .iter()
            .map(|a| view! { <li><SourceBadge source=a.source/>" "<code>{a.account_id.clone()}</code></li> })
            .collect_view();
        view! {
            <h2>"Not theirs, by hand"</h2>
            <p class="subtle">"The people import lists these for them, but they were unlinked or linked to someone else (see the record)."</p>
            <ul class="accounts">{items}</ul>
        }
    });
    view! {
        {head}
        <p class="actions">
            <a class="button" href=access_href>"What they can reach"</a>" "
            <a class="button secondary" href=graph_href>"Graph"</a>
        </p>
        {facts}
        <h2>"Accounts"</h2>
        <div class="table-scroll"><table class="plain accounts">
            <thead>
                <tr>
                    <th scope="col">"Source"</th>
                    <th scope="col">"Account"</th>
                    <th scope="col">"Why theirs"</th>
                    <th scope="col"><span class="visually-hidden">"Timeline"</span></th>
                    {admin.then(|| view! { <th scope="col"><span class="visually-hidden">"Correct"</span></th> })}
                </tr>
            </thead>
            <tbody>{account_rows}</tbody>
        </table></div>
        {merged_list}
        {taken_list}
        {fixes.map(|fixes| view! { <Corrections fixes email=email.clone()/> })}
        <Record log/>
    }
    .into_any()
}

/// How the last correction went: what was recorded, or why nothing was.
#[component]
fn Outcome(fixes: Fixes) -> impl IntoView {
    let Fixes { decide, posted } = fixes;
    move || match decide.value().get() {
        Some(Ok(entry)) => view! {
            <p class="notice done" role="status">
                {format!("Recorded #{}: {}.", entry.id, decision_text(&entry))}
            </p>
        }
        .into_any(),
        Some(Err(error)) => view! { <FormErrorNotice error/> }.into_any(),
        None => posted
            .clone()
            .map(|error| view! { <FormErrorNotice error/> })
            .into_any(),
    }
}

/// The admin's forms: link an account, merge another person in. Unlinking and splitting sit
/// by the account or person they act on.
#[component]
fn Corrections(fixes: Fixes, email: String) -> impl IntoView {
    let decide = fixes.decide;
    let merge_email = email.clone();
    let sources = ACCOUNT_SOURCES
        .iter()
        .map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> })
        .collect_view();
    view! {
        <section class="corrections" aria-labelledby="corrections-title">
            <h2 id="corrections-title">"Correct by hand"</h2>
            <p class="subtle">
                "When the people import is wrong or silent. Every correction is recorded below with your e-mail and reason, in Attest’s audit log, and in the ledger."
            </p>
            <Outcome fixes=fixes.clone()/>
            <div class="correction-forms">
                <ActionForm action=decide>
                    <fieldset>
                        <legend>"Link an account"</legend>
                        <input type="hidden" name="email" value=email/>
                        <input type="hidden" name="decision" value="link"/>
                        <label class="field">
                            <span>"Source"</span>
                            <select name="source" required>{sources}</select>
                        </label>
                        <label class="field">
                            <span>"Account, as the source names it"</span>
                            <input name="account_id" required placeholder="octocat, arn:aws:iam::…:user/alice, user:alice@…"/>
                        </label>
                        <label class="field">
                            <span>"Why"</span>
                            <input name="reason" required/>
                        </label>
                        <p class="subtle">"Taken from whoever holds it now."</p>
                        <button type="submit">"Link"</button>
                    </fieldset>
                </ActionForm>
                <ActionForm action=decide>
                    <fieldset>
                        <legend>"Merge another person in"</legend>
                        <input type="hidden" name="email" value=merge_email/>
                        <input type="hidden" name="decision" value="merge"/>
                        <label class="field">
                            <span>"Their e-mail"</span>
                            <input type="email" name="person" required/>
                        </label>
                        <label class="field">
                            <span>"Why"</span>
                            <input name="reason" required/>
                        </label>
                        <p class="subtle">"The same human under another e-mail: their accounts count as this person’s."</p>
                        <button type="submit">"Merge"</button>
                    </fieldset>
                </ActionForm>
            </div>
        </section>
    }
}

/// A decision about one account or one other person, behind a disclosure, asking why.
#[component]
fn DecisionForm(
    decide: ServerAction<DecidePerson>,
    email: String,
    decision: &'static str,
    #[prop(optional)] source: Option<Source>,
    #[prop(optional)] account_id: Option<String>,
    #[prop(optional)] person: Option<String>,
    label: &'static str,
    summary: String,
) -> impl IntoView {
    view! {
        <details class="inline-form">
            <summary>{summary}</summary>
            <ActionForm action=decide>
                <input type="hidden" name="email" value=email/>
                <input type="hidden" name="decision" value=decision/>
                {source.map(|s| view! { <input type="hidden" name="source" value=s.as_str()/> })}
                {account_id.map(|a| view! { <input type="hidden" name="account_id" value=a/> })}
                {person.map(|p| view! { <input type="hidden" name="person" value=p/> })}
                <label class="field">
                    <span>"Why"</span>
                    <input name="reason" required/>
                </label>
                <button type="submit">{label}</button>
            </ActionForm>
        </details>
    }
}

/// The decisions taken by hand about a person, newest first.
#[component]
fn Record(log: Vec<LinkEntry>) -> impl IntoView {
    let how = view! {
        <p class="subtle">
            "Corrections by hand are made by an admin on this page, with "
            <code>"attest people link|unlink|merge|split"</code>
            " or through the API ("<code>"POST /api/v1/people/{email}/link"</code>
            " and the others), always with a reason, and recorded here."
        </p>
    };
    if log.is_empty() {
        return view! {
            <h2>"Record"</h2>
            <p class="empty">"No decision by hand: everything above is as the people import says."</p>
            {how}
        }
        .into_any();
    }
    let rows = log
        .into_iter()
        .map(|entry| {
            view! {
                <tr id=format!("decision-{}", entry.id)>
                    <td>{format!("#{}", entry.id)}</td>
                    <td><time datetime=entry.at.to_rfc3339()>{utc_short(entry.at)}</time></td>
                    <td>{entry.actor.clone()}</td>
                    <td>{decision_text(&entry)}</td>
                    <td>{entry.reason.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>"Record"</h2>
        <div class="table-scroll"><table class="plain record">
            <thead>
                <tr>
                    <th scope="col">"#"</th>
                    <th scope="col">"When (UTC)"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"What"</th>
                    <th scope="col">"Why"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table></div>
        {how}
    }
    .into_any()
}
