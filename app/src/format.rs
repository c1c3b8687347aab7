//! How times, sizes and JSON read on a page. Pure functions, the same on server and browser, so
//! hydration finds exactly the text the server wrote.

use chrono::{DateTime, Utc};

/// `2024-03-01 14:05:09Z`: RFC 3339 in UTC, shortened to what a table has room for.
pub fn utc_short(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// Full RFC 3339, for `<time datetime=…>` and detail pages.
pub fn utc_full(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `12.3 KB`: sizes of raw deliveries.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = n.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_and_short() {
        let at = DateTime::from_timestamp(1_709_301_909, 5_000_000).unwrap_or_default();
        assert_eq!(utc_short(at), "2024-03-01 14:05:09Z");
        assert_eq!(utc_full(at), "2024-03-01T14:05:09.005Z");
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes(12), "12 B");
        assert_eq!(bytes(2048), "2.0 KB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MB");
    }
}
