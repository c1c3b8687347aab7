//! The ledger's arithmetic against published test vectors, and every kind of tampering the
//! verifier must point at.

#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use chrono::TimeZone;

fn at(n: u64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(n as i64)
}

/// A well-formed ledger of `n` deliveries.
fn ledger(n: u64) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for seq in 1..=n {
        let prev = entries.last().map_or(GENESIS, |e| e.hash);
        let body = format!("{{\"delivery\":{seq}}}");
        let digest = digest_of(&[b"github", format!("key-{seq}").as_bytes(), body.as_bytes()]);
        entries.push(Entry::next(
            seq,
            prev,
            at(seq),
            "delivery",
            &format!("github/key-{seq}"),
            digest,
        ));
    }
    entries
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn hashes(entries: &[Entry]) -> Vec<Hash> {
    entries.iter().map(|e| e.hash).collect()
}

/// Verifies `entries` against `checkpoints` signed by `key(1)`.
fn verify(entries: &[Entry], checkpoints: &[Checkpoint]) -> Vec<Problem> {
    let mut verifier = Verifier::new();
    for entry in entries {
        verifier.entry(entry);
    }
    for checkpoint in checkpoints {
        verifier.checkpoint(checkpoint, &key(1).verifying_key());
    }
    let (problems, more) = verifier.finish();
    assert_eq!(more, 0);
    problems
}

/// RFC 6962's Merkle tree hash, on the Certificate Transparency reference leaves: the roots
/// of the first 0..8 leaves, as published with the CT test suites.
#[test]
fn tree_heads_match_the_rfc_6962_reference_vectors() {
    let leaves: Vec<Vec<u8>> = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).unwrap())
    .collect();
    let roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    for (n, root) in roots.iter().enumerate() {
        assert_eq!(hex::encode(tree_root(&leaves[..n])), *root, "{n} leaves");
    }
}

#[test]
fn encodings_cannot_run_into_each_other() {
    let a = Entry::next(1, GENESIS, at(1), "ab", "c", GENESIS);
    let b = Entry::next(1, GENESIS, at(1), "a", "bc", GENESIS);
    assert_ne!(encode(&a), encode(&b));
    assert_ne!(a.hash, b.hash);
    assert_ne!(digest_of(&[b"ab", b"c"]), digest_of(&[b"a", b"bc"]));
    // Every field is in the hash.
    let base = Entry::next(2, [7; 32], at(2), "delivery", "s", [9; 32]);
    let variants = [
        Entry {
            seq: 3,
            ..base.clone()
        },
        Entry {
            at: at(3),
            ..base.clone()
        },
        Entry {
            kind: "sign_in".into(),
            ..base.clone()
        },
        Entry {
            subject: "t".into(),
            ..base.clone()
        },
        Entry {
            digest: [8; 32],
            ..base.clone()
        },
        Entry {
            prev: [6; 32],
            ..base.clone()
        },
    ];
    for variant in variants {
        assert_ne!(variant.computed_hash(), base.hash, "{variant:?}");
    }
}

#[test]
fn an_untouched_ledger_verifies_with_its_checkpoints() {
    let entries = ledger(10);
    let early = Checkpoint::sign(&hashes(&entries[..4]), at(4), &key(1));
    let late = Checkpoint::sign(&hashes(&entries), at(10), &key(1));
    assert!(late.signed_by(&key(1).verifying_key()));
    assert_eq!(verify(&entries, &[early, late]), vec![]);
    assert_eq!(verify(&[], &[]), vec![]);
}

#[test]
fn an_edited_entry_is_named() {
    let mut entries = ledger(6);
    entries[2].subject = "github/forged".into();
    assert_eq!(verify(&entries, &[]), vec![Problem::Edited { seq: 3 }]);
}

#[test]
fn an_edit_with_its_hash_recomputed_breaks_the_next_link_and_the_checkpoint() {
    let mut entries = ledger(6);
    let checkpoint = Checkpoint::sign(&hashes(&entries), at(6), &key(1));
    entries[2].digest = [1; 32];
    entries[2].hash = entries[2].computed_hash();
    assert_eq!(
        verify(&entries, std::slice::from_ref(&checkpoint)),
        vec![
            Problem::Unlinked { seq: 4 },
            Problem::RootMismatch { size: 6 }
        ]
    );
    // Rewriting the whole tail to match leaves only the checkpoint to say so.
    relink(&mut entries, 3);
    assert_eq!(
        verify(&entries, &[checkpoint]),
        vec![Problem::RootMismatch { size: 6 }]
    );
}

#[test]
fn deleted_entries_are_a_gap() {
    let mut entries = ledger(6);
    entries.remove(3);
    entries.remove(3);
    assert_eq!(
        verify(&entries, &[]),
        vec![Problem::Missing {
            expected: 4,
            found: 6
        }]
    );
    assert_eq!(
        Problem::Missing {
            expected: 4,
            found: 6
        }
        .to_string(),
        "entries 4 to 5 are missing (the next entry stored is 6)"
    );
}

#[test]
fn deleted_and_renumbered_or_inserted_entries_break_the_chain() {
    // Entry 3 removed and the rest renumbered, each rehashed: every link from the cut on is
    // broken, since each entry names the old hash of the one before.
    let mut entries = ledger(6);
    let checkpoint = Checkpoint::sign(&hashes(&entries), at(6), &key(1));
    entries.remove(2);
    for (n, entry) in entries.iter_mut().enumerate().skip(2) {
        entry.seq = n as u64 + 1;
        entry.hash = entry.computed_hash();
    }
    assert_eq!(
        verify(&entries, &[]),
        vec![
            Problem::Unlinked { seq: 3 },
            Problem::Unlinked { seq: 4 },
            Problem::Unlinked { seq: 5 }
        ]
    );
    // Relinked as well, the chain is sound on its own: the checkpoint still says what was
    // signed, and that it was longer.
    relink(&mut entries, 2);
    assert_eq!(verify(&entries, &[]), vec![]);
    assert_eq!(
        verify(&entries, &[checkpoint]),
        vec![Problem::Truncated {
            checkpoint_size: 6,
            ledger_size: 5
        }]
    );

    // A forged entry inserted after 2 (linked to it), the rest renumbered and rehashed: the
    // old entry 3, now 4, still names entry 2, and so on down the chain.
    let mut entries = ledger(6);
    let checkpoint = Checkpoint::sign(&hashes(&entries[..4]), at(4), &key(1));
    let forged = Entry::next(
        3,
        entries[1].hash,
        at(2),
        "delivery",
        "github/forged",
        [5; 32],
    );
    entries.insert(2, forged);
    for (n, entry) in entries.iter_mut().enumerate().skip(3) {
        entry.seq = n as u64 + 1;
        entry.hash = entry.computed_hash();
    }
    let unlinked: Vec<Problem> = (4..=7).map(|seq| Problem::Unlinked { seq }).collect();
    assert_eq!(verify(&entries, &[]), unlinked);
    relink(&mut entries, 3);
    assert_eq!(
        verify(&entries, &[checkpoint]),
        vec![Problem::RootMismatch { size: 4 }]
    );
}

/// Links and rehashes every entry from index `from` on, as a forger covering tracks would.
fn relink(entries: &mut [Entry], from: usize) {
    for n in from..entries.len() {
        entries[n].prev = entries[n - 1].hash;
        entries[n].hash = entries[n].computed_hash();
    }
}

#[test]
fn reordered_entries_are_caught() {
    // Two entries' contents swapped, each keeping its place in the sequence.
    let mut entries = ledger(6);
    let (a, b) = (entries[1].clone(), entries[2].clone());
    entries[1] = Entry { seq: 2, ..b };
    entries[2] = Entry { seq: 3, ..a };
    let problems = verify(&entries, &[]);
    assert!(
        problems.contains(&Problem::Edited { seq: 2 }),
        "{problems:?}"
    );
    assert!(
        problems.contains(&Problem::Edited { seq: 3 }),
        "{problems:?}"
    );
}

#[test]
fn a_cut_tail_is_caught_against_the_last_checkpoint_exported() {
    let entries = ledger(8);
    let exported = Checkpoint::sign(&hashes(&entries), at(8), &key(1));
    let cut = &entries[..5];
    // The chain that is left is sound on its own: only the checkpoint knows.
    assert_eq!(verify(cut, &[]), vec![]);
    assert_eq!(
        verify(cut, &[exported]),
        vec![Problem::Truncated {
            checkpoint_size: 8,
            ledger_size: 5
        }]
    );
}

#[test]
fn checkpoints_need_the_right_key_and_an_unchanged_statement() {
    let entries = ledger(4);
    let other = Checkpoint::sign(&hashes(&entries), at(4), &key(2));
    assert!(!other.signed_by(&key(1).verifying_key()));
    let mut moved = Checkpoint::sign(&hashes(&entries), at(4), &key(1));
    moved.size = 3;
    let mut backdated = Checkpoint::sign(&hashes(&entries), at(4), &key(1));
    backdated.at = at(1);
    assert_eq!(
        verify(&entries, &[other, moved, backdated]),
        vec![
            Problem::BadSignature { size: 4 },
            Problem::BadSignature { size: 3 },
            Problem::BadSignature { size: 4 },
        ]
    );
}

#[test]
fn a_ledger_rewritten_from_the_start_lists_the_first_problems_and_counts_the_rest() {
    let mut entries = ledger(MAX_PROBLEMS as u64 + 20);
    for entry in &mut entries {
        entry.kind = "forged".into();
    }
    let mut verifier = Verifier::new();
    for entry in &entries {
        verifier.entry(entry);
    }
    let (problems, more) = verifier.finish();
    assert_eq!(problems.len(), MAX_PROBLEMS);
    assert_eq!(problems[0], Problem::Edited { seq: 1 });
    assert_eq!(more, 20);
}

#[test]
fn checkpoints_and_keys_round_trip_through_their_text() {
    let checkpoint = Checkpoint::sign(&hashes(&ledger(3)), at(3), &key(1));
    let text = checkpoint.to_text();
    assert!(
        text.starts_with("attest-ledger-checkpoint-v1\n3\n"),
        "{text}"
    );
    assert_eq!(Checkpoint::parse(&text), Ok(checkpoint.clone()));
    assert!(Checkpoint::parse(&text)
        .unwrap()
        .signed_by(&key(1).verifying_key()));
    for (bad, says) in [
        ("", "six lines"),
        (
            &text.replace("attest-ledger-checkpoint-v1", "other"),
            "first line",
        ),
        (&text.replacen("\n3\n", "\nthree\n", 1), "not a number"),
        (&text.replace("key ", "kee "), "key <hex>"),
        (&text.replace("signature ", "signature zz"), "signature"),
    ] {
        let err = Checkpoint::parse(bad).unwrap_err();
        assert!(err.contains(says), "{err}");
    }
    let secret = hex::encode(key(1).to_bytes());
    assert_eq!(
        signing_key_from_hex(&secret).unwrap().to_bytes(),
        key(1).to_bytes()
    );
    let public = hex::encode(key(1).verifying_key().to_bytes());
    assert_eq!(
        public_key_from_hex(&public).unwrap(),
        key(1).verifying_key()
    );
    assert!(public_key_from_hex("abc").is_err());
    assert_ne!(generate_key().to_bytes(), generate_key().to_bytes());
}
