//! One contender against one fresh simulated tenant: start the simulator, run
//! the process, read the simulator's counters, verify the output file.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use auth0_audit_simulator::{SimConfig, SimStats, Simulator};
use serde::{Deserialize, Serialize};

use crate::contenders::{Contender, RunKnobs, TenantEnv, Tools};
use crate::procs::{self, Measured};
use crate::verify::{self, Verification};

/// Everything measured about one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub contender: Contender,
    pub command: String,
    pub measured: Measured,
    /// The contender's own final JSON line (peers, native), if any.
    pub reported: Option<serde_json::Value>,
    /// auth0-audit's guest linear-memory peak, from its report.
    pub guest_peak_mib: Option<f64>,
    pub verification: Option<Verification>,
    /// Events the tenant held.
    pub expected: u64,
    /// Events counted: distinct expected log_ids in the file, or what a
    /// file-less contender reported.
    pub events: u64,
    /// Management API requests the simulator answered (token requests excluded).
    pub api_requests: u64,
    pub token_requests: u64,
    /// 429s the simulator sent.
    pub status_429: u64,
    pub stopped: Option<String>,
    /// 1-minute load average of the machine just before the run (other work
    /// on the same cores shows up here).
    #[serde(default)]
    pub load_before: Option<f64>,
    /// Wall time of every repeat this result was chosen from (the median
    /// run is the one shown), sorted; one entry when the run was not repeated.
    #[serde(default)]
    pub walls_s: Vec<f64>,
}

/// The 1-minute load average (`/proc/loadavg`).
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl RunResult {
    pub fn cpu_per_100k(&self) -> Option<f64> {
        let cpu = self.measured.cpu_s()?;
        (self.events > 0).then(|| cpu / self.events as f64 * 100_000.0)
    }

    pub fn events_per_s(&self) -> f64 {
        if self.measured.wall_s > 0.0 {
            self.events as f64 / self.measured.wall_s
        } else {
            0.0
        }
    }

    pub fn rss_mib(&self) -> Option<f64> {
        self.measured.max_rss_kib.map(|k| k as f64 / 1024.0)
    }

    /// Stopped at Auth0's 1,000-result search cap (the SDK), rather than lost.
    pub fn capped(&self) -> bool {
        self.stopped.as_deref() == Some("result-cap")
    }

    /// Everything the tenant held arrived, once or more, and nothing else did.
    pub fn complete(&self) -> bool {
        if !self.measured.ok() {
            return false;
        }
        match &self.verification {
            Some(v) => v.complete(),
            None => self.events == self.expected,
        }
    }

    /// A short verdict for the tables.
    pub fn status(&self) -> String {
        let thousands = crate::report::thousands;
        if !self.measured.ok() {
            return format!(
                "FAILED (exit {}): {}",
                self.measured
                    .exit_code
                    .map_or("signal".to_string(), |c| c.to_string()),
                self.measured.stderr_tail()
            );
        }
        if let Some(v) = &self.verification {
            if self.capped() && v.unexpected == 0 {
                return format!(
                    "stopped at the 1,000-result cap: {} of {} copied",
                    thousands(v.unique),
                    thousands(v.expected)
                );
            }
            if !v.complete() {
                return format!(
                    "LOST {} events ({} unexpected lines)",
                    thousands(v.missing),
                    thousands(v.unexpected)
                );
            }
            if v.duplicates > 0 {
                return format!("complete, {} duplicates", thousands(v.duplicates));
            }
            return "complete, verified".into();
        }
        if self.events == self.expected {
            "all pages read".into()
        } else {
            format!(
                "read {} of {}",
                thousands(self.events),
                thousands(self.expected)
            )
        }
    }
}

/// The guest's linear-memory peak from `auth0-audit sync --json`
/// (`host.guest_memory_peak_bytes`, exact bytes), in MiB.
pub fn guest_peak_mib(stdout: &str) -> Option<f64> {
    let report: serde_json::Value = serde_json::from_str(stdout).ok()?;
    let bytes = report
        .get("host")?
        .get("guest_memory_peak_bytes")?
        .as_u64()?;
    Some(bytes as f64 / (1024.0 * 1024.0))
}

fn sim_counts(stats: &SimStats) -> (u64, u64, u64) {
    let token = stats.route_count("POST /oauth/token");
    (
        stats.requests_total.saturating_sub(token),
        token,
        stats.rate_limited,
    )
}

/// A simulator already started and possibly prepared (grants added...).
pub struct Tenant {
    pub sim: Simulator,
    pub env: TenantEnv,
}

impl Tenant {
    pub async fn start(config: SimConfig) -> anyhow::Result<Tenant> {
        let sim = Simulator::start(config).await?;
        let env = TenantEnv::of(&sim);
        Ok(Tenant { sim, env })
    }
}

/// Runs `c` against a fresh tenant built from `config`; the output file is
/// verified and removed.
pub async fn run_contender(
    tools: &Tools,
    c: Contender,
    config: SimConfig,
    work: &Path,
    knobs: &RunKnobs,
    timeout: Duration,
) -> anyhow::Result<RunResult> {
    let tenant = Tenant::start(config).await?;
    let expected: Arc<HashSet<String>> = Arc::new(tenant.sim.log_ids().into_iter().collect());
    let out = work.join(format!("{}.ndjson", c.key()));
    let _ = std::fs::remove_file(&out);
    let spec = tools.spec(c, &tenant.env, &out, work, knobs)?;
    let command = spec.display(&tools.root);
    eprintln!(
        "bench:   {} ({} events) ...",
        c.label(),
        crate::report::thousands(expected.len() as u64)
    );
    let scratch = work.to_path_buf();
    let load_before = load_average();
    let measured =
        tokio::task::spawn_blocking(move || procs::run(&spec, &scratch, timeout)).await??;
    let wall_s = measured.wall_s;
    let (api_requests, token_requests, status_429) = sim_counts(&tenant.sim.stats());
    tenant.sim.shutdown().await;
    let reported = procs::last_json_line(&measured.stdout);
    let stopped = reported
        .as_ref()
        .and_then(|r| r.get("stopped"))
        .and_then(|s| s.as_str())
        .map(str::to_string);
    let verification = if c.writes_file() {
        let (out2, exp) = (out.clone(), expected.clone());
        let v = tokio::task::spawn_blocking(move || verify::verify(&out2, &exp)).await??;
        let _ = std::fs::remove_file(&out);
        Some(v)
    } else {
        None
    };
    let events = match &verification {
        Some(v) => v.unique,
        None => reported
            .as_ref()
            .and_then(|r| r.get("events"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0),
    };
    let result = RunResult {
        contender: c,
        command,
        guest_peak_mib: (c == Contender::Wasm)
            .then(|| guest_peak_mib(&measured.stdout))
            .flatten(),
        measured,
        reported,
        verification,
        expected: expected.len() as u64,
        events,
        api_requests,
        token_requests,
        status_429,
        stopped,
        load_before,
        walls_s: vec![wall_s],
    };
    eprintln!(
        "bench:     {:.2} s, {:.0} events/s, {}",
        result.measured.wall_s,
        result.events_per_s(),
        result.status()
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_guest_peak() {
        let out = r#"{"delivered": 5, "host": {"guest_memory_peak_bytes": 3670016}}"#;
        assert_eq!(guest_peak_mib(out), Some(3.5));
        assert_eq!(guest_peak_mib("guest memory peak 3.4 MiB"), None);
        assert_eq!(guest_peak_mib(r#"{"host": {}}"#), None);
    }
}
