//! Auth0-style token bucket and its `x-ratelimit-*` / `Retry-After` headers; time is
//! passed in so the arithmetic is testable without sleeping.

use std::time::Instant;

use crate::config::RateLimit;

/// One token bucket (Auth0 uses one per tenant for the Management API).
#[derive(Clone, Debug)]
pub(crate) struct Bucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    last: Instant,
}

/// The outcome of one request against the bucket, with the header values.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// UNIX epoch seconds when tokens are next added.
    pub reset_epoch_secs: i64,
    /// Whole seconds until a request can succeed (>= 1), for 429s.
    pub retry_after_secs: u64,
}

impl Decision {
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", self.reset_epoch_secs.to_string()),
        ]
    }
}

impl Bucket {
    pub fn new(limit: RateLimit, now: Instant) -> Self {
        let rate = if limit.per_second.is_finite() && limit.per_second > 0.0 {
            limit.per_second
        } else {
            1.0
        };
        let capacity = f64::from(limit.burst.max(1));
        Self {
            capacity,
            rate,
            tokens: capacity,
            last: now,
        }
    }

    /// Refills for the time since the last call, then takes one token if there is one.
    pub fn take(&mut self, now: Instant, now_epoch_ms: i64) -> Decision {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        let allowed = self.tokens >= 1.0;
        if allowed {
            self.tokens -= 1.0;
        }
        // Time until the next whole token is added (0 when the bucket is full).
        let to_next = if self.tokens >= self.capacity {
            0.0
        } else {
            let frac = self.tokens - self.tokens.floor();
            (1.0 - frac) / self.rate
        };
        let reset_ms = now_epoch_ms as f64 + to_next * 1000.0;
        let reset_epoch_secs = (reset_ms / 1000.0).ceil() as i64;
        let retry_after_secs = ((1.0 - self.tokens).max(0.0) / self.rate).ceil().max(1.0) as u64;
        Decision {
            allowed,
            limit: self.capacity as u32,
            remaining: self.tokens.floor().max(0.0) as u32,
            reset_epoch_secs,
            retry_after_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill() {
        let t0 = Instant::now();
        let epoch = 1_700_000_000_000i64;
        let mut b = Bucket::new(
            RateLimit {
                burst: 3,
                per_second: 2.0,
            },
            t0,
        );
        let d = b.take(t0, epoch);
        assert!(d.allowed);
        assert_eq!((d.limit, d.remaining), (3, 2));
        // Next token (from 2.0 to 3.0) arrives in 0.5 s -> reset = ceil(epoch + 0.5 s).
        assert_eq!(d.reset_epoch_secs, 1_700_000_001);
        assert!(b.take(t0, epoch).allowed);
        let d = b.take(t0, epoch);
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        let d = b.take(t0, epoch);
        assert!(!d.allowed);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.retry_after_secs, 1);
        // 0.5 s later one token is back.
        let t1 = t0 + Duration::from_millis(500);
        let d = b.take(t1, epoch + 500);
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.headers()[0], ("x-ratelimit-limit", "3".to_string()));
    }

    #[test]
    fn slow_refill_retry_after_is_whole_seconds() {
        let t0 = Instant::now();
        let mut b = Bucket::new(
            RateLimit {
                burst: 1,
                per_second: 0.25,
            },
            t0,
        );
        assert!(b.take(t0, 0).allowed);
        let d = b.take(t0, 0);
        assert!(!d.allowed);
        assert_eq!(d.retry_after_secs, 4);
        assert_eq!(d.reset_epoch_secs, 4);
        // A full bucket resets "now".
        let d = Bucket::new(
            RateLimit {
                burst: 5,
                per_second: 1.0,
            },
            t0,
        )
        .take(t0 + Duration::from_secs(100), 1_500);
        assert!(d.allowed && d.remaining == 4);
        assert_eq!(d.reset_epoch_secs, 3);
    }
}
