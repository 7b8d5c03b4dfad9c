//! `splunk-hec`: HTTP Event Collector envelopes (`/services/collector/event`),
//! with the event time taken from the log's `date` so Splunk indexes it right.

use crate::event::LogEvent;

pub fn append(out: &mut Vec<u8>, event: &LogEvent, tenant: &str) {
    out.extend_from_slice(b"{");
    if let Some(ms) = event.time_ms() {
        // Sign and magnitude: -1.5 s is "-1.500", not "-2.500" (floor seconds + millis).
        let sign = if ms < 0 { "-" } else { "" };
        let abs = ms.unsigned_abs();
        let (secs, millis) = (abs / 1000, abs % 1000);
        out.extend_from_slice(format!("\"time\":{sign}{secs}.{millis:03},").as_bytes());
    }
    let host = serde_json::to_string(tenant).unwrap_or_else(|_| "\"auth0\"".into());
    out.extend_from_slice(b"\"host\":");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b",\"source\":\"auth0\",\"sourcetype\":\"auth0:log\",\"event\":");
    out.extend_from_slice(event.raw().as_bytes());
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time_of(date: &str) -> String {
        let json = format!(r#"{{"log_id":"1","date":"{date}"}}"#);
        let event = LogEvent::parse(&json, 0).ok();
        let mut out = Vec::new();
        if let Some(e) = &event {
            append(&mut out, e, "t");
        }
        let line: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        line["time"].to_string()
    }

    #[test]
    fn event_time_is_seconds_with_milliseconds() {
        assert_eq!(time_of("2024-10-24T19:06:17.517Z"), "1729796777.517");
        // Found by fuzz/ (log_page): a date before 1970 was written 2 s early
        // (-30205889622.001 for -30205889621.999).
        assert_eq!(time_of("1012-10-24T19:06:18.001Z"), "-30205889621.999");
        assert_eq!(time_of("1969-12-31T23:59:59.500Z"), "-0.5");
    }
}
