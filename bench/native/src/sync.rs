//! `sync`: the component's own `sync_logs`, natively. `file:PATH` goes through
//! the host's loopback collector, as `auth0-audit sync --sink file:PATH` does,
//! so both contenders pay for the same sink.

use std::path::PathBuf;
use std::time::Instant;

use auth0_audit_component::model::{
    Credentials, Secret, SinkConfig, SinkFormat, StartAt, SyncOptions, TenantConfig,
};
use auth0_audit_component::ports::Ports;
use auth0_audit_component::tenant::Tenant;
use auth0_audit_host::collector::{self, Collector, CollectorTarget};
use clap::Args;

use crate::ports::{StdClock, UreqTransport, agent};
// The state store, in memory: the benchmark measures one process syncing a
// backlog, so nothing needs to outlive it (the wasm host runs with `--state memory`).
use crate::{Env, Outcome};
use auth0_audit_component::memory_store::MemoryStore;

/// Runs of `sync_logs` allowed before giving up on catching up (each run
/// normally catches up at once: no time budget is set).
const MAX_RUNS: u32 = 1000;

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// `file:PATH` (through the host's loopback collector) or an http(s) URL.
    #[arg(long)]
    sink: String,
    /// ndjson (default), log-streams, splunk-hec or elastic-bulk.
    #[arg(long, value_name = "FORMAT", default_value = "ndjson")]
    sink_format: String,
    /// Events per sink request (the component's default is 500).
    #[arg(long, value_name = "N")]
    max_batch_events: Option<u32>,
    /// Bytes per sink request (the component's default is 1 MiB).
    #[arg(long, value_name = "N")]
    max_batch_bytes: Option<u32>,
    /// Extra sink request header, 'Name: value' (repeatable).
    #[arg(long, value_name = "HEADER")]
    sink_header: Vec<String>,
    /// Only `memory` is supported: state lives as long as the process.
    #[arg(long, default_value = "memory")]
    state: String,
}

fn format(name: &str) -> Result<SinkFormat, String> {
    match name {
        "ndjson" => Ok(SinkFormat::Ndjson),
        "log-streams" => Ok(SinkFormat::LogStreams),
        "splunk-hec" => Ok(SinkFormat::SplunkHec),
        "elastic-bulk" => Ok(SinkFormat::ElasticBulk),
        other => Err(format!(
            "unknown --sink-format {other:?}: ndjson, log-streams, splunk-hec or elastic-bulk"
        )),
    }
}

fn header(text: &str) -> Result<(String, Secret), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or("--sink-header takes 'Name: value'")?;
    Ok((name.trim().to_string(), Secret::new(value.trim())))
}

/// The collector needs a tokio runtime; one worker thread serves it while the
/// main thread runs the (blocking) core.
struct FileSink {
    runtime: tokio::runtime::Runtime,
    collector: Collector,
}

impl FileSink {
    fn start(path: PathBuf) -> Result<FileSink, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("starting the collector's runtime: {e}"))?;
        let collector = runtime
            .block_on(collector::start(CollectorTarget::File(path)))
            .map_err(|e| format!("{e:#}"))?;
        Ok(FileSink { runtime, collector })
    }

    fn close(self) {
        let FileSink { runtime, collector } = self;
        runtime.block_on(collector.shutdown());
    }
}

pub fn run(env: &Env, args: &SyncArgs) -> Result<Outcome, String> {
    if args.state != "memory" {
        return Err("--state: only `memory` is supported by this benchmark binary".into());
    }
    let tenant = TenantConfig {
        domain: env.domain.clone(),
        credentials: Credentials::ClientCredentials {
            client_id: env.client_id.clone(),
            client_secret: Secret::new(env.client_secret.clone()),
        },
        audience: env.audience.clone(),
        bucket: String::new(),
        cache_token: Some(true),
    };
    let origin = Tenant::validate(&tenant).map_err(|e| e.to_string())?.origin;
    let file_sink = match args.sink.strip_prefix("file:") {
        Some("") => return Err("--sink file: needs a path".into()),
        Some(path) => Some(FileSink::start(PathBuf::from(path))?),
        None => None,
    };
    let url = match &file_sink {
        Some(f) => f.collector.url(),
        None => args.sink.clone(),
    };
    let options = SyncOptions {
        stream: None,
        start: StartAt::Oldest,
        sink: SinkConfig {
            url,
            format: format(&args.sink_format)?,
            headers: args
                .sink_header
                .iter()
                .map(|h| header(h))
                .collect::<Result<_, _>>()?,
            max_batch_bytes: args.max_batch_bytes,
            max_batch_events: args.max_batch_events,
        },
        include_types: Vec::new(),
        exclude_types: Vec::new(),
        max_duration_ms: None,
        retention_days: None,
        gap_warning_seconds: None,
        max_attempts: None,
        request_timeout_ms: None,
    };

    let started = Instant::now();
    let http = UreqTransport::new(agent(), origin);
    let kv = MemoryStore::default();
    let clock = StdClock::default();
    let ports = Ports {
        http: &http,
        kv: &kv,
        clock: &clock,
    };
    let mut events = 0;
    let mut runs = 0;
    let result = loop {
        runs += 1;
        match auth0_audit_component::sync_logs(ports, &tenant, &options) {
            Err(e) => break Err(format!("sync failed: {e}")),
            Ok(report) => {
                events += report.delivered;
                if report.caught_up {
                    break Ok(());
                }
                if runs >= MAX_RUNS {
                    break Err(format!("not caught up after {MAX_RUNS} runs"));
                }
            }
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    if let Some(sink) = file_sink {
        sink.close();
    }
    result?;
    let traffic = http.traffic();
    Ok(Outcome {
        contender: "native-core",
        events,
        requests: traffic.requests,
        status_429: traffic.status_429,
        seconds,
    })
}
