//! Per-client rate limits (token buckets keyed by the client's address): sign-in endpoints and
//! webhooks answer 429 with `Retry-After` once a client has spent its allowance.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Clients remembered at most; when full, buckets that have refilled are forgotten first.
const MAX_CLIENTS: usize = 100_000;

/// A limit of `per_minute` requests per client, with bursts up to the same number.
pub struct RateLimit {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimit {
    /// `per_minute` 0 means no limit.
    pub fn per_minute(per_minute: u32) -> RateLimit {
        RateLimit {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `client`'s allowance at `now`: `Ok` when allowed, else how long
    /// until the next one will be.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        // A poisoned lock only means another request panicked mid-update: the counts are
        // still numbers, so keep limiting with them.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            let full_after = Duration::from_secs_f64(capacity / per_second);
            buckets.retain(|_, b| now.saturating_duration_since(b.at) < full_after);
            if buckets.len() >= MAX_CLIENTS {
                // Every remembered client is mid-burst: refuse newcomers rather than forget
                // the ones being limited.
                return Err(Duration::from_secs(1));
            }
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_waits_for_refill_and_others_are_not_affected() {
        let limit = RateLimit::per_minute(3);
        let start = Instant::now();
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        for _ in 0..3 {
            assert_eq!(limit.check(a, start), Ok(()));
        }
        let wait = limit.check(a, start).unwrap_err();
        assert!((19..=20).contains(&wait.as_secs()), "{wait:?}");
        assert_eq!(limit.check(b, start), Ok(()));
        // Twenty seconds give one request back (3 a minute), not more.
        let later = start + Duration::from_secs(20);
        assert_eq!(limit.check(a, later), Ok(()));
        assert!(limit.check(a, later).is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        let limit = RateLimit::per_minute(0);
        let now = Instant::now();
        for _ in 0..10_000 {
            assert_eq!(limit.check([127, 0, 0, 1].into(), now), Ok(()));
        }
    }
}
