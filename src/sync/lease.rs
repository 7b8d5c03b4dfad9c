//! Which run of a stream may deliver: the newest one. wasi:keyvalue 0.2.0-draft
//! has no compare-and-swap, only `increment`, so each run draws a ticket from it
//! and claims the stream with that ticket; a run that finds a newer ticket stops
//! before its next delivery. Concurrent schedulers therefore duplicate at most the
//! batch in flight when they overlap, and a process restarted after a crash
//! never waits for a dead run's lease to expire (there is no expiry to wait for).

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::event::format_ms;
use crate::ports::{Clock, KeyValue};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Claim {
    ticket: u64,
    claimed_at: String,
}

/// Where this run stands when it is about to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Holding,
    /// A run that started later claimed the stream at `claimed_at`.
    Superseded {
        ticket: u64,
        claimed_at: String,
    },
}

pub struct Lease<'a> {
    kv: &'a dyn KeyValue,
    key: String,
    ticket: u64,
    claimed_at: String,
}

impl<'a> Lease<'a> {
    /// Draws a ticket from `ticket_key` and claims the stream at `key` with it.
    pub fn claim(
        kv: &'a dyn KeyValue,
        clock: &dyn Clock,
        key: String,
        ticket_key: &str,
    ) -> Result<Self, Error> {
        let ticket = kv.increment(ticket_key, 1)?;
        let lease = Lease {
            kv,
            key,
            ticket,
            claimed_at: format_ms(clock.now_unix_ms()),
        };
        lease.write()?;
        Ok(lease)
    }

    pub fn ticket(&self) -> u64 {
        self.ticket
    }

    fn write(&self) -> Result<(), Error> {
        let claim = Claim {
            ticket: self.ticket,
            claimed_at: self.claimed_at.clone(),
        };
        let bytes = serde_json::to_vec(&claim)
            .map_err(|e| Error::Storage(format!("encoding the stream lease: {e}")))?;
        self.kv.set(&self.key, &bytes)?;
        Ok(())
    }

    /// Reads the claim. An older ticket or a missing or unreadable claim means an
    /// older run wrote after us (or someone cleared it): we are still the newest,
    /// so we claim again and the older run stops at its next check.
    pub fn check(&self) -> Result<Standing, Error> {
        let stored = self
            .kv
            .get(&self.key)?
            .and_then(|bytes| serde_json::from_slice::<Claim>(&bytes).ok());
        match stored {
            Some(claim) if claim.ticket == self.ticket => Ok(Standing::Holding),
            Some(claim) if claim.ticket > self.ticket => Ok(Standing::Superseded {
                ticket: claim.ticket,
                claimed_at: claim.claimed_at,
            }),
            _ => {
                self.write()?;
                Ok(Standing::Holding)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeClock, MemKv};

    fn claim<'a>(kv: &'a MemKv, clock: &FakeClock) -> Lease<'a> {
        Lease::claim(kv, clock, "lease".into(), "tickets").unwrap()
    }

    #[test]
    fn the_newest_claim_wins_and_the_older_run_learns_it() {
        let kv = MemKv::default();
        let clock = FakeClock::new(1_700_000_000_000);
        let first = claim(&kv, &clock);
        assert_eq!(first.check().unwrap(), Standing::Holding);
        let second = claim(&kv, &clock);
        assert!(second.ticket() > first.ticket());
        assert!(matches!(
            first.check().unwrap(),
            Standing::Superseded { ticket, .. } if ticket == second.ticket()
        ));
        assert_eq!(second.check().unwrap(), Standing::Holding);
    }

    #[test]
    fn an_older_run_writing_late_is_overruled_at_the_next_check() {
        let kv = MemKv::default();
        let clock = FakeClock::new(1_700_000_000_000);
        let older = claim(&kv, &clock);
        let newer = claim(&kv, &clock);
        // The older run's claim lands after the newer one's (no compare-and-swap).
        older.write().unwrap();
        assert_eq!(newer.check().unwrap(), Standing::Holding);
        assert!(matches!(
            older.check().unwrap(),
            Standing::Superseded { .. }
        ));
    }

    #[test]
    fn a_missing_or_corrupt_claim_is_reclaimed() {
        let kv = MemKv::default();
        let clock = FakeClock::new(1_700_000_000_000);
        let lease = claim(&kv, &clock);
        kv.map.borrow_mut().remove("lease");
        assert_eq!(lease.check().unwrap(), Standing::Holding);
        kv.map
            .borrow_mut()
            .insert("lease".into(), b"{oops".to_vec());
        assert_eq!(lease.check().unwrap(), Standing::Holding);
        assert!(
            kv.map
                .borrow()
                .get("lease")
                .is_some_and(|v| v.starts_with(b"{\"ticket\""))
        );
    }

    #[test]
    fn a_store_failure_is_a_storage_error() {
        let kv = MemKv::default();
        let clock = FakeClock::new(1_700_000_000_000);
        kv.fail_sets.set(true);
        assert!(matches!(
            Lease::claim(&kv, &clock, "lease".into(), "tickets"),
            Err(Error::Storage(_))
        ));
    }
}
