//! What both benchmarks start from: one page as the simulator serves it
//! (`auth0-audit simulate`, seed 42, 1 KB events, `take=100`), and a sink.

use auth0_audit_component::model::{SinkConfig, SinkFormat};
use auth0_audit_component::sink::Sink;

pub const PAGE: &[u8] = include_bytes!("../fixtures/logs-page-100.json");

/// A loopback sink of `format`; `None` only if validation rejects it.
pub fn sink(format: SinkFormat) -> Option<Sink> {
    let config = SinkConfig {
        url: "http://127.0.0.1:9/".into(),
        format,
        headers: Vec::new(),
        max_batch_bytes: None,
        max_batch_events: None,
    };
    Sink::validate(&config, "sim-tenant.eu.auth0.com").ok()
}
