//! `GET /api/v2/client-grants` with the `allow_any_organization`, `audience`, `client_id` filters.

use serde_json::Value;

use crate::query::{PagePaging, Query, checkpoint_page};
use crate::reply::ApiError;
use crate::tenant::TenantState;

/// `from`/`take` → `{next?, client_grants}`; page paging; or a plain array.
pub(crate) fn list(tenant: &TenantState, q: &Query) -> Result<Value, ApiError> {
    let any = q.boolean("allow_any_organization")?;
    let audience = q.get("audience");
    let client_id = q.get("client_id");
    let items: Vec<Value> = tenant
        .dir
        .client_grants
        .iter()
        .filter(|g| any.is_none_or(|a| g.allow_any_organization == a))
        .filter(|g| audience.is_none_or(|a| g.audience == a))
        .filter(|g| client_id.is_none_or(|c| g.client_id == c))
        .map(|g| serde_json::to_value(g).unwrap_or(Value::Null))
        .collect();
    if q.has("from") || q.has("take") {
        return checkpoint_page(q, "cgr", "client_grants", items);
    }
    let paging = PagePaging::parse(q, 50)?;
    let page = paging.slice(&items).to_vec();
    Ok(paging.wrap("client_grants", items.len(), page))
}
