//! In-process key-value backend: state lives as long as the process.

use super::{KeyPage, KvBackend, LIST_PAGE_SIZE, add_to_counter, cursor_offset};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// `(bucket, key) -> value`.
type Map = BTreeMap<(String, String), Vec<u8>>;

/// Map of (bucket, key) to value; clones share the same map, so every store of
/// a process (and every `Runtime` given a clone) sees the same state.
#[derive(Clone, Default)]
pub struct MemoryKv {
    map: Arc<Mutex<Map>>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> anyhow::Result<MutexGuard<'_, Map>> {
        self.map
            .lock()
            .map_err(|_| anyhow::anyhow!("memory key-value store lock poisoned"))
    }
}

fn entry(bucket: &str, key: &str) -> (String, String) {
    (bucket.to_string(), key.to_string())
}

impl KvBackend for MemoryKv {
    fn get(&self, bucket: &str, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.lock()?.get(&entry(bucket, key)).cloned())
    }

    fn set(&self, bucket: &str, key: &str, value: &[u8]) -> anyhow::Result<()> {
        self.lock()?.insert(entry(bucket, key), value.to_vec());
        Ok(())
    }

    fn delete(&self, bucket: &str, key: &str) -> anyhow::Result<()> {
        self.lock()?.remove(&entry(bucket, key));
        Ok(())
    }

    fn exists(&self, bucket: &str, key: &str) -> anyhow::Result<bool> {
        Ok(self.lock()?.contains_key(&entry(bucket, key)))
    }

    fn list_keys(&self, bucket: &str, cursor: Option<u64>) -> anyhow::Result<KeyPage> {
        let offset = cursor_offset(cursor);
        let map = self.lock()?;
        let mut keys: Vec<String> = map
            .range(entry(bucket, "")..)
            .take_while(|((b, _), _)| b == bucket)
            .skip(offset)
            .take(LIST_PAGE_SIZE + 1)
            .map(|((_, k), _)| k.clone())
            .collect();
        let more = keys.len() > LIST_PAGE_SIZE;
        keys.truncate(LIST_PAGE_SIZE);
        let cursor = more.then(|| (offset + LIST_PAGE_SIZE) as u64);
        Ok(KeyPage { keys, cursor })
    }

    fn increment(&self, bucket: &str, key: &str, delta: u64) -> anyhow::Result<u64> {
        let mut map = self.lock()?;
        let slot = entry(bucket, key);
        let next = add_to_counter(map.get(&slot).map(Vec::as_slice), delta)?;
        map.insert(slot, next.to_string().into_bytes());
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::super::conformance;
    use super::*;

    #[test]
    fn conformance() -> anyhow::Result<()> {
        conformance::basic_operations(&MemoryKv::new())?;
        conformance::list_keys_pages(&MemoryKv::new())?;
        conformance::increment_semantics(&MemoryKv::new())?;
        conformance::concurrent_increments(vec![Arc::new(MemoryKv::new())])
    }

    #[test]
    fn clones_share_state() -> anyhow::Result<()> {
        let a = MemoryKv::new();
        let b = a.clone();
        a.set("", "k", b"v")?;
        assert_eq!(b.get("", "k")?, Some(b"v".to_vec()));
        Ok(())
    }
}
