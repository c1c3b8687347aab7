//! Ingest health (`/ingest`): deliveries per source by status, and the latest failures with
//! their reasons, so a normalizer that stopped understanding a payload is noticed.

use crate::api::get_ingest_health;
use crate::components::badges::SourceBadge;
use crate::components::notice::ErrorNotice;
use crate::format::{bytes, utc_full, utc_short};
use domain::model::{DeliverySummary, IngestHealth, Source, SourceHealth};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn IngestPage() -> impl IntoView {
    let health = Resource::new(|| (), |_| get_ingest_health());
    view! {
        <Title text="Ingest health"/>
        <div class="page-head">
            <h1>"Ingest health"</h1>
            <p class="subtle">
                "Every authenticated delivery is kept. Failed ones stay here with their reason until "
                <code>"attest reprocess"</code> " succeeds."
            </p>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match health.await {
                    Ok(health) => view! { <HealthReport health/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn HealthReport(health: IngestHealth) -> impl IntoView {
    let IngestHealth {
        sources,
        configured,
        recent_failures,
    } = health;
    let sources_view = {
        // Every source gets a row, so an unconfigured or silent one is visible too.
        let rows = Source::ALL
            .into_iter()
            .map(|source| {
                let health = sources
                    .iter()
                    .find(|h| h.source == source)
                    .cloned()
                    .unwrap_or(SourceHealth {
                        source,
                        normalized: 0,
                        failed: 0,
                        ignored: 0,
                        pending: 0,
                        last_received_at: None,
                    });
                let configured = configured.contains(&source);
                view! { <SourceRow health configured/> }
            })
            .collect_view();
        view! {
            <div class="table-scroll">
                <table class="plain numbers">
                    <thead>
                        <tr>
                            <th scope="col">"Source"</th>
                            <th scope="col" class="num">"Normalized"</th>
                            <th scope="col" class="num">"Failed"</th>
                            <th scope="col" class="num" title="Understood, and deliberately not an event (pings, test hooks)">"Ignored"</th>
                            <th scope="col" class="num">"Pending"</th>
                            <th scope="col">"Last received (UTC)"</th>
                            <th scope="col">"Push endpoint"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let failures_view = if recent_failures.is_empty() {
        view! { <p class="empty ok">"No failed deliveries."</p> }.into_any()
    } else {
        let rows = recent_failures
            .into_iter()
            .map(|d| view! { <FailureRow delivery=d/> })
            .collect_view();
        view! {
            <div class="table-scroll">
                <table class="plain failures">
                    <thead>
                        <tr>
                            <th scope="col">"Received (UTC)"</th>
                            <th scope="col">"Source"</th>
                            <th scope="col">"Delivery"</th>
                            <th scope="col">"Kind"</th>
                            <th scope="col">"Reason"</th>
                            <th scope="col" class="num">"Size"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="panel">
            <h2>"Deliveries by source"</h2>
            {sources_view}
        </section>
        <section class="panel">
            <h2>"Recent failures"</h2>
            {failures_view}
        </section>
    }
}

/// Where a source's deliveries come in: its push endpoint and the setting that enables it, or
/// `None` for a source only files bring in.
fn intake(source: Source) -> Option<(&'static str, &'static str)> {
    Some(match source {
        Source::Github => ("POST /hooks/github", "ATTEST_GITHUB_WEBHOOK_SECRET"),
        Source::Gitlab => ("POST /hooks/gitlab", "ATTEST_GITLAB_WEBHOOK_TOKEN"),
        Source::Cloudtrail | Source::Aws => ("POST /hooks/aws", "ATTEST_AWS_WEBHOOK_KEY"),
        Source::Gcp => ("POST /hooks/gcp", "ATTEST_GCP_WEBHOOK_TOKEN"),
        Source::Azure => ("POST /hooks/azure", "ATTEST_AZURE_WEBHOOK_KEY"),
        Source::Okta => ("POST /hooks/okta", "ATTEST_OKTA_WEBHOOK_SECRET"),
        Source::Terraform => ("POST /hooks/terraform", "ATTEST_TERRAFORM_WEBHOOK_TOKEN"),
        Source::People => return None,
    })
}

#[component]
fn SourceRow(health: SourceHealth, configured: bool) -> impl IntoView {
    let push = match intake(health.source) {
        None => view! { <span class="subtle">"files only: " <code>"attest import people"</code></span> }
            .into_any(),
        Some((endpoint, _)) if configured => {
            view! { <span class="badge status-normalized">"configured"</span> " " <code>{endpoint}</code> }
                .into_any()
        }
        Some((endpoint, setting)) => view! {
            <span class="badge status-ignored" title=format!("set {setting} to accept deliveries")>
                "not configured"
            </span>
            " "
            <code>{endpoint}</code>
        }
        .into_any(),
    };
    let failed_class = if health.failed > 0 {
        "num alert"
    } else {
        "num"
    };
    view! {
        <tr>
            <td><SourceBadge source=health.source/></td>
            <td class="num">{health.normalized}</td>
            <td class=failed_class>{health.failed}</td>
            <td class="num">{health.ignored}</td>
            <td class="num">{health.pending}</td>
            <td>
                {match health.last_received_at {
                    Some(at) => view! { <time datetime=utc_full(at)>{utc_short(at)}</time> }.into_any(),
                    None => "—".into_any(),
                }}
            </td>
            <td>{push}</td>
        </tr>
    }
}

#[component]
fn FailureRow(delivery: DeliverySummary) -> impl IntoView {
    view! {
        <tr>
            <td class="time">
                <time datetime=utc_full(delivery.received_at)>{utc_short(delivery.received_at)}</time>
            </td>
            <td><SourceBadge source=delivery.source/></td>
            <td><code class="wrap">"#" {delivery.id} " " {delivery.delivery_key}</code></td>
            <td>{delivery.kind.unwrap_or_else(|| "—".to_owned())}</td>
            <td class="error-text">{delivery.error.unwrap_or_default()}</td>
            <td class="num">{bytes(delivery.body_bytes)}</td>
        </tr>
    }
}
