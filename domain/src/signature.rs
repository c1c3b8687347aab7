//! Webhook authentication: GitHub's `X-Hub-Signature-256` (HMAC-SHA256 over the raw body) and
//! shared-token comparisons, always in constant time.

use crate::model::{HookEndpoint, Source};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Secrets accepted at once. More than one lets an operator rotate without dropping deliveries.
/// Each remembers when it last matched, so the webhook secrets page can show which one a
/// sender still uses.
#[derive(Clone, Default)]
pub struct Secrets(Vec<Secret>);

#[derive(Clone)]
struct Secret {
    bytes: Vec<u8>,
    /// The `hook_secrets` row of a secret managed in Attest; `None` for one from the settings.
    id: Option<i64>,
    /// When it last matched (Unix microseconds; 0: not since it was loaded).
    used_us: Arc<AtomicI64>,
}

impl Secret {
    fn new(bytes: Vec<u8>, id: Option<i64>) -> Secret {
        Secret {
            bytes,
            id,
            used_us: Arc::new(AtomicI64::new(0)),
        }
    }
}

impl Secrets {
    /// Parses the comma-separated form of `ATTEST_GITHUB_WEBHOOK_SECRET`; blank entries are
    /// ignored, surrounding spaces are kept off.
    pub fn from_comma_separated(value: &str) -> Secrets {
        Secrets(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Secret::new(s.as_bytes().to_vec(), None))
                .collect(),
        )
    }

    /// Adds a secret managed in Attest (row `id` of `hook_secrets`).
    pub fn push_managed(&mut self, id: i64, secret: &[u8]) {
        self.0.push(Secret::new(secret.to_vec(), Some(id)));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many came from the settings rather than from Attest's own table.
    pub fn from_settings(&self) -> usize {
        self.0.iter().filter(|secret| secret.id.is_none()).count()
    }

    pub fn first(&self) -> Option<&[u8]> {
        self.0.first().map(|secret| secret.bytes.as_slice())
    }

    /// Whether `check` holds for one of the secrets. Every secret is checked, without stopping
    /// early, so timing says nothing about which matched; the one that did is marked used.
    pub fn any(&self, check: impl Fn(&[u8]) -> subtle::Choice) -> bool {
        let checked: Vec<subtle::Choice> = self.0.iter().map(|s| check(&s.bytes)).collect();
        let matched = checked
            .iter()
            .fold(subtle::Choice::from(0), |acc, &choice| acc | choice);
        if bool::from(matched) {
            let now = chrono::Utc::now().timestamp_micros();
            for (secret, choice) in self.0.iter().zip(checked) {
                if bool::from(choice) {
                    secret.used_us.fetch_max(now, Ordering::Relaxed);
                }
            }
        }
        bool::from(matched)
    }

    /// Whether `presented` equals one of the secrets, in constant time (see [`Secrets::any`]).
    pub fn matches(&self, presented: &[u8]) -> bool {
        self.any(|secret| secret.ct_eq(presented))
    }

    /// The managed secrets that matched since they were loaded: row id and when (Unix
    /// microseconds), for recording their last use.
    pub fn managed_uses(&self) -> Vec<(i64, i64)> {
        self.0
            .iter()
            .filter_map(|secret| {
                let used = secret.used_us.load(Ordering::Relaxed);
                secret.id.filter(|_| used > 0).map(|id| (id, used))
            })
            .collect()
    }
}

/// The secrets of every push endpoint. An empty one means the endpoint is not configured.
#[derive(Debug, Clone, Default)]
pub struct HookSecrets {
    pub github: Secrets,
    pub gitlab: Secrets,
    pub aws: Secrets,
    pub gcp: Secrets,
    pub azure: Secrets,
    pub okta: Secrets,
    pub terraform: Secrets,
}

impl HookSecrets {
    /// The secrets of `endpoint`.
    pub fn get(&self, endpoint: HookEndpoint) -> &Secrets {
        match endpoint {
            HookEndpoint::Github => &self.github,
            HookEndpoint::Gitlab => &self.gitlab,
            HookEndpoint::Aws => &self.aws,
            HookEndpoint::Gcp => &self.gcp,
            HookEndpoint::Azure => &self.azure,
            HookEndpoint::Okta => &self.okta,
            HookEndpoint::Terraform => &self.terraform,
        }
    }

    fn get_mut(&mut self, endpoint: HookEndpoint) -> &mut Secrets {
        match endpoint {
            HookEndpoint::Github => &mut self.github,
            HookEndpoint::Gitlab => &mut self.gitlab,
            HookEndpoint::Aws => &mut self.aws,
            HookEndpoint::Gcp => &mut self.gcp,
            HookEndpoint::Azure => &mut self.azure,
            HookEndpoint::Okta => &mut self.okta,
            HookEndpoint::Terraform => &mut self.terraform,
        }
    }

    /// These secrets and `managed` ones (row id, endpoint, secret) together.
    pub fn with_managed<'a>(
        &self,
        managed: impl IntoIterator<Item = (i64, HookEndpoint, &'a [u8])>,
    ) -> HookSecrets {
        let mut all = self.clone();
        for (id, endpoint, secret) in managed {
            all.get_mut(endpoint).push_managed(id, secret);
        }
        all
    }

    /// The managed secrets that matched since they were loaded (row id, Unix microseconds).
    pub fn managed_uses(&self) -> Vec<(i64, i64)> {
        HookEndpoint::ALL
            .into_iter()
            .flat_map(|endpoint| self.get(endpoint).managed_uses())
            .collect()
    }

    /// The sources whose push endpoint has a secret, in [`Source::ALL`] order (CloudTrail
    /// arrives through the AWS endpoint).
    pub fn configured(&self) -> Vec<Source> {
        let mut sources: Vec<Source> = HookEndpoint::ALL
            .into_iter()
            .filter(|&endpoint| !self.get(endpoint).is_empty())
            .flat_map(|endpoint| endpoint.sources().iter().copied())
            .collect();
        sources.sort();
        sources
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} configured)", self.0.len())
    }
}

/// Why a request was not authenticated. The header names say what to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing {0} header")]
    Missing(&'static str),
    #[error("X-Hub-Signature-256 must look like sha256=<64 hex digits>")]
    Malformed,
    #[error("{0} does not match any configured secret")]
    Mismatch(&'static str),
    #[error("no webhook secret is configured for this source")]
    NotConfigured,
}

const GITHUB_HEADER: &str = "X-Hub-Signature-256";

/// `sha256=<hex>` of HMAC-SHA256(secret, body): what GitHub sends, and what the demo signs with.
pub fn github_signature(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(secret, body)))
}

fn hmac_sha256(secret: &[u8], body: &[u8]) -> [u8; 32] {
    // `new_from_slice` only rejects key lengths for fixed-key MACs; HMAC takes any key.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts every key length");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// Checks a `X-Hub-Signature-256` header value against every configured secret.
pub fn verify_github(
    secrets: &Secrets,
    header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NotConfigured);
    }
    let header = header.ok_or(SignatureError::Missing(GITHUB_HEADER))?;
    let hex_part = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let mut given = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut given).map_err(|_| SignatureError::Malformed)?;
    if secrets.any(|secret| hmac_sha256(secret, body).ct_eq(&given)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch(GITHUB_HEADER))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_published_test_vector_passes() {
        // From docs.github.com, "Validating webhook deliveries"; also in
        // ../shared/fixtures/github/hmac-test-vector.json (read by the integration tests).
        let secrets = Secrets::from_comma_separated("It's a Secret to Everybody");
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(
            verify_github(&secrets, Some(header), b"Hello, World!"),
            Ok(())
        );
        assert_eq!(
            github_signature(b"It's a Secret to Everybody", b"Hello, World!"),
            header
        );
    }

    #[test]
    fn any_secret_of_a_rotation_is_accepted() {
        let secrets = Secrets::from_comma_separated(" old-secret , new-secret ,");
        let sig = github_signature(b"new-secret", b"{}");
        assert_eq!(verify_github(&secrets, Some(&sig), b"{}"), Ok(()));
        let sig = github_signature(b"old-secret", b"{}");
        assert_eq!(verify_github(&secrets, Some(&sig), b"{}"), Ok(()));
    }

    #[test]
    fn bad_signatures_are_told_apart() {
        let secrets = Secrets::from_comma_separated("s");
        assert_eq!(
            verify_github(&secrets, None, b"x"),
            Err(SignatureError::Missing(GITHUB_HEADER))
        );
        assert_eq!(
            verify_github(&secrets, Some("sha1=abc"), b"x"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_github(&secrets, Some("sha256=zz"), b"x"),
            Err(SignatureError::Malformed)
        );
        let other = github_signature(b"other", b"x");
        assert_eq!(
            verify_github(&secrets, Some(&other), b"x"),
            Err(SignatureError::Mismatch(GITHUB_HEADER))
        );
        let sig = github_signature(b"s", b"x");
        assert_eq!(
            verify_github(&secrets, Some(&sig), b"x tampered"),
            Err(SignatureError::Mismatch(GITHUB_HEADER))
        );
        assert_eq!(
            verify_github(&Secrets::default(), Some(&sig), b"x"),
            Err(SignatureError::NotConfigured)
        );
    }
}
