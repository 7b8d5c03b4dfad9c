//! The hyper server: accept loop, request pipeline (rate limit → `fail_next` →
//! auth → random faults → route → body faults) and stats/verbose bookkeeping.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::faults::{BodyFault, PreFault, corrupt, truncate};
use crate::query::Query;
use crate::reply::{ApiError, Delivery, Reply, SimBody, status_error};
use crate::state::{Shared, lock, now, now_ms};
use crate::token::{TokenPolicy, exchange, parse_request};
use crate::{clients, grants, logs, organizations};

/// Accepts connections until the task is aborted (dropping the JoinSet aborts them all).
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = listener.accept().await;
        while connections.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        connections.spawn(async move {
            let service = service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(handle(shared, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Stats key for a request: ids replaced by `{id}`.
fn route_name(method: &Method, path: &str) -> String {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let normalized = match segments.as_slice() {
        ["", "api", "v2", coll, _id] if ["organizations", "clients"].contains(coll) => {
            format!("/api/v2/{coll}/{{id}}")
        }
        ["", "api", "v2", "organizations", _id, sub] => {
            format!("/api/v2/organizations/{{id}}/{sub}")
        }
        _ if path.len() > 80 => "(long path)".to_string(),
        _ => path.to_string(),
    };
    format!("{method} {normalized}")
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<SimBody> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let authorization = header("authorization");
    let content_type = header("content-type");
    let body = if method == Method::POST {
        Limited::new(req.into_body(), 1 << 20)
            .collect()
            .await
            .ok()
            .map(|b| b.to_bytes())
    } else {
        Some(Bytes::new())
    };
    let route = route_name(&method, &path);
    let mut events = 0;
    let reply = match body {
        None => ApiError::new(413, "Request body too large or unreadable", None).reply(),
        Some(body) => {
            if path == "/oauth/token" {
                token_route(&shared, &method, content_type.as_deref(), &body)
            } else if path.starts_with("/api/v2/") {
                let (reply, n) = api_route(
                    &shared,
                    &method,
                    &path,
                    &raw_query,
                    authorization.as_deref(),
                )
                .await;
                events = n;
                reply
            } else {
                ApiError::new(404, "Not Found", None).reply()
            }
        }
    };
    let sent = match reply.delivery {
        Delivery::Normal => reply.body.len(),
        Delivery::ResetAfter(n) => n,
    };
    {
        let mut stats = lock(&shared.stats);
        stats.record(&route, reply.status, sent);
        stats.events_served += events;
        if let Some(f) = reply.fault {
            stats.fault(f);
        }
    }
    if shared.config.verbose {
        eprintln!(
            "{method} {path}{}{} -> {}{} {sent}B {}ms",
            if raw_query.is_empty() { "" } else { "?" },
            raw_query,
            reply.status,
            reply
                .fault
                .map(|f| format!(" [fault {f}]"))
                .unwrap_or_default(),
            started.elapsed().as_millis()
        );
    }
    to_response(reply)
}

fn to_response(reply: Reply) -> Response<SimBody> {
    let mut builder = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            builder = builder.header(*name, v);
        }
    }
    let body = match reply.delivery {
        Delivery::Normal => SimBody::full(reply.body),
        Delivery::ResetAfter(n) => {
            builder = builder.header(CONTENT_LENGTH, reply.body.len());
            SimBody::reset_after(reply.body.slice(..n.min(reply.body.len())))
        }
    };
    builder.body(body).unwrap_or_else(|_| {
        let mut r = Response::new(SimBody::full(Bytes::new()));
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

fn token_route(shared: &Shared, method: &Method, content_type: Option<&str>, body: &[u8]) -> Reply {
    if method != Method::POST {
        return ApiError::new(404, "Not Found", None).reply();
    }
    if let Some(status) = lock(&shared.faults).take_fail_next("/oauth/token") {
        return status_error(status, true).with_fault("fail_next");
    }
    if let Some(bucket) = lock(&shared.token_bucket).as_mut() {
        let d = bucket.take(now(), now_ms());
        if !d.allowed {
            return status_error(429, true)
                .with_fault("token_bucket")
                .header("retry-after", d.retry_after_secs.to_string());
        }
    }
    if lock(&shared.faults).draw_token_429() {
        return status_error(429, true).with_fault("token_429");
    }
    let audience = shared.audience();
    let policy = TokenPolicy {
        client_id: &shared.config.client_id,
        client_secret: &shared.config.client_secret,
        audience: &audience,
        scopes: &shared.config.scopes,
        ttl_secs: shared.config.token_ttl_secs,
    };
    let (reply, issued) = exchange(
        &policy,
        parse_request(content_type, body),
        &mut lock(&shared.tokens),
        now(),
    );
    if issued {
        lock(&shared.stats).tokens_issued += 1;
    }
    reply
}

/// The scope a Management API route needs, or `None` for an unknown route.
fn required_scope(segments: &[&str]) -> Option<&'static str> {
    match segments {
        ["logs"] => Some("read:logs"),
        ["organizations"] | ["organizations", _] => Some("read:organizations"),
        ["organizations", _, "client-grants"] => Some("read:organization_client_grants"),
        ["client-grants"] => Some("read:client_grants"),
        ["clients"] | ["clients", _] => Some("read:clients"),
        _ => None,
    }
}

async fn api_route(
    shared: &Shared,
    method: &Method,
    path: &str,
    raw_query: &str,
    authorization: Option<&str>,
) -> (Reply, u64) {
    let mut rate_headers = Vec::new();
    if let Some(bucket) = lock(&shared.api_bucket).as_mut() {
        let d = bucket.take(now(), now_ms());
        rate_headers.extend(d.headers());
        if !d.allowed {
            lock(&shared.stats).bucket_429s += 1;
            let mut reply = ApiError::new(
                429,
                "Global limit has been reached",
                Some("too_many_requests"),
            )
            .reply()
            .header("retry-after", d.retry_after_secs.to_string());
            reply.headers.extend(rate_headers);
            return (reply, 0);
        }
    }
    let (mut reply, events) = api_inner(shared, method, path, raw_query, authorization).await;
    reply.headers.extend(rate_headers);
    (reply, events)
}

async fn api_inner(
    shared: &Shared,
    method: &Method,
    path: &str,
    raw_query: &str,
    authorization: Option<&str>,
) -> (Reply, u64) {
    if let Some(status) = lock(&shared.faults).take_fail_next(path) {
        return (status_error(status, false).with_fault("fail_next"), 0);
    }
    let scopes: Vec<String> = match lock(&shared.tokens).check(authorization, now()) {
        Ok(s) => s.to_vec(),
        Err(e) => return (e.reply(), 0),
    };
    let draw = lock(&shared.faults).draw_api();
    match draw.pre {
        Some(PreFault::TooManyRequests { retry_after }) => {
            let reply = ApiError::new(
                429,
                "Global limit has been reached",
                Some("too_many_requests"),
            )
            .reply();
            return if retry_after {
                (reply.header("retry-after", "1").with_fault("429"), 0)
            } else {
                (reply.with_fault("429_no_retry_after"), 0)
            };
        }
        Some(PreFault::Status(s)) => {
            let name = match s {
                500 => "500",
                502 => "502",
                _ => "503",
            };
            return (status_error(s, false).with_fault(name), 0);
        }
        Some(PreFault::ExpireToken) => {
            if let Some(token) = authorization.and_then(|a| a.get(7..)) {
                lock(&shared.tokens).expire(token.trim(), now());
            }
            let reply = crate::token::TokenError::Expired
                .reply()
                .with_fault("expire_token");
            return (reply, 0);
        }
        None => {}
    }
    if let Some(ms) = draw.slow_ms {
        lock(&shared.stats).fault("slow");
        tokio::time::sleep(Duration::from_millis(ms.min(600_000))).await;
    }
    let rest = path.trim_start_matches("/api/v2/").trim_end_matches('/');
    let segments: Vec<&str> = rest.split('/').collect();
    let Some(scope) = required_scope(&segments) else {
        return (ApiError::new(404, "Not Found", None).reply(), 0);
    };
    if method != Method::GET {
        return (
            ApiError::new(405, format!("Method {method} not allowed"), None).reply(),
            0,
        );
    }
    if !scopes.iter().any(|s| s == scope) {
        let e = ApiError::new(
            403,
            format!("Insufficient scope, expected any of: {scope}"),
            Some("insufficient_scope"),
        );
        return (e.reply(), 0);
    }
    let q = Query::parse(raw_query);
    let repeat = match draw.body {
        Some(BodyFault::RepeatTail(n)) if segments == ["logs"] && q.has("from") => Some(n),
        _ => None,
    };
    let result: Result<(Reply, u64), ApiError> = match segments.as_slice() {
        ["logs"] => logs::handle(shared, &q, now_ms(), repeat).map(|p| (p.reply, p.events)),
        _ => {
            let tenant = lock(&shared.tenant);
            let value: Result<Value, ApiError> = match segments.as_slice() {
                ["organizations"] => organizations::list(&tenant, &q),
                ["organizations", id] => organizations::get(&tenant, id),
                ["organizations", id, "client-grants"] => {
                    organizations::client_grants(&tenant, id, &q)
                }
                ["client-grants"] => grants::list(&tenant, &q),
                ["clients"] => clients::list(&tenant, &q, now()),
                ["clients", id] => clients::get(&tenant, id, &q),
                _ => Err(ApiError::new(404, "Not Found", None)),
            };
            value.map(|v| (Reply::json(200, &v), 0))
        }
    };
    let (mut reply, events) = match result {
        Ok(ok) => ok,
        Err(e) => return (e.reply(), 0),
    };
    if repeat.is_some() {
        reply = reply.with_fault("repeat_tail");
    }
    match draw.body {
        Some(BodyFault::ResetMidBody) => {
            let cut = ((reply.body.len() as f64) * lock(&shared.faults).cut_fraction()) as usize;
            reply.delivery = Delivery::ResetAfter(cut);
            reply = reply.with_fault("reset_mid_body");
        }
        Some(BodyFault::TruncatedJson) => {
            let f = lock(&shared.faults).cut_fraction();
            reply.body = Bytes::from(truncate(&reply.body, f));
            reply = reply.with_fault("truncated_json");
        }
        Some(BodyFault::InvalidJson) => {
            reply.body = Bytes::from(corrupt(&reply.body));
            reply = reply.with_fault("invalid_json");
        }
        _ => {}
    }
    (reply, events)
}
