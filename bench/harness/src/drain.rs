//! Backlog drains: every contender against identical tenants, without and
//! with a rate limit; the memory and scaling series reuse the same runner.

use std::time::Duration;

use auth0_audit_simulator::{EventSize, RateLimit, SimConfig};
use serde::{Deserialize, Serialize};

use crate::contenders::{Contender, RunKnobs, Tools};
use crate::runner::{RunResult, run_contender};

/// Every tenant of every run is generated from this seed.
pub const SEED: u64 = 20_251_105;

pub fn tenant_config(events: u64, size: EventSize, rate_limit: Option<RateLimit>) -> SimConfig {
    SimConfig {
        events,
        event_size: size,
        rate_limit,
        ..SimConfig::with_seed(SEED)
    }
}

/// Of one contender's runs, a failed or incomplete one if any (it is the
/// finding), else the one with the median wall time; every run's wall time
/// is kept beside it so the report can show the spread.
fn median_of(mut runs: Vec<RunResult>) -> Option<RunResult> {
    if let Some(bad) = runs.iter().position(|r| !r.complete()) {
        return Some(runs.swap_remove(bad));
    }
    runs.sort_by(|a, b| a.measured.wall_s.total_cmp(&b.measured.wall_s));
    let walls: Vec<f64> = runs.iter().map(|r| r.measured.wall_s).collect();
    let mid = runs.len().checked_sub(1)? / 2;
    let mut median = runs.swap_remove(mid);
    median.walls_s = walls;
    Some(median)
}

/// The contenders that can run here; the others go to `skipped` with the reason.
fn runnable(
    tools: &Tools,
    contenders: &[Contender],
    skipped: &mut Vec<(Contender, String)>,
) -> Vec<Contender> {
    let mut ready = Vec::new();
    for &c in contenders {
        match tools.missing(c) {
            Some(why) => {
                eprintln!("bench:   skipping {}: {why}", c.label());
                skipped.push((c, why));
            }
            None => ready.push(c),
        }
    }
    ready
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Drain {
    pub events: u64,
    pub event_size: usize,
    pub repeats: u32,
    pub runs: Vec<RunResult>,
    pub skipped: Vec<(Contender, String)>,
}

impl Drain {
    pub fn get(&self, c: Contender) -> Option<&RunResult> {
        self.runs.iter().find(|r| r.contender == c)
    }
}

pub async fn backlog(
    tools: &Tools,
    contenders: &[Contender],
    events: u64,
    work: &std::path::Path,
    repeats: u32,
    timeout: Duration,
) -> anyhow::Result<Drain> {
    eprintln!(
        "bench: backlog drain, no rate limit, {} events",
        crate::report::thousands(events)
    );
    let config = tenant_config(events, EventSize::ONE_KB, None);
    let mut drain = Drain {
        events,
        event_size: EventSize::ONE_KB.bytes(),
        repeats,
        runs: Vec::new(),
        skipped: Vec::new(),
    };
    let ready = runnable(tools, contenders, &mut drain.skipped);
    // Rounds rather than back-to-back repeats: a slow spell of the machine
    // then lands on every contender instead of on one of them.
    let mut runs: Vec<Vec<RunResult>> = ready.iter().map(|_| Vec::new()).collect();
    for _ in 0..repeats.max(1) {
        for (&c, done) in ready.iter().zip(&mut runs) {
            // An incomplete run (the capped SDK's too) is the finding: not repeated.
            if done.iter().any(|r| !r.complete()) {
                continue;
            }
            let knobs = RunKnobs::default();
            done.push(run_contender(tools, c, config.clone(), work, &knobs, timeout).await?);
        }
    }
    drain.runs.extend(runs.into_iter().filter_map(median_of));
    Ok(drain)
}

/// One rate-limit profile: a token bucket like Auth0's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub burst: u32,
    pub per_second: f64,
    pub events: u64,
}

impl Profile {
    /// Pages of 100 a drain must fetch (the final empty page and the start
    /// look-up are the contender's overhead, not part of the floor).
    pub fn pages(&self) -> u64 {
        self.events.div_ceil(100)
    }

    /// The fastest any client can drain the backlog: the bucket starts full,
    /// so `burst` pages are free and every other page waits for a token.
    pub fn ideal_s(&self) -> f64 {
        self.pages().saturating_sub(u64::from(self.burst)) as f64 / self.per_second
    }

    /// The simpler yardstick, events / (100 × refill rate).
    pub fn simple_ideal_s(&self) -> f64 {
        self.events as f64 / (100.0 * self.per_second)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateLimited {
    pub profile: Profile,
    pub runs: Vec<RunResult>,
    pub skipped: Vec<(Contender, String)>,
}

impl RateLimited {
    pub fn efficiency(&self, r: &RunResult) -> f64 {
        if r.measured.wall_s > 0.0 {
            self.profile.ideal_s() / r.measured.wall_s
        } else {
            0.0
        }
    }
}

pub fn profiles(smoke: bool) -> Vec<Profile> {
    if smoke {
        return vec![Profile {
            name: "smoke: 3 burst, 20/s".into(),
            burst: 3,
            per_second: 20.0,
            events: 600,
        }];
    }
    vec![
        Profile {
            name: "Essentials/Professional logs: 10 burst, 100/min".into(),
            burst: 10,
            per_second: 100.0 / 60.0,
            events: 12_000,
        },
        Profile {
            name: "Enterprise global: 50 burst, 16/s".into(),
            burst: 50,
            per_second: 16.0,
            events: 100_000,
        },
    ]
}

pub async fn rate_limited(
    tools: &Tools,
    contenders: &[Contender],
    profile: Profile,
    work: &std::path::Path,
    timeout: Duration,
) -> anyhow::Result<RateLimited> {
    eprintln!(
        "bench: backlog drain under a rate limit ({}), {} events, ideal {:.1} s",
        profile.name,
        crate::report::thousands(profile.events),
        profile.ideal_s()
    );
    let config = tenant_config(
        profile.events,
        EventSize::ONE_KB,
        Some(RateLimit {
            burst: profile.burst,
            per_second: profile.per_second,
        }),
    );
    let mut out = RateLimited {
        profile,
        runs: Vec::new(),
        skipped: Vec::new(),
    };
    for c in runnable(tools, contenders, &mut out.skipped) {
        let r = run_contender(
            tools,
            c,
            config.clone(),
            work,
            &RunKnobs::default(),
            timeout,
        )
        .await?;
        out.runs.push(r);
    }
    Ok(out)
}

/// Guest linear-memory peak of `auth0-audit sync` against the backlog size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemoryPoint {
    pub events: u64,
    pub guest_peak_mib: Option<f64>,
    pub rss_mib: Option<f64>,
    pub complete: bool,
}

pub async fn memory(
    tools: &Tools,
    sizes: &[u64],
    reuse: Option<&RunResult>,
    work: &std::path::Path,
    timeout: Duration,
) -> anyhow::Result<Vec<MemoryPoint>> {
    let mut points = Vec::new();
    if tools.missing(Contender::Wasm).is_some() {
        return Ok(points);
    }
    eprintln!("bench: guest memory against backlog size");
    for &n in sizes {
        let r = match reuse.filter(|r| r.expected == n) {
            Some(r) => r.clone(),
            None => {
                let config = tenant_config(n, EventSize::ONE_KB, None);
                run_contender(
                    tools,
                    Contender::Wasm,
                    config,
                    work,
                    &RunKnobs::default(),
                    timeout,
                )
                .await?
            }
        };
        points.push(MemoryPoint {
            events: n,
            guest_peak_mib: r.guest_peak_mib,
            rss_mib: r.rss_mib(),
            complete: r.complete(),
        });
    }
    Ok(points)
}

/// events/s against event size and against sink batch size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scaling {
    pub events: u64,
    /// (contender, event size in bytes, run)
    pub by_size: Vec<(Contender, usize, RunResult)>,
    pub batch_event_size: usize,
    /// (contender, batch size in events, run)
    pub by_batch: Vec<(Contender, u32, RunResult)>,
}

pub const SIZES: [EventSize; 4] = [
    EventSize::HALF_KB,
    EventSize::ONE_KB,
    EventSize::FOUR_KB,
    EventSize::EIGHT_KB,
];

pub const BATCHES: [u32; 7] = [50, 100, 250, 500, 1000, 2500, 5000];

pub async fn scaling(
    tools: &Tools,
    events: u64,
    batches: &[u32],
    work: &std::path::Path,
    timeout: Duration,
) -> anyhow::Result<Scaling> {
    eprintln!(
        "bench: scaling with event size and sink batch size, {} events per point",
        crate::report::thousands(events)
    );
    let mut s = Scaling {
        events,
        by_size: Vec::new(),
        batch_event_size: EventSize::ONE_KB.bytes(),
        by_batch: Vec::new(),
    };
    for c in [Contender::Wasm, Contender::Native, Contender::Physical] {
        if tools.missing(c).is_some() {
            continue;
        }
        for size in SIZES {
            let config = tenant_config(events, size, None);
            let r = run_contender(tools, c, config, work, &RunKnobs::default(), timeout).await?;
            s.by_size.push((c, size.bytes(), r));
        }
    }
    for c in [Contender::Wasm, Contender::Native] {
        if tools.missing(c).is_some() {
            continue;
        }
        for &b in batches {
            let config = tenant_config(events, EventSize::ONE_KB, None);
            let knobs = RunKnobs {
                batch_events: Some(b),
            };
            let r = run_contender(tools, c, config, work, &knobs, timeout).await?;
            s.by_batch.push((c, b, r));
        }
    }
    Ok(s)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::procs::Measured;

    pub(crate) fn run(wall_s: f64, exit_code: i32) -> RunResult {
        RunResult {
            contender: Contender::Wasm,
            command: String::new(),
            measured: Measured {
                wall_s,
                user_s: None,
                sys_s: None,
                max_rss_kib: None,
                exit_code: Some(exit_code),
                stdout: String::new(),
                stderr: String::new(),
            },
            reported: None,
            guest_peak_mib: None,
            verification: None,
            expected: 10,
            events: 10,
            api_requests: 0,
            token_requests: 0,
            status_429: 0,
            stopped: None,
            load_before: None,
            walls_s: vec![wall_s],
        }
    }

    #[test]
    fn keeps_the_median_run_and_every_wall_time() {
        let m = median_of(vec![run(9.7, 0), run(7.2, 0), run(8.0, 0)]);
        let m = m.map(|m| (m.measured.wall_s, m.walls_s));
        assert_eq!(m, Some((8.0, vec![7.2, 8.0, 9.7])));
        assert!(median_of(Vec::new()).is_none());
    }

    #[test]
    fn a_failed_run_is_the_result_whatever_its_wall_time() {
        let m = median_of(vec![run(7.2, 0), run(8.0, 0), run(9.7, 1)]);
        assert_eq!(m.map(|m| m.measured.exit_code), Some(Some(1)));
    }
}
