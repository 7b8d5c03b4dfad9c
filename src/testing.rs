//! Fakes of the three ports for native unit tests: a clock that advances only
//! when slept on, an in-memory store with fault switches, and a scripted HTTP server.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use crate::memory_store::MemoryStore;
use crate::ports::{Clock, KeyValue, Request, Response, StoreError, Transport, TransportError};

pub struct FakeClock {
    now_ms: Cell<i64>,
    mono_ms: Cell<u64>,
    seed: Cell<u64>,
    pub slept: RefCell<Vec<u64>>,
}

impl FakeClock {
    pub fn new(now_ms: i64) -> Self {
        FakeClock {
            now_ms: Cell::new(now_ms),
            mono_ms: Cell::new(0),
            seed: Cell::new(0x9e37_79b9_7f4a_7c15),
            slept: RefCell::new(Vec::new()),
        }
    }
    pub fn advance(&self, ms: u64) {
        self.now_ms.set(self.now_ms.get() + ms as i64);
        self.mono_ms.set(self.mono_ms.get() + ms);
    }
}

impl Clock for FakeClock {
    fn now_unix_ms(&self) -> i64 {
        self.now_ms.get()
    }
    fn monotonic_ms(&self) -> u64 {
        self.mono_ms.get()
    }
    fn sleep_ms(&self, ms: u64) {
        self.slept.borrow_mut().push(ms);
        self.advance(ms);
    }
    fn random_u64(&self) -> u64 {
        // xorshift: deterministic jitter
        let mut x = self.seed.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.set(x);
        x
    }
}

/// The shared in-memory store with fault switches and a count of writes.
#[derive(Default)]
pub struct MemKv {
    pub store: MemoryStore,
    pub fail_sets: Cell<bool>,
    pub fail_gets: Cell<bool>,
    pub sets: Cell<u32>,
}

/// `kv.map` reads as the store's contents.
impl std::ops::Deref for MemKv {
    type Target = MemoryStore;
    fn deref(&self) -> &MemoryStore {
        &self.store
    }
}

impl MemKv {
    pub fn json(&self, key: &str) -> Option<serde_json::Value> {
        self.map
            .borrow()
            .get(key)
            .and_then(|v| serde_json::from_slice(v).ok())
    }
    pub fn keys(&self) -> Vec<String> {
        self.map.borrow().keys().cloned().collect()
    }
}

impl KeyValue for MemKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if self.fail_gets.get() {
            return Err(StoreError("injected get failure".into()));
        }
        self.store.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        if self.fail_sets.get() {
            return Err(StoreError("injected set failure".into()));
        }
        self.sets.set(self.sets.get() + 1);
        self.store.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.store.delete(key)
    }
    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError> {
        self.store.increment(key, delta)
    }
}

/// A response-producing function standing in for a server; records every request.
pub struct FakeHttp<F: Fn(&Request) -> Result<Response, TransportError>> {
    pub handler: F,
    pub requests: RefCell<Vec<Request>>,
    /// Scripted overrides consumed before the handler: (path prefix, result).
    pub script: RefCell<VecDeque<(String, Result<Response, TransportError>)>>,
}

impl<F: Fn(&Request) -> Result<Response, TransportError>> FakeHttp<F> {
    pub fn new(handler: F) -> Self {
        FakeHttp {
            handler,
            requests: RefCell::new(Vec::new()),
            script: RefCell::new(VecDeque::new()),
        }
    }
    pub fn push(&self, prefix: &str, result: Result<Response, TransportError>) {
        self.script
            .borrow_mut()
            .push_back((prefix.to_string(), result));
    }
    pub fn count(&self, prefix: &str) -> usize {
        self.requests
            .borrow()
            .iter()
            .filter(|r| r.path_and_query.starts_with(prefix))
            .count()
    }
}

impl<F: Fn(&Request) -> Result<Response, TransportError>> Transport for FakeHttp<F> {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.requests.borrow_mut().push(request.clone());
        let scripted = {
            let mut script = self.script.borrow_mut();
            match script.front() {
                Some((prefix, _)) if request.path_and_query.starts_with(prefix.as_str()) => {
                    script.pop_front().map(|(_, r)| r)
                }
                _ => None,
            }
        };
        match scripted {
            Some(r) => r,
            None => (self.handler)(request),
        }
    }
}

pub fn response(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

/// A minimal in-process Auth0 tenant and sink for sync tests: checkpoint and
/// search mode of /api/v2/logs, /oauth/token, and a sink at /sink.
pub struct FakeTenant {
    pub events: RefCell<Vec<(String, String, String)>>, // (log_id, date, type)
    pub sink: RefCell<Vec<String>>,                     // delivered lines
    pub tokens_issued: Cell<u32>,
    pub valid_token: RefCell<String>,
    /// Extra response headers for the logs endpoint, e.g. a hostile Link.
    pub link_override: RefCell<Option<String>>,
}

pub const BASE_MS: i64 = 1_763_800_000_000; // 2025-11-22T08:26:40Z

pub fn log_id(seq: u64, ms: i64) -> String {
    let stamp = chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y%m%d%H%M%S").to_string())
        .unwrap_or_default();
    format!("900{stamp}{seq:039}")
}

impl FakeTenant {
    pub fn new(n: u64) -> Self {
        let t = FakeTenant {
            events: RefCell::new(Vec::new()),
            sink: RefCell::new(Vec::new()),
            tokens_issued: Cell::new(0),
            valid_token: RefCell::new(String::new()),
            link_override: RefCell::new(None),
        };
        t.append(n);
        t
    }

    /// Appends `n` events one second apart; every 10th is "late" (older date).
    pub fn append(&self, n: u64) {
        let mut events = self.events.borrow_mut();
        let start = events.len() as u64;
        for i in start..start + n {
            let ms = BASE_MS + (i as i64) * 1000;
            let date_ms = if i % 10 == 9 { ms - 30_000 } else { ms };
            let kind = ["s", "f", "seccft", "sapi"][(i % 4) as usize];
            events.push((
                log_id(i, ms),
                crate::event::format_ms(date_ms),
                kind.to_string(),
            ));
        }
    }

    pub fn all_ids(&self) -> Vec<String> {
        self.events.borrow().iter().map(|e| e.0.clone()).collect()
    }

    pub fn delivered_ids(&self) -> Vec<String> {
        self.sink
            .borrow()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["log_id"].as_str().map(str::to_string))
            .collect()
    }

    fn event_json(e: &(String, String, String)) -> String {
        format!(
            r#"{{"log_id":"{}","_id":"{}","date":"{}","type":"{}","client_id":"cli_1","organization_id":"org_abc","audience":"https://api","scope":"read:x","extra":{{"n":1}}}}"#,
            e.0, e.0, e.1, e.2
        )
    }

    pub fn handle(&self, req: &Request) -> Result<Response, TransportError> {
        let path = req.path_and_query.as_str();
        if path == "/oauth/token" {
            self.tokens_issued.set(self.tokens_issued.get() + 1);
            let token = format!("tok{}", self.tokens_issued.get());
            *self.valid_token.borrow_mut() = token.clone();
            return Ok(response(
                200,
                &format!(r#"{{"access_token":"{token}","expires_in":86400}}"#),
            ));
        }
        if path.starts_with("/sink") {
            let body = String::from_utf8_lossy(&req.body).into_owned();
            self.sink
                .borrow_mut()
                .extend(body.lines().map(str::to_string));
            return Ok(response(200, "{}"));
        }
        if path.starts_with("/api/v2/logs") {
            let auth = req
                .headers
                .iter()
                .find(|(n, _)| n == "authorization")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            if auth != format!("Bearer {}", self.valid_token.borrow()) {
                return Ok(response(
                    401,
                    r#"{"statusCode":401,"message":"Invalid token"}"#,
                ));
            }
            let events = self.events.borrow();
            let param = |name| crate::api::query::param(path, name);
            if let Some(from) = param("from") {
                let take: usize = param("take").and_then(|t| t.parse().ok()).unwrap_or(50);
                let page: Vec<_> = events
                    .iter()
                    .filter(|e| crate::event::log_id_cmp(&e.0, &from).is_gt())
                    .take(take)
                    .collect();
                let next = page.last().map_or(from.clone(), |e| e.0.clone());
                let body = format!(
                    "[{}]",
                    page.iter()
                        .map(|e| Self::event_json(e))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                let mut r = response(200, &body);
                let link = self.link_override.borrow().clone().unwrap_or_else(|| {
                    format!(
                        "<https://acme.auth0.com/api/v2/logs?from={next}&take={take}>; rel=\"next\""
                    )
                });
                r.headers.push(("link".into(), link));
                return Ok(r);
            }
            let mut sorted: Vec<_> = events.iter().collect();
            let since = param("q").and_then(|q| {
                q.strip_prefix("date:[")?
                    .split(" TO")
                    .next()
                    .map(str::to_string)
            });
            if let Some(since) = since {
                sorted.retain(|e| e.1 >= since);
            }
            sorted.sort_by(|a, b| a.1.cmp(&b.1));
            if param("sort").as_deref() == Some("date:-1") {
                sorted.reverse();
            }
            sorted.truncate(100);
            let body = format!(
                "[{}]",
                sorted
                    .iter()
                    .map(|e| Self::event_json(e))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            return Ok(response(200, &body));
        }
        Ok(response(404, "{}"))
    }
}
