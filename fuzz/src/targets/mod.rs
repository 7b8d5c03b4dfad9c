//! The fuzz targets, one function each; `tests/targets.rs` runs them.

pub mod api;
pub mod config;
pub mod parsers;
pub mod text;

use std::collections::BTreeMap;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// Characters `sanitize_server_text` treats as part of a bearer token.
pub fn is_token_like(word: &str) -> bool {
    word.len() >= 32
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '/' | '+'))
}

/// What `sanitize_server_text` promises: one line without control characters,
/// words separated by single spaces, bounded (300 bytes of words, plus at most
/// one word of 300 characters, an ellipsis and a fixed hint).
pub fn assert_sanitized(text: &str) {
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(
        !text.chars().any(|c| c.is_whitespace() && c != ' '),
        "{text:?}"
    );
    assert!(
        text.chars().count() <= 700,
        "{} chars",
        text.chars().count()
    );
}

/// True when the body is a JSON array, which serde also reads into a struct
/// (its fields by position): the field-by-name oracles do not apply.
pub fn is_json_array(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

/// The named fields of a top-level JSON object, read the way a
/// `#[derive(Deserialize)]` struct with those fields reads it: other fields are
/// skipped unchecked (even invalid UTF-8 in them), a repeated named field is an
/// error. None when the body is not such an object.
pub fn fields(body: &[u8], names: &[&str]) -> Option<BTreeMap<String, Value>> {
    struct Seed<'n>(&'n [&'n str]);
    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = BTreeMap<String, Value>;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = BTreeMap<String, Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if self.0.contains(&key.as_str()) {
                    let value: Value = map.next_value()?;
                    if out.insert(key, value).is_some() {
                        return Err(serde::de::Error::custom("duplicate field"));
                    }
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let out = Seed(names).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(out)
}
