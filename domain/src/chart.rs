//! The timeline's activity chart: events per day by source, drawn server-side to SVG with
//! plotters so the first paint needs no wasm.
//!
//! The SVG holds only what this module writes (dates, counts, source labels), never text from a
//! payload, which is what lets the page embed it as markup. Text is drawn without the `ttf`
//! feature: the SVG backend emits `<text>` elements and plotters only estimates their width.

mod review;

pub use review::{remediation_svg, review_progress_svg, review_stages_svg, round_charts};

use crate::model::Source;
use crate::store::DayCount;
use chrono::{Days, NaiveDate};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Size of the drawing in SVG units; the page scales it to its width.
const WIDTH: u32 = 1200;
const HEIGHT: u32 = 200;
/// The longest period one chart draws (a year and a day, so a leap year fits).
pub const MAX_DAYS: u64 = 366;

/// The same colours as the source badges in `style/main.css`.
fn source_color(source: Source) -> RGBColor {
    match source {
        Source::Github => RGBColor(0x5b, 0x4f, 0xc7),
        Source::Gitlab => RGBColor(0xe2, 0x43, 0x29),
        Source::Cloudtrail => RGBColor(0xd9, 0x77, 0x06),
        Source::Aws => RGBColor(0x92, 0x40, 0x0e),
        Source::Gcp => RGBColor(0x1a, 0x73, 0xe8),
        Source::Azure => RGBColor(0x00, 0x78, 0xd4),
        Source::Okta => RGBColor(0x0f, 0x76, 0x6e),
        Source::Terraform => RGBColor(0x7b, 0x42, 0xbc),
        Source::People => RGBColor(0x64, 0x74, 0x8b),
    }
}

const INK: RGBColor = RGBColor(0x4b, 0x55, 0x63);
const GRID: RGBColor = RGBColor(0xe5, 0xe7, 0xeb);
const AXIS: RGBColor = RGBColor(0x9c, 0xa3, 0xaf);
const FONT: &str = "sans-serif";

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart's last day {last} is before its first day {first}")]
    Reversed { first: NaiveDate, last: NaiveDate },
    #[error("the chart spans {0} days; at most {MAX_DAYS} fit")]
    TooLong(u64),
    #[error("drawing the chart failed: {0}")]
    Draw(String),
}

fn draw_error<E: std::fmt::Display>(err: E) -> ChartError {
    ChartError::Draw(err.to_string())
}

const SOURCES: usize = Source::ALL.len();

/// Per-day counts laid out for drawing: one count per source per day (in `Source::ALL` order).
struct PerDay {
    first: NaiveDate,
    per_day: Vec<[i64; SOURCES]>,
}

impl PerDay {
    fn collect(counts: &[DayCount], first: NaiveDate, n: usize) -> PerDay {
        let mut per_day = vec![[0i64; SOURCES]; n];
        for c in counts {
            let offset = c.day.signed_duration_since(first).num_days();
            let slot = usize::try_from(offset)
                .ok()
                .and_then(|i| per_day.get_mut(i));
            if let Some(slot) = slot {
                slot[c.source.index()] += c.count.max(0);
            }
        }
        PerDay { first, per_day }
    }

    fn day(&self, offset: i32) -> Option<NaiveDate> {
        let offset = u64::try_from(offset).ok()?;
        self.first.checked_add_days(Days::new(offset))
    }

    fn total(&self, source: Source) -> i64 {
        self.per_day.iter().map(|d| d[source.index()]).sum()
    }

    fn busiest(&self) -> Option<(usize, i64)> {
        self.per_day
            .iter()
            .map(|d| d.iter().sum::<i64>())
            .enumerate()
            .filter(|(_, total)| *total > 0)
            .max_by_key(|(i, total)| (*total, std::cmp::Reverse(*i)))
    }
}

/// A stacked bar chart of events per UTC day per source, `first..=last`, as a standalone
/// `<svg>` element with a `<title>` that says what a screen reader should hear. Counts outside
/// the period are ignored.
pub fn activity_svg(
    counts: &[DayCount],
    first: NaiveDate,
    last: NaiveDate,
) -> Result<String, ChartError> {
    if last < first {
        return Err(ChartError::Reversed { first, last });
    }
    let n = u64::try_from(last.signed_duration_since(first).num_days() + 1).map_err(draw_error)?;
    if n > MAX_DAYS {
        return Err(ChartError::TooLong(n));
    }
    // `n` is at most MAX_DAYS here, so neither conversion can fail.
    let n_i32 = i32::try_from(n).map_err(draw_error)?;
    let days = PerDay::collect(counts, first, usize::try_from(n).map_err(draw_error)?);
    let mut svg = String::new();
    draw(&mut svg, &days, n_i32)?;
    Ok(with_title(&svg, &describe(&days, first, last)))
}

fn draw(svg: &mut String, days: &PerDay, n: i32) -> Result<(), ChartError> {
    let max = days
        .per_day
        .iter()
        .map(|d| d.iter().sum::<i64>())
        .max()
        .unwrap_or(0);
    let y_top = nice_ceiling(max);
    // A plotters integer range includes both ends: `0..n - 1` is n days. One day alone would
    // be an empty range, so it gets an empty slot either side and sits in the middle.
    let x_range = if n == 1 { -1..1 } else { 0..n - 1 };
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    let label_style = (FONT, 14).into_font().color(&INK);
    let mut chart = ChartBuilder::on(&root)
        .margin_top(30)
        .margin_right(12)
        .margin_left(4)
        .margin_bottom(2)
        .x_label_area_size(24)
        .y_label_area_size(48)
        .build_cartesian_2d(x_range.into_segmented(), 0i64..y_top)
        .map_err(draw_error)?;
    let date_label = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) if *i < n => days
            .day(*i)
            .map(|d| d.format("%b %d").to_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .x_labels(usize::try_from(n).unwrap_or(1).min(10))
        .y_labels(5)
        .x_label_formatter(&date_label)
        .y_label_formatter(&|v| v.to_string())
        .label_style(label_style.clone())
        .draw()
        .map_err(draw_error)?;

    // Thin gaps between bars while they are wide enough to afford them; a few days' bars stay
    // slim rather than filling the width.
    let slots = if n == 1 {
        3
    } else {
        u32::try_from(n).unwrap_or(1)
    };
    let per_day_px = (WIDTH - 64) / slots.max(1);
    let gap = (per_day_px / 6)
        .min(4)
        .max(per_day_px.saturating_sub(56) / 2);
    for source in Source::ALL {
        let s = source.index();
        let style = source_color(source).filled();
        chart
            .draw_series(
                days.per_day
                    .iter()
                    .zip(0i32..)
                    .filter(|(d, _)| d[s] > 0)
                    .map(|(d, i)| {
                        let base: i64 = d[..s].iter().sum();
                        let mut bar = Rectangle::new(
                            [
                                (SegmentValue::Exact(i), base),
                                (SegmentValue::Exact(i + 1), base + d[s]),
                            ],
                            style,
                        );
                        bar.set_margin(0, 0, gap, gap);
                        bar
                    }),
            )
            .map_err(draw_error)?;
    }
    if max == 0 {
        let centre = Pos::new(HPos::Center, VPos::Center);
        let half = i32::try_from(HEIGHT / 2).unwrap_or(0);
        let mid = i32::try_from(WIDTH / 2).unwrap_or(0);
        root.draw(&Text::new(
            "No events in this period",
            (mid, half),
            label_style.clone().pos(centre),
        ))
        .map_err(draw_error)?;
    }
    draw_legend(&root)?;
    root.present().map_err(draw_error)?;
    Ok(())
}

/// The legend sits above the plot, right-aligned, so it never covers a bar.
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
) -> Result<(), ChartError> {
    let style = (FONT, 14)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = i32::try_from(WIDTH).unwrap_or(0) - 12;
    for source in Source::ALL.iter().rev() {
        let label = source.label();
        let width = i32::try_from(label.len()).unwrap_or(0) * 7 + 18;
        x -= width;
        root.draw(&Rectangle::new(
            [(x, 8), (x + 11, 19)],
            source_color(*source).filled(),
        ))
        .map_err(draw_error)?;
        root.draw(&Text::new(label, (x + 16, 14), style.clone()))
            .map_err(draw_error)?;
        x -= 14;
    }
    Ok(())
}

/// The smallest "round" number (1, 2 or 5 times a power of ten) at or above `max`, so the
/// top grid line is labelled with a number a person reads at a glance.
fn nice_ceiling(max: i64) -> i64 {
    let max = max.max(1);
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            let candidate = step.saturating_mul(m);
            if candidate >= max {
                return candidate;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// One sentence with what the chart shows, for its `<title>` (read by screen readers and shown
/// as a tooltip).
fn describe(days: &PerDay, first: NaiveDate, last: NaiveDate) -> String {
    // Sources with no events in the period are left out: eight zeros say nothing.
    let totals: Vec<String> = Source::ALL
        .iter()
        .map(|s| (days.total(*s), s.label()))
        .filter(|(total, _)| *total > 0)
        .map(|(total, label)| format!("{total} {label}"))
        .collect();
    let mut text = format!("Events per day from {first} to {last} (UTC)");
    if !totals.is_empty() {
        text.push_str(": ");
        text.push_str(&totals.join(", "));
    }
    match days.busiest() {
        Some((i, total)) => {
            let day = days.day(i32::try_from(i).unwrap_or(0)).unwrap_or(first);
            text.push_str(&format!("; busiest day {day} with {total}."));
        }
        None => text.push_str("; no events."),
    }
    text
}

/// Adds accessibility attributes and a `<title>` to the `<svg>` plotters wrote.
fn with_title(svg: &str, title: &str) -> String {
    let title = escape(title);
    match svg.strip_prefix("<svg ").and_then(|rest| rest.split_once('>')) {
        Some((attrs, body)) => format!(
            "<svg class=\"activity-chart\" role=\"img\" aria-label=\"{title}\" {attrs}><title>{title}</title>{body}"
        ),
        None => svg.to_owned(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn count(d: &str, source: Source, count: i64) -> DayCount {
        DayCount {
            day: day(d),
            source,
            count,
        }
    }

    /// Bars are the rectangles in a source's colour, less the one legend swatch per source.
    fn bars(svg: &str, source: Source) -> usize {
        let c = source_color(source);
        let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
        svg.lines()
            .filter(|l| l.starts_with("<rect") && l.contains(&fill))
            .count()
            .saturating_sub(1)
    }

    /// Opening and closing tags balance, and no `<` or `&` stands outside markup or entities.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let text = &rest[..start];
            assert!(!text.contains('>'), "stray > in {text:?}");
            for (i, _) in text.match_indices('&') {
                let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
                assert!(
                    ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"].contains(&entity),
                    "odd entity {entity:?}"
                );
            }
            let end = rest[start..].find('>').map_or(rest.len(), |e| start + e);
            assert!(end < rest.len(), "unclosed tag");
            let tag = &rest[start + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or_default();
                stack.push(name.to_owned());
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert!(!svg.contains("width=\"-"), "a bar with negative width");
    }

    #[test]
    fn stacks_one_bar_per_source_and_day() {
        let counts = [
            count("2024-03-01", Source::Github, 5),
            count("2024-03-01", Source::Cloudtrail, 3),
            count("2024-03-02", Source::Github, 2),
            count("2024-03-04", Source::Cloudtrail, 9),
            // Outside the period: ignored.
            count("2024-02-20", Source::Github, 100),
        ];
        let svg = activity_svg(&counts, day("2024-03-01"), day("2024-03-07")).unwrap_or_default();
        assert!(svg
            .starts_with("<svg class=\"activity-chart\" role=\"img\" aria-label=\"Events per day"));
        assert_well_formed(&svg);
        assert_eq!(bars(&svg, Source::Github), 2);
        assert_eq!(bars(&svg, Source::Cloudtrail), 2);
        assert!(svg.contains("<title>Events per day from 2024-03-01 to 2024-03-07 (UTC): 7 GitHub, 12 AWS CloudTrail; busiest day 2024-03-04 with 9.</title>"));
        assert!(svg.contains(">\nGitHub\n</text>"), "legend");
        assert!(svg.contains("Mar 01"), "date labels");
        assert!(!svg.contains("No events"));
    }

    #[test]
    fn empty_period_says_so() {
        let svg = activity_svg(&[], day("2024-03-01"), day("2024-03-30")).unwrap_or_default();
        assert_well_formed(&svg);
        assert_eq!(bars(&svg, Source::Github), 0);
        assert!(svg.contains("No events in this period"));
        assert!(svg.contains("; no events.</title>"));
    }

    #[test]
    fn a_single_day_is_one_wide_bar() {
        let counts = [count("2024-03-01", Source::Cloudtrail, 1)];
        let svg = activity_svg(&counts, day("2024-03-01"), day("2024-03-01")).unwrap_or_default();
        assert_well_formed(&svg);
        assert_eq!(bars(&svg, Source::Cloudtrail), 1);
        assert_eq!(bars(&svg, Source::Github), 0);
    }

    #[test]
    fn a_reversed_or_huge_period_is_refused() {
        assert!(matches!(
            activity_svg(&[], day("2024-03-02"), day("2024-03-01")),
            Err(ChartError::Reversed { .. })
        ));
        assert!(matches!(
            activity_svg(&[], day("2020-01-01"), day("2024-01-01")),
            Err(ChartError::TooLong(_))
        ));
        assert!(activity_svg(&[], day("2023-01-01"), day("2023-12-31")).is_ok());
    }

    #[test]
    fn round_tops() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(500), 500);
        assert_eq!(nice_ceiling(501), 1000);
    }
}
