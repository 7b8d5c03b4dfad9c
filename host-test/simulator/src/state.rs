//! The state shared by the server tasks and the `Simulator` handle: config,
//! event store, directory, tokens, buckets, faults and stats, each behind its own lock.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use crate::config::SimConfig;
use crate::events::Generator;
use crate::faults::Faults;
use crate::logs::LogStore;
use crate::ratelimit::Bucket;
use crate::stats::SimStats;
use crate::tenant::TenantState;
use crate::token::TokenStore;

pub(crate) struct Shared {
    pub config: SimConfig,
    pub base_url: String,
    pub generator: Generator,
    pub logs: RwLock<LogStore>,
    pub tenant: Mutex<TenantState>,
    pub tokens: Mutex<TokenStore>,
    pub api_bucket: Mutex<Option<Bucket>>,
    pub token_bucket: Mutex<Option<Bucket>>,
    pub faults: Mutex<Faults>,
    pub stats: Mutex<SimStats>,
}

impl Shared {
    pub fn audience(&self) -> String {
        format!("{}/api/v2/", self.base_url)
    }

    /// Ingest-time cutoff for retention (events ingested before it are gone).
    pub fn retention_cutoff_ms(&self, now_ms: i64) -> Option<i64> {
        self.config
            .retention
            .map(|r| now_ms.saturating_sub(r.num_milliseconds()))
    }
}

/// Wall-clock now in epoch milliseconds.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Monotonic now.
pub(crate) fn now() -> Instant {
    Instant::now()
}

/// Locks ignoring poisoning: a panicked holder must not take the simulator down.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}
