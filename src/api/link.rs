//! `Link` header parsing. The next URL is only trusted when it points at the
//! tenant itself: a hostile header must not send the bearer token elsewhere.

use crate::endpoint::parse_url;
use crate::ports::Origin;

/// The `rel="next"` target of a Link header, if any.
pub fn next_url(header: &str) -> Option<&str> {
    header.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        is_next.then_some(target)
    })
}

/// The next path and query, if the link points to the same origin and path.
pub fn same_origin_path(url: &str, origin: &Origin, expected_path: &str) -> Result<String, String> {
    let endpoint = parse_url("link", url)
        .map_err(|_| "the Link header's next URL is malformed".to_string())?;
    if &endpoint.origin != origin {
        return Err(format!(
            "the Link header points to another host ({}); refusing to follow it",
            endpoint.origin.host
        ));
    }
    let path = endpoint
        .path_and_query
        .split('?')
        .next()
        .unwrap_or_default();
    if path != expected_path {
        return Err("the Link header points to another path; refusing to follow it".into());
    }
    Ok(endpoint.path_and_query)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            https: true,
            host: "acme.auth0.com".into(),
            port: None,
        }
    }

    #[test]
    fn finds_next_among_several_links() {
        let h = r#"<https://acme.auth0.com/api/v2/logs?from=1&take=100>; rel="prev", <https://acme.auth0.com/api/v2/logs?from=9&take=100>; rel="next""#;
        assert_eq!(
            next_url(h),
            Some("https://acme.auth0.com/api/v2/logs?from=9&take=100")
        );
        assert_eq!(next_url("garbage"), None);
        assert_eq!(next_url("<x>; rel=\"prev\""), None);
    }

    #[test]
    fn refuses_other_hosts_and_paths() {
        let o = origin();
        assert!(
            same_origin_path(
                "https://acme.auth0.com/api/v2/logs?from=9",
                &o,
                "/api/v2/logs"
            )
            .is_ok()
        );
        assert!(
            same_origin_path(
                "https://evil.example/api/v2/logs?from=9",
                &o,
                "/api/v2/logs"
            )
            .is_err()
        );
        assert!(
            same_origin_path("https://acme.auth0.com:444/api/v2/logs", &o, "/api/v2/logs").is_err()
        );
        assert!(same_origin_path("http://acme.auth0.com/api/v2/logs", &o, "/api/v2/logs").is_err());
        assert!(
            same_origin_path("https://acme.auth0.com/api/v2/users", &o, "/api/v2/logs").is_err()
        );
    }
}
