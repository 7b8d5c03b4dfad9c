//! `auth0-audit sync`: one run, or a schedule with `--every` (single flight,
//! graceful Ctrl-C: the run in progress finishes and commits first).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Args;

use crate::commands::config::{
    FileConfig, TenantArgs, load_file, parse_duration, parse_format, parse_header, parse_start,
    usage,
};
use crate::commands::exit;
use crate::commands::output;
use crate::commands::progress::Progress;
use crate::commands::sink::SinkTarget;
use crate::runtime::{
    Header, JobError, RunStats, Runtime, RuntimeOptions, SinkConfig, SinkFormat, SyncOptions,
    SyncReport, TenantConfig, open_state,
};

#[derive(Args, Debug, Clone, Default)]
pub struct SyncArgs {
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Where events go: https://... (a SIEM endpoint), file:PATH, or stdout.
    #[arg(long)]
    pub sink: Option<String>,
    /// ndjson, log-streams, splunk-hec or elastic-bulk.
    #[arg(long, value_name = "FORMAT")]
    pub sink_format: Option<String>,
    /// Extra sink request header, 'Name: value' (repeatable), e.g. 'Authorization: Splunk TOKEN'.
    #[arg(long, value_name = "HEADER")]
    pub sink_header: Vec<String>,
    /// Where a first sync starts: oldest (default), now, or an RFC 3339 time.
    #[arg(long)]
    pub start: Option<String>,
    /// Names an independent checkpoint (two pipelines can read one tenant).
    #[arg(long)]
    pub stream: Option<String>,
    /// Only these event types (comma-separated codes, e.g. s,f,seccft).
    #[arg(long, value_delimiter = ',')]
    pub include_types: Vec<String>,
    /// Never these event types.
    #[arg(long, value_delimiter = ',')]
    pub exclude_types: Vec<String>,
    /// Stop fetching after this long, commit, and report caught-up false (e.g. 5m).
    #[arg(long)]
    pub max_duration: Option<String>,
    /// Run again this long after each run ends (e.g. 5m), until Ctrl-C.
    #[arg(long)]
    pub every: Option<String>,
    /// The tenant's log retention in days, for the stale-checkpoint warning.
    #[arg(long)]
    pub retention_days: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Guest memory cap in MiB.
    #[arg(long, default_value_t = 64)]
    pub memory_limit_mib: usize,
    /// Hard wall-clock limit of one run, enforced by the host (e.g. 15m).
    #[arg(long)]
    pub wall_clock_limit: Option<String>,
}

/// Everything one scheduled sync needs, prepared once.
pub struct SyncJob {
    pub runtime: Runtime,
    pub tenant: TenantConfig,
    pub options: SyncOptions,
    pub sink: SinkTarget,
    pub every: Option<Duration>,
    pub json: bool,
}

impl SyncJob {
    pub async fn prepare(args: &SyncArgs) -> anyhow::Result<SyncJob> {
        let file: FileConfig = load_file(args.tenant.config.as_deref())?;
        let tenant = args.tenant.tenant(&file)?;
        let sink_spec = args
            .sink
            .clone()
            .or_else(|| file.sink.url.clone())
            .ok_or_else(|| {
                usage(
                    "--sink",
                    "no sink: pass --sink https://..., --sink file:PATH or --sink stdout",
                )
            })?;
        let sink = SinkTarget::open(&sink_spec).await?;
        let format = match args
            .sink_format
            .clone()
            .or_else(|| file.sink.format.clone())
        {
            Some(f) => parse_format(&f)?,
            None => SinkFormat::Ndjson,
        };
        let mut headers: Vec<Header> = file
            .sink
            .headers
            .iter()
            .map(|(name, value)| Header {
                name: name.clone(),
                value: value.clone(),
            })
            .collect();
        for h in &args.sink_header {
            let (name, value) = parse_header(h)?;
            headers.push(Header { name, value });
        }
        let duration_ms = |field: &str, text: Option<String>| -> anyhow::Result<Option<u64>> {
            text.map(|t| parse_duration(field, &t).map(|d| d.as_millis() as u64))
                .transpose()
        };
        let options = SyncOptions {
            stream: args.stream.clone().or_else(|| file.sync.stream.clone()),
            start: parse_start(
                args.start
                    .as_deref()
                    .or(file.sync.start.as_deref())
                    .unwrap_or("oldest"),
            ),
            sink: SinkConfig {
                url: sink.url.clone(),
                format,
                headers,
                max_batch_bytes: file.sink.max_batch_bytes,
                max_batch_events: file.sink.max_batch_events,
            },
            include_types: if args.include_types.is_empty() {
                file.sync.include_types.clone().unwrap_or_default()
            } else {
                args.include_types.clone()
            },
            exclude_types: if args.exclude_types.is_empty() {
                file.sync.exclude_types.clone().unwrap_or_default()
            } else {
                args.exclude_types.clone()
            },
            max_duration_ms: duration_ms(
                "--max-duration",
                args.max_duration.clone().or(file.sync.max_duration.clone()),
            )?,
            retention_days: args.retention_days.or(file.sync.retention_days),
            gap_warning_seconds: duration_ms("gap_warning", file.sync.gap_warning.clone())?
                .map(|ms| ms / 1000),
            max_attempts: None,
            request_timeout_ms: None,
        };
        let every = args
            .every
            .clone()
            .or(file.sync.every.clone())
            .map(|t| parse_duration("--every", &t))
            .transpose()?;
        let state = open_state(&args.tenant.state_spec(&file)?)?;
        let mut allowed: Vec<String> = TenantArgs::tenant_origin(&tenant.domain)
            .into_iter()
            .collect();
        allowed.extend(sink.origin());
        let mut runtime_options = RuntimeOptions::new(state);
        runtime_options.allowed_origins = allowed;
        runtime_options.memory_limit_bytes = args.memory_limit_mib.saturating_mul(1024 * 1024);
        runtime_options.wall_clock_limit = args
            .wall_clock_limit
            .as_deref()
            .map(|t| parse_duration("--wall-clock-limit", t))
            .transpose()?;
        let runtime = Runtime::new(runtime_options).await?;
        Ok(SyncJob {
            runtime,
            tenant,
            options,
            sink,
            every,
            json: args.json,
        })
    }

    /// One run with a progress line. `Err` is a host failure (trap, limit).
    pub async fn run_once(&self) -> anyhow::Result<(Result<SyncReport, JobError>, RunStats)> {
        let traffic = self.runtime.traffic();
        let (pages, batches) = (
            traffic.log_pages.load(Ordering::Relaxed),
            traffic.sink_posts.load(Ordering::Relaxed),
        );
        let progress = Progress::start(
            "syncing".into(),
            Box::new(move || {
                (
                    traffic.log_pages.load(Ordering::Relaxed) - pages,
                    traffic.sink_posts.load(Ordering::Relaxed) - batches,
                )
            }),
        );
        let outcome = self.runtime.sync_logs(&self.tenant, &self.options).await;
        progress.finish().await;
        outcome
    }

    /// Prints a run's outcome; returns the exit code it deserves.
    pub fn print(&self, outcome: &anyhow::Result<(Result<SyncReport, JobError>, RunStats)>) -> i32 {
        match outcome {
            Ok((Ok(report), stats)) => {
                if self.json {
                    println!("{}", output::json_with_stats(report, stats));
                } else {
                    print!(
                        "{}",
                        output::sync_summary(&self.tenant.domain, report, Some(stats))
                    );
                    if self.sink.collector.is_some() && self.sink.describe != "stdout" {
                        println!("events appended to {}", self.sink.describe);
                    }
                }
                exit::OK
            }
            Ok((Err(e), _)) => {
                let (message, code) = output::job_error(e);
                if self.json {
                    println!("{}", output::json(&serde_json::json!({ "error": e })));
                }
                eprintln!("error: {message}");
                code
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                exit::HOST
            }
        }
    }
}

pub async fn run(args: SyncArgs) -> anyhow::Result<i32> {
    let job = Arc::new(SyncJob::prepare(&args).await?);
    let Some(every) = job.every else {
        let outcome = job.run_once().await;
        let code = job.print(&outcome);
        drop(outcome);
        if let Ok(job) = Arc::try_unwrap(job) {
            job.sink.close().await;
        }
        return Ok(code);
    };
    eprintln!(
        "running every {}; Ctrl-C stops after the current run",
        humantime::format_duration(every)
    );
    let mut last_code;
    loop {
        // Single flight: the next run starts only after this one ended.
        let run = tokio::spawn({
            let job = job.clone();
            async move {
                let outcome = job.run_once().await;
                job.print(&outcome)
            }
        });
        tokio::pin!(run);
        tokio::select! {
            code = &mut run => last_code = code.unwrap_or(exit::HOST),
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stopping: letting the current run finish and commit (Ctrl-C again to abort)");
                tokio::select! {
                    code = &mut run => return Ok(code.unwrap_or(exit::HOST)),
                    _ = tokio::signal::ctrl_c() => return Ok(exit::HOST),
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = tokio::signal::ctrl_c() => return Ok(last_code),
        }
    }
}
