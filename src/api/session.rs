//! What every request of one run shares: the ports, the validated tenant, the
//! time budget, the retry policy, the rate-limit pacer and the counters.

use crate::budget::Budget;
use crate::error::Error;
use crate::ports::Ports;
use crate::ratelimit::Pacer;
use crate::retry::Backoff;
use crate::tenant::Tenant;

/// Why a request loop stopped without a result.
#[derive(Debug)]
pub enum Failure {
    /// A typed error for the caller.
    Job(Error),
    /// The time budget says stop fetching; not an error, the run commits and ends.
    OutOfTime,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Job(e)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Counters {
    pub api_requests: u32,
    pub sink_requests: u32,
    pub retries: u32,
    pub rate_limit_waits: u32,
    pub rate_limit_wait_ms: u64,
}

/// Consecutive 429s tolerated on one request before the run gives up.
pub const MAX_THROTTLED: u32 = 30;

pub struct Session<'a> {
    pub ports: Ports<'a>,
    pub tenant: &'a Tenant,
    pub budget: Budget,
    pub backoff: Backoff,
    pub timeout_ms: u64,
    pub pacer: Pacer,
    pub counters: Counters,
}

impl<'a> Session<'a> {
    pub fn new(
        ports: Ports<'a>,
        tenant: &'a Tenant,
        budget: Budget,
        attempts: u32,
        timeout_ms: u64,
    ) -> Self {
        Session {
            ports,
            tenant,
            budget,
            backoff: Backoff::new(attempts),
            timeout_ms,
            pacer: Pacer::default(),
            counters: Counters::default(),
        }
    }

    pub fn request_timeout_ms(&self) -> u64 {
        self.budget.clamp_timeout(self.ports.clock, self.timeout_ms)
    }

    /// Sleeps before retry `attempt`, or reports that the budget cannot afford it.
    pub fn backoff_wait(&mut self, attempt: u32) -> Result<(), Failure> {
        let delay = self.backoff.delay_ms(attempt, self.ports.clock);
        if self.budget.wait_exceeds_fetch(self.ports.clock, delay) {
            return Err(Failure::OutOfTime);
        }
        self.ports.clock.sleep_ms(delay);
        self.counters.retries += 1;
        Ok(())
    }

    /// Sleeps for a rate-limit pause, counted separately from retries. A pause
    /// longer than the budget still waits out the budget before stopping, so a
    /// scheduler calling again at once does not hammer a throttled tenant.
    pub fn rate_limit_wait(&mut self, ms: u64) -> Result<(), Failure> {
        if ms == 0 {
            return Ok(());
        }
        if self.budget.wait_exceeds_fetch(self.ports.clock, ms) {
            let left = self
                .budget
                .fetch_remaining_ms(self.ports.clock)
                .unwrap_or(0);
            if left > 0 {
                self.ports.clock.sleep_ms(left);
                self.counters.rate_limit_waits += 1;
                self.counters.rate_limit_wait_ms += left;
            }
            return Err(Failure::OutOfTime);
        }
        self.ports.clock.sleep_ms(ms);
        self.counters.rate_limit_waits += 1;
        self.counters.rate_limit_wait_ms += ms;
        self.pacer.consumed_wait();
        Ok(())
    }

    /// Waits as the pacer says before a Management API request.
    pub fn pace(&mut self) -> Result<(), Failure> {
        if self.budget.fetching_over(self.ports.clock) {
            return Err(Failure::OutOfTime);
        }
        let wait = self.pacer.wait_before_next_ms(self.ports.clock);
        self.rate_limit_wait(wait)
    }
}
