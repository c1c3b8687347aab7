//! Campaigns (`/campaigns`, auditors; defining, launching and closing for admins): every
//! campaign with its schedule and rounds, and one round's page (`/campaigns/rounds/:id`) with
//! progress per reviewer (chart), outcome counts, the items with their log, and the remediation
//! of each revoke with its instructions and verification.

use crate::api::reviews::{
    get_round, list_campaigns, CampaignsPage, CloseReviewStage, CreateCampaign, ItemView,
    LaunchCampaign, RoundPage,
};
use crate::components::notice::{ErrorNotice, FormErrorNotice};
use crate::error::{form_error, AppError};
use crate::format::utc_short;
use domain::model::Source;
use domain::review::{
    Decision, Holders, LogEntry, OnNoResponse, Recurrence, RemediationStatus, ReviewerRule, Round,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let query = use_query_map();
    let create = ServerAction::<CreateCampaign>::new();
    let launch = ServerAction::<LaunchCampaign>::new();
    let page = Resource::new(
        move || (create.version().get(), launch.version().get()),
        |_| list_campaigns(),
    );
    let posted = query.with_untracked(|q| {
        form_error(q, CreateCampaign::PATH).or_else(|| form_error(q, LaunchCampaign::PATH))
    });
    view! {
        <Title text="Access review campaigns"/>
        <div class="page-head">
            <h1>"Access review campaigns"</h1>
            <p class="subtle">
                "A campaign asks the right people whether each grant in its scope is still needed. Each launch freezes the grants in scope (their hash is in the ledger) and sends every reviewer their items; revokes are checked against later imports."
            </p>
        </div>
        {posted.map(|error| view! { <FormErrorNotice error/> })}
        {move || launch.value().get().map(|result| match result {
            Ok(round) => view! {
                <p class="notice done" role="status">
                    "Launched: "<a href=format!("/campaigns/rounds/{round}")>"see the round"</a>"."
                </p>
            }
            .into_any(),
            Err(error) => view! { <FormErrorNotice error/> }.into_any(),
        })}
        {move || create.value().get().map(|result| match result {
            Ok(_) => view! { <p class="notice done" role="status">"Campaign defined."</p> }.into_any(),
            Err(error) => view! { <FormErrorNotice error/> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading campaigns…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <CampaignList page create launch/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn round_row(round: Round) -> impl IntoView {
    let p = round.progress.clone();
    view! {
        <tr>
            <td><a href=format!("/campaigns/rounds/{}", round.id)>{round.name.clone()}</a></td>
            <td><time datetime=round.launched_at.to_rfc3339()>{utc_short(round.launched_at)}</time></td>
            <td>{format!("{} of {}", round.stage, round.definition.stages.len())}</td>
            <td>{round.status.as_str()}</td>
            <td class="num">{format!("{} / {}", p.decided, p.items)}</td>
            <td class="num">{p.keep}</td>
            <td class="num">{p.revoke}</td>
            <td class="num">{p.overdue}</td>
        </tr>
    }
}

#[component]
fn CampaignList(
    page: CampaignsPage,
    create: ServerAction<CreateCampaign>,
    launch: ServerAction<LaunchCampaign>,
) -> impl IntoView {
    let CampaignsPage {
        campaigns,
        rounds,
        can_manage,
    } = page;
    let campaign_rows = campaigns
        .into_iter()
        .map(|c| {
            let d = &c.definition;
            let stages = d
                .stages
                .iter()
                .map(|s| s.reviewer.label())
                .collect::<Vec<_>>()
                .join(", then ");
            let launch_form = can_manage.then(|| {
                view! {
                    <ActionForm action=launch>
                        <input type="hidden" name="id" value=c.id/>
                        <button type="submit">"Launch now"</button>
                    </ActionForm>
                }
            });
            view! {
                <tr>
                    <td><strong>{d.name.clone()}</strong><br/><span class="subtle">{d.description.clone()}</span></td>
                    <td>{d.recurrence.label()}</td>
                    <td>{stages}</td>
                    <td>{c.next_launch_at.map_or_else(|| "—".to_owned(), utc_short)}</td>
                    <td>{launch_form}</td>
                </tr>
            }
        })
        .collect_view();
    let round_rows = rounds.into_iter().map(round_row).collect_view();
    view! {
        <h2>"Campaigns"</h2>
        <div class="table-scroll"><table class="plain campaigns">
            <thead><tr>
                <th scope="col">"Campaign"</th><th scope="col">"Recurs"</th>
                <th scope="col">"Reviewers"</th><th scope="col">"Next launch"</th><th scope="col"></th>
            </tr></thead>
            <tbody>{campaign_rows}</tbody>
        </table></div>
        <h2>"Rounds"</h2>
        <div class="table-scroll"><table class="plain rounds">
            <thead><tr>
                <th scope="col">"Round"</th><th scope="col">"Launched"</th><th scope="col">"Stage"</th>
                <th scope="col">"Status"</th><th scope="col">"Decided"</th><th scope="col">"Kept"</th>
                <th scope="col">"Revoked"</th><th scope="col">"Overdue"</th>
            </tr></thead>
            <tbody>{round_rows}</tbody>
        </table></div>
        {can_manage.then(|| view! { <CampaignFormView create/> })}
    }
}

#[component]
fn CampaignFormView(create: ServerAction<CreateCampaign>) -> impl IntoView {
    let rules = |first: bool| {
        let none = (!first).then(|| view! { <option value="">"No second stage"</option> });
        view! {
            {none}
            {ReviewerRule::ALL
                .iter()
                .map(|r| view! { <option value=r.as_str()>{r.label()}</option> })
                .collect_view()}
        }
    };
    view! {
        <h2>"Define a campaign"</h2>
        <ActionForm action=create attr:class="campaign-form">
            <fieldset class="filters">
                <legend>"What"</legend>
                <label class="field wide"><span>"Name"</span><input name="form[name]" required maxlength="120" placeholder="Quarterly admin review"/></label>
                <label class="field wide"><span>"Description"</span><input name="form[description]" maxlength="500"/></label>
                <label class="field"><span>"Source"</span>
                    <select name="form[source]">
                        <option value="">"All sources"</option>
                        {Source::ALL.iter().filter(|s| **s != Source::People).map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>"Resources (pattern)"</span><input name="form[resources]" placeholder="acme/*"/></label>
                <label class="field"><span>"Holders"</span>
                    <select name="form[holders]">
                        {Holders::ALL.iter().map(|h| view! { <option value=h.as_str()>{h.as_str().replace('_', "-")}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field check"><input type="checkbox" name="form[privileged_only]" value="on"/><span>"Privileged grants only"</span></label>
                <label class="field"><span>"Not used in (days)"</span><input name="form[unused_days]" inputmode="numeric"/></label>
                <label class="field"><span>"Granted since"</span><input type="date" name="form[granted_since]"/></label>
            </fieldset>
            <fieldset class="filters">
                <legend>"Who reviews"</legend>
                <label class="field"><span>"Stage 1"</span><select name="form[reviewer]">{rules(true)}</select></label>
                <label class="field"><span>"Named reviewers (stage 1)"</span><input name="form[named]" placeholder="a@example.com, b@example.com"/></label>
                <label class="field"><span>"Stage 2"</span><select name="form[second_reviewer]">{rules(false)}</select></label>
                <label class="field"><span>"Named reviewers (stage 2)"</span><input name="form[second_named]"/></label>
                <label class="field"><span>"Goes on to stage 2"</span>
                    <select name="form[advance]">
                        <option value="revoke">"Revokes"</option>
                        <option value="dont_know">"Don't knows"</option>
                        <option value="both">"Both"</option>
                    </select>
                </label>
                <label class="field"><span>"Fallback reviewer"</span><input type="email" name="form[fallback]" required/></label>
                <label class="field check"><input type="checkbox" name="form[self_review_of_privileged]" value="on"/><span>"Let holders attest their own privileged grants"</span></label>
            </fieldset>
            <fieldset class="filters">
                <legend>"When"</legend>
                <label class="field"><span>"Days to decide"</span><input name="form[duration_days]" value="14" inputmode="numeric" required/></label>
                <label class="field"><span>"Remind days before due"</span><input name="form[remind_days_before]" value="3" inputmode="numeric"/></label>
                <label class="field"><span>"Recurs"</span>
                    <select name="form[recurrence]">
                        {Recurrence::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == Recurrence::Quarterly>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>"First launch (UTC day)"</span><input type="date" name="form[first_launch]"/></label>
                <label class="field"><span>"When nobody answers"</span>
                    <select name="form[on_no_response]">
                        {OnNoResponse::ALL.iter().map(|o| view! { <option value=o.as_str()>{match o { OnNoResponse::Keep => "Keep", OnNoResponse::Revoke => "Revoke", OnNoResponse::Recommendation => "Take the recommendation" }}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field check"><input type="checkbox" name="form[justify_keep]" value="on"/><span>"Justify keeps"</span></label>
                <label class="field check"><input type="checkbox" name="form[justify_revoke]" value="on" checked/><span>"Justify revokes"</span></label>
                <div class="form-actions"><button type="submit">"Define campaign"</button></div>
            </fieldset>
        </ActionForm>
    }
}

#[component]
pub fn RoundPageView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let close = ServerAction::<CloseReviewStage>::new();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let page = Resource::new(
        move || (id.get(), close.version().get()),
        |(id, _)| async move {
            let id: i64 = id
                .parse()
                .map_err(|_| AppError::NotFound(format!("no round {id:?}")))?;
            get_round(id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("no round {id}")))
        },
    );
    let posted = query.with_untracked(|q| form_error(q, CloseReviewStage::PATH));
    view! {
        <nav class="breadcrumbs"><a href="/campaigns">"Campaigns"</a>" › Round"</nav>
        {posted.map(|error| view! { <FormErrorNotice error/> })}
        {move || close.value().get().map(|result| match result {
            Ok(text) => view! { <p class="notice done" role="status">{format!("Stage closed: {text}.")}</p> }.into_any(),
            Err(error) => view! { <FormErrorNotice error/> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading the round…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <RoundView page close/> }.into_any(),
                    Err(error) => view! { <Title text="No such round"/><ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RoundView(page: RoundPage, close: ServerAction<CloseReviewStage>) -> impl IntoView {
    let RoundPage {
        round,
        items,
        logs,
        charts,
        can_manage,
        now,
    } = page;
    let p = round.progress.clone();
    let open = round.status == domain::review::RoundStatus::Open;
    let close_form = (can_manage && open).then(|| {
        view! {
            <ActionForm action=close attr:class="inline">
                <input type="hidden" name="round" value=round.id/>
                <button type="submit">{format!("Close stage {} now", round.stage)}</button>
            </ActionForm>
        }
    });
    let rows = items
        .into_iter()
        .map(|view| {
            let log = logs
                .iter()
                .find(|(id, _)| *id == view.item.id)
                .map(|(_, log)| log.clone())
                .unwrap_or_default();
            item_row(view, log, now)
        })
        .collect_view();
    view! {
        <Title text=round.name.clone()/>
        <div class="page-head">
            <h1>{round.name.clone()}</h1>
            <p class="subtle">
                {format!(
                    "Launched {} by {} · stage {} of {}, due {} · {} · {} grants frozen, SHA-256 ",
                    utc_short(round.launched_at),
                    round.launched_by,
                    round.stage,
                    round.definition.stages.len(),
                    utc_short(round.stage_due_at),
                    round.status.as_str(),
                    round.population,
                )}
                <code class="hash">{round.population_hash.clone()}</code>
            </p>
        </div>
        <p class="review-summary">
            {format!(
                "{} of {} decided · {} kept · {} revoked · {} don't know · {} overdue · revokes: {} verified, {} failed, {} regressed",
                p.decided, p.items, p.keep, p.revoke, p.dont_know, p.overdue, p.verified, p.failed, p.regressed
            )}
            " "{close_form}
            " "<a rel="external" href=format!("/export/rounds/{}.csv", round.id)>"Evidence CSV"</a>
            " · "<a rel="external" href=format!("/reports/rounds/{}", round.id)>"Printable report"</a>
        </p>
        {charts
            .into_iter()
            .map(|(caption, svg)| {
                view! {
                    <figure class="chart">
                        <figcaption>{caption}</figcaption>
                        <div inner_html=svg></div>
                    </figure>
                }
            })
            .collect_view()}
        <div class="table-scroll"><table class="plain review-round">
            <thead><tr>
                <th scope="col">"Holder"</th><th scope="col">"Access"</th><th scope="col">"Reviewer"</th>
                <th scope="col">"Decision"</th><th scope="col">"Outcome"</th><th scope="col">"Remediation"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table></div>
    }
}

fn item_row(
    view: ItemView,
    log: Vec<LogEntry>,
    now: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    let item = view.item;
    let holder = item.holder.as_ref().map_or_else(
        || item.grant.principal.name.clone(),
        |h| format!("{} ({})", h.name, h.email),
    );
    let decision = match item.decision {
        Some(d) => format!(
            "{}{}",
            d.label(),
            if item.justification.is_empty() {
                String::new()
            } else {
                format!(": {}", item.justification)
            }
        ),
        None if item.is_overdue(now) => "overdue".to_owned(),
        None => "waiting".to_owned(),
    };
    let remediation = match (item.remediation, view.instructions) {
        (Some(status), instructions) => {
            let commands = instructions.map(|i| {
                let lines = i.commands.join("\n");
                view! {
                    <details><summary>{i.summary.clone()}</summary>
                        {(!lines.is_empty()).then(|| view! { <pre><code>{lines}</code></pre> })}
                        {i.console.clone().map(|c| view! { <p>"Console: "<code>{c}</code></p> })}
                        {i.terraform.clone().map(|t| view! { <p>{t}</p> })}
                    </details>
                }
            });
            view! {
                <span class=format!("badge remediation-{}", status.as_str())>{status.as_str()}</span>
                " "{item.remediation_note.clone()}
                {(status == RemediationStatus::Open || status == RemediationStatus::Failed).then_some(commands).flatten()}
            }
            .into_any()
        }
        (None, _) => "—".into_any(),
    };
    let history = log
        .into_iter()
        .map(|e| {
            format!(
                "{} {} {}{}{}",
                utc_short(e.at),
                e.actor,
                e.kind.as_str(),
                e.decision
                    .map(|d| format!(" {}", d.as_str()))
                    .unwrap_or_default(),
                if e.comment.is_empty() {
                    String::new()
                } else {
                    format!(": {}", e.comment)
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    view! {
        <tr id=format!("item-{}", item.id) class=if item.outcome == Some(Decision::Revoke) { "revoked" } else { "" }>
            <td>{holder}</td>
            <td><code>{item.path()}</code></td>
            <td>{item.reviewer.clone().unwrap_or_else(|| "no reviewer".to_owned())}<br/><span class="subtle">{item.reviewer_rule.clone()}</span></td>
            <td title=history>{decision}</td>
            <td>{item.outcome.map_or("open", |d| d.label())}</td>
            <td>{remediation}</td>
        </tr>
    }
}
