//! A `KeyValue` in process memory, with the host's counter rules: for the unit
//! tests, the fuzz targets and the native benchmark build, which need state that
//! lives only as long as the process.

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::ports::{KeyValue, StoreError};

#[derive(Debug, Default)]
pub struct MemoryStore {
    /// The contents, open for tests to inspect or corrupt.
    pub map: RefCell<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    pub fn with(entries: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        MemoryStore {
            map: RefCell::new(entries.into_iter().collect()),
        }
    }
}

impl KeyValue for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.map.borrow().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.map
            .borrow_mut()
            .insert(key.to_string(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.map.borrow_mut().remove(key);
        Ok(())
    }

    /// As the `auth0-audit` host does: a value that is not a decimal counter,
    /// or an overflow, is an error, never a silent restart from zero.
    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError> {
        let mut map = self.map.borrow_mut();
        let current = match map.get(key) {
            None => 0,
            Some(v) => std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| StoreError(format!("increment {key}: value is not a counter")))?,
        };
        let next = current
            .checked_add(delta)
            .ok_or_else(|| StoreError(format!("increment {key}: overflow")))?;
        map.insert(key.to_string(), next.to_string().into_bytes());
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_follow_the_host_rules() {
        let kv = MemoryStore::default();
        assert_eq!(kv.increment("n", 2), Ok(2));
        assert_eq!(kv.increment("n", 3), Ok(5));
        kv.set("text", b"abc").unwrap();
        assert!(kv.increment("text", 1).is_err(), "not a counter");
        kv.set("max", u64::MAX.to_string().as_bytes()).unwrap();
        assert!(kv.increment("max", 1).is_err(), "overflow");
        assert_eq!(
            kv.get("max").unwrap(),
            Some(u64::MAX.to_string().into_bytes())
        );
    }
}
