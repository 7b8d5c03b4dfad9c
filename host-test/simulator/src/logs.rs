//! `GET /api/v2/logs`: the compact event store (ingest time per event) and both
//! read modes, checkpoint (`from`/`take`) and search (`q`/`page`/`sort`).

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use crate::events::{Generator, Meta};
use crate::logid::{is_digits, log_id};
use crate::query::{PagePaging, Query, select_fields};
use crate::reply::{ApiError, Reply};
use crate::state::{Shared, read};

/// Ingest time (epoch ms) of every event ever generated, by index; non-decreasing.
#[derive(Debug, Default)]
pub(crate) struct LogStore {
    ingest: Vec<i64>,
}

impl LogStore {
    /// A backlog of `n` events ingested evenly over `span_ms` ending at `end_ms`.
    pub fn backlog(n: u64, span_ms: i64, end_ms: i64) -> Self {
        let n_usize = usize::try_from(n).unwrap_or(usize::MAX);
        let mut ingest = Vec::with_capacity(n_usize.min(50_000_000));
        let span = span_ms.max(0) as i128;
        for i in 0..n {
            let offset = if n > 1 {
                (span * i128::from(n - 1 - i) / i128::from(n - 1)) as i64
            } else {
                0
            };
            ingest.push(end_ms - offset);
        }
        Self { ingest }
    }

    /// `n` events arriving now (never before the last ingest, so ids stay ascending).
    pub fn append(&mut self, n: u64, now_ms: i64) {
        let t = self.ingest.last().map_or(now_ms, |l| now_ms.max(*l));
        let n = usize::try_from(n).unwrap_or(0);
        self.ingest.resize(self.ingest.len() + n, t);
    }

    pub fn len(&self) -> usize {
        self.ingest.len()
    }

    pub fn ingest(&self, index: usize) -> i64 {
        self.ingest.get(index).copied().unwrap_or(0)
    }

    pub fn id(&self, index: usize) -> String {
        log_id(self.ingest(index), index as u64)
    }

    /// First index still retained.
    pub fn first_retained(&self, cutoff_ms: Option<i64>) -> usize {
        cutoff_ms.map_or(0, |c| self.ingest.partition_point(|t| *t < c))
    }

    /// First index at or after `first` whose log id is greater than `from`.
    pub fn after(&self, from: &str, first: usize) -> usize {
        let tail = first.min(self.ingest.len());
        let mut lo = tail;
        let mut hi = self.ingest.len();
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.id(mid).as_str() <= from {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// What one logs request returns: the reply and how many events it carried.
pub(crate) struct LogsPage {
    pub reply: Reply,
    pub events: u64,
}

/// Handles `GET /api/v2/logs`; `repeat_tail` is the repeat-tail fault (checkpoint mode only).
pub(crate) fn handle(
    shared: &Shared,
    q: &Query,
    now_ms: i64,
    repeat_tail: Option<usize>,
) -> Result<LogsPage, ApiError> {
    match q.get("from") {
        Some(from) => checkpoint(shared, q, from, now_ms, repeat_tail),
        None => search(shared, q, now_ms),
    }
}

fn checkpoint(
    shared: &Shared,
    q: &Query,
    from: &str,
    now_ms: i64,
    repeat_tail: Option<usize>,
) -> Result<LogsPage, ApiError> {
    if !is_digits(from) {
        return Err(ApiError::bad_query(
            "Query validation error: 'from' must be a log_id (digits only)",
        ));
    }
    let take = q.number("take", 50, 1, 100)? as usize;
    let (picked, repeated): (Vec<(usize, i64)>, usize) = {
        let store = read(&shared.logs);
        let first = store.first_retained(shared.retention_cutoff_ms(now_ms));
        let start = store.after(from, first);
        let repeat = repeat_tail.unwrap_or(0).min(start - first).min(take);
        let begin = start - repeat;
        let end = start.saturating_add(take - repeat).min(store.len());
        ((begin..end).map(|i| (i, store.ingest(i))).collect(), repeat)
    };
    let body = render_array(&shared.generator, &picked);
    let next_from = picked
        .get(repeated..)
        .and_then(|p| p.last())
        .map_or_else(|| from.to_string(), |&(i, t)| log_id(t, i as u64));
    let link = format!(
        "<{}/api/v2/logs?from={next_from}&take={take}>; rel=\"next\"",
        shared.base_url
    );
    Ok(LogsPage {
        reply: Reply::raw_json(200, Bytes::from(body)).header("link", link),
        events: picked.len() as u64,
    })
}

fn render_array(generator: &Generator, picked: &[(usize, i64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(picked.len() * 1100 + 2);
    out.push(b'[');
    for (n, &(i, t)) in picked.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        generator.render(&generator.meta(i as u64, t), &mut out);
    }
    out.push(b']');
    out
}

/// One term of a search `q`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Filter {
    Type(String),
    Organization(String),
    Client(String),
    User(String),
    LogId(String),
    Date {
        from: Option<i64>,
        to: Option<i64>,
    },
    /// `(a OR b)`: any of the terms.
    Any(Vec<Filter>),
}

fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc).timestamp_millis());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// Parses the Lucene subset the simulator understands: `field:value` terms joined by ` AND `.
pub(crate) fn parse_q(q: &str) -> Result<Vec<Filter>, ApiError> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let mut filters = Vec::new();
    for term in q.split(" AND ") {
        let term = term.trim();
        let filter = match term.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
            Some(group) => Filter::Any(
                group
                    .split(" OR ")
                    .map(|t| parse_term(q, t.trim()))
                    .collect::<Result<_, _>>()?,
            ),
            None => parse_term(q, term)?,
        };
        filters.push(filter);
    }
    Ok(filters)
}

/// One `field:value` term of a search query.
fn parse_term(q: &str, term: &str) -> Result<Filter, ApiError> {
    let bad = |why: &str| ApiError::bad_query(format!("Invalid query string: {why} (q={q:?})"));
    let (field, value) = term
        .split_once(':')
        .ok_or_else(|| bad("expected field:value"))?;
    if value.is_empty() {
        return Err(bad("empty value"));
    }
    let plain = || -> Result<String, ApiError> {
        let v = if let Some(inner) = value.strip_prefix('"') {
            inner
                .strip_suffix('"')
                .ok_or_else(|| bad("unterminated quote"))?
        } else {
            value
        };
        if v.is_empty() || v.contains('"') || (!value.starts_with('"') && v.contains(' ')) {
            return Err(bad("malformed value"));
        }
        Ok(v.to_string())
    };
    Ok(match field {
        "type" => Filter::Type(plain()?),
        "organization_id" => Filter::Organization(plain()?),
        "client_id" => Filter::Client(plain()?),
        "user_id" => Filter::User(plain()?),
        "log_id" => Filter::LogId(plain()?),
        "date" => {
            let inner = value
                .strip_prefix(['[', '{'])
                .and_then(|v| v.strip_suffix([']', '}']))
                .ok_or_else(|| bad("date needs a range like [2024-01-01T00:00:00Z TO *]"))?;
            let (a, b) = inner
                .split_once(" TO ")
                .ok_or_else(|| bad("range needs TO"))?;
            let bound = |s: &str| -> Result<Option<i64>, ApiError> {
                let s = s.trim().trim_matches('"');
                if s == "*" {
                    Ok(None)
                } else {
                    parse_time(s).map(Some).ok_or_else(|| bad("bad date"))
                }
            };
            Filter::Date {
                from: bound(a)?,
                to: bound(b)?,
            }
        }
        _ => return Err(bad("unsupported field")),
    })
}

fn matches(generator: &Generator, meta: &Meta, index: usize, ingest: i64, f: &Filter) -> bool {
    match f {
        Filter::Type(t) => meta.code == t,
        Filter::Organization(o) => generator.organization_id(meta) == Some(o.as_str()),
        Filter::Client(c) => generator.client_id(meta) == Some(c.as_str()),
        Filter::User(u) => generator.user_id(meta).as_deref() == Some(u.as_str()),
        Filter::LogId(id) => log_id(ingest, index as u64) == *id,
        Filter::Date { from, to } => {
            from.is_none_or(|t| meta.date_ms >= t) && to.is_none_or(|t| meta.date_ms <= t)
        }
        Filter::Any(any) => any
            .iter()
            .any(|f| matches(generator, meta, index, ingest, f)),
    }
}

fn search(shared: &Shared, q: &Query, now_ms: i64) -> Result<LogsPage, ApiError> {
    let paging = PagePaging::parse(q, 50)?;
    paging.check_cap()?;
    let filters = parse_q(q.get("q").unwrap_or(""))?;
    let ascending = match q.get("sort") {
        None | Some("date:-1") => false,
        Some("date:1") => true,
        Some(other) => {
            return Err(ApiError::bad_query(format!(
                "Query validation error: invalid sort {other:?} (use date:1 or date:-1)"
            )));
        }
    };
    let generator = &shared.generator;
    let mut hits: Vec<(i64, usize, i64)> = Vec::new();
    {
        let store = read(&shared.logs);
        let first = store.first_retained(shared.retention_cutoff_ms(now_ms));
        for i in first..store.len() {
            let t = store.ingest(i);
            let meta = generator.meta(i as u64, t);
            if filters.iter().all(|f| matches(generator, &meta, i, t, f)) {
                hits.push((meta.date_ms, i, t));
            }
        }
    }
    if ascending {
        hits.sort_unstable();
    } else {
        hits.sort_unstable_by(|a, b| b.cmp(a));
    }
    let total = hits.len();
    let page: Vec<(usize, i64)> = paging.slice(&hits).iter().map(|h| (h.1, h.2)).collect();
    let mut body = render_array(generator, &page);
    if q.get("fields").is_some_and(|f| !f.is_empty()) {
        let events: Vec<Value> = serde_json::from_slice(&body).unwrap_or_default();
        let selected = events
            .into_iter()
            .map(|e| select_fields(q, e))
            .collect::<Result<Vec<_>, _>>()?;
        body = Value::Array(selected).to_string().into_bytes();
    }
    if paging.include_totals {
        // Splice the rendered array into the wrapper without re-parsing it.
        let mut head = Map::new();
        head.insert("start".into(), Value::from(paging.start()));
        head.insert("limit".into(), Value::from(paging.per_page));
        head.insert("length".into(), Value::from(page.len()));
        head.insert("total".into(), Value::from(total));
        let head = Value::Object(head).to_string();
        let mut wrapped = Vec::with_capacity(body.len() + head.len() + 10);
        wrapped.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
        wrapped.extend_from_slice(b",\"logs\":");
        wrapped.extend_from_slice(&body);
        wrapped.push(b'}');
        body = wrapped;
    }
    Ok(LogsPage {
        reply: Reply::raw_json(200, Bytes::from(body)),
        events: page.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn store_order_and_after() {
        let mut s = LogStore::backlog(1000, 3_600_000, 1_729_796_777_517);
        s.append(10, 1_700_000_000_000); // clock went back: clamp
        assert_eq!(s.len(), 1010);
        for i in 1..s.len() {
            assert!(s.id(i - 1) < s.id(i));
        }
        assert_eq!(s.after("0", 0), 0);
        assert_eq!(s.after(&s.id(499), 0), 500);
        assert_eq!(s.after(&s.id(1009), 0), 1010);
        assert_eq!(s.after("9999", 0), 1010);
        // A synthetic id between two real ones.
        let mut synthetic = s.id(500);
        synthetic.truncate(17);
        assert!(s.after(&synthetic, 0) <= 500);
        assert_eq!(s.first_retained(Some(i64::MAX)), 1010);
        assert_eq!(s.first_retained(None), 0);
    }

    #[test]
    fn q_parsing() {
        assert_eq!(
            parse_q(r#"(type:seccft OR type:feccft) AND organization_id:"org_abc""#).unwrap(),
            vec![
                Filter::Any(vec![
                    Filter::Type("seccft".into()),
                    Filter::Type("feccft".into())
                ]),
                Filter::Organization("org_abc".into())
            ]
        );
        assert!(parse_q("(type:s OR )").is_err());
        assert_eq!(
            parse_q(r#"type:seccft AND organization_id:"org_abc""#).unwrap(),
            vec![
                Filter::Type("seccft".into()),
                Filter::Organization("org_abc".into())
            ]
        );
        assert!(matches!(
            parse_q("date:[2024-10-24T00:00:00Z TO *]").unwrap()[0],
            Filter::Date {
                from: Some(_),
                to: None
            }
        ));
        for bad in [
            "type",
            "type:",
            "foo:bar",
            "type:s x",
            "organization_id:\"abc",
            "date:2024",
            "date:[nope TO *]",
            "type:s AND",
        ] {
            assert!(parse_q(bad).is_err(), "{bad}");
        }
        assert!(parse_q("").unwrap().is_empty());
    }
}
