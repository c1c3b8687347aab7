//! `credential_report`: the cloudmapper demo report, a report written here by hand with AWS's
//! documented header, every way the report arrives, and malformed reports.

use super::{counts, received_at, run};
use crate::fixtures;
use crate::grant::Grant;
use crate::model::{ActorKind, Source};
use crate::normalize::NormalizeError;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const KIND: Option<&str> = Some("credential_report");

/// The columns of the report as AWS documents them ("Getting credential reports for your AWS
/// account", IAM User Guide), in order.
const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,\
password_last_changed,password_next_rotation,mfa_active,access_key_1_active,\
access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,\
access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,\
access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,\
cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// Root with MFA and no keys; alice with a console password and no MFA and a key used
/// yesterday; bob with no password and a key last used in January; carol with MFA and a
/// second key never used since it was made in 2023.
fn hand_written() -> String {
    let rows = [
        "<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2024-05-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        "alice,arn:aws:iam::111122223333:user/alice,2021-03-01T09:00:00+00:00,true,2024-05-30T08:00:00+00:00,2021-03-01T09:00:00+00:00,N/A,false,true,2021-03-01T09:05:00+00:00,2024-05-31T12:00:00+00:00,eu-west-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        "bob,arn:aws:iam::111122223333:user/eng/bob,2022-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2022-01-01T00:00:00+00:00,2024-01-15T00:00:00+00:00,us-east-1,ec2,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        "carol,arn:aws:iam::111122223333:user/carol,2022-01-01T00:00:00+00:00,true,no_information,2022-01-01T00:00:00+00:00,N/A,true,false,N/A,N/A,N/A,N/A,true,2023-02-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A",
    ];
    format!("{HEADER}\n{}\n", rows.join("\n"))
}

fn facts(grants: &[Grant]) -> Vec<(&str, &str, &str)> {
    grants
        .iter()
        .map(|g| {
            (
                g.principal.id.as_str(),
                g.resource.id.as_str(),
                g.permission.as_str(),
            )
        })
        .collect()
}

#[test]
fn hand_written_report() {
    let csv = hand_written();
    let normalized = run(KIND, csv.as_bytes()).unwrap();
    let snapshot = &normalized.snapshots[0];
    // A bare CSV does not say when it was generated: the import time stands in.
    assert_eq!(snapshot.at, received_at());
    assert_eq!(snapshot.scope, "aws:account:111122223333:credentials");
    assert_eq!(
        facts(&snapshot.grants),
        vec![
            (
                "aws:access_key:111122223333:alice#1",
                "aws:arn:aws:iam::111122223333:user/alice",
                "access_key"
            ),
            (
                "aws:access_key:111122223333:bob#1",
                "aws:arn:aws:iam::111122223333:user/bob",
                "access_key"
            ),
            (
                "aws:access_key:111122223333:carol#2",
                "aws:arn:aws:iam::111122223333:user/carol",
                "access_key"
            ),
            (
                "aws:arn:aws:iam::111122223333:user/alice",
                "aws:account:111122223333",
                "console_login"
            ),
            (
                "aws:arn:aws:iam::111122223333:user/carol",
                "aws:account:111122223333",
                "console_login"
            ),
        ]
    );

    let event = &normalized.events[0];
    assert_eq!(event.source, Source::Aws);
    assert_eq!(event.source_event_id, "sha256:feed");
    assert_eq!(event.action, "iam.credential_report.imported");
    assert_eq!(event.occurred_at, received_at());
    assert_eq!(event.actor.kind, ActorKind::Service);
    // 2024-06-01 less 90 days is 2024-03-03: bob's January use and carol's unused 2023 key are
    // stale, alice's key used yesterday is not.
    assert_eq!(
        event.summary,
        "credential report of account 111122223333: 3 users, 1 with console access without MFA, 2 access keys unused for 90 days"
    );
    assert_eq!(event.details["console_without_mfa"], json!(["alice"]));
    assert_eq!(
        event.details["keys_unused_90_days"],
        json!(["bob#1", "carol#2"])
    );
    assert_eq!(event.details["root_mfa_active"], json!(true));
    assert_eq!(event.details["root_active_access_keys"], json!(0));
}

#[test]
fn cloudmapper_demo_report() {
    let bytes = fixtures::read("aws-iam/cloudmapper-demo/iam-get-credential-report.json");
    let normalized = run(KIND, &bytes).unwrap();
    let snapshot = &normalized.snapshots[0];
    let generated: DateTime<Utc> = "2019-05-07T15:40:22Z".parse().unwrap();
    assert_eq!(snapshot.at, generated);
    assert_eq!(snapshot.scope, "aws:account:123456789012:credentials");
    // Root's first key, auditor_tmp's first key, both of `user`'s keys; only `user` has a
    // password.
    assert_eq!(
        counts(&snapshot.grants),
        BTreeMap::from([("access_key", 4), ("console_login", 1)])
    );
    let root_key = snapshot
        .grants
        .iter()
        .find(|g| g.principal.id == "aws:access_key:123456789012:root#1")
        .unwrap();
    assert_eq!(root_key.resource.id, "aws:account:123456789012");
    assert_eq!(root_key.principal.name, "root key 1");

    let event = &normalized.events[0];
    assert_eq!(event.occurred_at, generated);
    // Root's key was last used 2018-11-27, `user`'s second 2018-05-07: both over 90 days
    // before the report; the first keys made minutes before it are not.
    assert_eq!(
        event.details["keys_unused_90_days"],
        json!(["root#1", "user#2"])
    );
    assert_eq!(event.details["console_without_mfa"], json!(["user"]));
    assert_eq!(event.details["root_active_access_keys"], json!(1));
    assert!(
        event.summary.ends_with(", root has active access keys"),
        "{}",
        event.summary
    );
}

#[test]
fn every_form_the_report_arrives_in() {
    let csv = hand_written();
    let base64 = base64::engine::general_purpose::STANDARD.encode(&csv);
    let plain = run(KIND, csv.as_bytes()).unwrap();
    // The base64 text alone, wrapped at 76 columns as `base64` writes it.
    let wrapped: Vec<String> = base64
        .as_bytes()
        .chunks(76)
        .map(|line| String::from_utf8(line.to_vec()).unwrap())
        .collect();
    assert_eq!(run(KIND, wrapped.join("\n").as_bytes()).unwrap(), plain);
    assert_eq!(run(None, base64.as_bytes()).unwrap(), plain);
    assert_eq!(run(None, csv.as_bytes()).unwrap(), plain);
    // Windows line ends.
    assert_eq!(
        run(KIND, csv.replace('\n', "\r\n").as_bytes()).unwrap(),
        plain
    );

    // The CLI's JSON: base64 `Content` and the generation time.
    let cli = json!({"Content": base64, "ReportFormat": "text/csv", "GeneratedTime": "2024-05-31T23:00:00+00:00"});
    let from_cli = run(KIND, cli.to_string().as_bytes()).unwrap();
    assert_eq!(from_cli.snapshots[0].grants, plain.snapshots[0].grants);
    assert_eq!(
        from_cli.snapshots[0].at.to_rfc3339(),
        "2024-05-31T23:00:00+00:00"
    );
}

#[test]
fn malformed_reports_are_clear_errors() {
    let message = |body: &[u8]| run(KIND, body).unwrap_err().to_string();
    assert!(message(b"").contains("not a credential report"));
    assert!(message(b"hello,world\n1,2").contains("not a credential report"));
    assert!(message(&[0xff, 0xfe]).contains("not a credential report"));
    assert_eq!(
        run(KIND, br#"{"ReportFormat": "text/csv"}"#).unwrap_err(),
        NormalizeError::Missing("Content")
    );
    assert!(matches!(
        run(KIND, br#"{"Content": "#),
        Err(NormalizeError::Json(_))
    ));
    assert!(message(br#"{"Content": "!!!"}"#).contains("neither the CSV nor base64"));
    let short_row = format!("{HEADER}\nalice,arn:aws:iam::111122223333:user/alice,2021\n");
    assert!(message(short_row.as_bytes()).contains("row 1 has 3 fields where the header has 22"));
    let no_arn = "user,arn,password_enabled\nalice,,true\n";
    assert!(message(no_arn.as_bytes()).contains("names an account"));
    let role_row = "user,arn,password_enabled\n<root_account>,arn:aws:iam::111122223333:root,x\nbob,arn:aws:iam::111122223333:role/bob,true\n";
    assert!(message(role_row.as_bytes()).contains("row 2 has no user ARN"));
    // A header alone is a report of nobody: refused for want of an account, not a panic.
    assert!(message(format!("{HEADER}\n").as_bytes()).contains("names an account"));
}

#[test]
fn quoted_fields_are_read() {
    let csv = "user,arn,password_enabled,mfa_active\n\"a,b\",\"arn:aws:iam::111122223333:user/a,b\",true,\"fal\"\"se\"\n";
    let normalized = run(KIND, csv.as_bytes()).unwrap();
    let grants: Vec<&str> = normalized.snapshots[0]
        .grants
        .iter()
        .map(|g| g.principal.id.as_str())
        .collect();
    assert_eq!(grants, vec!["aws:arn:aws:iam::111122223333:user/a,b"]);
    assert_eq!(
        normalized.events[0].details["console_without_mfa"],
        Value::from(vec!["a,b"])
    );
}
