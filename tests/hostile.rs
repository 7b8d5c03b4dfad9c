//! Issue #4, scenario 8: every input a user can give, at its worst, through the
//! real .wasm in the real host. Each bad value must end in a `config` error that
//! names its field (never a trap, never another error kind), nothing may reach
//! the tenant, the sink or any other host, and the stored state must not change
//! by a single byte. Hostile *responses* are in `reliability.rs` (scenario 7)
//! and in the hostile-server cases at the end of this file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use auth0_audit_e2e::scenarios::{durable_state, kv_snapshot};
use auth0_audit_e2e::{
    TestSink, audit_options, memory, options, runtime, tenant, tenant_audit_options,
};
use auth0_audit_host::runtime::{
    AuditOptions, ClientCredentials, Credentials, Header, JobError, KvBackend, Runtime,
    RuntimeOptions, StartAt, SyncOptions, TenantConfig,
};
use auth0_audit_simulator::{SimConfig, Simulator};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

type Mutation = Box<dyn Fn(&mut TenantConfig, &mut SyncOptions)>;

/// Recognisable secrets: a hostile value must never be echoed if it is one.
const SECRET_MARK: &str = "S3CRET-MARK";

fn set_domain(d: &str) -> Mutation {
    let d = d.to_string();
    Box::new(move |t, _| t.domain = d.clone())
}

fn set_client_id(v: &str) -> Mutation {
    let v = v.to_string();
    Box::new(move |t, _| {
        if let Credentials::ClientCredentials(c) = &mut t.credentials {
            c.client_id = v.clone();
        }
    })
}

fn set_client_secret(v: &str) -> Mutation {
    let v = v.to_string();
    Box::new(move |t, _| {
        if let Credentials::ClientCredentials(c) = &mut t.credentials {
            c.client_secret = v.clone();
        }
    })
}

fn set_token(v: &str) -> Mutation {
    let v = v.to_string();
    Box::new(move |t, _| t.credentials = Credentials::AccessToken(v.clone()))
}

fn set_sink_url(v: &str) -> Mutation {
    let v = v.to_string();
    Box::new(move |_, o| o.sink.url = v.clone())
}

fn add_header(name: &str, value: &str) -> Mutation {
    let (name, value) = (name.to_string(), value.to_string());
    Box::new(move |_, o| {
        o.sink.headers.push(Header {
            name: name.clone(),
            value: value.clone(),
        })
    })
}

fn set_start(v: &str) -> Mutation {
    let v = v.to_string();
    Box::new(move |_, o| o.start = StartAt::Timestamp(v.clone()))
}

fn set_stream(v: &str) -> Mutation {
    let v = v.to_string();
    Box::new(move |_, o| o.stream = Some(v.clone()))
}

fn opt(f: impl Fn(&mut SyncOptions) + 'static) -> Mutation {
    Box::new(move |_, o| f(o))
}

/// (field the error must name, description, mutation of a valid config).
fn sync_cases() -> Vec<(&'static str, String, Mutation)> {
    let mut cases: Vec<(&'static str, String, Mutation)> = Vec::new();
    let long = |n: usize| "a".repeat(n);
    let domains = [
        String::new(),
        " ".into(),
        "acme.auth0.com/api".into(),
        "acme.auth0.com/api/v2/logs".into(),
        "acme.auth0.com?x=1".into(),
        "acme.auth0.com#frag".into(),
        "user@acme.auth0.com".into(),
        "https://user:pw@acme.auth0.com".into(),
        "https://acme.auth0.com@evil.example.com".into(),
        "https://evil.example.com\\@acme.auth0.com".into(),
        "acme.auth0.com:0".into(),
        "acme.auth0.com:65536".into(),
        "acme.auth0.com:70000".into(),
        "acme.auth0.com:99999999999".into(),
        "acme.auth0.com:-1".into(),
        "acme.auth0.com:".into(),
        "acme.auth0.com:http".into(),
        "10.0.0.1".into(),
        "https://192.168.1.1".into(),
        "https://8.8.8.8".into(),
        "[::1]".into(),
        "https://[fe80::1]".into(),
        "https://[::ffff:10.0.0.1]".into(),
        "http://acme.auth0.com".into(),
        "http://10.0.0.5:8080".into(),
        "http://169.254.169.254".into(),
        "http://0.0.0.0".into(),
        "http://2130706433".into(),
        "http://127.1".into(),
        "http://0x7f.0.0.1".into(),
        "http://localhost.evil.example.com".into(),
        "http://127.0.0.1:4000/../x".into(),
        "http://127.0.0.1:4000/path".into(),
        "ftp://acme.auth0.com".into(),
        "file:///etc/passwd".into(),
        "javascript:alert(1)".into(),
        "acmé.auth0.com".into(),
        "\u{430}cme.auth0.com".into(),
        "\u{ff41}cme.auth0.com".into(),
        "acme\u{200b}.auth0.com".into(),
        "acme.auth0.com\u{202e}".into(),
        "acme .auth0.com".into(),
        "acme.auth0.com\n".into(),
        "acme.auth0.com\t".into(),
        "acme.auth0.com\0".into(),
        "acme.auth0.com\r\nHost: evil".into(),
        "acme..auth0.com".into(),
        "acme.auth0.com.".into(),
        "-acme.auth0.com".into(),
        "acme-.auth0.com".into(),
        "%61cme.auth0.com".into(),
        "acme_corp.auth0.com".into(),
        "localhost".into(),
        "auth0".into(),
        format!("{}.auth0.com", long(64)),
        format!("{}.com", "a.".repeat(130)),
        long(3000),
    ];
    for d in domains {
        cases.push(("tenant.domain", format!("domain {d:?}"), set_domain(&d)));
    }
    for v in ["", " ", "\t", "id with space", "id\n", &long(257)] {
        cases.push((
            "tenant.credentials.client-id",
            format!("client id {v:?}"),
            set_client_id(v),
        ));
    }
    let secrets = [
        String::new(),
        "   ".into(),
        "\n".into(),
        format!("{SECRET_MARK} with space"),
        format!("{SECRET_MARK}\u{0}"),
        format!("{SECRET_MARK}{}", long(1100)),
    ];
    for v in secrets {
        cases.push((
            "tenant.credentials.client-secret",
            format!("client secret of {} bytes", v.len()),
            set_client_secret(&v),
        ));
    }
    let tokens = [
        String::new(),
        " ".into(),
        format!("Bearer {SECRET_MARK}"),
        format!("{SECRET_MARK}{}", long(17_000)),
    ];
    for v in tokens {
        cases.push((
            "tenant.credentials.access-token",
            format!("access token of {} bytes", v.len()),
            set_token(&v),
        ));
    }
    for v in ["", "  ", "aud ience", "aud\nience", &long(1025)] {
        let v = v.to_string();
        cases.push((
            "tenant.audience",
            format!("audience {v:?}"),
            Box::new(move |t, _| t.audience = Some(v.clone())),
        ));
    }
    for v in [long(257), "bucket\nname".into()] {
        cases.push((
            "tenant.bucket",
            format!("bucket of {} bytes", v.len()),
            Box::new(move |t, _| t.bucket = v.clone()),
        ));
    }
    let sink_urls = [
        String::new(),
        "not a url".into(),
        "siem.example.com/in".into(),
        "//siem.example.com/in".into(),
        "ftp://siem.example.com/in".into(),
        "http://siem.example.com/in".into(),
        "http://10.0.0.1/in".into(),
        "http://169.254.169.254/latest/meta-data/".into(),
        "https://user:pw@siem.example.com/in".into(),
        "https://siem.example.com:0/in".into(),
        "https://siem.example.com:65536/in".into(),
        "https://siem.example.com/in#frag".into(),
        "https://siem.example.com/in path".into(),
        "https://sïem.example.com/in".into(),
        "https://[::1/in".into(),
        "https:///in".into(),
        "https://siem.example.com/in\r\nX-Injected: 1".into(),
        format!("https://siem.example.com/{}", long(3000)),
    ];
    for u in sink_urls {
        cases.push(("sink.url", format!("sink url {u:?}"), set_sink_url(&u)));
    }
    // The valid test header is sink.headers[0]; the hostile one is [1].
    let headers = [
        ("", "v".to_string()),
        ("Bad Header", "v".into()),
        ("X-A:B", "v".into()),
        ("X-Ünicode", "v".into()),
        ("Host", "evil.example.com".into()),
        ("Content-Length", "0".into()),
        ("Transfer-Encoding", "chunked".into()),
        ("X-Token", format!("{SECRET_MARK}\r\nX-Injected: 1")),
        ("X-Token", format!("{SECRET_MARK}\n")),
        ("X-Token", format!("{SECRET_MARK}{}", long(9000))),
        (&*long(200), "v".into()),
    ];
    for (name, value) in headers {
        cases.push((
            "sink.headers[1]",
            format!("header {:?} ({} byte value)", name, value.len()),
            add_header(name, &value),
        ));
    }
    for n in [0, 100, 4095, 16 * 1024 * 1024 + 1] {
        cases.push((
            "sink.max-batch-bytes",
            format!("max batch bytes {n}"),
            opt(move |o| o.sink.max_batch_bytes = Some(n)),
        ));
    }
    for n in [0, 10_001, u32::MAX] {
        cases.push((
            "sink.max-batch-events",
            format!("max batch events {n}"),
            opt(move |o| o.sink.max_batch_events = Some(n)),
        ));
    }
    for s in [
        "",
        "last tuesday",
        "2026-13-01T00:00:00Z",
        "2026-11-01",
        "1700000000",
        "2026-11-01T00:00:00",
        "2026-11-01T25:00:00Z",
        "2026-11-01T00:00:00Z OR type:s",
    ] {
        cases.push(("start", format!("start {s:?}"), set_start(s)));
    }
    for s in [
        "",
        ".",
        "..",
        "../x",
        "a/b",
        "stream name",
        "ström",
        &long(65),
    ] {
        cases.push(("stream", format!("stream {s:?}"), set_stream(s)));
    }
    for (field, codes) in [
        ("include-types[0]", vec!["S".to_string()]),
        ("include-types[0]", vec!["s;drop".into()]),
        ("include-types[1]", vec!["s".into(), "a b".into()]),
        ("include-types[0]", vec![String::new()]),
        ("include-types[0]", vec!["type:s OR *".into()]),
        ("include-types", vec!["s".into(); 501]),
    ] {
        cases.push((
            field,
            format!("include types {:?}", codes.first()),
            opt(move |o| o.include_types = codes.clone()),
        ));
    }
    for (field, codes) in [
        ("exclude-types[0]", vec!["*".to_string()]),
        ("exclude-types[0]", vec!["f\n".into()]),
    ] {
        cases.push((
            field,
            format!("exclude types {:?}", codes.first()),
            opt(move |o| o.exclude_types = codes.clone()),
        ));
    }
    for ms in [0, 999, 86_400_001, u64::MAX] {
        cases.push((
            "max-duration-ms",
            format!("max duration {ms}"),
            opt(move |o| o.max_duration_ms = Some(ms)),
        ));
    }
    for d in [0, 366, u32::MAX] {
        cases.push((
            "retention-days",
            format!("retention {d}"),
            opt(move |o| o.retention_days = Some(d)),
        ));
    }
    for s in [0, 59, 365 * 86_400 + 1] {
        cases.push((
            "gap-warning-seconds",
            format!("gap warning {s}"),
            opt(move |o| o.gap_warning_seconds = Some(s)),
        ));
    }
    for n in [0, 21] {
        cases.push((
            "max-attempts",
            format!("attempts {n}"),
            opt(move |o| o.max_attempts = Some(n)),
        ));
    }
    for ms in [0, 99, 600_001] {
        cases.push((
            "request-timeout-ms",
            format!("timeout {ms}"),
            opt(move |o| o.request_timeout_ms = Some(ms)),
        ));
    }
    cases
}

fn org_id_cases() -> Vec<String> {
    let mut ids: Vec<String> = [
        "",
        "org_1/../../clients",
        "org_1/",
        "../org_1",
        "org_1%2f..",
        "org_1?include_totals=true",
        "org_1#x",
        "org_1 OR client_id:*",
        "org_1)OR(",
        "(org_1)",
        "org_1*",
        "org_1:",
        "org_1\"",
        "org_1\\",
        "org_1{",
        "org_1~",
        "org_1^2",
        "org_1\n",
        " org_1",
        "org_1 ",
        "org_ñ",
        "org_\u{200b}1",
        "AND",
        "or",
        "NOT",
        "to",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ids.push(format!("org_{}", "a".repeat(61)));
    ids.push("a".repeat(10_000));
    ids
}

fn audit_option_cases() -> Vec<(&'static str, AuditOptions)> {
    let base = audit_options();
    vec![
        (
            "window-days",
            AuditOptions {
                window_days: Some(0),
                ..base
            },
        ),
        (
            "window-days",
            AuditOptions {
                window_days: Some(u32::MAX),
                ..base
            },
        ),
        (
            "max-duration-ms",
            AuditOptions {
                max_duration_ms: Some(1),
                ..base
            },
        ),
        (
            "max-attempts",
            AuditOptions {
                max_attempts: Some(0),
                ..base
            },
        ),
        (
            "request-timeout-ms",
            AuditOptions {
                request_timeout_ms: Some(1),
                ..base
            },
        ),
    ]
}

/// Asserts `result` is a config error naming `field` whose text holds no secret.
fn assert_config_error<T: std::fmt::Debug>(result: &Result<T, JobError>, field: &str, what: &str) {
    match result {
        Err(JobError::Config(c)) => {
            assert_eq!(c.field, field, "{what}: wrong field named ({})", c.message);
            assert!(!c.message.trim().is_empty(), "{what}: empty message");
            assert!(
                !c.message.contains(SECRET_MARK),
                "{what}: the error echoes a secret: {}",
                c.message
            );
        }
        other => panic!("{what}: expected a config error naming {field}, got {other:?}"),
    }
}

struct World {
    sim: Simulator,
    sink: TestSink,
    state: Arc<dyn KvBackend>,
    rt: Runtime,
}

async fn world() -> World {
    let sim = Simulator::start(SimConfig {
        events: 50,
        ..SimConfig::with_seed(7)
    })
    .await
    .unwrap();
    let sink = TestSink::start().await;
    let state = memory();
    let rt = runtime(&sim, &sink, state.clone()).await;
    // A successful sync first, so there is real state that must not change.
    let (ok, _) = rt
        .sync_logs(&tenant(&sim), &options(&sink.url()))
        .await
        .unwrap();
    assert!(ok.is_ok_and(|r| r.caught_up));
    World {
        sim,
        sink,
        state,
        rt,
    }
}

impl World {
    fn traffic(&self) -> (u64, u64) {
        (
            self.sim.stats().requests_total,
            self.sink.requests.load(Ordering::SeqCst),
        )
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_input_is_refused_naming_its_field_and_changes_nothing() {
    let w = world().await;
    let before_state = kv_snapshot(w.state.as_ref(), "");
    let before_traffic = w.traffic();
    let mut checked = 0usize;

    for (field, what, mutate) in sync_cases() {
        let mut t = tenant(&w.sim);
        let mut o = options(&w.sink.url());
        mutate(&mut t, &mut o);
        let (result, _) =
            w.rt.sync_logs(&t, &o)
                .await
                .unwrap_or_else(|e| panic!("{what}: the component trapped: {e:#}"));
        assert_config_error(&result, field, &what);
        checked += 1;
    }

    let t = tenant(&w.sim);
    for id in org_id_cases() {
        let what = format!("org id {:?}", id.chars().take(40).collect::<String>());
        let (result, _) =
            w.rt.audit_org(&t, &id, &audit_options())
                .await
                .unwrap_or_else(|e| panic!("{what}: the component trapped: {e:#}"));
        assert_config_error(&result, "org-id", &what);
        checked += 1;
    }
    let org = w.sim.directory().organizations[0].id.clone();
    for (field, opts) in audit_option_cases() {
        let what = format!("audit option {field}");
        let (result, _) = w.rt.audit_org(&t, &org, &opts).await.unwrap();
        assert_config_error(&result, field, &what);
        checked += 1;
    }
    let mut tenant_opts = tenant_audit_options();
    tenant_opts.window_days = Some(0);
    let (result, _) = w.rt.audit_tenant(&t, &tenant_opts).await.unwrap();
    assert_config_error(&result, "window-days", "audit-tenant window 0");
    checked += 1;
    // The same tenant-config checks guard every job, not only sync-logs.
    let mut bad = tenant(&w.sim);
    bad.domain = "http://169.254.169.254".into();
    let (result, _) = w.rt.audit_org(&bad, &org, &audit_options()).await.unwrap();
    assert_config_error(&result, "tenant.domain", "audit-org with a metadata domain");
    let (result, _) =
        w.rt.audit_tenant(&bad, &tenant_audit_options())
            .await
            .unwrap();
    assert_config_error(
        &result,
        "tenant.domain",
        "audit-tenant with a metadata domain",
    );
    let result = w.rt.sync_status(&bad, None, None).await.unwrap();
    assert_config_error(
        &result,
        "tenant.domain",
        "sync-status with a metadata domain",
    );
    checked += 3;

    assert!(checked >= 100, "only {checked} hostile inputs");
    assert_eq!(
        w.traffic(),
        before_traffic,
        "a request left for the tenant or the sink"
    );
    assert_eq!(
        kv_snapshot(w.state.as_ref(), ""),
        before_state,
        "a refused input changed the stored state"
    );
    println!(
        "{checked} hostile inputs refused, each naming its field; 0 requests; state unchanged"
    );
}

// ---------------------------------------------------------------------------
// Hostile servers: a "tenant" that answers with what no real tenant should.
// ---------------------------------------------------------------------------

/// What the hostile tenant's logs endpoint answers.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// 10 MB of one JSON array of strings.
    Huge,
    /// 100,000 nested arrays.
    Deep,
    /// Events whose known fields have the wrong types.
    WrongTypes,
    /// An object where the array of events belongs.
    WrongShape,
    /// A valid page whose Link header points to another host.
    LinkElsewhere,
    /// A token response with the wrong types.
    BadToken,
}

struct HostileTenant {
    url: String,
    requests: Arc<AtomicU64>,
}

const GOOD_EVENT: &str = r#"{"log_id":"90020261101000000000000000000000000000000000000000000001","date":"2026-11-01T00:00:00.000Z","type":"s"}"#;

fn logs_body(answer: Answer, query: &str) -> (Vec<u8>, Option<String>) {
    match answer {
        Answer::Huge => {
            let item = format!("\"{}\",", "x".repeat(1000));
            let mut body = String::from("[");
            while body.len() < 10 * 1024 * 1024 {
                body.push_str(&item);
            }
            body.push_str("\"end\"]");
            (body.into_bytes(), None)
        }
        Answer::Deep => {
            let n = 100_000;
            let body = format!("{}{}", "[".repeat(n), "]".repeat(n));
            (body.into_bytes(), None)
        }
        Answer::WrongTypes => (
            br#"[{"log_id":12345,"date":{"$date":1},"type":["s"]},{"log_id":null}]"#.to_vec(),
            None,
        ),
        Answer::WrongShape => (br#"{"logs":"none","length":"many"}"#.to_vec(), None),
        Answer::LinkElsewhere
            if query.contains("90020261101000000000000000000000000000000000000000000001") =>
        {
            (b"[]".to_vec(), None)
        }
        Answer::LinkElsewhere => (
            format!("[{GOOD_EVENT}]").into_bytes(),
            Some(
                "<https://evil.example.com/api/v2/logs?from=1&take=100>; rel=\"next\"".to_string(),
            ),
        ),
        Answer::BadToken => (b"[]".to_vec(), None),
    }
}

async fn hostile_tenant(answer: Answer) -> HostileTenant {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicU64::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let counter = counter.clone();
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let path = req.uri().path().to_string();
                        let query = req.uri().query().unwrap_or_default().to_string();
                        // Read the whole request first (or the client sees a reset).
                        let _ = req.into_body().collect().await;
                        let mut link = None;
                        let body = if path == "/oauth/token" {
                            if matches!(answer, Answer::BadToken) {
                                br#"{"access_token":42,"expires_in":"soon"}"#.to_vec()
                            } else {
                                br#"{"access_token":"tok","token_type":"Bearer","expires_in":86400,"scope":"read:logs"}"#.to_vec()
                            }
                        } else {
                            let (body, l) = logs_body(answer, &query);
                            link = l;
                            body
                        };
                        let mut resp = Response::new(Full::new(Bytes::from(body)));
                        resp.headers_mut()
                            .insert("content-type", "application/json".parse().unwrap());
                        if let Some(l) = link {
                            resp.headers_mut().insert("link", l.parse().unwrap());
                        }
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    HostileTenant {
        url: format!("http://{addr}"),
        requests,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_responses_end_in_typed_errors_without_trap_or_state_change() {
    for answer in [
        Answer::Huge,
        Answer::Deep,
        Answer::WrongTypes,
        Answer::WrongShape,
        Answer::LinkElsewhere,
        Answer::BadToken,
    ] {
        let server = hostile_tenant(answer).await;
        let sink = TestSink::start().await;
        let state = memory();
        let mut o = RuntimeOptions::new(state.clone());
        // evil.example.com is deliberately not allowed: a request there would be
        // refused by the host, and counted by the component as a transport error.
        o.allowed_origins = vec![server.url.clone(), sink.origin()];
        let rt = Runtime::new(o).await.unwrap();
        let t = TenantConfig {
            domain: server.url.clone(),
            credentials: Credentials::ClientCredentials(ClientCredentials {
                client_id: "cli".into(),
                client_secret: format!("{SECRET_MARK}-client"),
            }),
            audience: None,
            bucket: String::new(),
            cache_token: Some(false),
        };
        let mut opts = options(&sink.url());
        opts.max_attempts = Some(2);
        let (result, stats) = rt
            .sync_logs(&t, &opts)
            .await
            .unwrap_or_else(|e| panic!("{answer:?}: the component trapped: {e:#}"));
        let text = format!("{result:?}");
        println!("{answer:?}: {}", text.chars().take(160).collect::<String>());
        assert!(
            !text.contains(SECRET_MARK),
            "{answer:?}: a secret leaked: {text}"
        );
        assert!(
            stats.peak_memory_bytes < 64 * 1024 * 1024,
            "{answer:?}: guest memory {}",
            stats.peak_memory_bytes
        );
        let durable: Vec<String> = durable_state(state.as_ref())
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        match answer {
            Answer::LinkElsewhere => {
                // The one good event is delivered; the Link to another host is
                // never followed (the next page is asked from the tenant itself).
                let report = result.unwrap_or_else(|e| panic!("{answer:?}: {e:?}"));
                assert_eq!(report.delivered, 1);
                assert_eq!(sink.log_ids().len(), 1);
            }
            _ => {
                match &result {
                    // The 10 MB body is cut off at the component's bound: transport.
                    Err(JobError::Upstream(_) | JobError::Auth(_) | JobError::Transport(_)) => {}
                    other => panic!("{answer:?}: expected a typed upstream error, got {other:?}"),
                }
                assert_eq!(sink.requests.load(Ordering::SeqCst), 0, "{answer:?}");
                assert!(
                    durable.is_empty(),
                    "{answer:?}: a failed run stored {durable:?}"
                );
            }
        }
        assert!(server.requests.load(Ordering::SeqCst) >= 1);
    }
}
