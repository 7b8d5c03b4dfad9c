//! auth0-audit: copies an Auth0 tenant's logs to a sink without gaps, as a
//! WebAssembly component. Core logic is plain Rust behind `ports`; the `wasi`
//! module (wasm32 only) binds it to wasi:http, wasi:keyvalue and wasi:clocks.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
pub mod audit;
pub mod auth;
pub mod budget;
pub mod endpoint;
pub mod error;
pub mod event;
pub mod event_types;
pub mod keys;
pub mod memory_store;
pub mod model;
pub mod ports;
pub mod ratelimit;
pub mod retry;
pub mod sink;
pub mod sync;
pub mod tenant;

#[cfg(test)]
mod testing;

#[cfg(target_arch = "wasm32")]
mod wasi;

pub use audit::{audit_org, audit_tenant};
pub use error::Error;
pub use sync::{sync_logs, sync_status};
