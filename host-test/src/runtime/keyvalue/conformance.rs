//! Behaviour every [`KvBackend`] must share, run against each backend's tests.

use super::{KvBackend, LIST_PAGE_SIZE};
use std::sync::Arc;

pub fn basic_operations(kv: &dyn KvBackend) -> anyhow::Result<()> {
    assert_eq!(kv.get("", "a")?, None);
    assert!(!kv.exists("", "a")?);
    kv.set("", "a", b"1")?;
    kv.set("", "a", b"2")?;
    assert_eq!(kv.get("", "a")?, Some(b"2".to_vec()));
    assert!(kv.exists("", "a")?);
    // Buckets are namespaces: the same key elsewhere is independent.
    assert_eq!(kv.get("default", "a")?, None);
    kv.set("default", "a", b"other")?;
    assert_eq!(kv.get("", "a")?, Some(b"2".to_vec()));
    kv.delete("", "a")?;
    assert!(!kv.exists("", "a")?);
    kv.delete("", "never-set")?;
    assert_eq!(kv.get("default", "a")?, Some(b"other".to_vec()));
    Ok(())
}

pub fn list_keys_pages(kv: &dyn KvBackend) -> anyhow::Result<()> {
    let total = LIST_PAGE_SIZE * 2 + LIST_PAGE_SIZE / 2;
    for i in 0..total {
        kv.set("pages", &format!("key-{i:04}"), b"v")?;
    }
    kv.set("other", "key-x", b"v")?;
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = kv.list_keys("pages", cursor)?;
        pages += 1;
        assert!(page.keys.len() <= LIST_PAGE_SIZE);
        seen.extend(page.keys);
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..total).map(|i| format!("key-{i:04}")).collect();
    assert_eq!(seen, expected);
    assert!(kv.list_keys("pages", Some(u64::MAX))?.keys.is_empty());
    assert!(kv.list_keys("empty", None)?.keys.is_empty());
    Ok(())
}

pub fn increment_semantics(kv: &dyn KvBackend) -> anyhow::Result<()> {
    assert_eq!(kv.increment("", "n", 5)?, 5);
    assert_eq!(kv.increment("", "n", 0)?, 5);
    assert_eq!(kv.get("", "n")?, Some(b"5".to_vec()));
    kv.set("", "n", b"41")?;
    assert_eq!(kv.increment("", "n", 1)?, 42);
    kv.set("", "text", b"abc")?;
    assert!(kv.increment("", "text", 1).is_err());
    kv.set("", "max", u64::MAX.to_string().as_bytes())?;
    assert!(kv.increment("", "max", 1).is_err());
    Ok(())
}

/// Several threads incrementing one counter lose no update.
pub fn concurrent_increments(kvs: Vec<Arc<dyn KvBackend>>) -> anyhow::Result<()> {
    const PER_THREAD: u64 = 100;
    const THREADS: usize = 8;
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let kv = kvs[i % kvs.len()].clone();
            std::thread::spawn(move || -> anyhow::Result<()> {
                for _ in 0..PER_THREAD {
                    kv.increment("", "counter", 1)?;
                }
                Ok(())
            })
        })
        .collect();
    for handle in handles {
        handle
            .join()
            .map_err(|_| anyhow::anyhow!("increment thread panicked"))??;
    }
    assert_eq!(
        kvs[0].increment("", "counter", 0)?,
        PER_THREAD * THREADS as u64
    );
    Ok(())
}
