//! Small labels with a colour per value: where an event came from, how it ended, and what became
//! of a delivery. Colours live in `style/main.css` (`.badge.source-github`, …).

use domain::model::{DeliveryStatus, Outcome, Source};
use leptos::prelude::*;

#[component]
pub fn SourceBadge(source: Source) -> impl IntoView {
    view! { <span class=format!("badge source-{}", source.as_str())>{source.label()}</span> }
}

/// A failure is loud and carries the source's error as a tooltip; a success stays quiet.
#[component]
pub fn OutcomeBadge(outcome: Outcome, error: Option<String>) -> impl IntoView {
    view! {
        <span class=format!("badge outcome-{}", outcome.as_str()) title=error>
            {match outcome {
                Outcome::Success => "ok",
                Outcome::Failure => "failed",
            }}
        </span>
    }
}

#[component]
pub fn StatusBadge(status: DeliveryStatus) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str())>{status.as_str()}</span> }
}
