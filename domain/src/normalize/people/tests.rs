use super::*;
use chrono::{TimeZone, Utc};

fn people(text: &str) -> Vec<Person> {
    parse(text.as_bytes()).unwrap()
}

fn error(text: &str) -> String {
    match parse(text.as_bytes()) {
        Err(NormalizeError::Invalid(message)) => message,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn account(source: Source, id: &str) -> PersonAccount {
    PersonAccount {
        source,
        account_id: id.to_owned(),
    }
}

#[test]
fn csv_with_quotes_accounts_and_odd_headers() {
    let csv = "\u{feff}E-mail,Full Name,Manager Email,Dept,GitHub,AWS,Title\r\n\
               Alice@Example.com,\"Smith, Alice\",bob@example.com,Platform,alice-gh,\"alice;arn:aws:iam::111122223333:user/alice\",SRE\r\n\
               bob@example.com,Bob Jones,,Platform,,,\"Head of \"\"Infra\"\"\"\r\n";
    let found = people(csv);
    assert_eq!(found.len(), 2);
    assert_eq!(
        found[0],
        Person {
            email: "alice@example.com".into(),
            name: "Smith, Alice".into(),
            manager_email: Some("bob@example.com".into()),
            department: Some("Platform".into()),
            accounts: vec![
                account(Source::Github, "alice-gh"),
                account(Source::Aws, "alice"),
                account(Source::Aws, "arn:aws:iam::111122223333:user/alice"),
            ],
        }
    );
    assert_eq!(found[1].manager_email, None);
    assert!(found[1].accounts.is_empty());
}

#[test]
fn json_arrays_and_nested_accounts() {
    let json = r#"{"people": [
        {"email": "carol@example.com", "name": "Carol", "managerEmail": "dan@example.com",
         "department": "Security", "accounts": {"gcp": "user:carol@example.com", "okta": ["carol"]}},
        {"Email": "dan@example.com", "github": "dan-gh gh-dan"}
    ]}"#;
    let found = people(json);
    assert_eq!(found[0].manager_email.as_deref(), Some("dan@example.com"));
    assert_eq!(
        found[0].accounts,
        vec![
            account(Source::Gcp, "user:carol@example.com"),
            account(Source::Okta, "carol"),
        ]
    );
    assert_eq!(
        found[1].name, "dan@example.com",
        "a person without a name is shown by e-mail"
    );
    assert_eq!(
        found[1].accounts,
        vec![
            account(Source::Github, "dan-gh"),
            account(Source::Github, "gh-dan")
        ]
    );
}

#[test]
fn scim_list_responses_resolve_managers_by_id() {
    let json = r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
      "totalResults": 2, "Resources": [
        {"id": "u1", "userName": "erin@example.com", "displayName": "Erin",
         "emails": [{"value": "erin.work@example.com", "primary": true}, {"value": "erin@home.example"}],
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
           {"department": "Finance", "manager": {"value": "u2", "displayName": "Frank"}}},
        {"id": "u2", "userName": "frank@example.com", "name": {"givenName": "Frank", "familyName": "Ng"}}
      ]}"#;
    let found = people(json);
    assert_eq!(found[0].email, "erin.work@example.com");
    assert_eq!(found[0].manager_email.as_deref(), Some("frank@example.com"));
    assert_eq!(found[0].department.as_deref(), Some("Finance"));
    assert_eq!(
        found[1].email, "frank@example.com",
        "userName stands in for a missing e-mail"
    );
    assert_eq!(found[1].name, "Frank Ng");
}

#[test]
fn a_bad_row_fails_the_whole_file_and_says_which() {
    assert!(error("name,dept\nAlice,x\n").contains("no e-mail column"));
    assert!(error("email,name\nalice@example.com,A\n,B\n").contains("line 3 has no e-mail"));
    assert!(error("email\nnot-an-address\n").contains("is not an e-mail address"));
    let twice = error("email\nalice@example.com\nALICE@example.com \n");
    assert!(
        twice.contains("listed twice") && twice.contains("line 2") && twice.contains("line 3"),
        "{twice}"
    );
    assert!(error("email,manager\na@example.com,A@example.com\n").contains("their own manager"));
    let shared = error("email,github\na@example.com,octo\nb@example.com,octo\n");
    assert!(
        shared.contains("GitHub account \"octo\" is also a@example.com's"),
        "{shared}"
    );
    assert!(error("email,name\na@example.com,A,extra\n").contains("CSV"));
    assert!(error("email\n").contains("lists no one"));
    assert!(error("   ").contains("empty"));
    assert!(error("[1, 2]").contains("entry 1 is not a JSON object"));
    assert!(error(r#"{"users": []}"#).contains("SCIM"));
    assert!(matches!(
        parse(b"[{\"email\": "),
        Err(NormalizeError::Json(_))
    ));
}

#[test]
fn garbage_never_panics() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for length in [1usize, 7, 64, 4096] {
        let bytes = crate::fixtures::noise(&mut seed, length);
        let _ = parse(&bytes);
        let _ = parse(&[b"email,github\n".as_slice(), &bytes].concat());
    }
}

#[test]
fn the_directory_is_dated_by_its_delivery() {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let normalized = normalize(&RawDelivery {
        source: Source::People,
        kind: Some("directory"),
        delivery_key: "sha256:x",
        received_at: at,
        body: b"email\nalice@example.com\n",
    })
    .unwrap();
    let directory = normalized.directory.unwrap();
    assert_eq!(directory.at, at);
    assert_eq!(directory.people[0].email, "alice@example.com");
    assert!(normalized.events.is_empty());
}
