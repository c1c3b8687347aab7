//! When demo events happen: spreads a fixed number of events over the period, hour by hour,
//! following office hours, weekdays and the odd busy day, without holding more than one
//! hour's timestamps at a time.

use super::ids::mix;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use rand::rngs::StdRng;
use rand::Rng;

const HOUR: i64 = 3_600;
/// Longer periods are cut to this many days; a century of demo data is plenty.
const MAX_DAYS: u32 = 36_500;

/// Relative activity per local hour of the day.
const HOURLY: [f64; 24] = [
    0.04, 0.03, 0.03, 0.03, 0.03, 0.04, 0.08, 0.18, 0.5, 0.9, 1.0, 1.0, 0.7, 0.85, 1.0, 1.0, 0.95,
    0.7, 0.4, 0.25, 0.2, 0.18, 0.12, 0.07,
];

/// Hands out `events` timestamps, oldest first, all within `[end - days, end]`.
pub(super) struct Clock {
    seed: u64,
    first: DateTime<Utc>,
    offset: i64,
    /// First second of the period (Unix time).
    start: i64,
    span: i64,
    hours: i64,
    total: f64,
    cumulative: f64,
    next_hour: i64,
    emitted: usize,
    events: usize,
    /// The current hour's remaining timestamps, latest first.
    pending: Vec<i64>,
}

impl Clock {
    pub fn new(
        seed: u64,
        end: DateTime<Utc>,
        days: u32,
        events: usize,
        utc_offset_hours: i32,
    ) -> Clock {
        let days = days.min(MAX_DAYS);
        let first = end
            .checked_sub_signed(Duration::days(i64::from(days)))
            .unwrap_or(end);
        // Whole seconds inside the period, so payload timestamps (seconds) match `at`.
        let start = first.timestamp() + i64::from(first.timestamp_subsec_nanos() > 0);
        let stop = end.timestamp().max(start);
        let span = stop - start;
        let hours = (span + HOUR - 1) / HOUR;
        let hours = hours.max(1);
        let offset = i64::from(utc_offset_hours) * HOUR;
        let total = (0..hours)
            .map(|h| weight(seed, start + h * HOUR, offset))
            .sum();
        Clock {
            seed,
            first,
            offset,
            start,
            span,
            hours,
            total,
            cumulative: 0.0,
            next_hour: 0,
            emitted: 0,
            events,
            pending: Vec::new(),
        }
    }

    /// The next timestamp, or `None` once all events have one.
    pub fn next(&mut self, rng: &mut StdRng) -> Option<DateTime<Utc>> {
        loop {
            if let Some(second) = self.pending.pop() {
                return DateTime::from_timestamp(second, 0);
            }
            if self.next_hour >= self.hours || self.emitted >= self.events {
                return None;
            }
            let hour_start = self.start + self.next_hour * HOUR;
            self.cumulative += weight(self.seed, hour_start, self.offset);
            self.next_hour += 1;
            let target = if self.next_hour >= self.hours || self.total <= 0.0 {
                self.events
            } else {
                ((self.events as f64 * self.cumulative / self.total).round() as usize)
                    .min(self.events)
            };
            let count = target.saturating_sub(self.emitted);
            self.emitted += count;
            let length = (self.span - (hour_start - self.start)).min(HOUR);
            self.pending.extend(
                (0..count).map(|_| hour_start + rng.gen_range(0..length.max(1)).min(length)),
            );
            self.pending.sort_unstable_by(|a, b| b.cmp(a));
        }
    }

    /// The beginning of the period.
    pub fn period_start(&self) -> DateTime<Utc> {
        self.first
    }

    /// Whether `at` falls in office hours (weekday, 9 to 18 local time).
    pub fn office_hours(&self, at: DateTime<Utc>) -> bool {
        let local = at + Duration::seconds(self.offset);
        !matches!(local.weekday(), Weekday::Sat | Weekday::Sun) && (9..18).contains(&local.hour())
    }
}

/// How busy the hour starting at `hour_start` is: office hours, weekday, a per-day factor
/// (some days are much busier: releases, incidents) and some noise, all a pure function of
/// the seed so the totals can be computed before streaming.
fn weight(seed: u64, hour_start: i64, offset: i64) -> f64 {
    let local = hour_start + offset;
    let day = local.div_euclid(86_400);
    let hour = local.rem_euclid(86_400) / HOUR;
    // 1970-01-01 was a Thursday.
    let weekday = match (day + 3).rem_euclid(7) {
        0 => 1.0,
        1 | 2 => 1.05,
        3 => 1.0,
        4 => 0.8,
        5 => 0.12,
        _ => 0.1,
    };
    let day_roll = unit(mix(seed ^ mix(day as u64)));
    let busy = if day_roll < 0.04 {
        1.9
    } else {
        0.8 + day_roll * 0.4
    };
    let noise = 0.6 + 0.8 * unit(mix(seed.rotate_left(17) ^ mix(hour_start as u64)));
    HOURLY.get(hour as usize).copied().unwrap_or(0.05) * weekday * busy * noise
}

/// A hash mapped to `[0, 1)`.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}
