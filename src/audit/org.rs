//! The `audit_org` job: validate → session → API reads → evidence → findings →
//! snapshot → report.
//!
//! Management API calls of one `audit_org` (each listing takes at least one call):
//!
//! ```text
//! calls = T                     token exchange: 1 with client credentials and no cached token, else 0
//!       + 1                     GET /organizations/{id}
//!       + D                     direct grants, page paging, per_page 100:
//!                                 envelope: max(1, ceil(n/100)), at most 10 (1,000-record cap)
//!                                 plain array: floor(n/100) + 1, at most 10
//!       + A                     any-organization grants, checkpoint paging: max(1, ceil(a/100))
//!                                 (+1 when the server sends `next` after the last full page)
//!       + S                     clients search (cross_check): same as A for the clients it lists
//!       + N                     names of clients still unknown (u of them):
//!                                 u = 0: 0; u <= 2: u per-id GETs;
//!                                 else list pages (≤ ceil(clients/100)), switching to per-id
//!                                 GETs as soon as fewer ids remain than pages
//!       + L                     log search (fallback, only without aggregates):
//!                                 min(10, floor(events/100) + 1)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::api::client::Api;
use crate::api::clients::{self, ClientRecord, is_path_safe};
use crate::api::grants;
use crate::api::organizations::{self, OrganizationRecord};
use crate::api::paging::Position;
use crate::api::session::{Failure, Session};
use crate::audit::evidence::{self, EvidenceSet, INVALID_CLIENT, Window};
use crate::audit::findings::{self, Inputs, Labels};
use crate::audit::model::{
    Application, Finding, OrgAuditReport, Organization, Route, Severity, Summary, Usage,
};
use crate::audit::options::{AuditOptions, ValidAudit};
use crate::audit::org_id::OrgId;
use crate::audit::routes::{self, AccessMap};
use crate::audit::snapshot::{self, Snapshot};
use crate::budget::Budget;
use crate::error::{Error, secret_variants};
use crate::event::format_ms;
use crate::model::{Credentials, TenantConfig, Warning};
use crate::ports::Ports;
use crate::tenant::Tenant;

/// Up to this many unknown applications are looked up one by one without listing first.
pub const PER_ID_MAX: usize = 2;

pub fn audit_org(
    ports: Ports,
    tenant: &TenantConfig,
    org_id: &str,
    options: &AuditOptions,
) -> Result<OrgAuditReport, Error> {
    let org = OrgId::parse(org_id)?;
    let opts = ValidAudit::for_org(options)?;
    let tenant = Tenant::validate(tenant)?;
    let budget = Budget::new(ports.clock, opts.max_duration_ms);
    let session = Session::new(ports, &tenant, budget, opts.attempts, opts.timeout_ms);
    let mut api = Api::new(session);
    let secrets = secrets_of(&tenant);
    let mut report = run(&mut api, &org, &opts)
        .map_err(|f| into_error(f, "the organization audit"))
        .map_err(|e| e.redact(&secrets))?;
    let c = api.session.counters;
    report.api_requests = c.api_requests;
    report.retries = c.retries;
    report.rate_limit_waits = c.rate_limit_waits;
    report.duration_ms = budget.elapsed_ms(ports.clock);
    Ok(report)
}

pub(crate) fn into_error(f: Failure, what: &str) -> Error {
    match f {
        Failure::Job(e) => e,
        Failure::OutOfTime => {
            Error::Deadline(format!("{what} did not finish within max-duration-ms"))
        }
    }
}

pub(crate) fn secrets_of(tenant: &Tenant) -> Vec<String> {
    match &tenant.credentials {
        Credentials::ClientCredentials { client_secret, .. } => {
            secret_variants(client_secret.expose())
        }
        Credentials::AccessToken(token) => secret_variants(token.expose()),
    }
}

/// Text from the server made fit for a report: no control characters, bounded.
pub(crate) fn clean(text: Option<&str>) -> Option<String> {
    text.map(|t| t.chars().filter(|c| !c.is_control()).take(200).collect())
}

fn run(api: &mut Api, org: &OrgId, opts: &ValidAudit) -> Result<OrgAuditReport, Failure> {
    let mut warnings = Vec::new();
    let record = organizations::get(api, org)?;
    let (direct, direct_capped) = grants::organization_grants(api, org)?;
    if direct_capped {
        warnings.push(capped_warning(org));
    }
    let (any, any_capped) = grants::any_organization_grants(api)?;
    if any_capped {
        warnings.push(Warning::new(
            "any-organization-grants-capped",
            "the any-organization grants were listed with page paging and stopped at Auth0's 1,000-record cap; some may be missing",
        ));
    }
    let mut cache = ClientCache::default();
    let search = if opts.cross_check {
        let found = clients::search_by_organization(api, org)?;
        let ids = found.iter().map(|c| c.client_id.clone()).collect();
        cache.add(found);
        Some(ids)
    } else {
        None
    };
    let now = api.session.ports.clock.now_unix_ms();
    let window = Window::new(now, opts.window_days);
    let tenant_key = api.session.tenant.key.clone();
    let evidence = evidence::gather(api, &tenant_key, org, window, opts.log_search_fallback)?;
    evidence_warnings(&evidence, &mut warnings);
    let access = routes::build(&direct, &any);
    let wanted = involved(&access, &evidence);
    cache.resolve(api, &wanted, &mut warnings)?;
    let kv = api.session.ports.kv;
    let previous = snapshot::load(kv, &tenant_key, org.as_str(), &mut warnings)?;
    let audited_at = format_ms(now);
    let current = Snapshot::of(org.as_str(), &audited_at, &access);
    let analysis = analyze(
        &access,
        &cache.known,
        &evidence,
        search.as_ref(),
        previous.as_ref(),
        &current,
    );
    snapshot::save(kv, &tenant_key, &current)?;
    Ok(OrgAuditReport {
        organization: organization(&record),
        applications: analysis.applications,
        findings: analysis.findings,
        summary: analysis.summary,
        evidence: evidence.view(),
        audited_at,
        previous_audit_at: previous.map(|p| p.audited_at),
        api_requests: 0,
        retries: 0,
        rate_limit_waits: 0,
        duration_ms: 0,
        warnings,
    })
}

pub(crate) fn organization(r: &OrganizationRecord) -> Organization {
    Organization {
        id: r.id.clone(),
        name: clean(r.name.as_deref()),
        display_name: clean(r.display_name.as_deref()),
    }
}

pub(crate) fn capped_warning(org: &OrgId) -> Warning {
    Warning::new(
        "direct-grants-capped",
        format!(
            "organization {org} has more than 1,000 associated client grants; Auth0's page paging stops there, so the rest are missing from this audit"
        ),
    )
}

pub(crate) fn evidence_warnings(e: &EvidenceSet, warnings: &mut Vec<Warning>) {
    use crate::audit::model::EvidenceSource;
    match e.source {
        EvidenceSource::None => warnings.push(Warning::new(
            "no-usage-evidence",
            "sync-logs has recorded no token requests for this organization; usage findings are skipped (run sync-logs, or enable the log-search fallback)",
        )),
        EvidenceSource::LogSearch if e.capped => warnings.push(Warning::new(
            "log-search-capped",
            "the log search reached Auth0's 1,000-result cap; older events in the window are missing, so unused-grant findings may be wrong",
        )),
        _ => {}
    }
}

/// Every client id the report names: routes, and usage within the window.
pub(crate) fn involved(access: &AccessMap, evidence: &EvidenceSet) -> BTreeSet<String> {
    access
        .keys()
        .cloned()
        .chain(
            evidence
                .active_clients()
                .map(|(c, _)| c.clone())
                .filter(|c| c != INVALID_CLIENT),
        )
        .collect()
}

/// Applications already looked up (names and types), shared across an audit.
#[derive(Debug, Default)]
pub(crate) struct ClientCache {
    pub known: BTreeMap<String, ClientRecord>,
    /// Looked up and not found (deleted since), or not safe to look up.
    pub missing: BTreeSet<String>,
}

impl ClientCache {
    pub fn add(&mut self, records: impl IntoIterator<Item = ClientRecord>) {
        for r in records {
            let r = ClientRecord {
                name: clean(r.name.as_deref()),
                app_type: clean(r.app_type.as_deref()),
                client_id: r.client_id,
            };
            self.known.insert(r.client_id.clone(), r);
        }
    }

    fn unknown(&self, wanted: &BTreeSet<String>) -> BTreeSet<String> {
        wanted
            .iter()
            .filter(|c| !self.known.contains_key(*c) && !self.missing.contains(*c))
            .cloned()
            .collect()
    }

    fn by_id(&mut self, api: &mut Api, ids: &BTreeSet<String>) -> Result<(), Failure> {
        for id in ids {
            if !is_path_safe(id) {
                self.missing.insert(id.clone());
                continue;
            }
            match clients::get(api, id)? {
                Some(r) if r.client_id == *id => self.add([r]),
                _ => {
                    self.missing.insert(id.clone());
                }
            }
        }
        Ok(())
    }

    /// Looks up the names and types of `wanted` with as few calls as it can:
    /// per-id GETs for up to `PER_ID_MAX` ids, else list pages of 100 until all are
    /// found, switching to per-id GETs once fewer ids remain than pages.
    pub fn resolve(
        &mut self,
        api: &mut Api,
        wanted: &BTreeSet<String>,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), Failure> {
        let before = self.missing.len();
        let unknown = self.unknown(wanted);
        if unknown.is_empty() {
            return Ok(());
        }
        if unknown.len() <= PER_ID_MAX {
            self.by_id(api, &unknown)?;
        } else {
            let mut pos = Position::Page(0);
            let mut pages = 0u32;
            loop {
                let page = clients::list_page_at(api, &pos)?;
                pages += 1;
                self.add(page.items);
                let unknown = self.unknown(wanted);
                if unknown.is_empty() {
                    break;
                }
                let Some(next) = page.next else {
                    if page.capped {
                        self.by_id(api, &unknown)?;
                    } else {
                        self.missing.extend(unknown);
                    }
                    break;
                };
                // Pages still to read if the ids sit at the end; per-id is cheaper below that.
                let remaining_pages = match page.total {
                    Some(total) => total
                        .saturating_sub(u64::from(pages) * u64::from(grants::PAGE_SIZE))
                        .div_ceil(u64::from(grants::PAGE_SIZE)),
                    None => u64::MAX,
                };
                if (unknown.len() as u64) < remaining_pages || pages >= grants::MAX_PAGES {
                    self.by_id(api, &unknown)?;
                    break;
                }
                pos = next;
            }
        }
        let gone = self.missing.len() - before;
        if gone > 0 {
            warnings.push(Warning::new(
                "unknown-applications",
                format!(
                    "{gone} application(s) named by grants or usage could not be found (deleted since?); they are listed by client id only"
                ),
            ));
        }
        Ok(())
    }
}

pub(crate) struct Analysis {
    pub applications: Vec<Application>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

/// The pure part of an audit: applications, findings (including changes) and counts.
pub(crate) fn analyze(
    access: &AccessMap,
    clients: &BTreeMap<String, ClientRecord>,
    evidence: &EvidenceSet,
    search: Option<&BTreeSet<String>>,
    previous: Option<&Snapshot>,
    current: &Snapshot,
) -> Analysis {
    let mut findings = findings::compute(&Inputs {
        access,
        clients,
        evidence,
        search,
    });
    if let Some(previous) = previous {
        findings.extend(snapshot::diff(previous, current, &Labels { clients }));
    }
    findings::sort(&mut findings);
    let ids: BTreeSet<&String> = access
        .keys()
        .chain(evidence.active_clients().map(|(c, _)| c))
        .collect();
    let applications: Vec<Application> = ids
        .into_iter()
        .map(|id| {
            let record = clients.get(id);
            Application {
                client_id: id.clone(),
                name: record.and_then(|r| r.name.clone()),
                app_type: record.and_then(|r| r.app_type.clone()),
                access: access.get(id).cloned().unwrap_or_default(),
                usage: evidence.usage(id).cloned().unwrap_or_else(Usage::default),
            }
        })
        .collect();
    let all = access.values().flatten();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count() as u32;
    let summary = Summary {
        applications: applications.len() as u32,
        direct_grants: all.clone().filter(|a| a.route == Route::Direct).count() as u32,
        any_organization_grants: all.filter(|a| a.route == Route::AnyOrganization).count() as u32,
        high: count(Severity::High),
        medium: count(Severity::Medium),
        low: count(Severity::Low),
        info: count(Severity::Info),
        tokens_in_window: evidence.clients.values().map(|u| u.tokens).sum(),
        failures_in_window: evidence.clients.values().map(|u| u.failures).sum(),
    };
    Analysis {
        applications,
        findings,
        summary,
    }
}
