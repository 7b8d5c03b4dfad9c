//! Fakes of the component's three ports, so a target can drive the real
//! request loop (`Api::get`, the token exchange, sink delivery) with fuzzed
//! responses: a transport that answers from a script and records every
//! request, an in-memory store, and a clock that only moves when slept on.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use auth0_audit_component::api::client::Api;
use auth0_audit_component::api::session::Session;
use auth0_audit_component::budget::Budget;
use auth0_audit_component::model::{Credentials, Secret, TenantConfig};
use auth0_audit_component::ports::{Clock, Ports, Request, Response, Transport, TransportError};
use auth0_audit_component::tenant::Tenant;

/// 2025-11-24T16:00:00Z, the fixtures' "now".
pub const NOW_MS: i64 = 1_764_000_000_000;
/// The tenant every session target talks to.
pub const DOMAIN: &str = "acme.auth0.com";
/// The credentials the session targets use. Long enough to be redacted by
/// `secret_variants`, and made of characters `sanitize_server_text` does not
/// treat as a token, so an echo of it survives until `Error::redact`.
pub const CLIENT_ID: &str = "fuzzClientId0123";
pub const CLIENT_SECRET: &str = "fuzz!secret!value!42";
pub const ACCESS_TOKEN: &str = "fuzz!access!token!42";

/// A transport that answers each request with the next scripted reply, and
/// with a non-retryable refusal once the script is exhausted (so every loop ends).
#[derive(Default)]
pub struct Script {
    replies: RefCell<VecDeque<Result<Response, TransportError>>>,
    pub requests: RefCell<Vec<Request>>,
}

impl Script {
    pub fn new(replies: impl IntoIterator<Item = Response>) -> Self {
        Script {
            replies: RefCell::new(replies.into_iter().map(Ok).collect()),
            requests: RefCell::new(Vec::new()),
        }
    }

    pub fn push(&self, reply: Result<Response, TransportError>) {
        self.replies.borrow_mut().push_back(reply);
    }
}

impl Transport for Script {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.requests.borrow_mut().push(request.clone());
        self.replies
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| Err(TransportError::Denied("the script has ended".into())))
    }
}

/// The component's own in-memory store, under the name the targets use.
pub use auth0_audit_component::memory_store::MemoryStore as MemKv;

pub struct FakeClock {
    now_ms: Cell<i64>,
    mono_ms: Cell<u64>,
    seed: Cell<u64>,
    pub slept_ms: Cell<u64>,
}

impl FakeClock {
    pub fn new(now_ms: i64) -> Self {
        FakeClock {
            now_ms: Cell::new(now_ms),
            mono_ms: Cell::new(0),
            seed: Cell::new(0x9e37_79b9_7f4a_7c15),
            slept_ms: Cell::new(0),
        }
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
        let step = i64::try_from(ms).unwrap_or(i64::MAX);
        self.now_ms.set(self.now_ms.get().saturating_add(step));
        self.mono_ms.set(self.mono_ms.get().saturating_add(ms));
        self.slept_ms.set(self.slept_ms.get().saturating_add(ms));
    }
    fn random_u64(&self) -> u64 {
        let mut x = self.seed.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.set(x);
        x
    }
}

/// The ports of one run.
pub struct Fake {
    pub http: Script,
    pub kv: MemKv,
    pub clock: FakeClock,
}

impl Fake {
    pub fn new(http: Script) -> Self {
        Fake {
            http,
            kv: MemKv::default(),
            clock: FakeClock::new(NOW_MS),
        }
    }

    pub fn ports(&self) -> Ports<'_> {
        Ports {
            http: &self.http,
            kv: &self.kv,
            clock: &self.clock,
        }
    }

    /// Runs `f` with an API client of `tenant`; `max_duration_ms` as the jobs take it.
    pub fn with_api<R>(
        &self,
        tenant: &Tenant,
        attempts: u32,
        max_duration_ms: Option<u64>,
        f: impl FnOnce(&mut Api) -> R,
    ) -> R {
        let budget = Budget::new(&self.clock, max_duration_ms);
        let session = Session::new(self.ports(), tenant, budget, attempts, 30_000);
        let mut api = Api::new(session);
        f(&mut api)
    }

    /// Every request that carried a tenant credential (a bearer token, or the
    /// client secret in a token exchange) went to the tenant itself.
    pub fn assert_credentials_stay_home(&self, tenant: &Tenant) {
        for r in self.http.requests.borrow().iter() {
            let bearer = r
                .headers
                .iter()
                .any(|(n, v)| n.eq_ignore_ascii_case("authorization") && v.starts_with("Bearer "));
            // The token exchange carries the client secret. (A sink request may
            // carry any text a fuzzed log event holds, the secret's included.)
            let exchange = r.path_and_query == "/oauth/token";
            if bearer || exchange {
                assert_eq!(
                    r.origin, tenant.origin,
                    "a credential was sent to another origin: {r:?}"
                );
                assert!(
                    r.path_and_query.starts_with('/'),
                    "request path must start with '/': {r:?}"
                );
            }
        }
    }
}

/// The tenant of the session targets: `acme.auth0.com` with the given credentials.
pub fn tenant(credentials: Credentials) -> Tenant {
    let config = TenantConfig {
        domain: DOMAIN.into(),
        credentials,
        audience: None,
        bucket: String::new(),
        cache_token: Some(false),
    };
    match Tenant::validate(&config) {
        Ok(t) => t,
        Err(e) => unreachable!("the fixed fuzz tenant is valid: {e}"),
    }
}

pub fn token_tenant() -> Tenant {
    tenant(Credentials::AccessToken(Secret::new(ACCESS_TOKEN)))
}

pub fn client_credentials_tenant(cache_token: bool) -> Tenant {
    let mut t = tenant(Credentials::ClientCredentials {
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
    });
    t.cache_token = cache_token;
    t
}

pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
            .collect(),
        body: body.to_vec(),
    }
}
