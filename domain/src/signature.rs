//! Webhook authentication: GitHub's `X-Hub-Signature-256` (HMAC-SHA256 over the raw body) and
//! shared-token comparisons, always in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Secrets accepted at once. More than one lets an operator rotate without dropping deliveries.
#[derive(Clone, Default)]
pub struct Secrets(Vec<Vec<u8>>);

impl Secrets {
    /// Parses the comma-separated form of `ATTEST_GITHUB_WEBHOOK_SECRET`; blank entries are
    /// ignored, surrounding spaces are kept off.
    pub fn from_comma_separated(value: &str) -> Secrets {
        Secrets(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.as_bytes().to_vec())
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn first(&self) -> Option<&[u8]> {
        self.0.first().map(Vec::as_slice)
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.0.iter().map(Vec::as_slice)
    }

    /// Whether `presented` equals one of the secrets, comparing with every one in constant
    /// time so timing says nothing about which matched or how much of it.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let matched = self.0.iter().fold(subtle::Choice::from(0), |acc, secret| {
            acc | secret.ct_eq(presented)
        });
        bool::from(matched)
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
    /// The sources whose push endpoint has a secret, in [`Source::ALL`] order (CloudTrail
    /// arrives through the AWS endpoint).
    pub fn configured(&self) -> Vec<crate::model::Source> {
        use crate::model::Source;
        Source::ALL
            .into_iter()
            .filter(|source| match source {
                Source::Github => !self.github.is_empty(),
                Source::Gitlab => !self.gitlab.is_empty(),
                Source::Cloudtrail | Source::Aws => !self.aws.is_empty(),
                Source::Gcp => !self.gcp.is_empty(),
                Source::Azure => !self.azure.is_empty(),
                Source::Okta => !self.okta.is_empty(),
                Source::Terraform => !self.terraform.is_empty(),
                Source::People => false,
            })
            .collect()
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
    // Check every secret, without stopping early, so timing says nothing about which matched.
    let matched = secrets
        .0
        .iter()
        .fold(subtle::Choice::from(0), |acc, secret| {
            acc | hmac_sha256(secret, body).ct_eq(&given)
        });
    if bool::from(matched) {
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
