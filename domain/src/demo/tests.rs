//! Tests of the demo generator: determinism, counts, order, uniqueness, payload shapes.

use super::*;
use chrono::Duration;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

fn config(events: usize) -> DemoConfig {
    let end = DateTime::from_timestamp(1_722_376_800, 0).unwrap_or_default();
    DemoConfig {
        events,
        seed: 7,
        end,
        days: 120,
    }
}

fn run(events: usize) -> Vec<DemoDelivery> {
    deliveries(&DemoOrg::generate(7), &config(events)).collect()
}

fn json(delivery: &DemoDelivery) -> Value {
    serde_json::from_slice(delivery.body()).unwrap_or(Value::Null)
}

#[test]
fn same_config_gives_the_same_bytes() {
    assert_eq!(run(2_000), run(2_000));
    let other = deliveries(
        &DemoOrg::generate(7),
        &DemoConfig {
            seed: 8,
            ..config(2_000)
        },
    )
    .collect::<Vec<_>>();
    assert_ne!(run(2_000), other);
}

#[test]
fn yields_exactly_the_requested_number() {
    for events in [0, 1, 7, 100, 5_000] {
        assert_eq!(run(events).len(), events, "{events} events");
    }
    let one_day = deliveries(
        &DemoOrg::generate(1),
        &DemoConfig {
            days: 1,
            ..config(3_000)
        },
    )
    .count();
    assert_eq!(one_day, 3_000);
    let no_period = deliveries(
        &DemoOrg::generate(1),
        &DemoConfig {
            days: 0,
            ..config(50)
        },
    )
    .collect::<Vec<_>>();
    assert_eq!(no_period.len(), 50);
    assert!(no_period.iter().all(|d| d.at() == config(0).end));
}

#[test]
fn chronological_and_within_the_period() {
    let config = config(5_000);
    let start = config.end - Duration::days(i64::from(config.days));
    let all = run(5_000);
    assert!(
        all.windows(2).all(|w| w[0].at() <= w[1].at()),
        "not in order"
    );
    assert!(all.iter().all(|d| d.at() >= start && d.at() <= config.end));
    // Spread over the period, with weekdays busier than weekends.
    let first_week = all
        .iter()
        .filter(|d| d.at() < start + Duration::days(7))
        .count();
    assert!(first_week > 100, "{first_week} in the first week");
}

#[test]
fn every_body_is_a_json_object_with_timestamps_matching_at() {
    for delivery in run(5_000) {
        let body = json(&delivery);
        assert!(
            body.is_object(),
            "{}",
            String::from_utf8_lossy(delivery.body())
        );
        let at = delivery.at();
        let stamp = at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        match &delivery {
            DemoDelivery::Cloudtrail { .. } => assert_eq!(body["eventTime"], stamp.as_str()),
            DemoDelivery::Github { event, .. } => match event.as_str() {
                "push" => assert_eq!(body["repository"]["pushed_at"], at.timestamp()),
                "pull_request" => assert_eq!(body["pull_request"]["updated_at"], stamp.as_str()),
                "pull_request_review" => assert_eq!(body["review"]["submitted_at"], stamp.as_str()),
                "workflow_run" => assert_eq!(body["workflow_run"]["updated_at"], stamp.as_str()),
                "deployment" => assert_eq!(body["deployment"]["created_at"], stamp.as_str()),
                _ => {}
            },
        }
    }
}

#[test]
fn delivery_ids_and_event_ids_are_unique_uuids() {
    let mut ids = HashSet::new();
    for delivery in run(5_000) {
        let id = match &delivery {
            DemoDelivery::Github { delivery_id, .. } => delivery_id.clone(),
            DemoDelivery::Cloudtrail { .. } => json(&delivery)["eventID"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        };
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert!(ids.insert(id.clone()), "duplicate {id}");
    }
}

#[test]
fn the_mix_has_the_events_an_access_review_needs() {
    let mut github: HashMap<String, usize> = HashMap::new();
    let mut cloudtrail: HashMap<String, usize> = HashMap::new();
    let all = run(5_000);
    for delivery in &all {
        match delivery {
            DemoDelivery::Github { event, .. } => *github.entry(event.clone()).or_default() += 1,
            DemoDelivery::Cloudtrail { .. } => {
                let name = json(delivery)["eventName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                *cloudtrail.entry(name).or_default() += 1;
            }
        }
    }
    for event in [
        "push",
        "pull_request",
        "pull_request_review",
        "workflow_run",
        "deployment",
        "member",
        "membership",
    ] {
        assert!(github.contains_key(event), "no {event}: {github:?}");
    }
    for event in [
        "team_add",
        "organization",
        "repository",
        "branch_protection_rule",
        "deploy_key",
    ] {
        assert!(github.contains_key(event), "no {event}: {github:?}");
    }
    for name in [
        "ConsoleLogin",
        "AssumeRole",
        "GetCallerIdentity",
        "GetObject",
        "PutObject",
        "CreateUser",
    ] {
        assert!(cloudtrail.contains_key(name), "no {name}: {cloudtrail:?}");
    }
    let share = github.values().sum::<usize>() as f64 / all.len() as f64;
    assert!((0.48..0.62).contains(&share), "GitHub share {share}");
    let pushes = github.get("push").copied().unwrap_or(0);
    assert!(pushes > 800, "{pushes} pushes");
}

#[test]
fn github_payloads_name_the_sender_and_a_repository_or_organization() {
    for delivery in run(5_000) {
        let DemoDelivery::Github { event, .. } = &delivery else {
            continue;
        };
        let body = json(&delivery);
        let sender = &body["sender"];
        assert!(
            sender["login"].is_string() && sender["id"].is_u64() && sender["node_id"].is_string(),
            "{event}"
        );
        assert!(
            matches!(sender["type"].as_str(), Some("User" | "Bot")),
            "{event}"
        );
        assert!(
            body["repository"]["full_name"].is_string()
                || body["organization"]["login"].is_string(),
            "{event}"
        );
        if let Some(owner) = body.get("repository").map(|r| &r["owner"]) {
            assert_eq!(owner["type"], "Organization");
        }
    }
}

#[test]
fn push_payloads_have_githubs_shape() {
    let all = run(3_000);
    let pushes: Vec<Value> = all
        .iter()
        .filter(|d| matches!(d, DemoDelivery::Github { event, .. } if event == "push"))
        .map(json)
        .collect();
    assert!(!pushes.is_empty());
    for push in &pushes {
        assert!(push["ref"]
            .as_str()
            .is_some_and(|r| r.starts_with("refs/heads/")));
        assert_eq!(push["before"].as_str().map(str::len), Some(40));
        assert!(push["pusher"]["name"].is_string() && push["compare"].is_string());
        for key in ["created", "deleted", "forced"] {
            assert!(push[key].is_boolean(), "{key}");
        }
        let commits = push["commits"].as_array().cloned().unwrap_or_default();
        assert!(commits.len() <= 5);
        assert_eq!(commits.is_empty(), push["deleted"] == true);
        for commit in &commits {
            assert!(
                commit["id"].is_string()
                    && commit["message"].is_string()
                    && commit["url"].is_string()
            );
            assert!(commit["author"]["name"].is_string() && commit["author"]["email"].is_string());
            assert!(commit["author"]["username"].is_string() && commit["timestamp"].is_string());
        }
        assert_eq!(
            push["head_commit"],
            commits.last().cloned().unwrap_or(Value::Null)
        );
    }
    // Dependency bots push too.
    assert!(pushes.iter().any(|p| p["sender"]["type"] == "Bot"));
}

#[test]
fn cloudtrail_records_have_cloudtrails_shape() {
    let mut ips: HashMap<String, HashSet<String>> = HashMap::new();
    let mut denied = 0;
    for delivery in run(5_000) {
        let DemoDelivery::Cloudtrail { .. } = &delivery else {
            continue;
        };
        let record = json(&delivery);
        for key in [
            "eventVersion",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "eventType",
        ] {
            assert!(record[key].is_string(), "{key} in {record}");
        }
        assert!(record["readOnly"].is_boolean() && record["managementEvent"].is_boolean());
        let account = record["recipientAccountId"].as_str().unwrap_or_default();
        assert!(
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
            "{account}"
        );
        let identity = &record["userIdentity"];
        match identity["type"].as_str() {
            Some("IAMUser") => {
                assert!(identity["userName"].is_string() && identity["arn"].is_string())
            }
            Some("AssumedRole") => {
                assert!(identity["sessionContext"]["sessionIssuer"]["arn"].is_string());
                let session = identity["arn"]
                    .as_str()
                    .unwrap_or_default()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default();
                let issuer = identity["sessionContext"]["sessionIssuer"]["userName"]
                    .as_str()
                    .unwrap_or_default();
                if issuer.starts_with("AWSReservedSSO_") {
                    assert!(session.ends_with("@acme-corp.com"), "{session}");
                    let ip = record["sourceIPAddress"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    ips.entry(session.to_owned()).or_default().insert(ip);
                }
            }
            Some("Root") => assert!(identity["arn"]
                .as_str()
                .is_some_and(|a| a.ends_with(":root"))),
            _ => {
                assert_eq!(identity["type"], "AWSService", "{identity}");
                assert!(identity["invokedBy"].is_string());
            }
        }
        if record["errorCode"].is_string() {
            assert!(record["errorMessage"].is_string());
            denied += usize::from(record["errorCode"] == "AccessDenied");
        }
    }
    assert!(denied > 5, "{denied} denied calls");
    assert!(
        ips.values().all(|set| set.len() == 1),
        "people's addresses are not stable: {ips:?}"
    );
}

#[test]
fn the_organisation_is_believable() {
    let org = DemoOrg::generate(7);
    assert_eq!(org.org, "acme-corp");
    let members = org
        .people
        .iter()
        .filter(|p| p.membership == Membership::Member)
        .count();
    assert!((35..=45).contains(&members), "{members} members");
    let logins: HashSet<&str> = org.people.iter().map(|p| p.login.as_str()).collect();
    let emails: HashSet<&str> = org.people.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(logins.len(), org.people.len());
    assert_eq!(emails.len(), org.people.len());
    assert!(org
        .people
        .iter()
        .all(|p| p.manager.as_deref().is_none_or(|m| logins.contains(m))));
    assert!(
        org.people.iter().filter(|p| p.manager.is_none()).count() == 1,
        "one CEO"
    );
    assert!((6..=8).contains(&org.teams.len()));
    assert!(org.teams.iter().any(|t| t.parent.is_some()));
    assert!((22..=28).contains(&org.repos.len()));
    assert!(org.bots.iter().any(|b| b.login == "dependabot[bot]"));
    assert_eq!(org.accounts.len(), 3);
    for account in &org.accounts {
        assert!(account.id.len() == 12 && account.id.bytes().all(|b| b.is_ascii_digit()));
        assert!(account
            .roles
            .iter()
            .any(|r| r.kind == RoleKind::Sso && r.access == Access::Admin));
        assert!(account
            .roles
            .iter()
            .any(|r| r.kind == RoleKind::Sso && r.access == Access::ReadOnly));
        assert!(account.roles.iter().any(|r| r.kind == RoleKind::Deploy));
        assert!(!account.users.is_empty());
    }
    // A few people are far more active than the median.
    let mut activity: Vec<f64> = org.people.iter().map(|p| p.activity).collect();
    activity.sort_by(f64::total_cmp);
    let median = activity[activity.len() / 2];
    assert!(activity.iter().rev().take(3).all(|a| *a > 3.0 * median));
    assert_eq!(DemoOrg::generate(7).people[5].login, org.people[5].login);
}

#[test]
fn an_unusable_organisation_is_replaced() {
    let mut org = DemoOrg::generate(3);
    org.people.clear();
    org.accounts.clear();
    assert_eq!(deliveries(&org, &config(300)).count(), 300);
}

#[test]
fn default_config_ends_now_to_the_minute() {
    let config = DemoConfig::default();
    assert_eq!((config.events, config.seed, config.days), (5_000, 7, 120));
    assert_eq!(config.end.timestamp() % 60, 0);
    assert!((Utc::now() - config.end).num_seconds() < 120);
}

#[test]
fn two_hundred_thousand_deliveries_stream_cheaply() {
    let started = std::time::Instant::now();
    assert_eq!(
        deliveries(&DemoOrg::generate(7), &config(200_000)).count(),
        200_000
    );
    eprintln!("200,000 deliveries in {:?}", started.elapsed());
}
