//! A round's charts, drawn server-side to SVG as horizontal stacked bars: progress per reviewer
//! and per stage (kept, revoked, don't know, waiting, overdue), and the remediation of its
//! revokes per source (open, verified, failed, regressed).
//!
//! Reviewer labels are e-mails from the people import or a campaign's definition: only
//! characters an e-mail needs are drawn, anything else becomes `?`, so the SVG can be embedded
//! as markup.

use super::{draw_error, escape, nice_ceiling, ChartError, AXIS, FONT, GRID, INK};
use crate::review::{source_of, Decision, RemediationStatus, ReviewItem, Round};
use chrono::{DateTime, Utc};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use std::collections::BTreeMap;

const WIDTH: u32 = 1000;
/// Reviewers drawn one by one; the rest share a bar.
pub const MAX_REVIEWERS: usize = 20;

/// The parts of a progress bar, in drawing order, with their legend and colour.
const PARTS: [(&str, RGBColor); 5] = [
    ("Kept", RGBColor(0x15, 0x80, 0x3d)),
    ("Revoked", RGBColor(0xb9, 0x1c, 0x1c)),
    ("Don't know", RGBColor(0xa1, 0x62, 0x07)),
    ("Waiting", RGBColor(0x9c, 0xa3, 0xaf)),
    ("Overdue", RGBColor(0x7c, 0x2d, 0x12)),
];

/// The parts of a remediation bar, in [`RemediationStatus::ALL`]'s order.
const REMEDIATION_PARTS: [(&str, RGBColor); 4] = [
    ("Open", RGBColor(0x9c, 0xa3, 0xaf)),
    ("Verified", RGBColor(0x15, 0x80, 0x3d)),
    ("Failed", RGBColor(0xb9, 0x1c, 0x1c)),
    ("Regressed", RGBColor(0x7c, 0x2d, 0x12)),
];

fn part(item: &ReviewItem, now: DateTime<Utc>) -> usize {
    match item.outcome.or(item.decision) {
        Some(Decision::Keep) => 0,
        Some(Decision::Revoke) => 1,
        Some(Decision::DontKnow) => 2,
        None if item.due_at < now => 4,
        None => 3,
    }
}

fn label(reviewer: &str) -> String {
    reviewer
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@._+-".contains(c) {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// Progress per reviewer: `round`'s `items` at `now`, as a standalone `<svg>` with a `<title>`.
pub fn review_progress_svg(
    round: &Round,
    items: &[ReviewItem],
    now: DateTime<Utc>,
) -> Result<String, ChartError> {
    let bars = count_by(items, PARTS.len(), |item| {
        let who = item.reviewer.as_deref().unwrap_or("(no reviewer)");
        Some((label(who), part(item, now)))
    });
    let p = &round.progress;
    let title = format!(
        "{}: {} of {} items decided; {} kept, {} revoked, {} don't know, {} overdue",
        round.name, p.decided, p.items, p.keep, p.revoke, p.dont_know, p.overdue
    );
    stacked_bars(by_size(bars), &PARTS, &title)
}

/// Progress per stage: each item in the stage it is (or was last) reviewed in.
pub fn review_stages_svg(
    round: &Round,
    items: &[ReviewItem],
    now: DateTime<Utc>,
) -> Result<String, ChartError> {
    let bars = count_by(items, PARTS.len(), |item| {
        Some((format!("Stage {}", item.stage), part(item, now)))
    });
    let per_stage: Vec<String> = bars
        .iter()
        .map(|(stage, counts)| match counts.iter().sum::<i64>() {
            1 => format!("{stage}: 1 item"),
            n => format!("{stage}: {n} items"),
        })
        .collect();
    let title = format!("{} by stage: {}", round.name, per_stage.join(", "));
    stacked_bars(bars, &PARTS, &title)
}

/// The remediation of `round`'s revokes per source (GitHub, AWS, ...): open, verified,
/// failed, regressed.
pub fn remediation_svg(round: &Round, items: &[ReviewItem]) -> Result<String, ChartError> {
    let bars = count_by(items, REMEDIATION_PARTS.len(), |item| {
        let status = item.remediation?;
        let part = RemediationStatus::ALL.iter().position(|s| *s == status)?;
        let source = source_of(&item.grant).map_or("other", |s| s.as_str());
        Some((source.to_owned(), part))
    });
    let p = &round.progress;
    let title = format!(
        "{}: remediation of revokes; {} verified, {} failed, {} regressed",
        round.name, p.verified, p.failed, p.regressed
    );
    stacked_bars(by_size(bars), &REMEDIATION_PARTS, &title)
}

/// Every chart of a round with its caption: progress per reviewer, per stage when the
/// campaign has more than one, and remediation per source once there is any.
pub fn round_charts(
    round: &Round,
    items: &[ReviewItem],
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, String)>, ChartError> {
    let mut charts = vec![(
        "Progress per reviewer",
        review_progress_svg(round, items, now)?,
    )];
    if round.definition.stages.len() > 1 {
        charts.push(("Progress per stage", review_stages_svg(round, items, now)?));
    }
    if items.iter().any(|i| i.remediation.is_some()) {
        charts.push((
            "Remediation of revokes per source",
            remediation_svg(round, items)?,
        ));
    }
    Ok(charts)
}

/// Counts of `items` per bar and part, as `of` places each (or leaves it out), by bar name.
fn count_by(
    items: &[ReviewItem],
    parts: usize,
    of: impl Fn(&ReviewItem) -> Option<(String, usize)>,
) -> Vec<(String, Vec<i64>)> {
    let mut per: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (bar, part) in items.iter().filter_map(of) {
        per.entry(bar).or_insert_with(|| vec![0; parts])[part] += 1;
    }
    per.into_iter().collect()
}

/// The biggest bars first; past [`MAX_REVIEWERS`], the rest share one.
fn by_size(mut bars: Vec<(String, Vec<i64>)>) -> Vec<(String, Vec<i64>)> {
    bars.sort_by_key(|(who, counts)| (std::cmp::Reverse(counts.iter().sum::<i64>()), who.clone()));
    if bars.len() > MAX_REVIEWERS {
        let rest = bars.split_off(MAX_REVIEWERS - 1);
        let mut others = vec![0i64; rest.first().map_or(0, |(_, c)| c.len())];
        for (_, counts) in &rest {
            for (sum, n) in others.iter_mut().zip(counts) {
                *sum += n;
            }
        }
        bars.push((format!("{} others", rest.len()), others));
    }
    bars
}

/// One horizontal bar per entry of `bars`, stacked by `parts`, under a legend; `title` is the
/// chart's accessible name.
fn stacked_bars(
    bars: Vec<(String, Vec<i64>)>,
    parts: &[(&str, RGBColor)],
    title: &str,
) -> Result<String, ChartError> {
    let n = bars.len().max(1);
    let height = u32::try_from(70 + 30 * n).unwrap_or(700);
    let max = bars
        .iter()
        .map(|(_, c)| c.iter().sum::<i64>())
        .max()
        .unwrap_or(0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let n_i32 = i32::try_from(n).map_err(draw_error)?;
        let labels: Vec<String> = bars.iter().map(|(name, _)| name.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .margin_top(34)
            .margin_right(16)
            .margin_bottom(4)
            .x_label_area_size(24)
            .y_label_area_size(260)
            .build_cartesian_2d(0i64..nice_ceiling(max), (0..n_i32 - 1).into_segmented())
            .map_err(draw_error)?;
        let name = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => usize::try_from(*i)
                .ok()
                .and_then(|i| labels.get(i))
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(AXIS)
            .y_labels(n)
            .x_labels(6)
            .y_label_formatter(&name)
            .x_label_formatter(&|v| v.to_string())
            .label_style((FONT, 14).into_font().color(&INK))
            .draw()
            .map_err(draw_error)?;
        for (p, (_, colour)) in parts.iter().enumerate() {
            chart
                .draw_series(bars.iter().zip(0i32..).filter(|((_, c), _)| c[p] > 0).map(
                    |((_, c), i)| {
                        let base: i64 = c[..p].iter().sum();
                        let mut bar = Rectangle::new(
                            [
                                (base, SegmentValue::Exact(i)),
                                (base + c[p], SegmentValue::Exact(i + 1)),
                            ],
                            colour.filled(),
                        );
                        bar.set_margin(5, 5, 0, 0);
                        bar
                    },
                ))
                .map_err(draw_error)?;
        }
        let style = (FONT, 14).into_font().color(&INK);
        let mut x = 270;
        for (name, colour) in parts {
            root.draw(&Rectangle::new([(x, 8), (x + 11, 19)], colour.filled()))
                .map_err(draw_error)?;
            root.draw(&Text::new(*name, (x + 16, 8), style.clone()))
                .map_err(draw_error)?;
            x += i32::try_from(name.len()).unwrap_or(0) * 8 + 34;
        }
        root.present().map_err(draw_error)?;
    }
    let title = escape(title);
    Ok(
        match svg.strip_prefix("<svg ").and_then(|rest| rest.split_once('>')) {
            Some((attrs, body)) => format!(
                "<svg class=\"review-chart\" role=\"img\" aria-label=\"{title}\" {attrs}><title>{title}</title>{body}"
            ),
            None => svg,
        },
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn labels_keep_only_what_an_email_needs() {
        assert_eq!(label("mia@example.com"), "mia@example.com");
        assert_eq!(label("<script>@x"), "?script?@x");
    }
}
