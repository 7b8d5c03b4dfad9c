//! The data of one store: WASI (no env, args, files or sockets), wasi-http
//! behind the allow-list, the shared key-value backend and the limiter.

use super::http_policy::HttpPolicy;
use super::keyvalue::{KvBackend, KvView};
use super::limits::PeakLimiter;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    http: WasiHttpCtx,
    hooks: HttpPolicy,
    kv: Arc<dyn KvBackend>,
    pub limiter: PeakLimiter,
}

impl HostState {
    pub fn new(hooks: HttpPolicy, kv: Arc<dyn KvBackend>, memory_limit_bytes: usize) -> Self {
        // Guest stdout goes to the host's stderr too, so it never mixes with
        // the CLI's own (possibly `--json`) output.
        let wasi = WasiCtxBuilder::new()
            .stdout(std::io::stderr())
            .stderr(std::io::stderr())
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            hooks,
            kv,
            limiter: PeakLimiter::new(memory_limit_bytes),
        }
    }

    /// The keyvalue host functions' view of this store.
    pub fn kv_view(&mut self) -> KvView<'_> {
        KvView {
            backend: &self.kv,
            table: &mut self.table,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
