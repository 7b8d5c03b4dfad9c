//! Responses as plain data (status, headers, body, delivery mode) plus the
//! Auth0-shaped error bodies, so handlers stay free of hyper types.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use serde_json::{Value, json};

/// How the body goes on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    Normal,
    /// Announce the full Content-Length, send this many bytes, then abort the connection.
    ResetAfter(usize),
}

#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
    pub delivery: Delivery,
    /// Set when an injected fault shaped this reply (for stats).
    pub fault: Option<&'static str>,
}

impl Reply {
    pub fn json(status: u16, value: &Value) -> Self {
        Self::raw_json(status, Bytes::from(value.to_string()))
    }

    pub fn raw_json(status: u16, body: Bytes) -> Self {
        Self {
            status,
            headers: vec![(
                "content-type",
                "application/json; charset=utf-8".to_string(),
            )],
            body,
            delivery: Delivery::Normal,
            fault: None,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn with_fault(mut self, fault: &'static str) -> Self {
        self.fault = Some(fault);
        self
    }
}

/// A Management API error: `{statusCode, error, message, errorCode?}`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub message: String,
    pub error_code: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>, error_code: Option<&'static str>) -> Self {
        Self {
            status,
            message: message.into(),
            error_code,
        }
    }

    pub fn bad_query(message: impl Into<String>) -> Self {
        Self::new(400, message, Some("invalid_query_string"))
    }

    pub fn paging(message: impl Into<String>) -> Self {
        Self::new(400, message, Some("invalid_paging"))
    }

    pub fn reply(&self) -> Reply {
        let mut body = json!({
            "statusCode": self.status,
            "error": reason(self.status),
            "message": self.message,
        });
        if let (Some(code), Value::Object(map)) = (self.error_code, &mut body) {
            map.insert("errorCode".to_string(), Value::String(code.to_string()));
        }
        Reply::json(self.status, &body)
    }
}

/// The canonical reason phrase Auth0 puts in `error`.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

/// The error a test asked for with `fail_next` or a random fault: Auth0-shaped per status.
pub(crate) fn status_error(status: u16, oauth: bool) -> Reply {
    let reply = if oauth {
        let (error, description) = match status {
            401 => ("access_denied", "Unauthorized"),
            403 => ("access_denied", "Client is not authorized"),
            429 => ("too_many_requests", "Global limit has been reached"),
            _ => ("server_error", "Internal error"),
        };
        Reply::json(
            status,
            &json!({"error": error, "error_description": description}),
        )
    } else {
        let (message, code): (&str, Option<&'static str>) = match status {
            400 => ("Bad request", Some("invalid_query_string")),
            401 => ("Invalid token", None),
            403 => ("Insufficient scope", Some("insufficient_scope")),
            404 => ("Not Found", None),
            429 => ("Global limit has been reached", Some("too_many_requests")),
            500 => ("Internal Server Error", None),
            502 => ("Bad Gateway: the logs service is shedding load", None),
            503 => ("Service Unavailable", None),
            _ => ("Error", None),
        };
        ApiError::new(status, message, code).reply()
    };
    if status == 429 {
        reply.header("retry-after", "1")
    } else {
        reply
    }
}

/// Response body that can also cut the connection after a prefix (the reset fault).
pub(crate) struct SimBody {
    data: Option<Bytes>,
    exact_len: u64,
    fail_after: bool,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl SimBody {
    pub fn full(data: Bytes) -> Self {
        Self {
            exact_len: data.len() as u64,
            data: (!data.is_empty()).then_some(data),
            fail_after: false,
            sleep: None,
        }
    }

    pub fn reset_after(prefix: Bytes) -> Self {
        Self {
            exact_len: prefix.len() as u64,
            data: Some(prefix),
            fail_after: true,
            sleep: None,
        }
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(data) = this.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        if this.fail_after {
            // Give hyper a moment to flush the prefix before the abort.
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(30))));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.fail_after = false;
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated connection reset",
            ))));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && !self.fail_after
    }

    fn size_hint(&self) -> SizeHint {
        if self.fail_after {
            SizeHint::default()
        } else {
            SizeHint::with_exact(self.exact_len)
        }
    }
}
