//! A batch write that fails half-way (full disk, file size limit) is cut back,
//! so the component's retry starts on a line boundary. Its own test binary: the
//! file size limit it sets applies to the whole process.

use auth0_audit_host::collector::{self, CollectorTarget};
use rustix::process::{Resource, Signal, getrlimit, setrlimit};

mod support;
use support::send;

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_write_leaves_no_partial_batch() -> anyhow::Result<()> {
    // Past the limit the kernel sends SIGXFSZ (default: kill the process) and
    // the write fails with EFBIG; handling the signal keeps the failure an error.
    let _xfsz = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(
        Signal::XFSZ.as_raw(),
    ))?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sink.ndjson");
    let first = "{\"n\":1}\n".repeat(1000);
    std::fs::write(&path, &first)?;
    let sink = collector::start(CollectorTarget::File(path.clone())).await?;

    let original = getrlimit(Resource::Fsize);
    let limit = first.len() as u64 + 5_000;
    setrlimit(
        Resource::Fsize,
        rustix::process::Rlimit {
            current: Some(limit),
            maximum: original.maximum,
        },
    )?;
    // 8 KB: the first 5,000 bytes fit, the rest fails.
    let batch = "{\"n\":2}\n".repeat(1000);
    let refused = send(sink.addr(), "POST", batch.as_bytes()).await;
    setrlimit(Resource::Fsize, original)?;
    let refused = refused?;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert_eq!(
        std::fs::read_to_string(&path)?,
        first,
        "the partial batch was cut"
    );
    assert_eq!(sink.requests(), 0);

    // The retry lands on a line boundary.
    let accepted = send(sink.addr(), "POST", batch.as_bytes()).await?;
    assert!(accepted.starts_with("HTTP/1.1 200"), "{accepted}");
    assert_eq!(std::fs::read_to_string(&path)?, format!("{first}{batch}"));
    sink.shutdown().await;
    Ok(())
}
