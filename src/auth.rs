//! Management API access tokens: client-credentials exchange, a key-value
//! cache so scheduled runs reuse a token, and one forced refresh after a 401.

use serde::{Deserialize, Serialize};

use crate::api::session::{Failure, MAX_THROTTLED, Session};
use crate::error::{Error, sanitize_server_text};
use crate::keys;
use crate::model::{Credentials, Secret};
use crate::ports::{Method, Request};
use crate::ratelimit::Pacer;

/// A cached token is used only while it has at least this long to live.
const EXPIRY_MARGIN_MS: i64 = 60_000;

#[derive(Serialize, Deserialize)]
struct CachedToken {
    access_token: String,
    expires_at_ms: i64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Default)]
pub struct TokenSource {
    current: Option<Secret>,
    /// A refresh happened and no request has succeeded with the new token yet:
    /// a second 401 now means the credentials are bad, not that a token expired.
    refreshed: bool,
}

impl TokenSource {
    /// The token to send now: in memory, else cached, else freshly exchanged.
    pub fn get(&mut self, s: &mut Session) -> Result<Secret, Failure> {
        if let Some(t) = &self.current {
            return Ok(t.clone());
        }
        let token = match &s.tenant.credentials {
            Credentials::AccessToken(t) => t.clone(),
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let key = keys::token(&s.tenant.key, client_id, &s.tenant.audience);
                match read_cache(s, &key)? {
                    Some(t) => t,
                    None => {
                        let (token, expires_at_ms) = exchange(s, client_id, client_secret)?;
                        if s.tenant.cache_token {
                            let record = CachedToken {
                                access_token: token.expose().to_string(),
                                expires_at_ms,
                            };
                            let bytes = serde_json::to_vec(&record).map_err(|e| {
                                Error::Storage(format!("encoding token cache: {e}"))
                            })?;
                            // Not fatal: a broken store fails the checkpoint write loudly anyway.
                            let _ = s.ports.kv.set(&key, &bytes);
                        }
                        token
                    }
                }
            }
        };
        self.current = Some(token.clone());
        Ok(token)
    }

    /// A request succeeded: a later 401 is a new expiry and may refresh again, so
    /// a run longer than a token's lifetime keeps going.
    pub fn confirm(&mut self) {
        self.refreshed = false;
    }

    /// After a 401: forget the token (memory and cache). Returns false when the
    /// fresh token was rejected too, or a refresh cannot help (a given access token).
    pub fn invalidate(&mut self, s: &mut Session) -> Result<bool, Failure> {
        if self.refreshed {
            return Ok(false);
        }
        let Credentials::ClientCredentials { client_id, .. } = &s.tenant.credentials else {
            return Ok(false);
        };
        self.refreshed = true;
        self.current = None;
        let key = keys::token(&s.tenant.key, client_id, &s.tenant.audience);
        s.ports.kv.delete(&key).map_err(Error::from)?;
        Ok(true)
    }
}

fn read_cache(s: &Session, key: &str) -> Result<Option<Secret>, Failure> {
    if !s.tenant.cache_token {
        return Ok(None);
    }
    // The cache only saves a token request: if the store cannot read it, ask
    // for a new token rather than fail the run (the checkpoint read is what must not fail).
    let Ok(Some(bytes)) = s.ports.kv.get(key) else {
        return Ok(None);
    };
    // A corrupt cache entry is not fatal: a new token is fetched and overwrites it.
    let Ok(cached) = serde_json::from_slice::<CachedToken>(&bytes) else {
        return Ok(None);
    };
    // Saturating: a corrupt expiry near i64::MIN must read as expired, not overflow.
    let fresh = cached.expires_at_ms.saturating_sub(EXPIRY_MARGIN_MS) > s.ports.clock.now_unix_ms();
    Ok((fresh && !cached.access_token.is_empty()).then(|| Secret::new(cached.access_token)))
}

/// `POST /oauth/token` with retries for 429, 5xx and transport failures.
fn exchange(
    s: &mut Session,
    client_id: &str,
    client_secret: &Secret,
) -> Result<(Secret, i64), Failure> {
    let body = serde_json::json!({
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret.expose(),
        "audience": s.tenant.audience,
    });
    let body =
        serde_json::to_vec(&body).map_err(|e| Error::Auth(format!("encoding request: {e}")))?;
    let mut attempt = 0;
    let mut throttled = 0;
    loop {
        if s.budget.fetching_over(s.ports.clock) {
            return Err(Failure::OutOfTime);
        }
        attempt += 1;
        s.counters.api_requests += 1;
        let request = Request {
            method: Method::Post,
            origin: s.tenant.origin.clone(),
            path_and_query: "/oauth/token".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("accept".into(), "application/json".into()),
            ],
            body: body.clone(),
            timeout_ms: s.request_timeout_ms(),
        };
        let response = match s.ports.http.send(&request) {
            Ok(r) => r,
            Err(e) if e.is_retryable() && attempt < s.backoff.attempts => {
                s.backoff_wait(attempt)?;
                continue;
            }
            Err(e) => return Err(Error::Transport(format!("token request: {e}")).into()),
        };
        match response.status {
            200..=299 => {
                let parsed: TokenResponse = match serde_json::from_slice(&response.body) {
                    Ok(p) => p,
                    Err(_) if attempt < s.backoff.attempts => {
                        s.backoff_wait(attempt)?;
                        continue;
                    }
                    Err(_) => {
                        return Err(Error::Auth(
                            "the token endpoint answered an unreadable body".into(),
                        )
                        .into());
                    }
                };
                if parsed.access_token.trim().is_empty() {
                    return Err(Error::Auth(
                        "the token endpoint returned an empty access_token".into(),
                    )
                    .into());
                }
                let ttl_s = parsed.expires_in.unwrap_or(86_400).clamp(0, 30 * 86_400);
                let expires_at = s.ports.clock.now_unix_ms() + ttl_s * 1000;
                return Ok((Secret::new(parsed.access_token), expires_at));
            }
            429 => {
                throttled += 1;
                if throttled > MAX_THROTTLED {
                    return Err(Error::RateLimited {
                        retry_after_ms: Pacer::wait_after_429_ms(&response, s.ports.clock),
                        message: "the token endpoint kept answering 429".into(),
                    }
                    .into());
                }
                let wait = Pacer::wait_after_429_ms(&response, s.ports.clock)
                    .unwrap_or_else(|| s.backoff.delay_ms(throttled, s.ports.clock));
                s.rate_limit_wait(wait)?;
            }
            500..=599 if attempt < s.backoff.attempts => s.backoff_wait(attempt)?,
            status => {
                let e: OAuthError = serde_json::from_slice(&response.body).unwrap_or_default();
                let detail = sanitize_server_text(
                    &[e.error, e.error_description]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": "),
                );
                let hint = match status {
                    401 => " (check the client id and secret)",
                    403 => {
                        " (authorize the application for the Management API with the needed scopes)"
                    }
                    _ => "",
                };
                return Err(Error::Auth(format!(
                    "token endpoint answered {status}: {detail}{hint}"
                ))
                .into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Budget;
    use crate::model::{Credentials, TenantConfig};
    use crate::ports::{Ports, TransportError};
    use crate::tenant::Tenant;
    use crate::testing::{FakeClock, FakeHttp, MemKv};

    #[test]
    fn a_cache_entry_with_an_absurd_expiry_is_expired_not_an_overflow() {
        // Found by fuzz/ (token_cache): `expires_at_ms - margin` overflowed.
        let tenant = Tenant::validate(&TenantConfig {
            domain: "acme.auth0.com".into(),
            credentials: Credentials::ClientCredentials {
                client_id: "cid".into(),
                client_secret: Secret::new("secret"),
            },
            audience: None,
            bucket: String::new(),
            cache_token: None,
        })
        .unwrap();
        let kv = MemKv::default();
        let key = keys::token(&tenant.key, "cid", &tenant.audience);
        let entry = br#"{"access_token":"old","expires_at_ms":-9223372036854775808}"#;
        kv.map.borrow_mut().insert(key.clone(), entry.to_vec());
        let http = FakeHttp::new(|_| Err(TransportError::Denied("no network".into())));
        let clock = FakeClock::new(1_700_000_000_000);
        let ports = Ports {
            http: &http,
            kv: &kv,
            clock: &clock,
        };
        let s = Session::new(ports, &tenant, Budget::new(&clock, None), 1, 1_000);
        assert_eq!(read_cache(&s, &key).ok().flatten(), None);
    }
}
