//! `auth0-audit-bench`: runs the benchmarks and writes BENCHMARKS.md and the plots.
//! `just bench` installs the peers, builds the release binaries and runs this.

use std::path::PathBuf;
use std::process::ExitCode;

use auth0_audit_bench::{Options, Section, contenders};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "auth0-audit-bench",
    about = "Benchmarks auth0-audit against its peers on a simulated tenant"
)]
struct Cli {
    /// Tiny sizes (the CI smoke test); output goes to the work directory.
    #[arg(long)]
    smoke: bool,
    /// Backlog of the main drain (default 500000; smoke 2000).
    #[arg(long)]
    events: Option<u64>,
    /// Runs per contender in the main drain, in rounds; the median is
    /// reported (default 3; smoke 1).
    #[arg(long)]
    repeats: Option<u32>,
    /// Markdown report (default BENCHMARKS.md at the repository root).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Plot directory (default bench/plots).
    #[arg(long)]
    plots: Option<PathBuf>,
    /// Directory holding auth0-audit and auth0-audit-native (default target/release).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Scratch directory (default target/bench/work).
    #[arg(long)]
    work: Option<PathBuf>,
    /// Only these sections: drain, ratelimit, startup, memory, audit, scaling (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Only these contenders: auth0-audit, native-core, python-requests, node-fetch, python-sdk, physical-limit.
    #[arg(long, value_delimiter = ',')]
    contenders: Vec<String>,
    /// Fail if a contender is not installed instead of skipping it.
    #[arg(long)]
    require_all: bool,
    /// Measure nothing: rewrite the report and plots from this results.json.
    #[arg(long, value_name = "FILE")]
    report_from: Option<PathBuf>,
    /// A remark printed at the top of the report (e.g. other load on the machine).
    #[arg(long)]
    note: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("auth0-audit-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let root = Options::default_root();
    let mut opts = if cli.smoke {
        let work = cli
            .work
            .clone()
            .unwrap_or_else(|| root.join("target/bench/smoke"));
        Options::smoke(&root, &work)
    } else {
        Options::full(&root)
    };
    if let Some(n) = cli.events {
        opts.events = n;
    }
    if let Some(n) = cli.repeats {
        opts.repeats = n.max(1);
    }
    if let Some(o) = cli.out {
        opts.out = o;
    }
    if let Some(p) = cli.plots {
        opts.plots = Some(p);
    }
    if let Some(b) = cli.bin_dir {
        opts.bin_dir = b;
    }
    if let Some(w) = cli.work {
        opts.work = w;
    }
    if !cli.only.is_empty() {
        opts.sections = cli
            .only
            .iter()
            .map(|s| Section::parse(s))
            .collect::<anyhow::Result<_>>()?;
    }
    if !cli.contenders.is_empty() {
        opts.contenders = cli
            .contenders
            .iter()
            .map(|k| {
                contenders::ALL
                    .into_iter()
                    .find(|c| c.key() == k.trim())
                    .ok_or_else(|| anyhow::anyhow!("unknown contender {k:?}"))
            })
            .collect::<anyhow::Result<_>>()?;
    }
    opts.require_all = cli.require_all;
    opts.note = cli.note.clone();
    let results = match &cli.report_from {
        Some(file) => auth0_audit_bench::report_from(file, &opts)?,
        None => auth0_audit_bench::run(&opts).await?,
    };
    let goals = auth0_audit_bench::report::goals(&results, &opts.root);
    for g in &goals {
        eprintln!(
            "bench: {:<10} {} — {} [{}]",
            g.area,
            g.goal,
            g.measured,
            match g.met {
                Some(true) => "met",
                Some(false) => "MISSED",
                None => "n/a",
            }
        );
    }
    Ok(())
}
