//! Structured inputs built with `arbitrary`. Random bytes almost never spell a
//! valid URL, RFC 3339 date or Auth0 page, so text is assembled from pieces of
//! the input languages (URL syntax, Auth0 names, hostile characters) and
//! numbers lean towards the validators' bounds. libFuzzer mutates the bytes
//! behind these values; `cargo test` draws them at random.

use arbitrary::{Arbitrary, Result, Unstructured};
use serde_json::{Map, Value, json};

/// Fragments the inputs are made of: URL and Link syntax, Auth0 names, RFC
/// 3339 pieces, and the characters validators must refuse.
const PIECES: &[&str] = &[
    "https://",
    "http://",
    "ftp://",
    "acme",
    "auth0",
    ".",
    "com",
    "eu",
    "acme.eu.auth0.com",
    "ACME",
    ":",
    "443",
    "4000",
    "0",
    "65536",
    "127.0.0.1",
    "localhost",
    "[::1]",
    "10.0.0.1",
    "0127",
    "[",
    "]",
    "/",
    "?",
    "#",
    "@",
    "%",
    "%2F",
    "..",
    "/../",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\u{0}",
    "-",
    "_",
    "é",
    "\u{200b}",
    "xn--",
    "org_",
    "AND",
    "or",
    "NOT",
    "To",
    "seccft",
    "feccft",
    "s",
    "mgmt_api_read",
    "900",
    "20241024190617",
    "2026-11-01",
    "T",
    "00:00:00",
    ".517",
    "Z",
    "+01:00",
    "-23:59",
    "<",
    ">",
    ";",
    "rel=\"next\"",
    "rel=next",
    ",",
    "=",
    "&",
    "from=",
    "take=100",
    "/api/v2/logs",
    "api",
    "v2",
    "[redacted]",
    "Splunk ",
    "Bearer ",
    "Authorization",
    "Content-Type",
    "X-Custom",
    "\u{7f}",
    "\"",
    "\\",
];

/// Text assembled from `PIECES`, single characters and free strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

#[derive(Arbitrary)]
enum Piece {
    Known(u8),
    Char(char),
    Free(String),
}

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut s = String::new();
        for piece in u.arbitrary_iter::<Piece>()? {
            match piece? {
                Piece::Known(i) => s.push_str(PIECES[usize::from(i) % PIECES.len()]),
                Piece::Char(c) => s.push(c),
                Piece::Free(f) => s.push_str(&f),
            }
            if s.len() > 4096 {
                break;
            }
        }
        Ok(Text(s))
    }
}

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Values near every bound the validators check, or anything.
const EDGES: &[u64] = &[
    0,
    1,
    2,
    6,
    19,
    20,
    21,
    59,
    60,
    99,
    100,
    101,
    364,
    365,
    366,
    399,
    400,
    401,
    500,
    501,
    999,
    1_000,
    1_001,
    4_095,
    4_096,
    10_000,
    10_001,
    600_000,
    600_001,
    16_777_216,
    16_777_217,
    31_536_000,
    31_536_001,
    86_400_000,
    86_400_001,
    u32::MAX as u64,
    u64::MAX,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num(pub u64);

impl<'a> Arbitrary<'a> for Num {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Num(match u.int_in_range(0u8..=3)? {
            0 => EDGES[u.choose_index(EDGES.len())?],
            1 => u64::from(u.arbitrary::<u8>()?),
            2 => u64::from(u.arbitrary::<u16>()?),
            _ => u.arbitrary()?,
        }))
    }
}

impl Num {
    pub fn u32(self) -> u32 {
        u32::try_from(self.0).unwrap_or(u32::MAX)
    }
    pub fn u64(self) -> u64 {
        self.0
    }
}

/// A log_id: a realistic one, digits of any length, or any text.
#[derive(Debug, Clone, Arbitrary)]
pub enum LogIdGen {
    Real { stamp: Stamp, tail: u64 },
    Digits(Vec<u8>),
    Any(Text),
}

/// `YYYYMMDDhhmmss` or RFC 3339 pieces, mostly in range.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct Stamp {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    millis: u16,
    offset: Option<i16>,
    wild: bool,
}

impl Stamp {
    fn parts(&self) -> (u16, u8, u8, u8, u8, u8, u16) {
        if self.wild {
            (
                self.year,
                self.month,
                self.day,
                self.hour,
                self.minute,
                self.second,
                self.millis,
            )
        } else {
            (
                2000 + self.year % 60,
                1 + self.month % 12,
                1 + self.day % 28,
                self.hour % 24,
                self.minute % 60,
                self.second % 60,
                self.millis % 1000,
            )
        }
    }

    pub fn compact(&self) -> String {
        let (y, mo, d, h, mi, s, _) = self.parts();
        format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
    }

    pub fn rfc3339(&self) -> String {
        let (y, mo, d, h, mi, s, ms) = self.parts();
        let zone = match self.offset {
            None => "Z".to_string(),
            Some(o) => {
                let o = i32::from(o) % 1440;
                let sign = if o < 0 { '-' } else { '+' };
                format!("{sign}{:02}:{:02}", o.abs() / 60, o.abs() % 60)
            }
        };
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}{zone}")
    }
}

impl LogIdGen {
    pub fn render(&self) -> String {
        match self {
            LogIdGen::Real { stamp, tail } => format!("900{}{tail:039}", stamp.compact()),
            LogIdGen::Digits(d) => d.iter().map(|b| char::from(b'0' + b % 10)).collect(),
            LogIdGen::Any(t) => t.0.clone(),
        }
    }
}

/// A JSON leaf in a field Auth0 may send with an unexpected type.
#[derive(Debug, Clone, Arbitrary)]
pub enum Leaf {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text),
    LogId(LogIdGen),
    Date(Stamp),
    Known(u8),
}

/// Strings the component reads with meaning.
const KNOWN_VALUES: &[&str] = &[
    "seccft",
    "feccft",
    "s",
    "org_1a2b3c4d5e6f7g8h",
    "org_AND",
    "bad org!",
    "cgr_1",
    "https://api.example.com/",
    "https://acme.auth0.com/api/v2/",
    "read:logs write:things",
    "non_interactive",
    "allow",
    "require",
    "deny",
    "",
    " ",
    "Ab3dEf6hIj9kLm2n",
    "next-token-abc",
];

impl Leaf {
    pub fn to_json(&self) -> Value {
        match self {
            Leaf::Null => Value::Null,
            Leaf::Bool(b) => json!(b),
            Leaf::Int(i) => json!(i),
            Leaf::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Leaf::Str(t) => json!(t.0),
            Leaf::LogId(id) => json!(id.render()),
            Leaf::Date(d) => json!(d.rfc3339()),
            Leaf::Known(i) => json!(KNOWN_VALUES[usize::from(*i) % KNOWN_VALUES.len()]),
        }
    }
}

/// A field value: a leaf, or one level of array or object.
#[derive(Debug, Clone, Arbitrary)]
pub enum FieldVal {
    Leaf(Leaf),
    Arr(Vec<Leaf>),
    Obj(Vec<(Text, Leaf)>),
}

impl FieldVal {
    pub fn to_json(&self) -> Value {
        match self {
            FieldVal::Leaf(l) => l.to_json(),
            FieldVal::Arr(items) => Value::Array(items.iter().map(Leaf::to_json).collect()),
            FieldVal::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.0.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Field names of logs, grants, clients, organizations and pages.
const KEYS: &[&str] = &[
    "log_id",
    "_id",
    "date",
    "type",
    "organization_id",
    "client_id",
    "audience",
    "scope",
    "description",
    "details",
    "id",
    "name",
    "display_name",
    "app_type",
    "organization_usage",
    "allow_any_organization",
    "access_token",
    "expires_in",
    "token_type",
    "error",
    "error_description",
    "message",
    "errorCode",
    "statusCode",
    "errors",
    "items",
    "status",
];

#[derive(Debug, Clone, Arbitrary)]
pub enum Key {
    Known(u8),
    Other(Text),
}

impl Key {
    pub fn name(&self) -> String {
        match self {
            Key::Known(i) => KEYS[usize::from(*i) % KEYS.len()].to_string(),
            Key::Other(t) => t.0.clone(),
        }
    }
}

/// An object with the usual fields of a record, set right or wrong.
#[derive(Debug, Clone, Arbitrary)]
pub struct Record {
    pub fields: Vec<(Key, FieldVal)>,
}

impl Record {
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.fields
                .iter()
                .map(|(k, v)| (k.name(), v.to_json()))
                .collect::<Map<String, Value>>(),
        )
    }
}

/// A realistic log event, with room for a wrong or missing field.
#[derive(Debug, Clone, Arbitrary)]
pub struct LogEventGen {
    pub log_id: Option<LogIdGen>,
    pub underscore_id: bool,
    pub date: Option<Stamp>,
    pub kind: Option<Leaf>,
    pub organization_id: Option<Leaf>,
    pub client_id: Option<Leaf>,
    pub audience: Option<Leaf>,
    pub scope: Option<FieldVal>,
    pub extra: Record,
}

impl LogEventGen {
    pub fn to_json(&self) -> Value {
        let mut map = match self.extra.to_json() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        if let Some(id) = &self.log_id {
            let key = if self.underscore_id { "_id" } else { "log_id" };
            map.insert(key.into(), json!(id.render()));
        }
        if let Some(d) = &self.date {
            map.insert("date".into(), json!(d.rfc3339()));
        }
        for (key, leaf) in [
            ("type", &self.kind),
            ("organization_id", &self.organization_id),
            ("client_id", &self.client_id),
            ("audience", &self.audience),
        ] {
            if let Some(l) = leaf {
                map.insert(key.into(), l.to_json());
            }
        }
        if let Some(s) = &self.scope {
            map.insert("scope".into(), s.to_json());
        }
        Value::Object(map)
    }
}

/// A list page in one of Auth0's three shapes, with items of any record kind.
#[derive(Debug, Clone, Arbitrary)]
pub struct PageGen {
    pub shape: Shape,
    pub items: Vec<Record>,
    /// Repeat the items to reach a full page of 100 (paging decisions change there).
    pub full: bool,
}

#[derive(Debug, Clone, Arbitrary)]
pub enum Shape {
    Array,
    Envelope {
        key: Key,
        start: Option<Leaf>,
        limit: Option<Leaf>,
        total: Option<Leaf>,
    },
    Checkpoint {
        key: Key,
        next: Option<Leaf>,
    },
}

impl PageGen {
    pub fn render(&self, list_key: &str) -> Vec<u8> {
        let mut items: Vec<Value> = self.items.iter().map(Record::to_json).collect();
        if self.full && !items.is_empty() {
            let base = items.clone();
            while items.len() < 100 {
                items.extend(base.iter().cloned());
            }
            items.truncate(100);
        }
        let key_name = |k: &Key| match k {
            Key::Known(i) if i % 2 == 0 => list_key.to_string(),
            other => other.name(),
        };
        let value = match &self.shape {
            Shape::Array => Value::Array(items),
            Shape::Envelope {
                key,
                start,
                limit,
                total,
            } => {
                let mut m = Map::new();
                for (k, v) in [("start", start), ("limit", limit), ("total", total)] {
                    if let Some(v) = v {
                        m.insert(k.into(), v.to_json());
                    }
                }
                m.insert(key_name(key), Value::Array(items));
                Value::Object(m)
            }
            Shape::Checkpoint { key, next } => {
                let mut m = Map::new();
                if let Some(n) = next {
                    m.insert("next".into(), n.to_json());
                }
                m.insert(key_name(key), Value::Array(items));
                Value::Object(m)
            }
        };
        serde_json::to_vec(&value).unwrap_or_default()
    }
}

/// A response body: fuzzer bytes as they are, or a shaped JSON document.
#[derive(Debug, Clone, Arbitrary)]
pub enum Body {
    Raw(Vec<u8>),
    Record(Record),
    Page(PageGen),
    Logs(Vec<LogEventGen>),
}

impl Body {
    pub fn render(&self, list_key: &str) -> Vec<u8> {
        match self {
            Body::Raw(b) => b.clone(),
            Body::Record(r) => serde_json::to_vec(&r.to_json()).unwrap_or_default(),
            Body::Page(p) => p.render(list_key),
            Body::Logs(events) => serde_json::to_vec(&Value::Array(
                events.iter().map(LogEventGen::to_json).collect(),
            ))
            .unwrap_or_default(),
        }
    }
}

/// An HTTP status, mostly the ones the component treats specially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u16);

const STATUSES: &[u16] = &[
    200, 200, 200, 201, 204, 299, 300, 400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 599, 600,
];

impl<'a> Arbitrary<'a> for Status {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Status(if u.ratio(7u8, 8u8)? {
            STATUSES[u.choose_index(STATUSES.len())?]
        } else {
            u.arbitrary()?
        }))
    }
}

/// A response header the component reads, with a value that may be hostile.
#[derive(Debug, Clone, Arbitrary)]
pub enum Header {
    Link(LinkGen),
    RetryAfter(HeaderNum),
    RateRemaining(HeaderNum),
    RateReset(HeaderNum),
    Other(Text, Text),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum HeaderNum {
    Num(Num),
    Signed(i64),
    /// Seconds around the fake clock's now.
    NearNow(i16),
    Text(Text),
}

impl HeaderNum {
    fn render(&self) -> String {
        match self {
            HeaderNum::Num(n) => n.u64().to_string(),
            HeaderNum::Signed(i) => i.to_string(),
            HeaderNum::NearNow(d) => (crate::harness::NOW_MS / 1000 + i64::from(*d)).to_string(),
            HeaderNum::Text(t) => t.0.clone(),
        }
    }
}

/// A Link header: a list of `<url>; rel=...` parts with fuzzed pieces.
#[derive(Debug, Clone, Arbitrary)]
pub struct LinkGen {
    pub parts: Vec<LinkPart>,
    pub raw_tail: Option<Text>,
}

#[derive(Debug, Clone, Arbitrary)]
pub struct LinkPart {
    pub url: UrlGen,
    pub rel: Rel,
}

#[derive(Debug, Clone, Arbitrary)]
pub enum Rel {
    NextQuoted,
    NextBare,
    Prev,
    Other(Text),
}

/// A URL near the tenant's: same or other scheme, host, port, path and query.
#[derive(Debug, Clone, Arbitrary)]
pub struct UrlGen {
    pub scheme: u8,
    pub host: HostGen,
    pub port: Option<Num>,
    pub path: PathGen,
    pub from: Option<LogIdGen>,
    pub extra: Option<Text>,
}

#[derive(Debug, Clone, Arbitrary)]
pub enum HostGen {
    Tenant,
    TenantUpper,
    Other(Text),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum PathGen {
    Logs,
    Other(Text),
}

impl UrlGen {
    pub fn render(&self) -> String {
        let scheme = match self.scheme % 4 {
            0 | 1 => "https://",
            2 => "http://",
            _ => "",
        };
        let host = match &self.host {
            HostGen::Tenant => crate::harness::DOMAIN.to_string(),
            HostGen::TenantUpper => crate::harness::DOMAIN.to_ascii_uppercase(),
            HostGen::Other(t) => t.0.clone(),
        };
        let port = self
            .port
            .map(|p| format!(":{}", p.u64()))
            .unwrap_or_default();
        let path = match &self.path {
            PathGen::Logs => "/api/v2/logs".to_string(),
            PathGen::Other(t) => t.0.clone(),
        };
        let mut url = format!("{scheme}{host}{port}{path}");
        if let Some(from) = &self.from {
            url.push_str("?from=");
            url.push_str(&from.render());
            url.push_str("&take=100");
        }
        if let Some(extra) = &self.extra {
            url.push_str(&extra.0);
        }
        url
    }
}

impl LinkGen {
    pub fn render(&self) -> String {
        let mut parts: Vec<String> = self
            .parts
            .iter()
            .map(|p| {
                let rel = match &p.rel {
                    Rel::NextQuoted => "rel=\"next\"".to_string(),
                    Rel::NextBare => "rel=next".to_string(),
                    Rel::Prev => "rel=\"prev\"".to_string(),
                    Rel::Other(t) => t.0.clone(),
                };
                format!("<{}>; {rel}", p.url.render())
            })
            .collect();
        if let Some(t) = &self.raw_tail {
            parts.push(t.0.clone());
        }
        parts.join(", ")
    }
}

impl Header {
    pub fn render(&self) -> (String, String) {
        match self {
            Header::Link(l) => ("link".into(), l.render()),
            Header::RetryAfter(n) => ("retry-after".into(), n.render()),
            Header::RateRemaining(n) => ("x-ratelimit-remaining".into(), n.render()),
            Header::RateReset(n) => ("x-ratelimit-reset".into(), n.render()),
            Header::Other(n, v) => (n.0.to_ascii_lowercase(), v.0.clone()),
        }
    }
}

/// One scripted reply: a response, or a transport failure.
#[derive(Debug, Clone, Arbitrary)]
pub enum Reply {
    Response {
        status: Status,
        headers: Vec<Header>,
        body: Body,
    },
    Timeout,
    Reset,
    TooLarge,
}

impl Reply {
    pub fn render(
        &self,
        list_key: &str,
    ) -> std::result::Result<
        auth0_audit_component::ports::Response,
        auth0_audit_component::ports::TransportError,
    > {
        use auth0_audit_component::ports::{Response, TransportError};
        match self {
            Reply::Response {
                status,
                headers,
                body,
            } => Ok(Response {
                status: status.0,
                headers: headers.iter().map(Header::render).collect(),
                body: body.render(list_key),
            }),
            Reply::Timeout => Err(TransportError::Timeout("fuzz".into())),
            Reply::Reset => Err(TransportError::Protocol("fuzz".into())),
            Reply::TooLarge => Err(TransportError::TooLarge(8 * 1024 * 1024)),
        }
    }
}
