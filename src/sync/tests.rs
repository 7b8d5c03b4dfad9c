//! Sync behaviour against a fake tenant and sink: no loss, no duplicates,
//! checkpoint only after acknowledgement, retries, pacing, budgets, warnings.

use crate::error::Error;
use crate::model::{
    Credentials, Secret, SinkConfig, SinkFormat, StartAt, SyncOptions, SyncReport, TenantConfig,
};
use crate::ports::{Ports, Response, TransportError};
use crate::sync::{sync_logs, sync_status};
use crate::testing::{BASE_MS, FakeClock, FakeHttp, FakeTenant, MemKv, response};

const SECRET: &str = "CLIENT-SECRET-VALUE-1234";
const SINK_AUTH: &str = "Splunk SINK-TOKEN-VALUE-5678";

fn tenant() -> TenantConfig {
    TenantConfig {
        domain: "acme.auth0.com".into(),
        credentials: Credentials::ClientCredentials {
            client_id: "cli".into(),
            client_secret: Secret::new(SECRET),
        },
        audience: None,
        bucket: String::new(),
        cache_token: None,
    }
}

fn options() -> SyncOptions {
    SyncOptions {
        stream: None,
        start: StartAt::Oldest,
        sink: SinkConfig {
            url: "https://siem.example.com/sink".into(),
            format: SinkFormat::LogStreams,
            headers: vec![("Authorization".into(), Secret::new(SINK_AUTH))],
            max_batch_bytes: None,
            max_batch_events: Some(150),
        },
        include_types: vec![],
        exclude_types: vec![],
        max_duration_ms: None,
        retention_days: Some(30),
        gap_warning_seconds: None,
        max_attempts: None,
        request_timeout_ms: None,
    }
}

struct World<F: Fn(&crate::ports::Request) -> Result<Response, TransportError>> {
    http: FakeHttp<F>,
    kv: MemKv,
    clock: FakeClock,
}

impl<F: Fn(&crate::ports::Request) -> Result<Response, TransportError>> World<F> {
    fn ports(&self) -> Ports<'_> {
        Ports {
            http: &self.http,
            kv: &self.kv,
            clock: &self.clock,
        }
    }
    fn sync(&self, opts: &SyncOptions) -> Result<SyncReport, Error> {
        sync_logs(self.ports(), &tenant(), opts)
    }
}

fn world(
    t: &FakeTenant,
) -> World<impl Fn(&crate::ports::Request) -> Result<Response, TransportError> + '_> {
    World {
        http: FakeHttp::new(move |r| t.handle(r)),
        kv: MemKv::default(),
        clock: FakeClock::new(BASE_MS + 3_600_000),
    }
}

fn assert_exact(t: &FakeTenant) {
    let delivered = t.delivered_ids();
    let mut unique = delivered.clone();
    unique.dedup();
    assert_eq!(unique.len(), delivered.len(), "duplicates delivered");
    assert_eq!(
        delivered,
        t.all_ids(),
        "delivered set differs from the tenant's"
    );
}

#[test]
fn full_backlog_then_incremental_without_loss_or_duplicates() {
    let t = FakeTenant::new(1234);
    let w = world(&t);
    let r = w.sync(&options()).unwrap();
    assert!(r.caught_up);
    assert_eq!((r.fetched, r.delivered), (1234, 1234));
    assert_exact(&t);
    assert_eq!(
        r.checkpoint.as_ref().map(|c| c.log_id.clone()),
        t.all_ids().last().cloned()
    );
    assert_eq!(r.sink_requests, 9, "1234 events in batches of at most 150");
    assert_eq!(w.http.count("/oauth/token"), 1);

    t.append(57);
    let r2 = w.sync(&options()).unwrap();
    assert_eq!(r2.delivered, 57);
    assert_eq!(r2.first_log_id, t.all_ids().get(1234).cloned());
    assert_exact(&t);
    assert_eq!(
        w.http.count("/oauth/token"),
        1,
        "the cached token is reused"
    );
    let cp = r2.checkpoint.unwrap();
    assert_eq!(cp.total_delivered, 1291);
}

#[test]
fn next_page_is_requested_before_this_page_is_delivered_and_never_twice() {
    let t = FakeTenant::new(300);
    let w = world(&t);
    let r = w.sync(&options()).unwrap();
    assert_exact(&t);
    let order: Vec<(bool, String)> = w
        .http
        .requests
        .borrow()
        .iter()
        .filter(|r| {
            r.path_and_query.starts_with("/api/v2/logs?from=")
                || r.path_and_query.starts_with("/sink")
        })
        .map(|r| {
            (
                r.path_and_query.starts_with("/sink"),
                r.path_and_query.clone(),
            )
        })
        .collect();
    let first_post = order.iter().position(|(post, _)| *post).unwrap();
    // Pages of 100, batches of 150: the batch fills while page 2 is handled,
    // by which time page 3 must already be on its way.
    assert_eq!(
        order[..first_post].len(),
        3,
        "three page requests precede the first delivery: {order:?}"
    );
    // Prefetching asks for each position once: 3 full pages, 1 empty.
    let pages: Vec<&String> = order
        .iter()
        .filter(|(post, _)| !post)
        .map(|(_, p)| p)
        .collect();
    let mut unique = pages.clone();
    unique.dedup();
    assert_eq!(pages.len(), 4, "{pages:?}");
    assert_eq!(unique.len(), pages.len(), "a page was asked for twice");
    assert_eq!(
        r.api_requests as usize,
        w.http.count("/api/v2/logs") + w.http.count("/oauth/token"),
        "every request sent is counted once"
    );
}

#[test]
fn output_keeps_unknown_fields_and_formats_log_streams() {
    let t = FakeTenant::new(3);
    let w = world(&t);
    w.sync(&options()).unwrap();
    let line: serde_json::Value = serde_json::from_str(&t.sink.borrow()[0]).unwrap();
    assert_eq!(line["data"]["extra"]["n"], 1);
    assert_eq!(line["log_id"], line["data"]["log_id"]);
}

#[test]
fn sink_failures_then_recovery_lose_nothing_and_checkpoint_waits_for_ack() {
    let t = FakeTenant::new(400);
    let w = world(&t);
    for _ in 0..3 {
        w.http.push("/sink", Ok(response(503, "busy")));
    }
    let r = w.sync(&options()).unwrap();
    assert!(r.retries >= 3);
    assert_exact(&t);

    // A sink that keeps failing: error, and the checkpoint stays put.
    t.append(100);
    let before =
        w.kv.json(&crate::keys::checkpoint("acme.auth0.com", "default"));
    let mut opts = options();
    opts.sink.url = "https://siem.example.com/down".into();
    let w2 = World {
        http: FakeHttp::new(|r: &crate::ports::Request| {
            if r.path_and_query.starts_with("/down") {
                Ok(response(500, "down"))
            } else {
                t.handle(r)
            }
        }),
        kv: MemKv::default(),
        clock: FakeClock::new(BASE_MS),
    };
    *w2.kv.map.borrow_mut() = w.kv.map.borrow().clone();
    let e = w2.sync(&opts).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Sink {
                status: Some(500),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        w2.kv
            .json(&crate::keys::checkpoint("acme.auth0.com", "default")),
        before
    );
    let status = sync_status(w2.ports(), &tenant(), None, Some(30)).unwrap();
    assert_eq!(status.health.consecutive_failures, 1);
    assert!(status.warnings.iter().any(|w| w.code == "failing"));
    // Next run with a working sink delivers everything after the checkpoint.
    *w.kv.map.borrow_mut() = w2.kv.map.borrow().clone();
    let r = w.sync(&options()).unwrap();
    assert_eq!(r.delivered, 100);
    assert_eq!(r.health.consecutive_failures, 0);
    assert_exact(&t);
}

#[test]
fn rate_limits_are_waited_out_and_5xx_retried() {
    let t = FakeTenant::new(250);
    let w = world(&t);
    let mut limited = response(429, r#"{"statusCode":429}"#);
    limited.headers.push(("retry-after".into(), "2".into()));
    w.http.push("/oauth/token", Ok(limited.clone()));
    w.http.push("/api/v2/logs", Ok(limited));
    w.http
        .push("/api/v2/logs", Ok(response(502, "bad gateway")));
    w.http
        .push("/api/v2/logs", Ok(response(502, "bad gateway")));
    let r = w.sync(&options()).unwrap();
    assert_eq!(r.rate_limit_waits, 2);
    assert!(r.rate_limit_wait_ms >= 4000);
    assert_eq!(r.retries, 2);
    assert_exact(&t);
}

#[test]
fn pacing_uses_ratelimit_headers() {
    let t = FakeTenant::new(150);
    let clock_start = BASE_MS + 3_600_000;
    let w = World {
        http: FakeHttp::new(|r: &crate::ports::Request| {
            let mut resp = t.handle(r)?;
            resp.headers
                .push(("x-ratelimit-remaining".into(), "0".into()));
            resp.headers.push((
                "x-ratelimit-reset".into(),
                ((clock_start / 1000) + 1).to_string(),
            ));
            Ok(resp)
        }),
        kv: MemKv::default(),
        clock: FakeClock::new(clock_start),
    };
    let r = w.sync(&options()).unwrap();
    assert!(r.rate_limit_waits >= 1, "{r:?}");
    assert_exact(&t);
}

#[test]
fn retries_exhausted_end_with_an_error_and_keep_acknowledged_progress() {
    let t = FakeTenant::new(350);
    let mut opts = options();
    opts.max_attempts = Some(3);
    // The start search and three pages succeed; the fourth page answers 502 every time.
    let pages_before_failure = 3;
    let calls = std::cell::Cell::new(0);
    let w2 = World {
        http: FakeHttp::new(|r: &crate::ports::Request| {
            if r.path_and_query.starts_with("/api/v2/logs?from") {
                calls.set(calls.get() + 1);
                if calls.get() > pages_before_failure {
                    return Ok(response(502, "shed"));
                }
            }
            t.handle(r)
        }),
        kv: MemKv::default(),
        clock: FakeClock::new(BASE_MS),
    };
    let e = w2.sync(&opts).unwrap_err();
    assert!(matches!(e, Error::Upstream { status: 502, .. }), "{e:?}");
    let delivered = t.delivered_ids();
    assert_eq!(
        delivered.len(),
        301,
        "first event + three pages delivered before failing"
    );
    let cp = w2
        .kv
        .json(&crate::keys::checkpoint("acme.auth0.com", "default"))
        .unwrap();
    assert_eq!(cp["log_id"].as_str(), delivered.last().map(String::as_str));
}

#[test]
fn expired_token_is_refreshed_once() {
    let t = FakeTenant::new(300);
    let w = world(&t);
    let mut opts = options();
    opts.max_duration_ms = None;
    // Run once to cache a token, then invalidate it server-side.
    t.append(0);
    w.http.push(
        "/api/v2/logs",
        Ok(response(401, r#"{"message":"Expired token"}"#)),
    );
    let r = w.sync(&opts).unwrap();
    assert_eq!(w.http.count("/oauth/token"), 2);
    assert_eq!(r.delivered, 300);
    assert_exact(&t);
    // Two 401s in a row with a fresh token: auth error, not a loop.
    for _ in 0..2 {
        w.http.push(
            "/api/v2/logs",
            Ok(response(401, r#"{"message":"Invalid token"}"#)),
        );
    }
    t.append(5);
    let e = w.sync(&opts).unwrap_err();
    assert!(matches!(e, Error::Auth(_)), "{e:?}");
}

#[test]
fn filters_still_advance_the_checkpoint() {
    let t = FakeTenant::new(400);
    let w = world(&t);
    let mut opts = options();
    opts.exclude_types = vec!["sapi".into()];
    let r = w.sync(&opts).unwrap();
    assert_eq!((r.delivered, r.filtered), (300, 100));
    assert_eq!(r.checkpoint.map(|c| c.log_id), t.all_ids().last().cloned());
    assert!(t.delivered_ids().len() == 300);
}

#[test]
fn start_now_skips_the_backlog_then_delivers_new_events() {
    let t = FakeTenant::new(500);
    let w = world(&t);
    let mut opts = options();
    opts.start = StartAt::Now;
    let r = w.sync(&opts).unwrap();
    assert_eq!(r.delivered, 0);
    t.append(20);
    let r = w.sync(&opts).unwrap();
    assert_eq!(r.delivered, 20);
    assert_eq!(t.delivered_ids(), t.all_ids()[500..].to_vec());
}

#[test]
fn start_now_on_an_empty_tenant_misses_nothing_later() {
    let t = FakeTenant::new(0);
    let w = world(&t);
    let mut opts = options();
    opts.start = StartAt::Now;
    let w = World {
        http: w.http,
        kv: w.kv,
        clock: FakeClock::new(BASE_MS - 60_000),
    };
    let r = w.sync(&opts).unwrap();
    assert_eq!(r.delivered, 0);
    t.append(30);
    let r = w.sync(&opts).unwrap();
    assert_eq!(r.delivered, 30, "{r:?}");
    assert_exact(&t);
}

#[test]
fn start_at_timestamp_skips_nothing_at_or_after_it() {
    let t = FakeTenant::new(300);
    let w = world(&t);
    let mut opts = options();
    let cut = crate::event::format_ms(BASE_MS + 200_000);
    opts.start = StartAt::Timestamp(cut.clone());
    w.sync(&opts).unwrap();
    let delivered: std::collections::BTreeSet<_> = t.delivered_ids().into_iter().collect();
    for e in t.events.borrow().iter() {
        if e.1 >= cut {
            assert!(delivered.contains(&e.0), "skipped {} dated {}", e.0, e.1);
        }
    }
    assert!(delivered.len() < 300);
}

#[test]
fn time_budget_stops_commits_and_resumes() {
    let t = FakeTenant::new(2000);
    // Each page costs one simulated second through a rate-limit pause.
    let mut opts = options();
    opts.max_duration_ms = Some(5_000);
    let w = World {
        http: FakeHttp::new(|r: &crate::ports::Request| {
            let mut resp = t.handle(r)?;
            // An empty bucket without a reset time: the pacer waits one second.
            resp.headers
                .push(("x-ratelimit-remaining".into(), "0".into()));
            Ok(resp)
        }),
        kv: MemKv::default(),
        clock: FakeClock::new(BASE_MS + 3_600_000),
    };
    let r = w.sync(&opts).unwrap();
    assert!(!r.caught_up);
    assert!(r.delivered > 0 && r.delivered < 2000, "{r:?}");
    assert!(r.warnings.iter().any(|w| w.code == "time-budget"));
    let mut total = r.delivered;
    for _ in 0..100 {
        let r = w.sync(&opts).unwrap();
        total += r.delivered;
        if r.caught_up {
            break;
        }
    }
    assert_eq!(total, 2000);
    assert_exact(&t);
}

#[test]
fn repeated_tail_is_dropped_as_duplicates() {
    let t = FakeTenant::new(250);
    let w = World {
        http: FakeHttp::new(|r: &crate::ports::Request| {
            // Serve pages that start two events before `from`.
            if let Some(from) = crate::api::query::param(&r.path_and_query, "from") {
                let ids = t.all_ids();
                if let Some(pos) = ids.iter().position(|i| *i == from)
                    && pos >= 2
                    && pos + 1 < ids.len()
                {
                    let mut r2 = r.clone();
                    r2.path_and_query = format!("/api/v2/logs?from={}&take=100", ids[pos - 2]);
                    return t.handle(&r2);
                }
            }
            t.handle(r)
        }),
        kv: MemKv::default(),
        clock: FakeClock::new(BASE_MS),
    };
    let r = w.sync(&options()).unwrap();
    assert!(r.duplicates_dropped >= 4, "{r:?}");
    assert_exact(&t);
}

#[test]
fn hostile_link_header_is_refused_and_nothing_leaves_for_that_host() {
    let t = FakeTenant::new(50);
    *t.link_override.borrow_mut() =
        Some("<https://evil.example/api/v2/logs?from=1>; rel=\"next\"".into());
    let w = world(&t);
    let e = w.sync(&options()).unwrap_err();
    assert!(matches!(e, Error::Upstream { .. }), "{e:?}");
    assert!(
        w.http
            .requests
            .borrow()
            .iter()
            .all(|r| r.origin.host != "evil.example")
    );
}

#[test]
fn gap_and_retention_warnings() {
    let t = FakeTenant::new(10);
    let w = world(&t);
    w.sync(&options()).unwrap();
    // Three days later, new events arrive; retention is one day.
    w.clock.advance(3 * 86_400_000);
    {
        let mut events = t.events.borrow_mut();
        let ms = BASE_MS + 3 * 86_400_000;
        events.push((
            crate::testing::log_id(10, ms),
            crate::event::format_ms(ms),
            "s".into(),
        ));
    }
    let mut opts = options();
    opts.retention_days = Some(1);
    let r = w.sync(&opts).unwrap();
    let codes: Vec<_> = r.warnings.iter().map(|w| w.code.as_str()).collect();
    assert!(codes.contains(&"retention-gap"), "{codes:?}");
    assert!(codes.contains(&"gap-suspected"), "{codes:?}");
    let s = sync_status(w.ports(), &tenant(), None, Some(1)).unwrap();
    assert!(
        s.warnings.iter().all(|w| w.code != "retention-gap"),
        "the new checkpoint is fresh"
    );
}

#[test]
fn bad_input_changes_nothing_and_sends_nothing() {
    let t = FakeTenant::new(10);
    let w = world(&t);
    let mut cases: Vec<(TenantConfig, SyncOptions, &str)> = Vec::new();
    let mut tc = tenant();
    tc.domain = "acme.auth0.com/evil".into();
    cases.push((tc, options(), "tenant.domain"));
    let mut o = options();
    o.sink.url = "http://siem.example.com/x".into();
    cases.push((tenant(), o, "sink.url"));
    let mut o = options();
    o.start = StartAt::Timestamp("yesterday".into());
    cases.push((tenant(), o, "start"));
    let mut o = options();
    o.stream = Some("../x".into());
    cases.push((tenant(), o, "stream"));
    let mut o = options();
    o.include_types = vec!["s".into(), "type:s OR *".into()];
    cases.push((tenant(), o, "include-types[1]"));
    for (tc, o, field) in cases {
        match sync_logs(w.ports(), &tc, &o) {
            Err(Error::Config { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(w.http.requests.borrow().is_empty());
    assert!(w.kv.keys().is_empty());
}

#[test]
fn secrets_never_appear_in_reports_errors_or_state_except_the_token_cache() {
    let t = FakeTenant::new(120);
    let w = world(&t);
    let r = w.sync(&options()).unwrap();
    w.http
        .push("/sink", Ok(response(401, &format!("bad auth {SINK_AUTH}"))));
    t.append(3);
    let e = w.sync(&options()).unwrap_err();
    let shown = format!("{r:?} {e:?} {e}");
    for secret in [SECRET, "SINK-TOKEN-VALUE-5678", "tok1"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    for key in w.kv.keys() {
        let value = String::from_utf8_lossy(&w.kv.map.borrow()[&key]).into_owned();
        assert!(
            !value.contains(SECRET) && !value.contains("SINK-TOKEN"),
            "{key}"
        );
        if !key.contains("/token/") {
            assert!(!value.contains("tok1"), "{key}");
        }
    }
    // With the cache off the token is never stored.
    let w2 = world(&t);
    let mut tc = tenant();
    tc.cache_token = Some(false);
    sync_logs(w2.ports(), &tc, &options()).unwrap();
    assert!(w2.kv.keys().iter().all(|k| !k.contains("/token/")));
}

#[test]
fn storage_failure_is_a_clear_error() {
    let t = FakeTenant::new(10);
    let w = world(&t);
    w.kv.fail_gets.set(true);
    assert!(matches!(w.sync(&options()), Err(Error::Storage(_))));
    assert!(t.sink.borrow().is_empty());
}

#[test]
fn tokens_expiring_twice_in_one_run_are_refreshed_each_time() {
    let t = FakeTenant::new(600);
    let calls = std::cell::Cell::new(0u32);
    let w = World {
        http: FakeHttp::new(|r: &crate::ports::Request| {
            if r.path_and_query.starts_with("/api/v2/logs?from") {
                calls.set(calls.get() + 1);
                if calls.get() == 2 || calls.get() == 5 {
                    return Ok(response(401, r#"{"message":"Expired token"}"#));
                }
            }
            t.handle(r)
        }),
        kv: MemKv::default(),
        clock: FakeClock::new(BASE_MS + 3_600_000),
    };
    let r = w.sync(&options()).unwrap();
    assert_eq!(r.delivered, 600);
    assert_eq!(
        w.http.count("/oauth/token"),
        3,
        "one initial token, two refreshes"
    );
    assert_exact(&t);
}

#[test]
fn an_unreadable_token_cache_costs_a_token_request_not_the_run() {
    let t = FakeTenant::new(50);
    let w = world(&t);
    w.sync(&options()).unwrap();
    let key =
        w.kv.keys()
            .into_iter()
            .find(|k| k.contains("/token/"))
            .unwrap();
    w.kv.map.borrow_mut().insert(key, b"{garbage".to_vec());
    t.append(5);
    let r = w.sync(&options()).unwrap();
    assert_eq!(r.delivered, 5);
    assert_eq!(w.http.count("/oauth/token"), 2);
}

#[test]
fn a_newer_run_takes_over_and_the_older_stops_before_its_next_delivery() {
    use crate::keys;
    use crate::sync::lease::Lease;
    use std::cell::Cell;

    let t = FakeTenant::new(1000);
    let kv = MemKv::default();
    let clock = FakeClock::new(BASE_MS + 3_600_000);
    let posts = Cell::new(0);
    let http = FakeHttp::new(|r| {
        if r.path_and_query.starts_with("/sink") {
            posts.set(posts.get() + 1);
            if posts.get() == 2 {
                // A second scheduler starts while this batch is in flight.
                Lease::claim(
                    &kv,
                    &clock,
                    keys::lease("acme.auth0.com", "default"),
                    &keys::lease_tickets("acme.auth0.com", "default"),
                )
                .unwrap();
            }
        }
        t.handle(r)
    });
    let ports = Ports {
        http: &http,
        kv: &kv,
        clock: &clock,
    };
    let r = sync_logs(ports, &tenant(), &options()).unwrap();
    assert!(!r.caught_up, "a superseded run has not caught up");
    assert!(r.warnings.iter().any(|w| w.code == "superseded"), "{r:?}");
    // The batch in flight was acknowledged, so it is committed; no third POST.
    assert_eq!((r.delivered, posts.get()), (300, 2));
    assert_eq!(
        r.checkpoint.map(|c| c.log_id),
        t.all_ids().get(299).cloned()
    );
    // The next run (the newer scheduler's, in life) continues without a gap.
    let r2 = sync_logs(ports, &tenant(), &options()).unwrap();
    assert!(r2.caught_up && r2.warnings.is_empty(), "{r2:?}");
    assert_eq!(r2.delivered, 700);
    assert_exact(&t);
}
