//! The activity chart above the timeline: the server-drawn SVG with a caption.

use crate::api::ActivityChart;
use leptos::prelude::*;

#[component]
pub fn ActivityChartFigure(chart: ActivityChart) -> impl IntoView {
    let ActivityChart {
        svg,
        first,
        last,
        clipped,
    } = chart;
    view! {
        <figure class="chart">
            <figcaption>
                "Activity per day, " {first.to_string()} " to " {last.to_string()} " (UTC, all events)"
                {clipped.then_some(" — the last year of the period")}
            </figcaption>
            // `inner_html` is safe here and only here: the SVG comes from `domain::chart`,
            // which writes dates, counts and source names it chose itself and no payload text.
            <div class="chart-svg" inner_html=svg></div>
        </figure>
    }
}
