//! Tests of the CloudTrail file reader: every sample of `shared/fixtures/aws-cloudtrail` read
//! and normalized, the packagings (gzip, arrays, NDJSON, single records), damaged and hostile
//! input, early stops, and a file far bigger than any fixture.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::{discover, read_records, FileSummary, RecordFileError, RecordFormat};
use crate::fixtures;
use crate::normalize::cloudtrail::normalize_record;
use crate::normalize::NormalizeError;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

const INVICTUS_29: &str =
    "aws-cloudtrail/invictus-aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json";
const BENCHMARK: &str = "aws-cloudtrail/benchmark/invictus-aws_dataset-merged.json";
const OTRF: &str =
    "aws-cloudtrail/otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.json";

fn collect(path: &Path) -> (Result<FileSummary, RecordFileError>, Vec<Vec<u8>>) {
    let mut records = Vec::new();
    let result = read_records(path, &RecordFormat::CLOUDTRAIL, &mut |record| {
        records.push(record);
        ControlFlow::Continue(())
    });
    (result, records)
}

fn read_all(path: &Path) -> Vec<Vec<u8>> {
    let (result, records) = collect(path);
    let summary = result.unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(summary.records, records.len() as u64);
    records
}

fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The `aws-cloudtrail/` rows of MANIFEST.tsv (path, items), without the `.tsv` index.
fn manifest() -> Vec<(String, u64)> {
    let text = String::from_utf8(fixtures::read("MANIFEST.tsv")).unwrap();
    text.lines()
        .filter_map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            match columns.as_slice() {
                [path, _, format, items, ..]
                    if path.starts_with("aws-cloudtrail/") && *format != "tsv" =>
                {
                    Some((path.to_string(), items.parse().unwrap()))
                }
                _ => None,
            }
        })
        .collect()
}

#[test]
fn every_fixture_is_read_and_its_records_normalize() {
    let rows = manifest();
    let mut found: Vec<String> = discover(&[fixtures::dir().join("aws-cloudtrail")])
        .unwrap()
        .iter()
        .map(|path| {
            path.strip_prefix(fixtures::dir())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    found.sort();
    let mut listed: Vec<String> = rows.iter().map(|(path, _)| path.clone()).collect();
    listed.sort();
    assert_eq!(found, listed, "discover finds exactly the manifest's files");

    let (mut total, mut expected_total, mut normalized) = (0u64, 0u64, 0u64);
    let mut failures = Vec::new();
    for (path, items) in &rows {
        let (result, records) = collect(&fixtures::dir().join(path));
        let summary = result.unwrap_or_else(|err| panic!("{err}"));
        if path.contains("/digest/") {
            let skipped = Some("CloudTrail digest file, not a log file".to_owned());
            assert_eq!(
                summary,
                FileSummary {
                    records: 0,
                    skipped
                }
            );
            continue;
        }
        assert_eq!(
            (summary.records, records.len() as u64),
            (*items, *items),
            "{path}"
        );
        expected_total += items;
        total += summary.records;
        for record in records {
            match normalize_record(&record) {
                Ok(_) => normalized += 1,
                Err(err) => failures.push((path.clone(), err)),
            }
        }
    }
    assert_eq!(total, expected_total);
    assert_eq!(total, 6692, "the benchmark alone has 2900 records");

    // Every real record normalizes. The failures are hand-made samples without the fields a
    // real record always has: Panther's rule tests (some with lowercased keys, one with the time
    // "redacted") and AWS's eventVersion 1.0 documentation example.
    let hand_made = [
        "aws-cloudtrail/panther-analysis-tests/aws-cloudtrail.jsonl",
        "aws-cloudtrail/elastic-integrations/",
    ];
    for (path, err) in &failures {
        assert!(
            hand_made.iter().any(|prefix| path.starts_with(prefix)),
            "{path}: {err}"
        );
    }
    let count = |wanted: fn(&NormalizeError) -> bool| {
        failures.iter().filter(|(_, err)| wanted(err)).count()
    };
    assert_eq!(count(|err| *err == NormalizeError::Missing("eventID")), 64);
    assert_eq!(count(|err| *err == NormalizeError::Missing("eventTime")), 2);
    assert_eq!(
        count(|err| matches!(err, NormalizeError::Invalid(m) if m.contains("redacted"))),
        1
    );
    assert_eq!(failures.len(), 67, "{failures:?}");
    assert_eq!(normalized, total - 67);
}

#[test]
fn discover_walks_s3_delivery_layout() {
    let dir = tempfile::tempdir().unwrap();
    let day = |d: &str| {
        dir.path().join(format!(
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/{d}"
        ))
    };
    let digest = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/01");
    for folder in [day("01"), day("02"), digest.clone()] {
        std::fs::create_dir_all(folder).unwrap();
    }
    let files = [
        day("02").join("111122223333_CloudTrail_us-east-1_20240102T0000Z_b.json.gz"),
        day("01").join("111122223333_CloudTrail_us-east-1_20240101T0005Z_a.json.gz"),
        day("01").join("111122223333_CloudTrail_us-east-1_20240101T0000Z_a.json.gz"),
        day("01").join("export.JSONL"),
        day("01").join("export.ndjson"),
        day("01").join("notes.txt"),
        day("01").join(".hidden.json"),
        digest.join("111122223333_CloudTrail-Digest_us-east-1_x.json.gz"),
    ];
    for file in &files {
        std::fs::write(file, b"[]").unwrap();
    }
    let explicit = day("01").join("notes.txt");
    let found = discover(&[explicit.clone(), dir.path().to_owned(), files[0].clone()]).unwrap();
    let walked = [&files[2], &files[1], &files[3], &files[4], &files[0]];
    let expected: Vec<PathBuf> = std::iter::once(&explicit).chain(walked).cloned().collect();
    assert_eq!(found, expected);

    let missing = dir.path().join("no-such-dir");
    let err = discover(std::slice::from_ref(&missing)).unwrap_err();
    assert!(
        matches!(&err, RecordFileError::NotFound(path) if *path == missing),
        "{err:?}"
    );
    assert!(err.to_string().contains("no-such-dir"), "{err}");
    let (result, _) = collect(&missing);
    assert!(matches!(result, Err(RecordFileError::NotFound(_))));
}

#[test]
fn gzip_round_trip() {
    let plain = read_all(&fixtures::dir().join(BENCHMARK));
    assert_eq!(plain.len(), 2900);
    let dir = tempfile::tempdir().unwrap();
    let compressed = gzip(&fixtures::read(BENCHMARK));
    // By name and, for a file someone renamed, by the magic bytes alone.
    for name in ["merged.json.gz", "merged.json"] {
        let records = read_all(&temp_file(&dir, name, &compressed));
        assert_eq!(records.len(), 2900, "{name}");
        assert!(
            records == plain,
            "{name}: the records come back byte for byte"
        );
    }
    // `zcat`-style concatenation: two gzip members, two documents.
    let small = fixtures::read(INVICTUS_29);
    let twice = [gzip(&small), gzip(&small)].concat();
    assert_eq!(
        read_all(&temp_file(&dir, "twice.json.gz", &twice)).len(),
        58
    );
}

#[test]
fn digest_file_is_skipped() {
    let path = fixtures::dir()
        .join("aws-cloudtrail/digest/elastic-integrations-test-cloudtrail-digest.json");
    let (result, records) = collect(&path);
    let skipped = Some("CloudTrail digest file, not a log file".to_owned());
    assert_eq!(
        result.unwrap(),
        FileSummary {
            records: 0,
            skipped
        }
    );
    assert!(records.is_empty());
}

#[test]
fn truncated_file_keeps_the_records_before_the_cut() {
    let bytes = fixtures::read(INVICTUS_29);
    let plain = read_all(&fixtures::dir().join(INVICTUS_29));
    assert_eq!(plain.len(), 29);
    let eleventh = &plain[10];
    let start = bytes
        .windows(eleventh.len())
        .position(|window| window == eleventh.as_slice())
        .unwrap();
    let cut = start + eleventh.len() / 2;
    let dir = tempfile::tempdir().unwrap();

    let (result, records) = collect(&temp_file(&dir, "cut.json", &bytes[..cut]));
    assert_eq!(records, plain[..10]);
    let message = match result {
        Err(RecordFileError::Json { message, .. }) => message,
        other => panic!("{other:?}"),
    };
    assert!(
        message.contains("truncated") && message.contains("after 10 records"),
        "{message}"
    );
    assert!(message.contains(&format!("byte {cut}")), "{message}");

    let compressed = gzip(&bytes);
    let (result, records) = collect(&temp_file(
        &dir,
        "cut.json.gz",
        &compressed[..compressed.len() / 2],
    ));
    assert!(result.is_err(), "{result:?}");
    assert!(records.len() < 29 && records == plain[..records.len()]);
}

#[test]
fn ndjson_and_single_records() {
    let otrf = read_all(&fixtures::dir().join(OTRF));
    assert_eq!(otrf.len(), 103);
    let text = fixtures::read(OTRF);
    let first_line = text.split(|&b| b == b'\n').next().unwrap();
    assert_eq!(otrf[0], first_line.trim_ascii_end());

    let single = "aws-cloudtrail/elastic-integrations/AddUserToGroup.event-original.json";
    assert_eq!(
        read_all(&fixtures::dir().join(single)),
        vec![fixtures::read(single).trim_ascii().to_vec()]
    );

    let dir = tempfile::tempdir().unwrap();
    let broken =
        b"{\"eventID\":\"a\"}\r\n{\"eventID\":\"b\"}\n{\"eventID\": oops}\n{\"eventID\":\"d\"}\n";
    let (result, records) = collect(&temp_file(&dir, "broken.jsonl", broken));
    assert_eq!(
        records,
        vec![
            b"{\"eventID\":\"a\"}".to_vec(),
            b"{\"eventID\":\"b\"}".to_vec()
        ]
    );
    let err = result.unwrap_err();
    assert!(err.to_string().contains("line 3"), "{err}");
    assert!(err.to_string().contains("broken.jsonl"), "{err}");

    let mixed = b"\xEF\xBB\xBF[{\"eventID\":\"1\"}] {\"Records\":[{\"eventID\":\"2\"}],\"x\":1}{\"eventID\":\"3\"}";
    let records = read_all(&temp_file(&dir, "mixed.json", mixed));
    assert_eq!(
        records,
        vec![
            b"{\"eventID\":\"1\"}".to_vec(),
            b"{\"eventID\":\"2\"}".to_vec(),
            b"{\"eventID\":\"3\"}".to_vec()
        ]
    );
}

#[test]
fn garbage_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs: Vec<Vec<u8>> = [
        &b""[..],
        b"   \n",
        b"42",
        b"\"Records\"",
        b"null",
        b"{",
        b"[",
        b"[1,",
        b"}{",
        b"{\"Records\":",
        b"{\"Records\":null}",
        b"{\"Records\":{\"a\":1}}",
        b"{\"foo\":1}",
        b"{\"eventID\":\"1\"} trailing",
        b"\x1f\x8b\x08\x00garbage",
        b"\xff\xfe\x00{",
    ]
    .iter()
    .map(|input| input.to_vec())
    .collect();
    inputs.push([b"[".repeat(100_000), b"]".repeat(100_000)].concat());
    inputs.push([&b"{\"Records\":[{\"a\":"[..], &b"[".repeat(100_000)].concat());
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for length in [1usize, 2, 10, 1000, 70_000] {
        inputs.push(fixtures::noise(&mut seed, length));
        inputs.push([&b"{\"Records\":["[..], &inputs[inputs.len() - 1]].concat());
    }
    for (i, input) in inputs.iter().enumerate() {
        let path = temp_file(&dir, &format!("garbage-{i}.json"), input);
        let (result, records) = collect(&path);
        for record in &records {
            let _ = normalize_record(record);
        }
        if let Err(err) = &result {
            assert!(
                err.to_string().contains(&format!("garbage-{i}.json")),
                "{err}"
            );
        }
    }
    let verdict = |input: &[u8]| collect(&temp_file(&dir, "one.json", input)).0;
    assert_eq!(
        verdict(b"").unwrap().skipped.as_deref(),
        Some("the file is empty")
    );
    assert!(matches!(
        verdict(b"42"),
        Err(RecordFileError::WrongFormat { .. })
    ));
    assert!(matches!(
        verdict(b"{\"foo\":1}"),
        Err(RecordFileError::WrongFormat { .. })
    ));
    assert!(matches!(
        verdict(b"{\"Records\":null}"),
        Err(RecordFileError::Json { .. })
    ));
    assert_eq!(
        verdict(b"{\"Records\":[]}").unwrap(),
        FileSummary::default()
    );
}

#[test]
fn break_stops_early() {
    let dir = tempfile::tempdir().unwrap();
    let ndjson = b"{\"eventID\":\"1\"}\n{\"eventID\":\"2\"}\n{\"eventID\":\"3\"}\n{\"eventID\":\"4\"}\n{\"eventID\": bad";
    let array = fixtures::dir()
        .join("aws-cloudtrail/stratus-red-team-detonation-logs/aws.execution.ec2-user-data.json");
    for path in [
        fixtures::dir().join(BENCHMARK),
        array,
        temp_file(&dir, "stop.jsonl", ndjson),
    ] {
        let mut calls = 0;
        let summary = read_records(&path, &RecordFormat::CLOUDTRAIL, &mut |_| {
            calls += 1;
            if calls == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!((summary.records, calls), (3, 3), "{}", path.display());
    }
}

#[test]
fn streams_a_file_far_bigger_than_any_fixture() {
    const RECORDS: usize = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    let mut out = BufWriter::new(std::fs::File::create(&path).unwrap());
    out.write_all(b"{\"Records\":[").unwrap();
    for i in 0..RECORDS {
        let comma = if i == 0 { "" } else { "," };
        write!(
            out,
            "{comma}{{\"eventID\":\"id-{i}\",\"eventTime\":\"2024-01-01T00:00:00Z\",\
             \"eventName\":\"GetObject\"}}"
        )
        .unwrap();
    }
    out.write_all(b"]}").unwrap();
    out.flush().unwrap();
    drop(out);

    let (mut count, mut first, mut last) = (0usize, None, Vec::new());
    let summary = read_records(&path, &RecordFormat::CLOUDTRAIL, &mut |record| {
        count += 1;
        if first.is_none() {
            first = Some(record.clone());
        }
        last = record;
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!((summary.records, count), (RECORDS as u64, RECORDS));
    assert_eq!(
        normalize_record(&first.unwrap()).unwrap().source_event_id,
        "id-0"
    );
    let last = normalize_record(&last).unwrap().source_event_id;
    assert_eq!(last, format!("id-{}", RECORDS - 1));
}

/// Reads `bytes` as a CloudTrail file from memory.
fn read_bytes(bytes: &[u8]) -> (Result<FileSummary, RecordFileError>, Vec<Vec<u8>>) {
    let mut records = Vec::new();
    let input = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let result = super::stream::read(input, false, &RecordFormat::CLOUDTRAIL, &mut |record| {
        records.push(record);
        ControlFlow::Continue(())
    })
    .map_err(|failure| failure.into_error(Path::new("mem.json"), &RecordFormat::CLOUDTRAIL));
    (result, records)
}

/// The reader's own JSON scanner agrees with serde_json on what is valid: every record of a
/// fixture, damaged one byte at a time (replaced by a byte that matters to the grammar, or
/// removed), is passed on whole exactly when serde_json accepts it as UTF-8 JSON, and refused
/// with a position otherwise.
#[test]
fn the_scanner_accepts_exactly_what_serde_json_accepts() {
    const INTERESTING: &[u8] = b"\"\\{}[],: \n0123456789-+.eEtrufalsn\x00\x1f\x7f\x80\xc3\xff/bu";
    let records = read_all(&fixtures::dir().join(INVICTUS_29));
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let (mut accepted, mut refused) = (0, 0);
    for record in records.iter().take(12) {
        for step in 0..400 {
            let noise = fixtures::noise(&mut seed, 3);
            let at = usize::from(u16::from_le_bytes([noise[0], noise[1]])) % record.len();
            let mut damaged = record.clone();
            if step % 5 == 0 {
                damaged.remove(at);
            } else {
                damaged[at] = INTERESTING[usize::from(noise[2]) % INTERESTING.len()];
            }
            let valid = damaged.first() == Some(&b'{')
                && std::str::from_utf8(&damaged).is_ok()
                && serde_json::from_slice::<serde::de::IgnoredAny>(&damaged).is_ok();
            let (result, passed) = read_bytes(&damaged);
            let shown = String::from_utf8_lossy(&damaged);
            if valid {
                assert!(result.is_ok(), "{result:?} for {shown}");
                assert_eq!(passed, vec![damaged.clone()], "{shown}");
                accepted += 1;
            } else {
                let message = result.expect_err(&format!("accepted {shown}")).to_string();
                assert!(message.contains("mem.json"), "{message}");
                refused += 1;
            }
        }
    }
    assert!(accepted > 1000 && refused > 1000, "{accepted} {refused}");
}

#[test]
fn the_scanner_checks_every_part_of_the_grammar() {
    let wrap = |value: &str| format!("{{\"eventID\":\"1\",\"x\":{value}}}");
    let valid = [
        "0",
        "-0",
        "-0.5E-3",
        "12e+7",
        "1.25",
        "true",
        "false",
        "null",
        "\"\\u00e9\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
        "\"caf\u{e9} \u{1F600}\"",
        "[]",
        "{}",
        "[ 1 , { \"a\" : [ null ] } ]",
    ];
    for value in valid {
        let json = wrap(value);
        let (result, records) = read_bytes(json.as_bytes());
        assert!(result.is_ok(), "{value}: {result:?}");
        assert_eq!(records, vec![json.into_bytes()], "{value}");
    }
    let invalid = [
        ("-", "invalid number"),
        ("01", "invalid number"),
        ("1.", "invalid number"),
        ("1.e5", "invalid number"),
        ("1e", "invalid number"),
        ("1e+", "invalid number"),
        ("+1", "expected a value"),
        ("tru", "expected `true`"),
        ("nul", "expected `true`"),
        ("\"\\x\"", "invalid escape"),
        ("\"\\u12G4\"", "four hex digits"),
        ("\"a\tb\"", "control character (0x09)"),
        ("[1,]", "expected a value"),
        ("[1 2]", "expected `,` or `]`"),
        ("{\"a\" 1}", "expected `:`"),
        ("{\"a\":1,}", "expected a key"),
        ("{1:1}", "expected a key"),
        ("{\"a\":1]", "expected `,` or `}`"),
        ("[}", "expected a value"),
    ];
    for (value, expected) in invalid {
        let (result, records) = read_bytes(wrap(value).as_bytes());
        let message = result.expect_err(value).to_string();
        assert!(message.contains(expected), "{value}: {message}");
        assert!(message.contains("line 1, byte "), "{value}: {message}");
        assert!(records.is_empty());
    }

    // The byte at fault is named by its offset; a damaged record ends the file there.
    let (result, records) = read_bytes(b"{\"eventID\":\"1\"}\n{\"eventID\":\"2\",\"n\":01}\n");
    assert_eq!(records.len(), 1);
    let message = result.unwrap_err().to_string();
    assert!(message.contains("line 2, byte 36,"), "{message}");
    assert!(message.contains("after 1 records"), "{message}");

    // Nesting: as deep as serde_json goes, and no deeper.
    let nested = |depth: usize| wrap(&format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
    assert!(read_bytes(nested(126).as_bytes()).0.is_ok());
    let message = read_bytes(nested(127).as_bytes())
        .0
        .unwrap_err()
        .to_string();
    assert!(message.contains("nested more than 127 deep"), "{message}");
    assert!(serde_json::from_str::<serde_json::Value>(&nested(126)).is_ok());
    assert!(serde_json::from_str::<serde_json::Value>(&nested(127)).is_err());

    // Records must be UTF-8; the offending byte is named.
    let (result, _) = read_bytes(b"{\"eventID\":\"\xff\"}");
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("not UTF-8 text at line 1, byte 12"),
        "{message}"
    );
}

#[test]
fn wrapper_keys_are_compared_after_unescaping() {
    let (result, records) =
        read_bytes(b"{\"Rec\\u006frds\":[{\"eventID\":\"1\"},{\"eventID\":\"2\"}],\"more\":[1]}");
    assert_eq!(result.unwrap().records, 2);
    assert_eq!(records[1], b"{\"eventID\":\"2\"}");

    let (result, _) = read_bytes(b"{\"Records\":\"x\"}");
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("`Records` holds a string, not an array of CloudTrail records"),
        "{message}"
    );
}

#[test]
fn a_record_too_big_to_keep_is_refused_after_the_ones_before() {
    let big = format!("{{\"eventID\":\"2\",\"x\":\"{}\"}}", "a".repeat(9 << 20));
    let file = format!("{{\"Records\":[{{\"eventID\":\"1\"}},{big},{{\"eventID\":\"3\"}}]}}");
    let (result, records) = read_bytes(file.as_bytes());
    assert_eq!(records, vec![b"{\"eventID\":\"1\"}".to_vec()]);
    let message = result.unwrap_err().to_string();
    assert!(message.contains("a record of more than 8 MiB"), "{message}");
}
