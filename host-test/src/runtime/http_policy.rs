//! Outgoing HTTP policy: the guest may only reach the origins the operator
//! allowed (the tenant and the sink), nothing else on the network.

use super::http_client::PooledClient;
use anyhow::Context as _;
use http_body_util::BodyExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// Scheme, host and port of a URL; what the allow-list compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// Parses `https://host[:port][/...]`, `http://...`, or a bare `host[:port]` (https).
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        let spec = spec.trim();
        let with_scheme = if spec.contains("://") {
            spec.to_string()
        } else {
            format!("https://{spec}")
        };
        let url =
            url::Url::parse(&with_scheme).with_context(|| format!("invalid origin {spec:?}"))?;
        let scheme = url.scheme().to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            anyhow::bail!("invalid origin {spec:?}: scheme must be http or https");
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .with_context(|| format!("invalid origin {spec:?}: no host"))?;
        let port = url
            .port_or_known_default()
            .with_context(|| format!("invalid origin {spec:?}: no port"))?;
        Ok(Self {
            scheme,
            host: normalise_host(host),
            port,
        })
    }

    /// The origin of an outgoing request URI; `None` without scheme or host.
    pub fn of_uri(uri: &http::Uri) -> Option<Self> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let host = normalise_host(uri.host()?);
        let port = match (uri.port_u16(), scheme.as_str()) {
            (Some(port), _) => port,
            (None, "https") => 443,
            (None, "http") => 80,
            (None, _) => return None,
        };
        Some(Self { scheme, host, port })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// Lower-case, without the brackets of an IPv6 literal, without a trailing dot.
fn normalise_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// The set of origins the guest may reach.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    origins: Vec<Origin>,
}

impl AllowList {
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> anyhow::Result<Self> {
        let origins = specs
            .iter()
            .map(|s| Origin::parse(s.as_ref()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { origins })
    }

    pub fn allows(&self, origin: &Origin) -> bool {
        self.origins.iter().any(|o| o == origin)
    }

    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }
}

/// What went out, counted for the progress line (the guest runs as one call,
/// so the host's view of its requests is the only progress there is).
#[derive(Debug, Default)]
pub struct Traffic {
    /// `GET /api/v2/logs` requests (pages asked for).
    pub log_pages: AtomicU64,
    /// POSTs other than the token exchange (sink batches).
    pub sink_posts: AtomicU64,
}

impl Traffic {
    fn count(&self, request: &http::Request<WasiBody>) {
        let path = request.uri().path();
        if request.method() == http::Method::GET && path == "/api/v2/logs" {
            self.log_pages.fetch_add(1, Ordering::Relaxed);
        } else if request.method() == http::Method::POST && path != "/oauth/token" {
            self.sink_posts.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// `WasiHttpHooks` that refuses requests outside the allow-list and forwards the rest.
#[derive(Clone)]
pub struct HttpPolicy {
    allow: Arc<AllowList>,
    traffic: Arc<Traffic>,
    client: PooledClient,
}

impl HttpPolicy {
    pub fn new(allow: Arc<AllowList>) -> anyhow::Result<Self> {
        Ok(Self {
            allow,
            traffic: Arc::default(),
            client: PooledClient::new()?,
        })
    }

    /// Counters shared by every store this policy is cloned into.
    pub fn traffic(&self) -> Arc<Traffic> {
        self.traffic.clone()
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for HttpPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> ResponseFuture {
        drop(fut);
        let origin = Origin::of_uri(request.uri());
        let allowed = origin.as_ref().is_some_and(|o| self.allow.allows(o));
        if allowed {
            self.traffic.count(&request);
        }
        let client = self.client.clone();
        Box::new(async move {
            if !allowed {
                // Name only the host: headers may carry tokens, bodies carry logs.
                let host = request.uri().host().unwrap_or("<none>").to_string();
                eprintln!("auth0-audit: refused outgoing request to {host}: origin not allowed");
                // Drain the body so the guest's writes complete and it sees the
                // refusal on the response, not a broken stream.
                let _ = request.into_body().collect().await;
                return Err(Error::HttpRequestDenied);
            }
            // The pool drives the connection itself; a failed request body
            // surfaces as the request's own error, so nothing is left to await.
            let response = client.send(request, options).await?;
            Ok((
                response,
                Box::new(async { Ok(()) }) as Box<dyn Future<Output = Result<(), Error>> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(scheme: &str, host: &str, port: u16) -> Origin {
        Origin {
            scheme: scheme.into(),
            host: host.into(),
            port,
        }
    }

    #[test]
    fn parses_origins_with_default_ports() -> anyhow::Result<()> {
        assert_eq!(
            Origin::parse("https://Acme.Auth0.com")?,
            origin("https", "acme.auth0.com", 443)
        );
        assert_eq!(
            Origin::parse("http://127.0.0.1:4000/")?,
            origin("http", "127.0.0.1", 4000)
        );
        assert_eq!(
            Origin::parse("http://localhost")?,
            origin("http", "localhost", 80)
        );
        assert_eq!(
            Origin::parse("acme.eu.auth0.com")?,
            origin("https", "acme.eu.auth0.com", 443)
        );
        assert_eq!(
            Origin::parse("https://siem.example:8088/services/collector")?,
            origin("https", "siem.example", 8088)
        );
        assert_eq!(
            Origin::parse("http://[::1]:9000")?,
            origin("http", "::1", 9000)
        );
        assert!(Origin::parse("ftp://example.com").is_err());
        assert!(Origin::parse("http://").is_err());
        Ok(())
    }

    #[test]
    fn allow_list_matches_scheme_host_and_port() -> anyhow::Result<()> {
        let allow = AllowList::parse(&["http://127.0.0.1:4000", "https://acme.auth0.com"])?;
        let check = |uri: &str| -> anyhow::Result<bool> {
            let uri: http::Uri = uri.parse()?;
            Ok(Origin::of_uri(&uri).is_some_and(|o| allow.allows(&o)))
        };
        assert!(check("http://127.0.0.1:4000/api/v2/logs?from=1")?);
        assert!(check("https://acme.auth0.com/oauth/token")?);
        assert!(check("https://ACME.auth0.com:443/")?);
        assert!(!check("http://127.0.0.1:4001/")?, "other port");
        assert!(!check("https://127.0.0.1:4000/")?, "other scheme");
        assert!(!check("http://acme.auth0.com/")?, "http instead of https");
        assert!(!check("https://evil.example/")?, "other host");
        assert!(
            !check("https://acme.auth0.com.evil.example/")?,
            "suffix trick"
        );
        Ok(())
    }

    #[tokio::test]
    async fn refuses_disallowed_origin_with_http_request_denied() -> anyhow::Result<()> {
        let allow = Arc::new(AllowList::parse(&["http://127.0.0.1:1"])?);
        let mut policy = HttpPolicy::new(allow)?;
        let body = http_body_util::Full::new(bytes::Bytes::from_static(b"secret"))
            .map_err(|never| match never {})
            .boxed_unsync();
        let request = http::Request::builder()
            .uri("https://evil.example/steal")
            .header("authorization", "Bearer secret")
            .body(body)?;
        let result =
            Box::into_pin(policy.send_request(request, None, Box::new(async { Ok(()) }))).await;
        assert!(matches!(result, Err(Error::HttpRequestDenied)));
        Ok(())
    }
}
