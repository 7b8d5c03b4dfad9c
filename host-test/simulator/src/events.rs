//! Seeded, lazy event generation: an event is a pure function of (seed, index,
//! ingest time), so a million-event backlog costs 8 bytes per event in memory.

use std::sync::OnceLock;

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{Value, json};

use crate::logid::{iso_ms, log_id};
use crate::tenant::{Directory, M2M_COUNT, OrgTokenUsage, TENANT_NAME};

static TYPES_TSV: &str = include_str!("event-types.tsv");

/// `(code, meaning)` pairs from the embedded event-types table.
fn type_table() -> &'static [(&'static str, &'static str)] {
    static TABLE: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        TYPES_TSV
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once('\t'))
            .collect()
    })
}

fn describe(code: &str) -> &'static str {
    type_table()
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, m)| *m)
        .unwrap_or("Event")
}

/// Who an event is about; drives the searchable fields and the rendering.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Actor {
    /// An org token exchange from `Directory::token_usage[i]`.
    OrgUse(usize),
    /// A client-credentials exchange without organization (grant index).
    M2m { grant: usize, bogus_org: bool },
    /// An end user through an interactive client.
    User { client: usize, user: u32 },
    /// A Management API call by a machine client.
    Mgmt { client: usize },
    /// A tenant-level notice without user or client.
    System,
}

/// The cheap part of an event: enough to filter searches without rendering JSON.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub index: u64,
    pub ingest_ms: i64,
    pub date_ms: i64,
    pub late: bool,
    pub code: &'static str,
    pub actor: Actor,
}

#[derive(Clone, Copy)]
enum Kind {
    User,
    M2mOk,
    M2mFail,
    Mgmt,
    System,
    Other,
}

/// Realistic mix of event types (weights in tenths of a percent-ish).
const MIX: [(&str, u32, Kind); 26] = [
    ("s", 220, Kind::User),
    ("ssa", 80, Kind::User),
    ("seacft", 80, Kind::User),
    ("slo", 50, Kind::User),
    ("sertft", 50, Kind::User),
    ("fp", 40, Kind::User),
    ("fu", 30, Kind::User),
    ("f", 20, Kind::User),
    ("ss", 20, Kind::User),
    ("scoa", 20, Kind::User),
    ("fsa", 20, Kind::User),
    ("gd_auth_succeed", 20, Kind::User),
    ("w", 10, Kind::User),
    ("sv", 10, Kind::User),
    ("gd_send_sms", 10, Kind::User),
    ("sepft", 10, Kind::User),
    ("fcoa", 5, Kind::User),
    ("limit_wc", 5, Kind::User),
    ("pwd_leak", 3, Kind::User),
    ("seccft", 120, Kind::M2mOk),
    ("feccft", 10, Kind::M2mFail),
    ("sapi", 30, Kind::Mgmt),
    ("mgmt_api_read", 20, Kind::Mgmt),
    ("api_limit", 5, Kind::System),
    ("depnote", 3, Kind::System),
    ("", 20, Kind::Other),
];

const USER_AGENTS: [&str; 6] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Edge/124.0.0.0",
];
const M2M_AGENTS: [&str; 4] = [
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "python-requests/2.31.0",
    "Go-http-client/2.0",
    "axios/1.6.8",
];
/// (code, code3, country, city, continent, latitude, longitude, time zone)
type City = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    &'static str,
);
const CITIES: [City; 6] = [
    (
        "DE",
        "DEU",
        "Germany",
        "Berlin",
        "EU",
        52.52,
        13.405,
        "Europe/Berlin",
    ),
    (
        "US",
        "USA",
        "United States",
        "Seattle",
        "NA",
        47.6062,
        -122.3321,
        "America/Los_Angeles",
    ),
    (
        "GB",
        "GBR",
        "United Kingdom",
        "London",
        "EU",
        51.5072,
        -0.1276,
        "Europe/London",
    ),
    (
        "BR",
        "BRA",
        "Brazil",
        "Sao Paulo",
        "SA",
        -23.5505,
        -46.6333,
        "America/Sao_Paulo",
    ),
    (
        "JP",
        "JPN",
        "Japan",
        "Tokyo",
        "AS",
        35.6762,
        139.6503,
        "Asia/Tokyo",
    ),
    (
        "IN",
        "IND",
        "India",
        "Bengaluru",
        "AS",
        12.9716,
        77.5946,
        "Asia/Kolkata",
    ),
];
const FIRST: [&str; 10] = [
    "ada", "alan", "grace", "linus", "margaret", "dennis", "barbara", "ken", "radia", "tim",
];
const LAST: [&str; 10] = [
    "lovelace", "turing", "hopper", "torvalds", "hamilton", "ritchie", "liskov", "thompson",
    "perlman", "berners",
];
const CONNECTIONS: [(&str, &str, &str); 3] = [
    ("Username-Password-Authentication", "auth0", "database"),
    ("google-oauth2", "google-oauth2", "social"),
    ("acme-okta", "okta", "enterprise"),
];

fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct ClientRef {
    id: String,
    name: String,
}

struct NonOrgUse {
    client: usize,
    audience: String,
    scopes: Vec<String>,
}

/// Immutable generator state shared by all requests.
pub(crate) struct Generator {
    seed: u64,
    target_size: usize,
    clients: Vec<ClientRef>,
    interactive: Vec<usize>,
    mgmt_clients: Vec<usize>,
    non_org: Vec<NonOrgUse>,
    usage: Vec<OrgTokenUsage>,
    connection_ids: Vec<String>,
    total_weight: u32,
}

impl Generator {
    pub fn new(seed: u64, target_size: usize, dir: &Directory) -> Self {
        let clients: Vec<ClientRef> = dir
            .clients
            .iter()
            .map(|c| ClientRef {
                id: c.client_id.clone(),
                name: c.name.clone(),
            })
            .collect();
        let interactive = dir
            .clients
            .iter()
            .enumerate()
            .filter(|(_, c)| c.app_type != "non_interactive")
            .map(|(i, _)| i)
            .collect();
        let mgmt_clients = vec![clients.len().saturating_sub(1), M2M_COUNT - 1];
        let non_org = dir
            .client_grants
            .iter()
            .filter(|g| g.organization_usage != "require")
            .filter_map(|g| {
                let client = dir
                    .clients
                    .iter()
                    .position(|c| c.client_id == g.client_id)?;
                (dir.clients[client].app_type == "non_interactive").then(|| NonOrgUse {
                    client,
                    audience: g.audience.clone(),
                    scopes: g.scope.clone(),
                })
            })
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00C0_FFEE);
        let connection_ids = CONNECTIONS
            .iter()
            .map(|_| format!("con_{}", crate::tenant::alnum(&mut rng, 16)))
            .collect();
        Self {
            seed,
            target_size,
            clients,
            interactive,
            mgmt_clients,
            non_org,
            usage: dir.token_usage.clone(),
            connection_ids,
            total_weight: MIX.iter().map(|m| m.1).sum(),
        }
    }

    fn rng(&self, index: u64, stream: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(mix64(self.seed ^ mix64(index ^ stream)))
    }

    /// The searchable skeleton of event `index`.
    pub fn meta(&self, index: u64, ingest_ms: i64) -> Meta {
        let mut rng = self.rng(index, 0x4D45_5441);
        let late = rng.random_bool(0.02);
        let date_ms = if late {
            ingest_ms - rng.random_range(5_000..=120_000)
        } else {
            ingest_ms - rng.random_range(0..1_500)
        };
        // Every tenth event is an org token exchange, cycling through all usage entries.
        if index % 10 == 3 && !self.usage.is_empty() {
            let i = ((index / 10) % self.usage.len() as u64) as usize;
            let code = if self.usage[i].success {
                "seccft"
            } else {
                "feccft"
            };
            return Meta {
                index,
                ingest_ms,
                date_ms,
                late,
                code,
                actor: Actor::OrgUse(i),
            };
        }
        let mut pick = rng.random_range(0..self.total_weight.max(1));
        let mut chosen = MIX[0];
        for m in MIX {
            if pick < m.1 {
                chosen = m;
                break;
            }
            pick -= m.1;
        }
        let user = |rng: &mut ChaCha8Rng, interactive: &[usize]| Actor::User {
            client: interactive
                .get(rng.random_range(0..interactive.len().max(1)))
                .copied()
                .unwrap_or(0),
            user: rng.random_range(0..400),
        };
        let (code, actor) = match chosen.2 {
            Kind::User => (chosen.0, user(&mut rng, &self.interactive)),
            Kind::Other => {
                let table = type_table();
                let code = table
                    .get(rng.random_range(0..table.len().max(1)))
                    .map(|t| t.0)
                    .unwrap_or("s");
                (code, user(&mut rng, &self.interactive))
            }
            Kind::M2mOk | Kind::M2mFail if !self.non_org.is_empty() => {
                let grant = rng.random_range(0..self.non_org.len());
                let fail = matches!(chosen.2, Kind::M2mFail);
                let bogus_org = fail && rng.random_bool(0.25);
                (chosen.0, Actor::M2m { grant, bogus_org })
            }
            Kind::M2mOk | Kind::M2mFail => (chosen.0, Actor::System),
            Kind::Mgmt => {
                let client = self.mgmt_clients[rng.random_range(0..self.mgmt_clients.len())];
                (chosen.0, Actor::Mgmt { client })
            }
            Kind::System => (chosen.0, Actor::System),
        };
        Meta {
            index,
            ingest_ms,
            date_ms,
            late,
            code,
            actor,
        }
    }

    pub fn client_id<'a>(&'a self, meta: &Meta) -> Option<&'a str> {
        match meta.actor {
            Actor::OrgUse(i) => self.usage.get(i).map(|u| u.client_id.as_str()),
            Actor::M2m { grant, .. } => self
                .non_org
                .get(grant)
                .and_then(|g| self.clients.get(g.client))
                .map(|c| c.id.as_str()),
            Actor::User { client, .. } | Actor::Mgmt { client } => {
                self.clients.get(client).map(|c| c.id.as_str())
            }
            Actor::System => None,
        }
    }

    pub fn organization_id<'a>(&'a self, meta: &Meta) -> Option<&'a str> {
        match meta.actor {
            Actor::OrgUse(i) => self.usage.get(i).map(|u| u.organization_id.as_str()),
            Actor::M2m {
                bogus_org: true, ..
            } => Some("org_does-not-exist"),
            _ => None,
        }
    }

    pub fn user_id(&self, meta: &Meta) -> Option<String> {
        match meta.actor {
            Actor::User { user, .. } => Some(self.user_id_of(user)),
            _ => None,
        }
    }

    fn user_id_of(&self, user: u32) -> String {
        format!(
            "auth0|{:024x}",
            u128::from(mix64(self.seed ^ u64::from(user))) & ((1u128 << 96) - 1)
        )
    }

    /// Renders event `meta` as one compact JSON object.
    pub fn render(&self, meta: &Meta, out: &mut Vec<u8>) {
        let mut rng = self.rng(meta.index, 0x5245_4E44);
        let lean = self.target_size < 768;
        let id = log_id(meta.ingest_ms, meta.index);
        let city = CITIES[rng.random_range(0..CITIES.len())];
        let ip = format!(
            "{}.{}.{}.{}",
            rng.random_range(20..223u8),
            rng.random::<u8>(),
            rng.random::<u8>(),
            rng.random_range(1..255u8)
        );
        let mut ev = LogOut {
            date: iso_ms(meta.date_ms),
            kind: meta.code,
            description: describe(meta.code).to_string(),
            connection: None,
            connection_id: None,
            client_id: self.client_id(meta),
            client_name: None,
            ip,
            user_agent: None,
            hostname: "sim-tenant.eu.auth0.com",
            user_id: String::new(),
            user_name: None,
            strategy: None,
            strategy_type: None,
            audience: None,
            scope: None,
            organization_id: None,
            organization_name: None,
            details: Value::Object(serde_json::Map::new()),
            location_info: None,
            log_id: id.clone(),
            id,
            tenant_name: TENANT_NAME,
            event_schema: EventSchema { version: "1.0.0" },
            is_mobile: false,
            custom: None,
        };
        if !lean {
            ev.location_info = Some(json!({
                "country_code": city.0,
                "country_code3": city.1,
                "country_name": city.2,
                "city_name": city.3,
                "latitude": city.5,
                "longitude": city.6,
                "time_zone": city.7,
                "continent_code": city.4,
            }));
        }
        match meta.actor {
            Actor::OrgUse(i) => {
                if let Some(u) = self.usage.get(i) {
                    ev.client_name = Some(&u.client_name);
                    ev.audience = Some(&u.audience);
                    ev.scope = Some(scope_value(&mut rng, &u.scopes));
                    ev.organization_id = Some(&u.organization_id);
                    ev.organization_name = Some(&u.organization_name);
                    ev.user_agent = Some(M2M_AGENTS[rng.random_range(0..M2M_AGENTS.len())]);
                    self.m2m_details(&mut ev, &mut rng, u.success, lean);
                }
            }
            Actor::M2m { grant, bogus_org } => {
                if let Some(g) = self.non_org.get(grant) {
                    ev.client_name = self.clients.get(g.client).map(|c| c.name.as_str());
                    ev.audience = Some(&g.audience);
                    ev.scope = Some(scope_value(&mut rng, &g.scopes));
                    ev.user_agent = Some(M2M_AGENTS[rng.random_range(0..M2M_AGENTS.len())]);
                    if bogus_org {
                        ev.organization_id = Some("org_does-not-exist");
                    }
                    self.m2m_details(&mut ev, &mut rng, meta.code == "seccft", lean);
                }
            }
            Actor::User { client, user } => {
                let c = self.clients.get(client);
                ev.client_name = c.map(|c| c.name.as_str());
                let conn = rng.random_range(0..CONNECTIONS.len());
                ev.connection = Some(CONNECTIONS[conn].0);
                ev.connection_id = self.connection_ids.get(conn).map(|s| s.as_str());
                ev.strategy = Some(CONNECTIONS[conn].1);
                ev.strategy_type = Some(CONNECTIONS[conn].2);
                ev.user_id = self.user_id_of(user);
                ev.user_name = Some(format!(
                    "{}.{}@example.com",
                    FIRST[user as usize % FIRST.len()],
                    LAST[(user as usize / FIRST.len()) % LAST.len()]
                ));
                let ua = rng.random_range(0..USER_AGENTS.len());
                ev.user_agent = Some(USER_AGENTS[ua]);
                ev.is_mobile = (3..=4).contains(&ua);
                if !lean {
                    let rich = self.target_size >= 1400;
                    ev.details = user_details(meta.code, &mut rng, meta.date_ms, rich);
                }
            }
            Actor::Mgmt { client } => {
                ev.client_name = self.clients.get(client).map(|c| c.name.as_str());
                ev.user_agent = Some(M2M_AGENTS[rng.random_range(0..M2M_AGENTS.len())]);
                let write = meta.code == "sapi";
                ev.description = if write {
                    "Update a client".to_string()
                } else {
                    "Get a client".to_string()
                };
                if !lean {
                    let target = self
                        .clients
                        .get(rng.random_range(0..self.clients.len().max(1)));
                    let path = format!(
                        "/api/v2/clients/{}",
                        target.map(|c| c.id.as_str()).unwrap_or("")
                    );
                    ev.details = json!({
                        "request": {
                            "method": if write { "patch" } else { "get" },
                            "path": path,
                            "query": {},
                            "userAgent": ev.user_agent,
                            "channel": "api",
                            "ip": ev.ip,
                            "auth": {"user": {}, "strategy": "jwt", "credentials": {"jti": format!("{:032x}", rng.random::<u128>()), "scopes": ["read:clients", "update:clients"]}}
                        },
                        "response": {"statusCode": 200, "body": {"client_id": target.map(|c| c.id.as_str()), "name": target.map(|c| c.name.as_str())}}
                    });
                }
            }
            Actor::System => {
                ev.client_id = None;
                if !lean {
                    ev.details = json!({"limit": 100, "window": "60s", "path": "/api/v2/users"});
                }
            }
        }
        // A few events carry a field the project does not know, to check pass-through.
        if meta.index % 97 == 41 {
            ev.custom =
                Some(json!({"sim_trace": format!("{:016x}", mix64(meta.index)), "sampled": true}));
        }
        let start = out.len();
        if serde_json::to_writer(&mut *out, &ev).is_err() {
            out.truncate(start);
            out.extend_from_slice(b"{}");
            return;
        }
        // Pad `details` up to a jittered target so the average size matches the config.
        let jitter = rng.random_range(0.8..1.2);
        let target = (self.target_size as f64 * jitter) as usize;
        let len = out.len() - start;
        let overhead = r#","padding":"""#.len();
        if len + overhead < target
            && let Value::Object(map) = &mut ev.details
        {
            let fill = target - len - overhead;
            let text: String = (0..fill)
                .map(|i| char::from(b'a' + ((meta.index as usize + i) % 26) as u8))
                .collect();
            map.insert("padding".to_string(), Value::String(text));
            out.truncate(start);
            if serde_json::to_writer(&mut *out, &ev).is_err() {
                out.truncate(start);
                out.extend_from_slice(b"{}");
            }
        }
    }

    fn m2m_details(&self, ev: &mut LogOut<'_>, rng: &mut ChaCha8Rng, success: bool, lean: bool) {
        ev.user_id = String::new();
        if success {
            ev.description = "Client Credentials for Access Token".to_string();
        } else {
            let aud = ev.audience.unwrap_or("");
            ev.description = if ev.organization_id.is_some() {
                format!(
                    "Client is not authorized to access \"{aud}\" on behalf of the organization."
                )
            } else {
                "Unauthorized".to_string()
            };
        }
        if lean {
            return;
        }
        ev.details = if success {
            json!({
                "actions": {"executions": [format!("{:032x}", rng.random::<u128>())]},
                "token_request_id": format!("{:016x}", rng.random::<u64>()),
            })
        } else {
            json!({
                "error": {"message": ev.description, "oauthError": "access_denied", "type": "request-error"},
                "token_request_id": format!("{:016x}", rng.random::<u64>()),
            })
        };
    }
}

/// `scope` as Auth0 writes it: sometimes a space-joined string, sometimes an array.
fn scope_value(rng: &mut ChaCha8Rng, granted: &[String]) -> Value {
    let mut chosen: Vec<&String> = granted.iter().filter(|_| rng.random_bool(0.7)).collect();
    if chosen.is_empty()
        && let Some(first) = granted.first()
    {
        chosen.push(first);
    }
    if rng.random_bool(0.5) {
        Value::String(
            chosen
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )
    } else {
        Value::Array(
            chosen
                .into_iter()
                .map(|s| Value::String(s.clone()))
                .collect(),
        )
    }
}

/// Details of an end-user event; `rich` adds the `prompts` array of real login events.
fn user_details(code: &str, rng: &mut ChaCha8Rng, date_ms: i64, rich: bool) -> Value {
    let session = format!("{:032x}", rng.random::<u128>());
    match code {
        "f" | "fp" | "fu" | "fsa" | "fcoa" | "limit_wc" => {
            let message = match code {
                "fp" | "fu" => "Wrong email or password.",
                "fsa" => "Login required",
                "limit_wc" => "Too many failed login attempts",
                _ => "Unauthorized",
            };
            json!({"error": {"message": message, "type": "access_denied"}, "session_id": session})
        }
        _ if !rich => {
            let elapsed = rng.random_range(200..20_000);
            json!({
                "initiatedAt": date_ms - elapsed,
                "completedAt": date_ms,
                "elapsedTime": elapsed,
                "session_id": session,
                "stats": {"loginsCount": rng.random_range(1..500)}
            })
        }
        _ => {
            let elapsed = rng.random_range(200..20_000);
            json!({
                "prompts": [
                    {"name": "prompt-authenticate", "completedAt": date_ms - 20, "connection": "Username-Password-Authentication", "strategy": "auth0", "identity": format!("{:024x}", rng.random::<u128>() & ((1u128 << 96) - 1)), "stats": {"loginsCount": rng.random_range(1..500)}, "elapsedTime": elapsed},
                    {"name": "login", "flow": "universal-login", "initiatedAt": date_ms - elapsed, "completedAt": date_ms, "timers": {"rules": rng.random_range(1..50)}, "elapsedTime": elapsed}
                ],
                "initiatedAt": date_ms - elapsed,
                "completedAt": date_ms,
                "elapsedTime": elapsed,
                "session_id": session,
                "stats": {"loginsCount": rng.random_range(1..500)}
            })
        }
    }
}

#[derive(Serialize)]
struct EventSchema {
    version: &'static str,
}

/// One log event as serialized on the wire.
#[derive(Serialize)]
struct LogOut<'a> {
    date: String,
    #[serde(rename = "type")]
    kind: &'a str,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_name: Option<&'a str>,
    ip: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<&'a str>,
    hostname: &'a str,
    user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    strategy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    strategy_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audience: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_name: Option<&'a str>,
    details: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    location_info: Option<Value>,
    log_id: String,
    #[serde(rename = "_id")]
    id: String,
    tenant_name: &'a str,
    #[serde(rename = "$event_schema")]
    event_schema: EventSchema,
    #[serde(rename = "isMobile")]
    is_mobile: bool,
    #[serde(
        rename = "x_sim_unknown_field",
        skip_serializing_if = "Option::is_none"
    )]
    custom: Option<Value>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::tenant::generate;

    fn render(g: &Generator, i: u64) -> Value {
        let m = g.meta(i, 1_729_796_777_517 + i as i64 * 1000);
        let mut out = Vec::new();
        g.render(&m, &mut out);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn events_are_deterministic_and_sized() {
        let dir = generate(3, 12, "c");
        for size in [512usize, 1024, 4096, 8192] {
            let g = Generator::new(3, size, &dir);
            let mut total = 0usize;
            for i in 0..400 {
                let m = g.meta(i, 1_729_796_777_517);
                let mut out = Vec::new();
                g.render(&m, &mut out);
                let mut again = Vec::new();
                g.render(&m, &mut again);
                assert_eq!(out, again);
                let v: Value = serde_json::from_slice(&out).unwrap();
                assert_eq!(v["log_id"], v["_id"]);
                total += out.len();
            }
            let avg = total / 400;
            assert!(
                avg > size * 7 / 10 && avg < size * 15 / 10,
                "size {size}: avg {avg}"
            );
        }
    }

    #[test]
    fn mix_has_org_exchanges_and_late_arrivals() {
        let dir = generate(5, 12, "c");
        let g = Generator::new(5, 1024, &dir);
        let mut late = 0;
        let mut seccft_org = 0;
        let mut feccft_org = 0;
        let mut unknown = 0;
        let mut scope_kinds = (0, 0);
        for i in 0..5000 {
            let m = g.meta(i, 1_729_796_777_517);
            if m.late {
                late += 1;
                assert!(m.ingest_ms - m.date_ms >= 5000);
            }
            let v = render(&g, i);
            if v.get("x_sim_unknown_field").is_some() {
                unknown += 1;
            }
            if v["type"] == "seccft" || v["type"] == "feccft" {
                match &v["scope"] {
                    Value::String(_) => scope_kinds.0 += 1,
                    Value::Array(_) => scope_kinds.1 += 1,
                    _ => {}
                }
                if let Some(org) = v["organization_id"].as_str()
                    && dir.organization(org).is_some()
                {
                    if v["type"] == "seccft" {
                        seccft_org += 1;
                    } else {
                        feccft_org += 1;
                    }
                }
            }
        }
        assert!((40..200).contains(&late), "late {late}");
        assert!(seccft_org > 300 && feccft_org > 0);
        assert!(unknown > 10);
        assert!(scope_kinds.0 > 0 && scope_kinds.1 > 0);
    }
}
