//! Applications: the organization search (`q=client_grant.organization_id:...`,
//! checkpoint paging, eventually consistent), the field-limited list (page
//! paging) and one application by id.

use serde::{Deserialize, Serialize};

use crate::api::client::Api;
use crate::api::paging::{Listing, Position, list_all, list_page};
use crate::api::query;
use crate::api::session::Failure;
use crate::audit::OrgId;
use crate::error::Error;

const SCOPE: &str = "read:clients";
pub const CLIENTS_PATH: &str = "/api/v2/clients";
const FIELDS: &str = "client_id,name,app_type";

/// The application fields the audit reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub app_type: Option<String>,
}

/// Applications the search index associates with the organization through a
/// client grant. `org_id` is validated, so the Lucene query needs no escaping.
pub fn search_by_organization(api: &mut Api, org_id: &OrgId) -> Result<Vec<ClientRecord>, Failure> {
    let q = format!("client_grant.organization_id:{}", org_id.as_str());
    let (clients, _) = list_all(
        api,
        CLIENTS_PATH,
        &[("q", &q)],
        "clients",
        SCOPE,
        Position::Checkpoint(None),
    )?;
    Ok(clients)
}

/// One page of every application, only the fields the audit needs.
pub fn list_page_at(api: &mut Api, pos: &Position) -> Result<Listing<ClientRecord>, Failure> {
    list_page(
        api,
        CLIENTS_PATH,
        &[("fields", FIELDS), ("include_fields", "true")],
        "clients",
        SCOPE,
        pos,
    )
}

/// True when `id` can be placed in a path segment as is.
pub fn is_path_safe(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// One application; `Ok(None)` when it does not exist (deleted since).
pub fn get(api: &mut Api, client_id: &str) -> Result<Option<ClientRecord>, Failure> {
    if !is_path_safe(client_id) {
        return Err(Error::upstream(200, "an application id has unexpected characters").into());
    }
    let path = query::build(
        &format!("{CLIENTS_PATH}/{client_id}"),
        &[("fields", FIELDS), ("include_fields", "true")],
    );
    let result = api.get(&path, SCOPE, |r| {
        serde_json::from_slice::<ClientRecord>(&r.body)
            .map_err(|e| format!("the application is not readable: {e}"))
    });
    match result {
        Ok(c) => Ok(Some(c)),
        Err(Failure::Job(Error::Upstream { status: 404, .. })) => Ok(None),
        Err(e) => Err(e),
    }
}
