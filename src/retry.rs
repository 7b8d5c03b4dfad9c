//! Bounded exponential backoff with jitter, shared by the Management API client
//! and the sink: many connectors retrying in lockstep would shed load on each other.

use crate::ports::Clock;

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base_ms: u64,
    pub max_ms: u64,
    /// Total attempts including the first one.
    pub attempts: u32,
}

impl Backoff {
    pub fn new(attempts: u32) -> Self {
        Backoff {
            base_ms: 250,
            max_ms: 20_000,
            attempts: attempts.max(1),
        }
    }

    /// Delay before attempt `attempt + 1` (attempt counts from 1): half fixed,
    /// half random, so the delay grows but never collapses to zero.
    pub fn delay_ms(&self, attempt: u32, clock: &dyn Clock) -> u64 {
        let exp = self
            .base_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
            .min(self.max_ms);
        let half = exp / 2;
        half + clock.random_u64() % (half + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeClock;

    #[test]
    fn delays_grow_are_bounded_and_jittered() {
        let clock = FakeClock::new(0);
        let b = Backoff::new(6);
        let mut last_cap = 0;
        for attempt in 1..=12 {
            let d = b.delay_ms(attempt, &clock);
            let cap = (250u64 << (attempt - 1)).min(20_000);
            assert!(d >= cap / 2 && d <= cap, "attempt {attempt}: {d}");
            assert!(cap >= last_cap);
            last_cap = cap;
        }
    }
}
