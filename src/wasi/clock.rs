//! `Clock` over wasi:clocks and wasi:random.

use ::wasi::clocks::{monotonic_clock, wall_clock};

use crate::ports::Clock;

pub struct WasiClock;

impl Clock for WasiClock {
    fn now_unix_ms(&self) -> i64 {
        let now = wall_clock::now();
        (now.seconds as i64).saturating_mul(1000) + i64::from(now.nanoseconds / 1_000_000)
    }

    fn monotonic_ms(&self) -> u64 {
        monotonic_clock::now() / 1_000_000
    }

    fn sleep_ms(&self, ms: u64) {
        if ms > 0 {
            monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
        }
    }

    fn random_u64(&self) -> u64 {
        ::wasi::random::random::get_random_u64()
    }
}
