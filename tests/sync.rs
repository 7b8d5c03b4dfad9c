//! sync-logs end to end: the real .wasm, in the real host, against the
//! simulated tenant and a loopback sink.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth0_audit_e2e::{TestSink, assert_exactly_once, memory, options, runtime, tenant};
use auth0_audit_host::runtime::{JobError, SqliteKv, StartAt, SyncOptions, TenantConfig};
use auth0_audit_simulator::{FaultConfig, SimConfig, Simulator};
use std::sync::Arc;

async fn sim(events: u64) -> Simulator {
    Simulator::start(SimConfig {
        events,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn full_backlog_then_incremental_exactly_once() {
    let sim = sim(3_000).await;
    let sink = TestSink::start().await;
    let rt = runtime(&sim, &sink, memory()).await;
    let (report, stats) = rt
        .sync_logs(&tenant(&sim), &options(&sink.url()))
        .await
        .unwrap();
    let report = report.unwrap();
    assert!(report.caught_up);
    assert_eq!(report.delivered, 3_000);
    assert_exactly_once(&sim, &sink);
    assert_eq!(
        report.checkpoint.unwrap().log_id,
        *sim.log_ids().last().unwrap()
    );
    assert!(stats.peak_memory_bytes > 0);

    sim.append_events(321);
    let (report, _) = rt
        .sync_logs(&tenant(&sim), &options(&sink.url()))
        .await
        .unwrap();
    let report = report.unwrap();
    assert_eq!(report.delivered, 321, "only the new events");
    assert_exactly_once(&sim, &sink);
}

/// A batch larger than what the host takes per stream write (wasmtime: 1 MiB)
/// goes out in several writes; each must arrive once, with no retry.
#[tokio::test(flavor = "multi_thread")]
async fn sink_batches_larger_than_one_host_write_are_delivered_once() {
    let sim = Simulator::start(SimConfig {
        events: 2_000,
        event_size: auth0_audit_simulator::EventSize::FOUR_KB,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let sink = TestSink::start().await;
    let rt = runtime(&sim, &sink, memory()).await;
    let mut opts = options(&sink.url());
    opts.sink.max_batch_events = Some(1_000);
    opts.sink.max_batch_bytes = Some(16 * 1024 * 1024);
    let (report, _) = rt.sync_logs(&tenant(&sim), &opts).await.unwrap();
    let report = report.unwrap();
    assert_eq!(report.delivered, 2_000);
    assert_eq!(report.sink_requests, 2, "{report:?}");
    assert_eq!(report.retries, 0, "{report:?}");
    assert_exactly_once(&sim, &sink);
}

#[tokio::test(flavor = "multi_thread")]
async fn sink_failing_then_recovering_loses_nothing() {
    let sim = sim(1_500).await;
    let sink = TestSink::start().await;
    let rt = runtime(&sim, &sink, memory()).await;
    sink.fail_next(3, 503);
    let (report, _) = rt
        .sync_logs(&tenant(&sim), &options(&sink.url()))
        .await
        .unwrap();
    let report = report.unwrap();
    assert!(report.retries >= 3, "{report:?}");
    assert_exactly_once(&sim, &sink);

    // A sink down for longer than the retry budget: sink error, checkpoint unchanged.
    sim.append_events(200);
    sink.fail_next(100, 500);
    let mut opts = options(&sink.url());
    opts.max_attempts = Some(2);
    let (result, _) = rt.sync_logs(&tenant(&sim), &opts).await.unwrap();
    assert!(matches!(result, Err(JobError::Sink(_))), "{result:?}");
    let status = rt
        .sync_status(&tenant(&sim), None, Some(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        status.checkpoint.unwrap().log_id,
        report.checkpoint.unwrap().log_id
    );
    assert_eq!(status.health.consecutive_failures, 1);

    sink.fail_next(0, 500);
    let (report, _) = rt
        .sync_logs(&tenant(&sim), &options(&sink.url()))
        .await
        .unwrap();
    assert_eq!(report.unwrap().delivered, 200);
    assert_exactly_once(&sim, &sink);
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_and_502_storms_lose_nothing() {
    let sim = sim(2_000).await;
    sim.set_faults(FaultConfig {
        rate_429: 0.15,
        rate_429_no_retry_after: 0.05,
        rate_502: 0.15,
        rate_500: 0.05,
        ..FaultConfig::default()
    });
    let sink = TestSink::start().await;
    let rt = runtime(&sim, &sink, memory()).await;
    let mut opts = options(&sink.url());
    opts.max_attempts = Some(10);
    let (report, _) = rt.sync_logs(&tenant(&sim), &opts).await.unwrap();
    let report = report.unwrap();
    assert!(
        report.rate_limit_waits > 0 && report.retries > 0,
        "{report:?}"
    );
    assert_exactly_once(&sim, &sink);
}

#[tokio::test(flavor = "multi_thread")]
async fn token_expiry_mid_run_is_refreshed() {
    let sim = sim(1_200).await;
    let sink = TestSink::start().await;
    let rt = runtime(&sim, &sink, memory()).await;
    rt.sync_logs(&tenant(&sim), &options(&sink.url()))
        .await
        .unwrap()
        .0
        .unwrap();
    // The cached token dies; the next run gets a 401, drops it, and fetches a new one.
    sim.expire_tokens();
    sim.append_events(100);
    let before = sim.stats();
    let (report, _) = rt
        .sync_logs(&tenant(&sim), &options(&sink.url()))
        .await
        .unwrap();
    assert_eq!(report.unwrap().delivered, 100);
    assert_eq!(sim.stats().tokens_issued, before.tokens_issued + 1);
    assert_exactly_once(&sim, &sink);
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_resumes_from_the_stored_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let sim = sim(1_000).await;
    let sink = TestSink::start().await;
    {
        let state = Arc::new(SqliteKv::open(&path).unwrap());
        let rt = runtime(&sim, &sink, state).await;
        rt.sync_logs(&tenant(&sim), &options(&sink.url()))
            .await
            .unwrap()
            .0
            .unwrap();
    }
    sim.append_events(77);
    let state = Arc::new(SqliteKv::open(&path).unwrap());
    let rt = runtime(&sim, &sink, state).await;
    let (report, _) = rt
        .sync_logs(&tenant(&sim), &options(&sink.url()))
        .await
        .unwrap();
    let report = report.unwrap();
    assert_eq!(report.delivered, 77);
    assert_eq!(
        sim.stats().tokens_issued,
        1,
        "the token was cached in the state file"
    );
    assert_exactly_once(&sim, &sink);
}

#[tokio::test(flavor = "multi_thread")]
async fn start_now_skips_the_backlog() {
    let sim = sim(800).await;
    let sink = TestSink::start().await;
    let rt = runtime(&sim, &sink, memory()).await;
    let mut opts = options(&sink.url());
    opts.start = StartAt::Now;
    let (report, _) = rt.sync_logs(&tenant(&sim), &opts).await.unwrap();
    assert_eq!(report.unwrap().delivered, 0);
    let before: Vec<String> = sim.log_ids();
    sim.append_events(40);
    let (report, _) = rt.sync_logs(&tenant(&sim), &opts).await.unwrap();
    assert_eq!(report.unwrap().delivered, 40);
    let new: Vec<String> = sim
        .log_ids()
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    assert_eq!(sink.log_ids(), new);
}

/// Breaks one input of an otherwise valid call.
type Mutation = dyn Fn(&mut TenantConfig, &mut SyncOptions);

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_before_anything_is_sent() {
    let sim = sim(10).await;
    let sink = TestSink::start().await;
    let rt = runtime(&sim, &sink, memory()).await;
    let cases: Vec<(&str, Box<Mutation>)> = vec![
        (
            "tenant.domain",
            Box::new(|t, _| t.domain = "acme.auth0.com/path".into()),
        ),
        (
            "tenant.domain",
            Box::new(|t, _| t.domain = "http://10.0.0.1:80".into()),
        ),
        (
            "tenant.domain",
            Box::new(|t, _| t.domain = "user@acme.auth0.com".into()),
        ),
        (
            "sink.url",
            Box::new(|_, o| o.sink.url = "http://siem.example.com/in".into()),
        ),
        ("sink.url", Box::new(|_, o| o.sink.url = "not a url".into())),
        (
            "start",
            Box::new(|_, o| o.start = StartAt::Timestamp("last tuesday".into())),
        ),
        (
            "tenant.credentials.client-secret",
            Box::new(|t, _| {
                if let auth0_audit_host::runtime::Credentials::ClientCredentials(c) =
                    &mut t.credentials
                {
                    c.client_secret = "   ".into();
                }
            }),
        ),
    ];
    for (field, mutate) in cases {
        let mut t = tenant(&sim);
        let mut o = options(&sink.url());
        mutate(&mut t, &mut o);
        let (result, _) = rt.sync_logs(&t, &o).await.unwrap();
        match result {
            Err(JobError::Config(c)) => assert_eq!(c.field, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(sim.stats().requests_total, 0, "nothing reached the tenant");
    assert_eq!(sink.requests.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_host_refuses_origins_outside_the_allow_list() {
    let sim = sim(50).await;
    let sink = TestSink::start().await;
    let other = TestSink::start().await; // reachable, but not allowed
    let rt = runtime(&sim, &sink, memory()).await;
    let (result, _) = rt
        .sync_logs(&tenant(&sim), &options(&other.url()))
        .await
        .unwrap();
    assert!(matches!(result, Err(JobError::Sink(_))), "{result:?}");
    assert_eq!(other.requests.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_expiring_during_a_run_and_broken_bodies_lose_nothing() {
    let sim = sim(2_500).await;
    sim.set_faults(FaultConfig {
        rate_expire_token: 0.03,
        rate_reset_mid_body: 0.03,
        rate_truncated_json: 0.03,
        rate_invalid_json: 0.03,
        rate_repeat_tail: 0.05,
        ..FaultConfig::default()
    });
    let sink = TestSink::start().await;
    let rt = runtime(&sim, &sink, memory()).await;
    let mut opts = options(&sink.url());
    opts.max_attempts = Some(10);
    // A run may still end with an error when two expiries hit one request; the
    // next run continues from the checkpoint. Loss is what must never happen.
    let mut runs = 0;
    loop {
        runs += 1;
        let (result, _) = rt.sync_logs(&tenant(&sim), &opts).await.unwrap();
        match result {
            Ok(report) if report.caught_up => break,
            Ok(_) => {}
            Err(JobError::Auth(_)) if runs < 10 => {}
            Err(e) => panic!("run {runs}: {e:?}"),
        }
    }
    let stats = sim.stats();
    assert!(
        stats.tokens_issued > 1,
        "tokens expired mid-run and were replaced"
    );
    assert!(stats.faults.values().sum::<u64>() > 0);
    assert_exactly_once(&sim, &sink);
}

/// What a crash inside an `elastic-bulk` file write leaves (an action whose
/// document is torn) is cut on restart, so the file stays action/document
/// pairs and the re-sent batch completes it: each event once, after its action.
#[tokio::test(flavor = "multi_thread")]
async fn a_torn_elastic_bulk_file_is_repaired_and_completed() {
    use auth0_audit_host::collector::{self, CollectorTarget};
    use auth0_audit_host::runtime::{RuntimeOptions, SinkFormat};

    let sim = sim(1_000).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.bulk");
    let state = memory();
    // One run: a fresh collector on the file (which repairs it) and a runtime
    // allowed to reach it, like `auth0-audit sync --sink file:...`.
    let run = async |state: Arc<dyn auth0_audit_host::runtime::KvBackend>| {
        let sink = collector::start(CollectorTarget::File(path.clone()))
            .await
            .unwrap();
        let mut o = RuntimeOptions::new(state);
        o.allowed_origins = vec![sim.base_url(), sink.url().trim_end_matches('/').into()];
        let rt = auth0_audit_host::runtime::Runtime::new(o).await.unwrap();
        let mut opts = options(&sink.url());
        opts.sink.format = SinkFormat::ElasticBulk;
        opts.sink.max_batch_events = Some(100);
        let (report, _) = rt.sync_logs(&tenant(&sim), &opts).await.unwrap();
        sink.shutdown().await;
        report.unwrap().delivered
    };
    assert_eq!(run(state.clone()).await, 1_000);

    // New events arrive; the next run is killed after writing the first action
    // of its batch and part of the document (never acknowledged).
    sim.append_events(250);
    let next = sim.log_ids()[1_000].clone();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(
        &mut file,
        format!("{{\"create\":{{\"_id\":\"{next}\"}}}}\n{{\"log_id\":\"{next}\",\"da").as_bytes(),
    )
    .unwrap();
    drop(file);

    assert_eq!(run(state).await, 250);

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() % 2, 0, "an action without its document");
    let mut ids = Vec::new();
    for pair in lines.chunks(2) {
        let action: serde_json::Value = serde_json::from_str(pair[0]).unwrap();
        let doc: serde_json::Value = serde_json::from_str(pair[1])
            .unwrap_or_else(|e| panic!("document line is not JSON ({e}): {}", pair[1]));
        let id = action["create"]["_id"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an action line, got {}", pair[0]));
        assert_eq!(
            doc["log_id"].as_str(),
            Some(id),
            "{} / {}",
            pair[0],
            pair[1]
        );
        ids.push(id.to_string());
    }
    assert_eq!(ids, sim.log_ids(), "every event once, in order");
}
