//! Attest's product logic: the event model, per-source normalizers, the store (SQLite and
//! Postgres), and the ingest pipeline. No HTTP and no Leptos here.
//!
//! Without the `store` feature this crate is only the serde model, which the wasm front end
//! shares with the server.

#![recursion_limit = "256"]

pub mod access;
pub mod audit;
pub mod grant;
pub mod model;
pub mod people;
pub mod review;

#[cfg(feature = "store")]
pub mod chart;
#[cfg(feature = "store")]
pub mod demo;
#[cfg(feature = "store")]
pub mod export;
#[cfg(feature = "store")]
pub mod hook_secrets;
#[cfg(feature = "store")]
pub mod import;
#[cfg(feature = "store")]
pub mod ingest;
#[cfg(feature = "store")]
pub mod jwt;
#[cfg(feature = "store")]
pub mod ledger;
#[cfg(feature = "store")]
pub mod normalize;
#[cfg(feature = "store")]
pub mod record_files;
#[cfg(feature = "store")]
pub mod signature;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "store")]
pub mod tokens;
#[cfg(feature = "store")]
pub mod webhook;

/// Where the third-party sample data lives: `../shared/fixtures` beside the repository (never
/// copied into it), or `ATTEST_FIXTURES` when set. Used by tests and benchmarks of every crate.
pub mod fixtures {
    use std::path::PathBuf;

    pub fn dir() -> PathBuf {
        std::env::var_os("ATTEST_FIXTURES")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../shared/fixtures"
                ))
            })
    }

    /// `length` pseudo-random bytes (xorshift from `seed`), for tests that feed parsers garbage.
    #[cfg(test)]
    pub fn noise(seed: &mut u64, length: usize) -> Vec<u8> {
        (0..length)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                seed.to_le_bytes()[0]
            })
            .collect()
    }

    /// Reads a fixture by its path below the fixtures folder; a missing file fails the test
    /// with the path, so a moved fixture is never silently skipped.
    #[cfg(test)]
    #[allow(clippy::panic)]
    pub fn read(relative: &str) -> Vec<u8> {
        let path = dir().join(relative);
        std::fs::read(&path).unwrap_or_else(|err| panic!("fixture {}: {err}", path.display()))
    }
}
