//! One Auth0 log event: the raw JSON kept byte-for-byte (unknown fields pass
//! through untouched) plus the few fields the connector reads.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::Error;

/// A log event as received, with the fields the connector needs.
#[derive(Debug)]
pub struct LogEvent {
    /// The event's JSON text as received, except line breaks made spaces
    /// (read through [`LogEvent::raw`], so it stays one line).
    raw: Box<str>,
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
    d.deserialize_any(Lenient)
}

/// `scope` is a space-separated string or an array of strings in Auth0 logs.
fn lenient_scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_any(Scopes)
}

// Visitors rather than `#[serde(untagged)]` enums: an untagged enum first copies
// the value into serde's private `Content` buffer and then tries each variant,
// which made these eight fields cost as much as the rest of the event. Nested
// values are still walked with `deserialize_any`, as `Content` did, so the same
// JSON is accepted and rejected (including serde_json's nesting limit).

/// The scalars that are "absent" for every lenient field.
macro_rules! absent_scalars {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_key_seed(Skip)?.is_some() {
                map.next_value_seed(Skip)?;
            }
            Ok($value)
        }
    };
}

/// Walks any JSON value and keeps nothing.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    absent_scalars!(());
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
}

/// A string, or `None` for any other value.
struct Lenient;

impl<'de> DeserializeSeed<'de> for Lenient {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(Lenient)
    }
}

impl<'de> Visitor<'de> for Lenient {
    type Value = Option<String>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    absent_scalars!(None);
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(Lenient)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(None)
    }
}

/// Scopes from a space-separated string or from the strings of an array.
struct Scopes;

impl<'de> Visitor<'de> for Scopes {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    absent_scalars!(Vec::new());
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.split_whitespace().map(str::to_string).collect())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(Scopes)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut scopes = Vec::new();
        while let Some(item) = seq.next_element_seed(Lenient)? {
            scopes.extend(item);
        }
        Ok(scopes)
    }
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

/// Whether `bytes` hold a `\n` or `\r`, eight bytes per step (SWAR: a byte of
/// `x` is zero iff `(x - 0x01..) & !x & 0x80..` has its top bit; exact as a
/// yes/no). `str::contains` with a char pattern decoded every character and
/// was the largest single cost of a page; a plain byte loop is not vectorised
/// at the release profile's `opt-level = "s"`.
fn has_line_break(bytes: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const LF: u64 = LO * b'\n' as u64;
    const CR: u64 = LO * b'\r' as u64;
    let zero_byte = |x: u64| x.wrapping_sub(LO) & !x;
    // `as_chunks` yields `[u8; 8]` directly: a `copy_from_slice` into a buffer
    // stayed an out-of-line call per word in the wasm build.
    let (words, rest) = bytes.as_chunks::<8>();
    for word in words {
        let x = u64::from_le_bytes(*word);
        if (zero_byte(x ^ LF) | zero_byte(x ^ CR)) & HI != 0 {
            return true;
        }
    }
    rest.iter().any(|&b| b == b'\n' || b == b'\r')
}

impl LogEvent {
    /// One event's JSON text (the whole input is the one value). `index` is its
    /// position in the page, for the error message.
    pub fn parse(json: &str, index: usize) -> Result<LogEvent, Error> {
        let start = json.len() - json.trim_start().len();
        let (event, end) = read_event(json, start, index)?;
        if !json[end..].trim().is_empty() {
            return Err(not_an_object(index, &"text after the event"));
        }
        Ok(event)
    }

    /// `raw` is the event's exact text; `fields` were read from it.
    fn from_parts(raw: &str, fields: Fields, index: usize) -> Result<LogEvent, Error> {
        let log_id = fields.log_id.or(fields.underscore_id).ok_or_else(|| {
            Error::upstream(200, format!("log event #{index} of the page has no log_id"))
        })?;
        if !is_valid_log_id(&log_id) {
            return Err(Error::upstream(
                200,
                format!("log event #{index} of the page has a malformed log_id"),
            ));
        }
        // Every sink writes one event per line. A line break inside JSON text
        // can only be whitespace between tokens (strings escape it), so a
        // pretty-printed event becomes one line without changing its value.
        let raw = if has_line_break(raw.as_bytes()) {
            raw.replace(['\n', '\r'], " ").into_boxed_str()
        } else {
            Box::from(raw)
        };
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

    /// The event's JSON text as received (on one line).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Event time in UNIX ms: `date`, or the ingest time in the log_id.
    pub fn time_ms(&self) -> Option<i64> {
        self.date
            .as_deref()
            .and_then(date_ms)
            .or_else(|| log_id_time_ms(&self.log_id))
    }
}

fn not_an_object(index: usize, e: &dyn std::fmt::Display) -> Error {
    Error::upstream(
        200,
        format!("log event #{index} of the page is not an object: {e}"),
    )
}

/// Reads the event whose JSON value starts at byte `at` of `text` (not at
/// whitespace, so the stream's byte offset after one value is the value's end)
/// and returns it with that end.
fn read_event(text: &str, at: usize, index: usize) -> Result<(LogEvent, usize), Error> {
    let mut stream = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Fields>();
    let fields = match stream.next() {
        Some(Ok(fields)) => fields,
        Some(Err(e)) => return Err(not_an_object(index, &e)),
        None => return Err(not_an_object(index, &"the text ends before it")),
    };
    let end = at + stream.byte_offset();
    Ok((LogEvent::from_parts(&text[at..end], fields, index)?, end))
}

/// Index of the first non-whitespace byte at or after `at` (JSON whitespace).
fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// Splits a page body (a JSON array of objects) into events in one pass: each
/// element is read once, for its fields, and its byte span kept as the raw text
/// (reading the array into `RawValue`s first scanned every byte twice).
pub fn parse_page(body: &[u8]) -> Result<Vec<LogEvent>, String> {
    let not_array = |detail: &dyn std::fmt::Display| {
        format!("the logs page is not a JSON array of events: {detail}")
    };
    let text = std::str::from_utf8(body).map_err(|e| not_array(&e))?;
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, 0);
    if bytes.get(at) != Some(&b'[') {
        return Err(not_array(&"it does not start with `[`"));
    }
    at = skip_ws(bytes, at + 1);
    let mut events = Vec::new();
    if bytes.get(at) == Some(&b']') {
        at += 1;
    } else {
        loop {
            let index = events.len();
            if at == bytes.len() {
                return Err(not_array(&"it ends inside the array"));
            }
            let (event, end) = read_event(text, at, index).map_err(|e| e.to_string())?;
            events.push(event);
            at = skip_ws(bytes, end);
            match bytes.get(at) {
                Some(b',') => at = skip_ws(bytes, at + 1),
                Some(b']') => {
                    at += 1;
                    break;
                }
                _ => {
                    return Err(not_array(&format!(
                        "expected `,` or `]` after event #{index}"
                    )));
                }
            }
        }
    }
    if skip_ws(bytes, at) != bytes.len() {
        return Err(not_array(&"text after the array"));
    }
    Ok(events)
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
        assert!(e.raw().contains(r#""x_unknown":{"k":[1,2]}"#));
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
    fn the_array_is_read_strictly_and_each_span_is_the_event() {
        let one = format!(r#"{{"log_id":"{ID}","a":[1,{{"b":"]"}}]}}"#);
        for body in [
            format!("[{one}]"),
            format!(" \t[ {one} ]\n"),
            format!("[{one} ,\n{one}]"),
        ] {
            let page = parse_page(body.as_bytes());
            assert!(page.is_ok(), "{body}: {page:?}");
            for e in page.unwrap_or_default() {
                assert_eq!(e.raw(), one);
            }
        }
        assert_eq!(parse_page(b" [ ] ").map(|p| p.len()), Ok(0));
        for bad in [
            "".to_string(),
            "[".to_string(),
            format!("[{one}"),
            format!("[{one},"),
            format!("[{one},]"),
            format!("[,{one}]"),
            format!("[{one}{one}]"),
            format!("[{one}] x"),
            format!("[{one}]]"),
            format!("[{one}],[]"),
            "[null]".to_string(),
            r#"[{"log_id":"1"} 1]"#.to_string(),
        ] {
            assert!(parse_page(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(parse_page(b"[{\"log_id\":\"1\",\"x\":\"\xff\"}]").is_err());
        let err = parse_page(format!(r#"[{one},{{"log_id":"1x"}}]"#).as_bytes());
        assert_eq!(
            err.err().as_deref(),
            Some("Auth0 answered 200: log event #1 of the page has a malformed log_id")
        );
    }

    #[test]
    fn one_event_parses_alone_and_refuses_company() {
        let json = format!(r#"  {{"_id":"{ID}","type":"s"}} "#);
        let e = LogEvent::parse(&json, 0);
        assert_eq!(e.as_ref().map(|e| e.raw()).ok(), Some(json.trim()));
        assert_eq!(e.map(|e| e.log_id).ok().as_deref(), Some(ID));
        assert!(LogEvent::parse(&format!(r#"{{"_id":"{ID}"}} {{}}"#), 0).is_err());
        assert!(LogEvent::parse("", 0).is_err());
    }

    #[test]
    fn a_pretty_printed_event_is_kept_on_one_line() {
        // Found by fuzz/ (log_page): the sinks framed such an event as two lines.
        let page = parse_page(b"[{\"log_id\":\"1\",\r\n  \"type\":\"s\"}\n]").unwrap_or_default();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].raw(), r#"{"log_id":"1",    "type":"s"}"#);
        assert_eq!(page[0].kind.as_deref(), Some("s"));
    }

    #[test]
    fn ids_order_numerically() {
        use std::cmp::Ordering;
        assert_eq!(log_id_cmp("9", "10"), Ordering::Less);
        assert_eq!(log_id_cmp(ID, ID), Ordering::Equal);
    }

    /// The untagged-enum deserializers the visitors replaced, kept as the reference.
    mod reference {
        use serde::Deserialize;
        use serde::de::{Deserializer, IgnoredAny};

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

        #[derive(Deserialize, Debug, PartialEq)]
        pub struct Fields {
            #[serde(default, deserialize_with = "lenient_string")]
            pub log_id: Option<String>,
            #[serde(default, deserialize_with = "lenient_string")]
            pub client_id: Option<String>,
            #[serde(default, deserialize_with = "lenient_scopes")]
            pub scope: Vec<String>,
        }
    }

    #[test]
    fn lenient_visitors_accept_and_reject_what_the_untagged_enums_did() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let deep_map = |n: usize| format!("{}1{}", r#"{"k":"#.repeat(n), "}".repeat(n));
        let values = [
            r#""a b""#.to_string(),
            r#""esc\"aped \u00e9""#.to_string(),
            "null".into(),
            "true".into(),
            "-12".into(),
            "18446744073709551615".into(),
            "1.5e300".into(),
            "1e400".into(),
            "[]".into(),
            r#"["x","y z",1,null,["n"],{"o":"p"}]"#.into(),
            r#"{"a":[1,{"b":"c"}],"d":null}"#.into(),
            deep(100),
            deep(126),
            deep(127),
            deep(200),
            deep_map(127),
            deep_map(200),
            format!("[{}]", deep(127)),
        ];
        for value in &values {
            for field in ["log_id", "client_id", "scope"] {
                let json = format!(r#"{{"{field}":{value},"x":1}}"#);
                let new = serde_json::from_str::<Fields>(&json)
                    .map(|f| (f.log_id, f.client_id, f.scope))
                    .map_err(|_| ());
                let old = serde_json::from_str::<reference::Fields>(&json)
                    .map(|f| (f.log_id, f.client_id, f.scope))
                    .map_err(|_| ());
                assert_eq!(new, old, "{field}: {value:.60}");
            }
        }
    }

    #[test]
    fn line_breaks_are_found_in_every_position() {
        assert!(!has_line_break(b""));
        assert!(!has_line_break(&[b'a'; 100]));
        // Neighbours of the two bytes, and bytes whose top bit would confuse SWAR.
        let near: Vec<u8> = [0x00, 0x09, 0x0b, 0x0c, 0x0e, 0x8a, 0x8d, 0xff, 0x80, 0x7f].repeat(7);
        assert!(!has_line_break(&near));
        for len in [1, 31, 32, 33, 64, 100] {
            for at in 0..len {
                for b in *b"\n\r" {
                    let mut bytes = vec![b' '; len];
                    bytes[at] = b;
                    assert!(has_line_break(&bytes), "{len} {at}");
                }
            }
        }
    }

    #[test]
    fn deeply_nested_json_is_an_error_not_a_crash() {
        let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_page(deep.as_bytes()).is_err());
        // A field the connector does not read is skipped without recursing, so
        // any depth there passes through untouched.
        let body = format!(
            r#"[{{"log_id":"1","x":{}{}}}]"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(parse_page(body.as_bytes()).map(|p| p.len()), Ok(1));
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
