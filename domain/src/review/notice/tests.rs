#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::grant::{Grant, Principal, Resource};
use crate::review::{CampaignDefinition, Decision, Progress, Recommendation, Usage};
use chrono::TimeZone;

fn at(m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, 9, 0, 0).unwrap()
}

fn round() -> Round {
    Round {
        id: 7,
        campaign_id: 1,
        name: "Quarterly review · 2026-04-01".into(),
        definition: CampaignDefinition::by_managers(
            "Quarterly review",
            "sec@example.com",
            at(4, 1),
        ),
        planned_for: at(4, 1),
        launched_at: at(4, 1),
        launched_by: "scheduler".into(),
        stage: 1,
        stage_due_at: at(4, 15),
        status: RoundStatus::Open,
        closed_at: None,
        population: 3,
        population_hash: String::new(),
        progress: Progress::default(),
    }
}

fn item(id: i64, reviewer: &str, decision: Option<Decision>) -> ReviewItem {
    ReviewItem {
        id,
        round_id: 7,
        grant_id: id,
        grant: Grant {
            scope: "github:org:acme".into(),
            principal: Principal {
                kind: "user".into(),
                id: format!("github:user:{id}"),
                name: format!("u{id}"),
            },
            resource: Resource {
                kind: "org".into(),
                id: "github:org:1".into(),
                name: "acme".into(),
            },
            permission: "member".into(),
            via: String::new(),
        },
        granted_at: None,
        granted_how: String::new(),
        privileged: false,
        holder: None,
        usage: Usage::default(),
        recommendation: Recommendation {
            decision: Decision::Keep,
            reason: String::new(),
        },
        regression: false,
        stage: 1,
        reviewer: Some(reviewer.into()),
        reviewer_rule: "manager".into(),
        due_at: at(4, 15),
        decision,
        justification: String::new(),
        decided_by: None,
        decided_at: None,
        outcome: None,
        remediation: None,
        remediation_note: String::new(),
        remediation_at: None,
    }
}

fn kinds(notices: &[Notice]) -> Vec<(String, NoticeKind, usize, String)> {
    notices
        .iter()
        .map(|n| (n.to.clone(), n.kind, n.waiting, n.day.clone()))
        .collect()
}

#[test]
fn launch_reminder_overdue_and_escalation_come_when_due() {
    let items = [
        item(1, "mia@example.com", None),
        item(2, "mia@example.com", None),
        item(3, "mia@example.com", Some(Decision::Keep)),
        item(4, "max@example.com", None),
    ];
    let manager = |who: &str| (who == "mia@example.com").then(|| "boss@example.com".to_owned());
    // At launch: each reviewer once, counting only what waits.
    let launched = notices_for(&round(), &items, at(4, 1), manager);
    assert_eq!(
        kinds(&launched),
        [
            (
                "max@example.com".into(),
                NoticeKind::Launched,
                1,
                "once".into()
            ),
            (
                "mia@example.com".into(),
                NoticeKind::Launched,
                2,
                "once".into()
            ),
        ]
    );
    // Three days before the due date: the reminder too.
    let near = notices_for(&round(), &items, at(4, 12), manager);
    assert!(kinds(&near).contains(&(
        "mia@example.com".into(),
        NoticeKind::Reminder,
        2,
        "once".into()
    )));
    // After it: overdue every day, and escalation to the manager, else the fallback.
    let late = notices_for(&round(), &items, at(4, 16), manager);
    let late = kinds(&late);
    assert!(late.contains(&(
        "mia@example.com".into(),
        NoticeKind::Overdue,
        2,
        "2026-04-16".into()
    )));
    assert!(late.contains(&(
        "boss@example.com".into(),
        NoticeKind::Escalation,
        2,
        "2026-04-16".into()
    )));
    assert!(late.contains(&(
        "sec@example.com".into(),
        NoticeKind::Escalation,
        1,
        "2026-04-16".into()
    )));
    assert!(!late.iter().any(|n| n.1 == NoticeKind::Reminder));
    // A closed round tells no one.
    let mut closed = round();
    closed.status = RoundStatus::Closed;
    assert!(notices_for(&closed, &items, at(4, 16), manager).is_empty());
}

#[test]
fn one_digest_per_person_says_each_round_once() {
    let items = [
        item(1, "mia@example.com", None),
        item(2, "mia@example.com", None),
    ];
    let notices = notices_for(&round(), &items, at(4, 16), |_| None);
    let mine: Vec<&Notice> = notices
        .iter()
        .filter(|n| n.to == "mia@example.com")
        .collect();
    // Launched and overdue for the same round: one line, the overdue one.
    let mail = digest("mia@example.com", &mine, "https://attest.example.com/");
    assert_eq!(
        mail.subject,
        "Attest: 2 access review items waiting for you, 2 overdue"
    );
    assert_eq!(
        mail.text
            .lines()
            .filter(|l| l.contains("Quarterly review"))
            .count(),
        1,
        "{}",
        mail.text
    );
    assert!(mail.text.contains("2 items overdue since 2026-04-15"));
    assert!(mail.text.contains("https://attest.example.com/reviews"));
    let theirs: Vec<&Notice> = notices
        .iter()
        .filter(|n| n.to == "sec@example.com")
        .collect();
    let escalation = digest("sec@example.com", &theirs, "https://attest.example.com");
    assert_eq!(
        escalation.subject,
        "Attest: overdue access reviews of 1 reviewer"
    );
    assert!(escalation
        .text
        .contains("mia@example.com has 2 overdue items in Quarterly review"));
    assert!(escalation.text.contains("/campaigns/rounds/7"));
}

#[test]
fn a_revoked_grant_held_again_raises_an_alarm_to_the_reviewer_and_the_fallback() {
    let mut back = item(9, "mia@example.com", None);
    back.regression = true;
    back.due_at = at(5, 20);
    let items = [item(1, "mia@example.com", Some(Decision::Keep)), back];
    let notices = notices_for(&round(), &items, at(5, 6), |_| None);
    let alarms: Vec<(String, NoticeKind, usize, String)> = kinds(&notices)
        .into_iter()
        .filter(|n| n.1 == NoticeKind::Regression)
        .collect();
    assert_eq!(
        alarms,
        [
            (
                "mia@example.com".into(),
                NoticeKind::Regression,
                1,
                "item-9".into()
            ),
            (
                "sec@example.com".into(),
                NoticeKind::Regression,
                1,
                "item-9".into()
            ),
        ]
    );
    let theirs: Vec<&Notice> = notices
        .iter()
        .filter(|n| n.to == "sec@example.com")
        .collect();
    let alarm = digest("sec@example.com", &theirs, "https://attest.example.com");
    assert_eq!(
        alarm.subject,
        "Attest alarm: 1 revoked access is held again"
    );
    assert!(
        alarm.text.contains(
            "ALARM: u9 → acme (member) was revoked in Quarterly review · 2026-04-01 and is held \
             again. It is back in review, due 2026-05-20: \
             https://attest.example.com/campaigns/rounds/7"
        ),
        "{}",
        alarm.text
    );
    // Once decided and closed, no more alarms for it.
    let mut closed = items[1].clone();
    closed.outcome = Some(Decision::Revoke);
    let after = notices_for(&round(), &[closed], at(5, 7), |_| None);
    assert!(after.iter().all(|n| n.kind != NoticeKind::Regression));
}
