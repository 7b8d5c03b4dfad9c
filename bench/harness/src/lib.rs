//! The auth0-audit benchmark harness: starts simulated tenants in-process
//! (one fresh tenant per contender run, same seed and size, so every contender
//! sees identical data), runs each contender as a subprocess under
//! `/usr/bin/time -v`, verifies what it wrote against the simulator's log ids,
//! and writes BENCHMARKS.md and SVG plots.
//!
//! `--smoke` is the tiny end-to-end mode the crate's test runs in CI.

pub mod audit;
pub mod contenders;
pub mod drain;
pub mod machine;
pub mod plots;
pub mod procs;
pub mod report;
pub mod runner;
pub mod startup;
pub mod verify;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::contenders::{Contender, Tools};

/// The parts of a run; `--only` picks some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Section {
    Drain,
    RateLimit,
    Startup,
    Memory,
    Audit,
    Scaling,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Drain,
        Section::RateLimit,
        Section::Startup,
        Section::Memory,
        Section::Audit,
        Section::Scaling,
    ];

    pub fn parse(s: &str) -> anyhow::Result<Section> {
        Ok(match s.trim() {
            "drain" => Section::Drain,
            "ratelimit" | "rate-limit" => Section::RateLimit,
            "startup" => Section::Startup,
            "memory" => Section::Memory,
            "audit" => Section::Audit,
            "scaling" => Section::Scaling,
            other => anyhow::bail!(
                "unknown section {other:?} (drain, ratelimit, startup, memory, audit, scaling)"
            ),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub smoke: bool,
    /// Backlog of the main drain.
    pub events: u64,
    pub repeats: u32,
    pub root: PathBuf,
    /// Where `auth0-audit` and `auth0-audit-native` are.
    pub bin_dir: PathBuf,
    /// Scratch space: output files, caches, state.
    pub work: PathBuf,
    /// BENCHMARKS.md.
    pub out: PathBuf,
    /// Plots directory (`None`: no plots).
    pub plots: Option<PathBuf>,
    pub sections: Vec<Section>,
    /// Contenders to run (default: all that are installed).
    pub contenders: Vec<Contender>,
    /// Fail when a contender is missing instead of skipping it.
    pub require_all: bool,
    /// A remark for the top of the report (e.g. what else ran on the machine).
    pub note: Option<String>,
}

impl Options {
    /// The repository root this crate was built in.
    pub fn default_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .canonicalize()
            .unwrap_or_else(|_| PathBuf::from("."))
    }

    pub fn full(root: &Path) -> Options {
        Options {
            smoke: false,
            events: 500_000,
            // One run per contender let a slow spell of the machine pass for
            // a result (the 2026-11-23 run's first drain): take a median.
            repeats: 3,
            root: root.to_path_buf(),
            bin_dir: root.join("target/release"),
            work: root.join("target/bench/work"),
            out: root.join("BENCHMARKS.md"),
            plots: Some(root.join("bench/plots")),
            sections: Section::ALL.to_vec(),
            contenders: contenders::ALL.to_vec(),
            require_all: false,
            note: None,
        }
    }

    /// Tiny sizes; debug binaries (the smoke test builds them first).
    pub fn smoke(root: &Path, work: &Path) -> Options {
        let bin_dir = root.join("target/debug");
        Options {
            smoke: true,
            events: 2_000,
            repeats: 1,
            root: root.to_path_buf(),
            bin_dir,
            work: work.to_path_buf(),
            out: work.join("BENCHMARKS.md"),
            plots: Some(work.join("plots")),
            sections: Section::ALL.to_vec(),
            contenders: contenders::ALL.to_vec(),
            require_all: false,
            note: None,
        }
    }

    fn has(&self, s: Section) -> bool {
        self.sections.contains(&s)
    }

    pub fn tools(&self) -> Tools {
        let python = std::env::var_os("AUTH0_AUDIT_BENCH_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join("target/bench/venv/bin/python"));
        Tools {
            root: self.root.clone(),
            bin_dir: self.bin_dir.clone(),
            python,
            node: contenders::on_path("node"),
            cache_home: self.work.join("xdg-cache"),
        }
    }

    fn timeout(&self) -> Duration {
        if self.smoke {
            Duration::from_secs(180)
        } else {
            Duration::from_secs(3600)
        }
    }
}

/// Everything measured in one run of the harness.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub machine: machine::Machine,
    pub smoke: bool,
    pub bin_dir: String,
    pub drain: Option<drain::Drain>,
    pub rate_limited: Vec<drain::RateLimited>,
    pub startup: Option<startup::Startup>,
    pub memory: Vec<drain::MemoryPoint>,
    pub audit: Vec<audit::AuditRun>,
    pub scaling: Option<drain::Scaling>,
}

/// Runs the selected sections and writes the report and plots.
pub async fn run(opts: &Options) -> anyhow::Result<Results> {
    std::fs::create_dir_all(&opts.work)?;
    let tools = opts.tools();
    std::fs::create_dir_all(&tools.cache_home)?;
    for c in &opts.contenders {
        if let Some(why) = tools.missing(*c) {
            if opts.require_all {
                anyhow::bail!(
                    "{}: {why} (run `just bench`, which installs and builds every contender)",
                    c.label()
                );
            }
            eprintln!("bench: {} will be skipped: {why}", c.label());
        }
    }
    let machine = machine::Machine::detect(
        Some(&tools.python)
            .filter(|p| p.is_file())
            .map(PathBuf::as_path),
    );
    let timeout = opts.timeout();
    let work = opts.work.as_path();
    // Warm the .cwasm cache once, so no measured run pays for compiling.
    if tools.missing(Contender::Wasm).is_none() {
        let _ = runner::run_contender(
            &tools,
            Contender::Wasm,
            drain::tenant_config(10, auth0_audit_simulator::EventSize::ONE_KB, None),
            work,
            &contenders::RunKnobs::default(),
            timeout,
        )
        .await?;
    }
    let mut results = Results {
        machine,
        smoke: opts.smoke,
        bin_dir: opts
            .bin_dir
            .strip_prefix(&opts.root)
            .unwrap_or(&opts.bin_dir)
            .display()
            .to_string(),
        drain: None,
        rate_limited: Vec::new(),
        startup: None,
        memory: Vec::new(),
        audit: Vec::new(),
        scaling: None,
    };
    if opts.has(Section::Drain) {
        results.drain = Some(
            drain::backlog(
                &tools,
                &opts.contenders,
                opts.events,
                work,
                opts.repeats,
                timeout,
            )
            .await?,
        );
    }
    if opts.has(Section::RateLimit) {
        let limited: Vec<Contender> = opts
            .contenders
            .iter()
            .copied()
            .filter(|c| !matches!(c, Contender::Sdk | Contender::Physical))
            .collect();
        for p in drain::profiles(opts.smoke) {
            results
                .rate_limited
                .push(drain::rate_limited(&tools, &limited, p, work, timeout).await?);
        }
    }
    if opts.has(Section::Startup) {
        let (compiles, calls, runs) = if opts.smoke {
            (1, 50, 3)
        } else {
            (5, 2_000, 30)
        };
        results.startup = Some(startup::measure(&tools, work, compiles, calls, runs).await?);
    }
    if opts.has(Section::Memory) {
        let sizes: Vec<u64> = if opts.smoke {
            vec![200, opts.events]
        } else {
            vec![5_000, 50_000, opts.events, opts.events * 2]
        };
        let reuse = results
            .drain
            .as_ref()
            .and_then(|d| d.get(Contender::Wasm))
            .cloned();
        results.memory = drain::memory(&tools, &sizes, reuse.as_ref(), work, timeout).await?;
    }
    if opts.has(Section::Audit) {
        let sizes = if opts.smoke {
            audit::AuditSizes::smoke()
        } else {
            audit::AuditSizes::full()
        };
        results.audit = audit::audits(&tools, &sizes, work).await?;
    }
    if opts.has(Section::Scaling) {
        let (events, batches): (u64, Vec<u32>) = if opts.smoke {
            (300, vec![100, 500])
        } else {
            (100_000, drain::BATCHES.to_vec())
        };
        results.scaling = Some(drain::scaling(&tools, events, &batches, work, timeout).await?);
    }
    let raw = opts.work.join("results.json");
    std::fs::write(&raw, serde_json::to_vec_pretty(&results)?)?;
    write_report(&results, opts)?;
    eprintln!("bench: raw numbers in {}", raw.display());
    Ok(results)
}

/// Rewrites BENCHMARKS.md and the plots from a `results.json` of an earlier run.
pub fn report_from(file: &Path, opts: &Options) -> anyhow::Result<Results> {
    let results: Results = serde_json::from_slice(&std::fs::read(file)?)?;
    write_report(&results, opts)?;
    Ok(results)
}

fn write_report(results: &Results, opts: &Options) -> anyhow::Result<()> {
    let plots = match &opts.plots {
        Some(dir) => report::plots(results, dir)?,
        None => Vec::new(),
    };
    let md = report::markdown(results, opts, &plots);
    if let Some(dir) = opts.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&opts.out, md)?;
    eprintln!("bench: wrote {}", opts.out.display());
    Ok(())
}
