//! One bolero test per fuzz target. Under `cargo test` each replays all of
//! its corpus and crash files (`tests/__fuzz__/<name>/`) and then a fixed
//! number of random inputs, sized to about a second each in a debug build
//! (`BOLERO_RANDOM_ITERATIONS` overrides the number). `cargo bolero test
//! <name>` runs the same test under libFuzzer (see README.md).

use auth0_audit_fuzz::targets::{api, config, parsers, text};

#[test]
fn log_page() {
    bolero::check!()
        .with_iterations(30_000)
        .for_each(parsers::log_page);
}

#[test]
fn list_page() {
    bolero::check!()
        .with_iterations(100)
        .for_each(parsers::list_page);
}

#[test]
fn record() {
    bolero::check!()
        .with_iterations(3_000)
        .for_each(parsers::record);
}

#[test]
fn token_response() {
    bolero::check!()
        .with_iterations(1_000)
        .for_each(parsers::token_response);
}

#[test]
fn token_cache() {
    bolero::check!()
        .with_iterations(5_000)
        .for_each(parsers::token_cache);
}

#[test]
fn error_body() {
    bolero::check!()
        .with_iterations(300)
        .for_each(parsers::error_body);
}

#[test]
fn sink_ack() {
    bolero::check!()
        .with_iterations(5_000)
        .for_each(parsers::sink_ack);
}

#[test]
fn link_header() {
    bolero::check!()
        .with_iterations(20_000)
        .for_each(parsers::link_header);
}

#[test]
fn session() {
    bolero::check!()
        .with_iterations(1_000)
        .with_arbitrary::<api::SessionInput>()
        .for_each(api::session);
}

#[test]
fn tenant_config() {
    bolero::check!()
        .with_iterations(10_000)
        .with_arbitrary::<config::TenantInput>()
        .for_each(config::tenant_config);
}

#[test]
fn endpoint_url() {
    bolero::check!()
        .with_iterations(50_000)
        .for_each(config::endpoint_url);
}

#[test]
fn sync_options() {
    bolero::check!()
        .with_iterations(4_000)
        .with_arbitrary::<config::SyncInput>()
        .for_each(config::sync_options);
}

#[test]
fn event_types() {
    bolero::check!()
        .with_iterations(200)
        .with_arbitrary::<config::FilterInput>()
        .for_each(config::event_types);
}

#[test]
fn audit_options() {
    bolero::check!()
        .with_iterations(10_000)
        .with_arbitrary::<config::AuditInput>()
        .for_each(config::audit_options);
}

#[test]
fn org_id() {
    bolero::check!()
        .with_iterations(50_000)
        .for_each(config::org_id);
}

#[test]
fn query_codec() {
    bolero::check!()
        .with_iterations(5_000)
        .with_arbitrary::<text::QueryInput>()
        .for_each(text::query_codec);
}

#[test]
fn redaction() {
    bolero::check!()
        .with_iterations(4_000)
        .with_arbitrary::<text::RedactInput>()
        .for_each(text::redaction);
}
