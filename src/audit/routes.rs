//! Who can reach what: the access list of every application, from the grants
//! associated with the organization and the grants open to any organization.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::grants::GrantRecord;
use crate::audit::model::{Access, OrganizationUsage, Route};

/// Access lists by client id; each sorted by audience then route, scopes sorted.
pub type AccessMap = BTreeMap<String, Vec<Access>>;

fn access(g: &GrantRecord, route: Route) -> Access {
    let scopes: BTreeSet<String> = g.scope.iter().cloned().collect();
    Access {
        audience: g.audience.clone(),
        scopes: scopes.into_iter().collect(),
        route,
        grant_id: g.id.clone(),
        organization_usage: OrganizationUsage::parse(g.organization_usage.as_deref()),
    }
}

/// Builds the access lists. A grant listed twice (pages shifting under a
/// concurrent change) appears once per route.
pub fn build(direct: &[GrantRecord], any_organization: &[GrantRecord]) -> AccessMap {
    let mut map = AccessMap::new();
    let mut seen = BTreeSet::new();
    let all = direct
        .iter()
        .map(|g| (g, Route::Direct))
        .chain(any_organization.iter().map(|g| (g, Route::AnyOrganization)));
    for (g, route) in all {
        if !seen.insert((g.id.clone(), route)) {
            continue;
        }
        map.entry(g.client_id.clone())
            .or_default()
            .push(access(g, route));
    }
    for list in map.values_mut() {
        list.sort_by(|a, b| {
            (a.audience.as_str(), a.route, a.grant_id.as_str()).cmp(&(
                b.audience.as_str(),
                b.route,
                b.grant_id.as_str(),
            ))
        });
    }
    map
}

/// True if the client reaches the audience through a direct grant.
pub fn has_direct(list: &[Access], audience: &str) -> bool {
    list.iter()
        .any(|a| a.audience == audience && a.route == Route::Direct)
}

/// The audiences of an access list, once each, sorted.
pub fn audiences(list: &[Access]) -> Vec<&str> {
    let set: BTreeSet<&str> = list.iter().map(|a| a.audience.as_str()).collect();
    set.into_iter().collect()
}

/// Union of the scopes every route grants for `audience`.
pub fn granted_scopes<'a>(list: &'a [Access], audience: &str) -> BTreeSet<&'a str> {
    list.iter()
        .filter(|a| a.audience == audience)
        .flat_map(|a| a.scopes.iter().map(String::as_str))
        .collect()
}
