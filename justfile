# auth0-audit tasks. `just --list` shows them.

# Arguments reach the commands as given (`just bench --note "two words"`),
# not re-split by the shell.
set positional-arguments

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
    cargo run -p auth0-audit -- simulate "$@"

# CI, locally.
ci:
    bash .ci/run

# Benchmarks: installs the peers (Python venv, Node script), builds the release
# binaries, runs every contender against the same simulated tenant and writes
# BENCHMARKS.md and bench/plots/*.svg (~25 min on 2 cores, plus the build).
# Extra flags go to the harness, e.g. `just bench --only drain --events 100000`.
bench *ARGS:
    bash bench/peers/install.sh
    command -v hyperfine >/dev/null || apt-get install -y hyperfine || echo "hyperfine not installed: the harness times whole processes itself"
    test -x /usr/bin/time || apt-get install -y time || echo "GNU time not installed: no CPU or RSS columns"
    cargo build --release -p auth0-audit -p auth0-audit-native -p auth0-audit-bench
    target/release/auth0-audit-bench --require-all "$@"

# Where the component's bytes go (an unstripped release build, by crate and module).
size:
    CARGO_PROFILE_RELEASE_STRIP=false cargo build -p auth0-audit-component --release --target wasm32-wasip2 --target-dir target/size
    python3 bench/size/wasm_sizes.py target/size/wasm32-wasip2/release/auth0_audit_component.wasm
