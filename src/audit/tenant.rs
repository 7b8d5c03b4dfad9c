//! The `audit_tenant` job: every organization of the tenant, one summary row
//! each, plus the tenant-wide any-organization exposure. Resumable: a cursor in
//! key-value keeps the organization list position, the rows done, the
//! any-organization grants and the application names, so a call stopped by its
//! time budget (`complete: false`) is continued by the next call; a completed
//! audit clears the cursor. Per-organization change findings compare with the
//! snapshot of the last `audit_org` (read only: the tenant audit saves none).
//!
//! Management API calls of a whole tenant audit (all calls together):
//!
//! ```text
//! calls = T                          token exchange(s), as in audit_org
//!       + A                          any-organization grants, once per tenant audit: max(1, ceil(a/100))
//!       + O                          organization list: max(1, ceil(orgs/100)); the page in
//!                                      progress is kept in the cursor, so a resumed call re-reads none
//!       + Σ over organizations of
//!           D(org)                   direct grants, as in audit_org (no GET of the organization:
//!                                      the list already carries id, name and display name)
//!         + S(org) if cross_check    clients search (off by default)
//!         + L(org) if fallback       log search when sync-logs has nothing for it
//!       + N                          application names, cached across organizations and calls
//! ```
//!
//! Without cross-check and fallback this is about 1 call per organization
//! (versus at least 4 for `audit_org`), paced by the rate-limit headers.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::api::client::Api;
use crate::api::clients::{self, ClientRecord};
use crate::api::grants::{self, GrantRecord};
use crate::api::organizations::{self, OrganizationRecord};
use crate::api::paging::Position;
use crate::api::session::{Failure, Session};
use crate::audit::evidence::{self, Window};
use crate::audit::model::{
    AnyOrganizationExposure, OrgSummaryRow, OrganizationUsage, TenantAuditReport,
};
use crate::audit::options::{TenantAuditOptions, ValidAudit};
use crate::audit::org::{ClientCache, analyze, capped_warning, clean, involved, secrets_of};
use crate::audit::org_id::OrgId;
use crate::audit::routes;
use crate::audit::snapshot::{self, Snapshot};
use crate::budget::Budget;
use crate::error::Error;
use crate::event::format_ms;
use crate::keys;
use crate::model::{TenantConfig, Warning};
use crate::ports::{KeyValue, Ports};
use crate::tenant::Tenant;

const VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct GrantUse {
    grant_id: String,
    organizations: u32,
}

/// Where an unfinished tenant audit stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    version: u32,
    started_at: String,
    window_days: u32,
    cross_check: bool,
    log_search_fallback: bool,
    any_organization: Option<Vec<GrantRecord>>,
    any_organization_capped: bool,
    clients: Vec<ClientRecord>,
    missing_clients: Vec<String>,
    /// The organization page being worked on, and how many of its items are done.
    position: Position,
    index: u32,
    /// That page's records, so a resumed call does not spend its budget re-reading it.
    #[serde(default)]
    page: Option<CachedPage>,
    rows: Vec<OrgSummaryRow>,
    used: Vec<GrantUse>,
}

impl Cursor {
    fn new(started_at: String, opts: &ValidAudit) -> Cursor {
        Cursor {
            version: VERSION,
            started_at,
            window_days: opts.window_days,
            cross_check: opts.cross_check,
            log_search_fallback: opts.log_search_fallback,
            any_organization: None,
            any_organization_capped: false,
            clients: Vec::new(),
            missing_clients: Vec::new(),
            position: Position::Checkpoint(None),
            index: 0,
            page: None,
            rows: Vec::new(),
            used: Vec::new(),
        }
    }

    fn matches(&self, opts: &ValidAudit) -> bool {
        self.version == VERSION
            && self.window_days == opts.window_days
            && self.cross_check == opts.cross_check
            && self.log_search_fallback == opts.log_search_fallback
    }
}

/// One page of the organization list, as kept in the cursor.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedPage {
    items: Vec<OrganizationRecord>,
    next: Option<Position>,
    capped: bool,
}

fn load_cursor(kv: &dyn KeyValue, key: &str) -> Result<Option<Cursor>, Error> {
    Ok(kv
        .get(key)?
        .and_then(|bytes| serde_json::from_slice::<Cursor>(&bytes).ok()))
}

fn save_cursor(kv: &dyn KeyValue, key: &str, cursor: &Cursor) -> Result<(), Error> {
    let bytes = serde_json::to_vec(cursor)
        .map_err(|e| Error::Storage(format!("encoding the tenant audit cursor: {e}")))?;
    kv.set(key, &bytes)?;
    Ok(())
}

pub fn audit_tenant(
    ports: Ports,
    tenant: &TenantConfig,
    options: &TenantAuditOptions,
) -> Result<TenantAuditReport, Error> {
    let opts = ValidAudit::for_tenant(options)?;
    let tenant = Tenant::validate(tenant)?;
    let key = keys::audit_tenant_cursor(&tenant.key);
    let mut warnings = Vec::new();
    let stored = if options.restart {
        ports.kv.delete(&key)?;
        None
    } else {
        load_cursor(ports.kv, &key)?
    };
    let now = ports.clock.now_unix_ms();
    let mut cursor = match stored {
        Some(c) if c.matches(&opts) => c,
        Some(_) => {
            warnings.push(Warning::new(
                "tenant-audit-restarted",
                "the unfinished tenant audit used other options (or an older format); starting over",
            ));
            Cursor::new(format_ms(now), &opts)
        }
        None => Cursor::new(format_ms(now), &opts),
    };
    let budget = Budget::new(ports.clock, opts.max_duration_ms);
    let session = Session::new(ports, &tenant, budget, opts.attempts, opts.timeout_ms);
    let mut api = Api::new(session);
    let secrets = secrets_of(&tenant);
    let mut cache = ClientCache::default();
    cache.add(std::mem::take(&mut cursor.clients));
    cache.missing = std::mem::take(&mut cursor.missing_clients)
        .into_iter()
        .collect();
    let mut state = State {
        cursor,
        cache,
        key: key.clone(),
        window: Window::new(now, opts.window_days),
        audited: 0,
        warnings,
    };
    let outcome = state.run(&mut api, &opts);
    let State {
        mut cursor,
        cache,
        audited,
        mut warnings,
        ..
    } = state;
    cursor.clients = cache.known.into_values().collect();
    cursor.missing_clients = cache.missing.into_iter().collect();
    let complete = match outcome {
        Ok(()) => true,
        Err(Failure::OutOfTime) => false,
        Err(Failure::Job(e)) => {
            // Keep what was done; the next call continues from there.
            save_cursor(ports.kv, &key, &cursor).map_err(|e| e.redact(&secrets))?;
            return Err(e.redact(&secrets));
        }
    };
    if complete {
        ports.kv.delete(&key)?;
    } else {
        save_cursor(ports.kv, &key, &cursor)?;
        warnings.push(Warning::new(
            "time-budget",
            format!(
                "stopped after {} organization(s) because the time budget ran out; call again to continue",
                cursor.rows.len()
            ),
        ));
        if audited == 0 {
            warnings.push(Warning::new(
                "no-progress",
                "this call audited no organization: raise max-duration-ms",
            ));
        }
    }
    let c = api.session.counters;
    Ok(TenantAuditReport {
        complete,
        exposure: exposure(&cursor, &clients_map(&cursor.clients)),
        organizations: cursor.rows,
        audited_this_call: audited,
        window_days: opts.window_days,
        started_at: cursor.started_at,
        api_requests: c.api_requests,
        retries: c.retries,
        rate_limit_waits: c.rate_limit_waits,
        duration_ms: budget.elapsed_ms(ports.clock),
        warnings,
    })
}

fn clients_map(list: &[ClientRecord]) -> BTreeMap<String, ClientRecord> {
    list.iter()
        .map(|c| (c.client_id.clone(), c.clone()))
        .collect()
}

fn exposure(
    cursor: &Cursor,
    clients: &BTreeMap<String, ClientRecord>,
) -> Vec<AnyOrganizationExposure> {
    let orgs = cursor.rows.len() as u32;
    cursor
        .any_organization
        .iter()
        .flatten()
        .map(|g| {
            let usage = OrganizationUsage::parse(g.organization_usage.as_deref());
            let client = clients.get(&g.client_id);
            let scopes: BTreeSet<String> = g.scope.iter().cloned().collect();
            AnyOrganizationExposure {
                grant_id: g.id.clone(),
                client_id: g.client_id.clone(),
                client_name: client.and_then(|c| c.name.clone()),
                app_type: client.and_then(|c| c.app_type.clone()),
                audience: g.audience.clone(),
                scopes: scopes.into_iter().collect(),
                organization_usage: usage,
                organizations: if usage == OrganizationUsage::Deny {
                    0
                } else {
                    orgs
                },
                organizations_used: cursor
                    .used
                    .iter()
                    .find(|u| u.grant_id == g.id)
                    .map_or(0, |u| u.organizations),
            }
        })
        .collect()
}

struct State {
    cursor: Cursor,
    cache: ClientCache,
    key: String,
    window: Window,
    audited: u32,
    warnings: Vec<Warning>,
}

impl State {
    fn run(&mut self, api: &mut Api, opts: &ValidAudit) -> Result<(), Failure> {
        if self.cursor.any_organization.is_none() {
            let (any, capped) = grants::any_organization_grants(api)?;
            self.cursor.any_organization = Some(any);
            self.cursor.any_organization_capped = capped;
        }
        if self.cursor.any_organization_capped {
            self.warnings.push(Warning::new(
                "any-organization-grants-capped",
                "the any-organization grants stopped at Auth0's 1,000-record cap of page paging; some may be missing",
            ));
        }
        let any = self.cursor.any_organization.clone().unwrap_or_default();
        let wanted: BTreeSet<String> = any.iter().map(|g| g.client_id.clone()).collect();
        self.cache.resolve(api, &wanted, &mut self.warnings)?;
        let mut done: BTreeSet<String> =
            self.cursor.rows.iter().map(|r| r.org_id.clone()).collect();
        for _ in 0..grants::MAX_PAGES {
            let page = match self.cursor.page.clone() {
                Some(page) => page,
                None => {
                    let listing = organizations::list_page_at(api, &self.cursor.position)?;
                    let page = CachedPage {
                        items: listing.items,
                        next: listing.next,
                        capped: listing.capped,
                    };
                    self.cursor.page = Some(page.clone());
                    page
                }
            };
            let start = self.cursor.index as usize;
            for (i, record) in page.items.iter().enumerate().skip(start) {
                if !done.contains(&record.id) {
                    match OrgId::parse(&record.id) {
                        Err(_) => self.warnings.push(Warning::new(
                            "organization-skipped",
                            "the organization list returned an id with unexpected characters; it was skipped",
                        )),
                        Ok(org) => match self.audit_one(api, opts, &org, record, &any) {
                            Ok(row) => {
                                done.insert(row.org_id.clone());
                                self.cursor.rows.push(row);
                                self.audited += 1;
                            }
                            // Deleted between the list and its grants: nothing to audit.
                            Err(Failure::Job(Error::Upstream { status: 404, .. })) => {
                                self.warnings.push(Warning::new(
                                    "organization-gone",
                                    format!("organization {org} disappeared during the audit"),
                                ));
                            }
                            Err(e) => return Err(e),
                        },
                    }
                }
                self.cursor.index = (i + 1) as u32;
            }
            if page.capped {
                self.warnings.push(Warning::new(
                    "organizations-capped",
                    "the organization list stopped at Auth0's 1,000-record cap of page paging; some organizations are missing",
                ));
            }
            let Some(next) = page.next else {
                return Ok(());
            };
            self.cursor.position = next;
            self.cursor.index = 0;
            self.cursor.page = None;
            self.checkpoint(api)?;
        }
        Err(Error::upstream(200, "the organization list kept announcing more pages").into())
    }

    /// Saves progress at a page boundary, so a killed run loses at most a page.
    fn checkpoint(&mut self, api: &Api) -> Result<(), Failure> {
        let mut snapshot = self.cursor.clone();
        snapshot.clients = self.cache.known.values().cloned().collect();
        snapshot.missing_clients = self.cache.missing.iter().cloned().collect();
        save_cursor(api.session.ports.kv, &self.key, &snapshot)?;
        Ok(())
    }

    fn audit_one(
        &mut self,
        api: &mut Api,
        opts: &ValidAudit,
        org: &OrgId,
        record: &OrganizationRecord,
        any: &[GrantRecord],
    ) -> Result<OrgSummaryRow, Failure> {
        let (direct, direct_capped) = grants::organization_grants(api, org)?;
        if direct_capped {
            self.warnings.push(capped_warning(org));
        }
        let search = if opts.cross_check {
            let found = clients::search_by_organization(api, org)?;
            let ids: BTreeSet<String> = found.iter().map(|c| c.client_id.clone()).collect();
            self.cache.add(found);
            Some(ids)
        } else {
            None
        };
        let tenant_key = api.session.tenant.key.clone();
        let evidence =
            evidence::gather(api, &tenant_key, org, self.window, opts.log_search_fallback)?;
        let access = routes::build(&direct, any);
        self.cache
            .resolve(api, &involved(&access, &evidence), &mut self.warnings)?;
        let kv = api.session.ports.kv;
        let mut ignored = Vec::new();
        let previous = snapshot::load(kv, &tenant_key, org.as_str(), &mut ignored)?;
        let current = Snapshot::of(org.as_str(), "", &access);
        let analysis = analyze(
            &access,
            &self.cache.known,
            &evidence,
            search.as_ref(),
            previous.as_ref(),
            &current,
        );
        for g in any {
            if evidence.used(&g.client_id, &g.audience) {
                match self.cursor.used.iter_mut().find(|u| u.grant_id == g.id) {
                    Some(u) => u.organizations += 1,
                    None => self.cursor.used.push(GrantUse {
                        grant_id: g.id.clone(),
                        organizations: 1,
                    }),
                }
            }
        }
        let s = analysis.summary;
        let any_apps: BTreeSet<&String> = any.iter().map(|g| &g.client_id).collect();
        Ok(OrgSummaryRow {
            org_id: org.as_str().to_string(),
            name: clean(record.name.as_deref()),
            display_name: clean(record.display_name.as_deref()),
            direct_grants: s.direct_grants,
            any_organization_applications: any_apps.len() as u32,
            applications: s.applications,
            high: s.high,
            medium: s.medium,
            low: s.low,
            info: s.info,
            tokens_in_window: s.tokens_in_window,
            failures_in_window: s.failures_in_window,
            evidence_source: evidence.source,
            capped: direct_capped || evidence.capped,
        })
    }
}
