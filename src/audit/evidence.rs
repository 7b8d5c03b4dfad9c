//! Usage evidence of one organization within the audit window: the aggregates
//! sync-logs keeps in key-value, or (optionally, when there are none for the
//! window) a search of the tenant logs, which Auth0 caps at 1,000 results.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::client::Api;
use crate::api::query;
use crate::api::session::Failure;
use crate::audit::model::{AudienceUsage, Evidence, EvidenceSource, Usage};
use crate::audit::org_id::OrgId;
use crate::error::Error;
use crate::event::{LogEvent, date_ms, format_ms, parse_page};
use crate::sync::usage::{self, OrgUsage};

const DAY_MS: i64 = 86_400_000;
/// Log search: pages of 100, and Auth0 answers at most 1,000 results per query.
const SEARCH_PAGE: u32 = 100;
const SEARCH_CAP: u32 = 1_000;
/// What the evidence calls a client id that could not be kept as is.
pub const INVALID_CLIENT: &str = "(invalid client id)";

/// The audit window: the last `days` days up to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub days: u32,
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Window {
    pub fn new(now_ms: i64, days: u32) -> Window {
        Window {
            days,
            start_ms: now_ms.saturating_sub(i64::from(days).saturating_mul(DAY_MS)),
            end_ms: now_ms,
        }
    }
    fn start_day(&self) -> String {
        format_ms(self.start_ms).get(..10).unwrap_or("").to_string()
    }
    fn contains(&self, date: Option<&str>) -> bool {
        date.and_then(date_ms).is_some_and(|t| t >= self.start_ms)
    }
}

/// The evidence of one organization: usage by client id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceSet {
    pub source: EvidenceSource,
    pub window: Window,
    pub capped: bool,
    pub events_read: u32,
    pub clients: BTreeMap<String, Usage>,
}

impl EvidenceSet {
    pub fn view(&self) -> Evidence {
        Evidence {
            source: self.source,
            window_days: self.window.days,
            window_start: format_ms(self.window.start_ms),
            window_end: format_ms(self.window.end_ms),
            capped: self.capped,
            events_read: self.events_read,
        }
    }

    /// Usage of `client_id`, if any was recorded.
    pub fn usage(&self, client_id: &str) -> Option<&Usage> {
        self.clients.get(client_id)
    }

    /// True if the client obtained a token for the audience within the window.
    pub fn used(&self, client_id: &str, audience: &str) -> bool {
        self.usage(client_id).is_some_and(|u| {
            u.tokens > 0
                && u.audiences
                    .iter()
                    .any(|a| a.audience == audience && a.tokens > 0)
        })
    }

    /// Clients with tokens or failures within the window.
    pub fn active_clients(&self) -> impl Iterator<Item = (&String, &Usage)> {
        self.clients
            .iter()
            .filter(|(_, u)| u.tokens > 0 || u.failures > 0)
    }
}

/// Usage from sync-logs aggregates: client counts are summed from the per-day
/// counts within the window; audiences last seen before the window are left out.
pub fn from_aggregates(record: &OrgUsage, window: &Window) -> BTreeMap<String, Usage> {
    let start_day = window.start_day();
    record
        .clients
        .iter()
        .map(|(client_id, c)| {
            let (tokens, failures) = c
                .days
                .iter()
                .filter(|(day, _)| day.as_str() >= start_day.as_str())
                .fold((0u64, 0u64), |(t, f), (_, [dt, df])| {
                    (t.saturating_add(*dt), f.saturating_add(*df))
                });
            let audiences = c
                .audiences
                .iter()
                .filter(|(_, a)| window.contains(a.last_seen.as_deref()))
                .map(|(aud, a)| AudienceUsage {
                    audience: aud.clone(),
                    tokens: a.tokens,
                    failures: a.failures,
                    first_seen: a.first_seen.clone(),
                    last_seen: a.last_seen.clone(),
                    scopes: a.scopes.iter().cloned().collect(),
                })
                .collect();
            let usage = Usage {
                tokens,
                failures,
                first_seen: c.first_seen.clone(),
                last_seen: c.last_seen.clone(),
                audiences,
            };
            (client_id.clone(), usage)
        })
        .collect()
}

fn is_safe_client(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn earlier(a: &mut Option<String>, b: Option<&str>) {
    if let Some(b) = b
        && a.as_deref().is_none_or(|x| b < x)
    {
        *a = Some(b.to_string());
    }
}

fn later(a: &mut Option<String>, b: Option<&str>) {
    if let Some(b) = b
        && a.as_deref().is_none_or(|x| b > x)
    {
        *a = Some(b.to_string());
    }
}

/// Usage from searched log events: only `seccft`/`feccft` of this organization
/// within the window count.
pub fn from_events(events: &[LogEvent], org: &OrgId, window: &Window) -> BTreeMap<String, Usage> {
    let mut clients: BTreeMap<String, Usage> = BTreeMap::new();
    let mut scopes: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for e in events {
        let success = match e.kind.as_deref() {
            Some("seccft") => true,
            Some("feccft") => false,
            _ => continue,
        };
        if e.organization_id.as_deref() != Some(org.as_str()) {
            continue;
        }
        if !window.contains(e.date.as_deref()) {
            continue;
        }
        let client_id = match e.client_id.as_deref() {
            Some(c) if is_safe_client(c) => c.to_string(),
            _ => INVALID_CLIENT.to_string(),
        };
        let audience = e
            .audience
            .as_deref()
            .filter(|a| a.len() <= 512 && !a.chars().any(char::is_control))
            .unwrap_or("(none)")
            .to_string();
        let u = clients.entry(client_id.clone()).or_default();
        let (t, f) = if success { (1, 0) } else { (0, 1) };
        u.tokens += t;
        u.failures += f;
        earlier(&mut u.first_seen, e.date.as_deref());
        later(&mut u.last_seen, e.date.as_deref());
        let idx = match u.audiences.iter().position(|a| a.audience == audience) {
            Some(i) => i,
            None => {
                u.audiences.push(AudienceUsage {
                    audience: audience.clone(),
                    tokens: 0,
                    failures: 0,
                    first_seen: None,
                    last_seen: None,
                    scopes: Vec::new(),
                });
                u.audiences.len() - 1
            }
        };
        if let Some(a) = u.audiences.get_mut(idx) {
            a.tokens += t;
            a.failures += f;
            earlier(&mut a.first_seen, e.date.as_deref());
            later(&mut a.last_seen, e.date.as_deref());
        }
        if success {
            let set = scopes.entry((client_id, audience)).or_default();
            for s in &e.scopes {
                if set.len() < 200 && s.len() <= 128 {
                    set.insert(s.clone());
                }
            }
        }
    }
    for (client_id, u) in clients.iter_mut() {
        u.audiences.sort_by(|a, b| a.audience.cmp(&b.audience));
        for a in u.audiences.iter_mut() {
            if let Some(set) = scopes.remove(&(client_id.clone(), a.audience.clone())) {
                a.scopes = set.into_iter().collect();
            }
        }
    }
    clients
}

/// The Lucene query of the log search. `org` is validated (letters, digits,
/// `_`, `-`) and the window start is formatted by us, so nothing needs escaping.
pub fn search_query(org: &OrgId, window: &Window) -> String {
    format!(
        "(type:seccft OR type:feccft) AND organization_id:\"{}\" AND date:[{} TO *]",
        org.as_str(),
        format_ms(window.start_ms)
    )
}

/// Searches the logs, newest first, until a short page or Auth0's 1,000-result
/// cap. Returns the events and whether the cap was reached.
pub fn search_logs(
    api: &mut Api,
    org: &OrgId,
    window: &Window,
) -> Result<(Vec<LogEvent>, bool), Failure> {
    let q = search_query(org, window);
    let mut events = Vec::new();
    let pages = SEARCH_CAP / SEARCH_PAGE;
    for page in 0..pages {
        let path = query::build(
            crate::api::logs::LOGS_PATH,
            &[
                ("q", &q),
                ("per_page", &SEARCH_PAGE.to_string()),
                ("page", &page.to_string()),
                ("sort", "date:-1"),
            ],
        );
        let result = api.get(&path, "read:logs", |r| parse_page(&r.body));
        let batch = match result {
            Ok(b) => b,
            Err(Failure::Job(Error::Upstream {
                status: 400,
                message,
            })) if page > 0 && message.contains("invalid_paging") => {
                return Ok((events, true));
            }
            Err(e) => return Err(e),
        };
        let full = batch.len() >= SEARCH_PAGE as usize;
        events.extend(batch);
        if !full {
            return Ok((events, false));
        }
    }
    // Ten full pages: Auth0 will not page further, so older events may be missing.
    Ok((events, true))
}

/// Loads the sync-logs aggregates; without activity in the window and with the
/// fallback enabled, searches the logs instead.
pub fn gather(
    api: &mut Api,
    tenant_key: &str,
    org: &OrgId,
    window: Window,
    fallback: bool,
) -> Result<EvidenceSet, Failure> {
    let kv = api.session.ports.kv;
    let record = usage::load(kv, tenant_key, org.as_str())?;
    if let Some(record) = &record {
        let clients = from_aggregates(record, &window);
        let active = clients.values().any(|u| u.tokens > 0 || u.failures > 0);
        if active || !fallback {
            return Ok(EvidenceSet {
                source: EvidenceSource::SyncLogs,
                window,
                capped: false,
                events_read: 0,
                clients,
            });
        }
    }
    if !fallback {
        return Ok(EvidenceSet {
            source: EvidenceSource::None,
            window,
            capped: false,
            events_read: 0,
            clients: BTreeMap::new(),
        });
    }
    let (events, capped) = search_logs(api, org, &window)?;
    Ok(EvidenceSet {
        source: EvidenceSource::LogSearch,
        window,
        capped,
        events_read: u32::try_from(events.len()).unwrap_or(u32::MAX),
        clients: from_events(&events, org, &window),
    })
}
