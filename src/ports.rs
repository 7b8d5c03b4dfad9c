//! The three seams between the core and the platform. The core only talks to
//! these traits, so it runs natively under test and on any WASI 0.2 host.

/// HTTP method; the component only ever needs these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// Scheme, host and port of a server: the unit the host's allow-list works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub https: bool,
    /// Lower-case host name, IPv4 literal, or bracketed IPv6 literal.
    pub host: String,
    pub port: Option<u16>,
}

impl Origin {
    /// `host[:port]`, as sent in the request's authority.
    pub fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// `https://host[:port]`.
    pub fn base_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.authority())
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub origin: Origin,
    /// Starts with `/`; already percent-encoded.
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    /// Names are lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no response. Each kind decides whether a retry can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    Timeout(String),
    Connect(String),
    /// The connection broke or the response was malformed at the HTTP level.
    Protocol(String),
    /// The response body exceeded the component's bound; retrying will not shrink it.
    TooLarge(u64),
    /// The host refused to send the request (allow-list).
    Denied(String),
}

impl TransportError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TransportError::Timeout(_) | TransportError::Connect(_) | TransportError::Protocol(_)
        )
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Timeout(m) => write!(f, "timed out: {m}"),
            TransportError::Connect(m) => write!(f, "connection failed: {m}"),
            TransportError::Protocol(m) => write!(f, "connection broke: {m}"),
            TransportError::TooLarge(n) => write!(f, "response body larger than {n} bytes"),
            TransportError::Denied(m) => write!(f, "request refused by the host: {m}"),
        }
    }
}

/// Largest response body the component reads; a page of 100 events is far below it.
pub const MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;

pub trait Transport {
    fn send(&self, request: &Request) -> Result<Response, TransportError>;

    /// Sends `request` and returns while it travels, so the caller can work
    /// meanwhile (the sync asks for the next page before delivering this one).
    /// A transport that cannot overlap sends it here and now.
    fn start(&self, request: &Request) -> Box<dyn InFlight> {
        Box::new(Done(self.send(request)))
    }
}

/// A request on its way.
pub trait InFlight {
    /// Blocks until the response (or the failure) is in.
    fn wait(self: Box<Self>) -> Result<Response, TransportError>;
}

/// An exchange that already finished.
pub struct Done(pub Result<Response, TransportError>);

impl InFlight for Done {
    fn wait(self: Box<Self>) -> Result<Response, TransportError> {
        self.0
    }
}

/// A key-value store failure, as text a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub trait KeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Atomically adds `delta` and returns the new value.
    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError>;
}

/// Time and the jitter source; kept together so tests control both.
pub trait Clock {
    /// Wall clock, milliseconds since the UNIX epoch.
    fn now_unix_ms(&self) -> i64;
    /// Monotonic milliseconds, for budgets and durations.
    fn monotonic_ms(&self) -> u64;
    fn sleep_ms(&self, ms: u64);
    fn random_u64(&self) -> u64;
}

/// Everything a job needs from the platform.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    pub http: &'a dyn Transport,
    pub kv: &'a dyn KeyValue,
    pub clock: &'a dyn Clock,
}
