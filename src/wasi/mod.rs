//! The thin WASI layer: generated bindings, the three ports over wasi:http,
//! wasi:keyvalue and wasi:clocks, and the exported `jobs` interface.

mod clock;
mod convert;
mod http;
mod kv;

/// Generated glue is the one place `unsafe` is allowed: canonical-ABI lifting.
#[allow(unsafe_code)]
mod bindings {
    wit_bindgen::generate!({
        world: "connector",
        path: "wit",
        with: {
            "wasi:http/types@0.2.12": ::wasi::http::types,
            "wasi:http/outgoing-handler@0.2.12": ::wasi::http::outgoing_handler,
            "wasi:io/poll@0.2.12": ::wasi::io::poll,
            "wasi:io/error@0.2.12": ::wasi::io::error,
            "wasi:io/streams@0.2.12": ::wasi::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": ::wasi::clocks::monotonic_clock,
            "wasi:clocks/wall-clock@0.2.12": ::wasi::clocks::wall_clock,
            "wasi:random/random@0.2.12": ::wasi::random::random,
        },
        generate_all,
    });
}

use bindings::auth0_audit::connector::types as wit;
use bindings::exports::auth0_audit::connector::jobs::Guest;

use crate::ports::Ports;

struct Component;

impl Guest for Component {
    fn sync_logs(
        tenant: wit::TenantConfig,
        options: wit::SyncOptions,
    ) -> Result<wit::SyncReport, wit::JobError> {
        let tenant = convert::tenant(tenant);
        let options = convert::sync_options(options);
        let kv = kv::WasiKv::open(&tenant.bucket).map_err(convert::error)?;
        let ports = Ports {
            http: &http::WasiHttp,
            kv: &kv,
            clock: &clock::WasiClock,
        };
        crate::sync_logs(ports, &tenant, &options)
            .map(convert::sync_report)
            .map_err(convert::error)
    }

    fn sync_status(
        tenant: wit::TenantConfig,
        stream: Option<String>,
        retention_days: Option<u32>,
    ) -> Result<wit::StatusReport, wit::JobError> {
        let tenant = convert::tenant(tenant);
        let kv = kv::WasiKv::open(&tenant.bucket).map_err(convert::error)?;
        let ports = Ports {
            http: &http::WasiHttp,
            kv: &kv,
            clock: &clock::WasiClock,
        };
        crate::sync_status(ports, &tenant, stream.as_deref(), retention_days)
            .map(convert::status_report)
            .map_err(convert::error)
    }
}

#[allow(unsafe_code)]
mod export {
    use super::{Component, bindings};
    bindings::export!(Component with_types_in bindings);
}
