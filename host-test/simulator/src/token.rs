//! `POST /oauth/token` (client credentials) and the issued-token registry that
//! the Management API routes check (expiry, `expire_tokens`, scopes).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::reply::{ApiError, Reply};
use crate::tenant::alnum;

#[derive(Debug)]
struct Issued {
    serial: u64,
    expires_at: Instant,
    scopes: Vec<String>,
}

/// Why a presented token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenError {
    Missing,
    Invalid,
    Expired,
}

impl TokenError {
    pub fn reply(self) -> Reply {
        let message = match self {
            TokenError::Missing => "Missing authentication",
            TokenError::Invalid => "Invalid token",
            TokenError::Expired => "Expired token",
        };
        ApiError::new(401, message, None).reply().header(
            "www-authenticate",
            format!("Bearer error=\"invalid_token\", error_description=\"{message}\""),
        )
    }
}

/// Tokens issued so far; expiry by TTL or by `expire_all` (serial watermark).
#[derive(Debug)]
pub(crate) struct TokenStore {
    tokens: HashMap<String, Issued>,
    next_serial: u64,
    min_valid_serial: u64,
    rng: ChaCha8Rng,
}

impl TokenStore {
    pub fn new(seed: u64) -> Self {
        Self {
            tokens: HashMap::new(),
            next_serial: 0,
            min_valid_serial: 0,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x70CE_4511),
        }
    }

    pub fn issue(&mut self, ttl: Duration, scopes: &[String], now: Instant) -> String {
        let token = format!("sim_at_{}", alnum(&mut self.rng, 40));
        self.tokens.insert(
            token.clone(),
            Issued {
                serial: self.next_serial,
                expires_at: now + ttl,
                scopes: scopes.to_vec(),
            },
        );
        self.next_serial += 1;
        token
    }

    /// Every token issued so far is expired from now on.
    pub fn expire_all(&mut self) {
        self.min_valid_serial = self.next_serial;
    }

    /// Expires one token (the expire-token fault).
    pub fn expire(&mut self, token: &str, now: Instant) {
        if let Some(t) = self.tokens.get_mut(token) {
            t.expires_at = now;
        }
    }

    /// The scopes of a valid bearer token.
    pub fn check(
        &self,
        authorization: Option<&str>,
        now: Instant,
    ) -> Result<&[String], TokenError> {
        let header = authorization.ok_or(TokenError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(TokenError::Invalid)?
            .trim();
        let issued = self.tokens.get(token).ok_or(TokenError::Invalid)?;
        if issued.serial < self.min_valid_serial || issued.expires_at <= now {
            return Err(TokenError::Expired);
        }
        Ok(&issued.scopes)
    }
}

/// The parsed token request.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub audience: Option<String>,
}

/// Parses a JSON or form-encoded body (content type decides; JSON is tried first when absent).
pub(crate) fn parse_request(content_type: Option<&str>, body: &[u8]) -> Option<TokenRequest> {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let from_json = || -> Option<TokenRequest> {
        let v: Value = serde_json::from_slice(body).ok()?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        v.is_object().then(|| TokenRequest {
            grant_type: s("grant_type"),
            client_id: s("client_id"),
            client_secret: s("client_secret"),
            audience: s("audience"),
        })
    };
    let from_form = || -> Option<TokenRequest> {
        let mut r = TokenRequest::default();
        for (k, v) in url::form_urlencoded::parse(body) {
            let v = Some(v.into_owned());
            match k.as_ref() {
                "grant_type" => r.grant_type = v,
                "client_id" => r.client_id = v,
                "client_secret" => r.client_secret = v,
                "audience" => r.audience = v,
                _ => {}
            }
        }
        Some(r)
    };
    if ct.starts_with("application/x-www-form-urlencoded") {
        from_form()
    } else if ct.starts_with("application/json") {
        from_json()
    } else {
        from_json().or_else(from_form)
    }
}

fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

/// What the token endpoint needs to know about the tenant.
pub(crate) struct TokenPolicy<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub audience: &'a str,
    pub scopes: &'a [String],
    pub ttl_secs: u64,
}

/// Validates a token request; on success issues a token through `store`.
pub(crate) fn exchange(
    policy: &TokenPolicy<'_>,
    request: Option<TokenRequest>,
    store: &mut TokenStore,
    now: Instant,
) -> (Reply, bool) {
    let Some(req) = request else {
        return (
            oauth_error(400, "invalid_request", "Unable to parse the request body"),
            false,
        );
    };
    match req.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(other) => {
            return (
                oauth_error(
                    403,
                    "unsupported_grant_type",
                    &format!("Unsupported grant type: {other}"),
                ),
                false,
            );
        }
        None => {
            return (
                oauth_error(
                    400,
                    "invalid_request",
                    "Missing required parameter: grant_type",
                ),
                false,
            );
        }
    }
    if req.client_id.as_deref() != Some(policy.client_id)
        || req.client_secret.as_deref() != Some(policy.client_secret)
    {
        return (oauth_error(401, "access_denied", "Unauthorized"), false);
    }
    let audience = req.audience.unwrap_or_default();
    if audience != policy.audience {
        return (
            oauth_error(
                403,
                "access_denied",
                &format!(
                    "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"
                ),
            ),
            false,
        );
    }
    let ttl = policy.ttl_secs.min(10 * 365 * 86_400);
    let token = store.issue(Duration::from_secs(ttl), policy.scopes, now);
    (
        Reply::json(
            200,
            &json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": ttl,
                "scope": policy.scopes.join(" "),
            }),
        ),
        true,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parse_both_encodings() {
        let j = parse_request(
            Some("application/json"),
            br#"{"grant_type":"client_credentials","client_id":"a","client_secret":"b","audience":"c"}"#,
        )
        .unwrap();
        let f = parse_request(
            Some("application/x-www-form-urlencoded"),
            b"grant_type=client_credentials&client_id=a&client_secret=b&audience=c",
        )
        .unwrap();
        assert_eq!(j, f);
        assert!(parse_request(Some("application/json"), b"not json").is_none());
    }

    #[test]
    fn token_lifecycle() {
        let now = Instant::now();
        let mut s = TokenStore::new(1);
        let scopes = vec!["read:logs".to_string()];
        let policy = TokenPolicy {
            client_id: "a",
            client_secret: "b",
            audience: "http://x/api/v2/",
            scopes: &scopes,
            ttl_secs: 10,
        };
        let req = |secret: &str, aud: &str| TokenRequest {
            grant_type: Some("client_credentials".into()),
            client_id: Some("a".into()),
            client_secret: Some(secret.into()),
            audience: Some(aud.into()),
        };
        assert_eq!(
            exchange(&policy, Some(req("bad", "http://x/api/v2/")), &mut s, now)
                .0
                .status,
            401
        );
        assert_eq!(
            exchange(&policy, Some(req("b", "http://y/")), &mut s, now)
                .0
                .status,
            403
        );
        let (reply, ok) = exchange(&policy, Some(req("b", "http://x/api/v2/")), &mut s, now);
        assert!(ok);
        let v: Value = serde_json::from_slice(&reply.body).unwrap();
        let tok = v["access_token"].as_str().unwrap().to_string();
        assert!(tok.starts_with("sim_at_"));
        let bearer = format!("Bearer {tok}");
        assert!(s.check(Some(&bearer), now).is_ok());
        assert_eq!(
            s.check(Some(&bearer), now + Duration::from_secs(11)),
            Err(TokenError::Expired)
        );
        assert_eq!(s.check(Some("Bearer nope"), now), Err(TokenError::Invalid));
        assert_eq!(s.check(None, now), Err(TokenError::Missing));
        s.expire_all();
        assert_eq!(s.check(Some(&bearer), now), Err(TokenError::Expired));
    }
}
