//! Include/exclude by event type. Filtered events are still fetched, counted
//! and checkpointed past: a filter never causes a re-read or a gap.

use std::collections::BTreeSet;

use crate::error::Error;
use crate::event_types::{describe, is_well_formed};
use crate::model::Warning;

#[derive(Debug, Clone, Default)]
pub struct TypeFilter {
    include: BTreeSet<String>,
    exclude: BTreeSet<String>,
    /// Codes that are well-formed but unknown to us: kept, and reported.
    pub warnings: Vec<Warning>,
}

impl TypeFilter {
    pub fn validate(include: &[String], exclude: &[String]) -> Result<TypeFilter, Error> {
        let mut filter = TypeFilter::default();
        for (name, list, set) in [
            ("include-types", include, &mut filter.include),
            ("exclude-types", exclude, &mut filter.exclude),
        ] {
            if list.len() > 500 {
                return Err(Error::config(name, "at most 500 codes"));
            }
            for (i, code) in list.iter().enumerate() {
                if !is_well_formed(code) {
                    return Err(Error::config(
                        format!("{name}[{i}]"),
                        "an event type code is lower-case letters, digits and _ (e.g. seccft)",
                    ));
                }
                if describe(code).is_none() {
                    filter.warnings.push(Warning::new(
                        "unknown-event-type",
                        format!("{name} names {code}, which is not a documented Auth0 event type"),
                    ));
                }
                set.insert(code.clone());
            }
        }
        Ok(filter)
    }

    /// Events without a type are delivered unless an include list exists.
    pub fn allows(&self, kind: Option<&str>) -> bool {
        match kind {
            Some(k) => {
                (self.include.is_empty() || self.include.contains(k)) && !self.exclude.contains(k)
            }
            None => self.include.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_then_exclude() {
        let f = TypeFilter::validate(&["s".into(), "f".into()], &["f".into()]).unwrap_or_default();
        assert!(f.allows(Some("s")));
        assert!(!f.allows(Some("f")));
        assert!(!f.allows(Some("seccft")));
        assert!(!f.allows(None));
        let all = TypeFilter::default();
        assert!(all.allows(None) && all.allows(Some("x")));
    }

    #[test]
    fn malformed_codes_name_the_position() {
        match TypeFilter::validate(&["s".into(), "type:s OR".into()], &[]) {
            Err(Error::Config { field, .. }) => assert_eq!(field, "include-types[1]"),
            other => panic!("{other:?}"),
        }
        let f = TypeFilter::validate(&["zzz_new".into()], &[]).unwrap_or_default();
        assert_eq!(f.warnings.len(), 1);
    }
}
