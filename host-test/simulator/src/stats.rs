//! Request counters the tests and benchmarks read back (`Simulator::stats`).

use std::collections::BTreeMap;

use serde::Serialize;

/// Counters since start; `by_route` keys look like `GET /api/v2/logs`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SimStats {
    /// All requests answered, any route or status.
    pub requests_total: u64,
    pub by_route: BTreeMap<String, u64>,
    pub by_status: BTreeMap<u16, u64>,
    /// 429s sent, whatever the reason (bucket, fault, `fail_next`).
    pub rate_limited: u64,
    /// 429s sent because the token bucket was empty.
    pub bucket_429s: u64,
    pub tokens_issued: u64,
    pub bytes_served: u64,
    /// Injected faults by name (`429`, `500`, `reset_mid_body`, `fail_next`, ...).
    pub faults: BTreeMap<String, u64>,
    /// Log events served by both logs modes (repeats included).
    pub events_served: u64,
}

impl SimStats {
    pub(crate) fn record(&mut self, route: &str, status: u16, bytes: usize) {
        self.requests_total += 1;
        *self.by_route.entry(route.to_string()).or_default() += 1;
        *self.by_status.entry(status).or_default() += 1;
        if status == 429 {
            self.rate_limited += 1;
        }
        self.bytes_served += bytes as u64;
    }

    pub(crate) fn fault(&mut self, name: &str) {
        *self.faults.entry(name.to_string()).or_default() += 1;
    }

    /// Requests answered with `status`.
    pub fn status_count(&self, status: u16) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Requests to `route` (e.g. `GET /api/v2/logs`).
    pub fn route_count(&self, route: &str) -> u64 {
        self.by_route.get(route).copied().unwrap_or(0)
    }
}
