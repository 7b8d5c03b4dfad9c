//! The run's time budget: serverless hosts kill long invocations, so the job
//! stops fetching early enough to deliver and commit what it already has.

use crate::ports::Clock;

#[derive(Debug, Clone, Copy)]
pub struct Budget {
    start_ms: u64,
    /// Monotonic time at which fetching stops, if there is a budget.
    fetch_until_ms: Option<u64>,
    /// Monotonic time at which the budget is over.
    end_ms: Option<u64>,
}

impl Budget {
    pub fn new(clock: &dyn Clock, max_duration_ms: Option<u64>) -> Self {
        let start_ms = clock.monotonic_ms();
        let (fetch_until_ms, end_ms) = match max_duration_ms {
            None => (None, None),
            Some(max) => {
                // Keep a fifth of the budget (at most 10 s) to flush the last batch.
                let reserve = (max / 5).min(10_000);
                (Some(start_ms + max - reserve), Some(start_ms + max))
            }
        };
        Budget {
            start_ms,
            fetch_until_ms,
            end_ms,
        }
    }

    pub fn elapsed_ms(&self, clock: &dyn Clock) -> u64 {
        clock.monotonic_ms().saturating_sub(self.start_ms)
    }

    /// True once no new page should be fetched.
    pub fn fetching_over(&self, clock: &dyn Clock) -> bool {
        self.fetch_until_ms
            .is_some_and(|t| clock.monotonic_ms() >= t)
    }

    /// True if waiting `ms` now would run past the point where fetching stops.
    pub fn wait_exceeds_fetch(&self, clock: &dyn Clock, ms: u64) -> bool {
        self.fetch_until_ms
            .is_some_and(|t| clock.monotonic_ms().saturating_add(ms) >= t)
    }

    /// Milliseconds left before fetching stops (None: unbounded).
    pub fn fetch_remaining_ms(&self, clock: &dyn Clock) -> Option<u64> {
        self.fetch_until_ms
            .map(|t| t.saturating_sub(clock.monotonic_ms()))
    }

    /// Milliseconds left in the whole budget (None: unbounded).
    pub fn remaining_ms(&self, clock: &dyn Clock) -> Option<u64> {
        self.end_ms.map(|t| t.saturating_sub(clock.monotonic_ms()))
    }

    /// A request timeout that never outlives the budget.
    pub fn clamp_timeout(&self, clock: &dyn Clock, timeout_ms: u64) -> u64 {
        match self.remaining_ms(clock) {
            Some(left) => timeout_ms.min(left.max(1)),
            None => timeout_ms,
        }
    }
}
