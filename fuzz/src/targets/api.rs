//! Whole conversations with a fuzzed server: a sequence of replies (any
//! status, rate-limit and Link headers, shaped or raw bodies, transport
//! failures) answering one call of the Management API client, the token
//! exchange or the sink delivery. This reaches the private parsers and the
//! retry, 429 and 401 paths of `api/client.rs`, `auth.rs` and `sink/delivery.rs`.

use arbitrary::Arbitrary;

use auth0_audit_component::api::session::Failure;
use auth0_audit_component::api::{clients, grants, logs, organizations, paging};
use auth0_audit_component::audit::OrgId;
use auth0_audit_component::auth::TokenSource;
use auth0_audit_component::error::{Error, secret_variants};
use auth0_audit_component::event::{LogEvent, is_valid_log_id};
use auth0_audit_component::model::{Secret, SinkConfig, SinkFormat};
use auth0_audit_component::ports::Response;
use auth0_audit_component::sink::Sink;
use auth0_audit_component::sink::delivery;
use auth0_audit_component::sync::options::Start;
use auth0_audit_component::sync::start::{self, Resolved};

use crate::harness::{
    ACCESS_TOKEN, CLIENT_SECRET, Fake, Script, client_credentials_tenant, token_tenant,
};
use crate::inputs::{LogEventGen, Reply, Stamp, Text};

const SINK_SECRET: &str = "Splunk sink!secret!0123";

#[derive(Debug, Arbitrary)]
pub enum Call {
    LogsPage {
        from: crate::inputs::LogIdGen,
    },
    SearchByDate {
        ascending: bool,
        since: Option<Stamp>,
    },
    ResolveStart(u8),
    OrgGet,
    OrgList(PosInput),
    OrgGrants,
    AnyOrgGrants,
    ClientsSearch,
    ClientsList(PosInput),
    ClientGet(Text),
    Token,
    Deliver {
        format: u8,
        events: Vec<LogEventGen>,
    },
}

#[derive(Debug, Arbitrary)]
pub enum PosInput {
    Checkpoint(Option<Text>),
    Page(u8),
}

impl PosInput {
    fn position(&self) -> paging::Position {
        match self {
            PosInput::Checkpoint(c) => {
                paging::Position::Checkpoint(c.as_ref().map(|t| t.0.clone()))
            }
            PosInput::Page(p) => paging::Position::Page(u32::from(*p % 12)),
        }
    }
}

#[derive(Debug, Arbitrary)]
pub struct SessionInput {
    pub call: Call,
    pub replies: Vec<Reply>,
    pub client_credentials: bool,
    pub cache_token: bool,
    pub attempts: u8,
    pub budget_s: Option<u8>,
}

impl Call {
    fn list_key(&self) -> &'static str {
        match self {
            Call::OrgList(_) => "organizations",
            Call::OrgGrants | Call::AnyOrgGrants => "client_grants",
            Call::ClientsSearch | Call::ClientsList(_) => "clients",
            _ => "logs",
        }
    }
}

/// Properties: every request that carries a credential goes to the tenant
/// (the sink gets only its own headers); the run ends within one request per
/// scripted reply (plus the one the empty script refuses); results keep their
/// promises (valid log ids, the organization asked for, only any-organization
/// grants, an application id checked before it goes into a path, a delivery
/// acknowledged only by a 2xx the format accepts); an error, once redacted as
/// the jobs do, never shows a credential.
pub fn session(input: &SessionInput) {
    let replies: Vec<Result<Response, _>> = input
        .replies
        .iter()
        .take(24)
        .map(|r| r.render(input.call.list_key()))
        .collect();
    let count = replies.len();
    let script = Script::default();
    for r in &replies {
        script.push(r.clone());
    }
    let fake = Fake::new(script);
    let tenant = if input.client_credentials {
        client_credentials_tenant(input.cache_token)
    } else {
        token_tenant()
    };
    let attempts = 1 + u32::from(input.attempts % 6);
    let budget = input.budget_s.map(|s| 1_000 + u64::from(s) * 1_000);
    let mut secrets = secret_variants(CLIENT_SECRET);
    secrets.extend(secret_variants(ACCESS_TOKEN));
    secrets.extend(secret_variants(SINK_SECRET));
    let outcome: Result<(), Failure> =
        fake.with_api(&tenant, attempts, budget, |api| run_call(api, &input.call));
    let requests = fake.http.requests.borrow();
    assert!(requests.len() <= count + 1, "{} requests", requests.len());
    let sink_origin = sink(0).endpoint.origin;
    for r in requests.iter() {
        if r.origin == sink_origin {
            assert!(matches!(input.call, Call::Deliver { .. }));
            for (_, v) in &r.headers {
                assert!(!v.contains(ACCESS_TOKEN) && !v.contains(CLIENT_SECRET));
            }
        }
    }
    // A delivery is acknowledged by the last answer: a 2xx the format accepts.
    if let (Call::Deliver { format, .. }, Ok(())) = (&input.call, &outcome) {
        let last = requests.len().checked_sub(1).and_then(|i| replies.get(i));
        match last {
            Some(Ok(r)) => {
                assert!((200..300).contains(&r.status), "{}", r.status);
                assert_eq!(sink(*format).check_ack(r), Ok(()));
            }
            other => unreachable!("acknowledged by {other:?}"),
        }
    }
    drop(requests);
    fake.assert_credentials_stay_home(&tenant);
    if let Err(Failure::Job(e)) = outcome {
        let shown = e.redact(&secrets).to_string();
        for secret in [CLIENT_SECRET, ACCESS_TOKEN, SINK_SECRET, "sink!secret!0123"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

fn sink(format: u8) -> Sink {
    let formats = [
        SinkFormat::Ndjson,
        SinkFormat::LogStreams,
        SinkFormat::SplunkHec,
        SinkFormat::ElasticBulk,
    ];
    let config = SinkConfig {
        url: "https://siem.example.com:8088/services/collector/event".into(),
        format: formats[usize::from(format) % formats.len()],
        headers: vec![("Authorization".into(), Secret::new(SINK_SECRET))],
        max_batch_bytes: None,
        max_batch_events: None,
    };
    match Sink::validate(&config, "acme.auth0.com") {
        Ok(s) => s,
        Err(e) => unreachable!("the fixed sink is valid: {e}"),
    }
}

fn check_events(events: &[LogEvent]) {
    for e in events {
        assert!(is_valid_log_id(&e.log_id), "{:?}", e.log_id);
    }
}

fn run_call(api: &mut auth0_audit_component::api::client::Api, call: &Call) -> Result<(), Failure> {
    let Ok(org) = OrgId::parse("org_1a2b3c4d5e6f7g8h") else {
        unreachable!("the fixed organization id is valid")
    };
    match call {
        Call::LogsPage { from } => {
            let page = logs::page_after(api, &from.render())?;
            check_events(&page.events);
        }
        Call::SearchByDate { ascending, since } => {
            let since = since.map(|s| s.rfc3339());
            check_events(&logs::search_by_date(api, *ascending, since.as_deref())?);
        }
        Call::ResolveStart(kind) => {
            let start = match kind % 3 {
                0 => Start::Oldest,
                1 => Start::Now,
                _ => Start::Timestamp("2025-11-20T00:00:00.000Z".into()),
            };
            match start::resolve(api, &start)? {
                Resolved::From(e) => check_events(std::slice::from_ref(&e)),
                Resolved::After { log_id, .. } => assert!(is_valid_log_id(&log_id)),
                Resolved::Nothing => {}
            }
        }
        Call::OrgGet => {
            let o = organizations::get(api, &org)?;
            assert_eq!(o.id, org.as_str());
        }
        Call::OrgList(pos) => {
            let l = organizations::list_page_at(api, &pos.position())?;
            assert!(!(l.capped && l.next.is_some()));
        }
        Call::OrgGrants => {
            let _ = grants::organization_grants(api, &org)?;
        }
        Call::AnyOrgGrants => {
            let (list, _) = grants::any_organization_grants(api)?;
            assert!(list.iter().all(|g| g.allow_any_organization == Some(true)));
        }
        Call::ClientsSearch => {
            let _ = clients::search_by_organization(api, &org)?;
        }
        Call::ClientsList(pos) => {
            let _ = clients::list_page_at(api, &pos.position())?;
        }
        Call::ClientGet(id) => {
            let before = api.session.counters.api_requests;
            let result = clients::get(api, id.as_str());
            if !clients::is_path_safe(id.as_str()) {
                assert!(result.is_err());
                assert_eq!(api.session.counters.api_requests, before);
            }
            result?;
        }
        Call::Token => {
            let mut tokens = TokenSource::default();
            let t = tokens.get(&mut api.session)?;
            assert!(!t.expose().trim().is_empty());
        }
        Call::Deliver { format, events } => {
            let sink = sink(*format);
            let mut body = Vec::new();
            for e in events.iter().take(20) {
                if let Ok(event) = LogEvent::parse(&e.to_json().to_string(), 0) {
                    sink.append(&mut body, &event);
                }
            }
            let result = delivery::deliver(&mut api.session, &sink, body);
            if result.is_ok() {
                let requests = api.session.counters.sink_requests;
                assert!(requests >= 1);
            }
            if let Err(e) = &result {
                assert!(
                    matches!(e, Error::Sink { .. } | Error::Deadline(_)),
                    "{e:?}"
                );
            }
            result?;
        }
    }
    Ok(())
}
