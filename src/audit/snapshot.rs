//! The previous audit of an organization, kept in key-value, and the change
//! findings between it and the current one. Entries are keyed by (client,
//! audience, route): a grant deleted and re-created under a new id with the
//! same scopes is no change.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::audit::findings::{Labels, finding};
use crate::audit::model::{Finding, Route, Severity};
use crate::audit::routes::AccessMap;
use crate::error::Error;
use crate::keys;
use crate::model::Warning;
use crate::ports::KeyValue;

const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotGrant {
    pub client_id: String,
    pub audience: String,
    pub route: Route,
    pub grant_id: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub org_id: String,
    pub audited_at: String,
    pub grants: Vec<SnapshotGrant>,
}

impl Snapshot {
    pub fn of(org_id: &str, audited_at: &str, access: &AccessMap) -> Snapshot {
        let grants = access
            .iter()
            .flat_map(|(client_id, list)| {
                list.iter().map(move |a| SnapshotGrant {
                    client_id: client_id.clone(),
                    audience: a.audience.clone(),
                    route: a.route,
                    grant_id: a.grant_id.clone(),
                    scopes: a.scopes.clone(),
                })
            })
            .collect();
        Snapshot {
            version: VERSION,
            org_id: org_id.to_string(),
            audited_at: audited_at.to_string(),
            grants,
        }
    }
}

/// The previous snapshot. An unreadable one is not fatal: the audit runs
/// without change findings and says so.
pub fn load(
    kv: &dyn KeyValue,
    tenant: &str,
    org_id: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Option<Snapshot>, Error> {
    let key = keys::audit_snapshot(tenant, org_id);
    let Some(bytes) = kv.get(&key)? else {
        return Ok(None);
    };
    match serde_json::from_slice::<Snapshot>(&bytes) {
        Ok(s) if s.version == VERSION && s.org_id == org_id => Ok(Some(s)),
        _ => {
            warnings.push(Warning::new(
                "snapshot-unreadable",
                "the previous audit's snapshot could not be read; no change findings this time",
            ));
            Ok(None)
        }
    }
}

pub fn save(kv: &dyn KeyValue, tenant: &str, snapshot: &Snapshot) -> Result<(), Error> {
    let bytes = serde_json::to_vec(snapshot)
        .map_err(|e| Error::Storage(format!("encoding the audit snapshot: {e}")))?;
    kv.set(&keys::audit_snapshot(tenant, &snapshot.org_id), &bytes)?;
    Ok(())
}

type Key = (String, String, Route);

fn index(s: &Snapshot) -> BTreeMap<Key, (BTreeSet<String>, String)> {
    let mut map: BTreeMap<Key, (BTreeSet<String>, String)> = BTreeMap::new();
    for g in &s.grants {
        let entry = map
            .entry((g.client_id.clone(), g.audience.clone(), g.route))
            .or_insert_with(|| (BTreeSet::new(), g.grant_id.clone()));
        entry.0.extend(g.scopes.iter().cloned());
    }
    map
}

fn list(set: &BTreeSet<&String>) -> String {
    set.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `grant-added` and `scopes-widened` are medium (access grew since the last
/// review); `grant-removed` and `scopes-narrowed` are info (access shrank).
pub fn diff(previous: &Snapshot, current: &Snapshot, labels: &Labels) -> Vec<Finding> {
    let before = index(previous);
    let after = index(current);
    let since = &previous.audited_at;
    let mut out = Vec::new();
    for ((client, audience, route), (scopes, grant)) in &after {
        let app = labels.app(client);
        match before.get(&(client.clone(), audience.clone(), *route)) {
            None => out.push(finding(
                Severity::Medium,
                "grant-added",
                client,
                Some(audience),
                format!(
                    "Since the audit of {since}, {app} can reach {audience} through a new {} grant {grant} with scopes [{}].",
                    route.as_str(),
                    list(&scopes.iter().collect())
                ),
            )),
            Some((old, _)) => {
                let gained: BTreeSet<&String> = scopes.difference(old).collect();
                let lost: BTreeSet<&String> = old.difference(scopes).collect();
                if !gained.is_empty() {
                    out.push(finding(
                        Severity::Medium,
                        "scopes-widened",
                        client,
                        Some(audience),
                        format!(
                            "Since the audit of {since}, the {} grant of {app} for {audience} gained scopes [{}].",
                            route.as_str(),
                            list(&gained)
                        ),
                    ));
                }
                if !lost.is_empty() {
                    out.push(finding(
                        Severity::Info,
                        "scopes-narrowed",
                        client,
                        Some(audience),
                        format!(
                            "Since the audit of {since}, the {} grant of {app} for {audience} lost scopes [{}].",
                            route.as_str(),
                            list(&lost)
                        ),
                    ));
                }
            }
        }
    }
    for ((client, audience, route), (_, grant)) in &before {
        if !after.contains_key(&(client.clone(), audience.clone(), *route)) {
            let app = labels.app(client);
            out.push(finding(
                Severity::Info,
                "grant-removed",
                client,
                Some(audience),
                format!(
                    "Since the audit of {since}, {app} no longer reaches {audience} through its {} grant {grant}.",
                    route.as_str()
                ),
            ));
        }
    }
    out
}
