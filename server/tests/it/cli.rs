//! The `attest` binary: help for every subcommand, tokens, CloudTrail import with its summary
//! and exit codes, reprocess, and the demo loader.

use crate::support::fixtures;
use std::process::{Command, Output};

fn attest(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attest"))
        .env("ATTEST_DATABASE_URL", db)
        .env_remove("ATTEST_GITHUB_WEBHOOK_SECRET")
        .env_remove("ATTEST_SECRETS_KEY_FILE")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn every_subcommand_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["import", "--help"],
        vec!["import", "cloudtrail", "--help"],
        vec!["reprocess", "--help"],
        vec!["token", "create", "--help"],
        vec!["hook-secret", "key", "--help"],
        vec!["hook-secret", "create", "--help"],
        vec!["people", "--help"],
        vec!["people", "link", "--help"],
        vec!["people", "merge", "--help"],
        vec!["verify", "--help"],
        vec!["ledger", "key", "--help"],
        vec!["ledger", "checkpoint", "--help"],
        vec!["migrate", "--help"],
    ] {
        let output = attest(&db, &args);
        assert!(output.status.success(), "{args:?}");
        assert!(stdout(&output).contains("Usage"), "{args:?}");
    }
    // Every import kind is a subcommand with its own help, named as `import --help` lists it.
    let listed = stdout(&attest(&db, &["import", "--help"]));
    for kind in domain::import::ImportKind::ALL {
        assert!(
            listed.contains(kind.name()),
            "{} missing from:\n{listed}",
            kind.name()
        );
        let output = attest(&db, &["import", kind.name(), "--help"]);
        assert!(output.status.success(), "{}", kind.name());
        assert!(stdout(&output).contains("PATHS"), "{}", kind.name());
    }
}

#[test]
fn tokens_are_printed_once_and_names_are_unique() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    let created = attest(
        &db,
        &["token", "create", "--name", "ci", "--role", "auditor"],
    );
    assert!(created.status.success());
    let token = stdout(&created);
    assert!(token.trim().starts_with("attest_"), "{token}");
    let again = attest(
        &db,
        &["token", "create", "--name", "ci", "--role", "viewer"],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad_role = attest(&db, &["token", "create", "--name", "x", "--role", "root"]);
    assert!(!bad_role.status.success());
    let list = stdout(&attest(&db, &["token", "list"]));
    assert!(
        list.contains("ci\tauditor") && !list.contains(token.trim()),
        "{list}"
    );
}

#[test]
fn webhook_secrets_need_the_key_are_printed_once_and_revoked_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    let key = dir.path().join("secrets.key");
    let key = key.to_str().unwrap();
    let create = [
        "hook-secret",
        "create",
        "--endpoint",
        "gitlab",
        "--name",
        "gl",
    ];

    // Without a key nothing can be made, and the message says how to get one.
    let keyless = attest(&db, &create);
    assert!(!keyless.status.success());
    let said = String::from_utf8_lossy(&keyless.stderr);
    assert!(said.contains("attest hook-secret key FILE"), "{said}");

    assert!(attest(&db, &["hook-secret", "key", key]).status.success());
    let again = attest(&db, &["hook-secret", "key", key]);
    assert!(
        !again.status.success(),
        "an existing key is never overwritten"
    );

    let with_key = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_attest"))
            .env("ATTEST_DATABASE_URL", &db)
            .env("ATTEST_SECRETS_KEY_FILE", key)
            .args(args)
            .output()
            .unwrap()
    };
    let made = with_key(&create);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let secret = stdout(&made).trim().to_owned();
    assert!(secret.starts_with("attest_whs_"), "{secret}");
    assert!(String::from_utf8_lossy(&made.stderr).contains("Secret token"));
    let taken = with_key(&create);
    assert!(!taken.status.success());
    let bad = with_key(&[
        "hook-secret",
        "create",
        "--endpoint",
        "bitbucket",
        "--name",
        "b",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a webhook endpoint"));

    let list = stdout(&attest(&db, &["hook-secret", "list"]));
    assert!(
        list.starts_with("gl\t/hooks/gitlab\t") && list.contains("last used never"),
        "{list}"
    );
    assert!(!list.contains(&secret), "{list}");

    assert!(attest(&db, &["hook-secret", "revoke", "--name", "gl"])
        .status
        .success());
    let twice = attest(&db, &["hook-secret", "revoke", "--name", "gl"]);
    assert_eq!(twice.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("revoked already"));
    assert!(stdout(&attest(&db, &["hook-secret", "list"])).contains("\trevoked "));
    // On the record, and sound.
    let verified = attest(&db, &["verify"]);
    assert!(verified.status.success(), "{}", stdout(&verified));
}

#[test]
fn cloudtrail_import_summarises_and_fails_on_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    let logs = fixtures().join("aws-cloudtrail/invictus-aws_dataset");
    let logs = logs.to_str().unwrap();
    let first = attest(&db, &["import", "cloudtrail", logs]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let summary = stdout(&first);
    assert!(summary.contains("2900 records"), "{summary}");
    let second = stdout(&attest(&db, &["import", "cloudtrail", logs]));
    assert!(second.contains("0 new, 2900 duplicates"), "{second}");

    let broken = dir.path().join("broken.json.gz");
    std::fs::write(&broken, b"\x1f\x8b not really gzip").unwrap();
    let output = attest(
        &db,
        &["import", "cloudtrail", logs, broken.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("broken.json.gz"));
    let missing = attest(&db, &["import", "cloudtrail", "/no/such/path"]);
    assert!(!missing.status.success());

    let reprocessed = stdout(&attest(&db, &["reprocess"]));
    assert!(
        reprocessed.contains("reprocessed 2900 deliveries: 2900 events,"),
        "{reprocessed}"
    );
}

#[test]
fn demo_loads_through_the_ingest_code_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    let first = attest(&db, &["demo", "--events", "300", "--no-serve"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let text = stdout(&first);
    assert!(text.contains("300 deliveries, 300 new"), "{text}");
    assert!(text.contains("0 failed to normalize"), "{text}");
    assert!(text.contains("people directory: "), "{text}");
    let again = stdout(&attest(&db, &["demo", "--events", "300", "--no-serve"]));
    assert!(again.contains("not loaded again"), "{again}");
    let forced = stdout(&attest(
        &db,
        &[
            "demo",
            "--events",
            "50",
            "--no-serve",
            "--force",
            "--seed",
            "8",
        ],
    ));
    assert!(forced.contains("50 deliveries"), "{forced}");
    let refused = attest(&db, &["demo", "--events", "1", "--listen", "0.0.0.0:3999"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("loopback"));
}

#[test]
fn people_are_linked_by_hand_on_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    let file = dir.path().join("people.csv");
    std::fs::write(
        &file,
        "email,name,github\nalice@example.com,Alice,alice-gh\n",
    )
    .unwrap();
    let imported = attest(&db, &["import", "people", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stdout(&imported));
    let link = [
        "people",
        "link",
        "alice@example.com",
        "github",
        "alice-old",
        "--reason",
        "her login before the rename",
    ];
    let linked = attest(&db, &link);
    assert!(linked.status.success());
    assert!(
        stdout(&linked).contains("recorded #1: linked github:alice-old to alice@example.com"),
        "{}",
        stdout(&linked)
    );
    let again = attest(&db, &link);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing changed: github account"));
    let shown = stdout(&attest(&db, &["people", "show", "alice@example.com"]));
    assert!(shown.contains("account github:alice-gh\timport"), "{shown}");
    assert!(
        shown.contains("account github:alice-old\tlinked by hand, #1"),
        "{shown}"
    );
    assert!(shown.contains("her login before the rename"), "{shown}");
    let unknown = attest(
        &db,
        &[
            "people",
            "link",
            "x@example.com",
            "nosuch",
            "a",
            "--reason",
            "r",
        ],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("is not a source"));
}

/// The ledger from the command line: a key, an import recorded, a checkpoint exported, a
/// sound verify; then the database cut short and edited by hand, and verify says where.
#[test]
fn verify_finds_what_was_changed_behind_attests_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let db = format!("sqlite://{}", path.display());
    let key_file = dir.path().join("ledger.key");
    let key = attest(&db, &["ledger", "key", "--out", key_file.to_str().unwrap()]);
    assert!(key.status.success());
    let public = stdout(&key).trim().to_owned();
    assert_eq!(public.len(), 64, "{public}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A key file is never overwritten.
    assert!(
        !attest(&db, &["ledger", "key", "--out", key_file.to_str().unwrap()])
            .status
            .success()
    );

    let file = fixtures().join(
        "aws-cloudtrail/stratus-red-team-detonation-logs/aws.execution.ssm-start-session.json",
    );
    assert!(
        attest(&db, &["import", "cloudtrail", file.to_str().unwrap()])
            .status
            .success()
    );
    let exported = dir.path().join("checkpoint.txt");
    let signed = attest(
        &db,
        &[
            "ledger",
            "checkpoint",
            "--key-file",
            key_file.to_str().unwrap(),
            "--export",
            exported.to_str().unwrap(),
        ],
    );
    assert!(signed.status.success());
    assert!(stdout(&signed).starts_with("attest-ledger-checkpoint-v1\n29\n"));

    let verify = || {
        attest(
            &db,
            &[
                "verify",
                "--public-key",
                &public,
                "--checkpoint",
                exported.to_str().unwrap(),
            ],
        )
    };
    let sound = verify();
    assert!(sound.status.success(), "{}", stdout(&sound));
    let text = stdout(&sound);
    assert!(
        text.contains("ledger: 29 entries; 29 deliveries checked"),
        "{text}"
    );
    assert!(
        text.contains("checkpoints: 2 checked, covering up to entry 29"),
        "{text}"
    );
    assert!(text.contains("sound:"), "{text}");

    // Someone with the database file edits a delivery and removes the last entry.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = domain::store::Store::connect(&db).await.unwrap();
        let domain::store::Store::Sqlite(pool) = &store else {
            panic!("an SQLite store")
        };
        for sql in [
            "update deliveries set body = x'7b7d' where id = 7",
            "delete from ledger where seq = 29",
            "delete from ledger_checkpoints",
        ] {
            sqlx::query(sql).execute(pool).await.unwrap();
        }
        store.close().await;
    });
    let caught = verify();
    assert_eq!(caught.status.code(), Some(1));
    let text = stdout(&caught);
    assert!(
        text.contains("problem: deliveries/7 was changed after entry 7 recorded it"),
        "{text}"
    );
    assert!(
        text.contains("problem: deliveries/29 is in no ledger entry"),
        "{text}"
    );
    assert!(
        text.contains(
            "problem: the ledger was cut short: a checkpoint covers 29 entries, 28 are left"
        ),
        "{text}"
    );
    // An exported checkpoint cannot be checked without the key.
    let keyless = attest(&db, &["verify", "--checkpoint", exported.to_str().unwrap()]);
    assert!(!keyless.status.success());
}

/// Sign-in settings that cannot work stop `attest serve` before it listens, saying what to set.
#[test]
fn serve_refuses_sign_in_settings_that_cannot_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    let issuer = ["--oidc-issuer", "http://127.0.0.1:9"];
    let client = [
        "--oidc-client-id",
        "attest",
        "--oidc-client-secret",
        "s3cret",
    ];
    let roles = ["--roles", "admin:email:alice@example.com"];
    for (args, says) in [
        (
            [&["serve", "--listen", "127.0.0.1:0"][..], &issuer, &roles].concat(),
            "ATTEST_OIDC_CLIENT_SECRET are needed too",
        ),
        (
            [&["serve", "--listen", "127.0.0.1:0"][..], &issuer, &client].concat(),
            "ATTEST_ROLES is empty: nobody could sign in (e.g.",
        ),
        (
            [
                &["serve", "--listen", "0.0.0.0:0"][..],
                &issuer,
                &client,
                &roles,
            ]
            .concat(),
            "ATTEST_PUBLIC_URL is needed with ATTEST_OIDC_ISSUER when listening on 0.0.0.0:0",
        ),
        (
            [&["serve", "--public-url", "https://attest.example.com/app"][..]].concat(),
            "without a path",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_attest"))
            .env("ATTEST_DATABASE_URL", &db)
            .env_remove("ATTEST_PUBLIC_URL")
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
