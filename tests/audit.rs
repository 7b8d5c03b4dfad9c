//! audit-org and audit-tenant end to end: the real .wasm, in the real host,
//! against the simulated tenant.
//!
//! Every expected answer is derived here from the simulator's generated
//! `Directory` and its rendered log events, by the rules the issue states
//! (routes, usage, finding kinds); nothing calls the component's audit code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use auth0_audit_e2e::{
    TestSink, audit_options, memory, options, runtime, runtime_for, tenant, tenant_audit_options,
};
use auth0_audit_host::runtime::{
    EvidenceSource, JobError, OrgAuditReport, OrganizationUsage, Route, Severity,
};
use auth0_audit_simulator::{ClientGrant, Directory, RateLimit, SimConfig, Simulator};
use serde_json::Value;

// ---------------------------------------------------------------------------
// The independent model: routes, usage and findings from the simulator's data.
// ---------------------------------------------------------------------------

/// A finding as (code, client id, audience).
type Key = (String, String, Option<String>);

/// One route as the report must list it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RouteRow {
    audience: String,
    scopes: Vec<String>,
    route: &'static str,
    grant_id: String,
    usage: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct AudUse {
    tokens: u64,
    failures: u64,
    /// Scopes requested in successful exchanges.
    scopes: BTreeSet<String>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct ClientUse {
    tokens: u64,
    failures: u64,
    audiences: BTreeMap<String, AudUse>,
}

type Routes = BTreeMap<String, BTreeSet<RouteRow>>;
type UsageMap = BTreeMap<String, ClientUse>;

fn sorted(scopes: &[String]) -> Vec<String> {
    scopes
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn row(g: &ClientGrant, route: &'static str) -> RouteRow {
    RouteRow {
        audience: g.audience.clone(),
        scopes: sorted(&g.scope),
        route,
        grant_id: g.id.clone(),
        usage: g.organization_usage.clone(),
    }
}

/// Direct routes: the grants associated with `org`; any-organization routes:
/// every `allow_any_organization` grant of the tenant.
fn expected_routes(dir: &Directory, org: &str) -> Routes {
    let mut out = Routes::new();
    for id in dir.org_grants.get(org).into_iter().flatten() {
        let g = dir.grant(id).expect("associated grant exists");
        out.entry(g.client_id.clone())
            .or_default()
            .insert(row(g, "direct"));
    }
    for g in dir
        .client_grants
        .iter()
        .filter(|g| g.allow_any_organization)
    {
        out.entry(g.client_id.clone())
            .or_default()
            .insert(row(g, "any-organization"));
    }
    out
}

/// `scope` of a log event: a space-separated string or an array.
fn event_scopes(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Token exchanges of `org` in the simulator's log events (all inside the
/// 30-day window: the backlog spans 12 hours).
fn usage_from_events(events: &[Value], org: &str) -> UsageMap {
    let mut out = UsageMap::new();
    for e in events {
        let success = match e["type"].as_str() {
            Some("seccft") => true,
            Some("feccft") => false,
            _ => continue,
        };
        if e["organization_id"].as_str() != Some(org) {
            continue;
        }
        let client = e["client_id"].as_str().expect("client_id").to_string();
        let audience = e["audience"].as_str().unwrap_or("(none)").to_string();
        let c = out.entry(client).or_default();
        let a = c.audiences.entry(audience).or_default();
        if success {
            c.tokens += 1;
            a.tokens += 1;
            a.scopes.extend(event_scopes(&e["scope"]));
        } else {
            c.failures += 1;
            a.failures += 1;
        }
    }
    out
}

/// Clients the (eventually consistent) clients search lists for `org`: owners
/// of the associated grants, minus associations still inside the search lag.
fn expected_search(dir: &Directory, org: &str, lagging: &[(String, String)]) -> BTreeSet<String> {
    dir.org_grants
        .get(org)
        .into_iter()
        .flatten()
        .filter(|gid| !lagging.iter().any(|(o, g)| o == org && g == *gid))
        .filter_map(|gid| dir.grant(gid))
        .map(|g| g.client_id.clone())
        .collect()
}

fn key(code: &str, client: &str, audience: Option<&str>) -> Key {
    (
        code.to_string(),
        client.to_string(),
        audience.map(str::to_string),
    )
}

/// The findings the data implies, by the issue's definitions:
/// - `any-organization-access`: (client, API) reachable only through an any-org grant;
/// - `unused-grant`: a usable route (not `deny`) but no token for the org (needs evidence);
/// - `unused-scopes`: used, some granted scopes never requested (needs evidence and requested scopes);
/// - `usage-without-grant`: tokens for a (client, API) with no current route;
/// - `failed-token-requests`: `feccft` of the client for the org;
/// - `not-machine-to-machine`: a route on a client whose app_type is not `non_interactive`;
/// - `organization-usage-deny`: a direct association whose grant says `deny`;
/// - `search-mismatch`: the clients search and the direct grants disagree on a client.
fn expected_findings(
    dir: &Directory,
    routes: &Routes,
    usage: &UsageMap,
    has_evidence: bool,
    search: Option<&BTreeSet<String>>,
) -> Vec<Key> {
    let mut out = Vec::new();
    for (client, rows) in routes {
        let audiences: BTreeSet<&str> = rows.iter().map(|r| r.audience.as_str()).collect();
        for aud in audiences {
            let here: Vec<&RouteRow> = rows.iter().filter(|r| r.audience == aud).collect();
            let direct = here.iter().any(|r| r.route == "direct");
            if !direct && here.iter().any(|r| r.route == "any-organization") {
                out.push(key("any-organization-access", client, Some(aud)));
            }
            let effective = here.iter().any(|r| r.usage != "deny");
            if has_evidence && effective {
                let used = usage.get(client).and_then(|u| {
                    u.audiences
                        .get(aud)
                        .filter(|a| u.tokens > 0 && a.tokens > 0)
                });
                match used {
                    Some(a) => {
                        let granted: BTreeSet<&String> =
                            here.iter().flat_map(|r| r.scopes.iter()).collect();
                        let unused = granted.iter().any(|s| !a.scopes.contains(*s));
                        if !a.scopes.is_empty() && unused {
                            out.push(key("unused-scopes", client, Some(aud)));
                        }
                    }
                    None => out.push(key("unused-grant", client, Some(aud))),
                }
            }
        }
        for r in rows
            .iter()
            .filter(|r| r.route == "direct" && r.usage == "deny")
        {
            out.push(key("organization-usage-deny", client, Some(&r.audience)));
        }
        let app_type = &dir.client(client).expect("client exists").app_type;
        if app_type != "non_interactive" {
            out.push(key("not-machine-to-machine", client, None));
        }
    }
    for (client, u) in usage {
        let reachable: BTreeSet<&str> = routes
            .get(client)
            .into_iter()
            .flatten()
            .map(|r| r.audience.as_str())
            .collect();
        for (aud, a) in &u.audiences {
            if a.tokens > 0 && !reachable.contains(aud.as_str()) {
                out.push(key("usage-without-grant", client, Some(aud)));
            }
        }
        if u.failures > 0 {
            out.push(key("failed-token-requests", client, None));
        }
    }
    if let Some(search) = search {
        let direct: BTreeSet<&String> = routes
            .iter()
            .filter(|(_, rows)| rows.iter().any(|r| r.route == "direct"))
            .map(|(c, _)| c)
            .collect();
        for c in search.iter().filter(|c| !direct.contains(c)) {
            out.push(key("search-mismatch", c, None));
        }
        for c in direct.iter().filter(|c| !search.contains(**c)) {
            out.push(key("search-mismatch", c, None));
        }
    }
    out.sort();
    out
}

/// The documented severity of each finding code.
fn severity_of(code: &str) -> Severity {
    match code {
        "usage-without-grant" => Severity::High,
        "any-organization-access"
        | "not-machine-to-machine"
        | "failed-token-requests"
        | "grant-added"
        | "scopes-widened" => Severity::Medium,
        "unused-grant" | "unused-scopes" | "organization-usage-deny" => Severity::Low,
        "search-mismatch" | "grant-removed" | "scopes-narrowed" => Severity::Info,
        other => panic!("unknown finding code {other}"),
    }
}

const CHANGE_CODES: [&str; 4] = [
    "grant-added",
    "grant-removed",
    "scopes-widened",
    "scopes-narrowed",
];

// ---------------------------------------------------------------------------
// Reading the report.
// ---------------------------------------------------------------------------

fn route_str(r: Route) -> &'static str {
    match r {
        Route::Direct => "direct",
        Route::AnyOrganization => "any-organization",
    }
}

fn usage_str(u: OrganizationUsage) -> String {
    match u {
        OrganizationUsage::Deny => "deny",
        OrganizationUsage::Allow => "allow",
        OrganizationUsage::Require => "require",
        OrganizationUsage::Unspecified => "unspecified",
    }
    .to_string()
}

fn report_routes(r: &OrgAuditReport) -> Routes {
    r.applications
        .iter()
        .filter(|a| !a.access.is_empty())
        .map(|a| {
            let rows = a
                .access
                .iter()
                .map(|x| RouteRow {
                    audience: x.audience.clone(),
                    scopes: x.scopes.clone(),
                    route: route_str(x.route),
                    grant_id: x.grant_id.clone(),
                    usage: usage_str(x.organization_usage),
                })
                .collect();
            (a.client_id.clone(), rows)
        })
        .collect()
}

fn report_usage(r: &OrgAuditReport) -> UsageMap {
    r.applications
        .iter()
        .filter(|a| a.usage.tokens > 0 || a.usage.failures > 0)
        .map(|a| {
            let audiences = a
                .usage
                .audiences
                .iter()
                .map(|x| {
                    (
                        x.audience.clone(),
                        AudUse {
                            tokens: x.tokens,
                            failures: x.failures,
                            scopes: x.scopes.iter().cloned().collect(),
                        },
                    )
                })
                .collect();
            let u = ClientUse {
                tokens: a.usage.tokens,
                failures: a.usage.failures,
                audiences,
            };
            (a.client_id.clone(), u)
        })
        .collect()
}

fn findings_of(r: &OrgAuditReport) -> Vec<Key> {
    let mut v: Vec<Key> = r
        .findings
        .iter()
        .map(|f| (f.code.clone(), f.client_id.clone(), f.audience.clone()))
        .collect();
    v.sort();
    v
}

fn without_changes(keys: &[Key]) -> Vec<Key> {
    keys.iter()
        .filter(|k| !CHANGE_CODES.contains(&k.0.as_str()))
        .cloned()
        .collect()
}

/// What one organization's report must say, given the data.
struct Expect<'a> {
    dir: &'a Directory,
    org: &'a str,
    usage: UsageMap,
    source: EvidenceSource,
    /// Associations the clients search does not show yet; None: no cross-check.
    lagging: Option<&'a [(String, String)]>,
}

/// Checks organization, routes, applications, usage, summary and the
/// non-change findings; returns the report's findings.
fn check_report(e: &Expect, r: &OrgAuditReport) -> Vec<Key> {
    let dir = e.dir;
    let org = dir.organization(e.org).unwrap();
    assert_eq!(r.organization.id, org.id);
    assert_eq!(r.organization.name.as_deref(), Some(org.name.as_str()));
    assert_eq!(
        r.organization.display_name.as_deref(),
        Some(org.display_name.as_str())
    );
    assert_eq!(r.evidence.source, e.source, "{}", e.org);

    let routes = expected_routes(dir, e.org);
    assert_eq!(report_routes(r), routes, "routes of {}", e.org);

    // Applications: everyone with a route or with token activity in the org.
    let apps: BTreeSet<&String> = routes.keys().chain(e.usage.keys()).collect();
    let got: BTreeSet<&String> = r.applications.iter().map(|a| &a.client_id).collect();
    assert_eq!(got, apps, "applications of {}", e.org);
    for a in &r.applications {
        let c = dir.client(&a.client_id).unwrap();
        assert_eq!(a.name.as_deref(), Some(c.name.as_str()));
        assert_eq!(a.app_type.as_deref(), Some(c.app_type.as_str()));
    }
    assert_eq!(report_usage(r), e.usage, "usage of {}", e.org);

    let s = &r.summary;
    assert_eq!(s.applications as usize, apps.len());
    assert_eq!(
        s.direct_grants as usize,
        dir.org_grants.get(e.org).map_or(0, Vec::len)
    );
    assert_eq!(
        s.any_organization_grants as usize,
        dir.client_grants
            .iter()
            .filter(|g| g.allow_any_organization)
            .count()
    );
    assert_eq!(
        s.tokens_in_window,
        e.usage.values().map(|u| u.tokens).sum::<u64>()
    );
    assert_eq!(
        s.failures_in_window,
        e.usage.values().map(|u| u.failures).sum::<u64>()
    );
    for f in &r.findings {
        assert_eq!(f.severity, severity_of(&f.code), "{f:?}");
        assert!(!f.message.is_empty());
    }
    let count = |sev: Severity| r.findings.iter().filter(|f| f.severity == sev).count() as u32;
    assert_eq!(
        (s.high, s.medium, s.low, s.info),
        (
            count(Severity::High),
            count(Severity::Medium),
            count(Severity::Low),
            count(Severity::Info)
        )
    );

    let search = e.lagging.map(|l| expected_search(dir, e.org, l));
    let has_evidence = e.source != EvidenceSource::None;
    let expected = expected_findings(dir, &routes, &e.usage, has_evidence, search.as_ref());
    let got = findings_of(r);
    assert_eq!(without_changes(&got), expected, "findings of {}", e.org);
    got
}

fn has(keys: &[Key], code: &str, client: &str, audience: Option<&str>) -> bool {
    keys.contains(&key(code, client, audience))
}

async fn audit(
    rt: &auth0_audit_host::runtime::Runtime,
    sim: &Simulator,
    org: &str,
    o: &auth0_audit_host::runtime::AuditOptions,
) -> OrgAuditReport {
    let (result, _) = rt.audit_org(&tenant(sim), org, o).await.unwrap();
    match result {
        Ok(r) => r,
        Err(e) => panic!("audit of {org}: {e:?}"),
    }
}

async fn sim_with(config: SimConfig) -> Simulator {
    Simulator::start(config).await.unwrap()
}

// ---------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------

/// (1) After a full sync, every organization's audit shows exactly the routes,
/// usage and findings the directory and the log events imply, and every
/// scenario case shows up where the data puts it.
#[tokio::test(flavor = "multi_thread")]
async fn audit_after_sync_shows_routes_usage_and_every_finding_kind() {
    // 1,000 events: each token-usage entry of the directory appears once or
    // twice, so some granted scopes are never requested (unused-scopes).
    let sim = sim_with(SimConfig {
        events: 1_000,
        ..SimConfig::default()
    })
    .await;
    let sink = TestSink::start().await;
    let rt = runtime(&sim, &sink, memory()).await;
    let (sync, _) = rt
        .sync_logs(&tenant(&sim), &options(&sink.url()))
        .await
        .unwrap();
    assert!(sync.unwrap().caught_up);

    let dir = sim.directory();
    let events = sim.events();
    let s = dir.scenario.clone();
    let recent = s.recent_association.clone().unwrap();
    let lagging = vec![(recent.org_id.clone(), recent.grant_id.clone())];

    let mut all: BTreeMap<String, Vec<Key>> = BTreeMap::new();
    for org in &dir.organizations {
        let r = audit(&rt, &sim, &org.id, &audit_options()).await;
        let usage = usage_from_events(&events, &org.id);
        let e = Expect {
            dir: &dir,
            org: &org.id,
            source: if usage.is_empty() {
                EvidenceSource::None
            } else {
                EvidenceSource::SyncLogs
            },
            usage,
            lagging: Some(&lagging),
        };
        let got = check_report(&e, &r);
        assert!(r.previous_audit_at.is_none());
        assert!(
            got.iter().all(|k| !CHANGE_CODES.contains(&k.0.as_str())),
            "first audit has no change findings"
        );
        all.insert(org.id.clone(), got);
    }

    // Every any-organization grant reaches every organization.
    for g in dir
        .client_grants
        .iter()
        .filter(|g| g.allow_any_organization)
    {
        assert!(s.any_org_grants.contains(&g.id));
        for (org, keys) in &all {
            assert!(
                has(
                    keys,
                    "any-organization-access",
                    &g.client_id,
                    Some(&g.audience)
                ),
                "{org} {}",
                g.id
            );
        }
    }
    let grant = |id: &str| dir.grant(id).unwrap().clone();
    // The grant nobody uses.
    let unused = s.unused_grant.clone().unwrap();
    let g = grant(&unused.grant_id);
    assert!(has(
        &all[&unused.org_id],
        "unused-grant",
        &g.client_id,
        Some(&g.audience)
    ));
    // Tokens after the grant was removed.
    let removed = s.removed_grant_usage.clone().unwrap();
    assert!(has(
        &all[&removed.org_id],
        "usage-without-grant",
        &removed.client_id,
        Some(&removed.audience)
    ));
    // Failed exchanges.
    let failed = s.failed_exchange.clone().unwrap();
    assert!(has(
        &all[&failed.org_id],
        "failed-token-requests",
        &failed.client_id,
        None
    ));
    // A grant on a spa.
    let spa = s.spa_grant.clone().unwrap();
    assert!(has(
        &all[&spa.org_id],
        "not-machine-to-machine",
        &grant(&spa.grant_id).client_id,
        None
    ));
    // organization_usage: deny.
    let deny = s.deny_grant.clone().unwrap();
    let g = grant(&deny.grant_id);
    assert!(has(
        &all[&deny.org_id],
        "organization-usage-deny",
        &g.client_id,
        Some(&g.audience)
    ));
    // The association the clients search does not show yet.
    assert!(has(
        &all[&recent.org_id],
        "search-mismatch",
        &grant(&recent.grant_id).client_id,
        None
    ));
    // Where findings must not be: usage-without-grant only for a client/API with
    // no route; search-mismatch only in the org with the lagging association.
    for (org, keys) in &all {
        let routes = expected_routes(&dir, org);
        for k in keys.iter().filter(|k| k.0 == "usage-without-grant") {
            let aud = k.2.as_deref().unwrap();
            assert!(
                routes
                    .get(&k.1)
                    .is_none_or(|rows| rows.iter().all(|r| r.audience != aud)),
                "{org}: {k:?} although a grant exists"
            );
        }
        if *org != recent.org_id {
            assert!(keys.iter().all(|k| k.0 != "search-mismatch"), "{org}");
        }
        if *org != failed.org_id {
            assert!(keys.iter().all(|k| k.0 != "failed-token-requests"), "{org}");
        }
    }
    // Every finding kind is present somewhere.
    let kinds: BTreeSet<&str> = all.values().flatten().map(|k| k.0.as_str()).collect();
    for kind in [
        "any-organization-access",
        "unused-grant",
        "unused-scopes",
        "usage-without-grant",
        "failed-token-requests",
        "not-machine-to-machine",
        "organization-usage-deny",
        "search-mismatch",
    ] {
        assert!(kinds.contains(kind), "no {kind} anywhere: {kinds:?}");
    }
}

/// Management API calls one `audit_org` needs at minimum, from the formula in
/// src/audit/org.rs:
///
/// ```text
/// calls = T (token: 1 with a fresh state)
///       + 1 (GET /organizations/{id})
///       + D (direct grants, envelope: max(1, ceil(n/100)))
///       + A (any-org grants, checkpoint paging: max(1, ceil(a/100)); no `next` after a short page)
///       + S (clients search, same paging: max(1, ceil(s/100)))
///       + N (names of u unknown clients: 0 if u = 0; u if u <= 2; else the list pages)
///       + L (log search: min(10, floor(events/100) + 1), only with the fallback and no aggregates)
/// ```
fn minimum_calls(
    dir: &Directory,
    org: &str,
    search: &BTreeSet<String>,
    involved: &BTreeSet<String>,
    log_events: Option<usize>,
) -> u32 {
    let pages = |n: usize| n.div_ceil(100).max(1) as u32;
    let direct = dir.org_grants.get(org).map_or(0, Vec::len);
    let any = dir
        .client_grants
        .iter()
        .filter(|g| g.allow_any_organization)
        .count();
    let unknown = involved.difference(search).count();
    let names = match unknown {
        0 => 0,
        u @ 1..=2 => u as u32,
        _ => pages(dir.clients.len()),
    };
    let logs = log_events.map_or(0, |n| (n / 100 + 1).min(10) as u32);
    1 + 1 + pages(direct) + pages(any) + pages(search.len()) + names + logs
}

/// (2) The organization with more than 100 direct grants: every one is
/// reported, in the fewest calls paging allows.
#[tokio::test(flavor = "multi_thread")]
async fn more_than_one_page_of_direct_grants_is_complete_and_minimal() {
    let sim = sim_with(SimConfig {
        events: 100,
        ..SimConfig::default()
    })
    .await;
    let rt = runtime_for(&sim, memory()).await;
    let dir = sim.directory();
    let big = dir.scenario.big_org.clone().unwrap();
    let grants = &dir.org_grants[&big];
    assert!(grants.len() > 100, "{}", grants.len());

    let before = sim.stats().requests_total;
    let r = audit(&rt, &sim, &big, &audit_options()).await;
    let made = sim.stats().requests_total - before;

    let e = Expect {
        dir: &dir,
        org: &big,
        usage: UsageMap::new(),
        source: EvidenceSource::None,
        lagging: Some(&[]),
    };
    check_report(&e, &r);
    let reported: BTreeSet<&String> = r
        .applications
        .iter()
        .flat_map(|a| a.access.iter())
        .filter(|a| a.route == Route::Direct)
        .map(|a| &a.grant_id)
        .collect();
    assert_eq!(reported, grants.iter().collect::<BTreeSet<_>>());
    assert_eq!(r.summary.direct_grants as usize, grants.len());

    let search = expected_search(&dir, &big, &[]);
    let involved: BTreeSet<String> = expected_routes(&dir, &big).into_keys().collect();
    let minimum = minimum_calls(&dir, &big, &search, &involved, None);
    assert_eq!(r.api_requests, minimum, "{r:?}");
    assert_eq!(made, u64::from(minimum), "requests the simulator answered");
    assert_eq!(r.retries, 0);
}

/// (3) A second audit after a change reports exactly that change.
#[tokio::test(flavor = "multi_thread")]
async fn second_audit_reports_exactly_the_changes() {
    // No search lag: a fresh association is visible at once, so the only
    // differences between the audits are the changes themselves.
    let sim = sim_with(SimConfig {
        events: 100,
        search_lag: Duration::ZERO,
        ..SimConfig::default()
    })
    .await;
    let rt = runtime_for(&sim, memory()).await;
    let dir = sim.directory();
    let width = |g: &ClientGrant| {
        dir.resource_servers
            .iter()
            .find(|r| r.identifier == g.audience)
            .unwrap()
            .scopes
            .clone()
    };
    // An ordinary organization with one grant to drop and another to widen.
    let (org, removed, widened) = dir
        .organizations
        .iter()
        .skip(6)
        .find_map(|o| {
            let ids = &dir.org_grants[&o.id];
            let gs: Vec<&ClientGrant> = ids.iter().map(|id| dir.grant(id).unwrap()).collect();
            let w = gs.iter().find(|g| g.scope.len() < width(g).len())?;
            let rm = gs.iter().find(|g| g.id != w.id)?;
            Some((o.id.clone(), (*rm).clone(), (*w).clone()))
        })
        .expect("an organization with a narrow grant and another");

    let first = audit(&rt, &sim, &org, &audit_options()).await;
    let e = Expect {
        dir: &dir,
        org: &org,
        usage: UsageMap::new(),
        source: EvidenceSource::None,
        lagging: Some(&[]),
    };
    let before = check_report(&e, &first);
    assert!(first.previous_audit_at.is_none());

    // Added: a new grant for a new API, associated with the org.
    let owner = dir.clients[0].client_id.clone();
    let added = ClientGrant {
        id: "cgr_e2eAddedGrant0001".into(),
        client_id: owner.clone(),
        audience: "https://api.example.com/e2e-added".into(),
        scope: vec!["read:e2e".into(), "write:e2e".into()],
        organization_usage: "allow".into(),
        allow_any_organization: false,
        is_system: false,
        subject_type: "client".into(),
    };
    sim.add_grant(added.clone());
    sim.associate_grant(&org, &added.id);
    // Removed: the association is dropped (the grant itself stays in the tenant).
    sim.dissociate_grant(&org, &removed.id);
    // Widened: the same grant id, replaced with every scope of its API.
    sim.add_grant(ClientGrant {
        scope: width(&widened),
        ..widened.clone()
    });
    // The search lag is zero, but "visible at" must be strictly in the past.
    tokio::time::sleep(Duration::from_millis(5)).await;

    let second = audit(&rt, &sim, &org, &audit_options()).await;
    let dir2 = sim.directory();
    let e2 = Expect {
        dir: &dir2,
        org: &org,
        ..e
    };
    let after = check_report(&e2, &second);
    assert_eq!(
        second.previous_audit_at.as_deref(),
        Some(first.audited_at.as_str())
    );
    let changes: Vec<Key> = after
        .iter()
        .filter(|k| CHANGE_CODES.contains(&k.0.as_str()))
        .cloned()
        .collect();
    let mut expected = vec![
        key("grant-added", &owner, Some(&added.audience)),
        key("grant-removed", &removed.client_id, Some(&removed.audience)),
        key(
            "scopes-widened",
            &widened.client_id,
            Some(&widened.audience),
        ),
    ];
    expected.sort();
    assert_eq!(changes, expected);
    assert_eq!(
        without_changes(&after),
        without_changes(&before),
        "nothing else changed"
    );
    let widened_msg = second
        .findings
        .iter()
        .find(|f| f.code == "scopes-widened")
        .unwrap();
    for s in width(&widened)
        .iter()
        .filter(|s| !widened.scope.contains(s))
    {
        assert!(widened_msg.message.contains(s.as_str()), "{widened_msg:?}");
    }

    // A third audit without changes reports none.
    let third = audit(&rt, &sim, &org, &audit_options()).await;
    let keys = check_report(&e2, &third);
    assert_eq!(without_changes(&keys), keys, "no change findings");
    assert_eq!(
        third.previous_audit_at.as_deref(),
        Some(second.audited_at.as_str())
    );
}

/// (4) Hostile organization ids never reach the tenant.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_org_ids_are_refused_before_anything_is_sent() {
    let sim = sim_with(SimConfig {
        events: 10,
        ..SimConfig::default()
    })
    .await;
    let rt = runtime_for(&sim, memory()).await;
    let long = "a".repeat(65);
    let hostile = [
        "../x",
        "..",
        "org_1/../../x",
        "org_1/client-grants",
        "%2F",
        "org%2F1",
        "org 1",
        " org_1",
        "org_1 ",
        "org\"1",
        "org'1",
        "org_1 OR type:s",
        "org_1\" OR organization_id:\"org_2",
        "OR",
        "and",
        "NOT",
        "*",
        "org_*",
        "org:1",
        "org\n1",
        "org_1\r\n",
        "org\t1",
        "org\u{0}1",
        "org_1?x=1",
        "org_1#x",
        "org_1\\",
        "(org_1)",
        "org.1",
        "",
        long.as_str(),
        "org_ü",
        "org_日本",
        "org_\u{202e}1",
    ];
    for id in hostile {
        let (result, _) = rt
            .audit_org(&tenant(&sim), id, &audit_options())
            .await
            .unwrap();
        match result {
            Err(JobError::Config(c)) => assert_eq!(c.field, "org-id", "{id:?}: {c:?}"),
            other => panic!("{id:?}: {other:?}"),
        }
    }
    assert_eq!(sim.stats().requests_total, 0, "nothing reached the tenant");
}

/// (5) A well-formed id that does not exist is not-found.
#[tokio::test(flavor = "multi_thread")]
async fn unknown_org_is_not_found() {
    let sim = sim_with(SimConfig {
        events: 10,
        ..SimConfig::default()
    })
    .await;
    let rt = runtime_for(&sim, memory()).await;
    // The longest id accepted (64) passes validation and is looked up.
    for id in ["org_doesNotExist0000".to_string(), "o".repeat(64)] {
        let (result, _) = rt
            .audit_org(&tenant(&sim), &id, &audit_options())
            .await
            .unwrap();
        assert!(
            matches!(result, Err(JobError::NotFound(_))),
            "{id}: {result:?}"
        );
    }
    assert!(sim.stats().route_count("GET /api/v2/organizations/{id}") >= 2);
}

/// (6) The tenant overview: one row per organization and the any-organization exposure.
#[tokio::test(flavor = "multi_thread")]
async fn tenant_audit_has_one_row_per_org_and_the_any_org_exposure() {
    let sim = sim_with(SimConfig {
        events: 100,
        ..SimConfig::default()
    })
    .await;
    let rt = runtime_for(&sim, memory()).await;
    let dir = sim.directory();
    let (result, _) = rt
        .audit_tenant(&tenant(&sim), &tenant_audit_options())
        .await
        .unwrap();
    let r = result.unwrap();
    assert!(r.complete);
    let ids: Vec<&String> = r.organizations.iter().map(|o| &o.org_id).collect();
    let expected: Vec<&String> = dir.organizations.iter().map(|o| &o.id).collect();
    assert_eq!(ids, expected, "one row per organization, in list order");
    assert_eq!(r.audited_this_call as usize, dir.organizations.len());
    let any: Vec<&ClientGrant> = dir
        .client_grants
        .iter()
        .filter(|g| g.allow_any_organization)
        .collect();
    let any_clients: BTreeSet<&String> = any.iter().map(|g| &g.client_id).collect();
    for row in &r.organizations {
        let o = dir.organization(&row.org_id).unwrap();
        assert_eq!(row.name.as_deref(), Some(o.name.as_str()));
        assert_eq!(row.display_name.as_deref(), Some(o.display_name.as_str()));
        assert_eq!(row.direct_grants as usize, dir.org_grants[&o.id].len());
        assert_eq!(
            row.any_organization_applications as usize,
            any_clients.len()
        );
        assert_eq!(
            row.applications as usize,
            expected_routes(&dir, &o.id).len()
        );
        assert_eq!(row.evidence_source, EvidenceSource::None);
    }
    let mut exposure: Vec<(String, String, String, Vec<String>, String, u32)> = r
        .exposure
        .iter()
        .map(|x| {
            (
                x.grant_id.clone(),
                x.client_id.clone(),
                x.audience.clone(),
                x.scopes.clone(),
                usage_str(x.organization_usage),
                x.organizations,
            )
        })
        .collect();
    exposure.sort();
    let mut want: Vec<_> = any
        .iter()
        .map(|g| {
            (
                g.id.clone(),
                g.client_id.clone(),
                g.audience.clone(),
                sorted(&g.scope),
                g.organization_usage.clone(),
                dir.organizations.len() as u32,
            )
        })
        .collect();
    want.sort();
    assert_eq!(exposure, want);
    for x in &r.exposure {
        let c = dir.client(&x.client_id).unwrap();
        assert_eq!(x.client_name.as_deref(), Some(c.name.as_str()));
    }
}

/// Calls `audit_tenant` back to back with `budget_ms` until it completes;
/// returns the last report, the number of calls and the organizations audited in all.
async fn tenant_audit_until_complete(
    sim: &Simulator,
    budget_ms: u64,
    max_calls: u32,
) -> (auth0_audit_host::runtime::TenantAuditReport, u32, u32) {
    let rt = runtime_for(sim, memory()).await;
    let mut o = tenant_audit_options();
    o.max_duration_ms = Some(budget_ms);
    let mut calls = 0;
    let mut audited = 0;
    loop {
        calls += 1;
        let (result, _) = rt.audit_tenant(&tenant(sim), &o).await.unwrap();
        let r = result.unwrap();
        audited += r.audited_this_call;
        if calls == 1 {
            assert!(
                !r.complete,
                "the budget cannot cover the rate-limited tenant"
            );
            assert!(r.warnings.iter().any(|w| w.code == "time-budget"));
        }
        if r.complete {
            return (r, calls, audited);
        }
        assert!(
            calls < max_calls,
            "no completion after {calls} calls; audited {audited}; last: {r:?}"
        );
    }
}

fn rate_limited() -> SimConfig {
    SimConfig {
        events: 100,
        rate_limit: Some(RateLimit {
            burst: 2,
            per_second: 5.0,
        }),
        ..SimConfig::default()
    }
}

/// (6) Rate limited and with a small budget: `complete: false` first, then
/// repeated calls finish the audit with every organization exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn tenant_audit_resumes_until_complete_under_a_rate_limit() {
    let sim = sim_with(rate_limited()).await;
    let dir = sim.directory();
    let (last, calls, audited) = tenant_audit_until_complete(&sim, 3_000, 20).await;
    assert!(calls > 1);
    let ids: Vec<&String> = last.organizations.iter().map(|o| &o.org_id).collect();
    let expected: Vec<&String> = dir.organizations.iter().map(|o| &o.id).collect();
    assert_eq!(ids, expected, "every organization exactly once");
    assert_eq!(audited as usize, dir.organizations.len());
    for row in &last.organizations {
        assert_eq!(
            row.direct_grants as usize,
            dir.org_grants[&row.org_id].len()
        );
    }
    assert!(
        last.exposure
            .iter()
            .all(|x| x.organizations as usize == dir.organizations.len())
    );
}

/// (6, smallest budget) The same with `max_duration_ms: 1000`, the smallest
/// the options accept.
#[tokio::test(flavor = "multi_thread")]
async fn tenant_audit_with_the_smallest_budget_still_progresses() {
    let sim = sim_with(rate_limited()).await;
    let dir = sim.directory();
    let (last, _, audited) = tenant_audit_until_complete(&sim, 1_000, 40).await;
    assert_eq!(last.organizations.len(), dir.organizations.len());
    assert_eq!(audited as usize, dir.organizations.len());
}

/// The smallest organization with token exchanges in the logs (not the big one).
fn small_org(dir: &Directory, events: &[Value]) -> (String, UsageMap) {
    dir.organizations
        .iter()
        .skip(1)
        .map(|o| (o.id.clone(), usage_from_events(events, &o.id)))
        .filter(|(_, u)| u.values().any(|c| c.tokens > 0))
        .min_by_key(|(_, u)| u.values().map(|c| c.tokens + c.failures).sum::<u64>())
        .unwrap()
}

fn lagging_of(dir: &Directory) -> Vec<(String, String)> {
    let recent = dir.scenario.recent_association.clone().unwrap();
    vec![(recent.org_id, recent.grant_id)]
}

/// (7) Without sync-logs aggregates, the log-search fallback reads the usage
/// from the logs: the same token counts, failures and scopes as the events.
#[tokio::test(flavor = "multi_thread")]
async fn log_search_fallback_reads_usage_from_the_logs() {
    let sim = sim_with(SimConfig {
        events: 2_000,
        ..SimConfig::default()
    })
    .await;
    let dir = sim.directory();
    let events = sim.events();
    let (org, usage) = small_org(&dir, &events);
    let org_events: u64 = usage.values().map(|c| c.tokens + c.failures).sum();
    let lagging = lagging_of(&dir);

    let rt = runtime_for(&sim, memory()).await;
    let mut o = audit_options();
    o.log_search_fallback = true;
    let before = sim.stats().requests_total;
    let r = audit(&rt, &sim, &org, &o).await;
    let made = sim.stats().requests_total - before;
    assert_eq!(u64::from(r.evidence.events_read), org_events);
    assert!(!r.evidence.capped);
    let e = Expect {
        dir: &dir,
        org: &org,
        usage: usage.clone(),
        source: EvidenceSource::LogSearch,
        lagging: Some(&lagging),
    };
    check_report(&e, &r);
    let search = expected_search(&dir, &org, &lagging);
    let involved: BTreeSet<String> = expected_routes(&dir, &org)
        .into_keys()
        .chain(usage.keys().cloned())
        .collect();
    let minimum = minimum_calls(&dir, &org, &search, &involved, Some(org_events as usize));
    assert_eq!(r.api_requests, minimum);
    assert_eq!(made, u64::from(minimum));
}

/// (7) A fresh state without the fallback: no evidence, so no usage findings,
/// no log search, and a warning that says why.
#[tokio::test(flavor = "multi_thread")]
async fn without_aggregates_or_fallback_there_is_no_evidence() {
    let sim = sim_with(SimConfig {
        events: 2_000,
        ..SimConfig::default()
    })
    .await;
    let dir = sim.directory();
    let events = sim.events();
    let (org, _) = small_org(&dir, &events);
    let lagging = lagging_of(&dir);
    let rt = runtime_for(&sim, memory()).await;
    let r = audit(&rt, &sim, &org, &audit_options()).await;
    let e = Expect {
        dir: &dir,
        org: &org,
        usage: UsageMap::new(),
        source: EvidenceSource::None,
        lagging: Some(&lagging),
    };
    check_report(&e, &r);
    assert_eq!(r.evidence.events_read, 0);
    assert_eq!(sim.stats().route_count("GET /api/v2/logs"), 0);
    assert!(r.warnings.iter().any(|w| w.code == "no-usage-evidence"));
}
