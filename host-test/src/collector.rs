//! Loopback sink for `--sink file:PATH` and `--sink stdout`: the component only
//! speaks HTTP, so a local server stores each POST body durably before acking.
//! A file whose last line was cut by a crash is repaired when it is opened.

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

/// Where received bodies go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectorTarget {
    /// Appended to this file (created if missing), `sync_data` before the ack.
    /// A partial last line left by an interrupted write is cut off first
    /// ([`repair_torn_tail`]).
    File(PathBuf),
    /// Written to the process's stdout, flushed before the ack.
    Stdout,
}

enum Output {
    /// `broken` is set when a failed append could not be cut back: appending
    /// after those bytes would fuse the retry with half a batch.
    File {
        file: tokio::fs::File,
        broken: bool,
    },
    Stdout(tokio::io::Stdout),
}

impl Output {
    async fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Self::File { file, broken } => {
                if *broken {
                    return Err(std::io::Error::other(
                        "an earlier write failed and its partial batch could not be removed; restart to repair the file",
                    ));
                }
                let before = file.metadata().await?.len();
                let written = async {
                    file.write_all(bytes).await?;
                    file.flush().await?;
                    file.sync_data().await
                }
                .await;
                if let Err(err) = written {
                    // A full disk or a size limit can fail the write half-way;
                    // the component retries the batch, which must start on a
                    // line boundary, so the unacknowledged bytes go.
                    let cut = async {
                        file.set_len(before).await?;
                        file.sync_data().await
                    }
                    .await;
                    if cut.is_err() {
                        *broken = true;
                    }
                    return Err(err);
                }
                Ok(())
            }
            Self::Stdout(out) => {
                out.write_all(bytes).await?;
                out.flush().await
            }
        }
    }
}

struct Shared {
    output: Mutex<Output>,
    requests: AtomicU64,
    bytes: AtomicU64,
}

/// A running collector; dropping it stops the server.
pub struct Collector {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Binds 127.0.0.1 on a free port and serves until [`Collector::shutdown`].
pub async fn start(target: CollectorTarget) -> anyhow::Result<Collector> {
    let output = match &target {
        CollectorTarget::File(path) => {
            let repair_path = path.clone();
            let removed = tokio::task::spawn_blocking(move || repair_torn_tail(&repair_path))
                .await
                .context("checking the sink file's last line")?
                .with_context(|| {
                    format!("checking the last line of sink file {}", path.display())
                })?;
            if removed > 0 {
                eprintln!(
                    "auth0-audit: {} ended in a partial line ({removed} bytes of a batch that was never acknowledged, e.g. after a crash); truncated to the last complete record, the batch will be sent again",
                    path.display()
                );
            }
            let file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .await
                .with_context(|| format!("opening sink file {}", path.display()))?;
            Output::File {
                file,
                broken: false,
            }
        }
        CollectorTarget::Stdout => Output::Stdout(tokio::io::stdout()),
    };
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("binding the loopback collector")?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        output: Mutex::new(output),
        requests: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
    });
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(serve(listener, shared.clone(), stopped));
    Ok(Collector {
        addr,
        shared,
        stop,
        task: Some(task),
    })
}

/// Cuts a regular file back to the end of its last complete record and returns
/// how many bytes it removed (0 if it is missing, empty, not a regular file, or
/// already complete).
///
/// The collector acknowledges a batch only after the whole body is written and
/// synced, so bytes after the last newline belong to a write that was
/// interrupted (a crash, a SIGKILL, a full disk) and never acknowledged: the
/// component sends that batch again. Appending onto the partial line instead
/// would fuse it with the next event and corrupt the NDJSON. A last complete
/// line that is an `elastic-bulk` action goes too: its document was the torn
/// line, and a bulk file must alternate action and document.
pub fn repair_torn_tail(path: &Path) -> std::io::Result<u64> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() > 0 => {}
        Ok(_) => return Ok(0),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    let len = file.metadata()?.len();
    let mut keep = line_start_before(&mut file, len)?;
    // Even when the file ends with a newline: a write can stop right after an action.
    if keep > 0 {
        let last = line_start_before(&mut file, keep - 1)?;
        // An action line is under 100 bytes; a longer line is an event.
        if keep - 1 - last <= 128 && is_bulk_action(&read_range(&mut file, last, keep - 1)?) {
            keep = last;
        }
    }
    if keep == len {
        return Ok(0);
    }
    file.set_len(keep)?;
    file.sync_all()?;
    Ok(len - keep)
}

/// Where the line holding byte `end - 1` starts: just after the last `\n`
/// before `end`, or 0. Scans backwards in chunks, so a long file costs little.
fn line_start_before(file: &mut std::fs::File, end: u64) -> std::io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let mut end = end;
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = read_range(file, start, end)?;
        if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Bytes `start..end` of the file (callers keep the range to one chunk or one line).
fn read_range(file: &mut std::fs::File, start: u64, end: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    file.take(end.saturating_sub(start)).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Exactly the action line the `elastic-bulk` format writes before each event:
/// `{"create":{"_id":"<log_id>"}}` (a log_id is digits). No event line can be
/// this: an event without a `log_id` field is never written.
fn is_bulk_action(line: &[u8]) -> bool {
    line.strip_prefix(br#"{"create":{"_id":""#)
        .and_then(|rest| rest.strip_suffix(br#""}}"#))
        .is_some_and(|id| !id.is_empty() && id.iter().all(u8::is_ascii_digit))
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        // The ack is one small write; never hold it back for Nagle.
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, shared.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.method() != Method::POST {
        return Ok(reply(
            StatusCode::METHOD_NOT_ALLOWED,
            r#"{"errors":true,"reason":"only POST is accepted"}"#,
        ));
    }
    // The whole body first: a partial batch must never be acknowledged.
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(reply(
                StatusCode::BAD_REQUEST,
                r#"{"errors":true,"reason":"incomplete body"}"#,
            ));
        }
    };
    let written = {
        let mut output = shared.output.lock().await;
        output.append(&body).await
    };
    if let Err(err) = written {
        eprintln!("auth0-audit: collector could not write a batch: {err}");
        return Ok(reply(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"errors":true,"reason":"write failed"}"#,
        ));
    }
    shared.requests.fetch_add(1, Ordering::Relaxed);
    shared.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    Ok(reply(StatusCode::OK, r#"{"errors":false}"#))
}

impl Collector {
    /// `http://127.0.0.1:PORT/`, the URL to give the component as its sink.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Acknowledged POSTs so far.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Body bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.shared.bytes.load(Ordering::Relaxed)
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
