//! Audit benchmarks: `auth0-audit audit --org` on an organization with many
//! direct grants, any-organization grants and applications, and
//! `auth0-audit audit --all` over many organizations, each under a rate limit.
//! API calls are counted by the simulator and compared with the fewest calls
//! the pagination allows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use auth0_audit_simulator::{ClientGrant, Directory, EventSize, RateLimit, SimConfig};
use serde::{Deserialize, Serialize};

use crate::contenders::{Contender, Tools};
use crate::drain::SEED;
use crate::procs::{self, Measured, Spec};
use crate::runner::Tenant;

/// A token bucket (the simulator's `RateLimit`, which is not `Serialize`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Bucket {
    pub burst: u32,
    pub per_second: f64,
}

impl From<Bucket> for RateLimit {
    fn from(b: Bucket) -> RateLimit {
        RateLimit {
            burst: b.burst,
            per_second: b.per_second,
        }
    }
}

/// Sizes of the audited directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditSizes {
    pub direct_grants: usize,
    pub any_org_grants: usize,
    pub clients: usize,
    pub organizations: usize,
    pub org_limit: Bucket,
    pub tenant_limit: Bucket,
}

impl AuditSizes {
    pub fn full() -> AuditSizes {
        AuditSizes {
            direct_grants: 1_000,
            any_org_grants: 200,
            clients: 500,
            organizations: 2_000,
            org_limit: Bucket {
                burst: 10,
                per_second: 100.0 / 60.0,
            },
            tenant_limit: Bucket {
                burst: 50,
                per_second: 16.0,
            },
        }
    }

    pub fn smoke() -> AuditSizes {
        AuditSizes {
            direct_grants: 150,
            any_org_grants: 20,
            clients: 30,
            organizations: 20,
            org_limit: Bucket {
                burst: 5,
                per_second: 50.0,
            },
            tenant_limit: Bucket {
                burst: 5,
                per_second: 50.0,
            },
        }
    }
}

/// The fewest calls, term by term, with the formula in words.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MinCalls {
    pub terms: Vec<(String, u64)>,
    pub total: u64,
}

impl MinCalls {
    fn new(terms: Vec<(String, u64)>) -> MinCalls {
        let total = terms.iter().map(|(_, n)| n).sum();
        MinCalls { terms, total }
    }

    pub fn describe(&self) -> String {
        self.terms
            .iter()
            .map(|(t, n)| format!("{t} = {n}"))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRun {
    pub name: String,
    pub rate_limit: Option<Bucket>,
    pub command: String,
    pub measured: Measured,
    /// Management API calls the simulator answered (token requests excluded).
    pub api_calls: u64,
    pub token_requests: u64,
    pub status_429: u64,
    pub by_route: BTreeMap<String, u64>,
    /// The component's own count, from its report.
    pub reported_api_requests: Option<u64>,
    pub organizations_audited: Option<u64>,
    pub min: MinCalls,
}

impl AuditRun {
    /// Rate-limit floor for the minimum number of calls (bucket starts full).
    pub fn ideal_s(&self) -> Option<f64> {
        let rl = self.rate_limit?;
        Some(self.min.total.saturating_sub(u64::from(rl.burst)) as f64 / rl.per_second)
    }

    pub fn ok(&self) -> bool {
        // 9: the audit finished and found something of high severity.
        matches!(self.measured.exit_code, Some(0) | Some(9))
    }
}

fn pages(n: usize) -> u64 {
    (n as u64).div_ceil(100).max(1)
}

/// Calls to name the `unknown` applications: per-id GETs for up to two, else
/// the fewest list pages (100 per page, in list order) that hold them all,
/// or per-id GETs when those are fewer.
fn name_calls(dir: &Directory, unknown: &BTreeSet<String>) -> u64 {
    let u = unknown.len() as u64;
    if u <= 2 {
        return u;
    }
    let last = dir
        .clients
        .iter()
        .rposition(|c| unknown.contains(&c.client_id))
        .unwrap_or(0);
    u.min(last as u64 / 100 + 1)
}

fn grant(id: String, client_id: &str, audience: String, any: bool) -> ClientGrant {
    ClientGrant {
        id,
        client_id: client_id.to_string(),
        audience,
        scope: vec!["read:bench".into(), "write:bench".into()],
        organization_usage: "allow".into(),
        allow_any_organization: any,
        is_system: false,
        subject_type: "client".into(),
    }
}

/// Builds the big organization: its seeded grants are dissociated, then
/// `direct_grants` new grants over the extra applications are associated, and
/// `any_org_grants` any-organization grants are added. Returns its id.
fn build_big_org(t: &Tenant, sizes: &AuditSizes) -> anyhow::Result<String> {
    let dir = t.sim.directory();
    let org = dir
        .organizations
        .get(6)
        .or_else(|| dir.organizations.last())
        .map(|o| o.id.clone())
        .ok_or_else(|| anyhow::anyhow!("the simulated tenant has no organization"))?;
    for gid in dir.org_grants.get(&org).cloned().unwrap_or_default() {
        t.sim.dissociate_grant(&org, &gid);
    }
    let extra: Vec<&str> = dir
        .clients
        .iter()
        .filter(|c| c.name.starts_with("Bench Client"))
        .map(|c| c.client_id.as_str())
        .collect();
    anyhow::ensure!(
        extra.len() >= sizes.clients,
        "the simulator made {} extra applications",
        extra.len()
    );
    for i in 0..sizes.direct_grants {
        let id = format!("cgr_benchD{i:010}");
        // Each application gets grants for several APIs: (application, API) pairs stay unique.
        let audience = format!("https://api.example.com/bench-{}", i / sizes.clients);
        t.sim
            .add_grant(grant(id.clone(), extra[i % sizes.clients], audience, false));
        t.sim.associate_grant(&org, &id);
    }
    for i in 0..sizes.any_org_grants {
        let id = format!("cgr_benchA{i:010}");
        let audience = format!("https://api.example.com/bench-any-{}", i / sizes.clients);
        t.sim
            .add_grant(grant(id, extra[i % sizes.clients], audience, true));
    }
    Ok(org)
}

/// Fewest calls of `audit --org` (cross-check on, as by default).
fn org_min(dir: &Directory, org: &str) -> MinCalls {
    let direct: Vec<&ClientGrant> = dir
        .org_grants
        .get(org)
        .into_iter()
        .flatten()
        .filter_map(|id| dir.grant(id))
        .collect();
    let any: Vec<&ClientGrant> = dir
        .client_grants
        .iter()
        .filter(|g| g.allow_any_organization)
        .collect();
    let searched: BTreeSet<String> = direct.iter().map(|g| g.client_id.clone()).collect();
    let involved: BTreeSet<String> = direct
        .iter()
        .chain(any.iter())
        .map(|g| g.client_id.clone())
        .collect();
    let unknown: BTreeSet<String> = involved.difference(&searched).cloned().collect();
    MinCalls::new(vec![
        ("1 organization".into(), 1),
        (
            format!("⌈{} direct grants / 100⌉", direct.len()),
            pages(direct.len()),
        ),
        (
            format!("⌈{} any-organization grants / 100⌉", any.len()),
            pages(any.len()),
        ),
        (
            format!(
                "⌈{} applications found by the clients search / 100⌉",
                searched.len()
            ),
            pages(searched.len()),
        ),
        (
            format!(
                "names of the {} other applications (list pages that hold them)",
                unknown.len()
            ),
            name_calls(dir, &unknown),
        ),
    ])
}

/// Fewest calls of `audit --all` (no cross-check, as by default).
fn tenant_min(dir: &Directory) -> MinCalls {
    let any: Vec<&ClientGrant> = dir
        .client_grants
        .iter()
        .filter(|g| g.allow_any_organization)
        .collect();
    let direct_pages: u64 = dir
        .organizations
        .iter()
        .map(|o| pages(dir.org_grants.get(&o.id).map_or(0, Vec::len)))
        .sum();
    let involved: BTreeSet<String> = dir
        .org_grants
        .values()
        .flatten()
        .filter_map(|id| dir.grant(id))
        .chain(any.iter().copied())
        .map(|g| g.client_id.clone())
        .collect();
    MinCalls::new(vec![
        (
            format!("⌈{} any-organization grants / 100⌉", any.len()),
            pages(any.len()),
        ),
        (
            format!("⌈{} organizations / 100⌉", dir.organizations.len()),
            pages(dir.organizations.len()),
        ),
        (
            format!(
                "Σ over organizations of ⌈direct grants / 100⌉ ({} organizations)",
                dir.organizations.len()
            ),
            direct_pages,
        ),
        (
            format!(
                "names of the {} applications involved (list pages that hold them)",
                involved.len()
            ),
            name_calls(dir, &involved),
        ),
    ])
}

async fn run_audit(
    tools: &Tools,
    t: Tenant,
    name: &str,
    rate_limit: Option<Bucket>,
    target: &[&str],
    min: MinCalls,
    work: &Path,
) -> anyhow::Result<AuditRun> {
    let mut spec = Spec::new(tools.wasm_bin(), &tools.root).arg("audit");
    for a in target {
        spec = spec.arg(*a);
    }
    let spec = spec
        .arg("--json")
        .arg("--state")
        .arg("memory")
        .arg("--no-token-cache")
        .env("AUTH0_DOMAIN", t.env.domain.clone())
        .env("AUTH0_CLIENT_ID", t.env.client_id.clone())
        .env("AUTH0_CLIENT_SECRET", t.env.client_secret.clone())
        .env("XDG_CACHE_HOME", tools.cache_home.display().to_string());
    let command = spec.display(&tools.root);
    eprintln!("bench:   {name} ...");
    let scratch = work.to_path_buf();
    let measured =
        tokio::task::spawn_blocking(move || procs::run(&spec, &scratch, Duration::from_secs(1800)))
            .await??;
    let stats = t.sim.stats();
    t.sim.shutdown().await;
    let token = stats.route_count("POST /oauth/token");
    let report: Option<serde_json::Value> = serde_json::from_str(&measured.stdout).ok();
    let by_route: BTreeMap<String, u64> = stats
        .by_route
        .iter()
        .filter(|(k, _)| k.as_str() != "POST /oauth/token")
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let run = AuditRun {
        name: name.to_string(),
        rate_limit,
        command,
        api_calls: stats.requests_total.saturating_sub(token),
        token_requests: token,
        status_429: stats.rate_limited,
        by_route,
        reported_api_requests: report
            .as_ref()
            .and_then(|r| r.get("api_requests"))
            .and_then(serde_json::Value::as_u64),
        organizations_audited: report
            .as_ref()
            .and_then(|r| r.get("organizations"))
            .and_then(serde_json::Value::as_array)
            .map(|a| a.len() as u64),
        min,
        measured,
    };
    eprintln!(
        "bench:     {:.2} s, {} API calls (minimum {}), {} 429s{}",
        run.measured.wall_s,
        run.api_calls,
        run.min.total,
        run.status_429,
        if run.ok() {
            String::new()
        } else {
            format!(", FAILED: {}", run.measured.stderr_tail())
        }
    );
    Ok(run)
}

fn base(organizations: usize, clients: usize, rate_limit: Option<Bucket>) -> SimConfig {
    SimConfig {
        events: 0,
        event_size: EventSize::ONE_KB,
        organizations,
        extra_clients: clients,
        // Grants added for the benchmark are visible to the clients search at once.
        search_lag: Duration::ZERO,
        rate_limit: rate_limit.map(RateLimit::from),
        ..SimConfig::with_seed(SEED)
    }
}

pub async fn audits(
    tools: &Tools,
    sizes: &AuditSizes,
    work: &Path,
) -> anyhow::Result<Vec<AuditRun>> {
    let mut runs = Vec::new();
    if tools.missing(Contender::Wasm).is_some() {
        return Ok(runs);
    }
    eprintln!("bench: audits");
    for limit in [None, Some(sizes.org_limit)] {
        let t = Tenant::start(base(12, sizes.clients, limit)).await?;
        let org = build_big_org(&t, sizes)?;
        let dir = t.sim.directory();
        let min = org_min(&dir, &org);
        let name = format!(
            "audit --org: {} direct grants, {} any-organization grants, {} applications",
            dir.org_grants.get(&org).map_or(0, Vec::len),
            dir.client_grants
                .iter()
                .filter(|g| g.allow_any_organization)
                .count(),
            dir.clients.len()
        );
        runs.push(run_audit(tools, t, &name, limit, &["--org", org.as_str()], min, work).await?);
    }
    let t = Tenant::start(base(sizes.organizations, 0, Some(sizes.tenant_limit))).await?;
    let min = tenant_min(&t.sim.directory());
    let name = format!("audit --all: {} organizations", sizes.organizations);
    runs.push(
        run_audit(
            tools,
            t,
            &name,
            Some(sizes.tenant_limit),
            &["--all"],
            min,
            work,
        )
        .await?,
    );
    Ok(runs)
}
