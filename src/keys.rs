//! The key-value layout, in one place. Keys name the tenant by `host[:port]`
//! and never contain a secret.

/// Bumped if a stored record changes incompatibly.
const PREFIX: &str = "auth0-audit/v1";

pub fn checkpoint(tenant: &str, stream: &str) -> String {
    format!("{PREFIX}/{tenant}/stream/{stream}/checkpoint")
}

pub fn health(tenant: &str, stream: &str) -> String {
    format!("{PREFIX}/{tenant}/stream/{stream}/health")
}

/// Counts runs of a stream; `increment` is the one atomic the store offers.
pub fn run_counter(tenant: &str, stream: &str) -> String {
    format!("{PREFIX}/{tenant}/stream/{stream}/runs")
}

/// Which run may deliver for a stream (see `sync::lease`).
pub fn lease(tenant: &str, stream: &str) -> String {
    format!("{PREFIX}/{tenant}/stream/{stream}/lease")
}

/// The ticket counter the lease draws from (`increment`).
pub fn lease_tickets(tenant: &str, stream: &str) -> String {
    format!("{PREFIX}/{tenant}/stream/{stream}/lease-tickets")
}

pub fn token(tenant: &str, client_id: &str, audience: &str) -> String {
    format!(
        "{PREFIX}/{tenant}/token/{client_id}/{:016x}",
        fnv1a(audience)
    )
}

/// Usage evidence (seccft/feccft) of one organization, written by sync, read by the audit.
pub fn org_usage(tenant: &str, org_id: &str) -> String {
    format!("{PREFIX}/{tenant}/usage/{org_id}")
}

/// FNV-1a: a stable, dependency-free hash to keep long values out of keys.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The last audit of one organization's access, for the next audit's change findings.
pub fn audit_snapshot(tenant: &str, org_id: &str) -> String {
    format!("{PREFIX}/{tenant}/audit/org/{org_id}/snapshot")
}

/// Where a resumable tenant audit stands (organization list position, rows done).
pub fn audit_tenant_cursor(tenant: &str) -> String {
    format!("{PREFIX}/{tenant}/audit/tenant/cursor")
}
