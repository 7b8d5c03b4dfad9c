//! How reports and errors are shown: a readable summary by default, the typed
//! record as JSON with `--json`. Nothing printed here can contain a secret: the
//! component scrubs its messages and the host never prints credentials.

use crate::commands::exit;
use crate::runtime::{JobError, RunStats, StatusReport, SyncReport, Warning};

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

fn lag(secs: Option<u64>) -> String {
    match secs {
        None => "unknown".into(),
        Some(s) if s < 120 => format!("{s} s"),
        Some(s) if s < 7200 => format!("{} min", s / 60),
        Some(s) => format!("{:.1} h", s as f64 / 3600.0),
    }
}

fn warnings(out: &mut String, list: &[Warning]) {
    for w in list {
        out.push_str(&format!("WARNING [{}] {}\n", w.code, w.message));
    }
}

pub fn sync_summary(tenant: &str, r: &SyncReport, stats: Option<&RunStats>) -> String {
    let mut out = String::new();
    let rate = (r.fetched * 1000)
        .checked_div(r.duration_ms)
        .map(|per_s| format!(", {} events/s", thousands(per_s)))
        .unwrap_or_default();
    out.push_str(&format!(
        "{tenant} [{}]: {} delivered, {} filtered, {} fetched in {} pages, {} API requests, {} sink requests, {}{rate}\n",
        r.stream,
        thousands(r.delivered),
        thousands(r.filtered),
        thousands(r.fetched),
        r.pages,
        r.api_requests,
        r.sink_requests,
        seconds(r.duration_ms),
    ));
    match &r.checkpoint {
        Some(cp) => out.push_str(&format!(
            "checkpoint {} ({}), {}, lag {}\n",
            cp.log_id,
            cp.log_date.as_deref().unwrap_or("no date"),
            if r.caught_up {
                "caught up"
            } else {
                "NOT caught up (time budget)"
            },
            lag(r.lag_seconds)
        )),
        None => out.push_str("no checkpoint yet (nothing to deliver)\n"),
    }
    if r.rate_limit_waits > 0 || r.retries > 0 || r.duplicates_dropped > 0 {
        out.push_str(&format!(
            "rate-limit waits {} ({}), retries {}, duplicates dropped {}\n",
            r.rate_limit_waits,
            seconds(r.rate_limit_wait_ms),
            r.retries,
            r.duplicates_dropped
        ));
    }
    if let Some(s) = stats {
        out.push_str(&format!(
            "guest memory peak {:.1} MiB\n",
            s.peak_memory_bytes as f64 / 1048576.0
        ));
    }
    warnings(&mut out, &r.warnings);
    out
}

pub fn status_summary(tenant: &str, r: &StatusReport) -> String {
    let mut out = format!("{tenant} [{}]\n", r.stream);
    match &r.checkpoint {
        Some(cp) => out.push_str(&format!(
            "checkpoint {} ({}), written {}, {} delivered and {} filtered in total, lag {}\n",
            cp.log_id,
            cp.log_date.as_deref().unwrap_or("no date"),
            cp.written_at,
            thousands(cp.total_delivered),
            thousands(cp.total_filtered),
            lag(r.lag_seconds)
        )),
        None => out.push_str("no checkpoint\n"),
    }
    let h = &r.health;
    out.push_str(&format!(
        "last success {}, last attempt {}, consecutive failures {}\n",
        h.last_success.as_deref().unwrap_or("never"),
        h.last_attempt.as_deref().unwrap_or("never"),
        h.consecutive_failures
    ));
    if let Some(e) = &h.last_error {
        out.push_str(&format!("last error: {e}\n"));
    }
    warnings(&mut out, &r.warnings);
    out
}

/// One line for a job error, and the exit code for its kind.
pub fn job_error(e: &JobError) -> (String, i32) {
    match e {
        JobError::Config(c) => (format!("invalid {}: {}", c.field, c.message), exit::CONFIG),
        JobError::Auth(m) => (format!("authentication failed: {m}"), exit::AUTH),
        JobError::Forbidden(scope) => (
            format!("forbidden: grant the application the {scope} scope on the Management API"),
            exit::AUTH,
        ),
        JobError::NotFound(m) => (format!("not found: {m}"), exit::NOT_FOUND),
        JobError::RateLimited(r) => (format!("rate limited: {}", r.message), exit::RATE_LIMITED),
        JobError::Upstream(u) => (
            format!("Auth0 answered {}: {}", u.status, u.message),
            exit::UPSTREAM,
        ),
        JobError::Transport(m) => (format!("network: {m}"), exit::UPSTREAM),
        JobError::Sink(s) => (format!("sink: {}", s.message), exit::SINK),
        JobError::Storage(m) => (format!("state store: {m}"), exit::STORAGE),
        JobError::Deadline(m) => (format!("time budget: {m}"), exit::DEADLINE),
    }
}

pub fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\":\"encoding JSON: {e}\"}}"))
}
