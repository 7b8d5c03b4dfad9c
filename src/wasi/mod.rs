//! The thin WASI layer: generated bindings, the three ports over wasi:http,
//! wasi:keyvalue and wasi:clocks, and the exported `jobs` interface.

mod clock;
mod convert;
mod convert_audit;
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

/// Opens the tenant's bucket and runs `job` with the three WASI ports.
fn with_ports<T>(
    bucket: &str,
    job: impl FnOnce(Ports) -> Result<T, crate::Error>,
) -> Result<T, wit::JobError> {
    let kv = kv::WasiKv::open(bucket).map_err(convert::error)?;
    let ports = Ports {
        http: &http::WasiHttp,
        kv: &kv,
        clock: &clock::WasiClock,
    };
    job(ports).map_err(convert::error)
}

impl Guest for Component {
    fn sync_logs(
        tenant: wit::TenantConfig,
        options: wit::SyncOptions,
    ) -> Result<wit::SyncReport, wit::JobError> {
        let tenant = convert::tenant(tenant);
        let options = convert::sync_options(options);
        with_ports(&tenant.bucket, |ports| {
            crate::sync_logs(ports, &tenant, &options)
        })
        .map(convert::sync_report)
    }

    fn sync_status(
        tenant: wit::TenantConfig,
        stream: Option<String>,
        retention_days: Option<u32>,
    ) -> Result<wit::StatusReport, wit::JobError> {
        let tenant = convert::tenant(tenant);
        with_ports(&tenant.bucket, |ports| {
            crate::sync_status(ports, &tenant, stream.as_deref(), retention_days)
        })
        .map(convert::status_report)
    }

    fn audit_org(
        tenant: wit::TenantConfig,
        org_id: String,
        options: wit::AuditOptions,
    ) -> Result<wit::OrgAuditReport, wit::JobError> {
        let tenant = convert::tenant(tenant);
        let options = convert_audit::audit_options(options);
        with_ports(&tenant.bucket, |ports| {
            crate::audit_org(ports, &tenant, &org_id, &options)
        })
        .map(convert_audit::org_report)
    }

    fn audit_tenant(
        tenant: wit::TenantConfig,
        options: wit::TenantAuditOptions,
    ) -> Result<wit::TenantAuditReport, wit::JobError> {
        let tenant = convert::tenant(tenant);
        let options = convert_audit::tenant_audit_options(options);
        with_ports(&tenant.bucket, |ports| {
            crate::audit_tenant(ports, &tenant, &options)
        })
        .map(convert_audit::tenant_report)
    }
}

#[allow(unsafe_code)]
mod export {
    use super::{Component, bindings};
    bindings::export!(Component with_types_in bindings);
}
