//! `Transport` over wasi:http/outgoing-handler, with timeouts and a bounded
//! response body.

use ::wasi::http::outgoing_handler;
use ::wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingBody, Method as WasiMethod, OutgoingBody,
    OutgoingRequest, RequestOptions, Scheme,
};
use ::wasi::io::streams::StreamError;

use crate::ports::{
    InFlight, MAX_RESPONSE_BYTES, Method, Request, Response, Transport, TransportError,
};

pub struct WasiHttp;

fn classify(e: ErrorCode) -> TransportError {
    let text = format!("{e:?}");
    match e {
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout => TransportError::Timeout(text),
        ErrorCode::DnsTimeout
        | ErrorCode::DnsError(_)
        | ErrorCode::ConnectionRefused
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionLimitReached => TransportError::Connect(text),
        ErrorCode::HttpRequestDenied => TransportError::Denied(text),
        ErrorCode::HttpResponseBodySize(_) => TransportError::TooLarge(MAX_RESPONSE_BYTES),
        _ => TransportError::Protocol(text),
    }
}

/// Sends the head and the whole body; the response is collected by [`receive`].
fn start(request: &Request) -> Result<FutureIncomingResponse, TransportError> {
    let protocol = |m: &str| TransportError::Protocol(m.to_string());
    let headers = Fields::new();
    for (name, value) in &request.headers {
        headers
            .append(name, value.as_bytes())
            .map_err(|_| protocol("a request header was refused"))?;
    }
    if !request.body.is_empty() {
        let _ = headers.set(
            "content-length",
            &[request.body.len().to_string().into_bytes()],
        );
    }
    let outgoing = OutgoingRequest::new(headers);
    let method = match request.method {
        Method::Get => WasiMethod::Get,
        Method::Post => WasiMethod::Post,
    };
    let scheme = if request.origin.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    outgoing
        .set_method(&method)
        .map_err(|_| protocol("method"))?;
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|_| protocol("scheme"))?;
    outgoing
        .set_authority(Some(&request.origin.authority()))
        .map_err(|_| protocol("authority"))?;
    outgoing
        .set_path_with_query(Some(&request.path_and_query))
        .map_err(|_| protocol("path"))?;
    let body = outgoing.body().map_err(|_| protocol("request body"))?;
    let options = RequestOptions::new();
    let timeout_ns = request.timeout_ms.max(1).saturating_mul(1_000_000);
    let _ = options.set_connect_timeout(Some(timeout_ns));
    let _ = options.set_first_byte_timeout(Some(timeout_ns));
    let _ = options.set_between_bytes_timeout(Some(timeout_ns));
    let future = outgoing_handler::handle(outgoing, Some(options)).map_err(classify)?;
    {
        let stream = body.write().map_err(|_| protocol("request body stream"))?;
        // As much per call as the host permits (wasmtime: 1 MiB), not the
        // 4 KiB of `blocking-write-and-flush`: one host round trip per batch.
        // No flush afterwards: `write` has handed the bytes to the host, and
        // once the last byte of the content-length is in, the host may finish
        // the exchange and close the stream, so a flush could fail on a request
        // the sink already acknowledged (and the retry would duplicate it).
        let failed = |e: StreamError| {
            TransportError::Protocol(format!("writing the request body: {}", stream_error(e)))
        };
        let mut rest = &request.body[..];
        while !rest.is_empty() {
            let permitted = stream.check_write().map_err(failed)?;
            if permitted == 0 {
                stream.subscribe().block();
                continue;
            }
            let n = usize::try_from(permitted)
                .unwrap_or(usize::MAX)
                .min(rest.len());
            let (now, later) = rest.split_at(n);
            stream.write(now).map_err(failed)?;
            rest = later;
        }
    }
    OutgoingBody::finish(body, None).map_err(classify)?;
    Ok(future)
}

/// The host's reason, for the error message: `Closed` alone hides which side gave up.
fn stream_error(e: StreamError) -> String {
    match e {
        StreamError::Closed => "the host closed the stream".to_string(),
        StreamError::LastOperationFailed(e) => e.to_debug_string(),
    }
}

fn receive(future: FutureIncomingResponse) -> Result<Response, TransportError> {
    let protocol = |m: &str| TransportError::Protocol(m.to_string());
    let incoming = loop {
        match future.get() {
            Some(result) => break result,
            None => future.subscribe().block(),
        }
    };
    let incoming = incoming
        .map_err(|_| protocol("response already taken"))?
        .map_err(classify)?;
    let status = incoming.status();
    let headers = incoming
        .headers()
        .entries()
        .into_iter()
        .map(|(n, v)| {
            (
                n.to_ascii_lowercase(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    let body = incoming.consume().map_err(|_| protocol("response body"))?;
    let mut bytes = Vec::new();
    {
        let stream = body
            .stream()
            .map_err(|_| protocol("response body stream"))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() as u64 > MAX_RESPONSE_BYTES {
                        return Err(TransportError::TooLarge(MAX_RESPONSE_BYTES));
                    }
                }
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(TransportError::Protocol(format!(
                        "reading the response body: {}",
                        e.to_debug_string()
                    )));
                }
            }
        }
    }
    if let Some(Ok(Err(e))) = IncomingBody::finish(body).get() {
        return Err(classify(e));
    }
    Ok(Response {
        status,
        headers,
        body: bytes,
    })
}

/// The host runs the exchange while the guest works; `wait` collects it.
struct Pending(Result<FutureIncomingResponse, TransportError>);

impl InFlight for Pending {
    fn wait(self: Box<Self>) -> Result<Response, TransportError> {
        receive(self.0?)
    }
}

impl Transport for WasiHttp {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        receive(start(request)?)
    }

    fn start(&self, request: &Request) -> Box<dyn InFlight> {
        Box::new(Pending(start(request)))
    }
}
