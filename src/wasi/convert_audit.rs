//! Audit records ↔ core types. Mechanical by design: no rule lives here.

use super::wit;
use crate::audit::model as core;
use crate::audit::{AuditOptions, TenantAuditOptions};

use super::convert::warnings;

pub fn audit_options(o: wit::AuditOptions) -> AuditOptions {
    AuditOptions {
        window_days: o.window_days,
        log_search_fallback: o.log_search_fallback,
        cross_check: o.cross_check,
        max_duration_ms: o.max_duration_ms,
        max_attempts: o.max_attempts,
        request_timeout_ms: o.request_timeout_ms,
    }
}

pub fn tenant_audit_options(o: wit::TenantAuditOptions) -> TenantAuditOptions {
    TenantAuditOptions {
        window_days: o.window_days,
        log_search_fallback: o.log_search_fallback,
        cross_check: o.cross_check,
        max_duration_ms: o.max_duration_ms,
        max_attempts: o.max_attempts,
        request_timeout_ms: o.request_timeout_ms,
        restart: o.restart,
    }
}

fn severity(s: core::Severity) -> wit::Severity {
    match s {
        core::Severity::High => wit::Severity::High,
        core::Severity::Medium => wit::Severity::Medium,
        core::Severity::Low => wit::Severity::Low,
        core::Severity::Info => wit::Severity::Info,
    }
}

fn route(r: core::Route) -> wit::Route {
    match r {
        core::Route::Direct => wit::Route::Direct,
        core::Route::AnyOrganization => wit::Route::AnyOrganization,
    }
}

fn organization_usage(u: core::OrganizationUsage) -> wit::OrganizationUsage {
    match u {
        core::OrganizationUsage::Deny => wit::OrganizationUsage::Deny,
        core::OrganizationUsage::Allow => wit::OrganizationUsage::Allow,
        core::OrganizationUsage::Require => wit::OrganizationUsage::Require,
        core::OrganizationUsage::Unspecified => wit::OrganizationUsage::Unspecified,
    }
}

fn evidence_source(s: core::EvidenceSource) -> wit::EvidenceSource {
    match s {
        core::EvidenceSource::SyncLogs => wit::EvidenceSource::SyncLogs,
        core::EvidenceSource::LogSearch => wit::EvidenceSource::LogSearch,
        core::EvidenceSource::None => wit::EvidenceSource::None,
    }
}

fn application(a: core::Application) -> wit::Application {
    wit::Application {
        client_id: a.client_id,
        name: a.name,
        app_type: a.app_type,
        access: a
            .access
            .into_iter()
            .map(|x| wit::Access {
                audience: x.audience,
                scopes: x.scopes,
                route: route(x.route),
                grant_id: x.grant_id,
                organization_usage: organization_usage(x.organization_usage),
            })
            .collect(),
        usage: wit::Usage {
            tokens: a.usage.tokens,
            failures: a.usage.failures,
            first_seen: a.usage.first_seen,
            last_seen: a.usage.last_seen,
            audiences: a
                .usage
                .audiences
                .into_iter()
                .map(|u| wit::AudienceUsage {
                    audience: u.audience,
                    tokens: u.tokens,
                    failures: u.failures,
                    first_seen: u.first_seen,
                    last_seen: u.last_seen,
                    scopes: u.scopes,
                })
                .collect(),
        },
    }
}

pub fn org_report(r: core::OrgAuditReport) -> wit::OrgAuditReport {
    wit::OrgAuditReport {
        organization: wit::Organization {
            id: r.organization.id,
            name: r.organization.name,
            display_name: r.organization.display_name,
        },
        applications: r.applications.into_iter().map(application).collect(),
        findings: r
            .findings
            .into_iter()
            .map(|f| wit::Finding {
                severity: severity(f.severity),
                code: f.code,
                client_id: f.client_id,
                audience: f.audience,
                message: f.message,
            })
            .collect(),
        summary: wit::AuditSummary {
            applications: r.summary.applications,
            direct_grants: r.summary.direct_grants,
            any_organization_grants: r.summary.any_organization_grants,
            high: r.summary.high,
            medium: r.summary.medium,
            low: r.summary.low,
            info: r.summary.info,
            tokens_in_window: r.summary.tokens_in_window,
            failures_in_window: r.summary.failures_in_window,
        },
        evidence: wit::Evidence {
            source: evidence_source(r.evidence.source),
            window_days: r.evidence.window_days,
            window_start: r.evidence.window_start,
            window_end: r.evidence.window_end,
            capped: r.evidence.capped,
            events_read: r.evidence.events_read,
        },
        audited_at: r.audited_at,
        previous_audit_at: r.previous_audit_at,
        api_requests: r.api_requests,
        retries: r.retries,
        rate_limit_waits: r.rate_limit_waits,
        duration_ms: r.duration_ms,
        warnings: warnings(r.warnings),
    }
}

pub fn tenant_report(r: core::TenantAuditReport) -> wit::TenantAuditReport {
    wit::TenantAuditReport {
        complete: r.complete,
        organizations: r
            .organizations
            .into_iter()
            .map(|o| wit::OrgSummaryRow {
                org_id: o.org_id,
                name: o.name,
                display_name: o.display_name,
                direct_grants: o.direct_grants,
                any_organization_applications: o.any_organization_applications,
                applications: o.applications,
                high: o.high,
                medium: o.medium,
                low: o.low,
                info: o.info,
                tokens_in_window: o.tokens_in_window,
                failures_in_window: o.failures_in_window,
                evidence_source: evidence_source(o.evidence_source),
                capped: o.capped,
            })
            .collect(),
        audited_this_call: r.audited_this_call,
        exposure: r
            .exposure
            .into_iter()
            .map(|e| wit::AnyOrganizationExposure {
                grant_id: e.grant_id,
                client_id: e.client_id,
                client_name: e.client_name,
                app_type: e.app_type,
                audience: e.audience,
                scopes: e.scopes,
                organization_usage: organization_usage(e.organization_usage),
                organizations: e.organizations,
                organizations_used: e.organizations_used,
            })
            .collect(),
        window_days: r.window_days,
        started_at: r.started_at,
        api_requests: r.api_requests,
        retries: r.retries,
        rate_limit_waits: r.rate_limit_waits,
        duration_ms: r.duration_ms,
        warnings: warnings(r.warnings),
    }
}
