//! The audit's reports: plain records, lists instead of maps, so each type can
//! be mirrored one-to-one by a WIT record. Serde only where a type is stored.

use serde::{Deserialize, Serialize};

use crate::model::Warning;

/// How much a finding matters to a reviewer.
///
/// - `High`: access is being used without any current grant (revoked or misconfigured).
/// - `Medium`: access is broader than it looks or newly broadened: any-organization
///   routes, grants on applications that are not machine-to-machine, failed
///   token requests, grants added or scopes widened since the last audit.
/// - `Low`: granted but unused access (unused grants and scopes), and direct
///   associations that `organization_usage: deny` makes inert.
/// - `Info`: access that shrank since the last audit, and disagreements of the
///   eventually consistent clients search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

/// How an application reaches an API inside the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Route {
    /// A client grant associated with the organization.
    Direct,
    /// A client grant with `allow_any_organization: true`.
    AnyOrganization,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Direct => "direct",
            Route::AnyOrganization => "any-organization",
        }
    }
}

/// A grant's `organization_usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrganizationUsage {
    Deny,
    Allow,
    Require,
    /// Absent or a value the audit does not know.
    Unspecified,
}

impl OrganizationUsage {
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("deny") => OrganizationUsage::Deny,
            Some("allow") => OrganizationUsage::Allow,
            // Some documentation spells it `required`.
            Some("require" | "required") => OrganizationUsage::Require,
            _ => OrganizationUsage::Unspecified,
        }
    }
}

/// Where the usage evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EvidenceSource {
    /// The per-(organization, client) aggregates sync-logs keeps in key-value.
    SyncLogs,
    /// A search of the tenant logs (at most 1,000 events, newest first).
    LogSearch,
    /// No evidence: usage-based findings are not produced.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: Option<String>,
    pub display_name: Option<String>,
}

/// One route from an application to an API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub audience: String,
    /// Sorted, without duplicates.
    pub scopes: Vec<String>,
    pub route: Route,
    pub grant_id: String,
    pub organization_usage: OrganizationUsage,
}

/// Tokens an application obtained for one API inside the organization.
/// With `sync-logs` evidence the counts cover everything recorded and an
/// audience is listed only if it was seen within the window; with
/// `log-search` evidence the counts cover the window (or the newest 1,000 events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceUsage {
    pub audience: String,
    pub tokens: u64,
    pub failures: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Scopes requested in successful token requests, sorted.
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Tokens issued within the window.
    pub tokens: u64,
    /// Failed token requests within the window.
    pub failures: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub audiences: Vec<AudienceUsage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub client_id: String,
    /// None when the application could not be looked up (deleted, or names skipped).
    pub name: Option<String>,
    pub app_type: Option<String>,
    /// Sorted by audience, then route.
    pub access: Vec<Access>,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Stable code, e.g. `unused-grant`.
    pub code: String,
    pub client_id: String,
    pub audience: Option<String>,
    /// One sentence a reviewer understands.
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub applications: u32,
    pub direct_grants: u32,
    /// Any-organization grants that reach this organization.
    pub any_organization_grants: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub info: u32,
    pub tokens_in_window: u64,
    pub failures_in_window: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub source: EvidenceSource,
    pub window_days: u32,
    /// RFC 3339 start and end of the window.
    pub window_start: String,
    pub window_end: String,
    /// The log search stopped at Auth0's 1,000-result cap: older events in the window are missing.
    pub capped: bool,
    /// Log events read by the log search (0 for the other sources).
    pub events_read: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAuditReport {
    pub organization: Organization,
    /// Sorted by client id.
    pub applications: Vec<Application>,
    /// Sorted by severity, then code, client and audience.
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub evidence: Evidence,
    /// RFC 3339 time of this audit, and of the one its change findings compare with.
    pub audited_at: String,
    pub previous_audit_at: Option<String>,
    /// Management API requests made, including any token exchange.
    pub api_requests: u32,
    pub retries: u32,
    pub rate_limit_waits: u32,
    pub duration_ms: u64,
    pub warnings: Vec<Warning>,
}

/// One organization in the tenant overview; stored in the resumable cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummaryRow {
    pub org_id: String,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub direct_grants: u32,
    /// Applications that reach the organization through an any-organization grant.
    pub any_organization_applications: u32,
    pub applications: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub info: u32,
    pub tokens_in_window: u64,
    pub failures_in_window: u64,
    pub evidence_source: EvidenceSource,
    /// A 1,000-record cap stopped the grant listing or the log search.
    pub capped: bool,
}

/// One any-organization grant and how far it reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnyOrganizationExposure {
    pub grant_id: String,
    pub client_id: String,
    pub client_name: Option<String>,
    pub app_type: Option<String>,
    pub audience: String,
    pub scopes: Vec<String>,
    pub organization_usage: OrganizationUsage,
    /// Organizations it opens: every organization audited (0 when `deny`).
    pub organizations: u32,
    /// Organizations where the usage evidence shows tokens for it in the window.
    pub organizations_used: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantAuditReport {
    /// False: the time budget ended first; call again to continue.
    pub complete: bool,
    /// Every organization audited so far in this tenant audit (across calls), in list order.
    pub organizations: Vec<OrgSummaryRow>,
    /// Organizations audited by this call.
    pub audited_this_call: u32,
    pub exposure: Vec<AnyOrganizationExposure>,
    pub window_days: u32,
    /// RFC 3339 time the tenant audit started (its first call).
    pub started_at: String,
    pub api_requests: u32,
    pub retries: u32,
    pub rate_limit_waits: u32,
    pub duration_ms: u64,
    pub warnings: Vec<Warning>,
}
