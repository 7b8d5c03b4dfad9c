//! Findings from the access lists, the applications and the usage evidence.
//! Severities (see `Severity`):
//!
//! | code | severity | when |
//! |---|---|---|
//! | `usage-without-grant` | high | tokens in the window for a client/API with no current route |
//! | `any-organization-access` | medium | reachable only through an any-organization grant |
//! | `not-machine-to-machine` | medium | a grant on a client whose app_type is not `non_interactive` |
//! | `failed-token-requests` | medium | `feccft` for this organization in the window |
//! | `unused-grant` | low | a route, but no token for this organization in the window |
//! | `unused-scopes` | low | used, but some granted scopes were never requested |
//! | `organization-usage-deny` | low | a direct association made inert by `organization_usage: deny` |
//! | `search-mismatch` | info | the clients search disagrees with the grants (eventual consistency) |
//!
//! Usage-based findings (`unused-*`) are only produced when there is evidence.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::clients::ClientRecord;
use crate::audit::evidence::EvidenceSet;
use crate::audit::model::{EvidenceSource, Finding, OrganizationUsage, Route, Severity};
use crate::audit::routes::{self, AccessMap};

pub fn finding(
    severity: Severity,
    code: &str,
    client_id: &str,
    audience: Option<&str>,
    message: String,
) -> Finding {
    Finding {
        severity,
        code: code.to_string(),
        client_id: client_id.to_string(),
        audience: audience.map(str::to_string),
        message,
    }
}

/// Application names for messages.
pub struct Labels<'a> {
    pub clients: &'a BTreeMap<String, ClientRecord>,
}

impl Labels<'_> {
    /// `"Name" (client_id)`, or the client id alone.
    pub fn app(&self, client_id: &str) -> String {
        match self.clients.get(client_id).and_then(|c| c.name.as_deref()) {
            Some(name) => format!("\"{name}\" ({client_id})"),
            None => format!("application {client_id}"),
        }
    }
}

/// Sorts findings by severity, code, client, audience: a stable order for reports and tests.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.severity, &a.code, &a.client_id, &a.audience).cmp(&(
            b.severity,
            &b.code,
            &b.client_id,
            &b.audience,
        ))
    });
}

pub struct Inputs<'a> {
    pub access: &'a AccessMap,
    pub clients: &'a BTreeMap<String, ClientRecord>,
    pub evidence: &'a EvidenceSet,
    /// Client ids the clients search returned, when it ran.
    pub search: Option<&'a BTreeSet<String>>,
}

pub fn compute(i: &Inputs) -> Vec<Finding> {
    let labels = Labels { clients: i.clients };
    let days = i.evidence.window.days;
    let has_evidence = i.evidence.source != EvidenceSource::None;
    let mut out = Vec::new();
    for (client, list) in i.access {
        let app = labels.app(client);
        for audience in routes::audiences(list) {
            let routes_here: Vec<_> = list.iter().filter(|a| a.audience == audience).collect();
            if !routes::has_direct(list, audience)
                && let Some(any) = routes_here
                    .iter()
                    .find(|a| a.route == Route::AnyOrganization)
            {
                out.push(finding(
                        Severity::Medium,
                        "any-organization-access",
                        client,
                        Some(audience),
                        format!(
                            "{app} reaches {audience} in this organization only through the any-organization grant {}, which opens it to every organization of the tenant.",
                            any.grant_id
                        ),
                    ));
            }
            let effective = routes_here
                .iter()
                .any(|a| a.organization_usage != OrganizationUsage::Deny);
            if has_evidence && effective {
                if i.evidence.used(client, audience) {
                    let granted = routes::granted_scopes(list, audience);
                    let requested: BTreeSet<&str> = i
                        .evidence
                        .usage(client)
                        .into_iter()
                        .flat_map(|u| u.audiences.iter())
                        .filter(|a| a.audience == audience)
                        .flat_map(|a| a.scopes.iter().map(String::as_str))
                        .collect();
                    // Without any recorded scope the logs say nothing about scopes.
                    let unused: Vec<&str> = granted.difference(&requested).copied().collect();
                    if !requested.is_empty() && !unused.is_empty() {
                        out.push(finding(
                            Severity::Low,
                            "unused-scopes",
                            client,
                            Some(audience),
                            format!(
                                "{app} was granted scopes [{}] for {audience} but never requested them in this organization.",
                                unused.join(", ")
                            ),
                        ));
                    }
                } else {
                    let how: BTreeSet<&str> =
                        routes_here.iter().map(|a| a.route.as_str()).collect();
                    out.push(finding(
                        Severity::Low,
                        "unused-grant",
                        client,
                        Some(audience),
                        format!(
                            "{app} obtained no token for {audience} in this organization in the last {days} days, although its {} grant allows it.",
                            how.into_iter().collect::<Vec<_>>().join(" and ")
                        ),
                    ));
                }
            }
        }
        for a in list {
            if a.route == Route::Direct && a.organization_usage == OrganizationUsage::Deny {
                out.push(finding(
                    Severity::Low,
                    "organization-usage-deny",
                    client,
                    Some(&a.audience),
                    format!(
                        "The grant {} of {app} for {} is associated with this organization, but its organization_usage is deny, so it cannot issue tokens for the organization.",
                        a.grant_id, a.audience
                    ),
                ));
            }
        }
        if let Some(t) = i.clients.get(client).and_then(|c| c.app_type.as_deref())
            && t != "non_interactive"
        {
            out.push(finding(
                Severity::Medium,
                "not-machine-to-machine",
                client,
                None,
                format!(
                    "{app} has client grants for this organization but its application type is {t}, not machine-to-machine (non_interactive)."
                ),
            ));
        }
    }
    for (client, usage) in i.evidence.active_clients() {
        let app = labels.app(client);
        let list = i.access.get(client).map(Vec::as_slice).unwrap_or(&[]);
        for a in &usage.audiences {
            if a.tokens > 0 && usage.tokens > 0 && !list.iter().any(|r| r.audience == a.audience) {
                let last = a.last_seen.as_deref().unwrap_or("an unknown time");
                out.push(finding(
                    Severity::High,
                    "usage-without-grant",
                    client,
                    Some(&a.audience),
                    format!(
                        "{app} obtained tokens for {} in this organization (last at {last}) but no current grant allows it: revoked since, or misconfigured.",
                        a.audience
                    ),
                ));
            }
        }
        if usage.failures > 0 {
            out.push(finding(
                Severity::Medium,
                "failed-token-requests",
                client,
                None,
                format!(
                    "{} token request(s) by {app} for this organization failed in the last {days} days.",
                    usage.failures
                ),
            ));
        }
    }
    if let Some(search) = i.search {
        let direct: BTreeSet<&String> = i
            .access
            .iter()
            .filter(|(_, l)| l.iter().any(|a| a.route == Route::Direct))
            .map(|(c, _)| c)
            .collect();
        for client in search.iter().filter(|c| !direct.contains(c)) {
            out.push(finding(
                Severity::Info,
                "search-mismatch",
                client,
                None,
                format!(
                    "The clients search lists {} for this organization, but no grant associated with the organization was returned; the search index may lag a removal.",
                    labels.app(client)
                ),
            ));
        }
        for client in direct.into_iter().filter(|c| !search.contains(*c)) {
            out.push(finding(
                Severity::Info,
                "search-mismatch",
                client,
                None,
                format!(
                    "{} has a grant associated with this organization that the clients search does not show yet; the search index is eventually consistent.",
                    labels.app(client)
                ),
            ));
        }
    }
    out
}
