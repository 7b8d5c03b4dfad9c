//! Shared pieces of the end-to-end tests: a sink that can be told to fail, and
//! records built for the simulated tenant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod scenarios;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use auth0_audit_host::runtime::{
    ClientCredentials, Credentials, Header, MemoryKv, Runtime, RuntimeOptions, SinkConfig,
    SinkFormat, StartAt, SyncOptions, TenantConfig,
};
use auth0_audit_simulator::Simulator;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// An HTTP sink on loopback that records every line it acknowledges and can be
/// told to fail the next N requests.
pub struct TestSink {
    pub addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    fail_remaining: Arc<AtomicU32>,
    fail_status: Arc<AtomicU32>,
    pub requests: Arc<AtomicU64>,
}

impl TestSink {
    pub async fn start() -> TestSink {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let sink = TestSink {
            addr,
            lines: Arc::default(),
            fail_remaining: Arc::default(),
            fail_status: Arc::new(AtomicU32::new(503)),
            requests: Arc::default(),
        };
        let (lines, fail_remaining, fail_status, requests) = (
            sink.lines.clone(),
            sink.fail_remaining.clone(),
            sink.fail_status.clone(),
            sink.requests.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (lines, fail_remaining, fail_status, requests) = (
                    lines.clone(),
                    fail_remaining.clone(),
                    fail_status.clone(),
                    requests.clone(),
                );
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (lines, fail_remaining, fail_status, requests) = (
                            lines.clone(),
                            fail_remaining.clone(),
                            fail_status.clone(),
                            requests.clone(),
                        );
                        async move {
                            // Read the whole body before answering (or the client sees a reset).
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            requests.fetch_add(1, Ordering::SeqCst);
                            let failing = fail_remaining
                                .try_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                    n.checked_sub(1)
                                })
                                .is_ok();
                            let status = if failing {
                                fail_status.load(Ordering::SeqCst) as u16
                            } else {
                                let text = String::from_utf8_lossy(&body);
                                lines
                                    .lock()
                                    .unwrap()
                                    .extend(text.lines().map(str::to_string));
                                200
                            };
                            let mut resp =
                                Response::new(Full::new(Bytes::from_static(b"{\"errors\":false}")));
                            *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("http://{}/ingest", self.addr)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn fail_next(&self, n: u32, status: u16) {
        self.fail_status.store(u32::from(status), Ordering::SeqCst);
        self.fail_remaining.store(n, Ordering::SeqCst);
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// log_ids of the delivered lines, in order (ndjson format).
    pub fn log_ids(&self) -> Vec<String> {
        self.lines()
            .iter()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("sink line is JSON");
                v["log_id"].as_str().expect("log_id").to_string()
            })
            .collect()
    }
}

pub fn tenant(sim: &Simulator) -> TenantConfig {
    TenantConfig {
        domain: sim.base_url(),
        credentials: Credentials::ClientCredentials(ClientCredentials {
            client_id: sim.client_id().to_string(),
            client_secret: sim.client_secret().to_string(),
        }),
        audience: None,
        bucket: String::new(),
        cache_token: None,
    }
}

pub fn options(sink_url: &str) -> SyncOptions {
    SyncOptions {
        stream: None,
        start: StartAt::Oldest,
        sink: SinkConfig {
            url: sink_url.to_string(),
            format: SinkFormat::Ndjson,
            headers: vec![Header {
                name: "Authorization".into(),
                value: "Bearer SINK-SECRET-abcdef123456".into(),
            }],
            max_batch_bytes: None,
            max_batch_events: None,
        },
        include_types: vec![],
        exclude_types: vec![],
        max_duration_ms: None,
        retention_days: Some(30),
        gap_warning_seconds: None,
        max_attempts: None,
        request_timeout_ms: Some(5_000),
    }
}

pub async fn runtime(
    sim: &Simulator,
    sink: &TestSink,
    state: Arc<dyn auth0_audit_host::runtime::KvBackend>,
) -> Runtime {
    let mut o = RuntimeOptions::new(state);
    o.allowed_origins = vec![sim.base_url(), sink.origin()];
    Runtime::new(o).await.unwrap()
}

pub fn memory() -> Arc<dyn auth0_audit_host::runtime::KvBackend> {
    Arc::new(MemoryKv::new())
}

/// Asserts the sink holds exactly the simulator's retained log ids, once each.
pub fn assert_exactly_once(sim: &Simulator, sink: &TestSink) {
    let delivered = sink.log_ids();
    let unique: HashSet<&String> = delivered.iter().collect();
    assert_eq!(unique.len(), delivered.len(), "duplicates were delivered");
    let expected: HashSet<String> = sim.log_ids().into_iter().collect();
    let got: HashSet<String> = delivered.into_iter().collect();
    let missing: Vec<_> = expected.difference(&got).take(5).collect();
    let extra: Vec<_> = got.difference(&expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, unexpected {extra:?}"
    );
}

/// A runtime that may reach only the simulator (audits need no sink).
pub async fn runtime_for(
    sim: &Simulator,
    state: Arc<dyn auth0_audit_host::runtime::KvBackend>,
) -> Runtime {
    let mut o = RuntimeOptions::new(state);
    o.allowed_origins = vec![sim.base_url()];
    Runtime::new(o).await.unwrap()
}

/// `audit-org` options: defaults (30-day window, cross-check on), no fallback.
pub fn audit_options() -> auth0_audit_host::runtime::AuditOptions {
    auth0_audit_host::runtime::AuditOptions {
        window_days: None,
        log_search_fallback: false,
        cross_check: None,
        max_duration_ms: None,
        max_attempts: None,
        request_timeout_ms: Some(5_000),
    }
}

/// `audit-tenant` options: defaults, no time budget.
pub fn tenant_audit_options() -> auth0_audit_host::runtime::TenantAuditOptions {
    auth0_audit_host::runtime::TenantAuditOptions {
        window_days: None,
        log_search_fallback: false,
        cross_check: false,
        max_duration_ms: None,
        max_attempts: None,
        request_timeout_ms: Some(5_000),
        restart: false,
    }
}
