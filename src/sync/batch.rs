//! The batch being built: formatted events for the sink, the greatest log_id
//! it covers (delivered or filtered), and the usage evidence it carries.
//! Everything in it is committed together, after the sink's acknowledgement.

use crate::event::LogEvent;
use crate::sink::Sink;
use crate::sync::filter::TypeFilter;
use crate::sync::usage::UsageCollector;

/// Filtered-only stretches still commit now and then, so progress is saved.
const MAX_FILTERED_PER_BATCH: u64 = 5_000;

#[derive(Debug, Default)]
pub struct Batch {
    pub body: Vec<u8>,
    pub events: u64,
    pub filtered: u64,
    pub last_log_id: Option<String>,
    pub last_date: Option<String>,
    pub usage: UsageCollector,
}

impl Batch {
    /// True if adding an event of `len` bytes would break the sink's bounds.
    pub fn is_full_for(&self, sink: &Sink, len: usize) -> bool {
        (self.events > 0
            && (self.body.len() + len + 128 > sink.max_bytes
                || self.events as usize >= sink.max_events))
            || self.filtered >= MAX_FILTERED_PER_BATCH
    }

    pub fn add(&mut self, event: LogEvent, sink: &Sink, filter: &TypeFilter) {
        self.usage.observe(&event);
        if filter.allows(event.kind.as_deref()) {
            sink.append(&mut self.body, &event);
            self.events += 1;
        } else {
            self.filtered += 1;
        }
        self.last_date = event.date;
        self.last_log_id = Some(event.log_id);
    }

    pub fn is_empty(&self) -> bool {
        self.last_log_id.is_none()
    }
}
