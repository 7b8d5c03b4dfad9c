//! One Management API GET with everything that can go wrong handled in one
//! place: pacing, 429 waits, retries of 5xx/timeouts/bad bodies, one token
//! refresh after a 401, and typed errors for the rest.

use serde::Deserialize;

use crate::api::session::{Failure, MAX_THROTTLED, Session};
use crate::auth::TokenSource;
use crate::error::{Error, sanitize_server_text};
use crate::ports::{InFlight, Method, Request, Response};
use crate::ratelimit::Pacer;

#[derive(Deserialize, Default)]
struct ApiErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "errorCode")]
    error_code: Option<String>,
}

fn error_message(response: &Response) -> String {
    let body: ApiErrorBody = serde_json::from_slice(&response.body).unwrap_or_default();
    let text = match (body.error_code, body.message) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (None, Some(msg)) => msg,
        (Some(code), None) => code,
        (None, None) => {
            String::from_utf8_lossy(&response.body[..response.body.len().min(200)]).into_owned()
        }
    };
    sanitize_server_text(&text)
}

/// The scope a 403 names (`... scope: read:logs`), or the one the route needs.
fn missing_scope(response: &Response, needed: &str) -> String {
    let msg = error_message(response);
    msg.split(|c: char| c.is_whitespace() || c == ',' || c == '"' || c == '(' || c == ')')
        .find(|w| {
            w.split_once(':').is_some_and(|(verb, object)| {
                !verb.is_empty()
                    && !object.is_empty()
                    && !object.contains(':')
                    && w.chars()
                        .all(|c| c.is_ascii_lowercase() || c == ':' || c == '_')
            })
        })
        .map(str::to_string)
        .unwrap_or_else(|| needed.to_string())
}

pub struct Api<'a> {
    pub session: Session<'a>,
    tokens: TokenSource,
}

impl<'a> Api<'a> {
    pub fn new(session: Session<'a>) -> Self {
        Api {
            session,
            tokens: TokenSource::default(),
        }
    }

    /// GETs `path_and_query` and parses the body with `parse`. A body that does not
    /// parse is retried like a 5xx (truncated or corrupt responses are transient).
    /// `scope` names the scope the route needs, for the 403 message.
    pub fn get<T>(
        &mut self,
        path_and_query: &str,
        scope: &str,
        parse: impl Fn(&Response) -> Result<T, String>,
    ) -> Result<T, Failure> {
        let first = self.prefetch(path_and_query);
        self.get_prefetched(first, scope, parse)
    }

    /// Paces and sends the first attempt of a GET now; [`Api::get_prefetched`]
    /// waits for it later and handles whatever went wrong, as `get` would.
    pub fn prefetch(&mut self, path_and_query: &str) -> Prefetch {
        let started = self.start_attempt(path_and_query);
        Prefetch {
            path_and_query: path_and_query.to_string(),
            started,
        }
    }

    pub fn get_prefetched<T>(
        &mut self,
        prefetch: Prefetch,
        scope: &str,
        parse: impl Fn(&Response) -> Result<T, String>,
    ) -> Result<T, Failure> {
        let Prefetch {
            path_and_query,
            started,
        } = prefetch;
        let mut first = Some(started);
        let mut attempt: u32 = 0;
        let mut throttled: u32 = 0;
        loop {
            let in_flight = match first.take() {
                Some(started) => started?,
                None => self.start_attempt(&path_and_query)?,
            };
            attempt += 1;
            let result = in_flight.wait();
            let s = &mut self.session;
            let response = match result {
                Ok(r) => r,
                Err(e) if e.is_retryable() && attempt < s.backoff.attempts => {
                    s.backoff_wait(attempt)?;
                    continue;
                }
                Err(e) => return Err(Error::Transport(e.to_string()).into()),
            };
            s.pacer.observe(&response);
            match response.status {
                200..=299 => match parse(&response) {
                    Ok(v) => {
                        self.tokens.confirm();
                        return Ok(v);
                    }
                    Err(_) if attempt < s.backoff.attempts => s.backoff_wait(attempt)?,
                    Err(msg) => return Err(Error::upstream(response.status, msg).into()),
                },
                401 => {
                    if self.tokens.invalidate(&mut self.session)? {
                        continue;
                    }
                    return Err(Error::Auth(format!(
                        "the Management API rejected the token: {}",
                        error_message(&response)
                    ))
                    .into());
                }
                403 => return Err(Error::Forbidden(missing_scope(&response, scope)).into()),
                429 => {
                    throttled += 1;
                    let wait = Pacer::wait_after_429_ms(&response, s.ports.clock);
                    if throttled > MAX_THROTTLED {
                        return Err(Error::RateLimited {
                            retry_after_ms: wait,
                            message: format!("still rate limited after {MAX_THROTTLED} waits"),
                        }
                        .into());
                    }
                    let wait = wait.unwrap_or_else(|| s.backoff.delay_ms(throttled, s.ports.clock));
                    s.rate_limit_wait(wait)?;
                }
                500..=599 if attempt < s.backoff.attempts => s.backoff_wait(attempt)?,
                status => return Err(Error::upstream(status, error_message(&response)).into()),
            }
        }
    }

    /// One attempt: wait for the pacer, get a token, send.
    fn start_attempt(&mut self, path_and_query: &str) -> Result<Box<dyn InFlight>, Failure> {
        self.session.pace()?;
        let token = self.tokens.get(&mut self.session)?;
        let s = &mut self.session;
        s.counters.api_requests += 1;
        let request = Request {
            method: Method::Get,
            origin: s.tenant.origin.clone(),
            path_and_query: path_and_query.to_string(),
            headers: vec![
                ("authorization".into(), format!("Bearer {}", token.expose())),
                ("accept".into(), "application/json".into()),
            ],
            body: Vec::new(),
            timeout_ms: s.request_timeout_ms(),
        };
        Ok(s.ports.http.start(&request))
    }
}

/// A GET whose first attempt is already on its way (or could not start: the
/// failure is reported when it is collected, in the order `get` would have).
pub struct Prefetch {
    path_and_query: String,
    started: Result<Box<dyn InFlight>, Failure>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_is_read_from_the_403_message() {
        let r = crate::testing::response(
            403,
            r#"{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:logs","errorCode":"insufficient_scope"}"#,
        );
        assert_eq!(missing_scope(&r, "x:y"), "read:logs");
        let r = crate::testing::response(403, "{}");
        assert_eq!(missing_scope(&r, "read:clients"), "read:clients");
    }
}
