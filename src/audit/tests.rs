//! The audit against a fake tenant. Expected answers are written out by hand.

use std::collections::{BTreeMap, BTreeSet};

use crate::audit::fixtures::{DAY_MS, FakeAudit, Log, NOW_MS, Style, grant, tenant};
use crate::audit::model::{EvidenceSource, OrgAuditReport, Route, TenantAuditReport};
use crate::audit::options::{AuditOptions, TenantAuditOptions};
use crate::audit::{OrgId, audit_org, audit_tenant};
use crate::error::Error;
use crate::event::format_ms;
use crate::keys;
use crate::ports::{Ports, Request, Response, TransportError};
use crate::sync::usage::{AudienceUsage, ClientUsage, OrgUsage};
use crate::testing::{FakeClock, FakeHttp, MemKv};

const TENANT_KEY: &str = "acme.auth0.com";

struct World<'a, F: Fn(&Request) -> Result<Response, TransportError>> {
    http: FakeHttp<F>,
    kv: MemKv,
    clock: &'a FakeClock,
}

impl<F: Fn(&Request) -> Result<Response, TransportError>> World<'_, F> {
    fn ports(&self) -> Ports<'_> {
        Ports {
            http: &self.http,
            kv: &self.kv,
            clock: self.clock,
        }
    }
    fn audit(&self, org: &str, opts: &AuditOptions) -> Result<OrgAuditReport, Error> {
        audit_org(self.ports(), &tenant(), org, opts)
    }
    fn audit_all(&self, opts: &TenantAuditOptions) -> Result<TenantAuditReport, Error> {
        audit_tenant(self.ports(), &tenant(), opts)
    }
    fn calls(&self, prefix: &str) -> usize {
        self.http.count(prefix)
    }
}

fn world<'a>(
    t: &'a FakeAudit,
    clock: &'a FakeClock,
) -> World<'a, impl Fn(&Request) -> Result<Response, TransportError> + 'a> {
    World {
        http: FakeHttp::new(move |r| t.handle(r, clock)),
        kv: MemKv::default(),
        clock,
    }
}

fn no_cross_check() -> AuditOptions {
    AuditOptions {
        cross_check: Some(false),
        ..AuditOptions::default()
    }
}

fn codes(r: &OrgAuditReport) -> BTreeSet<(String, String, Option<String>)> {
    r.findings
        .iter()
        .map(|f| (f.code.clone(), f.client_id.clone(), f.audience.clone()))
        .collect()
}

fn f(code: &str, client: &str, aud: Option<&str>) -> (String, String, Option<String>) {
    (code.into(), client.into(), aud.map(str::to_string))
}

fn day(offset_days: i64) -> String {
    format_ms(NOW_MS - offset_days * DAY_MS)
}

/// A sync-logs usage record: (client, audience, tokens, failures, scopes, days ago).
type UsageRow<'a> = (&'a str, &'a str, u64, u64, &'a [&'a str], i64);

fn store_usage(kv: &MemKv, org: &str, rows: &[UsageRow]) {
    let mut record = OrgUsage::default();
    for (client, aud, tokens, failures, scopes, ago) in rows {
        let c = record
            .clients
            .entry(client.to_string())
            .or_insert_with(ClientUsage::default);
        let seen = day(*ago);
        c.tokens += tokens;
        c.failures += failures;
        c.first_seen = Some(
            c.first_seen
                .clone()
                .map_or(seen.clone(), |f| f.min(seen.clone())),
        );
        c.last_seen = Some(
            c.last_seen
                .clone()
                .map_or(seen.clone(), |l| l.max(seen.clone())),
        );
        let d = c.days.entry(seen[..10].to_string()).or_default();
        d[0] += tokens;
        d[1] += failures;
        let a = c
            .audiences
            .entry(aud.to_string())
            .or_insert_with(AudienceUsage::default);
        a.tokens += tokens;
        a.failures += failures;
        a.first_seen = Some(seen.clone());
        a.last_seen = Some(seen.clone());
        a.scopes.extend(scopes.iter().map(|s| s.to_string()));
    }
    use crate::ports::KeyValue;
    kv.set(
        &keys::org_usage(TENANT_KEY, org),
        &serde_json::to_vec(&record).unwrap(),
    )
    .unwrap();
}

#[test]
fn hostile_org_ids_are_rejected_before_any_request() {
    let t = FakeAudit::default();
    let clock = FakeClock::new(NOW_MS);
    let w = world(&t, &clock);
    let long = "a".repeat(65);
    let hostile = [
        "",
        "../",
        "../org_1",
        "org_1/..",
        "%2F",
        "org%2Fx",
        "org 1",
        " org_1",
        "org_1\n",
        "org\r\n1",
        "\"org_1\"",
        "org'1",
        "org_1 OR type:s",
        "OR",
        "or",
        "AND",
        "NOT",
        "TO",
        "org_*",
        "*",
        "org:1",
        ":",
        "org_1\"",
        "org\u{0}1",
        "örg_1",
        "org_１",
        "org.1",
        "org/1",
        "org\\1",
        "(org)",
        long.as_str(),
    ];
    for id in hostile {
        match w.audit(id, &AuditOptions::default()) {
            Err(Error::Config { field, .. }) => assert_eq!(field, "org-id", "{id:?}"),
            other => panic!("{id:?} was accepted: {other:?}"),
        }
    }
    assert!(
        w.http.requests.borrow().is_empty(),
        "nothing reached the network"
    );
    assert!(w.kv.keys().is_empty());
    assert!(OrgId::parse("org_AbC-09").is_ok());
    assert!(OrgId::parse(&"a".repeat(64)).is_ok());
    assert!(
        OrgId::parse("ORG_x").is_ok(),
        "operator words only when alone"
    );
}

#[test]
fn an_unknown_organization_is_not_found_and_saves_nothing() {
    let t = FakeAudit::default();
    let clock = FakeClock::new(NOW_MS);
    let w = world(&t, &clock);
    assert_eq!(
        w.audit("org_missing", &AuditOptions::default()),
        Err(Error::NotFound("organization org_missing".into()))
    );
    assert_eq!(w.http.requests.borrow().len(), 1);
    assert!(w.kv.keys().is_empty());
}

#[test]
fn direct_grant_pagination_uses_the_minimum_of_calls() {
    // calls = 1 (organization) + D (direct pages) + 1 (any-org, empty) + names
    // where names = 1 per-id GET when there is a grant (one client), else 0, and
    //   D with the include_totals envelope = max(1, ceil(n/100)), at most 10;
    //   D with plain arrays              = floor(n/100) + 1, at most 10
    //   (a full page cannot tell whether another follows).
    // (n, D envelope, capped envelope, D array, capped array)
    let cases = [
        (0usize, 1usize, false, 1usize, false),
        (1, 1, false, 1, false),
        (100, 1, false, 2, false),
        (101, 2, false, 2, false),
        (1000, 10, false, 10, true),
        (1001, 10, true, 10, true),
    ];
    for (n, d_env, cap_env, d_arr, cap_arr) in cases {
        for (shape, d, capped) in [
            (Style::Envelope, d_env, cap_env),
            (Style::Array, d_arr, cap_arr),
        ] {
            let t = FakeAudit::default();
            t.add_org("org_big", "big");
            t.add_client("cli_m2m", "Batch", "non_interactive");
            t.direct_shape.set(shape);
            t.direct.borrow_mut().insert(
                "org_big".into(),
                (0..n)
                    .map(|i| {
                        grant(
                            &format!("cgr_{i}"),
                            "cli_m2m",
                            &format!("https://api/{i}"),
                            &["read"],
                        )
                    })
                    .collect(),
            );
            let clock = FakeClock::new(NOW_MS);
            let w = world(&t, &clock);
            let r = w.audit("org_big", &no_cross_check()).unwrap();
            let names = usize::from(n > 0);
            let expected = 1 + d + 1 + names;
            let label = format!("n={n} shape={shape:?}");
            assert_eq!(
                w.calls("/api/v2/organizations/org_big/client-grants"),
                d,
                "{label}"
            );
            assert_eq!(r.api_requests as usize, expected, "{label}");
            assert_eq!(w.http.requests.borrow().len(), expected, "{label}");
            assert_eq!(r.summary.direct_grants as usize, n.min(1000), "{label}");
            assert_eq!(
                r.warnings.iter().any(|w| w.code == "direct-grants-capped"),
                capped,
                "{label}"
            );
        }
    }
}

#[test]
fn any_organization_grants_follow_every_paging_style() {
    // 250 any-org grants: 3 calls in each style (100 + 100 + 50; the short page ends it).
    for style in [Style::Checkpoint, Style::Envelope, Style::Array] {
        let t = FakeAudit::default();
        t.add_org("org_a", "a");
        t.add_client("cli_any", "Reporting", "non_interactive");
        t.any_style.set(style);
        *t.any.borrow_mut() = (0..250)
            .map(|i| {
                let mut g = grant(
                    &format!("cgr_any{i}"),
                    "cli_any",
                    &format!("https://api/{i}"),
                    &["read"],
                );
                g.any = true;
                g
            })
            .collect();
        let clock = FakeClock::new(NOW_MS);
        let w = world(&t, &clock);
        let r = w.audit("org_a", &no_cross_check()).unwrap();
        assert_eq!(w.calls("/api/v2/client-grants"), 3, "{style:?}");
        assert_eq!(r.summary.any_organization_grants, 250, "{style:?}");
        let app = &r.applications[0];
        assert_eq!(app.client_id, "cli_any");
        assert_eq!(app.name.as_deref(), Some("Reporting"));
        assert!(app.access.iter().all(|a| a.route == Route::AnyOrganization));
        assert_eq!(
            r.findings
                .iter()
                .filter(|f| f.code == "any-organization-access")
                .count(),
            250
        );
    }
}

/// The organization of the findings test: one application per finding kind.
fn rich_tenant() -> FakeAudit {
    let t = FakeAudit::default();
    t.add_org("org_rich", "rich");
    for (id, name, ty) in [
        ("cli_direct", "Billing sync", "non_interactive"),
        ("cli_unused", "Old exporter", "non_interactive"),
        ("cli_any", "Reporting", "non_interactive"),
        ("cli_spa", "Dashboard", "spa"),
        ("cli_deny", "Denied tool", "non_interactive"),
        ("cli_revoked", "Former partner", "non_interactive"),
    ] {
        t.add_client(id, name, ty);
    }
    let mut deny = grant("cgr_deny", "cli_deny", "https://api2", &["read"]);
    deny.organization_usage = Some("deny".into());
    t.direct.borrow_mut().insert(
        "org_rich".into(),
        vec![
            grant(
                "cgr_direct",
                "cli_direct",
                "https://api1",
                &["read", "write"],
            ),
            grant("cgr_unused", "cli_unused", "https://api2", &["read"]),
            grant("cgr_spa", "cli_spa", "https://api3", &["a", "b"]),
            deny,
        ],
    );
    let mut any = grant("cgr_any", "cli_any", "https://api1", &["read"]);
    any.any = true;
    t.any.borrow_mut().push(any);
    // The search index lags: it still lists the revoked client and not yet cli_spa.
    t.search.borrow_mut().insert(
        "org_rich".into(),
        vec![
            "cli_direct".into(),
            "cli_unused".into(),
            "cli_deny".into(),
            "cli_revoked".into(),
        ],
    );
    t
}

fn rich_usage(kv: &MemKv) {
    store_usage(
        kv,
        "org_rich",
        &[
            ("cli_direct", "https://api1", 40, 0, &["read"], 1),
            ("cli_direct", "https://api1", 0, 3, &[], 2),
            ("cli_any", "https://api1", 7, 0, &["read"], 3),
            ("cli_spa", "https://api3", 2, 0, &["a", "b"], 4),
            ("cli_revoked", "https://api1", 5, 0, &["read"], 5),
        ],
    );
}

#[test]
fn every_finding_code_is_produced_where_the_data_has_it() {
    let t = rich_tenant();
    let clock = FakeClock::new(NOW_MS);
    let w = world(&t, &clock);
    rich_usage(&w.kv);
    let r = w.audit("org_rich", &AuditOptions::default()).unwrap();
    let expected: BTreeSet<_> = [
        f("usage-without-grant", "cli_revoked", Some("https://api1")),
        f("any-organization-access", "cli_any", Some("https://api1")),
        f("failed-token-requests", "cli_direct", None),
        f("not-machine-to-machine", "cli_spa", None),
        f("unused-grant", "cli_unused", Some("https://api2")),
        f("unused-scopes", "cli_direct", Some("https://api1")),
        f("organization-usage-deny", "cli_deny", Some("https://api2")),
        f("search-mismatch", "cli_revoked", None),
        f("search-mismatch", "cli_spa", None),
    ]
    .into_iter()
    .collect();
    assert_eq!(codes(&r), expected);
    assert_eq!(r.findings.len(), expected.len());
    assert_eq!(r.findings[0].code, "usage-without-grant", "high first");
    assert_eq!(
        (
            r.summary.high,
            r.summary.medium,
            r.summary.low,
            r.summary.info
        ),
        (1, 3, 3, 2)
    );
    assert!(
        r.findings
            .iter()
            .all(|f| !f.message.is_empty() && !f.message.contains('\n'))
    );
    let unused = r
        .findings
        .iter()
        .find(|f| f.code == "unused-scopes")
        .unwrap();
    assert!(unused.message.contains("[write]"), "{}", unused.message);
    // Report contents.
    assert_eq!(r.organization.id, "org_rich");
    assert_eq!(r.organization.display_name.as_deref(), Some("RICH"));
    let ids: Vec<&str> = r
        .applications
        .iter()
        .map(|a| a.client_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "cli_any",
            "cli_deny",
            "cli_direct",
            "cli_revoked",
            "cli_spa",
            "cli_unused"
        ]
    );
    let direct = r
        .applications
        .iter()
        .find(|a| a.client_id == "cli_direct")
        .unwrap();
    assert_eq!((direct.usage.tokens, direct.usage.failures), (40, 3));
    assert_eq!(direct.access[0].scopes, ["read", "write"]);
    assert_eq!(direct.access[0].route, Route::Direct);
    assert_eq!(r.summary.tokens_in_window, 40 + 7 + 2 + 5);
    assert_eq!(r.evidence.source, EvidenceSource::SyncLogs);
    // Calls: org 1 + direct 1 + any-org 1 + search 1 + names 2 (the search named all
    // but cli_any and cli_spa: 2 unknown ids, so 2 per-id GETs) = 6.
    assert_eq!(r.api_requests, 6);
    assert_eq!(w.calls("/api/v2/clients/"), 2);
    assert!(
        w.kv.keys()
            .contains(&keys::audit_snapshot(TENANT_KEY, "org_rich"))
    );
}

#[test]
fn change_findings_report_exactly_what_changed_between_two_audits() {
    let t = rich_tenant();
    let clock = FakeClock::new(NOW_MS);
    let w = world(&t, &clock);
    rich_usage(&w.kv);
    let first = w.audit("org_rich", &AuditOptions::default()).unwrap();
    assert!(first.previous_audit_at.is_none());
    assert!(
        !first
            .findings
            .iter()
            .any(|f| f.code.starts_with("grant-") || f.code.starts_with("scopes-"))
    );
    {
        let mut direct = t.direct.borrow_mut();
        let grants = direct.get_mut("org_rich").unwrap();
        grants.retain(|g| g.id != "cgr_unused");
        grants.push(grant("cgr_new", "cli_new", "https://api1", &["read"]));
        for g in grants.iter_mut() {
            if g.id == "cgr_direct" {
                g.scope.push("admin".into());
            }
            if g.id == "cgr_spa" {
                g.scope = vec!["a".into()];
            }
        }
    }
    clock.advance(3_600_000);
    let second = w.audit("org_rich", &AuditOptions::default()).unwrap();
    assert_eq!(
        second.previous_audit_at.as_deref(),
        Some(first.audited_at.as_str())
    );
    let changes: BTreeSet<_> = codes(&second)
        .into_iter()
        .filter(|(c, _, _)| c.starts_with("grant-") || c.starts_with("scopes-"))
        .collect();
    let expected: BTreeSet<_> = [
        f("grant-added", "cli_new", Some("https://api1")),
        f("grant-removed", "cli_unused", Some("https://api2")),
        f("scopes-widened", "cli_direct", Some("https://api1")),
        f("scopes-narrowed", "cli_spa", Some("https://api3")),
    ]
    .into_iter()
    .collect();
    assert_eq!(changes, expected);
    let widened = second
        .findings
        .iter()
        .find(|f| f.code == "scopes-widened")
        .unwrap();
    assert!(widened.message.contains("[admin]"), "{}", widened.message);
    // Nothing changed since: no change findings.
    let third = w.audit("org_rich", &AuditOptions::default()).unwrap();
    assert!(
        !third
            .findings
            .iter()
            .any(|f| f.code.starts_with("grant-") || f.code.starts_with("scopes-"))
    );
}

#[test]
fn evidence_counts_only_the_window_and_says_where_it_comes_from() {
    let t = FakeAudit::default();
    t.add_org("org_w", "w");
    t.add_client("cli_a", "A", "non_interactive");
    t.direct.borrow_mut().insert(
        "org_w".into(),
        vec![grant("cgr_a", "cli_a", "https://old", &["read"])],
    );
    let clock = FakeClock::new(NOW_MS);
    let w = world(&t, &clock);
    let opts = AuditOptions {
        window_days: Some(7),
        ..no_cross_check()
    };
    // Without any record: source none, and no usage findings.
    let r = w.audit("org_w", &opts).unwrap();
    assert_eq!(r.evidence.source, EvidenceSource::None);
    assert!(r.warnings.iter().any(|w| w.code == "no-usage-evidence"));
    assert!(!r.findings.iter().any(|f| f.code == "unused-grant"));
    // 3 tokens 2 days ago (in), 5 tokens + 1 failure 10 days ago (out of a 7-day window).
    store_usage(
        &w.kv,
        "org_w",
        &[
            ("cli_a", "https://new", 3, 0, &["read"], 2),
            ("cli_a", "https://old", 5, 1, &["read"], 10),
        ],
    );
    let r = w.audit("org_w", &opts).unwrap();
    assert_eq!(r.evidence.source, EvidenceSource::SyncLogs);
    assert_eq!(r.evidence.window_days, 7);
    assert_eq!(r.evidence.window_start, format_ms(NOW_MS - 7 * DAY_MS));
    assert_eq!(r.evidence.window_end, format_ms(NOW_MS));
    let app = &r.applications[0];
    assert_eq!((app.usage.tokens, app.usage.failures), (3, 0));
    let auds: Vec<&str> = app
        .usage
        .audiences
        .iter()
        .map(|a| a.audience.as_str())
        .collect();
    assert_eq!(
        auds,
        ["https://new"],
        "an audience last seen before the window is left out"
    );
    let got = codes(&r);
    assert!(got.contains(&f("unused-grant", "cli_a", Some("https://old"))));
    assert!(got.contains(&f("usage-without-grant", "cli_a", Some("https://new"))));
    // A 30-day window sees both.
    let r = w.audit("org_w", &no_cross_check()).unwrap();
    assert_eq!(
        (
            r.applications[0].usage.tokens,
            r.applications[0].usage.failures
        ),
        (8, 1)
    );
}

#[test]
fn log_search_fallback_counts_events_and_flags_the_cap() {
    let t = FakeAudit::default();
    t.add_org("org_l", "l");
    t.add_org("org_s", "s");
    t.add_client("cli_a", "A", "non_interactive");
    t.direct.borrow_mut().insert(
        "org_s".into(),
        vec![grant("cgr_a", "cli_a", "https://api", &["read", "write"])],
    );
    {
        let mut logs = t.logs.borrow_mut();
        for i in 0..1050 {
            logs.push(Log {
                date_ms: NOW_MS - 1000 * (i + 1),
                kind: "seccft",
                org: "org_l".into(),
                client: "cli_a".into(),
                audience: "https://api".into(),
                scope: "read".into(),
            });
        }
        for (i, kind) in ["seccft", "seccft", "feccft"].into_iter().enumerate() {
            logs.push(Log {
                date_ms: NOW_MS - DAY_MS * (i as i64 + 1),
                kind,
                org: "org_s".into(),
                client: "cli_a".into(),
                audience: "https://api".into(),
                scope: "read".into(),
            });
        }
    }
    let clock = FakeClock::new(NOW_MS);
    let w = world(&t, &clock);
    let opts = AuditOptions {
        log_search_fallback: true,
        ..no_cross_check()
    };
    let r = w.audit("org_l", &opts).unwrap();
    assert_eq!(r.evidence.source, EvidenceSource::LogSearch);
    assert!(r.evidence.capped);
    assert_eq!(r.evidence.events_read, 1000);
    assert_eq!(
        w.calls("/api/v2/logs"),
        10,
        "ten full pages, no eleventh request"
    );
    assert!(r.warnings.iter().any(|w| w.code == "log-search-capped"));
    assert_eq!(r.applications[0].usage.tokens, 1000);
    // Small organization: one page, not capped; 2 tokens, 1 failure.
    let r = w.audit("org_s", &opts).unwrap();
    assert_eq!(r.evidence.source, EvidenceSource::LogSearch);
    assert!(!r.evidence.capped);
    assert_eq!(r.evidence.events_read, 3);
    assert_eq!(
        (
            r.applications[0].usage.tokens,
            r.applications[0].usage.failures
        ),
        (2, 1)
    );
    let got = codes(&r);
    assert!(got.contains(&f("unused-scopes", "cli_a", Some("https://api"))));
    assert!(got.contains(&f("failed-token-requests", "cli_a", None)));
    // With aggregates present, no log search happens.
    let before = w.calls("/api/v2/logs");
    store_usage(
        &w.kv,
        "org_s",
        &[("cli_a", "https://api", 1, 0, &["read"], 1)],
    );
    let r = w.audit("org_s", &opts).unwrap();
    assert_eq!(r.evidence.source, EvidenceSource::SyncLogs);
    assert_eq!(w.calls("/api/v2/logs"), before);
}

fn big_tenant(orgs: usize) -> FakeAudit {
    let t = FakeAudit::default();
    t.add_client("cli_shared", "Shared", "non_interactive");
    t.add_client("cli_any", "Everywhere", "non_interactive");
    for i in 0..orgs {
        let id = format!("org_{i:04}");
        t.add_org(&id, &format!("Org {i}"));
        t.direct.borrow_mut().insert(
            id,
            vec![grant(
                &format!("cgr_{i}"),
                "cli_shared",
                "https://api",
                &["read"],
            )],
        );
    }
    let mut any = grant("cgr_any", "cli_any", "https://api", &["read", "write"]);
    any.any = true;
    t.any.borrow_mut().push(any);
    t
}

#[test]
fn tenant_audit_in_one_call_uses_the_documented_number_of_calls() {
    let t = big_tenant(250);
    let clock = FakeClock::new(NOW_MS);
    let w = world(&t, &clock);
    store_usage(
        &w.kv,
        "org_0003",
        &[("cli_any", "https://api", 4, 0, &["read"], 1)],
    );
    let r = w.audit_all(&TenantAuditOptions::default()).unwrap();
    assert!(r.complete);
    // 1 any-org page + 1 name (cli_any) + 3 organization pages + 250 direct-grant
    // listings + 1 name (cli_shared, first organization) = 256.
    assert_eq!(r.api_requests, 256);
    assert_eq!(r.organizations.len(), 250);
    assert_eq!(r.organizations[3].tokens_in_window, 4);
    assert_eq!(r.organizations[0].direct_grants, 1);
    assert_eq!(r.organizations[0].any_organization_applications, 1);
    assert_eq!(r.exposure.len(), 1);
    let e = &r.exposure[0];
    assert_eq!((e.organizations, e.organizations_used), (250, 1));
    assert_eq!(e.scopes, ["read", "write"]);
    assert_eq!(e.client_name.as_deref(), Some("Everywhere"));
    assert!(!w.kv.keys().contains(&keys::audit_tenant_cursor(TENANT_KEY)));
}

#[test]
fn tenant_audit_resumes_across_calls_within_a_tiny_budget() {
    for style in [Style::Checkpoint, Style::Envelope] {
        let t = big_tenant(230);
        t.org_style.set(style);
        t.tick_ms.set(100); // every request takes 100 ms
        let clock = FakeClock::new(NOW_MS);
        let w = world(&t, &clock);
        let opts = TenantAuditOptions {
            max_duration_ms: Some(1_000),
            ..TenantAuditOptions::default()
        };
        let mut calls = 0;
        let report = loop {
            calls += 1;
            assert!(calls < 200, "no progress");
            let r = w.audit_all(&opts).unwrap();
            assert!(
                r.api_requests <= 9,
                "the budget bounds a call: {}",
                r.api_requests
            );
            if r.complete {
                break r;
            }
            assert!(r.warnings.iter().any(|w| w.code == "time-budget"));
            assert!(w.kv.keys().contains(&keys::audit_tenant_cursor(TENANT_KEY)));
        };
        assert!(calls > 10, "{style:?}: took {calls} calls");
        let ids: Vec<String> = report
            .organizations
            .iter()
            .map(|r| r.org_id.clone())
            .collect();
        let expected: Vec<String> = (0..230).map(|i| format!("org_{i:04}")).collect();
        assert_eq!(
            ids, expected,
            "{style:?}: every organization once, in order"
        );
        assert_eq!(
            w.calls("/api/v2/client-grants"),
            1,
            "any-org grants fetched once per run"
        );
        let per_org: BTreeMap<String, usize> = expected
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    w.calls(&format!("/api/v2/organizations/{id}/client-grants")),
                )
            })
            .collect();
        assert!(per_org.values().all(|n| *n >= 1));
        assert_eq!(report.exposure[0].organizations, 230);
        assert!(
            !w.kv.keys().contains(&keys::audit_tenant_cursor(TENANT_KEY)),
            "cleared"
        );
        // The next call starts a new tenant audit.
        let again = w.audit_all(&opts).unwrap();
        assert!(again.organizations.len() < 230);
    }
}
