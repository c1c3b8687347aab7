//! Identifier and value helpers for the demo generators: UUIDs, git SHAs, GitHub node ids,
//! AWS ids and addresses, all drawn from the seeded RNG (or a stable hash) so a run repeats.

use base64::Engine;
use chrono::{DateTime, Datelike, Timelike, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

/// A version-4-looking UUID, as GitHub delivery ids and CloudTrail event ids are.
pub(super) fn uuid(rng: &mut StdRng) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let v = u128::from_be_bytes(bytes);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        (v >> 96) as u32,
        (v >> 80) as u16,
        (v >> 64) as u16,
        (v >> 48) as u16,
        v & 0xffff_ffff_ffff
    )
}

/// A 40-hex git object id.
pub(super) fn sha(rng: &mut StdRng) -> String {
    let mut bytes = [0u8; 20];
    rng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(super) const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// GitHub's legacy global node id: base64 of `0<len>:<Type><id>`, e.g. `MDQ6VXNlcjE=`.
pub(super) fn node_id(kind: &str, id: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("0{}:{}{}", kind.len(), kind, id))
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// An AWS-style identifier: a prefix (`AIDA`, `AROA`, `AKIA`, `ASIA`), the account's stem,
/// then base32 characters from `bits` up to `len` characters in all.
pub(super) fn aws_id(prefix: &str, stem: &str, mut bits: u64, len: usize) -> String {
    let mut id = String::with_capacity(len);
    id.push_str(prefix);
    id.push_str(stem);
    while id.len() < len {
        bits = mix(bits);
        id.push(char::from(BASE32[(bits % 32) as usize]));
    }
    id
}

/// Eight base32 characters that AWS ids of one account share.
pub(super) fn aws_stem(rng: &mut StdRng) -> String {
    (0..8)
        .map(|_| char::from(BASE32[rng.gen_range(0..32)]))
        .collect()
}

/// A stable 64-bit hash (FNV-1a, then a SplitMix finaliser) for ids that must not depend on
/// how many random numbers were drawn before, e.g. a person's session key for the day.
pub(super) fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in *part {
            h ^= u64::from(*byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// SplitMix64's finaliser: spreads the bits of a counter or hash.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A public IPv4 address whose first octet comes from `first_octets`.
pub(super) fn ip(rng: &mut StdRng, first_octets: &[u8]) -> String {
    let first = first_octets.choose(rng).copied().unwrap_or(73);
    format!(
        "{first}.{}.{}.{}",
        rng.gen_range(0..=255u8),
        rng.gen_range(0..=255u8),
        rng.gen_range(1..=254u8)
    )
}

/// One element of a list, or `None` for an empty one.
pub(super) fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> Option<&'a T> {
    items.choose(rng)
}

/// One word of a constant list (never empty in practice; an empty list gives "").
pub(super) fn pick_str(rng: &mut StdRng, items: &[&'static str]) -> &'static str {
    items.choose(rng).copied().unwrap_or_default()
}

/// An index drawn in proportion to `weights`; `None` when nothing has a positive weight.
pub(super) fn weighted(
    rng: &mut StdRng,
    weights: impl Iterator<Item = f64> + Clone,
) -> Option<usize> {
    let total: f64 = weights.clone().filter(|w| *w > 0.0).sum();
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    let mut target = rng.gen::<f64>() * total;
    let mut last = None;
    for (index, weight) in weights.enumerate() {
        if weight <= 0.0 {
            continue;
        }
        if target < weight {
            return Some(index);
        }
        target -= weight;
        last = Some(index);
    }
    last
}

/// `2024-07-30T21:53:13Z`: the form both GitHub and CloudTrail use. Written out by hand:
/// it is called several times per delivery and strftime-style formatting is much slower.
pub(super) fn rfc3339(at: DateTime<Utc>) -> String {
    let (date, time) = (at.date_naive(), at.time());
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        date.year(),
        date.month(),
        date.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// `Jul 30, 2024, 9:53:13 PM`: how IAM and STS write dates inside response elements.
pub(super) fn aws_date(at: DateTime<Utc>) -> String {
    at.format("%b %-d, %Y, %-I:%M:%S %p").to_string()
}

/// A lowercase, dash-separated form of a commit message for branch names.
pub(super) fn slug(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(5)
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}
