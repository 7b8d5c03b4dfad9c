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

/// Report records as JSON, with enum and variant names spelled as in the WIT
/// (`any-organization`, `{"error": {"sink": ...}}`), not as the Rust bindings name them.
pub fn json<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(mut v) => {
            wit_names(&mut v, false);
            serde_json::to_string_pretty(&v)
        }
        Err(e) => Err(e),
    }
    .unwrap_or_else(|e| format!("{{\"error\":\"encoding JSON: {e}\"}}"))
}

/// The report as JSON plus what the host measured (`host.guest_memory_peak_bytes`,
/// `host.call_ms`): the component cannot see its own memory from outside.
pub fn json_with_stats<T: serde::Serialize>(value: &T, stats: &RunStats) -> String {
    let host = serde_json::json!({
        "guest_memory_peak_bytes": stats.peak_memory_bytes,
        "call_ms": stats.duration.as_millis() as u64,
    });
    match serde_json::to_value(value) {
        Ok(mut v) => {
            wit_names(&mut v, false);
            if let Some(map) = v.as_object_mut() {
                map.insert("host".into(), host);
            }
            serde_json::to_string_pretty(&v)
        }
        Err(e) => Err(e),
    }
    .unwrap_or_else(|e| format!("{{\"error\":\"encoding JSON: {e}\"}}"))
}

/// Fields whose value is a WIT enum.
const ENUM_FIELDS: [&str; 6] = [
    "severity",
    "route",
    "organization_usage",
    "source",
    "evidence_source",
    "format",
];

/// `AnyOrganization` → `any-organization`.
fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Renames enum values in known fields, and the case key of a variant object
/// (the value of `error`), to their WIT spelling.
fn wit_names(value: &mut serde_json::Value, is_variant: bool) {
    match value {
        serde_json::Value::Object(map) => {
            if is_variant && map.len() == 1 {
                let entries: Vec<(String, serde_json::Value)> =
                    std::mem::take(map).into_iter().collect();
                for (k, mut v) in entries {
                    wit_names(&mut v, false);
                    map.insert(kebab(&k), v);
                }
                return;
            }
            for (k, v) in map.iter_mut() {
                match v {
                    serde_json::Value::String(s) if ENUM_FIELDS.contains(&k.as_str()) => {
                        *s = kebab(s)
                    }
                    _ => wit_names(v, k == "error"),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| wit_names(v, false)),
        serde_json::Value::String(s) if is_variant => *s = kebab(s),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separates() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(100), "100");
    }

    #[test]
    fn json_uses_the_wit_spelling_of_enums_and_variants() {
        let v = serde_json::json!({
            "findings": [{"severity": "High", "code": "usage-without-grant", "message": "AnyOrganization stays"}],
            "access": [{"route": "AnyOrganization", "organization_usage": "Allow"}],
            "evidence": {"source": "SyncLogs"},
            "error": {"RateLimited": {"message": "Keep This", "retry_after_ms": null}},
        });
        let out: serde_json::Value = serde_json::from_str(&json(&v)).unwrap_or_default();
        assert_eq!(out["findings"][0]["severity"], "high");
        assert_eq!(out["findings"][0]["message"], "AnyOrganization stays");
        assert_eq!(out["access"][0]["route"], "any-organization");
        assert_eq!(out["access"][0]["organization_usage"], "allow");
        assert_eq!(out["evidence"]["source"], "sync-logs");
        assert_eq!(out["error"]["rate-limited"]["message"], "Keep This");
        let unit: serde_json::Value =
            serde_json::from_str(&json(&serde_json::json!({"error": {"Auth": "Bad Secret"}})))
                .unwrap_or_default();
        assert_eq!(unit["error"]["auth"], "Bad Secret");
    }
}
