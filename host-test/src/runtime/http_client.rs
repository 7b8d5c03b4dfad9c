//! The host's outgoing HTTP client: one connection pool shared by every call,
//! so a sync reuses its connections to the tenant and the sink instead of a
//! TCP (and, against real Auth0, TLS) handshake per page, which is what
//! wasmtime-wasi-http's `default_send_request` does. Requests run on a thread
//! of their own, so a request the guest started travels while the guest
//! computes (the guest's own runtime only runs when the guest waits).

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// wasmtime-wasi-http's default when the guest sets no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// Idle connections are closed after this; Auth0's edge closes sooner anyway.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Per origin. A sync holds at most one request to the tenant and one to the sink.
const POOL_MAX_IDLE_PER_HOST: usize = 4;

/// Cheap to clone: clones share the pool and the I/O thread.
#[derive(Clone)]
pub struct PooledClient {
    client: Client<HttpsConnector<HttpConnector>, WasiBody>,
    io: Arc<IoThread>,
}

/// A one-thread runtime that owns the pool's connections.
struct IoThread(Option<tokio::runtime::Runtime>);

impl IoThread {
    fn handle(&self) -> Option<&tokio::runtime::Handle> {
        self.0.as_ref().map(tokio::runtime::Runtime::handle)
    }
}

impl Drop for IoThread {
    fn drop(&mut self) {
        // Dropping a runtime inside another one's async context panics; this does not wait.
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl PooledClient {
    pub fn new() -> anyhow::Result<Self> {
        let mut http = HttpConnector::new();
        // The TLS layer decides the scheme; plain http stays allowed for loopback sinks.
        http.enforce_http(false);
        // Small requests on a kept-alive connection: without this, Nagle and
        // delayed ACKs add ~40 ms to every page.
        http.set_nodelay(true);
        http.set_connect_timeout(Some(DEFAULT_TIMEOUT));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
            .build(https);
        let io = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("auth0-audit-http")
            .enable_all()
            .build()?;
        Ok(Self {
            client,
            io: Arc::new(IoThread(Some(io))),
        })
    }

    /// Sends one request, honouring the guest's timeouts: connect plus first
    /// byte bound the wait for the response head, between-bytes each body frame.
    pub async fn send(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, Error> {
        let connect = options
            .and_then(|o| o.connect_timeout)
            .unwrap_or(DEFAULT_TIMEOUT);
        let first_byte = options
            .and_then(|o| o.first_byte_timeout)
            .unwrap_or(DEFAULT_TIMEOUT);
        let between_bytes = options
            .and_then(|o| o.between_bytes_timeout)
            .unwrap_or(DEFAULT_TIMEOUT)
            // tokio panics on a zero interval.
            .max(Duration::from_nanos(1));
        let client = self.client.clone();
        let exchange = async move {
            let head =
                tokio::time::timeout(connect.saturating_add(first_byte), client.request(request))
                    .await
                    .map_err(|_| Error::ConnectionReadTimeout)?
                    .map_err(client_error)?;
            let (parts, incoming) = head.into_parts();
            let body =
                read_ahead(TimedBody::new(incoming, between_bytes), READ_AHEAD_BYTES).await?;
            use http_body_util::BodyExt as _;
            Ok::<_, Error>(http::Response::from_parts(parts, body.boxed_unsync()))
        };
        let io = self
            .io
            .handle()
            .ok_or_else(|| Error::InternalError(Some("the HTTP thread has stopped".into())))?;
        // Aborted with the guest's request: dropping the join handle alone would not.
        let mut task = AbortOnDrop(io.spawn(exchange));
        match (&mut task.0).await {
            Ok(result) => result,
            Err(e) => Err(Error::InternalError(Some(format!("HTTP task failed: {e}")))),
        }
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Maps the pool's error onto wasi-http's, keeping connect failures
/// distinguishable (refused, DNS, timeout) for the guest's retry decision.
fn client_error(err: hyper_util::client::legacy::Error) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            let copy = std::io::Error::new(io.kind(), io.to_string());
            return if err.is_connect() {
                Error::Connect(copy)
            } else {
                Error::Tls(copy)
            };
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            return hyper_error(hyper);
        }
        source = cause.source();
    }
    if err.is_connect() {
        Error::ConnectionRefused
    } else {
        Error::InternalError(Some(err.to_string()))
    }
}

fn hyper_error(err: &hyper::Error) -> Error {
    if err.is_timeout() {
        Error::HttpResponseTimeout
    } else if err.is_incomplete_message() || err.is_closed() || err.is_canceled() {
        Error::ConnectionTerminated
    } else if err.is_body_write_aborted() || err.is_user() {
        Error::InternalError(Some(err.to_string()))
    } else {
        // Parse errors and the rest: the server did not speak HTTP/1 as expected.
        Error::HttpProtocolError
    }
}

/// Response bytes read on the I/O thread before the response is handed to the
/// guest: a page arrives in one hand-over instead of a cross-thread wake-up per
/// frame (those wake-ups were the HTTP thread's largest cost in a profile).
/// Anything longer is streamed as before.
const READ_AHEAD_BYTES: usize = 4 * 1024 * 1024;

/// Frames already read, then whatever is left of the body.
struct ReadAhead {
    frames: VecDeque<Frame<Bytes>>,
    rest: Option<TimedBody>,
}

/// Reads frames until the body ends or `limit` bytes are held.
async fn read_ahead(mut body: TimedBody, limit: usize) -> Result<ReadAhead, Error> {
    use http_body_util::BodyExt as _;
    let mut frames = VecDeque::new();
    let mut held = 0;
    while held < limit {
        match body.frame().await {
            None => return Ok(ReadAhead { frames, rest: None }),
            Some(frame) => {
                let frame = frame?;
                held += frame.data_ref().map_or(0, Bytes::len);
                frames.push_back(frame);
            }
        }
    }
    Ok(ReadAhead {
        frames,
        rest: Some(body),
    })
}

impl Body for ReadAhead {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        if let Some(frame) = this.frames.pop_front() {
            return Poll::Ready(Some(Ok(frame)));
        }
        match &mut this.rest {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty() && self.rest.as_ref().is_none_or(TimedBody::is_end_stream)
    }
}

/// A response body that fails when the server pauses longer than the guest allows.
struct TimedBody {
    incoming: Incoming,
    idle: tokio::time::Interval,
}

impl TimedBody {
    fn new(incoming: Incoming, between_bytes: Duration) -> Self {
        let mut idle = tokio::time::interval(between_bytes);
        idle.reset();
        Self { incoming, idle }
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(hyper_error(&err)))),
            Poll::Ready(Some(Ok(frame))) => {
                this.idle.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => match this.idle.poll_tick(cx) {
                Poll::Ready(_) => Poll::Ready(Some(Err(Error::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A loopback server that counts accepted connections and answers `ok`.
    async fn counting_server() -> anyhow::Result<(String, Arc<AtomicUsize>)> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(|_req| async {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(
                            http_body_util::Full::new(Bytes::from_static(b"ok")),
                        ))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok((format!("http://{addr}"), accepted))
    }

    fn get(uri: &str) -> anyhow::Result<http::Request<WasiBody>> {
        let body = http_body_util::Empty::<Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        Ok(http::Request::builder().uri(uri).body(body)?)
    }

    #[tokio::test]
    async fn reuses_one_connection_for_sequential_requests() -> anyhow::Result<()> {
        let (base, accepted) = counting_server().await?;
        let client = PooledClient::new()?;
        for i in 0..20 {
            let response = client.send(get(&format!("{base}/page/{i}"))?, None).await?;
            assert_eq!(response.status(), 200);
            let body = response.into_body().collect().await?.to_bytes();
            assert_eq!(&body[..], b"ok");
        }
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            1,
            "one kept-alive connection"
        );
        Ok(())
    }

    #[tokio::test]
    async fn refused_connection_is_a_connect_error() -> anyhow::Result<()> {
        // Bind then drop: the port is (almost certainly) closed now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let client = PooledClient::new()?;
        let result = client
            .send(get(&format!("http://127.0.0.1:{port}/"))?, None)
            .await;
        assert!(
            matches!(
                result,
                Err(Error::Connect(_)) | Err(Error::ConnectionRefused)
            ),
            "{result:?}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn silent_server_hits_the_first_byte_timeout() -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        // Accept and hold the connection without ever answering.
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let client = PooledClient::new()?;
        let options = RequestOptions {
            connect_timeout: Some(Duration::from_millis(100)),
            first_byte_timeout: Some(Duration::from_millis(100)),
            ..RequestOptions::default()
        };
        let result = client
            .send(get(&format!("http://{addr}/"))?, Some(options))
            .await;
        assert!(
            matches!(result, Err(Error::ConnectionReadTimeout)),
            "{result:?}"
        );
        Ok(())
    }

    /// A server that writes `head` and `body` raw on every connection, then holds it open.
    async fn raw_server(head: String, body: Vec<u8>) -> anyhow::Result<String> {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut stream, _)) = listener.accept().await {
                // Read the request head first: a response before it is a protocol error.
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte).await {
                        Ok(1) => request.push(byte[0]),
                        _ => break,
                    }
                }
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                held.push(stream);
            }
        });
        Ok(format!("http://{addr}/"))
    }

    #[tokio::test]
    async fn a_body_longer_than_the_read_ahead_arrives_whole() -> anyhow::Result<()> {
        let body: Vec<u8> = (0..READ_AHEAD_BYTES + 1_234_567)
            .map(|i| (i % 251) as u8)
            .collect();
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
        let url = raw_server(head, body.clone()).await?;
        let client = PooledClient::new()?;
        let response = client.send(get(&url)?, None).await?;
        let got = response.into_body().collect().await?.to_bytes();
        assert!(got[..] == body[..], "{} bytes of {}", got.len(), body.len());
        Ok(())
    }

    #[tokio::test]
    async fn a_body_that_stalls_hits_the_between_bytes_timeout() -> anyhow::Result<()> {
        let head = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n".to_string();
        let url = raw_server(head, b"0123456789".to_vec()).await?;
        let client = PooledClient::new()?;
        let options = RequestOptions {
            between_bytes_timeout: Some(Duration::from_millis(100)),
            ..RequestOptions::default()
        };
        let result = client.send(get(&url)?, Some(options)).await;
        assert!(
            matches!(result, Err(Error::ConnectionReadTimeout)),
            "{:?}",
            result.map(|r| r.status())
        );
        Ok(())
    }
}
