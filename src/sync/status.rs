//! `sync-status`: checkpoint, lag, health and gap warnings of one stream, read
//! from key-value alone so a scheduler can alert without calling Auth0.

use crate::error::Error;
use crate::event::{date_ms, log_id_time_ms};
use crate::keys;
use crate::model::{StatusReport, TenantConfig, Warning};
use crate::ports::Ports;
use crate::sync::checkpoint::{CheckpointRecord, CheckpointStore};
use crate::sync::gaps::retention_warning;
use crate::sync::health::HealthStore;
use crate::sync::options::{validate_retention, validate_stream};
use crate::tenant::Tenant;

pub fn sync_status(
    ports: Ports,
    tenant: &TenantConfig,
    stream: Option<&str>,
    retention_days: Option<u32>,
) -> Result<StatusReport, Error> {
    let tenant = Tenant::validate(tenant)?;
    let stream = validate_stream(stream)?;
    let retention_days = validate_retention(retention_days)?;
    let checkpoint =
        CheckpointStore::new(ports.kv, keys::checkpoint(&tenant.key, &stream)).load()?;
    let health = HealthStore::new(ports.kv, keys::health(&tenant.key, &stream)).load()?;
    let now = ports.clock.now_unix_ms();
    let mut warnings = Vec::new();
    if let Some(cp) = &checkpoint
        && let Some(w) = retention_warning(cp, now, retention_days)
    {
        warnings.push(w);
    }
    if health.consecutive_failures > 0 {
        warnings.push(Warning::new(
            "failing",
            format!(
                "the last {} run(s) failed; the last error: {}",
                health.consecutive_failures,
                health.last_error.as_deref().unwrap_or("unknown")
            ),
        ));
    }
    if checkpoint
        .as_ref()
        .and_then(|c| c.log_id.as_ref())
        .is_none()
    {
        warnings.push(Warning::new(
            "no-checkpoint",
            "no event has been delivered for this stream yet",
        ));
    }
    let lag_seconds = checkpoint.as_ref().and_then(|cp: &CheckpointRecord| {
        let t = cp
            .log_date
            .as_deref()
            .and_then(date_ms)
            .or_else(|| cp.log_id.as_deref().and_then(log_id_time_ms))?;
        Some(((now - t).max(0) / 1000) as u64)
    });
    Ok(StatusReport {
        stream,
        checkpoint: checkpoint.as_ref().and_then(CheckpointRecord::view),
        lag_seconds,
        health,
        warnings,
    })
}
