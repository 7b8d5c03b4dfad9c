//! Query-string parsing and the two paging styles (page/per_page and from/take)
//! shared by every list endpoint; bad values become 400s, never panics.

use serde_json::{Map, Value};

use crate::reply::ApiError;

/// Decoded query parameters (last value wins).
#[derive(Clone, Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: &str) -> Self {
        Self {
            pairs: url::form_urlencoded::parse(raw.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// A non-negative integer in `min..=max`, or `default` when absent.
    pub fn number(&self, key: &str, default: u64, min: u64, max: u64) -> Result<u64, ApiError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => {
                let n: u64 = v.trim().parse().map_err(|_| {
                    ApiError::bad_query(format!(
                        "Query validation error: '{key}' must be an integer (got {v:?})"
                    ))
                })?;
                if n < min || n > max {
                    return Err(ApiError::bad_query(format!(
                        "Query validation error: '{key}' must be between {min} and {max}"
                    )));
                }
                Ok(n)
            }
        }
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::bad_query(format!(
                "Query validation error: '{key}' must be a boolean (got {v:?})"
            ))),
        }
    }
}

/// `page`/`per_page`/`include_totals` paging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PagePaging {
    pub page: u64,
    pub per_page: u64,
    pub include_totals: bool,
}

impl PagePaging {
    pub fn parse(q: &Query, default_per_page: u64) -> Result<Self, ApiError> {
        Ok(Self {
            page: q.number("page", 0, 0, u64::from(u32::MAX))?,
            per_page: q.number("per_page", default_per_page, 1, 100)?,
            include_totals: q.boolean("include_totals")?.unwrap_or(false),
        })
    }

    /// Auth0 caps page paging at 1,000 reachable records.
    pub fn check_cap(&self) -> Result<(), ApiError> {
        if self
            .page
            .saturating_mul(self.per_page)
            .saturating_add(self.per_page)
            > 1000
        {
            return Err(ApiError::paging(
                "You can only page through the first 1000 records. Use checkpoint pagination (from/take) instead.",
            ));
        }
        Ok(())
    }

    pub fn start(&self) -> usize {
        usize::try_from(self.page.saturating_mul(self.per_page)).unwrap_or(usize::MAX)
    }

    /// The slice of `items` this page covers.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = self.start().min(items.len());
        let end = start
            .saturating_add(self.per_page as usize)
            .min(items.len());
        &items[start..end]
    }

    /// `{start, limit, total, <key>: items}` or the plain array.
    pub fn wrap(&self, key: &str, total: usize, items: Vec<Value>) -> Value {
        if self.include_totals {
            let mut map = Map::new();
            map.insert("start".into(), Value::from(self.start()));
            map.insert("limit".into(), Value::from(self.per_page));
            map.insert("total".into(), Value::from(total));
            map.insert(key.into(), Value::Array(items));
            Value::Object(map)
        } else {
            Value::Array(items)
        }
    }
}

/// Opaque `from`/`next` checkpoints for the directory lists: hex of `kind:index`.
pub(crate) fn encode_next(kind: &str, index: usize) -> String {
    format!("{kind}:{index}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn decode_from(kind: &str, from: &str) -> Result<usize, ApiError> {
    let bad = || ApiError::bad_query("Invalid 'from' parameter: not a valid checkpoint");
    if !from.len().is_multiple_of(2) || !from.is_ascii() {
        return Err(bad());
    }
    let bytes: Vec<u8> = (0..from.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&from[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (k, idx) = text.split_once(':').ok_or_else(bad)?;
    if k != kind {
        return Err(bad());
    }
    idx.parse().map_err(|_| bad())
}

/// `from`/`take` paging over an already filtered list: `{next?, <key>: items}`.
pub(crate) fn checkpoint_page(
    q: &Query,
    kind: &str,
    key: &str,
    items: Vec<Value>,
) -> Result<Value, ApiError> {
    let start = match q.get("from") {
        Some(f) if !f.is_empty() => decode_from(kind, f)?,
        _ => 0,
    };
    let take = q.number("take", 50, 1, 100)? as usize;
    let start = start.min(items.len());
    let end = start.saturating_add(take).min(items.len());
    let mut map = Map::new();
    if end < items.len() {
        map.insert("next".into(), Value::String(encode_next(kind, end)));
    }
    map.insert(
        key.into(),
        Value::Array(items.into_iter().skip(start).take(end - start).collect()),
    );
    Ok(Value::Object(map))
}

/// Applies `fields` / `include_fields` to one object.
pub(crate) fn select_fields(q: &Query, value: Value) -> Result<Value, ApiError> {
    let Some(fields) = q.get("fields").filter(|f| !f.is_empty()) else {
        return Ok(value);
    };
    let include = q.boolean("include_fields")?.unwrap_or(true);
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    Ok(match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| wanted.contains(&k.as_str()) == include)
                .collect(),
        ),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn next_round_trips_and_rejects_garbage() {
        let n = encode_next("cg", 150);
        assert_eq!(decode_from("cg", &n).unwrap(), 150);
        assert!(decode_from("org", &n).is_err());
        assert!(decode_from("cg", "zz").is_err());
        assert!(decode_from("cg", "é").is_err());
        assert!(decode_from("cg", "abc").is_err());
    }

    #[test]
    fn paging_validation() {
        let q = Query::parse("page=9&per_page=100");
        let p = PagePaging::parse(&q, 50).unwrap();
        assert!(p.check_cap().is_ok());
        let q = Query::parse("page=10&per_page=100");
        assert!(PagePaging::parse(&q, 50).unwrap().check_cap().is_err());
        let q = Query::parse("per_page=101");
        assert!(PagePaging::parse(&q, 50).is_err());
        let q = Query::parse("page=99999999999999999999999");
        assert!(PagePaging::parse(&q, 50).is_err());
        let q = Query::parse("include_totals=yes");
        assert!(PagePaging::parse(&q, 50).is_err());
    }
}
