//! A review round's evidence for auditors: `/export/rounds/<id>.csv` (every item with its
//! reviewer, decision, justification, outcome and remediation) and `/reports/rounds/<id>`, a
//! printable HTML report (the browser's "Save as PDF" gives the PDF) with summary charts. Each
//! is recorded in the audit log and the ledger with its SHA-256 before it is sent; the report
//! prints its own hash under a seal line, and `attest verify --export FILE` checks either.

use super::export::{download, record};
use super::{ApiError, AppState};
use app::auth::{ClientIp, SignedIn};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use chrono::Utc;
use domain::export;
use domain::review::{ReviewItem, Round};
use std::fmt::Write as _;

pub fn reports() -> Router<AppState> {
    Router::new().route("/rounds/{id}", get(round_report))
}

fn round_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("no round {text:?}")))
}

async fn load(state: &AppState, id: i64) -> Result<(Round, Vec<ReviewItem>), ApiError> {
    let round = state
        .store
        .round(id, Utc::now())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no round {id}")))?;
    let items = state.store.round_items(id).await?;
    Ok((round, items))
}

/// `GET /export/rounds/<id>.csv`.
pub(super) async fn round_csv(
    State(state): State<AppState>,
    Extension(user): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let id = round_id(file.strip_suffix(".csv").unwrap_or(&file))?;
    let (round, items) = load(&state, id).await?;
    let bytes = export::review_items_csv(&round, &items);
    let sha256 = export::sha256(&bytes);
    let name = format!(
        "attest-review-round-{id}-{}.csv",
        Utc::now().format("%Y%m%dT%H%M%SZ")
    );
    let described = format!("review round {id} evidence ({})", round.name);
    let audit = record(&state, &user, ip, &name, items.len(), &described, &sha256).await?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        Some(&name),
        &sha256,
        audit,
    ))
}

/// `GET /reports/rounds/<id>`: the printable report, sealed with its SHA-256.
async fn round_report(
    State(state): State<AppState>,
    Extension(user): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = round_id(&id)?;
    let (round, items) = load(&state, id).await?;
    let now = Utc::now();
    let charts = domain::chart::round_charts(&round, &items, now)
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let body = report_body(&round, &items, &charts, &user, now);
    let (document, sha256) = export::seal(&body);
    let name = format!(
        "attest-review-round-{id}-{}.html",
        now.format("%Y%m%dT%H%M%SZ")
    );
    let described = format!("review round {id} report ({})", round.name);
    let audit = record(&state, &user, ip, &name, items.len(), &described, &sha256).await?;
    Ok(download(
        document,
        "text/html; charset=utf-8",
        None,
        &sha256,
        audit,
    ))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn time(at: Option<chrono::DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

/// Everything above the seal. Every value that came from a payload, an import or a person is
/// escaped; the charts are this server's own SVG (their labels are filtered, see
/// `domain::chart`).
fn report_body(
    round: &Round,
    items: &[ReviewItem],
    charts: &[(&str, String)],
    user: &SignedIn,
    now: chrono::DateTime<Utc>,
) -> String {
    let d = &round.definition;
    let p = &round.progress;
    let stages: Vec<String> = d
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let named = if s.named.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.named.join(", "))
            };
            format!("stage {}: {}{named}", i + 1, s.reviewer.label())
        })
        .collect();
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{name} · access review evidence</title>\
         <link rel=\"stylesheet\" href=\"/pkg/attest.css\"></head><body class=\"report\">\
         <h1>Access review evidence: {name}</h1>\
         <p class=\"subtle\">{description}</p>\
         <dl class=\"report-facts\">\
         <dt>Launched</dt><dd>{launched} by {by}</dd>\
         <dt>Reviewers</dt><dd>{stages}; fallback {fallback}</dd>\
         <dt>When nobody answers</dt><dd>{default}, with the lockout guard</dd>\
         <dt>Status</dt><dd>{status}, stage {stage} of {stage_count}, due {due}; closed {closed}</dd>\
         <dt>Population</dt><dd>{population} grants frozen at launch, SHA-256 <code>{hash}</code> (in the ledger)</dd>\
         <dt>Outcome</dt><dd>{decided} of {items} decided · {keep} kept · {revoke} revoked · \
         {dont_know} don't know · {overdue} overdue · revokes {verified} verified, {failed} failed, \
         {regressed} regressed</dd>\
         <dt>This report</dt><dd>made {now} by {me}</dd></dl>\
         {charts}\
         <table class=\"plain evidence\"><thead><tr><th>#</th><th>Holder</th><th>Access</th>\
         <th>Granted</th><th>Last use</th><th>Recommendation</th><th>Reviewer</th>\
         <th>Decision</th><th>Decided</th><th>Outcome</th><th>Remediation</th></tr></thead><tbody>",
        charts = charts
            .iter()
            .map(|(caption, svg)| format!(
                "<figure class=\"chart\"><figcaption>{}</figcaption>{svg}</figure>",
                escape(caption)
            ))
            .collect::<String>(),
        name = escape(&round.name),
        description = escape(&d.description),
        launched = time(Some(round.launched_at)),
        by = escape(&round.launched_by),
        stages = escape(&stages.join("; ")),
        fallback = escape(&d.fallback_reviewer),
        default = escape(d.on_no_response.as_str()),
        status = round.status.as_str(),
        stage = round.stage,
        stage_count = d.stages.len(),
        due = time(Some(round.stage_due_at)),
        closed = time(round.closed_at),
        population = round.population,
        hash = escape(&round.population_hash),
        decided = p.decided,
        items = p.items,
        keep = p.keep,
        revoke = p.revoke,
        dont_know = p.dont_know,
        overdue = p.overdue,
        verified = p.verified,
        failed = p.failed,
        regressed = p.regressed,
        now = time(Some(now)),
        me = escape(&user.actor()),
    );
    for item in items {
        let holder = item.holder.as_ref().map_or_else(
            || item.grant.principal.name.clone(),
            |h| format!("{} <{}>", h.name, h.email),
        );
        let decision = match item.decision {
            Some(d) if item.justification.is_empty() => d.label().to_owned(),
            Some(d) => format!("{}: {}", d.label(), item.justification),
            None => "—".to_owned(),
        };
        let remediation = match item.remediation {
            Some(status) => format!("{} {}", status.as_str(), item.remediation_note),
            None => "—".to_owned(),
        };
        let _ = write!(
            html,
            "<tr><td>{id}</td><td>{holder}</td><td><code>{path}</code></td><td>{granted}</td>\
             <td>{used}</td><td>{rec}: {reason}</td><td>{reviewer}</td><td>{decision}</td>\
             <td>{decided}</td><td>{outcome}</td><td>{remediation}</td></tr>",
            id = item.id,
            holder = escape(&holder),
            path = escape(&item.path()),
            granted = time(item.granted_at),
            used = escape(&match item.usage.last_used_at {
                Some(at) => format!("{} {}", time(Some(at)), item.usage.what),
                None => "none recorded".to_owned(),
            }),
            rec = item.recommendation.decision.label(),
            reason = escape(&item.recommendation.reason),
            reviewer = escape(item.reviewer.as_deref().unwrap_or("none")),
            decision = escape(&decision),
            decided = escape(&format!(
                "{} {}",
                time(item.decided_at),
                item.decided_by.as_deref().unwrap_or("")
            )),
            outcome = item.outcome.map_or("open", |d| d.label()),
            remediation = escape(&remediation),
        );
    }
    html.push_str("</tbody></table>");
    html
}
