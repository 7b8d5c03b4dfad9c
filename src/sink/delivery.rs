//! POSTs one batch and waits for the acknowledgement. Retries 408/429/5xx and
//! transport failures; any other answer, or running out of attempts, is a sink
//! error, and the caller then leaves the checkpoint where it was.

use crate::api::session::Session;
use crate::error::{Error, sanitize_server_text};
use crate::ports::{Method, Request};
use crate::ratelimit::Pacer;
use crate::sink::Sink;

pub fn deliver(s: &mut Session, sink: &Sink, body: Vec<u8>) -> Result<(), Error> {
    let mut headers = vec![("content-type".to_string(), sink.content_type().to_string())];
    headers.extend(
        sink.headers
            .iter()
            .map(|(n, v)| (n.clone(), v.expose().to_string())),
    );
    let mut request = Request {
        method: Method::Post,
        origin: sink.endpoint.origin.clone(),
        path_and_query: sink.endpoint.path_and_query.clone(),
        headers,
        body,
        timeout_ms: 0,
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        s.counters.sink_requests += 1;
        request.timeout_ms = s.request_timeout_ms();
        let (status, detail, retry_after) = match s.ports.http.send(&request) {
            Ok(response) if (200..300).contains(&response.status) => {
                match sink.check_ack(&response) {
                    Ok(()) => return Ok(()),
                    Err(msg) => (Some(response.status), msg, None),
                }
            }
            Ok(response) => {
                let retryable = matches!(response.status, 408 | 429 | 500..=599);
                let detail = format!(
                    "sink answered {}: {}",
                    response.status,
                    sanitize_server_text(&String::from_utf8_lossy(
                        &response.body[..response.body.len().min(300)]
                    ))
                );
                if !retryable {
                    return Err(Error::Sink {
                        status: Some(response.status),
                        message: detail,
                    });
                }
                let wait = (response.status == 429)
                    .then(|| Pacer::wait_after_429_ms(&response, s.ports.clock))
                    .flatten();
                (Some(response.status), detail, wait)
            }
            Err(e) if e.is_retryable() => (None, format!("sink unreachable: {e}"), None),
            Err(e) => {
                return Err(Error::Sink {
                    status: None,
                    message: format!("sink unreachable: {e}"),
                });
            }
        };
        if attempt >= s.backoff.attempts {
            return Err(Error::Sink {
                status,
                message: format!(
                    "{detail} (gave up after {attempt} attempts; the checkpoint did not move)"
                ),
            });
        }
        let wait = retry_after.unwrap_or_else(|| s.backoff.delay_ms(attempt, s.ports.clock));
        if s.budget
            .remaining_ms(s.ports.clock)
            .is_some_and(|left| left <= wait)
        {
            return Err(Error::Deadline(format!(
                "the time budget ended while the sink was failing ({detail}); the checkpoint did not move"
            )));
        }
        s.ports.clock.sleep_ms(wait);
        s.counters.retries += 1;
    }
}
