//! Start-up: the component's size, compiling it on a first run, loading it from
//! the precompiled cache, one instantiate + trivial call, and a whole
//! `auth0-audit sync` process on an empty tenant.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use auth0_audit_host::runtime::{
    COMPONENT_WASM, ClientCredentials, ComponentSource, Credentials, MemoryKv, Runtime,
    RuntimeOptions, TenantConfig,
};
use serde::{Deserialize, Serialize};

use crate::contenders::{Contender, RunKnobs, Tools};
use crate::drain::tenant_config;
use crate::procs::{self, Spec};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub p90: f64,
    pub p99: f64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
}

impl Summary {
    pub fn of(mut xs: Vec<f64>) -> Summary {
        if xs.is_empty() {
            return Summary::default();
        }
        xs.sort_by(f64::total_cmp);
        let q = |p: f64| xs[((xs.len() - 1) as f64 * p).round() as usize];
        Summary {
            n: xs.len(),
            median: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            min: xs[0],
            max: xs[xs.len() - 1],
            mean: xs.iter().sum::<f64>() / xs.len() as f64,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessTiming {
    /// `hyperfine 1.15.0` or `harness` (own repeated timing).
    pub tool: String,
    pub command: String,
    /// Milliseconds.
    pub ms: Summary,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Startup {
    /// Bytes of the component the host embeds (the release build).
    pub wasm_bytes: usize,
    /// `Runtime::new` with an empty cache directory (cranelift compiles, writes .cwasm), ms.
    pub first_run_compile_ms: Summary,
    /// `Runtime::new` with the .cwasm already cached, ms.
    pub cached_load_ms: Summary,
    /// A fresh store + instantiate + `sync-status` on an empty memory store, µs.
    pub instantiate_call_us: Summary,
    /// Whole `auth0-audit sync` processes on an empty tenant, warm cache.
    pub process_warm: Option<ProcessTiming>,
    /// The same with an empty cache directory (first run on a machine), ms.
    pub process_first_run_ms: Option<Summary>,
}

fn tenant() -> TenantConfig {
    TenantConfig {
        domain: "http://127.0.0.1:9".into(),
        credentials: Credentials::ClientCredentials(ClientCredentials {
            client_id: "bench".into(),
            client_secret: "bench-secret".into(),
        }),
        audience: None,
        bucket: String::new(),
        cache_token: None,
    }
}

fn options(cache: &Path) -> RuntimeOptions {
    let mut o = RuntimeOptions::new(Arc::new(MemoryKv::new()));
    o.cache_dir = Some(cache.to_path_buf());
    o
}

pub async fn measure(
    tools: &Tools,
    work: &Path,
    compiles: usize,
    calls: usize,
    process_runs: usize,
) -> anyhow::Result<Startup> {
    eprintln!("bench: start-up");
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut compile = Vec::new();
    for i in 0..compiles.max(1) {
        let dir = work.join(format!("cwasm-fresh-{i}"));
        let _ = std::fs::remove_dir_all(&dir);
        let t = Instant::now();
        let rt = Runtime::new(options(&dir)).await?;
        compile.push(ms(t.elapsed()));
        anyhow::ensure!(
            matches!(rt.component_source(), ComponentSource::CompiledAndCached(_)),
            "an empty cache directory did not compile the component: {:?}",
            rt.component_source()
        );
        drop(rt);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let warm = work.join("cwasm-warm");
    drop(Runtime::new(options(&warm)).await?);
    let mut loads = Vec::new();
    let mut runtime = None;
    for _ in 0..compiles.max(1) * 3 {
        let t = Instant::now();
        let rt = Runtime::new(options(&warm)).await?;
        loads.push(ms(t.elapsed()));
        anyhow::ensure!(
            matches!(rt.component_source(), ComponentSource::Cache(_)),
            "the warm cache was not used"
        );
        runtime = Some(rt);
    }
    let rt = runtime.context("no runtime")?;
    let tenant = tenant();
    let warmup = (calls / 10).max(5);
    let mut call_us = Vec::with_capacity(calls);
    for i in 0..warmup + calls {
        let t = Instant::now();
        let status = rt.sync_status(&tenant, None, None).await?;
        let us = t.elapsed().as_secs_f64() * 1e6;
        if let Err(e) = status {
            anyhow::bail!("sync-status failed: {e:?}");
        }
        if i >= warmup {
            call_us.push(us);
        }
    }
    drop(rt);
    let (process_warm, process_first_run_ms) = if tools.missing(Contender::Wasm).is_none() {
        whole_process(tools, work, process_runs).await?
    } else {
        (None, None)
    };
    Ok(Startup {
        wasm_bytes: COMPONENT_WASM.len(),
        first_run_compile_ms: Summary::of(compile),
        cached_load_ms: Summary::of(loads),
        instantiate_call_us: Summary::of(call_us),
        process_warm,
        process_first_run_ms,
    })
}

/// `auth0-audit sync` on an empty tenant: hyperfine when installed, else timed here.
async fn whole_process(
    tools: &Tools,
    work: &Path,
    runs: usize,
) -> anyhow::Result<(Option<ProcessTiming>, Option<Summary>)> {
    let tenant = crate::runner::Tenant::start(tenant_config(
        0,
        auth0_audit_simulator::EventSize::ONE_KB,
        None,
    ))
    .await?;
    let out = work.join("empty.ndjson");
    // First runs: an empty cache directory each time.
    let mut first = Vec::new();
    for i in 0..3 {
        let cache = work.join(format!("xdg-fresh-{i}"));
        let _ = std::fs::remove_dir_all(&cache);
        let mut t = tools.clone();
        t.cache_home = cache.clone();
        let spec = t.spec(
            Contender::Wasm,
            &tenant.env,
            &out,
            work,
            &RunKnobs::default(),
        )?;
        let scratch = work.to_path_buf();
        let m = tokio::task::spawn_blocking(move || {
            procs::run(&spec, &scratch, Duration::from_secs(300))
        })
        .await??;
        anyhow::ensure!(m.ok(), "first-run sync failed: {}", m.stderr_tail());
        first.push(m.wall_s * 1000.0);
        let _ = std::fs::remove_dir_all(&cache);
    }
    // Warm: the shared cache (filled by the first call below if needed).
    let spec = tools.spec(
        Contender::Wasm,
        &tenant.env,
        &out,
        work,
        &RunKnobs::default(),
    )?;
    let command = spec.display(&tools.root);
    let scratch = work.to_path_buf();
    let warm = tokio::task::spawn_blocking(move || time_process(&spec, &scratch, runs)).await??;
    tenant.sim.shutdown().await;
    let _ = std::fs::remove_file(&out);
    Ok((
        Some(ProcessTiming {
            tool: warm.0,
            command,
            ms: warm.1,
        }),
        Some(Summary::of(first)),
    ))
}

fn time_process(spec: &Spec, scratch: &Path, runs: usize) -> anyhow::Result<(String, Summary)> {
    let runs = runs.max(3);
    if let Some(version) = crate::machine::hyperfine_version() {
        let json = scratch.join("hyperfine.json");
        let mut cmd = std::process::Command::new("hyperfine");
        cmd.current_dir(&spec.cwd)
            .args(["--shell=none", "--warmup", "3", "--runs"])
            .arg(runs.to_string())
            .arg("--export-json")
            .arg(&json)
            .arg("--style")
            .arg("none")
            .arg(
                std::iter::once(spec.program.display().to_string())
                    .chain(spec.args.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        let out = cmd.output()?;
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json)?)?;
            let times: Vec<f64> = v["results"][0]["times"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_f64())
                        .map(|s| s * 1000.0)
                        .collect()
                })
                .unwrap_or_default();
            let _ = std::fs::remove_file(&json);
            if !times.is_empty() {
                return Ok((version, Summary::of(times)));
            }
        }
        eprintln!(
            "bench: hyperfine failed ({}); timing the process here",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let mut times = Vec::new();
    for i in 0..runs + 3 {
        let m = procs::run(spec, scratch, Duration::from_secs(60))?;
        anyhow::ensure!(m.ok(), "empty-tenant sync failed: {}", m.stderr_tail());
        if i >= 3 {
            times.push(m.wall_s * 1000.0);
        }
    }
    Ok(("harness (own timing)".into(), Summary::of(times)))
}
