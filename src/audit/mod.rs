//! The Organizations machine-to-machine access audit: who can reach which API
//! inside an organization (direct and any-organization client grants), who
//! actually did (usage evidence), and what changed since the last audit.

pub mod evidence;
pub mod findings;
pub mod model;
pub mod options;
pub mod org;
pub mod org_id;
pub mod routes;
pub mod snapshot;
pub mod tenant;

pub use model::*;
pub use options::{AuditOptions, TenantAuditOptions};
pub use org::audit_org;
pub use org_id::OrgId;
pub use tenant::audit_tenant;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
