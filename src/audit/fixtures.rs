//! A fake Auth0 tenant for the audit: organizations, direct and
//! any-organization grants, applications, the (lagging) clients search and
//! the logs search, each in the response shapes and paging styles Auth0 uses.
//! Every request advances the fake clock by `tick_ms`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::api::query::param;
use crate::model::{Credentials, Secret, TenantConfig};
use crate::ports::{Request, Response, TransportError};
use crate::testing::{FakeClock, response};

pub const NOW_MS: i64 = 1_764_000_000_000; // 2025-11-24T16:00:00Z
pub const DAY_MS: i64 = 86_400_000;

pub fn tenant() -> TenantConfig {
    TenantConfig {
        domain: "acme.auth0.com".into(),
        credentials: Credentials::AccessToken(Secret::new("test-token")),
        audience: None,
        bucket: String::new(),
        cache_token: None,
    }
}

/// How a list endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `{next, items}` for from/take requests (page requests get the envelope).
    Checkpoint,
    /// `{start, limit, total, items}`, ignoring from/take.
    Envelope,
    /// A plain array, ignoring from/take.
    Array,
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
    pub organization_usage: Option<String>,
    pub any: bool,
}

pub fn grant(id: &str, client: &str, audience: &str, scopes: &[&str]) -> Grant {
    Grant {
        id: id.into(),
        client_id: client.into(),
        audience: audience.into(),
        scope: scopes.iter().map(|s| s.to_string()).collect(),
        organization_usage: Some("allow".into()),
        any: false,
    }
}

impl Grant {
    fn json(&self) -> Value {
        json!({
            "id": self.id, "client_id": self.client_id, "audience": self.audience,
            "scope": self.scope, "organization_usage": self.organization_usage,
            "allow_any_organization": self.any, "is_system": false,
        })
    }
}

pub struct Log {
    pub date_ms: i64,
    pub kind: &'static str,
    pub org: String,
    pub client: String,
    pub audience: String,
    pub scope: String,
}

pub struct FakeAudit {
    pub orgs: RefCell<Vec<(String, String)>>,
    pub direct: RefCell<BTreeMap<String, Vec<Grant>>>,
    pub any: RefCell<Vec<Grant>>,
    /// (client_id, name, app_type)
    pub clients: RefCell<Vec<(String, String, String)>>,
    /// What the search index says per organization; absent: the true direct grants.
    pub search: RefCell<BTreeMap<String, Vec<String>>>,
    pub logs: RefCell<Vec<Log>>,
    pub direct_shape: Cell<Style>,
    pub any_style: Cell<Style>,
    pub org_style: Cell<Style>,
    pub tick_ms: Cell<u64>,
}

impl Default for FakeAudit {
    fn default() -> Self {
        FakeAudit {
            orgs: RefCell::default(),
            direct: RefCell::default(),
            any: RefCell::default(),
            clients: RefCell::default(),
            search: RefCell::default(),
            logs: RefCell::default(),
            direct_shape: Cell::new(Style::Envelope),
            any_style: Cell::new(Style::Checkpoint),
            org_style: Cell::new(Style::Checkpoint),
            tick_ms: Cell::new(0),
        }
    }
}

fn num(path: &str, name: &str) -> Option<usize> {
    param(path, name).and_then(|v| v.parse().ok())
}

fn bad_paging() -> Response {
    response(
        400,
        r#"{"statusCode":400,"error":"Bad Request","message":"You can only page through the first 1000 records","errorCode":"invalid_paging"}"#,
    )
}

/// Serves `items` for a list request in `style`, or None for a paging error.
fn listing(path: &str, key: &str, items: &[Value], style: Style) -> Response {
    let checkpoint = param(path, "take").is_some() && param(path, "page").is_none();
    if checkpoint && style == Style::Checkpoint {
        let from: usize = param(path, "from")
            .and_then(|f| f.parse().ok())
            .unwrap_or(0);
        let take = num(path, "take").unwrap_or(50).min(100);
        let page: Vec<Value> = items.iter().skip(from).take(take).cloned().collect();
        let mut body = json!({ key: page });
        if from + take < items.len() {
            body["next"] = json!((from + take).to_string());
        }
        return response(200, &body.to_string());
    }
    let per_page = num(path, "per_page")
        .or_else(|| num(path, "take"))
        .unwrap_or(50)
        .min(100);
    let page = num(path, "page").unwrap_or(0);
    if (page + 1) * per_page > 1000 {
        return bad_paging();
    }
    let slice: Vec<Value> = items
        .iter()
        .skip(page * per_page)
        .take(per_page)
        .cloned()
        .collect();
    let body = match style {
        Style::Array => Value::Array(slice),
        _ => json!({"start": page * per_page, "limit": per_page, "total": items.len(), key: slice}),
    };
    response(200, &body.to_string())
}

impl FakeAudit {
    pub fn add_client(&self, id: &str, name: &str, app_type: &str) {
        self.clients
            .borrow_mut()
            .push((id.into(), name.into(), app_type.into()));
    }

    pub fn add_org(&self, id: &str, name: &str) {
        self.orgs.borrow_mut().push((id.into(), name.into()));
        self.direct.borrow_mut().entry(id.into()).or_default();
    }

    fn client_json(&self, id: &str) -> Option<Value> {
        self.clients
            .borrow()
            .iter()
            .find(|c| c.0 == id)
            .map(|c| json!({"client_id": c.0, "name": c.1, "app_type": c.2}))
    }

    pub fn handle(&self, req: &Request, clock: &FakeClock) -> Result<Response, TransportError> {
        clock.advance(self.tick_ms.get());
        let path = req.path_and_query.as_str();
        let route = path.split('?').next().unwrap_or_default();
        let segs: Vec<&str> = route.trim_start_matches("/api/v2/").split('/').collect();
        match segs.as_slice() {
            ["organizations"] => {
                let items: Vec<Value> = self
                    .orgs
                    .borrow()
                    .iter()
                    .map(|(id, name)| json!({"id": id, "name": name, "display_name": name.to_uppercase()}))
                    .collect();
                Ok(listing(path, "organizations", &items, self.org_style.get()))
            }
            ["organizations", id] => match self.orgs.borrow().iter().find(|o| o.0 == *id) {
                Some((id, name)) => Ok(response(
                    200,
                    &json!({"id": id, "name": name, "display_name": name.to_uppercase(), "branding": {}}).to_string(),
                )),
                None => Ok(response(404, r#"{"statusCode":404,"message":"No organization found by that id or name"}"#)),
            },
            ["organizations", id, "client-grants"] => match self.direct.borrow().get(*id) {
                Some(grants) => {
                    let items: Vec<Value> = grants.iter().map(Grant::json).collect();
                    Ok(listing(path, "client_grants", &items, self.direct_shape.get()))
                }
                None => Ok(response(404, r#"{"statusCode":404,"message":"not found"}"#)),
            },
            ["client-grants"] => {
                assert_eq!(param(path, "allow_any_organization").as_deref(), Some("true"));
                let items: Vec<Value> = self.any.borrow().iter().map(Grant::json).collect();
                Ok(listing(path, "client_grants", &items, self.any_style.get()))
            }
            ["clients"] => {
                if let Some(q) = param(path, "q") {
                    let org = q.strip_prefix("client_grant.organization_id:").unwrap_or("");
                    let ids: Vec<String> = match self.search.borrow().get(org) {
                        Some(ids) => ids.clone(),
                        None => self
                            .direct
                            .borrow()
                            .get(org)
                            .map(|g| g.iter().map(|g| g.client_id.clone()).collect())
                            .unwrap_or_default(),
                    };
                    let mut ids = ids;
                    ids.sort();
                    ids.dedup();
                    let items: Vec<Value> =
                        ids.iter().filter_map(|id| self.client_json(id)).collect();
                    return Ok(listing(path, "clients", &items, Style::Checkpoint));
                }
                assert_eq!(param(path, "fields").as_deref(), Some("client_id,name,app_type"));
                let items: Vec<Value> = self
                    .clients
                    .borrow()
                    .iter()
                    .filter_map(|c| self.client_json(&c.0))
                    .collect();
                Ok(listing(path, "clients", &items, Style::Envelope))
            }
            ["clients", id] => match self.client_json(id) {
                Some(v) => Ok(response(200, &v.to_string())),
                None => Ok(response(404, r#"{"statusCode":404,"message":"Client not found"}"#)),
            },
            ["logs"] => {
                let q = param(path, "q").unwrap_or_default();
                let org = q
                    .split("organization_id:\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap_or("")
                    .to_string();
                assert!(q.contains("type:seccft OR type:feccft"), "{q}");
                let per_page = num(path, "per_page").unwrap_or(50);
                let page = num(path, "page").unwrap_or(0);
                if (page + 1) * per_page > 1000 {
                    return Ok(bad_paging());
                }
                let logs = self.logs.borrow();
                let mut hits: Vec<&Log> = logs.iter().filter(|l| l.org == org).collect();
                hits.sort_by_key(|l| std::cmp::Reverse(l.date_ms));
                let items: Vec<Value> = hits
                    .iter()
                    .enumerate()
                    .skip(page * per_page)
                    .take(per_page)
                    .map(|(i, l)| {
                        json!({
                            "log_id": format!("9002025{i:049}"), "date": crate::event::format_ms(l.date_ms),
                            "type": l.kind, "organization_id": l.org, "client_id": l.client,
                            "audience": l.audience, "scope": l.scope,
                        })
                    })
                    .collect();
                Ok(response(200, &Value::Array(items).to_string()))
            }
            _ => Ok(response(404, "{}")),
        }
    }
}
