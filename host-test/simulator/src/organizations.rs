//! `GET /api/v2/organizations`, `/organizations/{id}` and `/organizations/{id}/client-grants`.

use serde_json::Value;

use crate::query::{PagePaging, Query, checkpoint_page};
use crate::reply::ApiError;
use crate::tenant::TenantState;

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn not_found() -> ApiError {
    ApiError::new(
        404,
        "No organization found by that id or name",
        Some("inexistent_organization"),
    )
}

/// `GET /api/v2/organizations`: from/take, page paging, or a plain array.
pub(crate) fn list(tenant: &TenantState, q: &Query) -> Result<Value, ApiError> {
    let items: Vec<Value> = tenant.dir.organizations.iter().map(to_value).collect();
    if q.has("from") || q.has("take") {
        return checkpoint_page(q, "org", "organizations", items);
    }
    let paging = PagePaging::parse(q, 50)?;
    let page = paging.slice(&items).to_vec();
    Ok(paging.wrap("organizations", items.len(), page))
}

/// `GET /api/v2/organizations/{id}`.
pub(crate) fn get(tenant: &TenantState, id: &str) -> Result<Value, ApiError> {
    tenant
        .dir
        .organization(id)
        .map(to_value)
        .ok_or_else(not_found)
}

/// `GET /api/v2/organizations/{id}/client-grants` with audience / client_id / grant_ids filters.
pub(crate) fn client_grants(tenant: &TenantState, id: &str, q: &Query) -> Result<Value, ApiError> {
    let paging = PagePaging::parse(q, 50)?;
    paging.check_cap()?;
    if tenant.dir.organization(id).is_none() {
        return Err(not_found());
    }
    let grant_ids: Option<Vec<&str>> = q
        .get("grant_ids")
        .filter(|s| !s.is_empty())
        .map(|s| s.split(',').map(str::trim).collect());
    if grant_ids.as_ref().is_some_and(|g| g.len() > 10) {
        return Err(ApiError::bad_query(
            "Query validation error: 'grant_ids' accepts at most 10 ids",
        ));
    }
    let audience = q.get("audience");
    let client_id = q.get("client_id");
    let items: Vec<Value> = tenant
        .dir
        .org_grants
        .get(id)
        .map(|ids| {
            ids.iter()
                .filter_map(|gid| tenant.dir.grant(gid))
                .filter(|g| audience.is_none_or(|a| g.audience == a))
                .filter(|g| client_id.is_none_or(|c| g.client_id == c))
                .filter(|g| {
                    grant_ids
                        .as_ref()
                        .is_none_or(|ids| ids.contains(&g.id.as_str()))
                })
                .map(to_value)
                .collect()
        })
        .unwrap_or_default();
    let page = paging.slice(&items).to_vec();
    Ok(paging.wrap("client_grants", items.len(), page))
}
