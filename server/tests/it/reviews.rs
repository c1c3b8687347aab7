//! Access reviews through the server: a manager's inbox renders the evidence and takes
//! decisions from plain forms (one item, a ticked selection, everything a filter shows), with
//! the campaign's justification rule; an auditor sees the round, downloads its evidence CSV and
//! sealed report (each recorded with its SHA-256, and `attest verify --export` finds them);
//! automation decides through the API; the command line defines, launches and closes.

use crate::auth::{demo_server, signed_in};
use crate::support::{post_form, TestServer};
use chrono::{Duration, Utc};
use domain::import::{self, ImportKind, ImportOptions};
use domain::model::Role;
use domain::review::CampaignDefinition;
use reqwest::StatusCode;
use serde_json::json;

/// People whose manager is the demo reviewer persona, a GitHub org where they hold access, and
/// a push by one of them last week. Gives the launched round.
pub async fn a_round_for_the_reviewer(server: &TestServer) -> i64 {
    let dir = tempfile::tempdir().unwrap();
    let people = dir.path().join("people.csv");
    std::fs::write(
        &people,
        "email,name,manager,department,github\n\
         reviewer@example.com,The reviewer,,Payments,rev\n\
         ada@example.com,Ada,reviewer@example.com,Payments,ada\n\
         bob@example.com,Bob,reviewer@example.com,Payments,bob\n\
         cy@example.com,Cy,reviewer@example.com,Payments,cy\n",
    )
    .unwrap();
    let org = dir.path().join("org.json");
    let user = |login: &str, id: u64, role: &str| json!({"login": login, "id": id, "role": role});
    std::fs::write(
        &org,
        serde_json::to_vec(&json!({
            "org": {"login": "acme", "id": 1, "default_repository_permission": "none"},
            "taken_at": (Utc::now() - Duration::days(200)).to_rfc3339(),
            "members": [user("ada", 11, "admin"), user("bob", 12, "member"), user("cy", 13, "member"), user("rev", 14, "admin")],
            "teams": [],
            "repos": [{"id": 100, "full_name": "acme/infra", "deploy_keys": [],
                       "collaborators": [{"login": "bob", "id": 12, "permissions": {"admin": true, "push": true, "pull": true}}]}],
            "outside_collaborators": [],
        }))
        .unwrap(),
    )
    .unwrap();
    push_by_bob(server).await;
    for (kind, file) in [(ImportKind::People, people), (ImportKind::GithubOrg, org)] {
        let summary = import::import_files(
            &server.store,
            kind,
            &ImportOptions::default(),
            &[file],
            &mut |_| {},
        )
        .await
        .unwrap();
        assert!(summary.failed_files.is_empty(), "{summary:?}");
    }
    let definition =
        CampaignDefinition::by_managers("Quarterly GitHub review", "admin@example.com", Utc::now());
    let now = Utc::now();
    let campaign = server
        .store
        .create_campaign(&definition, "admin@example.com", now)
        .await
        .unwrap();
    server
        .store
        .launch_campaign(campaign, None, "admin@example.com", now)
        .await
        .unwrap()
}

/// GitHub's sample push (a branch deleted), as if Bob pushed it to acme/infra five days ago; and the org's first
/// delivery, from 250 days ago, so the logs reach back past the grants.
async fn push_by_bob(server: &TestServer) {
    use domain::ingest::{self, GithubRequest};
    use domain::signature::{github_signature, Secrets};
    let sample =
        std::fs::read(crate::support::fixtures().join("github/webhooks/push/payload.json"))
            .unwrap();
    for (login, id, days_ago) in [("bob", 12, 5), ("nobody", 99, 250)] {
        let mut push: serde_json::Value = serde_json::from_slice(&sample).unwrap();
        push["sender"]["login"] = json!(login);
        push["sender"]["id"] = json!(id);
        push["pusher"]["name"] = json!(login);
        push["repository"]["full_name"] = json!("acme/infra");
        push["repository"]["id"] = json!(100);
        push["organization"] = json!({"login": "acme", "id": 1});
        push["repository"]["pushed_at"] =
            json!((Utc::now() - Duration::days(days_ago)).timestamp());
        let body = serde_json::to_vec(&push).unwrap();
        let request = GithubRequest {
            event: Some("push".to_owned()),
            delivery: Some(format!("push-{login}")),
            signature: Some(github_signature(b"s", &body)),
            headers: Vec::new(),
            received_at: Utc::now() - Duration::days(days_ago),
            body,
        };
        let delivery =
            ingest::github_delivery(&Secrets::from_comma_separated("s"), request).unwrap();
        ingest::ingest(&server.store, vec![delivery]).await.unwrap();
    }
}

/// Posts My reviews' decision form as a browser without JavaScript does: the status and where
/// the answer sends the browser.
async fn decide(
    server: &TestServer,
    client: &reqwest::Client,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let page = server.url("/reviews");
    post_form(server, client, "decide_review_items", &page, fields).await
}

/// The id of the open item of `login` on `resource` in the reviewer's inbox.
async fn item_of(server: &TestServer, login: &str, resource: &str) -> i64 {
    server
        .store
        .reviews_for("reviewer@example.com")
        .await
        .unwrap()
        .iter()
        .find(|i| i.grant.principal.name == login && i.grant.resource.name == resource)
        .unwrap_or_else(|| panic!("no item for {login} on {resource}"))
        .id
}

#[tokio::test]
async fn a_manager_decides_from_plain_forms_and_an_auditor_takes_the_evidence() {
    let server = demo_server().await;
    let round = a_round_for_the_reviewer(&server).await;
    let reviewer = signed_in(&server, Role::Reviewer).await;
    let page = server.url("/reviews");

    // Ada (org admin), Bob (member, and admin of acme/infra), Cy (member): four items, each
    // with its evidence; the reviewer's own admin grant went to the fallback reviewer.
    let html = reviewer
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("<article id=\"item-").count(), 4, "{html}");
    assert!(html.contains("4 items open: 4 waiting for you."), "{html}");
    assert!(html.contains("no use recorded"));
    assert!(html.contains("Keep all 4 shown"), "{html}");
    assert!(html.contains("no use in 200 days"), "{html}");
    assert!(html.contains("used 5 days ago: bob deleted"), "{html}");
    assert!(html.contains("manager reviewer@example.com"));
    assert!(
        !html.contains(">rev<"),
        "the reviewer's own grant is not theirs to review"
    );
    let own = server.store.round_items(round).await.unwrap();
    let theirs = own
        .iter()
        .find(|i| i.grant.principal.name == "rev")
        .unwrap();
    assert_eq!(theirs.reviewer.as_deref(), Some("admin@example.com"));

    // One item kept from its own form.
    let ada = item_of(&server, "ada", "acme").await;
    let id = ada.to_string();
    let (status, to) = decide(
        &server,
        &reviewer,
        &[
            ("ids[0]", id.as_str()),
            ("decision", "keep"),
            ("justification", ""),
        ],
    )
    .await;
    assert_eq!(
        (status, to.trim_end_matches('?')),
        (StatusCode::FOUND, page.as_str())
    );

    // A revoke without the justification the campaign asks for is refused, and says why.
    let bob_repo = item_of(&server, "bob", "acme/infra").await.to_string();
    let (status, to) = decide(
        &server,
        &reviewer,
        &[
            ("ids[0]", bob_repo.as_str()),
            ("decision", "revoke"),
            ("justification", " "),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(to.contains("__err="), "{to}");
    let refused = reviewer
        .get(&to)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        refused.contains("asks for a justification to revoke"),
        "{refused}"
    );
    let (status, to) = decide(
        &server,
        &reviewer,
        &[
            ("ids[0]", bob_repo.as_str()),
            ("decision", "revoke"),
            ("justification", "moved to data team"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.contains("__err")),
        (StatusCode::FOUND, false),
        "{to}"
    );

    // A ticked selection: the bulk form's checkboxes are numbered by their row, so the ticked
    // ones arrive with gaps.
    let bob_org = item_of(&server, "bob", "acme").await.to_string();
    let cy_org = item_of(&server, "cy", "acme").await.to_string();
    let (status, to) = decide(
        &server,
        &reviewer,
        &[
            ("ids[1]", bob_org.as_str()),
            ("ids[3]", cy_org.as_str()),
            ("decision", "dont_know"),
            ("justification", ""),
        ],
    )
    .await;
    assert_eq!(
        (status, to.contains("__err")),
        (StatusCode::FOUND, false),
        "{to}"
    );

    let html = reviewer
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("4 items open: 0 waiting for you."), "{html}");
    assert_eq!(html.matches("Decided: Keep").count(), 1);
    assert_eq!(
        html.matches("Decided: Don&#x27;t know").count()
            + html.matches("Decided: Don't know").count(),
        2,
        "{html}"
    );
    // A filter narrows the inbox; its "keep all shown" form covers what it shows.
    let filtered = reviewer
        .get(server.url("/reviews?q=cy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(filtered.matches("<article id=\"item-").count(), 1);

    // Someone else's item, or a viewer, is refused.
    let viewer = signed_in(&server, Role::Viewer).await;
    let (status, _) = decide(
        &server,
        &viewer,
        &[("ids[0]", id.as_str()), ("decision", "revoke")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Automation decides the fallback reviewer's item on their behalf, through the API.
    let undecided: Vec<i64> = server
        .store
        .reviews_for("admin@example.com")
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(undecided.len(), 1);
    let admin_token = server.token(Role::Admin).await;
    let answer = server
        .client
        .post(server.url("/api/v1/review-items/decisions"))
        .bearer_auth(&admin_token)
        .json(&json!({"ids": undecided, "decision": "keep", "on_behalf_of": "admin@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        StatusCode::CREATED,
        "{:?}",
        answer.text().await
    );
    let as_holder = server
        .client
        .post(server.url("/api/v1/review-items/decisions"))
        .bearer_auth(&admin_token)
        .json(&json!({"ids": [ada], "decision": "keep", "on_behalf_of": "ada@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(as_holder.status(), StatusCode::BAD_REQUEST);
    let listed: serde_json::Value = server
        .client
        .get(server.url(&format!("/api/v1/rounds/{round}")))
        .bearer_auth(server.token(Role::Auditor).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 5);

    // The auditor's view: the round with its chart, and its evidence.
    let auditor = signed_in(&server, Role::Auditor).await;
    let round_page = auditor
        .get(server.url(&format!("/campaigns/rounds/{round}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        round_page.contains("class=\"review-chart\""),
        "{round_page}"
    );
    assert!(round_page.contains("5 of 5 decided"), "{round_page}");
    let csv = auditor
        .get(server.url(&format!("/export/rounds/{round}.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let sha = csv.headers()["x-attest-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let bytes = csv.bytes().await.unwrap();
    assert_eq!(domain::export::sha256(&bytes), sha);
    let mut reader = csv::Reader::from_reader(bytes.as_ref());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    let decided = |login: &str, resource: &str| {
        let row = rows
            .iter()
            .find(|r| &r[column("principal")] == login && &r[column("resource")] == resource)
            .unwrap();
        (
            row[column("decision")].to_owned(),
            row[column("justification")].to_owned(),
            row[column("decided_by")].to_owned(),
        )
    };
    assert_eq!(
        decided("bob", "acme/infra"),
        (
            "revoke".into(),
            "moved to data team".into(),
            "reviewer@example.com".into()
        )
    );
    assert_eq!(decided("ada", "acme").0, "keep");
    assert_eq!(decided("cy", "acme").0, "dont_know");
    let report = auditor
        .get(server.url(&format!("/reports/rounds/{round}")))
        .send()
        .await
        .unwrap();
    let report_sha = report.headers()["x-attest-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let report = report.text().await.unwrap();
    assert!(report.contains(&format!(
        "SHA-256 of this report above this line: <code>{report_sha}</code>"
    )));
    assert_eq!(
        domain::export::recorded_sha256(report.as_bytes()),
        report_sha
    );

    // Both are in the audit log, so `attest verify --export` finds them; an edited copy is not.
    let dir = tempfile::tempdir().unwrap();
    let (csv_file, report_file, edited) = (
        dir.path().join("e.csv"),
        dir.path().join("r.html"),
        dir.path().join("x.html"),
    );
    std::fs::write(&csv_file, &bytes).unwrap();
    std::fs::write(&report_file, &report).unwrap();
    std::fs::write(
        &edited,
        report.replace("moved to data team", "still needed"),
    )
    .unwrap();
    let verify = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_attest"))
            .args(["--database-url", &server.db_url, "verify", "--export"])
            .arg(file)
            .output()
            .unwrap()
    };
    for file in [&csv_file, &report_file] {
        let out = verify(file);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("as exported by auditor@example.com"));
    }
    let out = verify(&edited);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("matches no recorded export"));
    assert!(server
        .store
        .verify_ledger(None, &[])
        .await
        .unwrap()
        .is_sound());
}

/// An admin defines a campaign with the campaigns page's plain form and launches it there; a
/// definition with problems is refused with every problem named.
#[tokio::test]
async fn an_admin_defines_and_launches_a_campaign_from_the_page() {
    let server = demo_server().await;
    let admin = signed_in(&server, Role::Admin).await;
    let page = server.url("/campaigns");
    let fields = [
        ("form[name]", "Admins of acme"),
        ("form[description]", "Quarterly"),
        ("form[source]", "github"),
        ("form[resources]", "acme/*"),
        ("form[holders]", "people"),
        ("form[privileged_only]", "on"),
        ("form[unused_days]", ""),
        ("form[granted_since]", ""),
        ("form[reviewer]", "resource_owner"),
        ("form[named]", ""),
        ("form[second_reviewer]", "named"),
        ("form[second_named]", "security@example.com"),
        ("form[advance]", "both"),
        ("form[fallback]", "Security@Example.com"),
        ("form[duration_days]", "10"),
        ("form[remind_days_before]", "2"),
        ("form[recurrence]", "half_yearly"),
        ("form[first_launch]", "2027-01-04"),
        ("form[on_no_response]", "keep"),
        ("form[justify_revoke]", "on"),
    ];
    let (status, to) = post_form(&server, &admin, "create_campaign", &page, &fields).await;
    assert_eq!(
        (status, to.contains("__err")),
        (StatusCode::FOUND, false),
        "{to}"
    );
    let campaigns = server.store.campaigns().await.unwrap();
    assert_eq!(campaigns.len(), 1);
    let d = &campaigns[0].definition;
    assert_eq!(d.name, "Admins of acme");
    assert_eq!(d.scope.sources, [domain::model::Source::Github]);
    assert!(d.scope.privileged_only);
    assert_eq!(d.stages.len(), 2);
    assert_eq!(d.stages[0].advance.len(), 2);
    assert_eq!(d.stages[1].named, ["security@example.com"]);
    assert_eq!(d.fallback_reviewer, "security@example.com");
    assert_eq!(d.recurrence, domain::review::Recurrence::HalfYearly);
    assert_eq!(
        campaigns[0].next_launch_at.unwrap().to_rfc3339(),
        "2027-01-04T00:00:00+00:00"
    );
    assert!(d.justify_revoke && !d.justify_keep);
    assert_eq!((d.duration_days, d.remind_days_before), (10, 2));

    // Every problem at once: no name, a fallback that is no e-mail, a stage with no one named.
    let bad = [
        ("form[name]", " "),
        ("form[reviewer]", "named"),
        ("form[fallback]", "security"),
        ("form[duration_days]", "0"),
        ("form[remind_days_before]", "soon"),
        ("form[recurrence]", "weekly"),
        ("form[on_no_response]", "keep"),
    ];
    let (status, to) = post_form(&server, &admin, "create_campaign", &page, &bad).await;
    assert_eq!(status, StatusCode::FOUND);
    let html = admin.get(&to).send().await.unwrap().text().await.unwrap();
    for reason in [
        "is not a recurrence",
        "the campaign needs a name",
        "stage 1 names no reviewers",
        "is not an e-mail",
        "a stage runs 1 to 120 days",
        "is not a whole number of days",
    ] {
        assert!(html.contains(reason), "{reason}: {html}");
    }

    // Launched from the page: a round (empty here: nothing is held), listed with its link.
    let id = campaigns[0].id.to_string();
    let (status, to) = post_form(&server, &admin, "launch_campaign", &page, &[("id", &id)]).await;
    assert_eq!(
        (status, to.contains("__err")),
        (StatusCode::FOUND, false),
        "{to}"
    );
    let listed = admin.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(listed.contains("/campaigns/rounds/1"), "{listed}");
    // An auditor sees the page but not the forms.
    let auditor = signed_in(&server, Role::Auditor).await;
    let seen = auditor
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(seen.contains("Admins of acme") && !seen.contains("Define a campaign"));
}
