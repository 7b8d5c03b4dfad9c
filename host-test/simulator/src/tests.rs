//! HTTP-level tests against a running simulator, through a minimal raw HTTP/1.1 client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{ClientGrant, FaultConfig, RateLimit, SimConfig, Simulator};

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The connection ended before Content-Length bytes arrived (or errored).
    short: bool,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }
}

async fn raw(sim: &Simulator, request: Vec<u8>) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", sim.port())).await.unwrap();
    s.write_all(&request).await.unwrap();
    let mut buf = Vec::new();
    let read_ok = s.read_to_end(&mut buf).await.is_ok();
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let body = buf[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut r = Resp {
        status,
        headers,
        body,
        short: !read_ok,
    };
    if let Some(len) = r
        .header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        r.short |= r.body.len() < len;
    }
    r
}

async fn get(sim: &Simulator, path: &str, token: &str) -> Resp {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    raw(sim, req.into_bytes()).await
}

async fn post(sim: &Simulator, path: &str, content_type: &str, body: &str) -> Resp {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw(sim, req.into_bytes()).await
}

async fn token(sim: &Simulator) -> String {
    let body = serde_json::json!({
        "grant_type": "client_credentials",
        "client_id": sim.client_id(),
        "client_secret": sim.client_secret(),
        "audience": sim.audience(),
    })
    .to_string();
    let r = post(sim, "/oauth/token", "application/json", &body).await;
    assert_eq!(r.status, 200);
    r.json()["access_token"].as_str().unwrap().to_string()
}

fn small(events: u64) -> SimConfig {
    SimConfig {
        events,
        ..SimConfig::with_seed(11)
    }
}

/// Follows `Link` from `from` until an empty page; returns all ids seen.
async fn drain(sim: &Simulator, tok: &str, from: &str, take: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = format!("/api/v2/logs?from={from}&take={take}");
    loop {
        let r = get(sim, &path, tok).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let page = r.json();
        let page = page.as_array().unwrap();
        let link = r.header("link").unwrap().to_string();
        let next = link
            .trim_start_matches('<')
            .split('>')
            .next()
            .unwrap()
            .trim_start_matches(&sim.base_url())
            .to_string();
        if page.is_empty() {
            assert_eq!(next, path, "empty page: next equals the request");
            return ids;
        }
        assert!(page.len() <= take as usize);
        ids.extend(
            page.iter()
                .map(|e| e["log_id"].as_str().unwrap().to_string()),
        );
        path = next;
    }
}

#[tokio::test]
async fn token_endpoint() {
    let sim = Simulator::start(small(10)).await.unwrap();
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&audience={}",
        sim.client_id(),
        sim.client_secret(),
        url::form_urlencoded::byte_serialize(sim.audience().as_bytes()).collect::<String>()
    );
    let r = post(
        &sim,
        "/oauth/token",
        "application/x-www-form-urlencoded",
        &form,
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 86_400);
    assert!(v["scope"].as_str().unwrap().contains("read:logs"));
    let bad = form.replace(sim.client_secret(), "nope");
    let r = post(
        &sim,
        "/oauth/token",
        "application/x-www-form-urlencoded",
        &bad,
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "access_denied");
    let body = format!(
        r#"{{"grant_type":"client_credentials","client_id":"{}","client_secret":"{}","audience":"https://other/api/v2/"}}"#,
        sim.client_id(),
        sim.client_secret()
    );
    let r = post(&sim, "/oauth/token", "application/json", &body).await;
    assert_eq!(r.status, 403);
    assert_eq!(sim.stats().tokens_issued, 1);
    // Unknown and missing tokens.
    let r = get(&sim, "/api/v2/logs?from=0", "sim_at_unknown").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "Invalid token");
    // expire_tokens: old token expired, a fresh one works.
    let tok = token(&sim).await;
    sim.expire_tokens();
    let r = get(&sim, "/api/v2/logs?from=0", &tok).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "Expired token");
    let tok = token(&sim).await;
    assert_eq!(get(&sim, "/api/v2/logs?from=0", &tok).await.status, 200);
}

#[tokio::test]
async fn checkpoint_paging_returns_the_whole_backlog_once() {
    let sim = Simulator::start(small(1234)).await.unwrap();
    let tok = token(&sim).await;
    let ids = drain(&sim, &tok, "0", 100).await;
    assert_eq!(ids, sim.log_ids());
    let mut dedup = ids.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), 1234);
    // Resume from the middle, then new events arrive.
    let more = drain(&sim, &tok, &ids[1000], 50).await;
    assert_eq!(more, ids[1001..].to_vec());
    sim.append_events(77);
    let tail = drain(&sim, &tok, &ids[1233], 100).await;
    assert_eq!(tail.len(), 77);
    assert_eq!(sim.log_count(), 1311);
    assert_eq!(tail, sim.log_ids()[1234..].to_vec());
    // Late arrivals exist and are in id order, not date order.
    assert!(!sim.late_arrivals().is_empty());
    let events = sim.events();
    let late = &sim.late_arrivals()[0];
    let pos = events.iter().position(|e| e["log_id"] == *late).unwrap();
    if pos > 0 {
        assert!(events[pos]["date"].as_str() < events[pos - 1]["date"].as_str());
    }
}

#[tokio::test]
async fn checkpoint_validation() {
    let sim = Simulator::start(small(100)).await.unwrap();
    let tok = token(&sim).await;
    for q in [
        "from=0&take=101",
        "from=0&take=0",
        "from=abc",
        "from=",
        "from=0&take=-1",
        "from=0&take=99999999999999999999999",
    ] {
        let r = get(&sim, &format!("/api/v2/logs?{q}"), &tok).await;
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(r.json()["errorCode"], "invalid_query_string");
    }
    // Default take is 50; other params are ignored in checkpoint mode.
    let r = get(
        &sim,
        "/api/v2/logs?from=0&q=type:zzz&page=99&per_page=100",
        &tok,
    )
    .await;
    assert_eq!(r.json().as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn search_mode() {
    let sim = Simulator::start(small(3000)).await.unwrap();
    let tok = token(&sim).await;
    let r = get(&sim, "/api/v2/logs?page=10&per_page=100", &tok).await;
    assert_eq!(r.status, 400);
    let r = get(&sim, "/api/v2/logs?page=9&per_page=100", &tok).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().unwrap().len(), 100);
    assert_eq!(
        get(&sim, "/api/v2/logs?per_page=101", &tok).await.status,
        400
    );
    assert_eq!(get(&sim, "/api/v2/logs?q=type%3A", &tok).await.status, 400);
    let org = sim.directory().token_usage[0].organization_id.clone();
    let q = format!("type:seccft AND organization_id:\"{org}\"");
    let path = format!(
        "/api/v2/logs?q={}&include_totals=true&sort=date:1&per_page=5",
        url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    let r = get(&sim, &path, &tok).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(v["total"].as_u64().unwrap() >= 1);
    assert_eq!(v["limit"], 5);
    let logs = v["logs"].as_array().unwrap();
    assert_eq!(v["length"].as_u64().unwrap() as usize, logs.len());
    for e in logs {
        assert_eq!(e["type"], "seccft");
        assert_eq!(e["organization_id"], org.as_str());
    }
    for w in logs.windows(2) {
        assert!(w[0]["date"].as_str() <= w[1]["date"].as_str());
    }
    // Oldest first with one result: the usual way to find a starting checkpoint.
    let r = get(
        &sim,
        "/api/v2/logs?sort=date:1&per_page=1&fields=log_id,date",
        &tok,
    )
    .await;
    let first = r.json();
    assert_eq!(first[0].as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn rate_limit_headers_and_429() {
    let sim = Simulator::start(SimConfig {
        rate_limit: Some(RateLimit {
            burst: 2,
            per_second: 0.5,
        }),
        ..small(10)
    })
    .await
    .unwrap();
    let tok = token(&sim).await;
    let a = get(&sim, "/api/v2/logs?from=0", &tok).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("x-ratelimit-limit"), Some("2"));
    assert_eq!(a.header("x-ratelimit-remaining"), Some("1"));
    let reset: i64 = a.header("x-ratelimit-reset").unwrap().parse().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(reset >= now && reset <= now + 3, "{reset} vs {now}");
    assert_eq!(get(&sim, "/api/v2/logs?from=0", &tok).await.status, 200);
    let c = get(&sim, "/api/v2/logs?from=0", &tok).await;
    assert_eq!(c.status, 429);
    assert_eq!(c.json()["errorCode"], "too_many_requests");
    assert_eq!(c.header("retry-after"), Some("2"));
    assert_eq!(c.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(sim.stats().rate_limited, 1);
}

#[tokio::test]
async fn faults() {
    let sim = Simulator::start(small(500)).await.unwrap();
    let tok = token(&sim).await;
    sim.fail_next("/api/v2/logs", 502, 1);
    assert_eq!(get(&sim, "/api/v2/logs?from=0", &tok).await.status, 502);
    assert_eq!(get(&sim, "/api/v2/logs?from=0", &tok).await.status, 200);
    sim.fail_next("/api/v2/logs", 429, 1);
    let r = get(&sim, "/api/v2/logs?from=0", &tok).await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    sim.fail_next("/oauth/token", 429, 1);
    let r = post(&sim, "/oauth/token", "application/json", "{}").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"], "too_many_requests");

    let ids = sim.log_ids();
    let from = format!("/api/v2/logs?from={}&take=10", ids[99]);
    let only = |f: FaultConfig| sim.set_faults(f);
    only(FaultConfig {
        rate_repeat_tail: 1.0,
        ..FaultConfig::default()
    });
    let page = get(&sim, &from, &tok).await.json();
    let page = page.as_array().unwrap();
    assert_eq!(page.len(), 10);
    assert!(page[0]["log_id"].as_str().unwrap() <= ids[99].as_str());
    assert!(page.last().unwrap()["log_id"].as_str().unwrap() > ids[99].as_str());

    only(FaultConfig {
        rate_truncated_json: 1.0,
        ..FaultConfig::default()
    });
    let r = get(&sim, &from, &tok).await;
    assert_eq!(r.status, 200);
    assert!(!r.short);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());

    only(FaultConfig {
        rate_invalid_json: 1.0,
        ..FaultConfig::default()
    });
    let r = get(&sim, &from, &tok).await;
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());

    only(FaultConfig {
        rate_reset_mid_body: 1.0,
        ..FaultConfig::default()
    });
    let r = get(&sim, &from, &tok).await;
    assert_eq!(r.status, 200);
    assert!(r.short, "connection must end before Content-Length");

    only(FaultConfig {
        rate_expire_token: 1.0,
        ..FaultConfig::default()
    });
    let r = get(&sim, &from, &tok).await;
    assert_eq!(
        (r.status, r.json()["message"].as_str()),
        (401, Some("Expired token"))
    );
    only(FaultConfig::default());
    assert_eq!(get(&sim, &from, &tok).await.status, 401, "stays expired");
    let tok = token(&sim).await;
    assert_eq!(get(&sim, &from, &tok).await.status, 200);

    only(FaultConfig {
        rate_slow: 1.0,
        slow_ms: 200,
        ..FaultConfig::default()
    });
    let t = std::time::Instant::now();
    assert_eq!(get(&sim, &from, &tok).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));
    let stats = sim.stats();
    for f in [
        "fail_next",
        "repeat_tail",
        "truncated_json",
        "invalid_json",
        "reset_mid_body",
        "expire_token",
        "slow",
    ] {
        assert!(stats.faults.contains_key(f), "{f}: {stats:?}");
    }
}

#[tokio::test]
async fn directory_endpoints() {
    let sim = Simulator::start(small(10)).await.unwrap();
    let tok = token(&sim).await;
    let dir = sim.directory();
    let big = dir.scenario.big_org.clone().unwrap();
    let base = format!("/api/v2/organizations/{big}/client-grants");
    let p0 = get(
        &sim,
        &format!("{base}?per_page=100&include_totals=true"),
        &tok,
    )
    .await
    .json();
    assert_eq!(p0["total"], 130);
    assert_eq!(p0["client_grants"].as_array().unwrap().len(), 100);
    let p1 = get(&sim, &format!("{base}?per_page=100&page=1"), &tok)
        .await
        .json();
    assert_eq!(p1.as_array().unwrap().len(), 30);
    assert_eq!(
        get(&sim, &format!("{base}?per_page=100&page=10"), &tok)
            .await
            .json()["errorCode"],
        "invalid_paging"
    );
    let r = get(&sim, "/api/v2/organizations/org_nope", &tok).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["message"],
        "No organization found by that id or name"
    );
    let orgs = get(&sim, "/api/v2/organizations?take=5", &tok).await.json();
    assert_eq!(orgs["organizations"].as_array().unwrap().len(), 5);
    let next = orgs["next"].as_str().unwrap();
    let rest = get(
        &sim,
        &format!("/api/v2/organizations?take=50&from={next}"),
        &tok,
    )
    .await
    .json();
    assert_eq!(rest["organizations"].as_array().unwrap().len(), 7);
    assert!(rest.get("next").is_none());

    let any = get(
        &sim,
        "/api/v2/client-grants?allow_any_organization=true",
        &tok,
    )
    .await
    .json();
    assert_eq!(any.as_array().unwrap().len(), 3);
    let all = get(&sim, "/api/v2/client-grants?take=100", &tok)
        .await
        .json();
    assert!(all["next"].is_string());
    // Clients search is eventually consistent for the recent association.
    let recent = dir.scenario.recent_association.clone().unwrap();
    let client_id = dir.grant(&recent.grant_id).unwrap().client_id.clone();
    let found = |v: &Value| {
        v["clients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["client_id"] == client_id.as_str())
    };
    let q = format!(
        "/api/v2/clients?q=client_grant.organization_id:{}&take=100",
        recent.org_id
    );
    let v = get(&sim, &q, &tok).await.json();
    let direct = dir.org_grants[&recent.org_id]
        .iter()
        .filter(|g| dir.grant(g).unwrap().client_id == client_id)
        .count();
    if direct == 1 {
        assert!(!found(&v), "recent association must not be visible yet");
    }
    assert_eq!(get(&sim, &format!("{q}&page=0"), &tok).await.status, 400);
    let r = get(
        &sim,
        "/api/v2/clients?q=client_grant.allow_any_organization:true",
        &tok,
    )
    .await;
    assert_eq!(r.json()["clients"].as_array().unwrap().len(), 3);
    let c = get(
        &sim,
        &format!("/api/v2/clients/{client_id}?fields=name,app_type"),
        &tok,
    )
    .await
    .json();
    assert_eq!(c.as_object().unwrap().len(), 2);
    // add_grant: visible in client-grants immediately, in the q search after the lag.
    let g = ClientGrant {
        id: "cgr_addedbytest0001".into(),
        client_id: dir.clients[0].client_id.clone(),
        audience: "https://api.example.com/new".into(),
        scope: vec!["read:new".into()],
        organization_usage: "allow".into(),
        allow_any_organization: true,
        is_system: false,
        subject_type: "client".into(),
    };
    sim.add_grant(g);
    let any = get(
        &sim,
        "/api/v2/client-grants?allow_any_organization=true",
        &tok,
    )
    .await
    .json();
    assert_eq!(any.as_array().unwrap().len(), 4);
    let r = get(
        &sim,
        "/api/v2/clients?q=client_grant.allow_any_organization:true",
        &tok,
    )
    .await;
    assert_eq!(r.json()["clients"].as_array().unwrap().len(), 3);
    sim.remove_grant("cgr_addedbytest0001");
    assert_eq!(sim.directory().client_grants.len(), dir.client_grants.len());
}

#[tokio::test]
async fn scopes_and_robustness() {
    let sim = Simulator::start(SimConfig {
        scopes: vec!["read:logs".into()],
        ..small(10)
    })
    .await
    .unwrap();
    let tok = token(&sim).await;
    let r = get(&sim, "/api/v2/clients", &tok).await;
    assert_eq!(r.status, 403);
    let v = r.json();
    assert_eq!(v["errorCode"], "insufficient_scope");
    assert!(v["message"].as_str().unwrap().contains("read:clients"));
    let r = get(&sim, "/nope", &tok).await;
    assert_eq!(r.status, 404);
    r.json();
    for path in [
        "/api/v2/logs?from=%FF%FE&take=%00",
        "/api/v2/logs?q=%22&sort=x",
        "/api/v2/logs?page=18446744073709551615&per_page=100",
        "/api/v2/logs?q=date:[*%20TO%20*]&per_page=1",
        "/api/v2/organizations?from=zz",
        "/api/v2/organizations/x/y/z",
        "/api/v2/",
    ] {
        let r = get(&sim, path, &tok).await;
        assert!(r.status < 500, "{path}: {}", r.status);
        r.json();
    }
    let r = raw(&sim, b"GARBAGE\r\n\r\n".to_vec()).await;
    assert!(r.status >= 400);
    assert_eq!(get(&sim, "/api/v2/logs?from=0", &tok).await.status, 200);
}

#[tokio::test]
async fn retention_and_live_events() {
    let sim = Simulator::start(SimConfig {
        retention: Some(chrono::Duration::hours(6)),
        live_events_per_sec: 50.0,
        ..small(1200)
    })
    .await
    .unwrap();
    let retained = sim.log_count();
    assert!((590..=610).contains(&retained), "{retained}");
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(sim.log_count() > retained);
    let tok = token(&sim).await;
    let ids = drain(&sim, &tok, "0", 100).await;
    assert!(ids.len() as u64 >= retained);
    assert_eq!(ids[0], sim.log_ids()[0]);
    sim.shutdown().await;
}

/// Benchmark-sized tenant: start, a few checkpoint pages and one full search stay fast.
#[tokio::test]
#[ignore = "slow in debug builds; run with --release --ignored"]
async fn million_events() {
    let t = std::time::Instant::now();
    let sim = Simulator::start(small(1_000_000)).await.unwrap();
    let started = t.elapsed();
    let tok = token(&sim).await;
    let t = std::time::Instant::now();
    let mut path = "/api/v2/logs?from=0&take=100".to_string();
    let mut bytes = 0;
    for _ in 0..100 {
        let r = get(&sim, &path, &tok).await;
        bytes += r.body.len();
        let link = r.header("link").unwrap().to_string();
        path = link[1..link.find('>').unwrap()]
            .trim_start_matches(&sim.base_url())
            .to_string();
    }
    let paging = t.elapsed();
    let t = std::time::Instant::now();
    let r = get(
        &sim,
        "/api/v2/logs?q=type:seccft&include_totals=true&per_page=1",
        &tok,
    )
    .await;
    let search = t.elapsed();
    eprintln!(
        "start {started:?}; 100 pages ({bytes} B) {paging:?}; search over 1M {search:?} total={}",
        r.json()["total"]
    );
    assert_eq!(sim.log_count(), 1_000_000);
}
