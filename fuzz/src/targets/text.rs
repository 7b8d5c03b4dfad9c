//! Text helpers every request and error goes through: query-string encoding
//! (src/api/query.rs) and secret redaction (src/error.rs).

use arbitrary::Arbitrary;

use auth0_audit_component::api::query;
use auth0_audit_component::error::{Error, sanitize_server_text, secret_variants};

use crate::inputs::Text;
use crate::targets::assert_sanitized;

#[derive(Debug, Arbitrary)]
pub struct QueryInput {
    pub value: Text,
    pub params: Vec<(u8, Text)>,
    pub raw: Text,
}

const PARAM_NAMES: [&str; 6] = ["from", "take", "q", "page", "per_page", "include_totals"];

/// Query-string encoding and decoding.
///
/// Properties: `encode` emits only unreserved characters and `%XX` escapes
/// and `decode` inverts it; `build` then `param` gives back the first value
/// of each name; `decode` of text without `%` or `+` is the text itself.
pub fn query_codec(input: &QueryInput) {
    let value = input.value.as_str();
    let encoded = query::encode(value);
    let mut bytes = encoded.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex: Vec<u8> = bytes.by_ref().take(2).collect();
            assert!(
                hex.len() == 2
                    && hex
                        .iter()
                        .all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h)),
                "{encoded}"
            );
        } else {
            assert!(
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'),
                "{encoded}"
            );
        }
    }
    assert_eq!(query::decode(&encoded), value);
    let params: Vec<(&str, &str)> = input
        .params
        .iter()
        .map(|(i, v)| (PARAM_NAMES[usize::from(*i) % PARAM_NAMES.len()], v.as_str()))
        .collect();
    let url = query::build("/api/v2/logs", &params);
    assert!(url.is_ascii() && !url.contains(' ') && !url.contains('#'));
    for name in PARAM_NAMES {
        let first = params.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        assert_eq!(query::param(&url, name).as_deref(), first, "{url}");
    }
    let raw = input.raw.as_str();
    let decoded = query::decode(raw);
    if !raw.contains(['%', '+']) {
        assert_eq!(decoded, raw);
    }
    let _ = query::param(raw, value);
}

#[derive(Debug, Arbitrary)]
pub struct RedactInput {
    pub secrets: Vec<Text>,
    pub pieces: Vec<RedactPiece>,
    pub variant: u8,
    pub sanitize_first: bool,
}

#[derive(Debug, Arbitrary)]
pub enum RedactPiece {
    Text(Text),
    Secret(u8),
    /// A variant of a secret (e.g. the token alone from `Splunk <token>`).
    Variant(u8),
}

const MARKER: &str = "[redacted]";

fn message(e: &Error) -> &str {
    match e {
        Error::Config { message, .. }
        | Error::RateLimited { message, .. }
        | Error::Upstream { message, .. }
        | Error::Sink { message, .. } => message,
        Error::Auth(m)
        | Error::Forbidden(m)
        | Error::NotFound(m)
        | Error::Transport(m)
        | Error::Storage(m)
        | Error::Deadline(m) => m,
    }
}

fn build(variant: u8, text: String) -> Error {
    match variant % 10 {
        0 => Error::config("sink.headers[0]", text),
        1 => Error::Auth(text),
        2 => Error::Forbidden(text),
        3 => Error::NotFound(text),
        4 => Error::RateLimited {
            retry_after_ms: Some(1),
            message: text,
        },
        5 => Error::upstream(500, text),
        6 => Error::Transport(text),
        7 => Error::Sink {
            status: Some(400),
            message: text,
        },
        8 => Error::Storage(text),
        _ => Error::Deadline(text),
    }
}

/// `Error::redact` with `secret_variants`, as the jobs scrub every error, and
/// `sanitize_server_text`, which server text goes through first.
///
/// Properties: after redaction no message contains a secret variant (the
/// value, and each word of 8+ bytes of it; values under 4 bytes are not
/// scrubbed), unless the variant contains '[' or ']' or lies inside the
/// marker itself: only then can `[redacted]` and the text around it spell the
/// secret again (a known limit of replace-by-marker, not asserted); the
/// variant's case is kept; sanitized text is one bounded line.
pub fn redaction(input: &RedactInput) {
    let secrets: Vec<&str> = input.secrets.iter().take(4).map(Text::as_str).collect();
    let variants: Vec<String> = secrets.iter().flat_map(|s| secret_variants(s)).collect();
    for s in &secrets {
        let v = secret_variants(s);
        assert!(v.iter().all(|x| x.len() >= 4));
        assert_eq!(v.first().map(String::as_str) == Some(*s), s.len() >= 4);
        for w in s.split_whitespace().filter(|w| w.len() >= 8) {
            assert!(v.iter().any(|x| x == w));
        }
    }
    let mut text = String::new();
    for piece in &input.pieces {
        match piece {
            RedactPiece::Text(t) => text.push_str(t.as_str()),
            RedactPiece::Secret(i) if !secrets.is_empty() => {
                text.push_str(secrets[usize::from(*i) % secrets.len()]);
            }
            RedactPiece::Variant(i) if !variants.is_empty() => {
                text.push_str(&variants[usize::from(*i) % variants.len()]);
            }
            _ => {}
        }
    }
    if input.sanitize_first {
        text = sanitize_server_text(&text);
        assert_sanitized(&text);
    }
    let redacted = build(input.variant, text).redact(&variants);
    let shown = message(&redacted);
    for v in &variants {
        if v.contains(['[', ']']) || MARKER.contains(v.as_str()) {
            continue;
        }
        assert!(!shown.contains(v.as_str()), "{v:?} shown in {shown:?}");
    }
}
