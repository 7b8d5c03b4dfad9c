//! `Transport` over wasi:http/outgoing-handler, with timeouts and a bounded
//! response body.

use ::wasi::http::outgoing_handler;
use ::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use ::wasi::io::streams::StreamError;

use crate::ports::{MAX_RESPONSE_BYTES, Method, Request, Response, Transport, TransportError};

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

fn send(request: &Request) -> Result<Response, TransportError> {
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
        for chunk in request.body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|_| protocol("writing the request body"))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(classify)?;
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

impl Transport for WasiHttp {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        send(request)
    }
}
