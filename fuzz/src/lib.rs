//! Fuzz targets of the component's parsers and validators. Each target is a
//! plain function here (`targets`), called by one bolero test in
//! `tests/targets.rs`: `cargo test` replays the committed corpus and runs
//! random inputs on stable; `cargo bolero test` drives the same test with
//! libFuzzer. Every target asserts properties the component's code promises,
//! not only "no panic" (see README.md).

pub mod harness;
pub mod inputs;
pub mod targets;

// `cargo bolero test` builds every test binary of the package with coverage
// instrumentation, this crate's (empty) unit-test binary included; linking
// bolero into it brings the libFuzzer runtime that instrumentation needs.
#[cfg(test)]
use bolero as _;
