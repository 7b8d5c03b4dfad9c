//! The runtime against a small probe guest (`testdata/probe-guest`): state
//! across calls and processes, allow-list, limits, precompile cache; and once
//! against the embedded component.

use auth0_audit_host::collector::{self, CollectorTarget};
use auth0_audit_host::runtime::{
    ComponentSource, Credentials, JobError, KvBackend, MemoryKv, Runtime, RuntimeOptions,
    SinkConfig, SinkFormat, SqliteKv, StartAt, SyncOptions, TenantConfig,
};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Builds the probe guest once per test binary and returns its bytes.
fn probe_wasm() -> anyhow::Result<&'static [u8]> {
    static WASM: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    let built = WASM.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/probe-guest");
        // Build output goes to the workspace's target dir, never into testdata.
        let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/probe-guest");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .current_dir(&dir)
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--target-dir",
            ])
            .arg(&target)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .output()
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        std::fs::read(target.join("wasm32-wasip2/release/probe_guest.wasm"))
            .map_err(|e| e.to_string())
    });
    built
        .as_deref()
        .map_err(|e| anyhow::anyhow!("building the probe guest failed:\n{e}"))
}

fn tenant(domain: &str) -> TenantConfig {
    TenantConfig {
        domain: domain.into(),
        credentials: Credentials::AccessToken("test-token".into()),
        audience: None,
        bucket: String::new(),
        cache_token: None,
    }
}

fn options(sink_url: &str) -> SyncOptions {
    SyncOptions {
        stream: None,
        start: StartAt::Oldest,
        sink: SinkConfig {
            url: sink_url.into(),
            format: SinkFormat::Ndjson,
            headers: Vec::new(),
            max_batch_bytes: None,
            max_batch_events: None,
        },
        include_types: Vec::new(),
        exclude_types: Vec::new(),
        max_duration_ms: None,
        retention_days: None,
        gap_warning_seconds: None,
        max_attempts: None,
        request_timeout_ms: None,
    }
}

fn runtime_options(state: Arc<dyn KvBackend>, cache: &tempfile::TempDir) -> RuntimeOptions {
    RuntimeOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..RuntimeOptions::new(state)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn state_persists_across_runtimes_and_sink_receives_posts() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out.ndjson");
    let sink = collector::start(CollectorTarget::File(out.clone())).await?;
    let state: Arc<dyn KvBackend> = Arc::new(MemoryKv::new());
    for run in 1..=2u64 {
        let mut opts = runtime_options(state.clone(), &dir);
        opts.allowed_origins = vec![sink.url()];
        let runtime = Runtime::with_component(probe_wasm()?, opts).await?;
        let (report, stats) = runtime
            .sync_logs(&tenant("probe"), &options(&sink.url()))
            .await?;
        let report = report.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        assert_eq!(report.fetched, run, "counter survives a new Runtime");
        assert!(stats.peak_memory_bytes > 0);
        assert!(stats.peak_memory_bytes < 64 << 20);
    }
    assert_eq!(sink.requests(), 2);
    assert_eq!(std::fs::read_to_string(&out)?, "{\"run\":1}\n{\"run\":2}\n");
    let runtime = Runtime::with_component(probe_wasm()?, runtime_options(state, &dir)).await?;
    let status = runtime
        .sync_status(&tenant("probe"), Some("s"), None)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(status.stream, "s");
    assert_eq!(status.checkpoint.map(|c| c.log_id), Some("2".into()));
    let json = serde_json::to_value(&report_for_json(&runtime).await?)?;
    assert_eq!(json["stream"], "default");
    Ok(())
}

async fn report_for_json(
    runtime: &Runtime,
) -> anyhow::Result<auth0_audit_host::runtime::StatusReport> {
    runtime
        .sync_status(&tenant("probe"), None, Some(1))
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_state_survives_reopening_the_file() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("state.db");
    let sink = collector::start(CollectorTarget::File(dir.path().join("out"))).await?;
    for run in 1..=2u64 {
        let state: Arc<dyn KvBackend> = Arc::new(SqliteKv::open(&db)?);
        let mut opts = runtime_options(state, &dir);
        opts.allowed_origins = vec![sink.url()];
        let runtime = Runtime::with_component(probe_wasm()?, opts).await?;
        let (report, _) = runtime
            .sync_logs(&tenant("probe"), &options(&sink.url()))
            .await?;
        assert_eq!(report.map_err(|e| anyhow::anyhow!("{e:?}"))?.fetched, run);
    }
    let reopened = SqliteKv::open(&db)?;
    assert_eq!(reopened.get("", "probe/last")?, Some(b"2".to_vec()));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn origins_outside_the_allow_list_are_refused() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sink = collector::start(CollectorTarget::File(dir.path().join("out"))).await?;
    let mut opts = runtime_options(Arc::new(MemoryKv::new()), &dir);
    opts.allowed_origins = vec!["https://acme.auth0.com".into()];
    let runtime = Runtime::with_component(probe_wasm()?, opts).await?;
    let (report, _) = runtime
        .sync_logs(&tenant("probe"), &options(&sink.url()))
        .await?;
    match report {
        Err(JobError::Transport(message)) => {
            assert!(message.contains("HttpRequestDenied"), "{message}")
        }
        other => anyhow::bail!("expected a refused request, got {other:?}"),
    }
    assert_eq!(sink.requests(), 0);
    Ok(())
}

async fn limited_runtime(
    dir: &tempfile::TempDir,
    wall_clock: Duration,
    memory: usize,
) -> anyhow::Result<Runtime> {
    let mut opts = runtime_options(Arc::new(MemoryKv::new()), dir);
    opts.wall_clock_limit = Some(wall_clock);
    opts.memory_limit_bytes = memory;
    Runtime::with_component(probe_wasm()?, opts).await
}

#[tokio::test(flavor = "multi_thread")]
async fn wall_clock_limit_stops_busy_and_sleeping_guests() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let runtime = limited_runtime(&dir, Duration::from_millis(300), 64 << 20).await?;
    for domain in ["loop", "sleep"] {
        let started = std::time::Instant::now();
        let err = match runtime
            .sync_logs(&tenant(domain), &options("http://127.0.0.1:9/"))
            .await
        {
            Err(err) => err,
            Ok(other) => anyhow::bail!("{domain}: expected the limit, got {other:?}"),
        };
        assert_eq!(
            err.to_string(),
            "wall-clock limit of 0.3 s exceeded",
            "{domain}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{domain} stopped promptly"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_cap_is_reported() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let runtime = limited_runtime(&dir, Duration::from_secs(20), 16 << 20).await?;
    let err = match runtime
        .sync_logs(&tenant("oom"), &options("http://127.0.0.1:9/"))
        .await
    {
        Err(err) => err,
        Ok(other) => anyhow::bail!("expected the memory cap, got {other:?}"),
    };
    assert!(
        err.to_string().contains("memory limit of 16 MiB exceeded"),
        "{err:#}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn second_load_uses_the_precompiled_cache() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let first = Runtime::with_component(
        probe_wasm()?,
        runtime_options(Arc::new(MemoryKv::new()), &dir),
    )
    .await?;
    let ComponentSource::CompiledAndCached(path) = first.component_source().clone() else {
        anyhow::bail!(
            "first load should compile and cache: {:?}",
            first.component_source()
        );
    };
    assert!(path.is_file());
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("cwasm"));
    let second = Runtime::with_component(
        probe_wasm()?,
        runtime_options(Arc::new(MemoryKv::new()), &dir),
    )
    .await?;
    assert_eq!(
        second.component_source(),
        &ComponentSource::Cache(path.clone())
    );
    // A corrupt artifact is ignored and replaced. (Replace it by rename, as the
    // runtime does: the loaded components still map the old file.)
    let corrupt = path.with_extension("corrupt");
    std::fs::write(&corrupt, b"not a cwasm")?;
    std::fs::rename(&corrupt, &path)?;
    let third = Runtime::with_component(
        probe_wasm()?,
        runtime_options(Arc::new(MemoryKv::new()), &dir),
    )
    .await?;
    assert_eq!(
        third.component_source(),
        &ComponentSource::CompiledAndCached(path)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn unwritable_cache_falls_back_to_memory() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"")?;
    let opts = RuntimeOptions {
        cache_dir: Some(blocker.join("cache")),
        ..RuntimeOptions::default()
    };
    let runtime = Runtime::with_component(probe_wasm()?, opts).await?;
    assert_eq!(runtime.component_source(), &ComponentSource::Compiled);
    let status = runtime.sync_status(&tenant("probe"), None, None).await?;
    assert!(status.is_ok());
    Ok(())
}

/// The component embedded at build time links and answers `sync-status`.
#[tokio::test(flavor = "multi_thread")]
async fn embedded_component_answers_sync_status() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let runtime = Runtime::new(runtime_options(Arc::new(MemoryKv::new()), &dir)).await?;
    let status = runtime
        .sync_status(&tenant("acme.auth0.com"), None, None)
        .await?;
    eprintln!("embedded sync-status: {status:?}");
    assert!(status.is_ok(), "a fresh stream has a status: {status:?}");
    Ok(())
}

/// The CLI shares one `Runtime` between tasks: it and its futures must be `Send`.
#[test]
fn runtime_and_calls_are_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: T) {}
    send_sync::<Runtime>();
    let _never_called = |r: &'static Runtime, t: &'static TenantConfig, o: &'static SyncOptions| {
        send(r.sync_logs(t, o));
        send(r.sync_status(t, None, None));
    };
}
