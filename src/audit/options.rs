//! Audit options, validated and defaulted before anything is sent or stored.

use crate::error::Error;

pub const DEFAULT_WINDOW_DAYS: u32 = 30;
/// The per-day usage counts keep 400 days; a longer window would promise more than exists.
pub const MAX_WINDOW_DAYS: u32 = 400;
pub const DEFAULT_ATTEMPTS: u32 = 6;
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// Options of `audit_org`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditOptions {
    /// Days of usage evidence the audit looks at (1..=400, default 30).
    pub window_days: Option<u32>,
    /// When sync-logs has recorded nothing for the organization, search the logs
    /// instead (at most 1,000 events, newest first).
    pub log_search_fallback: bool,
    /// Cross-check the grants with the clients search (default true).
    pub cross_check: Option<bool>,
    /// Time budget of the run (1,000..=86,400,000 ms; default none).
    pub max_duration_ms: Option<u64>,
    pub max_attempts: Option<u32>,
    pub request_timeout_ms: Option<u32>,
}

/// Options of `audit_tenant`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantAuditOptions {
    pub window_days: Option<u32>,
    pub log_search_fallback: bool,
    /// Cross-check every organization with the clients search (default false:
    /// one more call per organization, against the search's lower rate limit).
    pub cross_check: bool,
    /// Time budget of this call; when it ends the audit stops and the next call continues.
    pub max_duration_ms: Option<u64>,
    pub max_attempts: Option<u32>,
    pub request_timeout_ms: Option<u32>,
    /// Discard an unfinished tenant audit and start from the first organization.
    pub restart: bool,
}

/// Options after validation, shared by both jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAudit {
    pub window_days: u32,
    pub log_search_fallback: bool,
    pub cross_check: bool,
    pub max_duration_ms: Option<u64>,
    pub attempts: u32,
    pub timeout_ms: u64,
}

fn common(
    window_days: Option<u32>,
    max_duration_ms: Option<u64>,
    max_attempts: Option<u32>,
    request_timeout_ms: Option<u32>,
) -> Result<(u32, Option<u64>, u32, u64), Error> {
    let window = match window_days {
        None => DEFAULT_WINDOW_DAYS,
        Some(d) if (1..=MAX_WINDOW_DAYS).contains(&d) => d,
        Some(_) => {
            return Err(Error::config(
                "window-days",
                format!("must be between 1 and {MAX_WINDOW_DAYS}"),
            ));
        }
    };
    let max_duration_ms = match max_duration_ms {
        None => None,
        Some(ms) if (1_000..=86_400_000).contains(&ms) => Some(ms),
        Some(_) => {
            return Err(Error::config(
                "max-duration-ms",
                "must be between 1000 (1 s) and 86400000 (24 h)",
            ));
        }
    };
    let attempts = match max_attempts {
        None => DEFAULT_ATTEMPTS,
        Some(n) if (1..=20).contains(&n) => n,
        Some(_) => return Err(Error::config("max-attempts", "must be between 1 and 20")),
    };
    let timeout_ms = match request_timeout_ms {
        None => DEFAULT_TIMEOUT_MS,
        Some(ms) if (100..=600_000).contains(&ms) => u64::from(ms),
        Some(_) => {
            return Err(Error::config(
                "request-timeout-ms",
                "must be between 100 and 600000",
            ));
        }
    };
    Ok((window, max_duration_ms, attempts, timeout_ms))
}

impl ValidAudit {
    pub fn for_org(o: &AuditOptions) -> Result<ValidAudit, Error> {
        let (window_days, max_duration_ms, attempts, timeout_ms) = common(
            o.window_days,
            o.max_duration_ms,
            o.max_attempts,
            o.request_timeout_ms,
        )?;
        Ok(ValidAudit {
            window_days,
            log_search_fallback: o.log_search_fallback,
            cross_check: o.cross_check.unwrap_or(true),
            max_duration_ms,
            attempts,
            timeout_ms,
        })
    }

    pub fn for_tenant(o: &TenantAuditOptions) -> Result<ValidAudit, Error> {
        let (window_days, max_duration_ms, attempts, timeout_ms) = common(
            o.window_days,
            o.max_duration_ms,
            o.max_attempts,
            o.request_timeout_ms,
        )?;
        Ok(ValidAudit {
            window_days,
            log_search_fallback: o.log_search_fallback,
            cross_check: o.cross_check,
            max_duration_ms,
            attempts,
            timeout_ms,
        })
    }
}
