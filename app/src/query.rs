//! The timeline's query string: read from the URL, validated into an `EventFilter`, and written
//! back into links (paging, "filter by this actor"), so every view is a shareable permalink.
//!
//! Values stay raw strings here so a page can echo what the person typed, even when it is wrong;
//! `to_filter` says what is wrong in words.

use chrono::{DateTime, Days, NaiveDate, Utc};
use domain::model::{EventFilter, Source};
use serde::{Deserialize, Serialize};

/// Longest value accepted for any one parameter: far beyond any login or ARN, short enough
/// that nobody pastes a payload into a query.
const MAX_VALUE_LEN: usize = 500;

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimelineQuery {
    pub actor: String,
    pub action: String,
    /// A [`Source`] name (`github`, `cloudtrail`, ...), or empty / `all`.
    pub source: String,
    pub target: String,
    /// First UTC day shown, `YYYY-MM-DD`.
    pub since: String,
    /// Last UTC day shown (inclusive), `YYYY-MM-DD`.
    pub until: String,
    pub q: String,
    /// Where the previous page stopped (opaque, made by the store).
    pub cursor: String,
}

impl TimelineQuery {
    /// Reads the parameters through `get` (the router's query map), trimming blanks.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> TimelineQuery {
        let read = |key: &str| get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
        TimelineQuery {
            actor: read("actor"),
            action: read("action"),
            source: read("source"),
            target: read("target"),
            since: read("since"),
            until: read("until"),
            q: read("q"),
            cursor: read("cursor"),
        }
    }

    fn pairs(&self) -> [(&'static str, &str); 8] {
        [
            ("actor", &self.actor),
            ("action", &self.action),
            ("source", &self.source),
            ("target", &self.target),
            ("since", &self.since),
            ("until", &self.until),
            ("q", &self.q),
            ("cursor", &self.cursor),
        ]
    }

    /// The timeline URL for this query; empty values are left out.
    pub fn href(&self) -> String {
        let params: Vec<String> = self
            .pairs()
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| format!("{key}={}", encode(value)))
            .collect();
        if params.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", params.join("&"))
        }
    }

    /// The same filters from the newest event on.
    pub fn newest(&self) -> TimelineQuery {
        TimelineQuery {
            cursor: String::new(),
            ..self.clone()
        }
    }

    /// The same filters, continuing after `cursor`.
    pub fn older(&self, cursor: &str) -> TimelineQuery {
        TimelineQuery {
            cursor: cursor.to_owned(),
            ..self.clone()
        }
    }

    pub fn by_actor(name: &str) -> TimelineQuery {
        TimelineQuery {
            actor: name.to_owned(),
            ..TimelineQuery::default()
        }
    }

    pub fn by_action(action: &str) -> TimelineQuery {
        TimelineQuery {
            action: action.to_owned(),
            ..TimelineQuery::default()
        }
    }

    pub fn by_target(name: &str) -> TimelineQuery {
        TimelineQuery {
            target: name.to_owned(),
            ..TimelineQuery::default()
        }
    }

    /// True when any filter (not just a page position) is set.
    pub fn is_filtered(&self) -> bool {
        self.newest() != TimelineQuery::default()
    }

    /// The store's filter, or every problem found, each as a sentence.
    pub fn to_filter(&self) -> Result<EventFilter, Vec<String>> {
        let mut problems = Vec::new();
        for (key, value) in self.pairs() {
            if value.chars().count() > MAX_VALUE_LEN {
                problems.push(format!(
                    "“{key}” is longer than {MAX_VALUE_LEN} characters."
                ));
            }
        }
        let source = match self.source.as_str() {
            "" | "all" => None,
            other => match other.parse::<Source>() {
                Ok(source) => Some(source),
                Err(_) => {
                    let known: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
                    problems.push(format!(
                        "Source “{other}” is not one Attest knows; choose one of {}.",
                        known.join(", ")
                    ));
                    None
                }
            },
        };
        let (since, until) = self.days().unwrap_or_else(|mut found| {
            problems.append(&mut found);
            (None, None)
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        let text = |value: &str| Some(value.to_owned()).filter(|v| !v.is_empty());
        Ok(EventFilter {
            actor: text(&self.actor),
            action: text(&self.action),
            source,
            target: text(&self.target),
            since: since.map(start_of),
            // `until` names the last day shown; the store's bound is exclusive.
            until: until
                .and_then(|day| day.checked_add_days(Days::new(1)))
                .map(start_of),
            q: text(&self.q),
        })
    }

    /// The `since` and `until` days, validated (each optional).
    pub fn days(&self) -> Result<(Option<NaiveDate>, Option<NaiveDate>), Vec<String>> {
        let mut problems = Vec::new();
        let mut day = |key: &str, value: &str| {
            if value.is_empty() {
                return None;
            }
            match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                Ok(day) => Some(day),
                Err(_) => {
                    problems.push(format!(
                        "“{key}” should be a date like 2024-03-01, not “{value}”."
                    ));
                    None
                }
            }
        };
        let since = day("since", &self.since);
        let until = day("until", &self.until);
        if let (Some(s), Some(u)) = (since, until) {
            if u < s {
                problems.push(format!("“until” ({u}) is before “since” ({s})."));
            }
        }
        if problems.is_empty() {
            Ok((since, until))
        } else {
            Err(problems)
        }
    }
}

/// Midnight UTC at the start of `day`.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Percent-encodes a query value (form style: space as `+`), so names with `&`, `#`, `+` or
/// non-ASCII letters survive the round trip through a link.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> TimelineQuery {
        TimelineQuery::from_lookup(|key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn links_keep_filters_and_encode_values() {
        let q = query(&[
            ("actor", " o'brien & co "),
            ("action", "repo.*"),
            ("q", "a+b ü"),
        ]);
        assert_eq!(
            q.href(),
            "/?actor=o%27brien+%26+co&action=repo.%2A&q=a%2Bb+%C3%BC"
        );
        assert_eq!(q.older("abc").href(), format!("{}&cursor=abc", q.href()));
        assert_eq!(q.older("abc").newest(), q);
        assert_eq!(TimelineQuery::default().href(), "/");
        assert!(!TimelineQuery::default().older("x").is_filtered());
        assert!(q.is_filtered());
    }

    #[test]
    fn until_includes_its_whole_day() {
        let filter = query(&[
            ("since", "2024-03-01"),
            ("until", "2024-03-01"),
            ("source", "github"),
        ])
        .to_filter()
        .unwrap_or_default();
        assert_eq!(
            filter.since.map(|t| t.to_rfc3339()).as_deref(),
            Some("2024-03-01T00:00:00+00:00")
        );
        assert_eq!(
            filter.until.map(|t| t.to_rfc3339()).as_deref(),
            Some("2024-03-02T00:00:00+00:00")
        );
        assert_eq!(filter.source, Some(Source::Github));
    }

    #[test]
    fn bad_values_become_sentences() {
        let problems = query(&[("since", "garbage"), ("source", "nope")])
            .to_filter()
            .err()
            .unwrap_or_default();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("“garbage”")));
        assert!(problems.iter().any(|p| p.contains("“nope”")));
        let reversed = query(&[("since", "2024-03-02"), ("until", "2024-03-01")]).to_filter();
        assert!(reversed.is_err());
        assert_eq!(
            query(&[("source", "all")]).to_filter().map(|f| f.source),
            Ok(None)
        );
    }
}
