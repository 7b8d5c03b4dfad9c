//! `splunk-hec`: HTTP Event Collector envelopes (`/services/collector/event`),
//! with the event time taken from the log's `date` so Splunk indexes it right.

use crate::event::LogEvent;

pub fn append(out: &mut Vec<u8>, event: &LogEvent, tenant: &str) {
    out.extend_from_slice(b"{");
    if let Some(ms) = event.time_ms() {
        let secs = ms.div_euclid(1000);
        let millis = ms.rem_euclid(1000);
        out.extend_from_slice(format!("\"time\":{secs}.{millis:03},").as_bytes());
    }
    let host = serde_json::to_string(tenant).unwrap_or_else(|_| "\"auth0\"".into());
    out.extend_from_slice(b"\"host\":");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b",\"source\":\"auth0\",\"sourcetype\":\"auth0:log\",\"event\":");
    out.extend_from_slice(event.raw.get().as_bytes());
    out.extend_from_slice(b"}\n");
}
