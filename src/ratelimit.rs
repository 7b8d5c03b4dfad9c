//! Pacing from Auth0's `x-ratelimit-*` headers, so a backlog drains at the
//! tenant's limit instead of bouncing off 429s.

use crate::ports::{Clock, Response};

/// Longest single pause we accept from headers; guards against clock skew or
/// a hostile `x-ratelimit-reset` far in the future.
pub const MAX_WAIT_MS: u64 = 60_000;

#[derive(Debug, Default, Clone)]
pub struct Pacer {
    remaining: Option<u64>,
    reset_at_ms: Option<i64>,
}

impl Pacer {
    /// Records the bucket state a response reported.
    pub fn observe(&mut self, response: &Response) {
        let num = |name: &str| {
            response
                .header(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if let Some(remaining) = num("x-ratelimit-remaining") {
            self.remaining = Some(remaining);
            self.reset_at_ms = num("x-ratelimit-reset")
                .and_then(|s| i64::try_from(s).ok())
                .map(|s| s.saturating_mul(1000));
        }
    }

    /// How long to wait before the next request: zero while tokens remain, else
    /// until the bucket refills (plus a small margin for clock granularity).
    pub fn wait_before_next_ms(&self, clock: &dyn Clock) -> u64 {
        match (self.remaining, self.reset_at_ms) {
            (Some(0), Some(reset)) => {
                let now = clock.now_unix_ms();
                let wait = reset.saturating_sub(now).max(0) as u64 + 25;
                wait.min(MAX_WAIT_MS)
            }
            (Some(0), None) => 1_000,
            _ => 0,
        }
    }

    /// The wait a 429 asks for: `Retry-After` seconds, else the reset time.
    pub fn wait_after_429_ms(response: &Response, clock: &dyn Clock) -> Option<u64> {
        if let Some(secs) = response
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            return Some(secs.saturating_mul(1000).clamp(100, MAX_WAIT_MS));
        }
        let reset = response
            .header("x-ratelimit-reset")
            .and_then(|v| v.trim().parse::<i64>().ok())?;
        let wait = reset
            .saturating_mul(1000)
            .saturating_sub(clock.now_unix_ms());
        Some((wait.max(0) as u64 + 25).clamp(100, MAX_WAIT_MS))
    }

    /// Forgets the state after a wait, so the next response is trusted afresh.
    pub fn consumed_wait(&mut self) {
        self.remaining = None;
        self.reset_at_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeClock;

    fn resp(headers: &[(&str, &str)]) -> Response {
        Response {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn waits_only_when_the_bucket_is_empty() {
        let clock = FakeClock::new(1_700_000_000_000);
        let mut p = Pacer::default();
        assert_eq!(p.wait_before_next_ms(&clock), 0);
        p.observe(&resp(&[
            ("x-ratelimit-remaining", "3"),
            ("x-ratelimit-reset", "1700000001"),
        ]));
        assert_eq!(p.wait_before_next_ms(&clock), 0);
        p.observe(&resp(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000001"),
        ]));
        assert_eq!(p.wait_before_next_ms(&clock), 1_025);
        p.observe(&resp(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1600000000"),
        ]));
        assert_eq!(
            p.wait_before_next_ms(&clock),
            25,
            "reset in the past: barely wait"
        );
        p.observe(&resp(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1800000000"),
        ]));
        assert_eq!(
            p.wait_before_next_ms(&clock),
            MAX_WAIT_MS,
            "far future is capped"
        );
    }

    #[test]
    fn retry_after_wins_over_reset() {
        let clock = FakeClock::new(1_700_000_000_000);
        let r = resp(&[("retry-after", "2"), ("x-ratelimit-reset", "1700000005")]);
        assert_eq!(Pacer::wait_after_429_ms(&r, &clock), Some(2_000));
        let r = resp(&[("x-ratelimit-reset", "1700000003")]);
        assert_eq!(Pacer::wait_after_429_ms(&r, &clock), Some(3_025));
        assert_eq!(Pacer::wait_after_429_ms(&resp(&[]), &clock), None);
    }
}
