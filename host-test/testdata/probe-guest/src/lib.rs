//! Probe guest: exercises key-value get/set/increment and one outgoing HTTP
//! request so the host runtime can be tested without the real component.
//! The tenant `domain` selects a behaviour: `loop` spins, `sleep` blocks on the
//! monotonic clock, `oom` allocates until the memory cap, anything else probes.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "auth0-audit:connector/connector",
    generate_all,
});

use auth0_audit::connector::types::{
    AuditOptions, Checkpoint, ConfigError, JobError, OrgAuditReport, RunHealth, StatusReport,
    SyncOptions, SyncReport, TenantAuditOptions, TenantAuditReport, TenantConfig,
};
use exports::auth0_audit::connector::jobs::Guest;
use wasi::http::{outgoing_handler, types as http};
use wasi::keyvalue::{atomics, store};

struct Probe;

fn health() -> RunHealth {
    RunHealth {
        last_success: None,
        last_attempt: None,
        consecutive_failures: 0,
        last_error: None,
    }
}

fn storage(e: store::Error) -> JobError {
    JobError::Storage(match e {
        store::Error::NoSuchStore => "no-such-store".to_string(),
        store::Error::AccessDenied => "access-denied".to_string(),
        store::Error::Other(s) => s,
    })
}

/// POSTs `body` to `url` (`http://host:port/path`) and returns the status code.
fn post(url: &str, body: &[u8]) -> Result<u16, JobError> {
    let (scheme, rest) = match url.split_once("://") {
        Some(("http", rest)) => (http::Scheme::Http, rest),
        Some(("https", rest)) => (http::Scheme::Https, rest),
        _ => return Err(JobError::Transport(format!("bad url {url}"))),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let headers = http::Fields::new();
    let req = http::OutgoingRequest::new(headers);
    let _ = req.set_method(&http::Method::Post);
    let _ = req.set_scheme(Some(&scheme));
    let _ = req.set_authority(Some(authority));
    let _ = req.set_path_with_query(Some(path));
    let out_body = req.body().map_err(|_| JobError::Transport("body".into()))?;
    let fut =
        outgoing_handler::handle(req, None).map_err(|e| JobError::Transport(format!("{e:?}")))?;
    {
        let stream = out_body
            .write()
            .map_err(|_| JobError::Transport("write".into()))?;
        stream
            .blocking_write_and_flush(body)
            .map_err(|e| JobError::Transport(format!("{e:?}")))?;
    }
    http::OutgoingBody::finish(out_body, None)
        .map_err(|e| JobError::Transport(format!("{e:?}")))?;
    fut.subscribe().block();
    let resp = match fut.get() {
        Some(Ok(Ok(resp))) => resp,
        Some(Ok(Err(e))) => return Err(JobError::Transport(format!("{e:?}"))),
        _ => return Err(JobError::Transport("no response".into())),
    };
    let status = resp.status();
    let incoming = resp
        .consume()
        .map_err(|_| JobError::Transport("consume".into()))?;
    let stream = incoming
        .stream()
        .map_err(|_| JobError::Transport("stream".into()))?;
    while let Ok(chunk) = stream.blocking_read(64 * 1024) {
        let _ = chunk;
    }
    Ok(status)
}

impl Guest for Probe {
    fn sync_logs(tenant: TenantConfig, options: SyncOptions) -> Result<SyncReport, JobError> {
        match tenant.domain.as_str() {
            "loop" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "sleep" => {
                wasi::clocks::monotonic_clock::subscribe_duration(3_600_000_000_000).block();
            }
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            _ => {}
        }
        let bucket = store::open(&tenant.bucket).map_err(storage)?;
        let previous = bucket.get("probe/last").map_err(storage)?;
        let count = atomics::increment(&bucket, "probe/runs", 1).map_err(storage)?;
        bucket
            .set("probe/last", count.to_string().as_bytes())
            .map_err(storage)?;
        let status = post(
            &options.sink.url,
            format!("{{\"run\":{count}}}\n").as_bytes(),
        )?;
        if status != 200 {
            return Err(JobError::Sink(auth0_audit::connector::types::SinkError {
                status: Some(status),
                message: "not acknowledged".into(),
            }));
        }
        Ok(SyncReport {
            stream: options.stream.unwrap_or_else(|| "default".into()),
            fetched: count,
            delivered: 1,
            filtered: 0,
            duplicates_dropped: 0,
            pages: 0,
            api_requests: 0,
            sink_requests: 1,
            first_log_id: previous.map(|v| String::from_utf8_lossy(&v).into_owned()),
            last_log_id: Some(count.to_string()),
            checkpoint: None,
            caught_up: true,
            lag_seconds: None,
            rate_limit_waits: 0,
            rate_limit_wait_ms: 0,
            retries: 0,
            duration_ms: 0,
            warnings: Vec::new(),
            health: health(),
        })
    }

    fn sync_status(
        tenant: TenantConfig,
        stream: Option<String>,
        _retention_days: Option<u32>,
    ) -> Result<StatusReport, JobError> {
        let bucket = store::open(&tenant.bucket).map_err(storage)?;
        let last = bucket.get("probe/last").map_err(storage)?;
        let total = atomics::increment(&bucket, "probe/runs", 0).map_err(storage)?;
        Ok(StatusReport {
            stream: stream.unwrap_or_else(|| "default".into()),
            checkpoint: last.map(|v| Checkpoint {
                log_id: String::from_utf8_lossy(&v).into_owned(),
                log_date: None,
                written_at: String::new(),
                total_delivered: total,
                total_filtered: 0,
            }),
            lag_seconds: None,
            health: health(),
            warnings: Vec::new(),
        })
    }

    fn audit_org(
        _tenant: TenantConfig,
        _org_id: String,
        _options: AuditOptions,
    ) -> Result<OrgAuditReport, JobError> {
        Err(not_probed())
    }

    fn audit_tenant(
        _tenant: TenantConfig,
        _options: TenantAuditOptions,
    ) -> Result<TenantAuditReport, JobError> {
        Err(not_probed())
    }
}

/// The runtime tests only probe sync-logs and sync-status.
fn not_probed() -> JobError {
    JobError::Config(ConfigError {
        field: "job".into(),
        message: "the probe guest does not audit".into(),
    })
}

export!(Probe);
