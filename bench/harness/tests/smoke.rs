//! The harness end to end at tiny sizes (what CI runs): builds the two Rust
//! binaries if needed, runs every section against the simulator, and fails
//! when a contender's output does not verify or the report is not written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::Instant;

use auth0_audit_bench::contenders::Contender;
use auth0_audit_bench::{Options, run};

/// The target directory the outer cargo uses (binaries land in its `debug/`).
fn target_dir(root: &std::path::Path) -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// `cargo build` of the contender binaries (a no-op when they are fresh). The
/// variables cargo set for this test are removed first: inherited, they change
/// the nested build's fingerprints and rebuild half the tree each time.
fn build_binaries(root: &std::path::Path) {
    const KEEP: [&str; 8] = [
        "CARGO_HOME",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_TERM_",
    ];
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "-p", "auth0-audit", "-p", "auth0-audit-native"]);
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let set_by_cargo = (key.starts_with("CARGO_") && !KEEP.iter().any(|k| key.starts_with(k)))
            || matches!(key, "OUT_DIR" | "RUSTC_WRAPPER" | "RUSTC_WORKSPACE_WRAPPER");
        if set_by_cargo {
            cmd.env_remove(key);
        }
    }
    let status = cmd.status().expect("running cargo build");
    assert!(status.success(), "building the contender binaries failed");
}

#[test]
fn smoke_run_verifies_every_contender_and_writes_the_report() {
    let root = Options::default_root();
    build_binaries(&root);
    let work = root.join(format!("target/bench/smoke-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let mut opts = Options::smoke(&root, &work);
    opts.bin_dir = target_dir(&root).join("debug");
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let results = rt.block_on(run(&opts)).expect("the smoke run failed");
    eprintln!("smoke run took {:.1} s", started.elapsed().as_secs_f64());

    let drain = results.drain.as_ref().expect("drain section");
    for c in [Contender::Wasm, Contender::Native, Contender::Physical] {
        let r = drain
            .get(c)
            .unwrap_or_else(|| panic!("{} did not run", c.label()));
        assert!(r.complete(), "{}: {}", c.label(), r.status());
        assert_eq!(r.events, opts.events, "{}", c.label());
        assert!(r.api_requests > 0);
    }
    // Peers run when installed (`bash bench/peers/install.sh`); whatever ran must verify.
    for r in &drain.runs {
        let ok = r.complete() || (r.contender == Contender::Sdk && r.capped());
        assert!(ok, "{}: {}", r.contender.label(), r.status());
    }
    assert!(
        drain.get(Contender::Wasm).unwrap().guest_peak_mib.is_some(),
        "the guest memory peak was not found in auth0-audit's report"
    );
    for rl in &results.rate_limited {
        for r in &rl.runs {
            assert!(
                r.complete(),
                "rate limited {}: {}",
                r.contender.label(),
                r.status()
            );
        }
    }
    let startup = results.startup.as_ref().expect("startup section");
    assert!(startup.wasm_bytes > 10_000);
    assert!(startup.instantiate_call_us.n > 0 && startup.instantiate_call_us.median > 0.0);
    assert!(startup.process_warm.is_some());
    assert!(
        results
            .memory
            .iter()
            .all(|m| m.complete && m.guest_peak_mib.is_some())
    );
    assert_eq!(results.audit.len(), 3);
    for a in &results.audit {
        assert!(
            a.ok(),
            "{}: exit {:?}: {}",
            a.name,
            a.measured.exit_code,
            a.measured.stderr_tail()
        );
        // Fewer calls than the minimum would mean the minimum is computed wrongly.
        assert!(
            a.api_calls >= a.min.total,
            "{}: {} < {}",
            a.name,
            a.api_calls,
            a.min.total
        );
    }
    let scaling = results.scaling.as_ref().expect("scaling section");
    assert!(scaling.by_size.iter().all(|(_, _, r)| r.complete()));
    assert!(scaling.by_batch.iter().all(|(_, _, r)| r.complete()));

    let md = std::fs::read_to_string(&opts.out).unwrap();
    for heading in [
        "## Goals",
        "## Backlog drain, no rate limit",
        "## Start-up",
        "## Audit",
        "## Scaling",
    ] {
        assert!(md.contains(heading), "BENCHMARKS.md lacks {heading}");
    }
    let plots = opts.plots.as_ref().unwrap();
    for f in [
        "drain-throughput.svg",
        "ratelimit.svg",
        "memory.svg",
        "scaling-event-size.svg",
        "scaling-batch-size.svg",
    ] {
        let svg = std::fs::read_to_string(plots.join(f)).unwrap_or_else(|_| panic!("{f} missing"));
        assert!(svg.contains("<svg"), "{f} is not an SVG");
    }
    let _ = std::fs::remove_dir_all(&work);
}
