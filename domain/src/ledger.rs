//! The ledger's arithmetic: how an entry is encoded and chained, the Merkle tree head over the
//! chain, signed checkpoints, and the check that finds exactly where a stored ledger was
//! changed. Pure functions over bytes: the store appends and reads, `attest verify` reports.
//!
//! **Entries.** Entry `n` (from 1) commits to what it records (`kind`, `subject` and the
//! SHA-256 `digest` of the record's own canonical bytes, such as a delivery's body and key)
//! and to entry `n − 1` by `prev`, the hash of that entry (32 zero bytes for the first):
//! `hash = SHA-256(encode(entry))`, where [`encode`] writes every field length-prefixed, so no
//! two different entries share an encoding. Editing an entry changes its hash (caught by
//! recomputing it), and rewriting it with a recomputed hash breaks the next entry's `prev`;
//! deleting, inserting or swapping entries breaks the sequence numbers or the `prev` links.
//!
//! **Tree heads and checkpoints.** A checkpoint states the ledger's size and the root of the
//! Merkle tree over its first `size` entry hashes (RFC 6962's tree: leaves `SHA-256(0 ‖ hash)`,
//! nodes `SHA-256(1 ‖ left ‖ right)`), signed with an Ed25519 key kept outside the database.
//! Rewriting the whole chain from some entry on is caught by any later checkpoint, whose root
//! no longer matches; cutting the tail off is caught against the last checkpoint exported,
//! whose size is larger than what is left.

use chrono::{DateTime, Utc};
pub use ed25519_dalek::SigningKey;
use ed25519_dalek::{Signature, Signer, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// The `prev` of the first entry.
pub const GENESIS: Hash = [0; 32];

/// Domain separation: an entry's hash can never be mistaken for another kind of hash.
const ENTRY_TAG: &[u8] = b"attest-ledger-entry-v1\0";
const CHECKPOINT_TAG: &str = "attest-ledger-checkpoint-v1";

/// An entry as stored: what is recorded, where it sits in the chain, and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1, 2, 3, … with no gaps.
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// What kind of record: `delivery`, `sign_in`, `token.created`, `person.merged`, ….
    pub kind: String,
    /// Which record, readably: `github/8e6b…` for a delivery, an e-mail for a merge.
    pub subject: String,
    /// SHA-256 of the record's canonical bytes.
    pub digest: Hash,
    pub prev: Hash,
    pub hash: Hash,
}

impl Entry {
    /// The next entry after `prev` (the last entry's hash, or [`GENESIS`]), hashed.
    pub fn next(
        seq: u64,
        prev: Hash,
        at: DateTime<Utc>,
        kind: &str,
        subject: &str,
        digest: Hash,
    ) -> Entry {
        let mut entry = Entry {
            seq,
            at,
            kind: kind.to_owned(),
            subject: subject.to_owned(),
            digest,
            prev,
            hash: GENESIS,
        };
        entry.hash = entry.computed_hash();
        entry
    }

    /// The hash of this entry's content, whatever its stored `hash` says.
    pub fn computed_hash(&self) -> Hash {
        Sha256::digest(encode(self)).into()
    }
}

/// The canonical bytes of an entry (its `hash` left out): a tag, then each field, integers
/// big-endian and strings prefixed with their length.
pub fn encode(entry: &Entry) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENTRY_TAG.len() + 96 + entry.kind.len() + entry.subject.len());
    out.extend_from_slice(ENTRY_TAG);
    out.extend_from_slice(&entry.seq.to_be_bytes());
    out.extend_from_slice(&entry.at.timestamp_micros().to_be_bytes());
    for text in [&entry.kind, &entry.subject] {
        out.extend_from_slice(&(text.len() as u64).to_be_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(&entry.digest);
    out.extend_from_slice(&entry.prev);
    out
}

/// SHA-256 of length-prefixed parts: the digest of a record made of several fields, none of
/// which can run into the next.
pub fn digest_of(parts: &[&[u8]]) -> Hash {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// The Merkle tree head over `leaves` (the ledger's entry hashes), as RFC 6962 defines it:
/// the empty tree's root is the hash of nothing, a leaf's is `SHA-256(0 ‖ leaf)`, and a
/// node's `SHA-256(1 ‖ left ‖ right)`, the left subtree holding the largest power of two
/// of leaves below the count.
pub fn tree_root<L: AsRef<[u8]>>(leaves: &[L]) -> Hash {
    match leaves {
        [] => Sha256::digest([]).into(),
        [leaf] => {
            let mut hasher = Sha256::new();
            hasher.update([0u8]);
            hasher.update(leaf.as_ref());
            hasher.finalize().into()
        }
        _ => {
            let below = leaves.len() - 1;
            let split = 1usize << (usize::BITS - 1 - below.leading_zeros());
            let (left, right) = leaves.split_at(split);
            let mut hasher = Sha256::new();
            hasher.update([1u8]);
            hasher.update(tree_root(left));
            hasher.update(tree_root(right));
            hasher.finalize().into()
        }
    }
}

/// A signed statement of the ledger's size and tree head at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub size: u64,
    pub root: Hash,
    pub at: DateTime<Utc>,
    /// The public key that signed it, so a verifier can say which key a checkpoint needs.
    pub key: [u8; 32],
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// The text signed: one line each, readable by anyone who wants to check it by hand.
    pub fn statement(size: u64, root: &Hash, at: DateTime<Utc>) -> String {
        format!(
            "{CHECKPOINT_TAG}\n{size}\n{}\n{}\n",
            hex::encode(root),
            at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        )
    }

    /// Signs the tree head of `hashes` (the whole ledger so far) with `key`.
    pub fn sign(hashes: &[Hash], at: DateTime<Utc>, key: &SigningKey) -> Checkpoint {
        let size = hashes.len() as u64;
        let root = tree_root(hashes);
        let signature = key.sign(Checkpoint::statement(size, &root, at).as_bytes());
        Checkpoint {
            size,
            root,
            at,
            key: key.verifying_key().to_bytes(),
            signature: signature.to_bytes(),
        }
    }

    /// The checkpoint as a small text file, to keep outside the database: the signed
    /// statement, then the key and the signature in hex.
    pub fn to_text(&self) -> String {
        format!(
            "{}key {}\nsignature {}\n",
            Checkpoint::statement(self.size, &self.root, self.at),
            hex::encode(self.key),
            hex::encode(self.signature)
        )
    }

    /// Reads [`Checkpoint::to_text`] back, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Checkpoint, String> {
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        let [tag, size, root, at, key, signature] = lines.as_slice() else {
            return Err(format!(
                "a checkpoint file has six lines ({CHECKPOINT_TAG}, size, root, time, key, \
                 signature); this one has {}",
                lines.len()
            ));
        };
        if *tag != CHECKPOINT_TAG {
            return Err(format!(
                "the first line must be {CHECKPOINT_TAG}, not {tag:?}"
            ));
        }
        let size = size
            .parse::<u64>()
            .map_err(|_| format!("size {size:?} is not a number"))?;
        let root = hex_array::<32>("root", root)?;
        let at = DateTime::parse_from_rfc3339(at)
            .map_err(|err| format!("time {at:?}: {err}"))?
            .with_timezone(&Utc);
        let key = key
            .strip_prefix("key ")
            .ok_or("the fifth line must be `key <hex>`")?;
        let signature = signature
            .strip_prefix("signature ")
            .ok_or("the sixth line must be `signature <hex>`")?;
        Ok(Checkpoint {
            size,
            root,
            at,
            key: hex_array::<32>("key", key)?,
            signature: hex_array::<64>("signature", signature)?,
        })
    }

    /// Whether `key` signed this checkpoint as it stands.
    pub fn signed_by(&self, key: &VerifyingKey) -> bool {
        self.key == key.to_bytes()
            && key
                .verify(
                    Checkpoint::statement(self.size, &self.root, self.at).as_bytes(),
                    &Signature::from_bytes(&self.signature),
                )
                .is_ok()
    }
}

fn hex_array<const N: usize>(what: &str, text: &str) -> Result<[u8; N], String> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text.trim(), &mut out)
        .map_err(|err| format!("{what}: expected {N} bytes in hex ({err})"))?;
    Ok(out)
}

/// A new Ed25519 signing key from the operating system's random source.
pub fn generate_key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

/// A signing key from its file: the 32-byte secret in hex.
pub fn signing_key_from_hex(text: &str) -> Result<SigningKey, String> {
    Ok(SigningKey::from_bytes(&hex_array::<32>(
        "signing key",
        text,
    )?))
}

/// A public key from its hex form, as `attest ledger key` prints it.
pub fn public_key_from_hex(text: &str) -> Result<VerifyingKey, String> {
    VerifyingKey::from_bytes(&hex_array::<32>("public key", text)?)
        .map_err(|err| format!("public key: {err}"))
}

/// Something wrong with a stored ledger, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The entry's content does not hash to its stored hash: it was edited.
    Edited { seq: u64 },
    /// Entries are missing before this one (`expected` is the number that should be here).
    Missing { expected: u64, found: u64 },
    /// The entry's `prev` is not the hash of the entry before it: something was inserted,
    /// removed and renumbered, or reordered here, or the entry before was rewritten.
    Unlinked { seq: u64 },
    /// A checkpoint's signature does not verify with the key given.
    BadSignature { size: u64 },
    /// A checkpoint covers more entries than the ledger holds: the tail was cut off.
    Truncated {
        checkpoint_size: u64,
        ledger_size: u64,
    },
    /// The first `size` entries no longer have the tree head a checkpoint signed: some entry
    /// up to `size` was changed, even if the chain was rewritten to hide it.
    RootMismatch { size: u64 },
    /// The record an entry names (`deliveries/12`) is no longer what was recorded.
    RecordChanged { seq: u64, subject: String },
    /// The record an entry names is gone.
    RecordMissing { seq: u64, subject: String },
    /// A record kept since the ledger began that no entry names: written around Attest.
    Unrecorded { subject: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Edited { seq } => {
                write!(
                    f,
                    "entry {seq} was edited: its content does not match its hash"
                )
            }
            Problem::Missing { expected, found } => write!(
                f,
                "entries {expected} to {} are missing (the next entry stored is {found})",
                found.saturating_sub(1)
            ),
            Problem::Unlinked { seq } => write!(
                f,
                "entry {seq} does not follow the entry before it: an entry was inserted, \
                 removed or reordered here, or the one before was rewritten"
            ),
            Problem::BadSignature { size } => write!(
                f,
                "the checkpoint at size {size} is not signed by the ledger key given"
            ),
            Problem::Truncated {
                checkpoint_size,
                ledger_size,
            } => write!(
                f,
                "the ledger was cut short: a checkpoint covers {checkpoint_size} entries, \
                 {ledger_size} are left"
            ),
            Problem::RootMismatch { size } => write!(
                f,
                "the first {size} entries differ from what the checkpoint at size {size} signed"
            ),
            Problem::RecordChanged { seq, subject } => {
                write!(f, "{subject} was changed after entry {seq} recorded it")
            }
            Problem::RecordMissing { seq, subject } => {
                write!(f, "{subject}, recorded by entry {seq}, is gone")
            }
            Problem::Unrecorded { subject } => write!(
                f,
                "{subject} is in no ledger entry: it was written around Attest"
            ),
        }
    }
}

/// Checks entries read in sequence order, as they are fed in, and then checkpoints against
/// them. Memory holds one hash per entry (32 bytes), for the tree heads.
#[derive(Debug, Default)]
pub struct Verifier {
    hashes: Vec<Hash>,
    /// The stored hash of the last entry read, which the next one's `prev` must be.
    last: Option<(u64, Hash)>,
    problems: Vec<Problem>,
    /// Problems found past [`MAX_PROBLEMS`]: counted, not kept.
    more: u64,
}

/// Problems kept one by one; a ledger rewritten from its first entry on would otherwise list
/// every entry.
pub const MAX_PROBLEMS: usize = 1_000;

impl Verifier {
    pub fn new() -> Verifier {
        Verifier::default()
    }

    /// Reads the next stored entry.
    pub fn entry(&mut self, entry: &Entry) {
        let expected = self.last.map_or(1, |(seq, _)| seq + 1);
        if entry.seq > expected {
            self.found(Problem::Missing {
                expected,
                found: entry.seq,
            });
        }
        if entry.computed_hash() != entry.hash {
            self.found(Problem::Edited { seq: entry.seq });
        }
        let prev = self.last.map_or(GENESIS, |(_, hash)| hash);
        // A gap is reported once, as missing entries, not again as a broken link.
        if entry.prev != prev && entry.seq <= expected {
            self.found(Problem::Unlinked { seq: entry.seq });
        }
        self.hashes.push(entry.hash);
        self.last = Some((entry.seq, entry.hash));
    }

    /// How many entries were read.
    pub fn size(&self) -> u64 {
        self.hashes.len() as u64
    }

    /// Checks a checkpoint (stored beside the ledger, or exported earlier) against the
    /// entries read, with the key that should have signed it.
    pub fn checkpoint(&mut self, checkpoint: &Checkpoint, key: &VerifyingKey) {
        if !checkpoint.signed_by(key) {
            self.found(Problem::BadSignature {
                size: checkpoint.size,
            });
            return;
        }
        let Ok(size) = usize::try_from(checkpoint.size) else {
            return;
        };
        if size > self.hashes.len() {
            self.found(Problem::Truncated {
                checkpoint_size: checkpoint.size,
                ledger_size: self.size(),
            });
        } else if tree_root(&self.hashes[..size]) != checkpoint.root {
            self.found(Problem::RootMismatch {
                size: checkpoint.size,
            });
        }
    }

    /// The tree head of everything read: what a new checkpoint would sign.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    fn found(&mut self, problem: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.more += 1;
        }
    }

    /// Adds a problem the caller found about the records themselves.
    pub fn record_problem(&mut self, problem: Problem) {
        self.found(problem);
    }

    /// Every problem found, in the order found (the first [`MAX_PROBLEMS`]), and how many
    /// more there were.
    pub fn finish(self) -> (Vec<Problem>, u64) {
        (self.problems, self.more)
    }
}

#[cfg(test)]
mod tests;
