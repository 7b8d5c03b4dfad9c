//! `GET /api/v2/logs`: checkpoint mode for syncing (no 1,000-result cap) and
//! a small search-mode query to find where a first sync starts.

use crate::api::client::{Api, Prefetch};
use crate::api::link;
use crate::api::query;
use crate::api::session::Failure;
use crate::error::Error;
use crate::event::{LogEvent, parse_page};

pub const LOGS_PATH: &str = "/api/v2/logs";
/// The API's maximum page size in checkpoint mode.
pub const TAKE: u32 = 100;
const SCOPE: &str = "read:logs";

pub struct Page {
    pub events: Vec<LogEvent>,
    /// The `from` value the server's `Link rel="next"` asks for, when present.
    pub link_from: Option<String>,
}

/// One page of events with `log_id` greater than `from`.
pub fn page_after(api: &mut Api, from: &str) -> Result<Page, Failure> {
    let pending = request_page_after(api, from);
    collect_page(api, pending)
}

/// Asks for the page after `from` now; [`collect_page`] reads it later.
pub fn request_page_after(api: &mut Api, from: &str) -> Prefetch {
    api.prefetch(&query::build(
        LOGS_PATH,
        &[("from", from), ("take", &TAKE.to_string())],
    ))
}

pub fn collect_page(api: &mut Api, pending: Prefetch) -> Result<Page, Failure> {
    let (events, link_header) = api.get_prefetched(pending, SCOPE, |r| {
        let events = parse_page(&r.body)?;
        Ok((events, r.header("link").map(str::to_string)))
    })?;
    let link_from = match link_header.as_deref().and_then(link::next_url) {
        None => None,
        Some(url) => {
            let next = link::same_origin_path(url, &api.session.tenant.origin, LOGS_PATH)
                .map_err(|m| Error::upstream(200, m))?;
            query::param(&next, "from")
        }
    };
    Ok(Page { events, link_from })
}

/// Search mode: up to 100 events sorted by date (`ascending` or not), optionally
/// at or after an RFC 3339 time. Used once, to resolve where a first sync starts.
pub fn search_by_date(
    api: &mut Api,
    ascending: bool,
    since: Option<&str>,
) -> Result<Vec<LogEvent>, Failure> {
    let sort = if ascending { "date:1" } else { "date:-1" };
    let q = since.map(|t| format!("date:[{t} TO *]"));
    let mut params = vec![("sort", sort), ("per_page", "100"), ("page", "0")];
    if let Some(q) = q.as_deref() {
        params.push(("q", q));
    }
    let path = query::build(LOGS_PATH, &params);
    api.get(&path, SCOPE, |r| parse_page(&r.body))
}
