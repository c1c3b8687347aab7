#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::grant::{Principal, Resource};
use chrono::TimeZone;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

fn grant(principal_kind: &str, name: &str, resource: &str, permission: &str) -> Grant {
    Grant {
        scope: "github:org:acme".into(),
        principal: Principal {
            kind: principal_kind.into(),
            id: format!("github:{principal_kind}:{name}"),
            name: name.into(),
        },
        resource: Resource {
            kind: "repository".into(),
            id: format!("github:repo:{resource}"),
            name: resource.into(),
        },
        permission: permission.into(),
        via: String::new(),
    }
}

fn definition() -> CampaignDefinition {
    CampaignDefinition::by_managers(
        "Quarterly admin review",
        "security@example.com",
        at(2026, 1, 1),
    )
}

#[test]
fn recurrence_follows_calendar_months_and_catches_up_once() {
    assert_eq!(
        Recurrence::Quarterly.next_after(at(2026, 1, 31)),
        Some(at(2026, 4, 30))
    );
    assert_eq!(Recurrence::Once.next_after(at(2026, 1, 1)), None);
    // Down from February to August: the missed April launch is skipped, the next is October.
    assert_eq!(
        Recurrence::Quarterly.next_due_after(at(2026, 1, 1), at(2026, 8, 1)),
        Some(at(2026, 10, 1))
    );
    assert_eq!(
        Recurrence::Yearly.next_due_after(at(2026, 1, 1), at(2026, 1, 1)),
        Some(at(2027, 1, 1))
    );
    for r in Recurrence::ALL {
        assert_eq!(Recurrence::parse(r.as_str()), Some(r));
    }
}

#[test]
fn scope_filters_by_source_resource_privilege_holder_and_age() {
    let admin = grant("user", "alice", "acme/infra", "admin");
    let reader = grant("user", "bob", "acme/docs", "read");
    let bot = grant("user", "dependabot[bot]", "acme/infra", "write");
    let mut scope = CampaignScope {
        privileged_only: true,
        ..CampaignScope::default()
    };
    assert!(scope.matches(&admin, None));
    assert!(!scope.matches(&reader, None));
    scope.privileged_only = false;
    scope.resources = "ACME/INF*".into();
    assert!(scope.matches(&admin, None));
    assert!(!scope.matches(&reader, None));
    scope.holders = Holders::People;
    assert!(!scope.matches(&bot, None));
    assert!(!scope.matches(&grant("user", "svc-backup", "acme/infra", "write"), None));
    scope.holders = Holders::NonHuman;
    assert!(scope.matches(&bot, None));
    assert!(scope.matches(&grant("user", "svc-backup", "acme/infra", "write"), None));
    assert!(!scope.matches(&admin, None));
    scope.holders = Holders::All;
    scope.sources = vec![Source::Aws];
    assert!(!scope.matches(&admin, None));
    scope.sources = vec![Source::Github];
    assert!(scope.matches(&admin, None));
    scope.granted_since = Some(at(2026, 3, 1));
    assert!(
        !scope.matches(&admin, None),
        "held since before the records"
    );
    assert!(!scope.matches(&admin, Some(at(2026, 2, 1))));
    assert!(scope.matches(&admin, Some(at(2026, 3, 2))));
    scope.unused_days = Some(30);
    assert!(scope.wants_unused(None, at(2026, 4, 1)));
    assert!(!scope.wants_unused(Some(at(2026, 3, 20)), at(2026, 4, 1)));
    assert!(scope.wants_unused(Some(at(2026, 2, 20)), at(2026, 4, 1)));
}

#[test]
fn privileged_permissions_across_sources() {
    for permission in [
        "admin",
        "Owner",
        "roles/owner",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "User Access Administrator",
        "maintain",
    ] {
        assert!(is_privileged_permission(permission), "{permission}");
    }
    for permission in [
        "read",
        "member",
        "roles/viewer",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::1:policy/NotAdministratorAccessReally",
    ] {
        assert!(!is_privileged_permission(permission), "{permission}");
    }
}

#[test]
fn globs_match_without_case_and_without_blowing_up() {
    assert!(glob_matches("acme/*", "Acme/Infra"));
    assert!(glob_matches("*", ""));
    assert!(glob_matches("prod-??", "prod-eu"));
    assert!(!glob_matches("prod-??", "prod-eu1"));
    assert!(glob_matches(
        "arn:aws:iam::*:role/admin*",
        "arn:aws:iam::1234:role/admins"
    ));
    assert!(!glob_matches("acme/infra", "acme/infra2"));
    let long = "a".repeat(20_000);
    assert!(!glob_matches("*a*a*a*a*a*a*a*a*b", &long));
}

#[test]
fn definitions_say_what_is_wrong() {
    assert!(definition().problems().is_empty());
    let mut bad = definition();
    bad.name = "  ".into();
    bad.stages.clear();
    bad.fallback_reviewer = "security".into();
    bad.duration_days = 0;
    let problems = bad.problems();
    assert_eq!(problems.len(), 5, "{problems:?}");
    let mut named = definition();
    named.stages = vec![
        Stage {
            reviewer: ReviewerRule::Named,
            named: vec![],
            advance: vec![],
        };
        4
    ];
    let problems = named.problems();
    assert!(problems.iter().any(|p| p.contains("1 to 3 stages")));
    assert!(problems
        .iter()
        .any(|p| p.contains("stage 1 names no reviewers")));
}

#[test]
fn recommendations_give_their_reason() {
    let now = at(2026, 6, 1);
    let logs = Some(at(2025, 6, 1));
    let used = |day: DateTime<Utc>, on_resource: bool| Usage {
        last_used_at: Some(day),
        event_id: Some(7),
        what: "pushed to acme/infra".into(),
        on_resource,
        logs_since: logs,
    };
    let r = recommend(Some(at(2025, 1, 1)), &used(at(2026, 5, 20), true), now);
    assert_eq!(r.decision, Decision::Keep);
    assert_eq!(r.reason, "used 12 days ago: pushed to acme/infra");

    let r = recommend(Some(at(2025, 1, 1)), &used(at(2026, 2, 24), true), now);
    assert_eq!(r.decision, Decision::Revoke);
    assert_eq!(
        r.reason,
        "no use in 97 days (last: pushed to acme/infra on 2026-02-24)"
    );

    let r = recommend(Some(at(2025, 1, 1)), &used(at(2026, 4, 1), false), now);
    assert_eq!(r.decision, Decision::Keep);
    assert!(
        r.reason.contains("in the same org or account"),
        "{}",
        r.reason
    );

    let quiet = Usage {
        logs_since: logs,
        ..Usage::default()
    };
    let r = recommend(Some(at(2026, 5, 29)), &quiet, now);
    assert_eq!(
        r,
        Recommendation {
            decision: Decision::Keep,
            reason: "granted 3 days ago".into()
        }
    );
    let r = recommend(None, &quiet, now);
    assert_eq!(r.decision, Decision::Revoke);
    assert_eq!(r.reason, "no use in 365 days");

    // Logs that reach back only 20 days cannot show 90 quiet days.
    let short = Usage {
        logs_since: Some(at(2026, 5, 12)),
        ..Usage::default()
    };
    let r = recommend(Some(at(2025, 1, 1)), &short, now);
    assert_eq!(r.decision, Decision::Keep);
    assert_eq!(
        r.reason,
        "no use seen, but the audit logs reach back only 20 days"
    );
    let r = recommend(Some(at(2025, 1, 1)), &Usage::default(), now);
    assert_eq!(r.decision, Decision::Keep);
    assert_eq!(r.reason, "no audit logs from this source to judge use by");
    let r = recommend(Some(at(2026, 4, 1)), &quiet, now);
    assert_eq!(r.decision, Decision::Keep);
    assert_eq!(r.reason, "not used since it was granted 61 days ago");
}

#[test]
fn sources_come_from_ids_and_emails_are_checked() {
    assert_eq!(
        source_of(&grant("user", "alice", "acme/infra", "admin")),
        Some(Source::Github)
    );
    assert!(looks_like_email("alice@example.com"));
    for bad in [
        "alice",
        "@example.com",
        "alice@",
        "a@b",
        "a b@example.com",
        "a@b@c.com",
    ] {
        assert!(!looks_like_email(bad), "{bad}");
    }
    assert_eq!(
        OnNoResponse::Recommendation.decide(Decision::Revoke),
        Decision::Revoke
    );
    assert_eq!(OnNoResponse::Keep.decide(Decision::Revoke), Decision::Keep);
    for d in Decision::ALL {
        assert_eq!(Decision::parse(d.as_str()), Some(d));
    }
}
