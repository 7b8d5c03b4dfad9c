//! `GET /api/v2/clients` (listing and the eventually consistent `q=client_grant.*`
//! search) and `GET /api/v2/clients/{id}`.

use std::time::Instant;

use serde_json::Value;

use crate::query::{PagePaging, Query, checkpoint_page, select_fields};
use crate::reply::ApiError;
use crate::tenant::{Client, TenantState};

/// Parameters that cannot be combined with `q`.
const NOT_WITH_Q: [&str; 6] = [
    "page",
    "per_page",
    "include_totals",
    "app_type",
    "is_global",
    "is_first_party",
];

fn to_value(q: &Query, c: &Client) -> Result<Value, ApiError> {
    select_fields(q, serde_json::to_value(c).unwrap_or(Value::Null))
}

/// Clients the search index knows for the query, honouring the visibility lag.
fn search<'a>(
    tenant: &'a TenantState,
    expr: &str,
    now: Instant,
) -> Result<Vec<&'a Client>, ApiError> {
    let dir = &tenant.dir;
    let grant_client_ids: Vec<&str> = if let Some(org) =
        expr.strip_prefix("client_grant.organization_id:")
    {
        let org = org.trim_matches('"');
        dir.org_grants
            .get(org)
            .map(|ids| {
                ids.iter()
                    .filter(|gid| tenant.assoc_visible(org, gid, now))
                    .filter_map(|gid| dir.grant(gid))
                    .map(|g| g.client_id.as_str())
                    .collect()
            })
            .unwrap_or_default()
    } else if expr == "client_grant.allow_any_organization:true" {
        dir.client_grants
            .iter()
            .filter(|g| g.allow_any_organization && tenant.grant_visible(&g.id, now))
            .map(|g| g.client_id.as_str())
            .collect()
    } else {
        return Err(ApiError::bad_query(format!(
            "Invalid query string: unsupported q {expr:?} (supported: client_grant.organization_id:<id>, client_grant.allow_any_organization:true)"
        )));
    };
    Ok(dir
        .clients
        .iter()
        .filter(|c| grant_client_ids.contains(&c.client_id.as_str()))
        .collect())
}

/// `GET /api/v2/clients`.
pub(crate) fn list(tenant: &TenantState, q: &Query, now: Instant) -> Result<Value, ApiError> {
    if let Some(expr) = q.get("q") {
        if let Some(p) = NOT_WITH_Q.iter().find(|p| q.has(p)) {
            return Err(ApiError::bad_query(format!(
                "Query validation error: 'q' cannot be combined with '{p}'"
            )));
        }
        let items = search(tenant, expr.trim(), now)?
            .into_iter()
            .map(|c| to_value(q, c))
            .collect::<Result<Vec<_>, _>>()?;
        return checkpoint_page(q, "cli", "clients", items);
    }
    let app_types: Option<Vec<&str>> = q.get("app_type").map(|s| s.split(',').collect());
    let items = tenant
        .dir
        .clients
        .iter()
        .filter(|c| {
            app_types
                .as_ref()
                .is_none_or(|t| t.contains(&c.app_type.as_str()))
        })
        .map(|c| to_value(q, c))
        .collect::<Result<Vec<_>, _>>()?;
    if q.has("from") || q.has("take") {
        return checkpoint_page(q, "cli", "clients", items);
    }
    let paging = PagePaging::parse(q, 50)?;
    let page = paging.slice(&items).to_vec();
    Ok(paging.wrap("clients", items.len(), page))
}

/// `GET /api/v2/clients/{id}`.
pub(crate) fn get(tenant: &TenantState, id: &str, q: &Query) -> Result<Value, ApiError> {
    let client = tenant.dir.client(id).ok_or_else(|| {
        ApiError::new(404, "The client does not exist", Some("inexistent_client"))
    })?;
    to_value(q, client)
}
