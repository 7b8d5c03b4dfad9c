//! `log-streams`: `{"log_id": ..., "data": {...}}` per line, the payload of
//! Auth0's own custom-webhook log stream, so existing receivers work unchanged.

use crate::event::LogEvent;

pub fn append(out: &mut Vec<u8>, event: &LogEvent) {
    // log_id is validated to be digits only, so it needs no escaping.
    out.extend_from_slice(b"{\"log_id\":\"");
    out.extend_from_slice(event.log_id.as_bytes());
    out.extend_from_slice(b"\",\"data\":");
    out.extend_from_slice(event.raw().as_bytes());
    out.extend_from_slice(b"}\n");
}
