//! Simulator configuration: the Rust `SimConfig` used in-process and the clap
//! `SimulateArgs` that the `auth0-audit simulate` command flattens into itself.

use std::str::FromStr;
use std::time::Duration;

/// Scopes the project asks for: `read:logs` for the sync, the rest for the audit.
pub const DEFAULT_SCOPES: [&str; 5] = [
    "read:logs",
    "read:organizations",
    "read:organization_client_grants",
    "read:client_grants",
    "read:clients",
];

/// Everything a simulated tenant needs; `Default` gives a realistic small tenant.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Seed for every generated value (events, directory, faults).
    pub seed: u64,
    /// Backlog size: events already in the tenant at start.
    pub events: u64,
    /// Average serialized size of one event.
    pub event_size: EventSize,
    /// Events ingested longer ago than this are gone (`None` keeps everything).
    pub retention: Option<chrono::Duration>,
    /// The backlog's ingest times are spread over this span, ending now.
    pub backlog_span: chrono::Duration,
    /// New events arriving per second while the server runs.
    pub live_events_per_sec: f64,
    /// Global Management API token bucket; `None` = unlimited and no headers.
    pub rate_limit: Option<RateLimit>,
    /// Random fault probabilities per request.
    pub faults: FaultConfig,
    /// `expires_in` of issued access tokens.
    pub token_ttl_secs: u64,
    /// Scopes granted to issued tokens.
    pub scopes: Vec<String>,
    /// Number of organizations in the directory.
    pub organizations: usize,
    /// Extra machine-to-machine applications appended to the seeded ones (for
    /// audits of large tenants: grants added with `add_grant` can name them).
    pub extra_clients: usize,
    /// Port to bind on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The credentials the token endpoint accepts.
    pub client_id: String,
    pub client_secret: String,
    /// How long a new grant or association stays invisible to the clients `q=` search.
    pub search_lag: Duration,
    /// Print one line per request to stderr.
    pub verbose: bool,
}

impl SimConfig {
    /// Default configuration whose seed and credentials follow `seed`.
    pub fn with_seed(seed: u64) -> Self {
        Self {
            seed,
            client_id: default_client_id(seed),
            client_secret: default_client_secret(seed),
            ..Self::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        let seed = 42;
        Self {
            seed,
            events: 5000,
            event_size: EventSize::default(),
            retention: None,
            backlog_span: chrono::Duration::hours(12),
            live_events_per_sec: 0.0,
            rate_limit: None,
            faults: FaultConfig::default(),
            token_ttl_secs: 86_400,
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_string()).collect(),
            organizations: 12,
            extra_clients: 0,
            port: 0,
            client_id: default_client_id(seed),
            client_secret: default_client_secret(seed),
            search_lag: Duration::from_secs(60),
            verbose: false,
        }
    }
}

/// Default client id for a seed: fixed per seed so demos are reproducible.
pub fn default_client_id(seed: u64) -> String {
    format!("sim-client-{seed}")
}

/// Default client secret for a seed (not secret at all: it is a simulator).
pub fn default_client_secret(seed: u64) -> String {
    format!(
        "sim-secret-{:016x}",
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x005E_C2E7
    )
}

/// One global token bucket, like Auth0's per-tenant Management API limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Bucket size (`x-ratelimit-limit`).
    pub burst: u32,
    /// Refill rate in tokens per second.
    pub per_second: f64,
}

/// Probabilities (0..1) per request of each injected fault; all 0 by default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultConfig {
    pub rate_429: f64,
    pub rate_429_no_retry_after: f64,
    pub rate_500: f64,
    pub rate_502: f64,
    pub rate_503: f64,
    pub rate_reset_mid_body: f64,
    pub rate_truncated_json: f64,
    pub rate_invalid_json: f64,
    pub rate_repeat_tail: f64,
    pub rate_slow: f64,
    pub slow_ms: u64,
    pub rate_expire_token: f64,
    pub rate_token_429: f64,
}

/// Average serialized size of an event in bytes; benchmarks pick 0.5/1/4/8 KB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventSize(pub usize);

impl EventSize {
    pub const HALF_KB: EventSize = EventSize(512);
    pub const ONE_KB: EventSize = EventSize(1024);
    pub const FOUR_KB: EventSize = EventSize(4096);
    pub const EIGHT_KB: EventSize = EventSize(8192);

    /// Target average size in bytes.
    pub fn bytes(self) -> usize {
        self.0
    }
}

impl Default for EventSize {
    fn default() -> Self {
        Self::ONE_KB
    }
}

impl FromStr for EventSize {
    type Err = String;

    /// Accepts `512`, `0.5k`, `1k`, `4kb`, `8KB`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let (num, mult) = if let Some(n) = t.strip_suffix("kb").or_else(|| t.strip_suffix('k')) {
            (n, 1024.0)
        } else if let Some(n) = t.strip_suffix('b') {
            (n, 1.0)
        } else {
            (t.as_str(), 1.0)
        };
        let value: f64 = num
            .trim()
            .parse()
            .map_err(|_| format!("invalid event size {s:?}: use e.g. 512, 0.5k, 1k, 4k, 8k"))?;
        let bytes = value * mult;
        if !(64.0..=1_048_576.0).contains(&bytes) {
            return Err(format!("event size {s:?} out of range 64 B..1 MB"));
        }
        Ok(EventSize(bytes.round() as usize))
    }
}

/// `auth0-audit simulate` flags; `into_config` turns them into a `SimConfig`.
#[derive(Clone, Debug, clap::Args)]
pub struct SimulateArgs {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed for all generated data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Backlog size (events present at start).
    #[arg(long, default_value_t = 5000)]
    pub events: u64,
    /// Average event size: 512, 0.5k, 1k, 4k, 8k.
    #[arg(long, default_value = "1k")]
    pub event_size: EventSize,
    /// Drop events ingested more than this many hours ago.
    #[arg(long)]
    pub retention_hours: Option<f64>,
    /// Backlog ingest times are spread over this many hours ending now.
    #[arg(long, default_value_t = 12.0)]
    pub backlog_hours: f64,
    /// New events per second while running.
    #[arg(long, default_value_t = 0.0)]
    pub live_rate: f64,
    /// Rate-limit bucket size (enables rate limiting; default 10 when only the rate is given).
    #[arg(long)]
    pub rate_limit_burst: Option<u32>,
    /// Rate-limit refill per second (enables rate limiting; default 2 when only the burst is given).
    #[arg(long)]
    pub rate_limit_per_sec: Option<f64>,
    /// Probability of a 429 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    pub fault_429: f64,
    /// Probability of a 429 without Retry-After.
    #[arg(long, default_value_t = 0.0)]
    pub fault_429_no_retry_after: f64,
    /// Probability of a 500.
    #[arg(long, default_value_t = 0.0)]
    pub fault_500: f64,
    /// Probability of a 502.
    #[arg(long, default_value_t = 0.0)]
    pub fault_502: f64,
    /// Probability of a 503.
    #[arg(long, default_value_t = 0.0)]
    pub fault_503: f64,
    /// Probability of a connection reset in the middle of the body.
    #[arg(long, default_value_t = 0.0)]
    pub fault_reset: f64,
    /// Probability of a 200 with a truncated JSON body.
    #[arg(long, default_value_t = 0.0)]
    pub fault_truncated: f64,
    /// Probability of a 200 with invalid JSON.
    #[arg(long, default_value_t = 0.0)]
    pub fault_invalid_json: f64,
    /// Probability that a logs page repeats 1-3 events of the previous page.
    #[arg(long, default_value_t = 0.0)]
    pub fault_repeat_tail: f64,
    /// Probability of a slow answer.
    #[arg(long, default_value_t = 0.0)]
    pub fault_slow: f64,
    /// Delay of a slow answer in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub slow_ms: u64,
    /// Probability that the presented token expires on this request.
    #[arg(long, default_value_t = 0.0)]
    pub fault_expire_token: f64,
    /// Probability of a 429 from /oauth/token.
    #[arg(long, default_value_t = 0.0)]
    pub fault_token_429: f64,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = 86_400)]
    pub token_ttl: u64,
    /// Number of organizations.
    #[arg(long, default_value_t = 12)]
    pub organizations: usize,
    /// Extra machine-to-machine applications beyond the seeded ones.
    #[arg(long, default_value_t = 0)]
    pub extra_clients: usize,
    /// Accepted client id (default `sim-client-<seed>`).
    #[arg(long)]
    pub client_id: Option<String>,
    /// Accepted client secret (default derived from the seed).
    #[arg(long)]
    pub client_secret: Option<String>,
    /// Seconds before new grants show up in the clients `q=` search.
    #[arg(long, default_value_t = 60)]
    pub search_lag_secs: u64,
    /// Print one line per request to stderr.
    #[arg(long)]
    pub verbose: bool,
}

impl SimulateArgs {
    /// The `SimConfig` these flags describe.
    pub fn into_config(self) -> anyhow::Result<SimConfig> {
        let rate_limit = match (self.rate_limit_burst, self.rate_limit_per_sec) {
            (None, None) => None,
            (burst, rate) => Some(RateLimit {
                burst: burst.unwrap_or(10).max(1),
                per_second: rate.unwrap_or(2.0),
            }),
        };
        if let Some(rl) = &rate_limit
            && !(rl.per_second.is_finite() && rl.per_second > 0.0)
        {
            anyhow::bail!("--rate-limit-per-sec must be a positive number");
        }
        let faults = FaultConfig {
            rate_429: self.fault_429,
            rate_429_no_retry_after: self.fault_429_no_retry_after,
            rate_500: self.fault_500,
            rate_502: self.fault_502,
            rate_503: self.fault_503,
            rate_reset_mid_body: self.fault_reset,
            rate_truncated_json: self.fault_truncated,
            rate_invalid_json: self.fault_invalid_json,
            rate_repeat_tail: self.fault_repeat_tail,
            rate_slow: self.fault_slow,
            slow_ms: self.slow_ms,
            rate_expire_token: self.fault_expire_token,
            rate_token_429: self.fault_token_429,
        };
        let hours = |h: f64, what: &str| -> anyhow::Result<chrono::Duration> {
            if !(h.is_finite() && (0.0..24.0 * 365.0 * 10.0).contains(&h)) {
                anyhow::bail!("{what} must be between 0 and 87600 hours");
            }
            Ok(chrono::Duration::milliseconds((h * 3_600_000.0) as i64))
        };
        let retention = match self.retention_hours {
            Some(h) => Some(hours(h, "--retention-hours")?),
            None => None,
        };
        if !(self.live_rate.is_finite() && self.live_rate >= 0.0) {
            anyhow::bail!("--live-rate must be a non-negative number");
        }
        Ok(SimConfig {
            seed: self.seed,
            events: self.events,
            event_size: self.event_size,
            retention,
            backlog_span: hours(self.backlog_hours, "--backlog-hours")?,
            live_events_per_sec: self.live_rate,
            rate_limit,
            faults,
            token_ttl_secs: self.token_ttl,
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_string()).collect(),
            organizations: self.organizations,
            extra_clients: self.extra_clients,
            port: self.port,
            client_id: self
                .client_id
                .unwrap_or_else(|| default_client_id(self.seed)),
            client_secret: self
                .client_secret
                .unwrap_or_else(|| default_client_secret(self.seed)),
            search_lag: Duration::from_secs(self.search_lag_secs),
            verbose: self.verbose,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: SimulateArgs,
    }

    #[test]
    fn cli_flags_build_a_config() {
        use clap::{CommandFactory, Parser};
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "x",
            "--seed",
            "7",
            "--events",
            "100",
            "--event-size",
            "4k",
            "--rate-limit-burst",
            "5",
            "--fault-502",
            "0.1",
            "--retention-hours",
            "2",
        ])
        .unwrap();
        let c = cli.args.into_config().unwrap();
        assert_eq!((c.seed, c.events), (7, 100));
        assert_eq!(c.client_id, "sim-client-7");
        assert_eq!(c.event_size, EventSize::FOUR_KB);
        assert_eq!(c.rate_limit.unwrap().burst, 5);
        assert_eq!(c.faults.rate_502, 0.1);
        assert_eq!(c.retention, Some(chrono::Duration::hours(2)));
    }

    #[test]
    fn event_size_parses() {
        assert_eq!("0.5k".parse::<EventSize>().unwrap(), EventSize::HALF_KB);
        assert_eq!("1k".parse::<EventSize>().unwrap(), EventSize::ONE_KB);
        assert_eq!("4KB".parse::<EventSize>().unwrap(), EventSize::FOUR_KB);
        assert_eq!("8192".parse::<EventSize>().unwrap(), EventSize::EIGHT_KB);
        assert!("huge".parse::<EventSize>().is_err());
        assert!("0".parse::<EventSize>().is_err());
    }
}
