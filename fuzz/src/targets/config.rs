//! Config and id validation: records (model.rs) built with `arbitrary`, URLs
//! and ids as raw text. Each target checks the validator's promise both ways
//! where it is exact (accepted iff the rule holds) and the shape of what it
//! returns otherwise.

use std::collections::BTreeSet;

use arbitrary::Arbitrary;

use auth0_audit_component::api::clients::is_path_safe;
use auth0_audit_component::api::query;
use auth0_audit_component::audit::OrgId;
use auth0_audit_component::audit::options::{
    AuditOptions, DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, TenantAuditOptions, ValidAudit,
};
use auth0_audit_component::endpoint::{is_dns_name, is_loopback, parse_tenant_domain, parse_url};
use auth0_audit_component::error::Error;
use auth0_audit_component::event::date_ms;
use auth0_audit_component::event_types::{describe, is_well_formed};
use auth0_audit_component::model::{
    Credentials, Secret, SinkConfig, SinkFormat, StartAt, SyncOptions, TenantConfig,
};
use auth0_audit_component::ports::Origin;
use auth0_audit_component::sink::RESERVED_HEADERS;
use auth0_audit_component::sync::filter::TypeFilter;
use auth0_audit_component::sync::options::{Start, ValidSync};
use auth0_audit_component::tenant::Tenant;

use crate::inputs::{Num, Text};

/// Replaces every character of a secret that is neither whitespace nor a
/// control character by another of the same UTF-8 length: the validators'
/// verdict must not change, and nothing they return may differ.
pub fn mask(secret: &str) -> String {
    secret
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                c
            } else {
                match c.len_utf8() {
                    1 => 'x',
                    2 => 'é',
                    3 => '€',
                    _ => '𝄞',
                }
            }
        })
        .collect()
}

fn config_field(e: &Error) -> &str {
    match e {
        Error::Config { field, .. } => field,
        other => unreachable!("validation returns config errors only: {other:?}"),
    }
}

/// A host as a validated origin may hold it.
fn check_origin(origin: &Origin) {
    let host = &origin.host;
    assert!(!host.is_empty());
    assert!(host.is_ascii(), "{host:?}");
    assert!(
        !host.bytes().any(|b| b.is_ascii_uppercase()
            || b.is_ascii_whitespace()
            || b.is_ascii_control()
            || matches!(b, b'/' | b'@' | b'?' | b'#' | b'%' | b'\\')),
        "{host:?}"
    );
    assert!(origin.port != Some(0));
    if !origin.https {
        assert!(is_loopback(host), "plain http only to loopback: {host:?}");
    }
}

/// The tenant domain as a user gives it, as raw text too.
fn check_tenant_origin(origin: &Origin) {
    check_origin(origin);
    if origin.https {
        assert!(is_dns_name(&origin.host), "{origin:?}");
        assert!(origin.host.contains('.'), "{origin:?}");
    }
    assert_eq!(
        parse_tenant_domain("tenant.domain", &origin.base_url()).as_ref(),
        Ok(origin),
        "a validated domain round-trips"
    );
}

#[derive(Debug, Arbitrary)]
pub struct TenantInput {
    pub domain: Text,
    pub credentials: CredentialsInput,
    pub audience: Option<Text>,
    pub bucket: Text,
    pub cache_token: Option<bool>,
}

#[derive(Debug, Arbitrary)]
pub enum CredentialsInput {
    Client { id: Text, secret: Text },
    Token(Text),
}

impl TenantInput {
    fn config(&self, masked: bool) -> TenantConfig {
        let secret = |t: &Text| Secret::new(if masked { mask(&t.0) } else { t.0.clone() });
        TenantConfig {
            domain: self.domain.0.clone(),
            credentials: match &self.credentials {
                CredentialsInput::Client { id, secret: s } => Credentials::ClientCredentials {
                    client_id: id.0.clone(),
                    client_secret: secret(s),
                },
                CredentialsInput::Token(t) => Credentials::AccessToken(secret(t)),
            },
            audience: self.audience.as_ref().map(|a| a.0.clone()),
            bucket: self.bucket.0.clone(),
            cache_token: self.cache_token,
        }
    }
}

fn check_credential(value: &str, max: usize) {
    assert!(!value.trim().is_empty());
    assert!(value.len() <= max);
    assert!(!value.chars().any(|c| c.is_whitespace() || c.is_control()));
}

/// `Tenant::validate` (src/tenant.rs).
///
/// Properties: a validated domain is a lower-case host with no '/', '@',
/// whitespace or control character; https hosts are fully qualified DNS
/// names, plain http only loopback; it round-trips; the state key is the
/// authority; credentials are non-blank without whitespace; the secret's
/// content never changes the verdict, the error, or the Debug output.
pub fn tenant_config(input: &TenantInput) {
    let config = input.config(false);
    let result = Tenant::validate(&config);
    let masked = Tenant::validate(&input.config(true));
    match (&result, &masked) {
        (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => unreachable!("the secret's content changed the verdict: {a:?} / {b:?}"),
    }
    let tenant = match result {
        Ok(t) => t,
        Err(e) => {
            let field = config_field(&e);
            assert!(
                [
                    "tenant.domain",
                    "tenant.credentials.client-id",
                    "tenant.credentials.client-secret",
                    "tenant.credentials.access-token",
                    "tenant.audience",
                    "tenant.bucket",
                ]
                .contains(&field),
                "{field}"
            );
            return;
        }
    };
    check_tenant_origin(&tenant.origin);
    assert_eq!(
        parse_tenant_domain("tenant.domain", &config.domain).as_ref(),
        Ok(&tenant.origin)
    );
    assert_eq!(tenant.key, tenant.origin.authority());
    match &config.audience {
        None => assert_eq!(
            tenant.audience,
            format!("{}/api/v2/", tenant.origin.base_url())
        ),
        Some(a) => {
            assert_eq!(&tenant.audience, a);
            assert!(!a.trim().is_empty() && a.len() <= 1024);
            assert!(!a.chars().any(|c| c.is_control() || c == ' '));
        }
    }
    match &tenant.credentials {
        Credentials::ClientCredentials {
            client_id,
            client_secret,
        } => {
            check_credential(client_id, 256);
            check_credential(client_secret.expose(), 1024);
        }
        Credentials::AccessToken(t) => check_credential(t.expose(), 16 * 1024),
    }
    assert!(tenant.bucket.len() <= 256 && !tenant.bucket.chars().any(char::is_control));
    assert_eq!(tenant.cache_token, config.cache_token.unwrap_or(true));
}

/// URL and host-name parsing (src/endpoint.rs) on raw text.
///
/// Properties: an accepted URL has a valid host (never with '/', '@' or
/// whitespace), an ASCII path starting with '/' without fragment or '..'
/// segments, https unless the host is loopback, and round-trips; an accepted
/// tenant domain is also a fully qualified DNS name under https; `is_dns_name`
/// and `is_loopback` accept only what their rules say.
pub fn endpoint_url(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match parse_url("sink.url", input) {
        Ok(e) => {
            check_origin(&e.origin);
            let pq = &e.path_and_query;
            assert!(pq.starts_with('/'), "{pq:?}");
            assert!(pq.is_ascii());
            assert!(
                !pq.bytes()
                    .any(|b| b.is_ascii_control() || b == b' ' || b == b'#')
            );
            assert!(!pq.contains("/../") && !pq.ends_with("/.."), "{pq:?}");
            let again = format!("{}{}", e.origin.base_url(), pq);
            assert_eq!(parse_url("sink.url", &again).as_ref(), Ok(&e), "{again}");
        }
        Err(e) => assert_eq!(config_field(&e), "sink.url"),
    }
    match parse_tenant_domain("tenant.domain", input) {
        Ok(origin) => check_tenant_origin(&origin),
        Err(e) => assert_eq!(config_field(&e), "tenant.domain"),
    }
    if is_dns_name(input) {
        assert!(input.len() <= 253);
        assert!(
            input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        );
        assert!(!input.split('.').any(|l| l.is_empty() || l.len() > 63));
        assert!(!input.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    }
    if is_loopback(input) {
        let ipv4_127 = input.strip_prefix("127.").is_some_and(|rest| {
            let parts: Vec<&str> = rest.split('.').collect();
            parts.len() == 3
                && parts.iter().all(|p| {
                    !p.is_empty()
                        && p.len() <= 3
                        && p.bytes().all(|b| b.is_ascii_digit())
                        && p.parse::<u8>().is_ok()
                })
        });
        assert!(
            input == "localhost" || input == "[::1]" || ipv4_127,
            "{input:?}"
        );
    }
}

#[derive(Debug, Arbitrary)]
pub struct SyncInput {
    pub stream: Option<Text>,
    pub start: StartInput,
    pub sink_url: Text,
    pub format: u8,
    pub headers: Vec<(Text, Text)>,
    pub max_batch_bytes: Option<Num>,
    pub max_batch_events: Option<Num>,
    pub include_types: Vec<Text>,
    pub exclude_types: Vec<Text>,
    pub max_duration_ms: Option<Num>,
    pub retention_days: Option<Num>,
    pub gap_warning_seconds: Option<Num>,
    pub max_attempts: Option<Num>,
    pub request_timeout_ms: Option<Num>,
}

#[derive(Debug, Arbitrary)]
pub enum StartInput {
    Oldest,
    Now,
    Stamp(crate::inputs::Stamp),
    Text(Text),
}

const FORMATS: [SinkFormat; 4] = [
    SinkFormat::Ndjson,
    SinkFormat::LogStreams,
    SinkFormat::SplunkHec,
    SinkFormat::ElasticBulk,
];

impl SyncInput {
    fn options(&self, masked: bool) -> SyncOptions {
        SyncOptions {
            stream: self.stream.as_ref().map(|s| s.0.clone()),
            start: match &self.start {
                StartInput::Oldest => StartAt::Oldest,
                StartInput::Now => StartAt::Now,
                StartInput::Stamp(s) => StartAt::Timestamp(s.rfc3339()),
                StartInput::Text(t) => StartAt::Timestamp(t.0.clone()),
            },
            sink: SinkConfig {
                url: self.sink_url.0.clone(),
                format: FORMATS[usize::from(self.format) % FORMATS.len()],
                headers: self
                    .headers
                    .iter()
                    .map(|(n, v)| {
                        let v = if masked { mask(&v.0) } else { v.0.clone() };
                        (n.0.clone(), Secret::new(v))
                    })
                    .collect(),
                max_batch_bytes: self.max_batch_bytes.map(Num::u32),
                max_batch_events: self.max_batch_events.map(Num::u32),
            },
            include_types: self.include_types.iter().map(|t| t.0.clone()).collect(),
            exclude_types: self.exclude_types.iter().map(|t| t.0.clone()).collect(),
            max_duration_ms: self.max_duration_ms.map(Num::u64),
            retention_days: self.retention_days.map(Num::u32),
            gap_warning_seconds: self.gap_warning_seconds.map(Num::u64),
            max_attempts: self.max_attempts.map(Num::u32),
            request_timeout_ms: self.request_timeout_ms.map(Num::u32),
        }
    }
}

fn in_range<T: PartialOrd + Copy>(value: Option<T>, default: T, range: (T, T)) -> Option<T> {
    match value {
        None => Some(default),
        Some(v) if v >= range.0 && v <= range.1 => Some(v),
        Some(_) => None,
    }
}

/// `YYYY-MM-DDThh:mm:ss.mmmZ`, the only form that goes into a search query.
fn is_normalized_time(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z'
}

fn is_sync_field(field: &str) -> bool {
    let indexed = |prefix: &str| {
        field
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('['))
            .and_then(|r| r.strip_suffix(']'))
            .is_some_and(|i| i.parse::<usize>().is_ok())
    };
    [
        "stream",
        "start",
        "sink.url",
        "sink.max-batch-bytes",
        "sink.max-batch-events",
        "include-types",
        "exclude-types",
        "max-duration-ms",
        "retention-days",
        "gap-warning-seconds",
        "max-attempts",
        "request-timeout-ms",
    ]
    .contains(&field)
        || indexed("sink.headers")
        || indexed("include-types")
        || indexed("exclude-types")
}

/// `ValidSync::validate` (src/sync/options.rs) with the sink (src/sink/mod.rs)
/// and the event type filter (src/sync/filter.rs).
///
/// Properties: every numeric option is accepted exactly within its documented
/// range and defaulted when absent; a stream name is 1 to 64 of `[A-Za-z0-9_.-]`
/// and not `.`/`..`; a start time is normalised to `YYYY-MM-DDThh:mm:ss.mmmZ`
/// at the same instant; sink headers are lower-case HTTP tokens, never the
/// reserved ones, with values free of line breaks; errors name a real field;
/// header values (secrets) never change the verdict or what is returned.
pub fn sync_options(input: &SyncInput) {
    let options = input.options(false);
    let result = ValidSync::validate(&options, "acme.auth0.com");
    let masked = ValidSync::validate(&input.options(true), "acme.auth0.com");
    match (&result, &masked) {
        (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => unreachable!("a header value changed the verdict: {a:?} / {b:?}"),
    }
    let v = match result {
        Ok(v) => v,
        Err(e) => {
            let field = config_field(&e);
            assert!(is_sync_field(field), "{field}");
            return;
        }
    };
    match &options.stream {
        None => assert_eq!(v.stream, "default"),
        Some(s) => {
            assert_eq!(&v.stream, s);
            assert!((1..=64).contains(&s.len()) && s != "." && s != "..");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            );
        }
    }
    match (&options.start, &v.start) {
        (StartAt::Oldest, Start::Oldest) | (StartAt::Now, Start::Now) => {}
        (StartAt::Timestamp(given), Start::Timestamp(t)) => {
            assert!(is_normalized_time(t), "{given:?} -> {t:?}");
            assert_eq!(date_ms(t), date_ms(given.trim()), "{given:?} -> {t:?}");
        }
        (a, b) => unreachable!("{a:?} became {b:?}"),
    }
    assert_eq!(
        parse_url("sink.url", &options.sink.url).as_ref(),
        Ok(&v.sink.endpoint)
    );
    check_origin(&v.sink.endpoint.origin);
    assert_eq!(v.sink.headers.len(), options.sink.headers.len());
    for (name, value) in &v.sink.headers {
        assert!(!name.is_empty() && name.len() <= 128);
        assert!(
            name.bytes()
                .all(|b| (b.is_ascii_graphic() && !b.is_ascii_uppercase())
                    && !b"\"(),/:;<=>?@[\\]{}".contains(&b)),
            "{name:?}"
        );
        assert!(!RESERVED_HEADERS.contains(&name.as_str()), "{name:?}");
        let value = value.expose();
        assert!(value.len() <= 8192);
        assert!(!value.chars().any(|c| c.is_control() && c != '\t'));
    }
    let cfg = &options.sink;
    assert_eq!(
        Some(v.sink.max_bytes as u64),
        in_range(
            cfg.max_batch_bytes.map(u64::from),
            1024 * 1024,
            (4096, 16 * 1024 * 1024)
        )
    );
    assert_eq!(
        Some(v.sink.max_events as u64),
        in_range(cfg.max_batch_events.map(u64::from), 500, (1, 10_000))
    );
    check_filter(&v.filter, &options.include_types, &options.exclude_types);
    assert_eq!(
        v.max_duration_ms,
        options
            .max_duration_ms
            .filter(|ms| (1_000..=86_400_000).contains(ms))
    );
    assert_eq!(
        options.max_duration_ms.is_some(),
        v.max_duration_ms.is_some()
    );
    assert_eq!(
        Some(v.retention_days),
        in_range(options.retention_days, 1, (1, 365))
    );
    assert_eq!(
        Some(v.gap_warning_s),
        in_range(options.gap_warning_seconds, 6 * 3600, (60, 365 * 86_400))
    );
    assert_eq!(Some(v.attempts), in_range(options.max_attempts, 6, (1, 20)));
    assert_eq!(
        Some(v.timeout_ms),
        in_range(
            options.request_timeout_ms.map(u64::from),
            30_000,
            (100, 600_000)
        )
    );
}

fn check_filter(filter: &TypeFilter, include: &[String], exclude: &[String]) {
    let (included, excluded): (BTreeSet<&String>, BTreeSet<&String>) =
        (include.iter().collect(), exclude.iter().collect());
    let unknown = include
        .iter()
        .chain(exclude)
        .filter(|c| describe(c).is_none())
        .count();
    assert_eq!(filter.warnings.len(), unknown);
    for code in included.union(&excluded) {
        assert!(is_well_formed(code));
        let expected = (include.is_empty() || included.contains(code)) && !excluded.contains(code);
        assert_eq!(filter.allows(Some(code)), expected, "{code:?}");
    }
    assert_eq!(filter.allows(None), include.is_empty());
    // A code in no list passes exactly when there is no include list.
    let stranger = "zz_not_listed_anywhere_0";
    if !include.iter().chain(exclude).any(|c| c == stranger) {
        assert_eq!(filter.allows(Some(stranger)), include.is_empty());
    }
}

#[derive(Debug, Arbitrary)]
pub struct FilterInput {
    pub include: Vec<Text>,
    pub exclude: Vec<Text>,
    /// Repeats the include list's first code this many times (over the 500 cap).
    pub pad_include: Option<u16>,
}

/// `TypeFilter::validate` (src/sync/filter.rs).
///
/// Properties: accepted iff each list has at most 500 codes, all well formed
/// (`[a-z0-9_]{1,64}`); otherwise the error names the first offending list or
/// code (include before exclude); one warning per undocumented code; `allows`
/// means "in the include list (if any) and not excluded".
pub fn event_types(input: &FilterInput) {
    let mut include: Vec<String> = input.include.iter().map(|t| t.0.clone()).collect();
    if let (Some(n), Some(first)) = (input.pad_include, include.first().cloned()) {
        include.extend(std::iter::repeat_n(first, usize::from(n % 600)));
    }
    let exclude: Vec<String> = input.exclude.iter().map(|t| t.0.clone()).collect();
    let expected_error = [("include-types", &include), ("exclude-types", &exclude)]
        .into_iter()
        .find_map(|(name, list)| {
            if list.len() > 500 {
                return Some(name.to_string());
            }
            list.iter()
                .position(|c| !is_well_formed(c))
                .map(|i| format!("{name}[{i}]"))
        });
    match TypeFilter::validate(&include, &exclude) {
        Ok(filter) => {
            assert_eq!(expected_error, None);
            check_filter(&filter, &include, &exclude);
        }
        Err(e) => assert_eq!(Some(config_field(&e)), expected_error.as_deref()),
    }
    for code in include.iter().chain(&exclude) {
        let rule = (1..=64).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        assert_eq!(is_well_formed(code), rule, "{code:?}");
    }
}

#[derive(Debug, Arbitrary)]
pub struct AuditInput {
    pub window_days: Option<Num>,
    pub log_search_fallback: bool,
    pub cross_check: Option<bool>,
    pub max_duration_ms: Option<Num>,
    pub max_attempts: Option<Num>,
    pub request_timeout_ms: Option<Num>,
    pub restart: bool,
}

/// `ValidAudit::for_org` and `for_tenant` (src/audit/options.rs).
///
/// Properties: accepted iff every option is within its range (window 1..=400
/// days, budget 1 s..=24 h, 1..=20 attempts, timeout 100 ms..=10 min), with the
/// documented defaults; the cross-check defaults to on for one organization,
/// off for the tenant; errors name the option.
pub fn audit_options(input: &AuditInput) {
    let window = input.window_days.map(Num::u32);
    let budget = input.max_duration_ms.map(Num::u64);
    let attempts = input.max_attempts.map(Num::u32);
    let timeout = input.request_timeout_ms.map(Num::u32);
    let org = AuditOptions {
        window_days: window,
        log_search_fallback: input.log_search_fallback,
        cross_check: input.cross_check,
        max_duration_ms: budget,
        max_attempts: attempts,
        request_timeout_ms: timeout,
    };
    let tenant = TenantAuditOptions {
        window_days: window,
        log_search_fallback: input.log_search_fallback,
        cross_check: input.cross_check.unwrap_or(false),
        max_duration_ms: budget,
        max_attempts: attempts,
        request_timeout_ms: timeout,
        restart: input.restart,
    };
    let expected_window = in_range(window, DEFAULT_WINDOW_DAYS, (1, MAX_WINDOW_DAYS));
    let budget_ok = budget.is_none_or(|ms| (1_000..=86_400_000).contains(&ms));
    let expected_attempts = in_range(attempts, 6, (1, 20));
    let expected_timeout = in_range(timeout.map(u64::from), 30_000, (100, 600_000));
    let expected_error = if expected_window.is_none() {
        Some("window-days")
    } else if !budget_ok {
        Some("max-duration-ms")
    } else if expected_attempts.is_none() {
        Some("max-attempts")
    } else if expected_timeout.is_none() {
        Some("request-timeout-ms")
    } else {
        None
    };
    for (result, cross_check) in [
        (ValidAudit::for_org(&org), input.cross_check.unwrap_or(true)),
        (ValidAudit::for_tenant(&tenant), tenant.cross_check),
    ] {
        match result {
            Ok(v) => {
                assert_eq!(expected_error, None);
                assert_eq!(Some(v.window_days), expected_window);
                assert_eq!(v.max_duration_ms, budget);
                assert_eq!(Some(v.attempts), expected_attempts);
                assert_eq!(Some(v.timeout_ms), expected_timeout);
                assert_eq!(v.cross_check, cross_check);
                assert_eq!(v.log_search_fallback, input.log_search_fallback);
            }
            Err(e) => assert_eq!(Some(config_field(&e)), expected_error),
        }
    }
}

/// `OrgId::parse` (src/audit/org_id.rs) on raw text.
///
/// Properties: accepted iff 1 to 64 of `[A-Za-z0-9_-]` and not a Lucene
/// operator word (AND, OR, NOT, TO in any case); an accepted id is itself,
/// needs no percent-encoding in a path, and is a path-safe client id too.
pub fn org_id(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let rule = (1..=64).contains(&input.len())
        && input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !["AND", "OR", "NOT", "TO"]
            .iter()
            .any(|w| input.eq_ignore_ascii_case(w));
    match OrgId::parse(input) {
        Ok(id) => {
            assert!(rule, "accepted {input:?}");
            assert_eq!(id.as_str(), input);
            assert_eq!(id.to_string(), input);
            assert_eq!(query::encode(id.as_str()), input);
            assert!(is_path_safe(id.as_str()));
        }
        Err(e) => {
            assert!(!rule, "refused {input:?}");
            assert_eq!(config_field(&e), "org-id");
        }
    }
}
