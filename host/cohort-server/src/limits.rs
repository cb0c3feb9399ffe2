//! Token-bucket rate limits, keyed by a string: per API key id (refilled at `rate_per_second` up to `rate_burst`;
//! a request that finds the bucket empty is answered 429 with `Retry-After`, as Segment does), and per client
//! address for failed authentications (each failure takes a token; an address with none left is refused before its
//! key is checked, so keys cannot be guessed at speed).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Keys whose buckets are kept; beyond it, full (idle) buckets are dropped first. Bounds memory whatever the
/// number of keys.
const MAX_BUCKETS: usize = 10_000;

/// The rate limiter of one server.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `rate` requests per second on average, `burst` at once.
    pub fn new(rate: f64, burst: f64) -> Self {
        Self {
            rate,
            burst,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key_id` has a token at `now`, without taking it: `Ok(())`, or `Err(seconds)` to wait.
    pub fn check(&self, key_id: &str, now: Instant) -> Result<(), u64> {
        let buckets = self.lock();
        match buckets.get(key_id) {
            None => Ok(()),
            Some(&(tokens, at)) => self.ready(self.refilled(tokens, at, now)),
        }
    }

    /// Takes one token for `key_id` at `now`: `Ok(())`, or `Err(seconds)` to wait before a token is there.
    pub fn take(&self, key_id: &str, now: Instant) -> Result<(), u64> {
        let mut buckets = self.lock();
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key_id) {
            buckets.retain(|_, (tokens, at)| self.refilled(*tokens, *at, now) < self.burst);
        }
        let (tokens, at) = buckets
            .entry(key_id.to_string())
            .or_insert((self.burst, now));
        *tokens = self.refilled(*tokens, *at, now);
        *at = now;
        self.ready(*tokens)?;
        *tokens -= 1.0;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (f64, Instant)>> {
        match self.buckets.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// A bucket's tokens at `now`, refilled since `at` up to the burst.
    fn refilled(&self, tokens: f64, at: Instant, now: Instant) -> f64 {
        (tokens + now.saturating_duration_since(at).as_secs_f64() * self.rate).min(self.burst)
    }

    /// `Ok(())` when a whole token is there, else the seconds until one is.
    fn ready(&self, tokens: f64) -> Result<(), u64> {
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(((1.0 - tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_refusal_then_refill() {
        let l = RateLimiter::new(2.0, 3.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.take("k", t0), Ok(()));
        }
        assert_eq!(l.take("k", t0), Err(1));
        // Another key has its own bucket.
        assert_eq!(l.take("other", t0), Ok(()));
        assert_eq!(l.take("k", t0 + Duration::from_millis(500)), Ok(()));
        assert!(l.take("k", t0 + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn check_looks_without_taking() {
        let l = RateLimiter::new(0.5, 2.0);
        let t0 = Instant::now();
        assert_eq!(l.check("ip", t0), Ok(()));
        assert_eq!(l.check("ip", t0), Ok(()), "a check takes nothing");
        l.take("ip", t0).unwrap();
        l.take("ip", t0).unwrap();
        assert_eq!(l.check("ip", t0), Err(2));
        assert_eq!(l.check("ip", t0 + Duration::from_secs(2)), Ok(()));
    }
}
