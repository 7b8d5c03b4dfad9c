//! Loud gap detection: a checkpoint older than the tenant's retention, or a
//! first new event far newer than the checkpoint, means events may be lost.

use crate::event::{LogEvent, date_ms, log_id_time_ms};
use crate::model::Warning;
use crate::sync::checkpoint::CheckpointRecord;

const HOUR_MS: i64 = 3_600_000;

fn checkpoint_time_ms(cp: &CheckpointRecord) -> Option<i64> {
    cp.log_date
        .as_deref()
        .and_then(date_ms)
        .or_else(|| cp.log_id.as_deref().and_then(log_id_time_ms))
}

/// The checkpoint's event is older than the retention: anything logged between it
/// and the retention horizon may have been deleted before it could be copied.
pub fn retention_warning(
    cp: &CheckpointRecord,
    now_ms: i64,
    retention_days: u32,
) -> Option<Warning> {
    let t = checkpoint_time_ms(cp)?;
    let age = now_ms - t;
    let retention = i64::from(retention_days) * 24 * HOUR_MS;
    (age > retention).then(|| {
        Warning::new(
            "retention-gap",
            format!(
                "the checkpoint is {:.1} days old, older than the {retention_days}-day log retention: events after it may have expired before they were copied",
                age as f64 / (24 * HOUR_MS) as f64
            ),
        )
    })
}

/// The first event after the checkpoint was ingested long after it: the tenant may
/// have been idle, or events in between expired.
pub fn gap_warning(cp: &CheckpointRecord, first: &LogEvent, threshold_s: u64) -> Option<Warning> {
    let before = cp
        .log_id
        .as_deref()
        .and_then(log_id_time_ms)
        .or_else(|| checkpoint_time_ms(cp))?;
    let after = log_id_time_ms(&first.log_id).or_else(|| first.time_ms())?;
    let gap_ms = after - before;
    (gap_ms > threshold_s.saturating_mul(1000) as i64).then(|| {
        Warning::new(
            "gap-suspected",
            format!(
                "{:.1} hours passed between the checkpoint and the first new event; unless the tenant was idle, events in between may be missing",
                gap_ms as f64 / HOUR_MS as f64
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::LogEvent;

    fn cp(id: &str) -> CheckpointRecord {
        CheckpointRecord {
            log_id: Some(id.into()),
            ..CheckpointRecord::default()
        }
    }

    fn event(id: &str) -> Option<LogEvent> {
        LogEvent::parse(&format!(r#"{{"log_id":"{id}"}}"#), 0).ok()
    }

    const DAY1: &str = "90020241024000000000000000000000000000000000000000000001";
    const DAY1_LATER: &str = "90020241024010000000000000000000000000000000000000000002";
    const DAY3: &str = "90020241026000000000000000000000000000000000000000000003";

    #[test]
    fn retention_warning_after_retention_days() {
        let t = log_id_time_ms(DAY1).unwrap_or_default();
        assert!(retention_warning(&cp(DAY1), t + 23 * HOUR_MS, 1).is_none());
        let w = retention_warning(&cp(DAY1), t + 25 * HOUR_MS, 1);
        assert_eq!(w.map(|w| w.code), Some("retention-gap".to_string()));
        assert!(retention_warning(&cp(DAY1), t + 25 * HOUR_MS, 5).is_none());
    }

    #[test]
    fn gap_warning_when_first_event_is_far_newer() {
        let later = event(DAY1_LATER);
        let far = event(DAY3);
        assert!(later.is_some_and(|e| gap_warning(&cp(DAY1), &e, 6 * 3600).is_none()));
        assert!(far.is_some_and(|e| gap_warning(&cp(DAY1), &e, 6 * 3600).is_some()));
    }
}
