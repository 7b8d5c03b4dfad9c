//! Usage evidence for the Organizations audit: `seccft`/`feccft` events that
//! carry an `organization_id`, aggregated per (organization, client) while
//! syncing and stored in key-value. Each organization's record remembers the
//! last log_id it counted, so a replayed batch (crash, concurrent run) is not
//! counted twice.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::event::{LogEvent, log_id_cmp};
use crate::keys;
use crate::ports::KeyValue;

/// Days of per-day counts kept per client, enough for any audit window.
const MAX_DAYS: usize = 400;
const MAX_SCOPES: usize = 200;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AudienceUsage {
    pub tokens: u64,
    pub failures: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub scopes: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClientUsage {
    pub tokens: u64,
    pub failures: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub audiences: BTreeMap<String, AudienceUsage>,
    /// `YYYY-MM-DD` → [tokens issued, failures].
    pub days: BTreeMap<String, [u64; 2]>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrgUsage {
    /// Greatest log_id already counted into this record.
    pub through_log_id: Option<String>,
    pub clients: BTreeMap<String, ClientUsage>,
}

#[derive(Debug, Clone)]
struct Observation {
    log_id: String,
    client_id: String,
    audience: String,
    scopes: Vec<String>,
    success: bool,
    date: Option<String>,
}

fn is_safe_id(id: &str, max: usize) -> bool {
    !id.is_empty()
        && id.len() <= max
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn min_opt(a: &Option<String>, b: &Option<String>) -> Option<String> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y).clone()),
        (x, y) => x.clone().or_else(|| y.clone()),
    }
}

fn max_opt(a: &Option<String>, b: &Option<String>) -> Option<String> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y).clone()),
        (x, y) => x.clone().or_else(|| y.clone()),
    }
}

impl OrgUsage {
    fn apply(&mut self, o: &Observation) {
        let (tokens, failures) = if o.success { (1, 0) } else { (0, 1) };
        let client = self.clients.entry(o.client_id.clone()).or_default();
        client.tokens += tokens;
        client.failures += failures;
        client.first_seen = min_opt(&client.first_seen, &o.date);
        client.last_seen = max_opt(&client.last_seen, &o.date);
        let aud = client.audiences.entry(o.audience.clone()).or_default();
        aud.tokens += tokens;
        aud.failures += failures;
        aud.first_seen = min_opt(&aud.first_seen, &o.date);
        aud.last_seen = max_opt(&aud.last_seen, &o.date);
        if o.success {
            for scope in &o.scopes {
                if aud.scopes.len() < MAX_SCOPES && scope.len() <= 128 {
                    aud.scopes.insert(scope.clone());
                }
            }
        }
        if let Some(day) = o.date.as_deref().and_then(|d| d.get(..10)) {
            let counts = client.days.entry(day.to_string()).or_default();
            counts[0] += tokens;
            counts[1] += failures;
            while client.days.len() > MAX_DAYS {
                client.days.pop_first();
            }
        }
    }
}

/// Observations of the current batch, committed with it.
#[derive(Debug, Default)]
pub struct UsageCollector {
    pending: BTreeMap<String, Vec<Observation>>,
}

impl UsageCollector {
    pub fn observe(&mut self, event: &LogEvent) {
        let success = match event.kind.as_deref() {
            Some("seccft") => true,
            Some("feccft") => false,
            _ => return,
        };
        let Some(org) = event
            .organization_id
            .as_deref()
            .filter(|o| is_safe_id(o, 64))
        else {
            return;
        };
        let client_id = match event.client_id.as_deref() {
            Some(c) if is_safe_id(c, 128) => c.to_string(),
            // Failure logs may carry an invalid client id; keep the evidence, not the string.
            _ => "(invalid client id)".to_string(),
        };
        let audience = event
            .audience
            .as_deref()
            .filter(|a| a.len() <= 512 && !a.chars().any(char::is_control))
            .unwrap_or("(none)")
            .to_string();
        self.pending
            .entry(org.to_string())
            .or_default()
            .push(Observation {
                log_id: event.log_id.clone(),
                client_id,
                audience,
                scopes: event.scopes.clone(),
                success,
                date: event.date.clone(),
            });
    }

    /// Merges the batch into each organization's record (read, merge, write).
    pub fn commit(&mut self, kv: &dyn KeyValue, tenant: &str) -> Result<(), Error> {
        for (org, observations) in std::mem::take(&mut self.pending) {
            let key = keys::org_usage(tenant, &org);
            let mut record: OrgUsage = match kv.get(&key)? {
                Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                    Error::Storage(format!("usage record {key} is unreadable: {e}"))
                })?,
                None => OrgUsage::default(),
            };
            let mut changed = false;
            for o in &observations {
                let counted = record
                    .through_log_id
                    .as_deref()
                    .is_some_and(|t| log_id_cmp(&o.log_id, t).is_le());
                if !counted {
                    record.apply(o);
                    record.through_log_id = Some(o.log_id.clone());
                    changed = true;
                }
            }
            if changed {
                let bytes = serde_json::to_vec(&record)
                    .map_err(|e| Error::Storage(format!("encoding usage: {e}")))?;
                kv.set(&key, &bytes)?;
            }
        }
        Ok(())
    }
}

/// Reads one organization's usage record (for the audit).
pub fn load(kv: &dyn KeyValue, tenant: &str, org_id: &str) -> Result<Option<OrgUsage>, Error> {
    let key = keys::org_usage(tenant, org_id);
    match kv.get(&key)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Storage(format!("usage record {key} is unreadable: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemKv;

    fn ev(id: &str, kind: &str, org: &str, client: &str, scope: &str) -> Option<LogEvent> {
        let json = format!(
            r#"{{"log_id":"{id}","type":"{kind}","organization_id":"{org}","client_id":"{client}","audience":"https://api","scope":"{scope}","date":"2026-11-2{}T10:00:00.000Z"}}"#,
            &id[id.len() - 1..]
        );
        LogEvent::parse(&json, 0).ok()
    }

    #[test]
    fn aggregates_per_org_and_client_and_ignores_replays() {
        let kv = MemKv::default();
        let events: Vec<LogEvent> = [
            ev("1", "seccft", "org_a", "c1", "read:x"),
            ev("2", "seccft", "org_a", "c1", "write:x"),
            ev("3", "feccft", "org_a", "c2", ""),
            ev("4", "s", "org_a", "c1", ""),
            ev("5", "seccft", "org_b", "c1", "read:x"),
            ev("6", "seccft", "bad org!", "c1", "read:x"),
        ]
        .into_iter()
        .flatten()
        .collect();
        for round in 0..2 {
            let mut c = UsageCollector::default();
            for e in &events {
                c.observe(e);
            }
            assert!(c.commit(&kv, "t").is_ok(), "round {round}");
        }
        let a = load(&kv, "t", "org_a").ok().flatten().unwrap_or_default();
        let c1 = &a.clients["c1"];
        assert_eq!(
            (c1.tokens, c1.failures),
            (2, 0),
            "a replay is not counted twice"
        );
        assert_eq!(
            c1.audiences["https://api"]
                .scopes
                .iter()
                .cloned()
                .collect::<Vec<_>>(),
            vec!["read:x", "write:x"]
        );
        assert_eq!(c1.first_seen.as_deref(), Some("2026-11-21T10:00:00.000Z"));
        assert_eq!(a.clients["c2"].failures, 1);
        assert!(load(&kv, "t", "org_b").ok().flatten().is_some());
        assert_eq!(kv.keys().len(), 2, "the malformed org id is not stored");
    }
}
