//! Resource limits of one guest call: a linear-memory cap that also records the
//! peak (for benchmarks), and a wall-clock limit driven by epoch interruption.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use wasmtime::{Engine, ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// Default cap of one instance's linear memory.
pub const DEFAULT_MEMORY_LIMIT_BYTES: usize = 64 * 1024 * 1024;

/// How often the engine epoch advances; the resolution of the wall-clock limit.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// `StoreLimits` plus bookkeeping: total linear memory now, at its peak, and
/// whether a growth was refused (so a resulting trap can be explained).
pub struct PeakLimiter {
    inner: StoreLimits,
    limit_bytes: usize,
    current_bytes: usize,
    peak_bytes: usize,
    refused: bool,
}

impl PeakLimiter {
    pub fn new(limit_bytes: usize) -> Self {
        Self {
            inner: StoreLimitsBuilder::new()
                .memory_size(limit_bytes)
                .instances(16)
                .build(),
            limit_bytes,
            current_bytes: 0,
            peak_bytes: 0,
            refused: false,
        }
    }

    /// Largest total linear memory seen, in bytes.
    pub fn peak_bytes(&self) -> usize {
        self.peak_bytes
    }

    /// Whether a memory growth was refused because of the cap.
    pub fn refused(&self) -> bool {
        self.refused
    }

    pub fn limit_bytes(&self) -> usize {
        self.limit_bytes
    }
}

impl ResourceLimiter for PeakLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?;
        if allowed {
            self.current_bytes = self
                .current_bytes
                .saturating_add(desired.saturating_sub(current));
            self.peak_bytes = self.peak_bytes.max(self.current_bytes);
        } else {
            self.refused = true;
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// Epoch ticks that make up `limit` (at least one).
pub fn deadline_ticks(limit: Duration) -> u64 {
    let ticks = limit.as_nanos() / EPOCH_TICK.as_nanos();
    u64::try_from(ticks).unwrap_or(u64::MAX / 2).max(1)
}

/// Deadline for calls without a wall-clock limit: far enough never to fire.
pub const NO_DEADLINE_TICKS: u64 = u64::MAX / 2;

/// The message of a call stopped by the wall-clock limit.
pub fn wall_clock_message(limit: Duration) -> String {
    format!("wall-clock limit of {} s exceeded", limit.as_secs_f64())
}

/// The message of a call that trapped after a refused memory growth.
pub fn memory_message(limit_bytes: usize) -> String {
    let mib = limit_bytes as f64 / (1024.0 * 1024.0);
    format!("memory limit of {mib} MiB exceeded")
}

/// A thread advancing the engine epoch every [`EPOCH_TICK`] until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub fn start(engine: Engine) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("auth0-audit-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_peak_and_refusal() -> wasmtime::Result<()> {
        let mut limiter = PeakLimiter::new(1 << 20);
        assert!(limiter.memory_growing(0, 64 << 10, None)?);
        assert!(limiter.memory_growing(64 << 10, 512 << 10, None)?);
        assert_eq!(limiter.peak_bytes(), 512 << 10);
        assert!(!limiter.refused());
        assert!(!limiter.memory_growing(512 << 10, 2 << 20, None)?);
        assert!(limiter.refused());
        assert_eq!(limiter.peak_bytes(), 512 << 10);
        Ok(())
    }

    #[test]
    fn messages() {
        assert_eq!(
            wall_clock_message(Duration::from_secs(30)),
            "wall-clock limit of 30 s exceeded"
        );
        assert_eq!(
            wall_clock_message(Duration::from_millis(500)),
            "wall-clock limit of 0.5 s exceeded"
        );
        assert_eq!(memory_message(64 << 20), "memory limit of 64 MiB exceeded");
        assert_eq!(deadline_ticks(Duration::from_secs(1)), 100);
        assert_eq!(deadline_ticks(Duration::from_millis(1)), 1);
    }
}
