//! Runs the auth0-audit component: one engine and pre-linked instance per
//! process, a fresh sandboxed store for every job call.

mod bindings;
pub mod engine;
mod host_state;
mod http_client;
pub mod http_policy;
pub mod keyvalue;
pub mod limits;
mod state_spec;

pub use bindings::types::*;
pub use engine::ComponentSource;
pub use keyvalue::{FaultyKv, KeyPage, KvBackend, MemoryKv, SqliteKv};
pub use state_spec::{StateBackend, open_state};

use anyhow::Context as _;
use bindings::{Connector, ConnectorPre};
use engine::wasm_error;
use host_state::HostState;
use http_policy::{AllowList, HttpPolicy};
use limits::EpochTicker;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::Linker;
use wasmtime::{Store, Trap};

/// The component built by `build.rs`, embedded so the binary is self-contained.
pub static COMPONENT_WASM: &[u8] = include_bytes!(env!("AUTH0_AUDIT_COMPONENT_WASM"));

/// How a [`Runtime`] sandboxes the component.
#[derive(Clone)]
pub struct RuntimeOptions {
    /// Key-value backend shared by every call (the checkpoint lives here).
    pub state: Arc<dyn KvBackend>,
    /// Origins the guest may reach, such as `http://127.0.0.1:4000` or
    /// `https://acme.auth0.com` (port defaults to 443/80); all others are refused.
    pub allowed_origins: Vec<String>,
    /// Cap of the guest's linear memory.
    pub memory_limit_bytes: usize,
    /// A call running longer is stopped with `wall-clock limit of N s exceeded`.
    pub wall_clock_limit: Option<Duration>,
    /// Where precompiled `.cwasm` files go; `None`: `<user cache dir>/auth0-audit/`.
    pub cache_dir: Option<PathBuf>,
}

impl RuntimeOptions {
    /// Defaults: 64 MiB memory, no wall-clock limit, nothing allowed on the network.
    pub fn new(state: Arc<dyn KvBackend>) -> Self {
        Self {
            state,
            allowed_origins: Vec::new(),
            memory_limit_bytes: limits::DEFAULT_MEMORY_LIMIT_BYTES,
            wall_clock_limit: None,
            cache_dir: None,
        }
    }
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self::new(Arc::new(MemoryKv::new()))
    }
}

/// Measurements of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RunStats {
    /// Largest total linear memory of the instance, in bytes.
    pub peak_memory_bytes: usize,
    /// Instantiation plus the call.
    pub duration: Duration,
}

/// Engine, linker and pre-instantiated component, created once; each call only
/// builds a store and instantiates (~50 µs).
pub struct Runtime {
    pre: ConnectorPre<HostState>,
    state: Arc<dyn KvBackend>,
    policy: HttpPolicy,
    memory_limit_bytes: usize,
    wall_clock_limit: Option<Duration>,
    source: ComponentSource,
    _ticker: EpochTicker,
}

impl Runtime {
    /// Loads the embedded component (from the precompiled cache when possible).
    pub async fn new(options: RuntimeOptions) -> anyhow::Result<Runtime> {
        Self::with_component(COMPONENT_WASM, options).await
    }

    /// Loads another build of the component (tests, benchmarks).
    pub async fn with_component(wasm: &[u8], options: RuntimeOptions) -> anyhow::Result<Runtime> {
        let allow = Arc::new(AllowList::parse(&options.allowed_origins)?);
        let engine = engine::build_engine()?;
        let cache_dir = options.cache_dir.clone().or_else(engine::default_cache_dir);
        let wasm = wasm.to_vec();
        let compile_engine = engine.clone();
        let (component, source) = tokio::task::spawn_blocking(move || {
            engine::load_component(&compile_engine, &wasm, cache_dir.as_deref())
        })
        .await
        .context("component compilation task failed")??;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(wasm_error)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(wasm_error)?;
        keyvalue::add_to_linker(&mut linker, HostState::kv_view).map_err(wasm_error)?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(wasm_error)
            .context("linking the component (does it target the `connector` world?)")?;
        let pre = ConnectorPre::new(instance_pre).map_err(wasm_error)?;
        let ticker = EpochTicker::start(engine.clone())?;
        Ok(Runtime {
            pre,
            state: options.state,
            policy: HttpPolicy::new(allow)?,
            memory_limit_bytes: options.memory_limit_bytes,
            wall_clock_limit: options.wall_clock_limit,
            source,
            _ticker: ticker,
        })
    }

    /// Whether the component came from the `.cwasm` cache or was compiled.
    pub fn component_source(&self) -> &ComponentSource {
        &self.source
    }

    /// Requests the guest sent so far (for a progress line).
    pub fn traffic(&self) -> Arc<http_policy::Traffic> {
        self.policy.traffic()
    }

    /// The key-value backend every call uses.
    pub fn state(&self) -> &Arc<dyn KvBackend> {
        &self.state
    }

    /// Calls `jobs.sync-logs`. `Err` is a trap, a limit or a host failure; a
    /// failure the component reports itself is the inner `JobError`.
    pub async fn sync_logs(
        &self,
        tenant: &TenantConfig,
        options: &SyncOptions,
    ) -> anyhow::Result<(Result<SyncReport, JobError>, RunStats)> {
        self.run(async |connector, store| {
            connector
                .auth0_audit_connector_jobs()
                .call_sync_logs(store, tenant, options)
                .await
        })
        .await
    }

    /// Calls `jobs.sync-status` (reads key-value only).
    pub async fn sync_status(
        &self,
        tenant: &TenantConfig,
        stream: Option<&str>,
        retention_days: Option<u32>,
    ) -> anyhow::Result<Result<StatusReport, JobError>> {
        let (result, _) = self
            .run(async |connector, store| {
                connector
                    .auth0_audit_connector_jobs()
                    .call_sync_status(store, tenant, stream, retention_days)
                    .await
            })
            .await?;
        Ok(result)
    }

    /// Calls `jobs.audit-org`.
    pub async fn audit_org(
        &self,
        tenant: &TenantConfig,
        org_id: &str,
        options: &AuditOptions,
    ) -> anyhow::Result<(Result<OrgAuditReport, JobError>, RunStats)> {
        self.run(async |connector, store| {
            connector
                .auth0_audit_connector_jobs()
                .call_audit_org(store, tenant, org_id, *options)
                .await
        })
        .await
    }

    /// Calls `jobs.audit-tenant` (resumable: `complete: false` means call again).
    pub async fn audit_tenant(
        &self,
        tenant: &TenantConfig,
        options: &TenantAuditOptions,
    ) -> anyhow::Result<(Result<TenantAuditReport, JobError>, RunStats)> {
        self.run(async |connector, store| {
            connector
                .auth0_audit_connector_jobs()
                .call_audit_tenant(store, tenant, *options)
                .await
        })
        .await
    }

    /// One job call: a fresh store, instantiate, call, limits and measurements.
    async fn run<R>(
        &self,
        job: impl AsyncFnOnce(&Connector, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> anyhow::Result<(R, RunStats)> {
        let started = Instant::now();
        let mut store = self.new_store();
        let call = async {
            let connector = self.pre.instantiate_async(&mut store).await?;
            job(&connector, &mut store).await
        };
        let outcome = self.bounded(call).await;
        let stats = RunStats {
            peak_memory_bytes: store.data().limiter.peak_bytes(),
            duration: started.elapsed(),
        };
        Ok((self.explain(&store, outcome)?, stats))
    }

    fn new_store(&self) -> Store<HostState> {
        let state = HostState::new(
            self.policy.clone(),
            self.state.clone(),
            self.memory_limit_bytes,
        );
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|s| &mut s.limiter);
        match self.wall_clock_limit {
            Some(limit) => store.set_epoch_deadline(limits::deadline_ticks(limit)),
            None => store.set_epoch_deadline(limits::NO_DEADLINE_TICKS),
        }
        store.epoch_deadline_trap();
        store
    }

    /// Applies the wall-clock limit to time spent waiting in host calls too
    /// (epoch interruption only fires while wasm code runs).
    async fn bounded<R>(
        &self,
        call: impl Future<Output = wasmtime::Result<R>>,
    ) -> Result<wasmtime::Result<R>, WallClockExceeded> {
        match self.wall_clock_limit {
            Some(limit) => tokio::time::timeout(limit, call)
                .await
                .map_err(|_| WallClockExceeded),
            None => Ok(call.await),
        }
    }

    /// Turns traps into clear errors: wall-clock, memory cap, or the trap itself.
    fn explain<R>(
        &self,
        store: &Store<HostState>,
        outcome: Result<wasmtime::Result<R>, WallClockExceeded>,
    ) -> anyhow::Result<R> {
        let wall_clock = || {
            let limit = self.wall_clock_limit.unwrap_or_default();
            anyhow::anyhow!(limits::wall_clock_message(limit))
        };
        match outcome {
            Err(WallClockExceeded) => Err(wall_clock()),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => {
                if matches!(err.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                    return Err(wall_clock());
                }
                let limiter = &store.data().limiter;
                if limiter.refused() {
                    return Err(
                        wasm_error(err).context(limits::memory_message(limiter.limit_bytes()))
                    );
                }
                Err(wasm_error(err).context("the component failed"))
            }
        }
    }
}

/// The call outlived the wall-clock limit while waiting in a host call.
struct WallClockExceeded;
