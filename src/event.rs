//! One Auth0 log event: the raw JSON kept byte-for-byte (unknown fields pass
//! through untouched) plus the few fields the connector reads.

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny};
use serde_json::value::RawValue;

use crate::error::Error;

/// A log event as received, with the fields the connector needs.
#[derive(Debug)]
pub struct LogEvent {
    pub raw: Box<RawValue>,
    pub log_id: String,
    pub date: Option<String>,
    pub kind: Option<String>,
    pub organization_id: Option<String>,
    pub client_id: Option<String>,
    pub audience: Option<String>,
    pub scopes: Vec<String>,
}

/// Accepts a string, and treats any other JSON type as absent: a wrong type in
/// a field we only read for statistics must not stop the export.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Any {
        S(String),
        Other(IgnoredAny),
    }
    Ok(match Option::<Any>::deserialize(d)? {
        Some(Any::S(s)) => Some(s),
        _ => None,
    })
}

/// `scope` is a space-separated string or an array of strings in Auth0 logs.
fn lenient_scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scope {
        S(String),
        L(Vec<serde_json::Value>),
        Other(IgnoredAny),
    }
    Ok(match Option::<Scope>::deserialize(d)? {
        Some(Scope::S(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(Scope::L(items)) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    })
}

#[derive(Deserialize)]
struct Fields {
    #[serde(default, deserialize_with = "lenient_string")]
    log_id: Option<String>,
    #[serde(default, rename = "_id", deserialize_with = "lenient_string")]
    underscore_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    date: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    organization_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    client_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    audience: Option<String>,
    #[serde(default, deserialize_with = "lenient_scopes")]
    scope: Vec<String>,
}

/// A log_id is a run of decimal digits (56 in practice); anything else cannot be
/// ordered safely and stops the run rather than risk a wrong checkpoint.
pub fn is_valid_log_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Orders log ids numerically (they are digit strings; longer means greater).
pub fn log_id_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The ingest time encoded in a log_id (`900` + `YYYYMMDDhhmmss` + ...), as UNIX ms.
pub fn log_id_time_ms(id: &str) -> Option<i64> {
    let stamp = id.strip_prefix("900")?.get(..14)?;
    if !stamp.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Fixed-width digits: read them directly (chrono's format-string parser
    // alone is ~40 KB of the component).
    let num = |r: std::ops::Range<usize>| stamp.get(r)?.parse::<u32>().ok();
    let t = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(4..6)?, num(6..8)?)?
        .and_hms_opt(num(8..10)?, num(10..12)?, num(12..14)?)?;
    Some(t.and_utc().timestamp_millis())
}

/// Formats UNIX ms as RFC 3339 UTC with milliseconds, like Auth0's `date`.
pub fn format_ms(ms: i64) -> String {
    use chrono::{Datelike as _, Timelike as _};
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                d.year(),
                d.month(),
                d.day(),
                d.hour(),
                d.minute(),
                d.second(),
                d.timestamp_subsec_millis()
            )
        })
        .unwrap_or_default()
}

/// Parses an RFC 3339 / ISO 8601 date as UNIX ms.
pub fn date_ms(date: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(date)
        .ok()
        .map(|d| d.timestamp_millis())
}

impl LogEvent {
    /// `index` is the position in the page, for the error message.
    pub fn parse(raw: Box<RawValue>, index: usize) -> Result<LogEvent, Error> {
        // Every sink writes one event per line. A line break inside JSON text
        // can only be whitespace between tokens (strings escape it), so a
        // pretty-printed event becomes one line without changing its value.
        let raw = if raw.get().contains(['\n', '\r']) {
            RawValue::from_string(raw.get().replace(['\n', '\r'], " "))
                .map_err(|e| Error::upstream(200, format!("log event #{index} of the page: {e}")))?
        } else {
            raw
        };
        let fields: Fields = serde_json::from_str(raw.get()).map_err(|e| {
            Error::upstream(
                200,
                format!("log event #{index} of the page is not an object: {e}"),
            )
        })?;
        let log_id = fields.log_id.or(fields.underscore_id).ok_or_else(|| {
            Error::upstream(200, format!("log event #{index} of the page has no log_id"))
        })?;
        if !is_valid_log_id(&log_id) {
            return Err(Error::upstream(
                200,
                format!("log event #{index} of the page has a malformed log_id"),
            ));
        }
        Ok(LogEvent {
            raw,
            log_id,
            date: fields.date,
            kind: fields.kind,
            organization_id: fields.organization_id,
            client_id: fields.client_id,
            audience: fields.audience,
            scopes: fields.scope,
        })
    }

    /// Event time in UNIX ms: `date`, or the ingest time in the log_id.
    pub fn time_ms(&self) -> Option<i64> {
        self.date
            .as_deref()
            .and_then(date_ms)
            .or_else(|| log_id_time_ms(&self.log_id))
    }
}

/// Splits a page body (a JSON array) into raw events without building a DOM.
pub fn parse_page(body: &[u8]) -> Result<Vec<LogEvent>, String> {
    let items: Vec<Box<RawValue>> = serde_json::from_slice(body)
        .map_err(|e| format!("the logs page is not a JSON array of events: {e}"))?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, raw)| LogEvent::parse(raw, i).map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "90020241024190617517817000000000000001223372036854775862";

    #[test]
    fn keeps_raw_bytes_and_reads_known_fields() {
        let body = format!(
            r#"[{{"log_id":"{ID}","date":"2024-10-24T19:06:17.517Z","type":"seccft","scope":["read:a","write:b"],"organization_id":"org_1","x_unknown":{{"k":[1,2]}}}}]"#
        );
        let page = parse_page(body.as_bytes()).unwrap_or_default();
        assert_eq!(page.len(), 1);
        let e = &page[0];
        assert!(e.raw.get().contains(r#""x_unknown":{"k":[1,2]}"#));
        assert_eq!(e.kind.as_deref(), Some("seccft"));
        assert_eq!(e.scopes, vec!["read:a", "write:b"]);
        assert_eq!(e.organization_id.as_deref(), Some("org_1"));
        assert_eq!(log_id_time_ms(ID), date_ms("2024-10-24T19:06:17Z"));
    }

    #[test]
    fn scope_as_string_and_wrong_types_are_tolerated() {
        let body = format!(
            r#"[{{"log_id":"{ID}","scope":"a b","date":12,"type":null,"client_id":{{"x":1}}}}]"#
        );
        let page = parse_page(body.as_bytes()).unwrap_or_default();
        assert_eq!(page[0].scopes, vec!["a", "b"]);
        assert_eq!(page[0].date, None);
        assert_eq!(page[0].client_id, None);
    }

    #[test]
    fn missing_or_malformed_log_id_fails_loudly() {
        assert!(parse_page(br#"[{"date":"x"}]"#).is_err());
        assert!(parse_page(br#"[{"log_id":"12ab"}]"#).is_err());
        assert!(parse_page(br#"[{"log_id":123}]"#).is_err());
        assert!(parse_page(br#"{"logs":[]}"#).is_err());
        assert!(parse_page(br#"[1,2]"#).is_err());
        assert!(parse_page(b"[{\"log_id\":\"1\"").is_err());
    }

    #[test]
    fn a_pretty_printed_event_is_kept_on_one_line() {
        // Found by fuzz/ (log_page): the sinks framed such an event as two lines.
        let page = parse_page(b"[{\"log_id\":\"1\",\r\n  \"type\":\"s\"}\n]").unwrap_or_default();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].raw.get(), r#"{"log_id":"1",    "type":"s"}"#);
        assert_eq!(page[0].kind.as_deref(), Some("s"));
    }

    #[test]
    fn ids_order_numerically() {
        use std::cmp::Ordering;
        assert_eq!(log_id_cmp("9", "10"), Ordering::Less);
        assert_eq!(log_id_cmp(ID, ID), Ordering::Equal);
    }

    #[test]
    fn deeply_nested_json_is_an_error_not_a_crash() {
        let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_page(deep.as_bytes()).is_err());
    }

    #[test]
    fn dates_format_and_parse_without_format_strings() {
        for (ms, text) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_729_796_777_123, "2024-10-24T19:06:17.123Z"),
            (951_782_400_999, "2000-02-29T00:00:00.999Z"),
            (253_402_300_799_000, "9999-12-31T23:59:59.000Z"),
        ] {
            assert_eq!(format_ms(ms), text);
            assert_eq!(date_ms(text), Some(ms));
        }
        assert_eq!(
            log_id_time_ms("90020240229235959000000000000000000000000000000000000001"),
            date_ms("2024-02-29T23:59:59Z")
        );
        for bad in [
            "90020230229000000",
            "90020241324000000",
            "9002024+1010000000",
            "900202410101200",
            "800202410101200000",
        ] {
            assert_eq!(log_id_time_ms(bad), None, "{bad}");
        }
    }
}
