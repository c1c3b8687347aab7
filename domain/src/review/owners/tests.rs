//! The owners CSV and CODEOWNERS parsers and the glob, on hand-written files and on garbage.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::fixtures;

fn owner(text: &str) -> Owner {
    Owner::parse(text).unwrap()
}

fn owners(texts: &[&str]) -> Vec<Owner> {
    texts.iter().map(|text| owner(text)).collect()
}

fn rule(pattern: &str, owner_texts: &[&str]) -> OwnerRule {
    OwnerRule {
        pattern: pattern.to_owned(),
        owners: owners(owner_texts),
        note: String::new(),
    }
}

fn problem_lines(problems: &[LineProblem]) -> Vec<usize> {
    problems.iter().map(|problem| problem.line).collect()
}

#[test]
fn owner_parse_reads_every_written_form() {
    let cases = [
        (
            "alice@example.com",
            Owner::Email("alice@example.com".into()),
        ),
        (
            " Alice@Example.COM ",
            Owner::Email("alice@example.com".into()),
        ),
        ("@Alice", Owner::GithubLogin("alice".into())),
        (
            "github:alice-b_acme",
            Owner::GithubLogin("alice-b_acme".into()),
        ),
        ("GitHub:alice", Owner::GithubLogin("alice".into())),
        ("team:acme/platform", Owner::Team("acme/platform".into())),
        (
            "@Acme/Platform-Team",
            Owner::Team("acme/platform-team".into()),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(Owner::parse(text), Ok(expected), "{text}");
    }
}

#[test]
fn owner_text_round_trips() {
    for text in [
        "bob@example.org",
        "@bob",
        "github:bob",
        "team:acme/sre",
        "@acme/sre",
    ] {
        let parsed = owner(text);
        assert_eq!(Owner::parse(&parsed.as_text()).as_ref(), Ok(&parsed));
        assert_eq!(parsed.to_string(), parsed.as_text());
    }
    assert_eq!(owner("@bob").as_text(), "github:bob");
    assert_eq!(owner("@acme/sre").as_text(), "team:acme/sre");
}

#[test]
fn owner_serializes_with_kind_and_name() {
    let json = serde_json::to_value(owners(&["a@b.io", "@c", "@d/e"])).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"kind": "email", "name": "a@b.io"},
            {"kind": "github_login", "name": "c"},
            {"kind": "team", "name": "d/e"},
        ])
    );
}

#[test]
fn invalid_owners_are_refused_with_a_reason() {
    let text = |text: &str| text.to_owned();
    let cases = [
        ("", OwnerError::Empty),
        ("@", OwnerError::Login { text: text("@") }),
        (
            "@org/",
            OwnerError::Team {
                text: text("@org/"),
            },
        ),
        (
            "@/slug",
            OwnerError::Team {
                text: text("@/slug"),
            },
        ),
        (
            "team:acme",
            OwnerError::Team {
                text: text("team:acme"),
            },
        ),
        (
            "github:",
            OwnerError::Login {
                text: text("github:"),
            },
        ),
        ("@-x", OwnerError::Login { text: text("@-x") }),
        (
            "a b@c.io",
            OwnerError::Whitespace {
                text: text("a b@c.io"),
            },
        ),
        (
            "alice",
            OwnerError::Unrecognized {
                text: text("alice"),
            },
        ),
        (
            "a@localhost",
            OwnerError::Email {
                text: text("a@localhost"),
            },
        ),
        (
            "a@b.c;d@e.f",
            OwnerError::Email {
                text: text("a@b.c;d@e.f"),
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(Owner::parse(input), Err(expected), "{input}");
    }
    let message = Owner::parse("@org/").unwrap_err().to_string();
    assert!(
        message.contains("\"@org/\"") && message.contains("org/slug"),
        "{message}"
    );
}

#[test]
fn messages_quote_long_text_cut_short() {
    let long = "x".repeat(10_000);
    let message = Owner::parse(&long).unwrap_err().to_string();
    assert!(message.len() < 400, "{}", message.len());
}

#[test]
fn patterns_match_case_insensitively() {
    let yes = [
        ("acme/infra", "acme/infra"),
        ("ACME/Infra", "acme/INFRA"),
        ("acme/*", "acme/infra"),
        ("acme/*", "acme/infra/sub/dir"),
        ("*", ""),
        ("*", "anything/at/all"),
        (
            "arn:aws:iam::123456789012:*",
            "arn:aws:iam::123456789012:role/Admin",
        ),
        ("prod-*", "PROD-db"),
        ("prod-?", "prod-1"),
        ("*-db-*", "eu-db-primary"),
        ("a*b*c", "abc"),
        ("a**b", "ab"),
        ("ÉTÉ-*", "été-2024"),
    ];
    for (pattern, name) in yes {
        assert!(
            pattern_matches(pattern, name),
            "{pattern} should match {name}"
        );
    }
    let no = [
        ("acme/infra", "acme/infra2"),
        ("acme/*", "acme"),
        ("prod-?", "prod-12"),
        ("prod-?", "prod-"),
        ("a*b*c", "acb"),
        ("*x", "xa"),
        ("ab*ba", "aba"),
        ("", "a"),
    ];
    for (pattern, name) in no {
        assert!(
            !pattern_matches(pattern, name),
            "{pattern} should not match {name}"
        );
    }
}

#[test]
fn pathological_patterns_finish() {
    let name = "a".repeat(200_000);
    assert!(!pattern_matches("*a*a*a*a*a*a*a*a*a*a*b", &name));
    assert!(pattern_matches("*a*a*a*a*a*a*a*a*a*a*", &name));
    let question_marks = "?".repeat(100);
    assert!(!pattern_matches(&format!("*{question_marks}b*"), &name));
    let stars = "*a".repeat(5_000);
    assert!(pattern_matches(&stars, &name));
    assert!(!pattern_matches(&format!("{stars}b"), &name));
}

#[test]
fn the_last_matching_rule_wins() {
    let rules = vec![
        rule("*", &["fallback@example.com"]),
        rule("acme/*", &["team:acme/platform"]),
        rule("acme/payments", &["@carol", "dave@example.com"]),
        rule("acme/pay*", &["@erin"]),
    ];
    assert_eq!(
        owners_of(&rules, "other/thing"),
        owners(&["fallback@example.com"])
    );
    assert_eq!(
        owners_of(&rules, "ACME/infra"),
        owners(&["team:acme/platform"])
    );
    assert_eq!(owners_of(&rules, "acme/payments"), owners(&["@erin"]));
    assert!(owners_of(&rules[1..], "other/thing").is_empty());
    assert!(owners_of(&[], "acme/infra").is_empty());
}

#[test]
fn csv_reads_columns_in_any_order_and_ignores_extras() {
    let file = parse_owners_csv(
        b"\xEF\xBB\xBFNote , Team Size,OWNER,Resource\n\
          \"core, infra\",4,alice@example.com,acme/infra\n\
          ,,@bob,prod-*\n",
    )
    .unwrap();
    assert_eq!(
        file.rules,
        vec![
            OwnerRule {
                note: "core, infra".to_owned(),
                ..rule("acme/infra", &["alice@example.com"])
            },
            rule("prod-*", &["github:bob"]),
        ]
    );
    assert!(file.problems.is_empty(), "{:?}", file.problems);
}

#[test]
fn csv_skips_blank_and_comment_lines() {
    let file = parse_owners_csv(
        b"# exported from the CMDB\n\
          \n\
          resource,owner\n\
          # acme/*,nobody@example.com\n\
          \n\
          ,,\n\
          \"#quoted\",x@example.com\n\
          \x20 # indented, \"unterminated\n\
          acme/*,team:acme/platform\n",
    )
    .unwrap();
    assert_eq!(file.rules, vec![rule("acme/*", &["team:acme/platform"])]);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
}

#[test]
fn csv_splits_several_owners() {
    let file = parse_owners_csv(
        b"resource,owner\n\
          acme/*,alice@example.com;@bob  team:acme/sre,\n\
          prod-*,\"carol@example.com, carol@example.com;;\"\n",
    )
    .unwrap();
    assert_eq!(
        file.rules,
        vec![
            rule("acme/*", &["alice@example.com", "@bob", "team:acme/sre"]),
            rule("prod-*", &["carol@example.com"]),
        ]
    );
}

#[test]
fn csv_reports_bad_rows_with_their_line_and_keeps_the_rest() {
    let file = parse_owners_csv(
        b"resource,owner\n\
          acme/a,@\n\
          acme/b,\n\
          ,alice@example.com\n\
          acme/c,alice@example.com @org/\n\
          acme/d,dave@example.com\n\
          acme/e,\"two\nlines\"\n",
    )
    .unwrap();
    assert_eq!(file.rules, vec![rule("acme/d", &["dave@example.com"])]);
    assert_eq!(problem_lines(&file.problems), [2, 3, 4, 5, 7]);
    assert!(file.problems[0].message.contains("\"@\""));
    assert!(file.problems[1].message.contains("no owner"));
    assert!(file.problems[2].message.contains("no resource"));
    assert!(file.problems[3].message.contains("\"@org/\""));
}

#[test]
fn csv_header_names_the_missing_columns() {
    let missing = |text: &[u8]| match parse_owners_csv(text) {
        Err(OwnersError::MissingColumns { missing, .. }) => missing,
        other => panic!("{other:?}"),
    };
    assert_eq!(missing(b"resource,owner_email\nacme/*,a@b.io\n"), "`owner`");
    assert_eq!(missing(b"name,owner\n"), "`resource`");
    assert_eq!(
        missing(b"acme/*,alice@example.com\n"),
        "`resource` and `owner`"
    );
    let message = parse_owners_csv(b"pattern,owner\n")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("no `resource` column") && message.contains("pattern, owner"),
        "{message}"
    );
    assert!(matches!(
        parse_owners_csv(b"resource,owner,owners\n"),
        Err(OwnersError::DuplicateColumn { column: "owner" })
    ));
}

#[test]
fn csv_refuses_empty_headerless_and_non_utf8_files() {
    assert!(matches!(parse_owners_csv(b""), Err(OwnersError::NoHeader)));
    assert!(matches!(
        parse_owners_csv(b" \n\r\n"),
        Err(OwnersError::NoHeader)
    ));
    assert!(matches!(
        parse_owners_csv(b"# only a comment\n"),
        Err(OwnersError::NoHeader)
    ));
    assert!(matches!(
        parse_owners_csv(b"resource,owner\nacme/*,a@b.io\n\xFF\n"),
        Err(OwnersError::NotUtf8 { line: 3 })
    ));
    let header_only = parse_owners_csv(b"resource,owner\n").unwrap();
    assert!(header_only.rules.is_empty() && header_only.problems.is_empty());
}

const CODEOWNERS: &str = "\
# Owners of acme/infra
*       @acme/platform alice@Example.com   # everything, at first
/docs/  @Writer
*.tf    @acme/sre @bob

# Later lines win: this catch-all replaces the first one.
/**     @acme/sre
docs/issue\\#12/  @carol  # an escaped hash is part of the pattern
";

#[test]
fn codeowners_repository_owners_come_from_the_last_catch_all() {
    let parsed = parse_codeowners("acme/infra", CODEOWNERS.as_bytes()).unwrap();
    assert_eq!(parsed.repository_owners, owners(&["team:acme/sre"]));
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let patterns: Vec<&str> = parsed
        .path_rules
        .iter()
        .map(|r| r.pattern.as_str())
        .collect();
    assert_eq!(patterns, ["*", "/docs/", "*.tf", "/**", "docs/issue\\#12/"]);
}

#[test]
fn codeowners_keep_every_path_owner_normalized() {
    let parsed = parse_codeowners("acme/infra", CODEOWNERS.as_bytes()).unwrap();
    assert_eq!(
        parsed.path_rules[0].owners,
        owners(&["team:acme/platform", "alice@example.com"])
    );
    assert_eq!(parsed.path_rules[0].note, "everything, at first");
    assert_eq!(parsed.path_rules[1].owners, owners(&["github:writer"]));
    assert_eq!(
        parsed.path_rules[2].owners,
        owners(&["team:acme/sre", "github:bob"])
    );
    assert_eq!(parsed.path_rules[4].owners, owners(&["@carol"]));
    assert_eq!(
        parsed.path_rules[4].note,
        "an escaped hash is part of the pattern"
    );
}

#[test]
fn codeowners_blank_owners_mean_no_owners() {
    let parsed = parse_codeowners("acme/infra", b"* @alice\ndocs/ @bob\n*\n").unwrap();
    assert!(parsed.repository_owners.is_empty());
    assert_eq!(parsed.path_rules.len(), 3);
    assert!(parsed.path_rules[2].owners.is_empty());
    assert!(parsed.problems.is_empty());
    let none = parse_codeowners("acme/infra", b"docs/ @bob\r\n").unwrap();
    assert!(none.repository_owners.is_empty());
}

#[test]
fn codeowners_skip_invalid_lines_with_their_number() {
    let text = "\
* @alice
src/ @
/ @acme/
* @ok bad owner@example.com
* github:carol
!secret/ @dave
*.[ch] @erin
\\#notes @frank
trailing\\
docs/ @gina
";
    let parsed = parse_codeowners("acme/infra", text.as_bytes()).unwrap();
    assert_eq!(problem_lines(&parsed.problems), [2, 3, 4, 5, 6, 7, 8, 9]);
    // The later catch-alls were all invalid, so GitHub (and Attest) keep the first one.
    assert_eq!(parsed.repository_owners, owners(&["@alice"]));
    assert_eq!(
        parsed.path_rules,
        vec![rule("*", &["@alice"]), rule("docs/", &["@gina"])]
    );
    let messages: Vec<&str> = parsed.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(messages[0].contains("\"@\""), "{}", messages[0]);
    assert!(messages[1].contains("\"@acme/\""), "{}", messages[1]);
    assert!(messages[2].contains("\"bad\""), "{}", messages[2]);
    assert!(messages[3].contains("github:carol"), "{}", messages[3]);
    assert!(messages[4].contains('!'), "{}", messages[4]);
    assert!(messages[5].contains("[ ]"), "{}", messages[5]);
    assert!(messages[6].contains('#'), "{}", messages[6]);
}

#[test]
fn codeowners_refuse_bad_repositories_big_and_non_utf8_files() {
    for repo in [
        "acme",
        "acme/",
        "/infra",
        "acme/in fra",
        "acme/a/b",
        "-acme/x",
        "acme/..",
    ] {
        let err = parse_codeowners(repo, b"* @a\n").unwrap_err();
        assert!(
            matches!(err, OwnersError::InvalidRepository { .. }),
            "{repo}: {err:?}"
        );
    }
    assert!(parse_codeowners("Acme-Corp/infra.tools_2", b"").is_ok());
    let big = vec![b'#'; CODEOWNERS_MAX_BYTES];
    assert!(matches!(
        parse_codeowners("acme/infra", &big),
        Err(OwnersError::TooLarge { .. })
    ));
    assert!(matches!(
        parse_codeowners("acme/infra", b"* @a\n\n\xC3(\n"),
        Err(OwnersError::NotUtf8 { line: 3 })
    ));
}

#[test]
fn parsers_never_panic_on_noise() {
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    // Random bytes mostly stop at the UTF-8 check, so half the inputs are built from the
    // characters the parsers care about to get past it.
    const SOUP: &[u8] = b"*?/@#\\;, \t\n\r\"[]!:team:github:acme.io-_aZ\xC3\xA9";
    for round in 0..2_000 {
        let length = round % 300;
        let mut bytes = fixtures::noise(&mut seed, length);
        if round % 2 == 0 {
            for byte in &mut bytes {
                *byte = SOUP[usize::from(*byte) % SOUP.len()];
            }
        }
        let _ = parse_owners_csv(&bytes);
        let mut csv = b"resource,owner,note\n".to_vec();
        csv.extend_from_slice(&bytes);
        let _ = parse_owners_csv(&csv);
        let _ = parse_codeowners("acme/infra", &bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = Owner::parse(&text);
        let (pattern, name) =
            text.split_at(text.char_indices().nth(length / 3).map_or(0, |(at, _)| at));
        let _ = pattern_matches(pattern, name);
    }
}
