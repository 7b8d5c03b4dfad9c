//! The checkpoint: the greatest log_id the sink acknowledged. It is written only
//! after an acknowledgement and never moves backwards, even when a slower
//! concurrent run commits later.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::event::{format_ms, log_id_cmp};
use crate::model::CheckpointView;
use crate::ports::{Clock, KeyValue};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CheckpointRecord {
    /// None until the first event is committed.
    pub log_id: Option<String>,
    pub log_date: Option<String>,
    pub written_at: String,
    pub total_delivered: u64,
    pub total_filtered: u64,
    /// Set by `start: now` on an empty tenant: later runs start at this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_floor: Option<String>,
}

impl CheckpointRecord {
    pub fn view(&self) -> Option<CheckpointView> {
        Some(CheckpointView {
            log_id: self.log_id.clone()?,
            log_date: self.log_date.clone(),
            written_at: self.written_at.clone(),
            total_delivered: self.total_delivered,
            total_filtered: self.total_filtered,
        })
    }
}

/// What a commit did.
#[derive(Debug, PartialEq, Eq)]
pub enum Commit {
    Advanced(CheckpointRecord),
    /// Another run already committed this far or further; nothing was written.
    AlreadyAhead(CheckpointRecord),
}

pub struct CheckpointStore<'a> {
    kv: &'a dyn KeyValue,
    key: String,
}

impl<'a> CheckpointStore<'a> {
    pub fn new(kv: &'a dyn KeyValue, key: String) -> Self {
        CheckpointStore { kv, key }
    }

    /// A corrupt record is an error, never "no checkpoint": restarting from the
    /// oldest log silently would flood the sink; skipping would lose events.
    pub fn load(&self) -> Result<Option<CheckpointRecord>, Error> {
        match self.kv.get(&self.key)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::Storage(format!(
                    "the checkpoint at {} is unreadable ({e}); fix or delete it deliberately",
                    self.key
                ))
            }),
        }
    }

    fn write(&self, record: &CheckpointRecord) -> Result<(), Error> {
        let bytes = serde_json::to_vec(record)
            .map_err(|e| Error::Storage(format!("encoding checkpoint: {e}")))?;
        self.kv.set(&self.key, &bytes)?;
        Ok(())
    }

    /// Records that the sink acknowledged everything up to `log_id`.
    pub fn commit(
        &self,
        clock: &dyn Clock,
        log_id: &str,
        log_date: Option<&str>,
        delivered: u64,
        filtered: u64,
    ) -> Result<Commit, Error> {
        let current = self.load()?.unwrap_or_default();
        if let Some(stored) = &current.log_id
            && log_id_cmp(stored, log_id).is_ge()
        {
            return Ok(Commit::AlreadyAhead(current));
        }
        let record = CheckpointRecord {
            log_id: Some(log_id.to_string()),
            log_date: log_date.map(str::to_string),
            written_at: format_ms(clock.now_unix_ms()),
            total_delivered: current.total_delivered + delivered,
            total_filtered: current.total_filtered + filtered,
            start_floor: None,
        };
        self.write(&record)?;
        Ok(Commit::Advanced(record))
    }

    /// Remembers where a first `now` sync on an empty tenant starts.
    pub fn set_floor(&self, clock: &dyn Clock, floor: &str) -> Result<(), Error> {
        self.write(&CheckpointRecord {
            start_floor: Some(floor.to_string()),
            written_at: format_ms(clock.now_unix_ms()),
            ..CheckpointRecord::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeClock, MemKv};

    #[test]
    fn never_moves_backwards_and_accumulates_totals() {
        let kv = MemKv::default();
        let clock = FakeClock::new(1_700_000_000_000);
        let store = CheckpointStore::new(&kv, "cp".into());
        assert_eq!(store.load(), Ok(None));
        assert!(matches!(
            store.commit(&clock, "200", None, 5, 1),
            Ok(Commit::Advanced(_))
        ));
        assert!(matches!(
            store.commit(&clock, "150", None, 3, 0),
            Ok(Commit::AlreadyAhead(_))
        ));
        assert!(matches!(
            store.commit(&clock, "200", None, 3, 0),
            Ok(Commit::AlreadyAhead(_))
        ));
        assert!(matches!(
            store.commit(&clock, "1000", Some("d"), 2, 2),
            Ok(Commit::Advanced(_))
        ));
        let r = store.load().ok().flatten().unwrap_or_default();
        assert_eq!(r.log_id.as_deref(), Some("1000"));
        assert_eq!((r.total_delivered, r.total_filtered), (7, 3));
    }

    #[test]
    fn corrupt_checkpoint_is_a_storage_error() {
        let kv = MemKv::default();
        kv.map
            .borrow_mut()
            .insert("cp".into(), b"{not json".to_vec());
        let store = CheckpointStore::new(&kv, "cp".into());
        assert!(matches!(store.load(), Err(Error::Storage(_))));
    }
}
