//! Two of the core's ports, natively: HTTP over a keep-alive `ureq` agent and
//! the std clock (the store is the component's own `MemoryStore`).

use std::cell::Cell;
use std::hash::{BuildHasher as _, RandomState};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth0_audit_component::ports::{
    Clock, MAX_RESPONSE_BYTES, Method, Origin, Request, Response, Transport, TransportError,
};

/// One agent (one connection pool) for the whole process. Like wasi:http in the
/// wasm host: no redirects followed, no proxy, no compression, status codes are
/// answers (not errors).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .user_agent("auth0-audit-native")
        .max_idle_connections_per_host(4)
        .build()
        .into()
}

/// What the tenant was asked and how often it said 429 (the sink is not counted).
#[derive(Debug, Default, Clone, Copy)]
pub struct Traffic {
    pub requests: u64,
    pub status_429: u64,
}

pub struct UreqTransport {
    agent: ureq::Agent,
    tenant: Origin,
    traffic: Cell<Traffic>,
}

impl UreqTransport {
    pub fn new(agent: ureq::Agent, tenant: Origin) -> Self {
        UreqTransport {
            agent,
            tenant,
            traffic: Cell::new(Traffic::default()),
        }
    }

    pub fn traffic(&self) -> Traffic {
        self.traffic.get()
    }
}

pub fn classify(e: ureq::Error) -> TransportError {
    let text = e.to_string();
    match e {
        ureq::Error::Timeout(_) => TransportError::Timeout(text),
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportError::Connect(text),
        ureq::Error::BodyExceedsLimit(_) => TransportError::TooLarge(MAX_RESPONSE_BYTES),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                TransportError::Timeout(text)
            }
            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::AddrNotAvailable => {
                TransportError::Connect(text)
            }
            _ => TransportError::Protocol(text),
        },
        _ => TransportError::Protocol(text),
    }
}

impl Transport for UreqTransport {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let to_tenant = request.origin == self.tenant;
        let url = format!("{}{}", request.origin.base_url(), request.path_and_query);
        let timeout = Some(Duration::from_millis(request.timeout_ms.max(1)));
        let result = match request.method {
            Method::Get => {
                let mut builder = self.agent.get(&url);
                for (name, value) in &request.headers {
                    builder = builder.header(name, value);
                }
                builder.config().timeout_global(timeout).build().call()
            }
            Method::Post => {
                let mut builder = self.agent.post(&url);
                for (name, value) in &request.headers {
                    builder = builder.header(name, value);
                }
                builder
                    .config()
                    .timeout_global(timeout)
                    .build()
                    .send(&request.body[..])
            }
        };
        if to_tenant {
            let mut t = self.traffic.get();
            t.requests += 1;
            self.traffic.set(t);
        }
        let mut response = result.map_err(classify)?;
        let status = response.status().as_u16();
        if to_tenant && status == 429 {
            let mut t = self.traffic.get();
            t.status_429 += 1;
            self.traffic.set(t);
        }
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(classify)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

pub struct StdClock {
    start: Instant,
}

impl Default for StdClock {
    fn default() -> Self {
        StdClock {
            start: Instant::now(),
        }
    }
}

impl Clock for StdClock {
    fn now_unix_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }

    fn monotonic_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn sleep_ms(&self, ms: u64) {
        if ms > 0 {
            std::thread::sleep(Duration::from_millis(ms));
        }
    }

    fn random_u64(&self) -> u64 {
        // Randomly keyed SipHash of the clock: jitter only, not cryptography.
        RandomState::new().hash_one(self.start.elapsed().as_nanos())
    }
}
