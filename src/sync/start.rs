//! Where a first sync starts. Checkpoint mode needs a `from` log_id, so the
//! start is resolved with one search-mode query; after that only checkpoints count.

use crate::api::client::Api;
use crate::api::logs::search_by_date;
use crate::api::session::Failure;
use crate::event::{LogEvent, log_id_cmp};
use crate::sync::options::Start;

pub enum Resolved {
    /// Deliver `first`, then page from its log_id.
    From(LogEvent),
    /// Skip everything up to and including this log_id (start `now`).
    After {
        log_id: String,
        date: Option<String>,
    },
    /// The tenant has no event in range yet.
    Nothing,
}

/// Among the 100 oldest events by date (or since a time), the one with the smallest
/// log_id: a late-arriving event ingested before the oldest-dated one is not skipped.
pub fn resolve(api: &mut Api, start: &Start) -> Result<Resolved, Failure> {
    match start {
        Start::Oldest | Start::Timestamp(_) => {
            let since = match start {
                Start::Timestamp(t) => Some(t.as_str()),
                _ => None,
            };
            let events = search_by_date(api, true, since)?;
            Ok(events
                .into_iter()
                .min_by(|a, b| log_id_cmp(&a.log_id, &b.log_id))
                .map_or(Resolved::Nothing, Resolved::From))
        }
        Start::Now => {
            let events = search_by_date(api, false, None)?;
            Ok(events
                .into_iter()
                .max_by(|a, b| log_id_cmp(&a.log_id, &b.log_id))
                .map_or(Resolved::Nothing, |e| Resolved::After {
                    log_id: e.log_id,
                    date: e.date,
                }))
        }
    }
}
