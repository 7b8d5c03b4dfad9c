//! `fetch-only`: the physical limit of a log export, the least any client must
//! do: one token, then checkpoint pages (`from`, `take=100`) from the oldest event
//! to the end, following the Link header. Bodies are counted, not parsed, and
//! discarded; there is no sink, no state and no pacing beyond honouring 429.

use std::time::{Duration, Instant};

use auth0_audit_component::api::{link, query};
use auth0_audit_component::endpoint::parse_tenant_domain;
use auth0_audit_component::event::log_id_cmp;

use crate::ports::agent;
use crate::{Env, Outcome};

const TAKE: &str = "100";
/// Waits on 429 in a row before giving up.
const MAX_429_IN_A_ROW: u32 = 60;

/// Top-level objects of a JSON array: `{` at depth 1, outside strings. Cheap
/// (one pass, no allocation) and exact for any well-formed page.
pub fn count_events(body: &[u8]) -> u64 {
    let (mut depth, mut in_string, mut escaped, mut count) = (0u32, false, false, 0u64);
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                if b == b'{' && depth == 1 {
                    count += 1;
                }
                depth += 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    count
}

struct Client {
    agent: ureq::Agent,
    authorization: String,
    requests: u64,
    status_429: u64,
}

impl Client {
    /// GET with the token; waits out 429s. Returns the body and the Link header.
    fn get(&mut self, url: &str) -> Result<(Vec<u8>, Option<String>), String> {
        let mut throttled = 0;
        loop {
            self.requests += 1;
            let mut response = self
                .agent
                .get(url)
                .header("authorization", &self.authorization)
                .header("accept", "application/json")
                .config()
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .call()
                .map_err(|e| format!("GET {}: {e}", path_of(url)))?;
            let status = response.status().as_u16();
            if status == 429 {
                self.status_429 += 1;
                throttled += 1;
                if throttled > MAX_429_IN_A_ROW {
                    return Err("rate limited: too many 429 in a row".into());
                }
                let wait = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(1);
                std::thread::sleep(Duration::from_secs(wait.clamp(1, 60)));
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(format!("GET {} answered {status}", path_of(url)));
            }
            let link = response
                .headers()
                .get("link")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = response
                .body_mut()
                .with_config()
                .limit(64 * 1024 * 1024)
                .read_to_vec()
                .map_err(|e| format!("reading {}: {e}", path_of(url)))?;
            return Ok((body, link));
        }
    }
}

/// The path of a URL without its query, for error messages.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split('?').next().unwrap_or(path)
}

fn token(agent: &ureq::Agent, base: &str, env: &Env) -> Result<String, String> {
    let audience = env
        .audience
        .clone()
        .unwrap_or_else(|| format!("{base}/api/v2/"));
    let body = serde_json::json!({
        "grant_type": "client_credentials",
        "client_id": env.client_id,
        "client_secret": env.client_secret,
        "audience": audience,
    })
    .to_string();
    let mut response = agent
        .post(format!("{base}/oauth/token"))
        .header("content-type", "application/json")
        .config()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .send(body.as_bytes())
        .map_err(|e| format!("POST /oauth/token: {e}"))?;
    let status = response.status().as_u16();
    if status != 200 {
        // The body is not shown: a server may echo the credentials.
        return Err(format!("POST /oauth/token answered {status}"));
    }
    let body = response
        .body_mut()
        .read_to_vec()
        .map_err(|e| format!("reading the token response: {e}"))?;
    let parsed: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| "the token response is not JSON")?;
    parsed["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "the token response has no access_token".into())
}

pub fn run(env: &Env) -> Result<Outcome, String> {
    let base = parse_tenant_domain("AUTH0_DOMAIN", &env.domain)
        .map_err(|e| e.to_string())?
        .base_url();
    let started = Instant::now();
    let agent = agent();
    let authorization = format!("Bearer {}", token(&agent, &base, env)?);
    let mut client = Client {
        agent,
        authorization,
        requests: 1,
        status_429: 0,
    };
    // The oldest event: the smallest log_id among the 100 oldest by date (as the
    // component starts); it counts, and checkpoint paging starts after it.
    let search = format!(
        "{base}{}",
        query::build(
            "/api/v2/logs",
            &[("sort", "date:1"), ("per_page", "100"), ("page", "0")]
        )
    );
    let (body, _) = client.get(&search)?;
    let page: Vec<serde_json::Value> =
        serde_json::from_slice(&body).map_err(|_| "the search page is not a JSON array")?;
    let oldest = page
        .iter()
        .filter_map(|e| e["log_id"].as_str())
        .min_by(|a, b| log_id_cmp(a, b))
        .map(str::to_string);
    let mut events = 0;
    if let Some(oldest) = oldest {
        events += 1;
        let mut url = format!(
            "{base}{}",
            query::build("/api/v2/logs", &[("from", &oldest), ("take", TAKE)])
        );
        loop {
            let (body, link) = client.get(&url)?;
            let n = count_events(&body);
            if n == 0 {
                break;
            }
            events += n;
            url = link
                .as_deref()
                .and_then(link::next_url)
                .ok_or("a non-empty page came without a Link rel=\"next\" header")?
                .to_string();
        }
    }
    Ok(Outcome {
        contender: "physical-limit",
        events,
        requests: client.requests,
        status_429: client.status_429,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_top_level_objects_only() {
        assert_eq!(count_events(b"[]"), 0);
        assert_eq!(
            count_events(br#"[{"a":{"b":[{"c":1}]},"s":"{[\"}"},{"x":"\\"},{}]"#),
            3
        );
    }

    #[test]
    fn path_of_hides_the_query() {
        assert_eq!(
            path_of("http://127.0.0.1:1/api/v2/logs?from=1"),
            "/api/v2/logs"
        );
        assert_eq!(path_of("https://acme.auth0.com"), "/");
    }
}
