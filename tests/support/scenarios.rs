//! Pieces of the reliability suite (`tests/reliability.rs`): a sink with seeded
//! random faults, the summary row every scenario returns, delivery accounting
//! and state-store snapshots.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth0_audit_host::runtime::{JobError, KvBackend, Runtime, RuntimeOptions};
use auth0_audit_simulator::Simulator;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// Size multiplier: 1 in CI, 20 when `AUTH0_AUDIT_SOAK=1` (the long mode).
pub fn soak_factor() -> u64 {
    match std::env::var("AUTH0_AUDIT_SOAK").as_deref() {
        Ok("1") => 20,
        _ => 1,
    }
}

/// Seeds (independent runs) per scenario: `short` in CI, 3× that in soak mode.
pub fn seeds(short: u64) -> Vec<u64> {
    let n = if soak_factor() > 1 { short * 3 } else { short };
    (0..n).map(|i| 1_000 + i * 7_919).collect()
}

/// One line of the summary table.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub scenario: String,
    /// `sync-logs` invocations, failed ones included.
    pub runs: u64,
    /// Retained events in the tenant (the truth).
    pub expected: u64,
    /// Lines the sink acknowledged, duplicates included.
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub outcome: String,
}

impl Row {
    /// Adds another tenant/sink pair's counts to this row.
    pub fn add(&mut self, other: &Row) {
        self.runs += other.runs;
        self.expected += other.expected;
        self.delivered += other.delivered;
        self.lost += other.lost;
        self.duplicated += other.duplicated;
    }
}

static ROWS: Mutex<Vec<Row>> = Mutex::new(Vec::new());

/// Records a finished scenario and prints its row; when `total` rows are in
/// (every scenario of the binary ran), prints the whole table.
pub fn record(row: Row, total: usize) {
    println!("{}", format_rows(std::slice::from_ref(&row)));
    let mut rows = ROWS.lock().unwrap_or_else(|e| e.into_inner());
    rows.push(row);
    if rows.len() == total {
        rows.sort_by(|a, b| a.scenario.cmp(&b.scenario));
        println!(
            "\nreliability summary (soak factor {}):\n{}",
            soak_factor(),
            format_rows(&rows)
        );
    }
}

/// A Markdown table of rows.
pub fn format_rows(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | runs | expected | delivered | lost | duplicated | outcome |\n|---|---:|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.scenario, r.runs, r.expected, r.delivered, r.lost, r.duplicated, r.outcome
        ));
    }
    out
}

/// Compares what a sink received with the tenant's retained log_ids.
/// Panics on an event the tenant never had (that would be corruption).
pub fn account(scenario: &str, expected: &[String], delivered: &[String]) -> Row {
    let unique: HashSet<&String> = delivered.iter().collect();
    let truth: HashSet<&String> = expected.iter().collect();
    let extra: Vec<_> = unique.difference(&truth).take(5).collect();
    assert!(extra.is_empty(), "{scenario}: unexpected log_ids {extra:?}");
    let lost = truth.difference(&unique).count() as u64;
    Row {
        scenario: scenario.to_string(),
        runs: 0,
        expected: expected.len() as u64,
        delivered: delivered.len() as u64,
        lost,
        duplicated: (delivered.len() - unique.len()) as u64,
        outcome: String::new(),
    }
}

/// The variant name of a typed error (`Upstream`, `Sink`, ...).
pub fn error_kind(e: &JobError) -> String {
    let text = format!("{e:?}");
    let text = text.strip_prefix("JobError::").unwrap_or(&text);
    text.split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Counts typed errors by variant, for the outcome column.
#[derive(Default, Debug)]
/// Typed errors by kind, and runs that stopped because a newer run took over.
pub struct ErrorTally(pub BTreeMap<String, u64>, pub u64);

impl ErrorTally {
    pub fn add(&mut self, e: &JobError) {
        *self.0.entry(error_kind(e)).or_default() += 1;
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    pub fn describe(&self) -> String {
        let superseded = match self.1 {
            0 => String::new(),
            n => format!("; {n} runs superseded by a newer run"),
        };
        if self.0.is_empty() {
            return format!("no errors{superseded}");
        }
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k} {v}")).collect();
        format!("typed errors: {}{superseded}", parts.join(", "))
    }
}

/// A runtime allowed to reach `origins` only.
pub async fn runtime_with(origins: Vec<String>, state: Arc<dyn KvBackend>) -> Runtime {
    let mut o = RuntimeOptions::new(state);
    o.allowed_origins = origins;
    Runtime::new(o).await.expect("runtime")
}

/// State a failed run must not change: everything except the run health, the
/// run counter, the stream lease (claimed before the first request) and the
/// token cache (which a run legitimately refreshes).
pub fn durable_state(kv: &dyn KvBackend) -> Vec<(String, Vec<u8>)> {
    kv_snapshot(kv, "")
        .into_iter()
        .filter(|(key, _)| {
            !(key.ends_with("/health")
                || key.ends_with("/runs")
                || key.ends_with("/lease")
                || key.ends_with("/lease-tickets")
                || key.contains("/token/"))
        })
        .collect()
}

/// Every key and value of one bucket.
pub fn kv_snapshot(kv: &dyn KvBackend, bucket: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut cursor = None;
    loop {
        let page = kv.list_keys(bucket, cursor).expect("list_keys");
        for key in page.keys {
            let value = kv.get(bucket, &key).expect("get").unwrap_or_default();
            out.insert(key, value);
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    out
}

/// Where the simulated tenant's default stream keeps its checkpoint.
pub fn checkpoint_key(sim: &Simulator) -> String {
    format!(
        "auth0-audit/v1/127.0.0.1:{}/stream/default/checkpoint",
        sim.port()
    )
}

/// Probabilities of the sink's faults per request (seeded, reproducible).
#[derive(Clone, Copy, Debug, Default)]
pub struct SinkFaults {
    pub rate_500: f64,
    pub rate_503: f64,
    pub rate_429: f64,
    /// Answer 200 after `slow_ms` (the lines are stored before the wait).
    pub rate_slow: f64,
    pub slow_ms: u64,
}

struct ChaosState {
    faults: SinkFaults,
    rng: u64,
    fail_remaining: u32,
    fail_status: u16,
}

impl ChaosState {
    fn sample(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// (status, delay before answering).
    fn draw(&mut self) -> (u16, u64) {
        if self.fail_remaining > 0 {
            self.fail_remaining -= 1;
            return (self.fail_status, 0);
        }
        let f = self.faults;
        let (a, b, c, d) = (self.sample(), self.sample(), self.sample(), self.sample());
        if a < f.rate_500 {
            (500, 0)
        } else if b < f.rate_503 {
            (503, 0)
        } else if c < f.rate_429 {
            (429, 0)
        } else if d < f.rate_slow {
            (200, f.slow_ms)
        } else {
            (200, 0)
        }
    }
}

/// A loopback sink that fails at seeded random rates, acknowledges slowly, or
/// fails the next N requests. A line counts as received when the sink stored it,
/// which happens only for a 200 answer (a slow 200 stores before waiting, so a
/// client that times out may send the batch again: a documented duplicate).
pub struct ChaosSink {
    pub addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    /// Greatest log_id stored so far, kept as lines arrive.
    max_id: Arc<Mutex<Option<String>>>,
    state: Arc<Mutex<ChaosState>>,
    pub requests: Arc<AtomicU64>,
    /// Slow answers started (each may become a client timeout).
    pub slow_answers: Arc<AtomicU64>,
    /// Requests answered with an error status.
    pub failed_answers: Arc<AtomicU32>,
}

impl ChaosSink {
    pub async fn start(faults: SinkFaults, seed: u64) -> ChaosSink {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let sink = ChaosSink {
            addr,
            lines: Arc::default(),
            max_id: Arc::default(),
            state: Arc::new(Mutex::new(ChaosState {
                faults,
                rng: seed,
                fail_remaining: 0,
                fail_status: 503,
            })),
            requests: Arc::default(),
            slow_answers: Arc::default(),
            failed_answers: Arc::default(),
        };
        let shared = (
            (sink.lines.clone(), sink.max_id.clone()),
            sink.state.clone(),
            sink.requests.clone(),
            sink.slow_answers.clone(),
            sink.failed_answers.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let ((lines, max_id), state, requests, slow, failed) = shared.clone();
                        async move {
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            requests.fetch_add(1, Ordering::SeqCst);
                            let (status, delay) =
                                state.lock().unwrap_or_else(|e| e.into_inner()).draw();
                            if status == 200 {
                                let text = String::from_utf8_lossy(&body);
                                let mut stored = lines.lock().unwrap_or_else(|e| e.into_inner());
                                let mut max = max_id.lock().unwrap_or_else(|e| e.into_inner());
                                for line in text.lines() {
                                    let id = log_id_of(line);
                                    if max.as_ref().is_none_or(|m| id > *m) {
                                        *max = Some(id);
                                    }
                                    stored.push(line.to_string());
                                }
                            } else {
                                failed.fetch_add(1, Ordering::SeqCst);
                            }
                            if delay > 0 {
                                slow.fetch_add(1, Ordering::SeqCst);
                                tokio::time::sleep(Duration::from_millis(delay)).await;
                            }
                            let mut resp =
                                Response::new(Full::new(Bytes::from_static(b"{\"errors\":false}")));
                            *resp.status_mut() =
                                hyper::StatusCode::from_u16(status).unwrap_or_default();
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

    pub fn set_faults(&self, faults: SinkFaults) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).faults = faults;
    }

    pub fn fail_next(&self, n: u32, status: u16) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.fail_remaining = n;
        s.fail_status = status;
    }

    /// log_ids of the stored lines, in arrival order (ndjson format).
    pub fn log_ids(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|l| log_id_of(l))
            .collect()
    }

    /// The greatest log_id stored so far (simulator ids have a fixed width).
    pub fn max_log_id(&self) -> Option<String> {
        self.max_id
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The `log_id` of one ndjson line.
fn log_id_of(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).expect("sink line is JSON");
    v["log_id"].as_str().expect("log_id").to_string()
}
