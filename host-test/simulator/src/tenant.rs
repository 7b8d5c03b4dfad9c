//! The tenant's directory: clients, APIs, organizations and client grants, seeded
//! so the audit tests have a known truth (see `Scenario`) independent of the project's code.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use rand::Rng;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// An application (`GET /api/v2/clients` item, minus secrets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub description: String,
    /// `non_interactive` (M2M), `spa`, `regular_web`, `native`.
    pub app_type: String,
    pub is_first_party: bool,
    pub grant_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<String>,
    pub tenant: String,
}

/// An API (resource server) that grants give access to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceServer {
    pub id: String,
    pub name: String,
    /// The audience.
    pub identifier: String,
    pub scopes: Vec<String>,
}

/// An organization (`GET /api/v2/organizations/{id}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub branding: serde_json::Value,
    pub metadata: BTreeMap<String, String>,
}

/// A client grant as the Management API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientGrant {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
    /// `deny`, `allow` or `require`.
    pub organization_usage: String,
    pub allow_any_organization: bool,
    pub is_system: bool,
    pub subject_type: String,
}

/// An org + grant pair singled out by the seed data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgGrantRef {
    pub org_id: String,
    pub grant_id: String,
}

/// An org + client + audience access singled out by the seed data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAccessRef {
    pub org_id: String,
    pub client_id: String,
    pub audience: String,
}

/// One (client, org, audience) token exchange that the log generator emits
/// (`seccft` when `success`, else `feccft`); every entry appears in a backlog of
/// at least `10 * token_usage.len()` events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrgTokenUsage {
    pub client_id: String,
    pub client_name: String,
    pub organization_id: String,
    pub organization_name: String,
    pub audience: String,
    /// The scopes the client may request (events carry non-empty subsets).
    pub scopes: Vec<String>,
    pub success: bool,
}

/// The special cases the audit must find; `None` when there are too few organizations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// The org with 130 directly associated grants (paging beyond 100).
    pub big_org: Option<String>,
    /// Grants with `allow_any_organization: true`.
    pub any_org_grants: Vec<String>,
    /// Associated with the org, but the client never gets a token for it.
    pub unused_grant: Option<OrgGrantRef>,
    /// The client gets tokens for the org although no grant exists any more.
    pub removed_grant_usage: Option<OrgAccessRef>,
    /// A `spa` client's grant associated with an org.
    pub spa_grant: Option<OrgGrantRef>,
    /// An `organization_usage: deny` grant associated with an org.
    pub deny_grant: Option<OrgGrantRef>,
    /// `feccft` events for this org/client/audience.
    pub failed_exchange: Option<OrgAccessRef>,
    /// Association created "recently": invisible to the clients `q=` search until the lag passes.
    pub recent_association: Option<OrgGrantRef>,
}

/// Snapshot of the directory (what `Simulator::directory` returns).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    pub clients: Vec<Client>,
    pub resource_servers: Vec<ResourceServer>,
    pub organizations: Vec<Organization>,
    pub client_grants: Vec<ClientGrant>,
    /// Organization id → ids of the grants directly associated with it (in association order).
    pub org_grants: BTreeMap<String, Vec<String>>,
    /// Org token exchanges the logs contain.
    pub token_usage: Vec<OrgTokenUsage>,
    pub scenario: Scenario,
}

impl Directory {
    pub fn organization(&self, id: &str) -> Option<&Organization> {
        self.organizations.iter().find(|o| o.id == id)
    }

    pub fn grant(&self, id: &str) -> Option<&ClientGrant> {
        self.client_grants.iter().find(|g| g.id == id)
    }

    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == id)
    }
}

/// The live directory plus when recent changes become visible to the `q=` search.
#[derive(Debug)]
pub(crate) struct TenantState {
    pub dir: Directory,
    /// Grant id → instant it becomes visible in search (absent = visible).
    pub grant_visible_at: HashMap<String, Instant>,
    /// (org id, grant id) → instant the association becomes visible in search.
    pub assoc_visible_at: HashMap<(String, String), Instant>,
}

impl TenantState {
    pub fn new(dir: Directory, now: Instant, lag: std::time::Duration) -> Self {
        let mut assoc_visible_at = HashMap::new();
        if let Some(r) = &dir.scenario.recent_association {
            assoc_visible_at.insert((r.org_id.clone(), r.grant_id.clone()), now + lag);
        }
        Self {
            dir,
            grant_visible_at: HashMap::new(),
            assoc_visible_at,
        }
    }

    pub fn grant_visible(&self, grant_id: &str, now: Instant) -> bool {
        self.grant_visible_at
            .get(grant_id)
            .is_none_or(|t| *t <= now)
    }

    pub fn assoc_visible(&self, org_id: &str, grant_id: &str, now: Instant) -> bool {
        self.grant_visible(grant_id, now)
            && self
                .assoc_visible_at
                .get(&(org_id.to_string(), grant_id.to_string()))
                .is_none_or(|t| *t <= now)
    }
}

pub(crate) const TENANT_NAME: &str = "sim-tenant";

const APIS: [(&str, &str, [&str; 4]); 5] = [
    (
        "Orders API",
        "orders",
        [
            "read:orders",
            "write:orders",
            "delete:orders",
            "read:order_history",
        ],
    ),
    (
        "Inventory API",
        "inventory",
        [
            "read:inventory",
            "write:inventory",
            "read:warehouses",
            "write:reservations",
        ],
    ),
    (
        "Billing API",
        "billing",
        [
            "read:invoices",
            "write:invoices",
            "read:payments",
            "refund:payments",
        ],
    ),
    (
        "Reports API",
        "reports",
        [
            "read:reports",
            "create:reports",
            "export:reports",
            "read:dashboards",
        ],
    ),
    (
        "Shipping API",
        "shipping",
        [
            "read:shipments",
            "write:shipments",
            "read:carriers",
            "write:labels",
        ],
    ),
];

const M2M_NAMES: [&str; 27] = [
    "Order Sync Worker",
    "Billing Reconciler",
    "Partner Gateway",
    "Inventory Importer",
    "Reporting ETL",
    "Shipping Label Service",
    "ERP Connector",
    "Fraud Scoring Job",
    "Data Warehouse Loader",
    "Support Console Backend",
    "Nightly Batch Runner",
    "Webhook Dispatcher",
    "Pricing Engine",
    "Catalog Publisher",
    "Tax Calculator",
    "Returns Processor",
    "Marketplace Adapter",
    "CRM Sync",
    "Invoice Mailer",
    "Audit Exporter",
    "Platform Integrations Hub",
    "Multi-tenant Analytics",
    "Customer Success Bot",
    "Legacy Import Tool",
    "Subscription Renewer",
    "Payment Retry Worker",
    "Internal Admin Scripts",
];

const ORG_NAMES: [&str; 24] = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Hooli",
    "Stark Industries",
    "Wayne Logistics",
    "Cyberdyne Systems",
    "Soylent Foods",
    "Tyrell Biotech",
    "Wonka Retail",
    "Vandelay Imports",
    "Oceanic Airlines",
    "Massive Dynamic",
    "Aperture Labs",
    "Blue Sun",
    "Gringotts Finance",
    "Monarch Solutions",
    "Pied Piper",
    "Dunder Mifflin",
    "Prestige Worldwide",
    "Sterling Cooper",
    "Nakatomi Trading",
    "Bluth Company",
];

/// Indices into the client list for the seeded special cases.
pub(crate) const M2M_COUNT: usize = 27;
const ANY_ORG_CLIENTS: [usize; 3] = [20, 21, 22];
const ANY_ORG_API: usize = 1;
const REMOVED: (usize, usize) = (23, 4);
const FAILED: (usize, usize) = (24, 2);
const DENY: (usize, usize) = (26, 0);
const RECENT: (usize, usize) = (12, 3);
const SPA_API: usize = 3;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub(crate) fn alnum(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(ALNUM[rng.random_range(0..ALNUM.len())]))
        .collect()
}

fn hex(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

fn slug(name: &str) -> String {
    name.to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn scope_subset(rng: &mut impl Rng, scopes: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = scopes
        .iter()
        .filter(|_| rng.random_bool(0.6))
        .map(|s| (*s).to_string())
        .collect();
    if out.is_empty() {
        out.push(scopes[rng.random_range(0..scopes.len())].to_string());
    }
    out
}

/// Builds the seeded directory for `org_count` organizations; `own_client` is the
/// simulator's own (Management API) client, listed like any other application.
pub(crate) fn generate(seed: u64, org_count: usize, own_client: &str) -> Directory {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xD1EC_7041);
    let resource_servers: Vec<ResourceServer> = APIS
        .iter()
        .map(|(name, path, scopes)| ResourceServer {
            id: hex(&mut rng, 24),
            name: (*name).to_string(),
            identifier: format!("https://api.example.com/{path}"),
            scopes: scopes.iter().map(|s| (*s).to_string()).collect(),
        })
        .collect();

    let mut clients = Vec::new();
    let mk = |rng: &mut ChaCha8Rng, name: &str, app_type: &str| {
        let grant_types: &[&str] = match app_type {
            "non_interactive" => &["client_credentials"],
            "spa" => &["authorization_code", "implicit", "refresh_token"],
            "regular_web" => &["authorization_code", "refresh_token", "client_credentials"],
            _ => &["authorization_code", "refresh_token"],
        };
        Client {
            client_id: alnum(rng, 32),
            name: name.to_string(),
            description: format!("{name} ({app_type})"),
            app_type: app_type.to_string(),
            is_first_party: true,
            grant_types: grant_types.iter().map(|s| (*s).to_string()).collect(),
            organization_usage: (app_type != "non_interactive").then(|| "allow".to_string()),
            tenant: TENANT_NAME.to_string(),
        }
    };
    for name in M2M_NAMES {
        clients.push(mk(&mut rng, name, "non_interactive"));
    }
    for (name, t) in [
        ("Customer Portal", "spa"),
        ("Partner Dashboard", "spa"),
        ("Storefront", "regular_web"),
        ("Admin Console", "regular_web"),
        ("Mobile App", "native"),
    ] {
        clients.push(mk(&mut rng, name, t));
    }
    let mut own = mk(&mut rng, "auth0-audit log export", "non_interactive");
    own.client_id = own_client.to_string();
    clients.push(own);
    let spa_index = M2M_COUNT;

    let organizations: Vec<Organization> = (0..org_count)
        .map(|i| {
            let base = ORG_NAMES[i % ORG_NAMES.len()];
            let display = if i < ORG_NAMES.len() {
                base.to_string()
            } else {
                format!("{base} {}", i / ORG_NAMES.len() + 1)
            };
            let mut metadata = BTreeMap::new();
            metadata.insert(
                "tier".to_string(),
                ["gold", "silver", "bronze"][i % 3].to_string(),
            );
            metadata.insert("region".to_string(), ["eu", "us", "ap"][i % 3].to_string());
            Organization {
                id: format!("org_{}", alnum(&mut rng, 16)),
                name: slug(&display),
                display_name: display,
                branding: serde_json::json!({
                    "logo_url": format!("https://cdn.example.com/logos/{}.png", slug(base)),
                    "colors": {"primary": "#0059d6", "page_background": "#ffffff"}
                }),
                metadata,
            }
        })
        .collect();

    // Grants: one per (M2M client, API), minus the removed one, plus the spa grant.
    let mut grants = Vec::new();
    let mut grant_of: HashMap<(usize, usize), usize> = HashMap::new();
    let mut removed_scopes = Vec::new();
    for (c, client) in clients.iter().enumerate().take(M2M_COUNT) {
        for (a, api) in APIS.iter().enumerate() {
            let scope = scope_subset(&mut rng, &api.2);
            let id = format!("cgr_{}", alnum(&mut rng, 16));
            if (c, a) == REMOVED {
                removed_scopes = scope;
                continue;
            }
            let any = ANY_ORG_CLIENTS.contains(&c) && a == ANY_ORG_API;
            let usage = if (c, a) == DENY {
                "deny"
            } else if !any && c % 5 == 0 {
                "require"
            } else {
                "allow"
            };
            grant_of.insert((c, a), grants.len());
            grants.push(ClientGrant {
                id,
                client_id: client.client_id.clone(),
                audience: resource_servers[a].identifier.clone(),
                scope,
                organization_usage: usage.to_string(),
                allow_any_organization: any,
                is_system: false,
                subject_type: "client".to_string(),
            });
        }
    }
    let spa_grant_idx = grants.len();
    grants.push(ClientGrant {
        id: format!("cgr_{}", alnum(&mut rng, 16)),
        client_id: clients[spa_index].client_id.clone(),
        audience: resource_servers[SPA_API].identifier.clone(),
        scope: vec![APIS[SPA_API].2[0].to_string()],
        organization_usage: "allow".to_string(),
        allow_any_organization: false,
        is_system: false,
        subject_type: "client".to_string(),
    });

    let ordinary: Vec<(usize, usize)> = {
        let mut v: Vec<(usize, usize)> = grant_of
            .keys()
            .copied()
            .filter(|&(c, a)| (c, a) != DENY && !(ANY_ORG_CLIENTS.contains(&c) && a == ANY_ORG_API))
            .collect();
        v.sort_unstable();
        v
    };

    let org = |i: usize| organizations.get(i).map(|o| o.id.clone());
    let gid = |k: (usize, usize)| grant_of.get(&k).map(|&i| grants[i].id.clone());
    let mut org_grants: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut scenario = Scenario {
        any_org_grants: ANY_ORG_CLIENTS
            .iter()
            .filter_map(|&c| gid((c, ANY_ORG_API)))
            .collect(),
        ..Scenario::default()
    };
    // Per-org associations as (client, api) pairs; the spa grant is handled separately.
    let mut assoc: Vec<Vec<(usize, usize)>> = vec![Vec::new(); org_count];
    if let Some(first) = assoc.first_mut() {
        first.extend(ordinary.iter().copied()); // 130 grants
        scenario.big_org = org(0);
    }
    for (o, list) in assoc.iter_mut().enumerate().skip(1) {
        let mut pool = ordinary.clone();
        pool.shuffle(&mut rng);
        let k = rng.random_range(2..=6);
        let kept_out = |p| (o == 4 && p == FAILED) || (o == 5 && p == RECENT);
        list.extend(pool.into_iter().filter(|&p| !kept_out(p)).take(k));
    }
    if let Some(list) = assoc.get_mut(2) {
        list.push(DENY);
        scenario.deny_grant = org(2)
            .zip(gid(DENY))
            .map(|(org_id, grant_id)| OrgGrantRef { org_id, grant_id });
    }
    if let Some(list) = assoc.get_mut(5) {
        list.push(RECENT);
        scenario.recent_association = org(5)
            .zip(gid(RECENT))
            .map(|(org_id, grant_id)| OrgGrantRef { org_id, grant_id });
    }
    let unused = assoc.get(1).and_then(|l| l.first().copied());
    if let Some(o) = org(1) {
        scenario.unused_grant = unused.and_then(gid).map(|grant_id| OrgGrantRef {
            org_id: o.clone(),
            grant_id,
        });
        scenario.spa_grant = Some(OrgGrantRef {
            org_id: o,
            grant_id: grants[spa_grant_idx].id.clone(),
        });
    }
    for (o, list) in assoc.iter().enumerate() {
        let mut ids: Vec<String> = list.iter().filter_map(|&p| gid(p)).collect();
        if o == 1 {
            ids.push(grants[spa_grant_idx].id.clone());
        }
        org_grants.insert(organizations[o].id.clone(), ids);
    }

    // Token usage the logs will show.
    let mut token_usage = Vec::new();
    let mut use_entry = |c: usize, a: usize, o: usize, scopes: Vec<String>, success: bool| {
        if let (Some(client), Some(org)) = (clients.get(c), organizations.get(o)) {
            token_usage.push(OrgTokenUsage {
                client_id: client.client_id.clone(),
                client_name: client.name.clone(),
                organization_id: org.id.clone(),
                organization_name: org.name.clone(),
                audience: resource_servers[a].identifier.clone(),
                scopes,
                success,
            });
        }
    };
    let scopes_of = |k: (usize, usize)| {
        grant_of
            .get(&k)
            .map(|&i| grants[i].scope.clone())
            .unwrap_or_default()
    };
    for (o, list) in assoc.iter().enumerate() {
        let used: Vec<(usize, usize)> = if o == 0 {
            list.iter().copied().step_by(16).collect()
        } else {
            list.iter()
                .copied()
                .filter(|&p| p != DENY && !(o == 1 && Some(p) == unused))
                .collect()
        };
        for (c, a) in used {
            use_entry(c, a, o, scopes_of((c, a)), true);
        }
    }
    if org_count > 0 {
        for &c in &ANY_ORG_CLIENTS {
            for k in 0..2 {
                let o = (c + k * 3) % org_count;
                use_entry(c, ANY_ORG_API, o, scopes_of((c, ANY_ORG_API)), true);
            }
        }
    }
    if org_count > 3 {
        use_entry(REMOVED.0, REMOVED.1, 3, removed_scopes, true);
        scenario.removed_grant_usage = Some(OrgAccessRef {
            org_id: organizations[3].id.clone(),
            client_id: clients[REMOVED.0].client_id.clone(),
            audience: resource_servers[REMOVED.1].identifier.clone(),
        });
    }
    if org_count > 4 {
        use_entry(FAILED.0, FAILED.1, 4, scopes_of(FAILED), false);
        scenario.failed_exchange = Some(OrgAccessRef {
            org_id: organizations[4].id.clone(),
            client_id: clients[FAILED.0].client_id.clone(),
            audience: resource_servers[FAILED.1].identifier.clone(),
        });
    }

    Directory {
        clients,
        resource_servers,
        organizations,
        client_grants: grants,
        org_grants,
        token_usage,
        scenario,
    }
}

/// Appends `n` machine-to-machine applications (`Bench Client 0001`, ...) with
/// seeded ids after the seeded ones; they have no grants until a test adds some.
pub(crate) fn with_extra_clients(mut dir: Directory, seed: u64, n: usize) -> Directory {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC11E_2750);
    for i in 1..=n {
        let name = format!("Bench Client {i:04}");
        dir.clients.push(Client {
            client_id: alnum(&mut rng, 32),
            description: format!("{name} (non_interactive)"),
            name,
            app_type: "non_interactive".to_string(),
            is_first_party: true,
            grant_types: vec!["client_credentials".to_string()],
            organization_usage: None,
            tenant: TENANT_NAME.to_string(),
        });
    }
    dir
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn directory_invariants() {
        let d = generate(7, 12, "sim-client-7");
        assert_eq!(d, generate(7, 12, "sim-client-7"), "deterministic");
        assert_eq!(d.organizations.len(), 12);
        for o in &d.organizations {
            assert!(o.id.starts_with("org_") && o.id.len() == 20, "{}", o.id);
        }
        let s = &d.scenario;
        let big = s.big_org.as_ref().unwrap();
        assert_eq!(d.org_grants[big].len(), 130);
        assert!(d.org_grants.values().filter(|v| v.len() > 100).count() == 1);
        assert_eq!(s.any_org_grants.len(), 3);
        for g in &s.any_org_grants {
            assert!(d.grant(g).unwrap().allow_any_organization);
        }
        // Every associated grant exists, no duplicates per org.
        for ids in d.org_grants.values() {
            let mut sorted = ids.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), ids.len());
            assert!(ids.iter().all(|id| d.grant(id).is_some()));
        }
        // Unused grant: associated, but no usage for that client/audience/org.
        let unused = s.unused_grant.as_ref().unwrap();
        let g = d.grant(&unused.grant_id).unwrap();
        assert!(d.org_grants[&unused.org_id].contains(&unused.grant_id));
        assert!(
            !d.token_usage
                .iter()
                .any(|u| u.organization_id == unused.org_id
                    && u.client_id == g.client_id
                    && u.audience == g.audience)
        );
        // Removed grant: used, but no grant for that client/audience exists.
        let removed = s.removed_grant_usage.as_ref().unwrap();
        assert!(
            !d.client_grants
                .iter()
                .any(|g| g.client_id == removed.client_id && g.audience == removed.audience)
        );
        assert!(d.token_usage.iter().any(|u| u.success
            && u.organization_id == removed.org_id
            && u.client_id == removed.client_id));
        // spa grant associated; deny grant associated.
        let spa = s.spa_grant.as_ref().unwrap();
        let spa_client = d
            .client(&d.grant(&spa.grant_id).unwrap().client_id)
            .unwrap();
        assert_eq!(spa_client.app_type, "spa");
        assert!(d.org_grants[&spa.org_id].contains(&spa.grant_id));
        let deny = s.deny_grant.as_ref().unwrap();
        assert_eq!(d.grant(&deny.grant_id).unwrap().organization_usage, "deny");
        assert!(d.org_grants[&deny.org_id].contains(&deny.grant_id));
        // Failed exchanges exist for an org; all usage references real orgs/clients.
        assert!(d.token_usage.iter().any(|u| !u.success));
        for u in &d.token_usage {
            assert!(d.organization(&u.organization_id).is_some());
            assert!(d.client(&u.client_id).is_some());
            assert!(!u.scopes.is_empty());
        }
        let recent = s.recent_association.as_ref().unwrap();
        assert!(d.org_grants[&recent.org_id].contains(&recent.grant_id));
    }

    #[test]
    fn extra_clients_are_appended() {
        let d = generate(7, 3, "x");
        let seeded = d.clients.len();
        let e = with_extra_clients(d.clone(), 7, 500);
        assert_eq!(e.clients.len(), seeded + 500);
        assert_eq!(e.clients[..seeded], d.clients[..]);
        let mut ids: Vec<&str> = e.clients.iter().map(|c| c.client_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), seeded + 500, "ids are unique");
    }

    #[test]
    fn few_organizations_do_not_panic() {
        for n in 0..7 {
            let d = generate(1, n, "x");
            assert_eq!(d.organizations.len(), n);
        }
    }
}
