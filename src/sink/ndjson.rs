//! `ndjson`: each Auth0 log object exactly as received, one per line.

use crate::event::LogEvent;

pub fn append(out: &mut Vec<u8>, event: &LogEvent) {
    out.extend_from_slice(event.raw().as_bytes());
    out.push(b'\n');
}
