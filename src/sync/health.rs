//! Run health kept per stream: a connector that silently stops is the failure
//! users fear most, so every run records success or failure where `status` reads it.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::RunHealth;
use crate::ports::KeyValue;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct HealthRecord {
    last_success: Option<String>,
    last_attempt: Option<String>,
    consecutive_failures: u32,
    last_error: Option<String>,
}

pub struct HealthStore<'a> {
    kv: &'a dyn KeyValue,
    key: String,
}

impl<'a> HealthStore<'a> {
    pub fn new(kv: &'a dyn KeyValue, key: String) -> Self {
        HealthStore { kv, key }
    }

    /// An unreadable health record is replaced, not fatal: it holds no position.
    pub fn load(&self) -> Result<RunHealth, Error> {
        let record: HealthRecord = match self.kv.get(&self.key)? {
            Some(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
            None => HealthRecord::default(),
        };
        Ok(RunHealth {
            last_success: record.last_success,
            last_attempt: record.last_attempt,
            consecutive_failures: record.consecutive_failures,
            last_error: record.last_error,
        })
    }

    pub fn save(&self, health: &RunHealth) -> Result<(), Error> {
        let record = HealthRecord {
            last_success: health.last_success.clone(),
            last_attempt: health.last_attempt.clone(),
            consecutive_failures: health.consecutive_failures,
            last_error: health.last_error.clone(),
        };
        let bytes = serde_json::to_vec(&record)
            .map_err(|e| Error::Storage(format!("encoding health: {e}")))?;
        self.kv.set(&self.key, &bytes)?;
        Ok(())
    }
}

/// Applies one run's outcome.
pub fn record_outcome(health: &mut RunHealth, now: &str, outcome: Result<(), &Error>) {
    health.last_attempt = Some(now.to_string());
    match outcome {
        Ok(()) => {
            health.last_success = Some(now.to_string());
            health.consecutive_failures = 0;
            health.last_error = None;
        }
        Err(e) => {
            health.consecutive_failures = health.consecutive_failures.saturating_add(1);
            health.last_error = Some(e.to_string());
        }
    }
}
