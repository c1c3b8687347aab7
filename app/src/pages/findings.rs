//! Findings (`/findings`): the policy checks over the latest snapshots, grouped by kind with
//! counts, each row naming the principal (a link to its access), the resource, the path and
//! the evidence. A GET form (kind, day), so every view is a permalink and works without wasm.

use crate::api::{list_findings, FindingsQuery};
use crate::components::notice::ErrorNotice;
use crate::format::utc_short;
use domain::access::findings::{Evidence, Finding, FindingsReport, KINDS};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn FindingsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        params.with(|p| FindingsQuery {
            kind: p
                .get("kind")
                .map(|v| v.trim().to_owned())
                .unwrap_or_default(),
            at: p.get("at").map(|v| v.trim().to_owned()).unwrap_or_default(),
        })
    });
    let report = Resource::new(move || query.get(), list_findings);
    view! {
        <Title text="Findings"/>
        <div class="page-head">
            <h1>"Findings"</h1>
            <p class="subtle">
                "Policy checks over the latest snapshot of each account and organization: administrators, escalation routes, open trust, stale keys, outsiders with admin."
            </p>
        </div>
        {move || view! { <FindingsForm query=query.get()/> }}
        <Suspense fallback=|| view! { <p class="loading">"Checking the policies…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <FindingsAnswer report query=query.get_untracked()/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FindingsForm(query: FindingsQuery) -> impl IntoView {
    let options = KINDS
        .iter()
        .map(|kind| {
            view! {
                <option value=kind.id selected={query.kind == kind.id}>
                    {format!("{} ({})", kind.title, kind.id)}
                </option>
            }
        })
        .collect_view();
    view! {
        <form class="filters" method="get" action="/findings" role="search">
            <label class="field wide">
                <span>"Kind"</span>
                <select name="kind">
                    <option value="" selected={query.kind.is_empty()}>"Every kind"</option>
                    {options}
                </select>
            </label>
            <label class="field" title="The findings at the start of this UTC day; empty: now">
                <span>"On (UTC)"</span>
                <input type="date" name="at" value=query.at/>
            </label>
            <div class="form-actions">
                <button type="submit">"Show"</button>
                <a class="button secondary" href="/findings">"Clear"</a>
            </div>
        </form>
    }
}

/// The link to the same view narrowed to one kind.
fn kind_href(kind: &str, at: &str) -> String {
    let mut href = format!("/findings?kind={}", crate::query::encode(kind));
    if !at.is_empty() {
        href.push_str(&format!("&at={}", crate::query::encode(at)));
    }
    href
}

#[component]
fn FindingsAnswer(report: FindingsReport, query: FindingsQuery) -> impl IntoView {
    let sources = if report.snapshots.is_empty() {
        "No AWS snapshot was imported by then".to_owned()
    } else {
        let listed: Vec<String> = report
            .snapshots
            .iter()
            .map(|s| format!("{} {} (delivery {})", s.scope, s.kind, s.delivery_id))
            .collect();
        format!("Read from {}", listed.join(", "))
    };
    let summary = format!(
        "{} findings at {}. {sources}; GitHub from the grants held then.",
        report.findings.len(),
        utc_short(report.at)
    );
    if report.findings.is_empty() {
        return view! {
            <p class="subtle">{summary}</p>
            <p class="empty ok">"Nothing to report."</p>
        }
        .into_any();
    }
    let counts = KINDS
        .iter()
        .filter_map(|kind| {
            let count = report.findings.iter().filter(|f| f.kind == kind.id).count();
            (count > 0).then(|| {
                view! {
                    <li>
                        <a href=kind_href(kind.id, &query.at)>{kind.title}</a>
                        " "
                        <span class=format!("badge severity-{}", kind.severity.as_str())>{kind.severity.as_str()}</span>
                        {format!(" {count}")}
                    </li>
                }
            })
        })
        .collect_view();
    let groups = KINDS
        .iter()
        .filter_map(|kind| {
            let rows: Vec<Finding> = report
                .findings
                .iter()
                .filter(|f| f.kind == kind.id)
                .cloned()
                .collect();
            (!rows.is_empty()).then(|| {
                let heading = format!("{} — {}", kind.title, rows.len());
                view! {
                    <section class="finding-group" id=kind.id>
                        <h2>{heading} " " <code class="subtle">{kind.id}</code></h2>
                        <FindingTable rows/>
                    </section>
                }
            })
        })
        .collect_view();
    view! {
        <p class="subtle">{summary}</p>
        <ul class="finding-counts">{counts}</ul>
        {groups}
    }
    .into_any()
}

#[component]
fn FindingTable(rows: Vec<Finding>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|finding| {
            let observed = finding
                .observed_at
                .map_or_else(|| "before Attest's records".to_owned(), utc_short);
            view! {
                <tr>
                    <td>
                        <a href=format!("/access?who={}", crate::query::encode(&finding.principal.id))>
                            {finding.principal.name}
                        </a>
                        <span class="subtle">{format!(" {}", finding.principal.kind)}</span>
                    </td>
                    <td>{finding.resource.name}<span class="subtle">{format!(" {}", finding.resource.kind)}</span></td>
                    <td>
                        <div>{finding.title}</div>
                        <div class="subtle path">{finding.path}</div>
                    </td>
                    <td class="evidence">{evidence_text(&finding.evidence)}</td>
                    <td>{observed}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="plain findings">
                <thead>
                    <tr>
                        <th scope="col">"Who"</th>
                        <th scope="col">"On"</th>
                        <th scope="col">"What and how"</th>
                        <th scope="col">"Evidence"</th>
                        <th scope="col">"Observed"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The evidence in a line: `delivery 3 · arn:…/AdministratorAccess statement 0 · method:
/// CreatePolicyVersion`.
fn evidence_text(evidence: &Evidence) -> String {
    let mut parts = Vec::new();
    if let Some(id) = evidence.delivery_id {
        parts.push(format!("delivery {id}"));
    }
    if let Some(id) = evidence.grant_id {
        parts.push(format!("grant {id}"));
    }
    for statement in &evidence.statements {
        let mut text = format!("{} statement {}", statement.policy, statement.index);
        if let Some(sid) = &statement.sid {
            text.push_str(&format!(" ({sid})"));
        }
        if statement.conditional {
            text.push_str(", conditional");
        }
        parts.push(text);
    }
    for (name, value) in &evidence.facts {
        parts.push(format!("{name}: {value}"));
    }
    parts.join(" · ")
}
