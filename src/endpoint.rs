//! Strict parsing of the URLs and host names a user gives. Anything unusual is
//! rejected with the field's name: a typo must not send logs or secrets elsewhere.

use crate::error::Error;
use crate::ports::Origin;

const MAX_URL_LEN: usize = 2048;

/// A parsed `scheme://authority/path?query` with no user info and no fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub origin: Origin,
    /// Starts with `/`.
    pub path_and_query: String,
}

/// True for the addresses a plain-`http://` URL may use: the local machine only.
pub fn is_loopback(host: &str) -> bool {
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    parse_ipv4(host).is_some_and(|octets| octets[0] == 127)
}

fn parse_ipv4(host: &str) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = host.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if part.len() > 1 && part.starts_with('0') {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then_some(octets)
}

/// A DNS host name: ASCII letters, digits and hyphens in dot-separated labels.
pub fn is_dns_name(host: &str) -> bool {
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }) && !host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn split_host_port(field: &str, authority: &str) -> Result<(String, Option<u16>), Error> {
    if authority.contains('@') {
        return Err(Error::config(field, "user info (user@host) is not allowed"));
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| Error::config(field, "unterminated IPv6 literal"))?;
        let host = format!("[{}]", &rest[..end]);
        let after = &rest[end + 1..];
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => {
                return Err(Error::config(
                    field,
                    "unexpected text after the IPv6 literal",
                ));
            }
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            let valid = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
            match p.parse::<u32>() {
                Ok(n) if valid && (1..=65535).contains(&n) => Some(n as u16),
                _ => {
                    return Err(Error::config(
                        field,
                        "port must be a number from 1 to 65535",
                    ));
                }
            }
        }
    };
    Ok((host.to_ascii_lowercase(), port))
}

fn check_text(field: &str, input: &str) -> Result<(), Error> {
    if input.is_empty() {
        return Err(Error::config(field, "must not be empty"));
    }
    if input.len() > MAX_URL_LEN {
        return Err(Error::config(
            field,
            format!("longer than {MAX_URL_LEN} bytes"),
        ));
    }
    if !input.is_ascii() {
        return Err(Error::config(
            field,
            "must be ASCII (write international names in punycode, xn--...)",
        ));
    }
    if input.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(Error::config(
            field,
            "must not contain spaces or control characters",
        ));
    }
    Ok(())
}

/// Parses a full URL. `http://` is accepted only for loopback hosts.
pub fn parse_url(field: &str, input: &str) -> Result<Endpoint, Error> {
    check_text(field, input)?;
    let (https, rest) = if let Some(rest) = input.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = input.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(Error::config(
            field,
            "must start with https:// (or http:// to a loopback address)",
        ));
    };
    if input.contains('#') {
        return Err(Error::config(field, "must not contain a fragment (#)"));
    }
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let (host, port) = split_host_port(field, authority)?;
    let host_ok = is_dns_name(&host)
        || parse_ipv4(&host).is_some()
        || (host.starts_with('[')
            && host.ends_with(']')
            && host.len() > 2
            && host[1..host.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'));
    if !host_ok {
        return Err(Error::config(
            field,
            "host is not a valid host name or IP address",
        ));
    }
    if !https && !is_loopback(&host) {
        return Err(Error::config(
            field,
            "plain http:// is only allowed to a loopback address (127.0.0.1, localhost, [::1]); use https://",
        ));
    }
    let path_and_query = if tail.is_empty() {
        "/".to_string()
    } else if tail.starts_with('?') {
        format!("/{tail}")
    } else {
        tail.to_string()
    };
    if path_and_query.contains("/../") || path_and_query.ends_with("/..") {
        return Err(Error::config(field, "path must not contain '..' segments"));
    }
    Ok(Endpoint {
        origin: Origin { https, host, port },
        path_and_query,
    })
}

/// Parses the tenant domain: a host name such as `acme.eu.auth0.com` (an
/// `https://` prefix and one trailing `/` are tolerated), or `http://127.0.0.1:PORT`.
pub fn parse_tenant_domain(field: &str, input: &str) -> Result<Origin, Error> {
    check_text(field, input)?;
    let trimmed = input.strip_suffix('/').unwrap_or(input);
    let is_url = trimmed.starts_with("http://") || trimmed.starts_with("https://");
    if !is_url && trimmed.contains("://") {
        return Err(Error::config(
            field,
            "only https:// (or http:// to loopback) is supported",
        ));
    }
    let endpoint = if is_url {
        parse_url(field, trimmed)?
    } else {
        parse_url(field, &format!("https://{trimmed}"))?
    };
    if endpoint.path_and_query != "/" {
        return Err(Error::config(
            field,
            "must be a host name only, without path or query (e.g. acme.eu.auth0.com)",
        ));
    }
    let host = &endpoint.origin.host;
    if endpoint.origin.https && !is_dns_name(host) {
        return Err(Error::config(
            field,
            "must be a host name such as acme.eu.auth0.com, not an IP address",
        ));
    }
    if endpoint.origin.https && !host.contains('.') {
        return Err(Error::config(
            field,
            "must be a fully qualified host name such as acme.eu.auth0.com",
        ));
    }
    Ok(endpoint.origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: Error) -> String {
        match e {
            Error::Config { field, .. } => field,
            other => format!("not a config error: {other}"),
        }
    }

    #[test]
    fn accepts_real_tenant_domains() {
        for d in [
            "acme.eu.auth0.com",
            "https://acme.us.auth0.com/",
            "login.example.com",
        ] {
            let o = parse_tenant_domain("tenant.domain", d);
            assert!(o.is_ok(), "{d}: {o:?}");
        }
        let o = parse_tenant_domain("tenant.domain", "http://127.0.0.1:4000").ok();
        assert_eq!(
            o.map(|o| o.base_url()),
            Some("http://127.0.0.1:4000".to_string())
        );
        let o = parse_tenant_domain("tenant.domain", "ACME.auth0.com").ok();
        assert_eq!(o.map(|o| o.host), Some("acme.auth0.com".to_string()));
    }

    #[test]
    fn rejects_hostile_tenant_domains_naming_the_field() {
        let bad = [
            "",
            " ",
            "acme.auth0.com/api",
            "acme.auth0.com?x=1",
            "user@acme.auth0.com",
            "https://user:pw@acme.auth0.com",
            "acme.auth0.com:0",
            "acme.auth0.com:70000",
            "acme.auth0.com:-1",
            "acme.auth0.com:http",
            "10.0.0.1",
            "https://192.168.1.1",
            "[::1]",
            "http://acme.auth0.com",
            "http://10.0.0.5:8080",
            "ftp://acme.auth0.com",
            "acmé.auth0.com",
            "acme\u{200b}.auth0.com",
            "acme .auth0.com",
            "acme.auth0.com\n",
            "acme..auth0.com",
            "-acme.auth0.com",
            "localhost",
            "acme.auth0.com#frag",
            "http://127.0.0.1:4000/../x",
            "http://127.0.0.1:4000/path",
            &"a".repeat(3000),
        ];
        for d in bad {
            let r = parse_tenant_domain("tenant.domain", d);
            assert!(r.is_err(), "accepted {d:?}");
            if let Err(e) = r {
                assert_eq!(field_of(e), "tenant.domain");
            }
        }
    }

    #[test]
    fn sink_urls_keep_path_and_query_and_refuse_remote_http() {
        let e = parse_url(
            "sink.url",
            "https://splunk.example.com:8088/services/collector/event?channel=1",
        );
        let e = e.ok();
        assert_eq!(e.as_ref().map(|e| e.origin.port), Some(Some(8088)));
        assert_eq!(
            e.map(|e| e.path_and_query),
            Some("/services/collector/event?channel=1".to_string())
        );
        assert!(parse_url("sink.url", "https://10.1.2.3/_bulk").is_ok());
        assert!(parse_url("sink.url", "http://localhost:9200/logs/_bulk").is_ok());
        assert!(parse_url("sink.url", "http://10.1.2.3/_bulk").is_err());
        assert!(parse_url("sink.url", "splunk.example.com").is_err());
        assert!(parse_url("sink.url", "https://").is_err());
        assert!(parse_url("sink.url", "https://a.example.com:99999/").is_err());
        assert!(parse_url("sink.url", "https://[::1/").is_err());
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("127.10.0.1"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("128.0.0.1"));
        assert!(!is_loopback("127.0.0.1.evil.com"));
        assert!(!is_loopback("0127.0.0.1"));
    }
}
