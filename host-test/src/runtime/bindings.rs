//! Typed bindings of the `connector` world (exports only: every import is
//! provided by wasmtime-wasi, wasmtime-wasi-http or our keyvalue module).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "auth0-audit:connector/connector",
    exports: { default: async },
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:random": wasmtime_wasi::p2::bindings::random,
        "wasi:keyvalue": crate::runtime::keyvalue::generated::wasi::keyvalue,
    },
    additional_derives: [serde::Serialize],
});

pub use auth0_audit::connector::types;
