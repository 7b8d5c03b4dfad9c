//! Query-string encoding: every value we put in a URL is percent-encoded, and
//! only unreserved characters pass through.

pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` and `+`; invalid escapes are kept literally.
pub fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Builds `path?k=v&...` with encoded values.
pub fn build(path: &str, params: &[(&str, &str)]) -> String {
    let mut url = path.to_string();
    for (i, (k, v)) in params.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(k);
        url.push('=');
        url.push_str(&encode(v));
    }
    url
}

/// Value of one parameter in `path?query`.
pub fn param(path_and_query: &str, name: &str) -> Option<String> {
    let query = path_and_query.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| decode(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_encodes_lucene_syntax() {
        let q = r#"type:seccft AND organization_id:"org_1""#;
        let url = build("/api/v2/logs", &[("q", q), ("per_page", "100")]);
        assert!(!url.contains(' ') && !url.contains('"'));
        assert_eq!(param(&url, "q").as_deref(), Some(q));
        assert_eq!(param(&url, "per_page").as_deref(), Some("100"));
        assert_eq!(decode("%zz%4"), "%zz%4");
    }
}
