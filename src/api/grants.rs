//! Client grants: the grants associated with one organization
//! (`GET /api/v2/organizations/{id}/client-grants`, page paging) and the
//! grants open to any organization (`GET /api/v2/client-grants?allow_any_organization=true`,
//! checkpoint paging).

use serde::Deserialize;
use serde_json::Value;

use crate::api::client::Api;
use crate::api::paging::{Position, list_all};
use crate::api::query;
use crate::api::session::Failure;

pub use crate::api::paging::{MAX_PAGES, PAGE_SIZE};

const ORG_GRANTS_SCOPE: &str = "read:organization_client_grants";
const GRANTS_SCOPE: &str = "read:client_grants";
const GRANTS_PATH: &str = "/api/v2/client-grants";

fn scopes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Option::<Vec<Value>>::deserialize(d)?;
    Ok(v.unwrap_or_default()
        .into_iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect())
}

/// A client grant as the API returns it (unknown fields ignored).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct GrantRecord {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    #[serde(default, deserialize_with = "scopes")]
    pub scope: Vec<String>,
    #[serde(default)]
    pub organization_usage: Option<String>,
    #[serde(default)]
    pub allow_any_organization: Option<bool>,
}

/// Every grant associated with the organization. `org_id` must be validated
/// (it is placed in the path as is). Returns the grants and whether the
/// 1,000-record cap of page paging stopped the listing.
pub fn organization_grants(
    api: &mut Api,
    org_id: &crate::audit::OrgId,
) -> Result<(Vec<GrantRecord>, bool), Failure> {
    let path = format!(
        "/api/v2/organizations/{}/client-grants",
        query::encode(org_id.as_str())
    );
    list_all(
        api,
        &path,
        &[],
        "client_grants",
        ORG_GRANTS_SCOPE,
        Position::Page(0),
    )
}

/// Every grant with `allow_any_organization: true` (checkpoint paging first; the
/// older page paging and plain arrays are followed too).
pub fn any_organization_grants(api: &mut Api) -> Result<(Vec<GrantRecord>, bool), Failure> {
    let (grants, capped) = list_all::<GrantRecord>(
        api,
        GRANTS_PATH,
        &[("allow_any_organization", "true")],
        "client_grants",
        GRANTS_SCOPE,
        Position::Checkpoint(None),
    )?;
    // A server that ignored the filter must not open every grant to every organization.
    let grants = grants
        .into_iter()
        .filter(|g| g.allow_any_organization == Some(true))
        .collect();
    Ok((grants, capped))
}
