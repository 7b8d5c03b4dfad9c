//! Fault injection for reliability tests: a backend whose reads and writes fail
//! at random, reproducibly from a seed.

use super::{KeyPage, KvBackend};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Wraps a backend; `get` and `set` fail with probability `p` (deterministic per seed).
pub struct FaultyKv {
    inner: Arc<dyn KvBackend>,
    probability: f64,
    state: AtomicU64,
    injected: AtomicU64,
}

impl FaultyKv {
    pub fn new(inner: Arc<dyn KvBackend>, probability: f64, seed: u64) -> Self {
        Self {
            inner,
            probability: probability.clamp(0.0, 1.0),
            state: AtomicU64::new(seed),
            injected: AtomicU64::new(0),
        }
    }

    /// How many operations failed on purpose so far.
    pub fn injected_faults(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }

    /// splitmix64 step; `Err` when this operation is chosen to fail.
    fn roll(&self, op: &str, key: &str) -> anyhow::Result<()> {
        let mut z = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let sample = (z >> 11) as f64 / (1u64 << 53) as f64;
        if sample < self.probability {
            self.injected.fetch_add(1, Ordering::Relaxed);
            anyhow::bail!("injected fault: {op} {key}");
        }
        Ok(())
    }
}

impl KvBackend for FaultyKv {
    fn get(&self, bucket: &str, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.roll("get", key)?;
        self.inner.get(bucket, key)
    }

    fn set(&self, bucket: &str, key: &str, value: &[u8]) -> anyhow::Result<()> {
        self.roll("set", key)?;
        self.inner.set(bucket, key, value)
    }

    fn delete(&self, bucket: &str, key: &str) -> anyhow::Result<()> {
        self.inner.delete(bucket, key)
    }

    fn exists(&self, bucket: &str, key: &str) -> anyhow::Result<bool> {
        self.inner.exists(bucket, key)
    }

    fn list_keys(&self, bucket: &str, cursor: Option<u64>) -> anyhow::Result<KeyPage> {
        self.inner.list_keys(bucket, cursor)
    }

    fn increment(&self, bucket: &str, key: &str, delta: u64) -> anyhow::Result<u64> {
        self.inner.increment(bucket, key, delta)
    }
}

#[cfg(test)]
mod tests {
    use super::super::MemoryKv;
    use super::*;

    fn failures(seed: u64) -> Vec<bool> {
        let kv = FaultyKv::new(Arc::new(MemoryKv::new()), 0.3, seed);
        (0..200)
            .map(|i| kv.set("", &i.to_string(), b"v").is_err())
            .collect()
    }

    #[test]
    fn fails_at_roughly_the_given_rate_reproducibly() {
        let a = failures(7);
        assert_eq!(a, failures(7));
        assert_ne!(a, failures(8));
        let count = a.iter().filter(|f| **f).count();
        assert!(
            (30..=90).contains(&count),
            "{count} failures of 200 at p=0.3"
        );
    }

    #[test]
    fn extremes() -> anyhow::Result<()> {
        let never = FaultyKv::new(Arc::new(MemoryKv::new()), 0.0, 1);
        never.set("", "k", b"v")?;
        assert_eq!(never.get("", "k")?, Some(b"v".to_vec()));
        let always = FaultyKv::new(Arc::new(MemoryKv::new()), 1.0, 1);
        assert!(always.get("", "k").is_err());
        assert_eq!(always.injected_faults(), 1);
        Ok(())
    }
}
