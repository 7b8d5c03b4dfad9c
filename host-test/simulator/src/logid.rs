//! Auth0 `log_id`s: `900` + UTC `YYYYMMDDhhmmss` of ingest + 39 digits of sequence,
//! so lexicographic order equals generation order (what checkpoint paging relies on).

use chrono::{DateTime, Utc};

/// Length of every generated log id.
pub const LOG_ID_LEN: usize = 56;

/// The log id of the event with 0-based generation `index`, ingested at `ingest_ms`.
pub fn log_id(ingest_ms: i64, index: u64) -> String {
    let stamp = DateTime::<Utc>::from_timestamp_millis(ingest_ms)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
        .format("%Y%m%d%H%M%S");
    format!("900{stamp}{:039}", index.saturating_add(1))
}

/// ISO 8601 with milliseconds and `Z`, as Auth0 writes `date`.
pub fn iso_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// True when `s` is a non-empty run of ASCII digits (what `from` must be).
pub fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_order() {
        let t = 1_729_796_777_517; // 2024-10-24T19:06:17.517Z
        let a = log_id(t, 0);
        assert_eq!(a.len(), LOG_ID_LEN);
        assert!(a.starts_with("90020241024190617"));
        assert!(a.ends_with("0001"));
        assert!(is_digits(&a));
        let b = log_id(t, 1);
        let c = log_id(t + 1000, 2);
        assert!(a < b && b < c);
        assert_eq!(iso_ms(t), "2024-10-24T19:06:17.517Z");
        assert!(!is_digits("") && !is_digits("12a"));
    }
}
