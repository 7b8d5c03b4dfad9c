//! Organizations: one by id (`GET /api/v2/organizations/{id}`) and the
//! tenant's list (`GET /api/v2/organizations`, checkpoint paging first).

use serde::{Deserialize, Serialize};

use crate::api::client::Api;
use crate::api::paging::{Listing, Position, list_page};
use crate::api::query;
use crate::api::session::Failure;
use crate::audit::OrgId;
use crate::error::Error;

const SCOPE: &str = "read:organizations";
pub const ORGANIZATIONS_PATH: &str = "/api/v2/organizations";

/// An organization as the API returns it (branding and metadata are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationRecord {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// The organization, or `Error::NotFound` when the tenant has none with this id.
pub fn get(api: &mut Api, org_id: &OrgId) -> Result<OrganizationRecord, Failure> {
    let path = format!("{ORGANIZATIONS_PATH}/{}", query::encode(org_id.as_str()));
    let result = api.get(&path, SCOPE, |r| {
        serde_json::from_slice::<OrganizationRecord>(&r.body)
            .map_err(|e| format!("the organization is not readable: {e}"))
    });
    match result {
        Err(Failure::Job(Error::Upstream { status: 404, .. })) => {
            Err(Error::NotFound(format!("organization {}", org_id.as_str())).into())
        }
        Ok(org) if org.id != org_id.as_str() => Err(Error::upstream(
            200,
            "the organization returned has another id than the one asked for",
        )
        .into()),
        other => other,
    }
}

/// One page of the tenant's organizations.
pub fn list_page_at(api: &mut Api, pos: &Position) -> Result<Listing<OrganizationRecord>, Failure> {
    list_page(api, ORGANIZATIONS_PATH, &[], "organizations", SCOPE, pos)
}
