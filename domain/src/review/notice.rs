//! Who is told what about their reviews, and when: at launch, a reminder before the due date,
//! daily while overdue, an escalation (to the reviewer's manager, else the campaign's
//! fallback reviewer) after it, and an alarm when a revoked grant is held again. Each notice has a key (recipient, kind, round, day) so it goes
//! out once; a recipient's notices of one run become one digest, not a message per item.

use super::{ReviewItem, Round, RoundStatus};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why someone is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A round gave them items to review.
    Launched,
    /// The due date is near.
    Reminder,
    /// The due date has passed (daily).
    Overdue,
    /// Someone they manage (or stand in for) has overdue items (daily).
    Escalation,
    /// A grant revoked in the round is held again and is back in review (once per new item,
    /// to its reviewer and to the campaign's fallback reviewer).
    Regression,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Launched => "launched",
            NoticeKind::Reminder => "reminder",
            NoticeKind::Overdue => "overdue",
            NoticeKind::Escalation => "escalation",
            NoticeKind::Regression => "regression",
        }
    }
}

/// One thing to tell one person about one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub to: String,
    pub kind: NoticeKind,
    pub round_id: i64,
    pub round_name: String,
    /// Items waiting for a decision (the recipient's, or for an escalation the reviewer's).
    pub waiting: usize,
    pub due_at: DateTime<Utc>,
    /// For an escalation: the reviewer whose items are overdue; for a regression: the access
    /// that came back (its path).
    pub about: Option<String>,
    /// What makes it once: `once` for launch and reminder, the UTC day for daily notices,
    /// `item-N` for a regression.
    pub day: String,
}

/// The notices `round`'s open items call for at `now`, before those already sent are left
/// out. `manager_of` gives a reviewer's manager (by e-mail), when the people import knows one.
pub fn notices_for(
    round: &Round,
    items: &[ReviewItem],
    now: DateTime<Utc>,
    manager_of: impl Fn(&str) -> Option<String>,
) -> Vec<Notice> {
    if round.status != RoundStatus::Open {
        return Vec::new();
    }
    let mut waiting: BTreeMap<&str, (usize, DateTime<Utc>)> = BTreeMap::new();
    for item in items {
        if item.outcome.is_some() || item.decision.is_some() {
            continue;
        }
        if let Some(reviewer) = item.reviewer.as_deref() {
            let entry = waiting.entry(reviewer).or_insert((0, item.due_at));
            entry.0 += 1;
            entry.1 = entry.1.min(item.due_at);
        }
    }
    let today = now.format("%Y-%m-%d").to_string();
    let mut out = Vec::new();
    for item in items.iter().filter(|i| i.regression && i.outcome.is_none()) {
        let fallback = &round.definition.fallback_reviewer;
        let reviewer = item.reviewer.as_deref().unwrap_or(fallback);
        let mut to = vec![reviewer];
        if fallback != reviewer {
            to.push(fallback);
        }
        for to in to {
            out.push(Notice {
                to: to.to_owned(),
                kind: NoticeKind::Regression,
                round_id: round.id,
                round_name: round.name.clone(),
                waiting: 1,
                due_at: item.due_at,
                about: Some(item.path()),
                day: format!("item-{}", item.id),
            });
        }
    }
    let remind = Duration::days(i64::from(round.definition.remind_days_before));
    for (reviewer, (count, due)) in waiting {
        let notice = |kind, to: String, about: Option<String>, day: &str| Notice {
            to,
            kind,
            round_id: round.id,
            round_name: round.name.clone(),
            waiting: count,
            due_at: due,
            about,
            day: day.to_owned(),
        };
        out.push(notice(
            NoticeKind::Launched,
            reviewer.to_owned(),
            None,
            "once",
        ));
        if now >= due - remind && now < due {
            out.push(notice(
                NoticeKind::Reminder,
                reviewer.to_owned(),
                None,
                "once",
            ));
        }
        if now >= due {
            out.push(notice(
                NoticeKind::Overdue,
                reviewer.to_owned(),
                None,
                &today,
            ));
            let above = manager_of(reviewer)
                .filter(|m| m != reviewer)
                .unwrap_or_else(|| round.definition.fallback_reviewer.clone());
            if above != reviewer {
                out.push(notice(
                    NoticeKind::Escalation,
                    above,
                    Some(reviewer.to_owned()),
                    &today,
                ));
            }
        }
    }
    out
}

/// One message for one recipient: everything their notices of this run say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// The digest of `notices` (all to one recipient), with links under `base_url`. A round's
/// launch and reminder for the same items say it once, as the most pressing.
pub fn digest(to: &str, notices: &[&Notice], base_url: &str) -> Digest {
    let base = base_url.trim_end_matches('/');
    let mut own: BTreeMap<i64, &Notice> = BTreeMap::new();
    let mut escalations: Vec<&Notice> = Vec::new();
    let mut regressions: Vec<&Notice> = Vec::new();
    for notice in notices {
        if notice.kind == NoticeKind::Escalation {
            escalations.push(notice);
        } else if notice.kind == NoticeKind::Regression {
            regressions.push(notice);
        } else {
            own.entry(notice.round_id)
                .and_modify(|kept| {
                    if notice.kind > kept.kind {
                        *kept = notice;
                    }
                })
                .or_insert(notice);
        }
    }
    let waiting: usize = own.values().map(|n| n.waiting).sum();
    let overdue: usize = own
        .values()
        .filter(|n| n.kind == NoticeKind::Overdue)
        .map(|n| n.waiting)
        .sum();
    let subject = match (waiting, overdue, escalations.len()) {
        _ if !regressions.is_empty() => format!(
            "Attest alarm: {} revoked access{} held again",
            regressions.len(),
            if regressions.len() == 1 {
                " is"
            } else {
                "es are"
            }
        ),
        (0, _, n) => format!(
            "Attest: overdue access reviews of {n} reviewer{}",
            plural(n)
        ),
        (w, 0, _) => format!(
            "Attest: {w} access review item{} waiting for you",
            plural(w)
        ),
        (w, o, _) => format!(
            "Attest: {w} access review item{} waiting for you, {o} overdue",
            plural(w)
        ),
    };
    let mut text = String::new();
    for notice in &regressions {
        text.push_str(&format!(
            "ALARM: {} was revoked in {} and is held again. It is back in review, due {}: \
             {base}/campaigns/rounds/{}\n",
            notice.about.as_deref().unwrap_or("An access"),
            notice.round_name,
            notice.due_at.format("%Y-%m-%d"),
            notice.round_id
        ));
    }
    let more_follows = !own.is_empty() || !escalations.is_empty();
    if !regressions.is_empty() && more_follows {
        text.push('\n');
    }
    for notice in own.values() {
        let when = notice.due_at.format("%Y-%m-%d");
        let line = match notice.kind {
            NoticeKind::Launched => format!(
                "{}: {} item{} to review, due {when}.",
                notice.round_name,
                notice.waiting,
                plural(notice.waiting)
            ),
            NoticeKind::Reminder => format!(
                "{}: {} item{} still waiting, due {when}.",
                notice.round_name,
                notice.waiting,
                plural(notice.waiting)
            ),
            _ => format!(
                "{}: {} item{} overdue since {when}; undecided items take the campaign's default when the stage closes.",
                notice.round_name,
                notice.waiting,
                plural(notice.waiting)
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    if !own.is_empty() {
        text.push_str(&format!("\nReview them: {base}/reviews\n"));
    }
    if !escalations.is_empty() {
        if !own.is_empty() {
            text.push('\n');
        }
        for notice in &escalations {
            text.push_str(&format!(
                "{} has {} overdue item{} in {} (due {}).\n",
                notice.about.as_deref().unwrap_or("A reviewer"),
                notice.waiting,
                plural(notice.waiting),
                notice.round_name,
                notice.due_at.format("%Y-%m-%d")
            ));
        }
        let mut rounds: Vec<i64> = escalations.iter().map(|n| n.round_id).collect();
        rounds.dedup();
        for round in rounds {
            text.push_str(&format!("See the round: {base}/campaigns/rounds/{round}\n"));
        }
    }
    Digest {
        to: to.to_owned(),
        subject,
        text,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests;
