//! Sync options, validated and defaulted before anything is sent or stored.

use crate::error::Error;
use crate::event::{date_ms, format_ms};
use crate::model::{StartAt, SyncOptions};
use crate::sink::Sink;
use crate::sync::filter::TypeFilter;

pub const DEFAULT_STREAM: &str = "default";
pub const DEFAULT_RETENTION_DAYS: u32 = 1;
pub const DEFAULT_GAP_WARNING_S: u64 = 6 * 3600;
pub const DEFAULT_ATTEMPTS: u32 = 6;
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Oldest,
    Now,
    /// Normalised to `YYYY-MM-DDThh:mm:ss.mmmZ`, safe inside a Lucene range.
    Timestamp(String),
}

#[derive(Debug, Clone)]
pub struct ValidSync {
    pub stream: String,
    pub start: Start,
    pub sink: Sink,
    pub filter: TypeFilter,
    pub max_duration_ms: Option<u64>,
    pub retention_days: u32,
    pub gap_warning_s: u64,
    pub attempts: u32,
    pub timeout_ms: u64,
}

pub fn validate_stream(stream: Option<&str>) -> Result<String, Error> {
    match stream {
        None => Ok(DEFAULT_STREAM.to_string()),
        Some(s) => {
            let ok = !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
            if ok && s != "." && s != ".." {
                Ok(s.to_string())
            } else {
                Err(Error::config(
                    "stream",
                    "1 to 64 letters, digits, '_', '-' or '.'",
                ))
            }
        }
    }
}

pub fn validate_retention(days: Option<u32>) -> Result<u32, Error> {
    match days {
        None => Ok(DEFAULT_RETENTION_DAYS),
        Some(d) if (1..=365).contains(&d) => Ok(d),
        Some(_) => Err(Error::config("retention-days", "must be between 1 and 365")),
    }
}

impl ValidSync {
    pub fn validate(options: &SyncOptions, tenant_key: &str) -> Result<ValidSync, Error> {
        let stream = validate_stream(options.stream.as_deref())?;
        let start = match &options.start {
            StartAt::Oldest => Start::Oldest,
            StartAt::Now => Start::Now,
            StartAt::Timestamp(t) => {
                let ms = date_ms(t.trim()).ok_or_else(|| {
                    Error::config(
                        "start",
                        "timestamp must be RFC 3339, e.g. 2026-11-01T00:00:00Z",
                    )
                })?;
                Start::Timestamp(format_ms(ms))
            }
        };
        let sink = Sink::validate(&options.sink, tenant_key)?;
        let filter = TypeFilter::validate(&options.include_types, &options.exclude_types)?;
        let max_duration_ms = match options.max_duration_ms {
            None => None,
            Some(ms) if (1_000..=86_400_000).contains(&ms) => Some(ms),
            Some(_) => {
                return Err(Error::config(
                    "max-duration-ms",
                    "must be between 1000 (1 s) and 86400000 (24 h)",
                ));
            }
        };
        let retention_days = validate_retention(options.retention_days)?;
        let gap_warning_s = match options.gap_warning_seconds {
            None => DEFAULT_GAP_WARNING_S,
            Some(s) if (60..=365 * 86_400).contains(&s) => s,
            Some(_) => {
                return Err(Error::config(
                    "gap-warning-seconds",
                    "must be between 60 and 31536000",
                ));
            }
        };
        let attempts = match options.max_attempts {
            None => DEFAULT_ATTEMPTS,
            Some(n) if (1..=20).contains(&n) => n,
            Some(_) => return Err(Error::config("max-attempts", "must be between 1 and 20")),
        };
        let timeout_ms = match options.request_timeout_ms {
            None => DEFAULT_TIMEOUT_MS,
            Some(ms) if (100..=600_000).contains(&ms) => u64::from(ms),
            Some(_) => {
                return Err(Error::config(
                    "request-timeout-ms",
                    "must be between 100 and 600000",
                ));
            }
        };
        Ok(ValidSync {
            stream,
            start,
            sink,
            filter,
            max_duration_ms,
            retention_days,
            gap_warning_s,
            attempts,
            timeout_ms,
        })
    }
}
