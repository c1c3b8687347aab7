//! Signing keys of a token issuer, fetched from its JWKS URL and kept for as long as the issuer
//! says (`Cache-Control: max-age`, within bounds). A token naming a key the set does not hold
//! triggers one refetch (issuers rotate keys), at most once a minute, so a stream of forged key
//! ids cannot turn into a stream of requests to the issuer. When a refetch fails, the keys
//! already held keep working: an issuer's outage must not stop deliveries it signed earlier.

use chrono::Utc;
use domain::jwt::{self, Expected, Jwks};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long keys are kept when the issuer does not say.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// Bounds on the issuer's `max-age`: never refetch on every request, never keep keys for days.
const MIN_MAX_AGE: Duration = Duration::from_secs(60);
const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// The shortest time between two fetches caused by unknown key ids.
pub const REFETCH_GAP: Duration = Duration::from_secs(60);
/// A key set larger than this is not one.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

#[derive(Default)]
struct Cached {
    keys: Arc<Jwks>,
    /// The last successful fetch, and how long its keys are fresh.
    fetched: Option<Instant>,
    max_age: Duration,
    /// The last fetch tried, successful or not.
    attempted: Option<Instant>,
}

pub struct KeySet {
    url: String,
    client: reqwest::Client,
    cached: Mutex<Cached>,
    refetch_gap: Duration,
}

impl KeySet {
    pub fn new(url: impl Into<String>) -> Result<KeySet, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|err| format!("cannot build an HTTP client: {err}"))?;
        Ok(KeySet {
            url: url.into(),
            client,
            cached: Mutex::new(Cached::default()),
            refetch_gap: REFETCH_GAP,
        })
    }

    /// The same with another shortest time between fetches (tests shorten it).
    pub fn with_refetch_gap(mut self, gap: Duration) -> KeySet {
        self.refetch_gap = gap;
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The keys to check a token signed with `kid` against: the cached set while it is fresh
    /// and holds `kid`, else a fresh fetch (see the module's rules).
    pub async fn keys_for(&self, kid: Option<&str>) -> Result<Arc<Jwks>, String> {
        let mut cached = self.cached.lock().await;
        let fresh = cached
            .fetched
            .is_some_and(|at| at.elapsed() < cached.max_age);
        if fresh && cached.keys.has(kid) {
            return Ok(cached.keys.clone());
        }
        let may_fetch = cached
            .attempted
            .is_none_or(|at| at.elapsed() >= self.refetch_gap);
        if !may_fetch {
            return match cached.fetched {
                Some(_) => Ok(cached.keys.clone()),
                None => Err(format!(
                    "the signing keys from {} are not available yet (the last fetch failed)",
                    self.url
                )),
            };
        }
        cached.attempted = Some(Instant::now());
        match self.fetch().await {
            Ok((keys, max_age)) => {
                cached.keys = Arc::new(keys);
                cached.fetched = cached.attempted;
                cached.max_age = max_age;
                Ok(cached.keys.clone())
            }
            Err(err) if cached.fetched.is_some() => {
                tracing::warn!(url = %self.url, error = %err, "signing key refetch failed; keeping the keys held");
                Ok(cached.keys.clone())
            }
            Err(err) => Err(err),
        }
    }

    async fn fetch(&self) -> Result<(Jwks, Duration), String> {
        let failed =
            |err: String| format!("cannot fetch the signing keys from {}: {err}", self.url);
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|err| failed(err.to_string()))?;
        if !response.status().is_success() {
            return Err(failed(format!("HTTP {}", response.status())));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age)
            .unwrap_or(DEFAULT_MAX_AGE)
            .clamp(MIN_MAX_AGE, MAX_MAX_AGE);
        if response
            .content_length()
            .is_some_and(|len| len > MAX_JWKS_BYTES as u64)
        {
            return Err(failed("the key set is larger than 1 MiB".to_owned()));
        }
        let body = response
            .bytes()
            .await
            .map_err(|err| failed(err.to_string()))?;
        if body.len() > MAX_JWKS_BYTES {
            return Err(failed("the key set is larger than 1 MiB".to_owned()));
        }
        let keys = Jwks::parse(&body).map_err(failed)?;
        if keys.is_empty() {
            return Err(failed("the key set holds no RS256 signing key".to_owned()));
        }
        Ok((keys, max_age))
    }
}

/// How `/hooks/gcp` authenticates a Pub/Sub push request carrying an OIDC token: signed by
/// Google, for the configured audience, as one of the configured service accounts.
pub struct PubsubOidc {
    keys: KeySet,
    expected: Expected,
    service_accounts: Vec<String>,
}

impl PubsubOidc {
    pub fn new(keys: KeySet, audience: &str, service_accounts: Vec<String>) -> PubsubOidc {
        PubsubOidc {
            keys,
            expected: Expected {
                issuers: domain::webhook::GOOGLE_ISSUERS
                    .iter()
                    .map(|i| (*i).to_owned())
                    .collect(),
                audience: audience.to_owned(),
                leeway: chrono::Duration::seconds(60),
            },
            service_accounts,
        }
    }

    /// Ok when `token` is a valid push token; else the reason, for the 401.
    pub async fn verify(&self, token: &str) -> Result<(), String> {
        let kid = jwt::decode(token).map_err(|err| err.to_string())?.kid;
        let keys = self.keys.keys_for(kid.as_deref()).await?;
        let claims =
            jwt::verify(token, &keys, &self.expected, Utc::now()).map_err(|e| e.to_string())?;
        domain::webhook::gcp_check_push_identity(&claims, &self.service_accounts)
            .map_err(|err| err.to_string())
    }

    pub fn jwks_url(&self) -> &str {
        self.keys.url()
    }
}

/// The `max-age` of a `Cache-Control` value.
fn max_age(cache_control: &str) -> Option<Duration> {
    cache_control.split(',').find_map(|directive| {
        let (name, value) = directive.trim().split_once('=')?;
        (name.trim().eq_ignore_ascii_case("max-age"))
            .then(|| value.trim().trim_matches('"').parse().ok())
            .flatten()
            .map(Duration::from_secs)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(
            max_age("public, max-age=19994, must-revalidate, no-transform"),
            Some(Duration::from_secs(19994))
        );
        assert_eq!(max_age("MAX-AGE=\"60\""), Some(Duration::from_secs(60)));
        assert_eq!(max_age("no-cache"), None);
        assert_eq!(max_age("max-age=soon"), None);
    }
}
