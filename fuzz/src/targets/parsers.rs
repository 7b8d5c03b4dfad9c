//! Raw-bytes targets: response bodies and headers exactly as a server (or a
//! hostile one) may send them. Each result is checked against an independent
//! reading of the same bytes with `serde_json::Value`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use auth0_audit_component::api::clients::{self, ClientRecord};
use auth0_audit_component::api::grants::GrantRecord;
use auth0_audit_component::api::link;
use auth0_audit_component::api::logs::{self, LOGS_PATH};
use auth0_audit_component::api::organizations::{self, OrganizationRecord};
use auth0_audit_component::api::paging::{self, PAGE_PAGING_CAP, PAGE_SIZE, Position};
use auth0_audit_component::api::query;
use auth0_audit_component::api::session::Failure;
use auth0_audit_component::audit::OrgId;
use auth0_audit_component::auth::TokenSource;
use auth0_audit_component::endpoint::parse_url;
use auth0_audit_component::error::{Error, secret_variants};
use auth0_audit_component::event::{LogEvent, is_valid_log_id, log_id_time_ms, parse_page};
use auth0_audit_component::keys;
use auth0_audit_component::model::{Secret, SinkConfig, SinkFormat};
use auth0_audit_component::ports::{Origin, Response};
use auth0_audit_component::sink::{Sink, elastic_bulk};

use crate::harness::{
    CLIENT_SECRET, Fake, Script, client_credentials_tenant, response, token_tenant,
};
use crate::targets::{assert_sanitized, fields, is_json_array, is_token_like};

const SINK_FORMATS: [SinkFormat; 4] = [
    SinkFormat::Ndjson,
    SinkFormat::LogStreams,
    SinkFormat::SplunkHec,
    SinkFormat::ElasticBulk,
];

fn sink(format: SinkFormat) -> Sink {
    let config = SinkConfig {
        url: "https://siem.example.com/ingest".into(),
        format,
        headers: vec![("Authorization".into(), Secret::new("Splunk 0123456789"))],
        max_batch_bytes: None,
        max_batch_events: None,
    };
    match Sink::validate(&config, "acme.auth0.com") {
        Ok(s) => s,
        Err(e) => unreachable!("the fixed fuzz sink is valid: {e}"),
    }
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The logs page parser (`event::parse_page`) and every sink format built on it.
///
/// Properties: a page is accepted only as an array of objects each with a
/// digits-only log_id; the raw JSON of an event is the received text, on one
/// line; the
/// fields read agree with a DOM reading (lenient: a wrong type is absent);
/// each sink format frames one event as whole JSON lines carrying the raw event.
pub fn log_page(body: &[u8]) {
    let Ok(events) = parse_page(body) else {
        return;
    };
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => unreachable!("an accepted page is UTF-8: {e}"),
    };
    let dom: Vec<Value> = match serde_json::from_slice(body) {
        Ok(v) => v,
        // The parser skips the fields it does not read without recursing, so
        // it accepts nesting deeper than serde_json's DOM reader allows (128).
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => return,
        Err(e) => unreachable!("an accepted page is a JSON array: {e}"),
    };
    assert_eq!(events.len(), dom.len());
    for (event, v) in events.iter().zip(&dom) {
        check_event(event, v, text);
    }
}

fn check_event(event: &LogEvent, v: &Value, page_text: &str) {
    assert!(v.is_object(), "an accepted event is an object: {v}");
    assert!(is_valid_log_id(&event.log_id), "{:?}", event.log_id);
    // As received, except that line breaks (whitespace between tokens) are spaces.
    assert!(!event.raw().contains(['\n', '\r']));
    assert!(
        page_text.replace(['\n', '\r'], " ").contains(event.raw()),
        "raw text is as received"
    );
    let reparsed: Value = serde_json::from_str(event.raw()).unwrap_or(Value::Null);
    assert_eq!(&reparsed, v, "raw text is the event");
    let expected_id = str_field(v, "log_id").or_else(|| str_field(v, "_id"));
    assert_eq!(Some(event.log_id.as_str()), expected_id);
    assert_eq!(event.date.as_deref(), str_field(v, "date"));
    assert_eq!(event.kind.as_deref(), str_field(v, "type"));
    assert_eq!(
        event.organization_id.as_deref(),
        str_field(v, "organization_id")
    );
    assert_eq!(event.client_id.as_deref(), str_field(v, "client_id"));
    assert_eq!(event.audience.as_deref(), str_field(v, "audience"));
    let scopes: Vec<String> = match v.get("scope") {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    assert_eq!(event.scopes, scopes);
    let time = event.time_ms();
    if event.date.is_none() {
        assert_eq!(time, log_id_time_ms(&event.log_id));
    }
    for format in SINK_FORMATS {
        check_sink_framing(&sink(format), event, v);
    }
}

/// One event appended in `format` is whole JSON lines, in the format's envelope.
fn check_sink_framing(sink: &Sink, event: &LogEvent, v: &Value) {
    let mut out = Vec::new();
    sink.append(&mut out, event);
    assert_eq!(out.last(), Some(&b'\n'), "a record ends its line");
    let text = String::from_utf8_lossy(&out[..out.len() - 1]).into_owned();
    let lines: Vec<Value> = text
        .split('\n')
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect();
    match sink.format {
        SinkFormat::Ndjson => assert_eq!(lines, vec![v.clone()], "ndjson: {text}"),
        SinkFormat::LogStreams => {
            let expected = serde_json::json!({"log_id": event.log_id, "data": v});
            assert_eq!(lines, vec![expected], "log-streams: {text}");
        }
        SinkFormat::SplunkHec => {
            assert_eq!(lines.len(), 1, "splunk-hec: {text}");
            assert_eq!(lines[0].get("event"), Some(v), "splunk-hec: {text}");
            assert_eq!(str_field(&lines[0], "host"), Some("acme.auth0.com"));
            let time = lines[0].get("time").and_then(Value::as_f64);
            match event.time_ms() {
                // f64 holds every millisecond chrono can represent within 1 ms.
                Some(ms) => assert!(
                    time.is_some_and(
                        |t| (t * 1000.0 - ms as f64).abs() <= 1.0 + ms.abs() as f64 * 1e-15
                    ),
                    "splunk-hec time {time:?} for {ms}"
                ),
                None => assert_eq!(time, None),
            }
        }
        SinkFormat::ElasticBulk => {
            let action = serde_json::json!({"create": {"_id": event.log_id}});
            assert_eq!(lines, vec![action, v.clone()], "elastic-bulk: {text}");
        }
    }
}

/// The list page parsers (`api/paging.rs`, private) through their public entry
/// `paging::list_page`, for organizations, client grants and clients, at
/// every kind of position.
///
/// Properties: items agree with the body (plain array, or the array under the
/// endpoint's key); `next` only moves forward: a page position below the
/// 1,000-record cap, or a non-empty checkpoint cursor different from the
/// current one after a non-empty page; a capped listing has no next position.
pub fn list_page(body: &[u8]) {
    let positions = [
        Position::Checkpoint(None),
        Position::Checkpoint(Some("cursor-1".into())),
        Position::Page(0),
        Position::Page(8),
        Position::Page(9),
    ];
    for pos in &positions {
        check_listing::<OrganizationRecord>(
            body,
            organizations::ORGANIZATIONS_PATH,
            "organizations",
            pos,
            |r, v| {
                assert_eq!(Some(r.id.as_str()), str_field(v, "id"));
            },
        );
        check_listing::<GrantRecord>(
            body,
            "/api/v2/client-grants",
            "client_grants",
            pos,
            |g, v| {
                assert_eq!(Some(g.id.as_str()), str_field(v, "id"));
                assert_eq!(Some(g.client_id.as_str()), str_field(v, "client_id"));
                assert_eq!(Some(g.audience.as_str()), str_field(v, "audience"));
                let scopes: Vec<&str> = v
                    .get("scope")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                assert_eq!(g.scope, scopes);
                assert_eq!(
                    g.allow_any_organization,
                    v.get("allow_any_organization").and_then(Value::as_bool)
                );
            },
        );
        check_listing::<ClientRecord>(body, clients::CLIENTS_PATH, "clients", pos, |c, v| {
            assert_eq!(Some(c.client_id.as_str()), str_field(v, "client_id"));
        });
    }
}

fn check_listing<T: DeserializeOwned>(
    body: &[u8],
    path: &str,
    key: &str,
    pos: &Position,
    check_item: impl Fn(&T, &Value),
) {
    let fake = Fake::new(Script::new([response(200, &[], body)]));
    let tenant = token_tenant();
    let result = fake.with_api(&tenant, 1, None, |api| {
        paging::list_page::<T>(api, path, &[], key, "read:things", pos)
    });
    let requests = fake.http.requests.borrow();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].path_and_query,
        paging::page_path(path, &[], pos)
    );
    if let Position::Checkpoint(Some(from)) = pos {
        assert_eq!(
            query::param(&requests[0].path_and_query, "from").as_deref(),
            Some(from.as_str())
        );
    }
    let listing = match result {
        Ok(l) => l,
        Err(Failure::Job(Error::Upstream { status: 200, .. })) => return,
        Err(other) => unreachable!("a 200 answer is a listing or a parse error: {other:?}"),
    };
    let dom: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let items = match &dom {
        Value::Array(items) => items,
        Value::Object(m) => match m.get(key) {
            Some(Value::Array(items)) => items,
            other => unreachable!("an accepted envelope has its `{key}` array: {other:?}"),
        },
        other => unreachable!("an accepted page is an array or an object: {other}"),
    };
    assert_eq!(listing.items.len(), items.len());
    for (item, v) in listing.items.iter().zip(items) {
        check_item(item, v);
    }
    if dom.is_object() {
        assert_eq!(listing.total, dom.get("total").and_then(Value::as_u64));
    }
    if listing.capped {
        assert!(listing.next.is_none(), "a capped listing stops");
    }
    match (&listing.next, pos) {
        (None, _) => {}
        (Some(Position::Page(next)), Position::Page(p)) => {
            assert_eq!(*next, p + 1);
            assert!(u64::from(*next) * u64::from(PAGE_SIZE) < u64::from(PAGE_PAGING_CAP));
        }
        (Some(Position::Page(next)), Position::Checkpoint(None)) => assert_eq!(*next, 1),
        (Some(Position::Checkpoint(Some(next))), current) => {
            assert!(!next.is_empty());
            assert!(!listing.items.is_empty(), "an empty page ends the listing");
            assert_eq!(str_field(&dom, "next"), Some(next.as_str()));
            if let Position::Checkpoint(Some(c)) = current {
                assert_ne!(next, c, "a cursor that does not move ends the listing");
            }
        }
        (next, current) => unreachable!("{current:?} cannot lead to {next:?}"),
    }
}

/// Single-record bodies: `GET /organizations/{id}` and `GET /clients/{id}`.
///
/// Properties: the organization returned is the one asked for; a 404 is
/// `not-found` for an organization and `None` for an application.
pub fn record(body: &[u8]) {
    let Ok(org) = OrgId::parse("org_1a2b3c4d5e6f7g8h") else {
        unreachable!("the fixed organization id is valid")
    };
    for status in [200, 404] {
        let fake = Fake::new(Script::new([response(status, &[], body)]));
        let tenant = token_tenant();
        let result = fake.with_api(&tenant, 1, None, |api| organizations::get(api, &org));
        match result {
            Ok(o) => {
                assert_eq!(status, 200);
                assert_eq!(o.id, org.as_str());
            }
            Err(Failure::Job(Error::NotFound(_))) => assert_eq!(status, 404),
            Err(Failure::Job(Error::Upstream { status: 200, .. })) => assert_eq!(status, 200),
            Err(other) => unreachable!("{status}: {other:?}"),
        }
        let fake = Fake::new(Script::new([response(status, &[], body)]));
        let result = fake.with_api(&tenant, 1, None, |api| clients::get(api, "abc_DEF-123"));
        match result {
            Ok(Some(c)) => {
                assert_eq!(status, 200);
                if let Some(f) = fields(body, &["client_id", "name", "app_type"]) {
                    assert_eq!(
                        Some(c.client_id.as_str()),
                        f.get("client_id").and_then(Value::as_str)
                    );
                }
            }
            Ok(None) => assert_eq!(status, 404),
            Err(Failure::Job(Error::Upstream { status: 200, .. })) => assert_eq!(status, 200),
            Err(other) => unreachable!("{status}: {other:?}"),
        }
    }
}

/// The token endpoint's answers (`auth.rs`, private) through `TokenSource::get`,
/// as a success body and as the error body of each failing status.
///
/// Properties: a token is returned only for a 2xx whose `access_token` is a
/// non-blank string, and is that string; error text from the server is
/// sanitized (one line, bounded); once redacted as the jobs do, no error shows
/// the client secret, even when the server echoes it; the exchange goes to the
/// tenant only.
pub fn token_response(body: &[u8]) {
    // The token the response carries, read as `TokenResponse` reads it.
    let expected = fields(body, &["access_token", "expires_in"]).and_then(|f| {
        let expiry_ok = match f.get("expires_in") {
            None | Some(Value::Null) => true,
            Some(v) => v.as_i64().is_some(),
        };
        match f.get("access_token") {
            Some(Value::String(t)) if expiry_ok => Some(t.clone()),
            _ => None,
        }
    });
    for status in [200, 201, 400, 401, 403, 404, 429, 500, 503] {
        let fake = Fake::new(Script::new([response(
            status,
            &[("retry-after", "1")],
            body,
        )]));
        let tenant = client_credentials_tenant(true);
        let result = fake.with_api(&tenant, 1, None, |api| {
            let mut tokens = TokenSource::default();
            tokens.get(&mut api.session)
        });
        fake.assert_credentials_stay_home(&tenant);
        match result {
            Ok(token) => {
                assert!((200..300).contains(&status));
                if !is_json_array(body) {
                    assert_eq!(Some(token.expose()), expected.as_deref());
                }
                assert!(!token.expose().trim().is_empty());
                // The cache entry holds the token and a future expiry.
                let cached = fake.kv.map.borrow().values().next().cloned();
                let cached: Value = cached
                    .and_then(|c| serde_json::from_slice(&c).ok())
                    .unwrap_or(Value::Null);
                assert_eq!(str_field(&cached, "access_token"), Some(token.expose()));
            }
            Err(Failure::Job(e)) => {
                let usable = expected.as_deref().is_some_and(|t| !t.trim().is_empty());
                assert!(
                    !((200..300).contains(&status) && usable),
                    "a readable token was refused: {e:?}"
                );
                if let Error::Auth(m) = &e
                    && (300..).contains(&status)
                    && status != 429
                    && let Some(detail) =
                        m.strip_prefix(&format!("token endpoint answered {status}: "))
                {
                    assert_sanitized(detail);
                }
                let shown = e.redact(&secret_variants(CLIENT_SECRET)).to_string();
                assert!(!shown.contains(CLIENT_SECRET), "{shown}");
            }
            Err(Failure::OutOfTime) => unreachable!("no budget was set"),
        }
    }
}

/// A token cache entry read back from the key-value store (`auth.rs`
/// `read_cache`, private) through `TokenSource::get`.
///
/// Properties: a readable, non-empty entry that expires more than a minute
/// from now is used without a request; anything else is replaced by a fresh
/// token from the token endpoint, never an error.
pub fn token_cache(entry: &[u8]) {
    let fresh = br#"{"access_token":"fresh-token-from-the-endpoint","expires_in":86400}"#;
    let fake = Fake::new(Script::new([response(200, &[], fresh)]));
    let tenant = client_credentials_tenant(true);
    let key = keys::token(&tenant.key, crate::harness::CLIENT_ID, &tenant.audience);
    fake.kv.map.borrow_mut().insert(key.clone(), entry.to_vec());
    let result = fake.with_api(&tenant, 1, None, |api| {
        let mut tokens = TokenSource::default();
        tokens.get(&mut api.session)
    });
    let token = match result {
        Ok(t) => t,
        Err(e) => unreachable!("a cache entry never fails the run: {e:?}"),
    };
    // The entry as `CachedToken` reads it: both fields required.
    let cached = fields(entry, &["access_token", "expires_at_ms"]).and_then(|f| {
        let token = f.get("access_token")?.as_str()?.to_string();
        let expires = f.get("expires_at_ms")?.as_i64()?;
        Some((token, expires))
    });
    let fresh = cached.as_ref().is_some_and(|(t, e)| {
        !t.is_empty() && i128::from(*e) - 60_000 > i128::from(crate::harness::NOW_MS)
    });
    let sent = fake.http.requests.borrow().len();
    if !is_json_array(entry) {
        assert_eq!(sent == 0, fresh, "cache entry used: {}", sent == 0);
    }
    if sent == 0 {
        assert_eq!(
            Some(token.expose()),
            cached.as_ref().map(|(t, _)| t.as_str())
        );
    } else {
        assert_eq!(token.expose(), "fresh-token-from-the-endpoint");
    }
}

/// Management API error bodies (`api/client.rs` `error_message` and
/// `missing_scope`, private) through `Api::get`, for each failing status.
///
/// Properties: the message is sanitized (one line, bounded, token-like words
/// redacted); a 403 names a scope shaped `verb:object` or the route's own.
pub fn error_body(body: &[u8]) {
    for status in [400, 401, 403, 404, 409, 500, 502] {
        let fake = Fake::new(Script::new([response(status, &[], body)]));
        let tenant = token_tenant();
        let result = fake.with_api(&tenant, 1, None, |api| {
            api.get("/api/v2/logs", "read:logs", |_: &Response| Ok(()))
        });
        let message = match result {
            Err(Failure::Job(Error::Forbidden(scope))) => {
                assert_eq!(status, 403);
                let shaped = scope.split_once(':').is_some_and(|(verb, object)| {
                    !verb.is_empty()
                        && !object.is_empty()
                        && !object.contains(':')
                        && scope
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b == b':' || b == b'_')
                });
                assert!(shaped, "{scope:?}");
                continue;
            }
            Err(Failure::Job(Error::Auth(m))) => {
                assert_eq!(status, 401);
                match m.strip_prefix("the Management API rejected the token: ") {
                    Some(rest) => rest.to_string(),
                    None => unreachable!("{m}"),
                }
            }
            Err(Failure::Job(Error::Upstream { status: s, message })) => {
                assert_eq!(s, status);
                message
            }
            other => unreachable!("{status}: {other:?}"),
        };
        assert_sanitized(&message);
        // Words the sanitizer redacts never come through whole.
        let decoded: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        for source in [
            str_field(&decoded, "message"),
            str_field(&decoded, "errorCode"),
        ]
        .into_iter()
        .flatten()
        {
            for word in source.split_whitespace().filter(|w| is_token_like(w)) {
                assert!(
                    !message.split(' ').any(|w| w == word),
                    "token-like word {word:?} shown in {message:?}"
                );
            }
        }
    }
}

/// The Elasticsearch `_bulk` acknowledgement (`sink/elastic_bulk.rs`) and the
/// other formats' (status only).
///
/// Properties: accepted iff the body is a bulk response and, when it reports
/// errors, every item is 2xx or 409 (already indexed); other formats accept
/// any 2xx body.
pub fn sink_ack(body: &[u8]) {
    let result = elastic_bulk::check_ack(body);
    // The body as `BulkResponse` reads it: `errors` a bool, `items` objects.
    let expected = fields(body, &["errors", "items"]).and_then(|f| {
        let errors = match f.get("errors") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return None,
        };
        let items = match f.get("items") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_object().cloned())
                .collect::<Option<Vec<_>>>()?,
            Some(_) => return None,
        };
        Some(
            !errors
                || items.iter().all(|item| {
                    item.values().next().is_none_or(|r| {
                        let status = r.get("status").and_then(Value::as_u64).unwrap_or(0);
                        (200..300).contains(&status) || status == 409
                    })
                }),
        )
    });
    match expected {
        Some(ok) => assert_eq!(result.is_ok(), ok, "{result:?}"),
        // Not a bulk response (a JSON array may still fill the struct by position).
        None if !is_json_array(body) => assert!(result.is_err(), "{result:?}"),
        None => {}
    }
    let response = response(200, &[], body);
    for format in SINK_FORMATS {
        let ack = sink(format).check_ack(&response);
        match format {
            SinkFormat::ElasticBulk => assert_eq!(ack, result),
            _ => assert_eq!(ack, Ok(())),
        }
    }
}

fn tenant_origins() -> [Origin; 2] {
    [
        Origin {
            https: true,
            host: "acme.auth0.com".into(),
            port: None,
        },
        Origin {
            https: false,
            host: "127.0.0.1".into(),
            port: Some(4000),
        },
    ]
}

/// The `Link` header (`api/link.rs`), directly and through `logs::page_after`.
///
/// Properties: the next URL is one of the header's `<...>` targets; a URL is
/// followed only when it has the tenant's exact origin (scheme, host, port)
/// and the logs path, so the bearer token never goes elsewhere; a page's
/// `link_from` comes only from such a URL.
pub fn link_header(data: &[u8]) {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let next = link::next_url(header);
    if let Some(url) = next {
        assert!(header.contains(&format!("<{url}>")));
    }
    for origin in tenant_origins() {
        for candidate in next.into_iter().chain([header]) {
            if let Ok(pq) = link::same_origin_path(candidate, &origin, LOGS_PATH) {
                let endpoint = match parse_url("link", candidate) {
                    Ok(e) => e,
                    Err(e) => unreachable!("a followed URL parses: {e}"),
                };
                assert_eq!(endpoint.origin, origin, "{candidate}");
                assert_eq!(pq, endpoint.path_and_query);
                assert_eq!(pq.split('?').next(), Some(LOGS_PATH));
                let _ = query::param(&pq, "from");
            }
        }
    }
    // Through the logs client, as a sync meets it.
    let fake = Fake::new(Script::new([response(200, &[("link", header)], b"[]")]));
    let tenant = token_tenant();
    let result = fake.with_api(&tenant, 1, None, |api| logs::page_after(api, "900"));
    fake.assert_credentials_stay_home(&tenant);
    match result {
        Ok(page) => {
            if let Some(from) = page.link_from {
                let url = next.unwrap_or_default();
                let endpoint = parse_url("link", url).ok();
                assert_eq!(endpoint.as_ref().map(|e| &e.origin), Some(&tenant.origin));
                let pq = endpoint.map(|e| e.path_and_query).unwrap_or_default();
                assert_eq!(query::param(&pq, "from"), Some(from));
            }
        }
        Err(Failure::Job(Error::Upstream { status: 200, .. })) => {
            let url = next.unwrap_or_default();
            assert!(link::same_origin_path(url, &tenant.origin, LOGS_PATH).is_err());
        }
        Err(other) => unreachable!("{other:?}"),
    }
}
