//! A simulated Auth0 tenant on loopback: client-credentials token endpoint, the
//! logs API (checkpoint and search modes), organizations, client grants and clients,
//! with Auth0's rate limiting and injectable faults. Everything is seeded.

mod clients;
mod config;
mod events;
mod faults;
mod grants;
mod logid;
mod logs;
mod organizations;
mod query;
mod ratelimit;
mod reply;
mod server;
mod state;
mod stats;
mod tenant;
mod token;

#[cfg(test)]
mod tests;

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::{
    DEFAULT_SCOPES, EventSize, FaultConfig, RateLimit, SimConfig, SimulateArgs, default_client_id,
    default_client_secret,
};
pub use logid::LOG_ID_LEN;
pub use stats::SimStats;
pub use tenant::{
    Client, ClientGrant, Directory, OrgAccessRef, OrgGrantRef, OrgTokenUsage, Organization,
    ResourceServer, Scenario,
};

use crate::events::Generator;
use crate::faults::Faults;
use crate::logs::LogStore;
use crate::ratelimit::Bucket;
use crate::state::{Shared, lock, now, now_ms, read, write};
use crate::tenant::TenantState;
use crate::token::TokenStore;

/// A running simulated tenant; dropping it (or `shutdown`) stops the server.
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: Option<JoinHandle<()>>,
    live: Option<JoinHandle<()>>,
}

fn check_probability(name: &str, p: f64) -> anyhow::Result<()> {
    if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
        anyhow::bail!("fault rate {name} must be within 0..=1 (got {p})");
    }
    Ok(())
}

fn check_faults(f: &FaultConfig) -> anyhow::Result<()> {
    for (name, p) in [
        ("rate_429", f.rate_429),
        ("rate_429_no_retry_after", f.rate_429_no_retry_after),
        ("rate_500", f.rate_500),
        ("rate_502", f.rate_502),
        ("rate_503", f.rate_503),
        ("rate_reset_mid_body", f.rate_reset_mid_body),
        ("rate_truncated_json", f.rate_truncated_json),
        ("rate_invalid_json", f.rate_invalid_json),
        ("rate_repeat_tail", f.rate_repeat_tail),
        ("rate_slow", f.rate_slow),
        ("rate_expire_token", f.rate_expire_token),
        ("rate_token_429", f.rate_token_429),
    ] {
        check_probability(name, p)?;
    }
    Ok(())
}

impl Simulator {
    /// Binds 127.0.0.1:`config.port`, generates the tenant and starts serving.
    pub async fn start(config: SimConfig) -> anyhow::Result<Simulator> {
        check_faults(&config.faults)?;
        if let Some(rl) = &config.rate_limit
            && !(rl.per_second.is_finite() && rl.per_second > 0.0)
        {
            anyhow::bail!("rate_limit.per_second must be positive");
        }
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://127.0.0.1:{}", addr.port());
        let dir = tenant::generate(config.seed, config.organizations, &config.client_id);
        let generator = Generator::new(config.seed, config.event_size.bytes(), &dir);
        // After the generator: extra applications do not change the event stream.
        let dir = tenant::with_extra_clients(dir, config.seed, config.extra_clients);
        let logs = LogStore::backlog(
            config.events,
            config.backlog_span.num_milliseconds(),
            now_ms(),
        );
        let started = now();
        let api_bucket = config.rate_limit.map(|rl| Bucket::new(rl, started));
        let token_bucket = config.rate_limit.map(|_| {
            Bucket::new(
                RateLimit {
                    burst: 10,
                    per_second: 5.0,
                },
                started,
            )
        });
        let shared = Arc::new(Shared {
            base_url,
            generator,
            logs: RwLock::new(logs),
            tenant: Mutex::new(TenantState::new(dir, started, config.search_lag)),
            tokens: Mutex::new(TokenStore::new(config.seed)),
            api_bucket: Mutex::new(api_bucket),
            token_bucket: Mutex::new(token_bucket),
            faults: Mutex::new(Faults::new(config.seed, config.faults.clone())),
            stats: Mutex::new(SimStats::default()),
            config,
        });
        let server = tokio::spawn(server::serve(listener, Arc::clone(&shared)));
        let live = (shared.config.live_events_per_sec > 0.0).then(|| {
            let shared = Arc::clone(&shared);
            tokio::spawn(live_events(shared))
        });
        Ok(Simulator {
            shared,
            addr,
            server: Some(server),
            live,
        })
    }

    /// `http://127.0.0.1:PORT` (the "domain" the project is configured with).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn client_id(&self) -> &str {
        &self.shared.config.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.shared.config.client_secret
    }

    /// The Management API audience: `{base_url}/api/v2/`.
    pub fn audience(&self) -> String {
        self.shared.audience()
    }

    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Every retained log_id, ascending: the truth a sync is compared against.
    pub fn log_ids(&self) -> Vec<String> {
        let store = read(&self.shared.logs);
        let first = store.first_retained(self.shared.retention_cutoff_ms(now_ms()));
        (first..store.len()).map(|i| store.id(i)).collect()
    }

    /// Number of retained events.
    pub fn log_count(&self) -> u64 {
        let store = read(&self.shared.logs);
        let first = store.first_retained(self.shared.retention_cutoff_ms(now_ms()));
        (store.len() - first) as u64
    }

    /// Every retained event as JSON, ascending by log_id (for small test tenants).
    pub fn events(&self) -> Vec<Value> {
        let picked: Vec<(usize, i64)> = {
            let store = read(&self.shared.logs);
            let first = store.first_retained(self.shared.retention_cutoff_ms(now_ms()));
            (first..store.len()).map(|i| (i, store.ingest(i))).collect()
        };
        let g = &self.shared.generator;
        picked
            .into_iter()
            .map(|(i, t)| {
                let mut out = Vec::new();
                g.render(&g.meta(i as u64, t), &mut out);
                serde_json::from_slice(&out).unwrap_or(Value::Null)
            })
            .collect()
    }

    /// log_ids of retained late arrivals (`date` 5-120 s older than their neighbours').
    pub fn late_arrivals(&self) -> Vec<String> {
        let store = read(&self.shared.logs);
        let first = store.first_retained(self.shared.retention_cutoff_ms(now_ms()));
        let g = &self.shared.generator;
        (first..store.len())
            .filter(|&i| g.meta(i as u64, store.ingest(i)).late)
            .map(|i| store.id(i))
            .collect()
    }

    /// `n` new events arrive now (about 2% carry a late, older `date`).
    pub fn append_events(&self, n: u64) {
        write(&self.shared.logs).append(n, now_ms());
    }

    /// The next `count` requests whose path starts with `path_prefix` get `status`
    /// with an Auth0-shaped body (429s carry `Retry-After: 1`).
    pub fn fail_next(&self, path_prefix: &str, status: u16, count: u32) {
        lock(&self.shared.faults).add_fail_next(path_prefix, status, count);
    }

    /// Every token issued so far answers 401 "Expired token" from now on.
    pub fn expire_tokens(&self) {
        lock(&self.shared.tokens).expire_all();
    }

    /// Replaces the random fault rates (the seeded sequence continues).
    pub fn set_faults(&self, faults: FaultConfig) {
        lock(&self.shared.faults).set(faults);
    }

    pub fn stats(&self) -> SimStats {
        lock(&self.shared.stats).clone()
    }

    /// Snapshot of clients, APIs, organizations, grants, associations and the scenario.
    pub fn directory(&self) -> Directory {
        lock(&self.shared.tenant).dir.clone()
    }

    /// Adds (or replaces, by id) a grant; the clients `q=` search sees it after the lag.
    pub fn add_grant(&self, grant: ClientGrant) {
        let mut t = lock(&self.shared.tenant);
        let visible = now() + self.shared.config.search_lag;
        t.grant_visible_at.insert(grant.id.clone(), visible);
        match t.dir.client_grants.iter_mut().find(|g| g.id == grant.id) {
            Some(existing) => *existing = grant,
            None => t.dir.client_grants.push(grant),
        }
    }

    /// Deletes a grant and its organization associations (visible immediately).
    pub fn remove_grant(&self, grant_id: &str) {
        let mut t = lock(&self.shared.tenant);
        t.dir.client_grants.retain(|g| g.id != grant_id);
        for ids in t.dir.org_grants.values_mut() {
            ids.retain(|g| g != grant_id);
        }
        t.grant_visible_at.remove(grant_id);
    }

    /// Associates an existing grant with an organization (search sees it after the lag).
    pub fn associate_grant(&self, org_id: &str, grant_id: &str) {
        let mut t = lock(&self.shared.tenant);
        let visible = now() + self.shared.config.search_lag;
        let list = t.dir.org_grants.entry(org_id.to_string()).or_default();
        if !list.iter().any(|g| g == grant_id) {
            list.push(grant_id.to_string());
        }
        t.assoc_visible_at
            .insert((org_id.to_string(), grant_id.to_string()), visible);
    }

    /// Removes a grant's association with an organization.
    pub fn dissociate_grant(&self, org_id: &str, grant_id: &str) {
        let mut t = lock(&self.shared.tenant);
        if let Some(list) = t.dir.org_grants.get_mut(org_id) {
            list.retain(|g| g != grant_id);
        }
    }

    /// The JSON line `run_cli` prints first.
    pub fn announcement(&self) -> Value {
        let dir = self.directory();
        json!({
            "domain": self.base_url(),
            "client_id": self.client_id(),
            "client_secret": self.client_secret(),
            "audience": self.audience(),
            "events": self.log_count(),
            "organizations": dir.organizations.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
        })
    }

    /// Stops the server and the live-event task, and waits for them to end.
    pub async fn shutdown(mut self) {
        for handle in [self.server.take(), self.live.take()].into_iter().flatten() {
            handle.abort();
            let _ = handle.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        for handle in [self.server.take(), self.live.take()].into_iter().flatten() {
            handle.abort();
        }
    }
}

/// Appends `live_events_per_sec` events per second, in 100 ms ticks.
async fn live_events(shared: Arc<Shared>) {
    let rate = shared.config.live_events_per_sec;
    let mut owed = 0.0f64;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        owed += rate / 10.0;
        let n = owed.floor();
        if n >= 1.0 {
            owed -= n;
            write(&shared.logs).append(n.min(1e9) as u64, now_ms());
        }
    }
}

/// `auth0-audit simulate`: prints one JSON line describing the tenant, then serves until Ctrl-C.
pub async fn run_cli(args: SimulateArgs) -> anyhow::Result<()> {
    let sim = Simulator::start(args.into_config()?).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", sim.announcement())?;
        out.flush()?;
    }
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}
