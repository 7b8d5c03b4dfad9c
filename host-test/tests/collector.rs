//! The loopback collector: appends bodies in order, durably, before the 200.

use auth0_audit_host::collector::{self, CollectorTarget};

mod support;
use support::send;

#[tokio::test(flavor = "multi_thread")]
async fn appends_in_order_and_writes_before_acknowledging() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sink.ndjson");
    std::fs::write(&path, "existing\n")?;
    let sink = collector::start(CollectorTarget::File(path.clone())).await?;
    assert!(sink.url().starts_with("http://127.0.0.1:"));
    assert!(sink.url().ends_with('/'));
    let mut expected = String::from("existing\n");
    for i in 0..5 {
        let body = format!("{{\"n\":{i}}}\n{{\"n\":{i}.5}}\n");
        let response = send(sink.addr(), "POST", body.as_bytes()).await?;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with(r#"{"errors":false}"#), "{response}");
        expected.push_str(&body);
        // On the 200 the batch is already in the file.
        assert_eq!(std::fs::read_to_string(&path)?, expected);
    }
    assert_eq!(sink.requests(), 5);
    assert_eq!(sink.bytes(), (expected.len() - "existing\n".len()) as u64);
    sink.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn rejects_other_methods() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sink");
    let sink = collector::start(CollectorTarget::File(path.clone())).await?;
    let response = send(sink.addr(), "GET", b"").await?;
    assert!(response.starts_with("HTTP/1.1 405"), "{response}");
    let response = send(sink.addr(), "PUT", b"x").await?;
    assert!(response.starts_with("HTTP/1.1 405"), "{response}");
    assert_eq!(sink.requests(), 0);
    assert_eq!(std::fs::read(&path)?, b"");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partial_last_line_is_cut_before_appending() -> anyhow::Result<()> {
    // What a SIGKILL in the middle of a batch write leaves: two complete lines
    // of that unacknowledged batch and the start of a third.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sink.ndjson");
    std::fs::write(&path, "{\"n\":1}\n{\"n\":2}\n{\"n\":3,\"descr")?;
    let sink = collector::start(CollectorTarget::File(path.clone())).await?;
    assert_eq!(std::fs::read_to_string(&path)?, "{\"n\":1}\n{\"n\":2}\n");
    // The component re-sends the batch; it lands on a line boundary.
    let body = "{\"n\":3,\"description\":\"x\"}\n";
    let response = send(sink.addr(), "POST", body.as_bytes()).await?;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let text = std::fs::read_to_string(&path)?;
    assert_eq!(text, format!("{{\"n\":1}}\n{{\"n\":2}}\n{body}"));
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line)?;
    }
    sink.shutdown().await;
    Ok(())
}

#[test]
fn repair_torn_tail_cuts_only_after_the_last_newline() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sink");
    // Missing and empty files are left alone.
    assert_eq!(collector::repair_torn_tail(&path)?, 0);
    assert!(!path.exists());
    std::fs::write(&path, "")?;
    assert_eq!(collector::repair_torn_tail(&path)?, 0);
    // A file that ends with a newline is complete.
    std::fs::write(&path, "a\nb\n")?;
    assert_eq!(collector::repair_torn_tail(&path)?, 0);
    assert_eq!(std::fs::read(&path)?, b"a\nb\n");
    // No newline at all: the whole file is one partial line.
    std::fs::write(&path, "{\"torn")?;
    assert_eq!(collector::repair_torn_tail(&path)?, 6);
    assert_eq!(std::fs::read(&path)?, b"");
    // A partial line longer than the scan's 64 KiB chunk, after 200 KiB of lines.
    let complete = "{\"x\":\"yyyyyyyy\"}\n".repeat(12_000);
    let partial = "z".repeat(150_000);
    std::fs::write(&path, format!("{complete}{partial}"))?;
    assert_eq!(collector::repair_torn_tail(&path)?, partial.len() as u64);
    assert_eq!(std::fs::read_to_string(&path)?, complete);
    // A directory is not a sink file to repair.
    assert_eq!(collector::repair_torn_tail(dir.path())?, 0);
    Ok(())
}

#[test]
fn repair_drops_a_bulk_action_whose_document_was_torn() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sink.bulk");
    let pair = |id: &str| {
        format!("{{\"create\":{{\"_id\":\"{id}\"}}}}\n{{\"log_id\":\"{id}\",\"type\":\"s\"}}\n")
    };
    let complete = format!("{}{}", pair("1001"), pair("1002"));
    let action = "{\"create\":{\"_id\":\"1003\"}}\n";
    // Torn inside the document: the partial line and its action go.
    std::fs::write(&path, format!("{complete}{action}{{\"log_id\":\"10"))?;
    assert_eq!(
        collector::repair_torn_tail(&path)?,
        (action.len() + "{\"log_id\":\"10".len()) as u64
    );
    assert_eq!(std::fs::read_to_string(&path)?, complete);
    // Stopped right after the action's newline: the file ends with a newline
    // but not with a whole pair.
    std::fs::write(&path, format!("{complete}{action}"))?;
    assert_eq!(collector::repair_torn_tail(&path)?, action.len() as u64);
    assert_eq!(std::fs::read_to_string(&path)?, complete);
    // Torn inside the action: only the partial line goes.
    std::fs::write(&path, format!("{complete}{{\"create\":{{\"_i"))?;
    collector::repair_torn_tail(&path)?;
    assert_eq!(std::fs::read_to_string(&path)?, complete);
    // Lines that only look like an action are records and stay.
    for kept in [
        "{\"create\":{\"_id\":\"\"}}\n",
        "{\"create\":{\"_id\":\"12a\"}}\n",
        "{\"create\":{\"_id\":\"12\"},\"log_id\":\"12\"}\n",
    ] {
        std::fs::write(&path, format!("{complete}{kept}"))?;
        assert_eq!(collector::repair_torn_tail(&path)?, 0, "{kept}");
    }
    // A file holding nothing but an action is emptied.
    std::fs::write(&path, action)?;
    assert_eq!(collector::repair_torn_tail(&path)?, action.len() as u64);
    assert_eq!(std::fs::read(&path)?, b"");
    Ok(())
}
