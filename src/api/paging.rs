//! List paging shared by the audit's endpoints: checkpoint paging
//! (`from`/`take` → `next`) and page paging (`page`/`per_page`), in all three
//! response shapes (plain array, `include_totals` envelope, `{next, items}`).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::client::Api;
use crate::api::query;
use crate::api::session::Failure;
use crate::error::Error;

/// Page size of every list request (the API's maximum).
pub const PAGE_SIZE: u32 = 100;
/// Page paging (`page`/`per_page`) stops at this many records (400 `invalid_paging`).
pub const PAGE_PAGING_CAP: u32 = 1_000;
/// Pages one listing may take before the run calls the server faulty (100,000 records).
pub const MAX_PAGES: u32 = 1_000;

/// Where the next page of a listing starts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub enum Position {
    /// Checkpoint paging: `take`, and `from` once the server gave a `next`.
    Checkpoint(Option<String>),
    /// Page paging: `page` (from 0), `per_page`, `include_totals`.
    Page(u32),
}

/// One page of a listing.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// None: the listing is complete (or capped).
    pub next: Option<Position>,
    /// Page paging hit Auth0's 1,000-record cap while more records exist (or may).
    pub capped: bool,
    /// The record count an envelope announced (`total`), if any.
    pub total: Option<u64>,
}

/// A page body in any of the three shapes, before items are typed.
struct RawPage {
    items: Vec<Value>,
    next: Option<String>,
    has_next_field: bool,
    total: Option<u64>,
    start: Option<u64>,
}

fn parse_raw(body: &[u8], key: &str) -> Result<RawPage, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the {key} page is not JSON: {e}"))?;
    match value {
        Value::Array(items) => Ok(RawPage {
            items,
            next: None,
            has_next_field: false,
            total: None,
            start: None,
        }),
        Value::Object(mut map) => {
            let items = match map.remove(key) {
                Some(Value::Array(items)) => items,
                _ => return Err(format!("the {key} page has no `{key}` array")),
            };
            let has_next_field = map.contains_key("next");
            let next = match map.get("next") {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                _ => None,
            };
            Ok(RawPage {
                items,
                next,
                has_next_field,
                total: map.get("total").and_then(Value::as_u64),
                start: map.get("start").and_then(Value::as_u64),
            })
        }
        _ => Err(format!("the {key} page is neither an array nor an object")),
    }
}

/// The path of the request for `pos`.
pub fn page_path(path: &str, base: &[(&str, &str)], pos: &Position) -> String {
    let mut params: Vec<(&str, &str)> = base.to_vec();
    let size = PAGE_SIZE.to_string();
    let page;
    match pos {
        Position::Checkpoint(from) => {
            if let Some(from) = from {
                params.push(("from", from));
            }
            params.push(("take", &size));
        }
        Position::Page(p) => {
            page = p.to_string();
            params.push(("per_page", &size));
            params.push(("page", &page));
            params.push(("include_totals", "true"));
        }
    }
    query::build(path, &params)
}

/// Decides where the listing goes after a page, from what the server answered.
fn next_position(pos: &Position, raw: &RawPage) -> (Option<Position>, bool) {
    let n = raw.items.len() as u64;
    // Checkpoint answers: follow `next` while it moves and the page is not empty.
    if raw.has_next_field || raw.next.is_some() {
        return match (&raw.next, pos) {
            (Some(next), Position::Checkpoint(Some(current))) if next == current => (None, false),
            (Some(next), _) if n > 0 => (Some(Position::Checkpoint(Some(next.clone()))), false),
            _ => (None, false),
        };
    }
    let page = match pos {
        Position::Page(p) => *p,
        Position::Checkpoint(None) => 0,
        // The server ignored `from` and answered page-style: stop rather than loop.
        Position::Checkpoint(Some(_)) => return (None, false),
    };
    let fetched = match raw.start {
        Some(start) => start.saturating_add(n),
        None => u64::from(page) * u64::from(PAGE_SIZE) + n,
    };
    let more = match raw.total {
        Some(total) => n > 0 && fetched < total,
        None => n >= u64::from(PAGE_SIZE),
    };
    if !more {
        return (None, false);
    }
    let next = page.saturating_add(1);
    if u64::from(next) * u64::from(PAGE_SIZE) >= u64::from(PAGE_PAGING_CAP) {
        return (None, true);
    }
    (Some(Position::Page(next)), false)
}

/// GETs one page of a listing whose items sit under `key` in envelopes.
pub fn list_page<T: DeserializeOwned>(
    api: &mut Api,
    path: &str,
    base: &[(&str, &str)],
    key: &str,
    scope: &str,
    pos: &Position,
) -> Result<Listing<T>, Failure> {
    let url = page_path(path, base, pos);
    let result = api.get(&url, scope, |r| {
        let raw = parse_raw(&r.body, key)?;
        let (next, capped) = next_position(pos, &raw);
        let total = raw.total;
        let items = raw
            .items
            .into_iter()
            .map(|v| serde_json::from_value::<T>(v).map_err(|e| format!("a {key} item: {e}")))
            .collect::<Result<Vec<T>, String>>()?;
        Ok(Listing {
            items,
            next,
            capped,
            total,
        })
    });
    match result {
        // A server with a lower cap than ours: the listing is capped, not broken.
        Err(Failure::Job(Error::Upstream {
            status: 400,
            message,
        })) if matches!(pos, Position::Page(p) if *p > 0) && message.contains("invalid_paging") => {
            Ok(Listing {
                items: Vec::new(),
                next: None,
                capped: true,
                total: None,
            })
        }
        other => other,
    }
}

/// Every page of a listing from `start`. Returns the items and whether a cap stopped it.
pub fn list_all<T: DeserializeOwned>(
    api: &mut Api,
    path: &str,
    base: &[(&str, &str)],
    key: &str,
    scope: &str,
    start: Position,
) -> Result<(Vec<T>, bool), Failure> {
    let mut items = Vec::new();
    let mut pos = start;
    for _ in 0..MAX_PAGES {
        let page = list_page::<T>(api, path, base, key, scope, &pos)?;
        items.extend(page.items);
        match page.next {
            Some(next) => pos = next,
            None => return Ok((items, page.capped)),
        }
    }
    Err(Error::upstream(
        200,
        format!("{path} kept announcing more pages after {MAX_PAGES}; stopping"),
    )
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(body: &str) -> RawPage {
        parse_raw(body.as_bytes(), "client_grants").unwrap()
    }

    #[test]
    fn next_position_covers_both_paging_styles_and_the_cap() {
        let items = |n: usize| format!("[{}]", vec!["{}"; n].join(","));
        // Checkpoint: follow next while the page is not empty.
        let r = raw(&format!(r#"{{"next":"abc","client_grants":{}}}"#, items(3)));
        assert_eq!(
            next_position(&Position::Checkpoint(None), &r),
            (Some(Position::Checkpoint(Some("abc".into()))), false)
        );
        let r = raw(r#"{"next":"abc","client_grants":[]}"#);
        assert_eq!(
            next_position(&Position::Checkpoint(None), &r),
            (None, false)
        );
        let r = raw(&format!(r#"{{"next":"abc","client_grants":{}}}"#, items(1)));
        assert_eq!(
            next_position(&Position::Checkpoint(Some("abc".into())), &r),
            (None, false),
            "a next that does not move ends the listing"
        );
        // Envelope with totals.
        let r = raw(&format!(
            r#"{{"start":0,"limit":100,"total":100,"client_grants":{}}}"#,
            items(100)
        ));
        assert_eq!(next_position(&Position::Page(0), &r), (None, false));
        let r = raw(&format!(
            r#"{{"start":900,"limit":100,"total":1001,"client_grants":{}}}"#,
            items(100)
        ));
        assert_eq!(next_position(&Position::Page(9), &r), (None, true));
        // Plain array: a full page asks for the next one.
        let r = raw(&items(100));
        assert_eq!(
            next_position(&Position::Page(0), &r),
            (Some(Position::Page(1)), false)
        );
        let r = raw(&items(99));
        assert_eq!(next_position(&Position::Page(0), &r), (None, false));
        assert!(parse_raw(b"{}", "client_grants").is_err());
        assert!(parse_raw(b"7", "client_grants").is_err());
    }
}
