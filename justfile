# auth0-audit tasks. `just --list` shows them.

# Sync a simulated tenant into a file: no setup, no credentials.
demo:
    cargo run -p auth0-audit -- demo

# Every test: native unit tests and end-to-end tests of the real .wasm.
test:
    cargo test --workspace

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy -p auth0-audit-component --target wasm32-wasip2 -- -D warnings

# The size-tuned component alone.
component:
    cargo build -p auth0-audit-component --target wasm32-wasip2 --release
    ls -l target/wasm32-wasip2/release/auth0_audit_component.wasm

# A simulated tenant on loopback for manual runs.
simulate *ARGS:
    cargo run -p auth0-audit -- simulate {{ARGS}}

# CI, locally.
ci:
    bash .ci/run
