//! Organization ids are placed in a URL path segment and in a Lucene query, so
//! they are checked against a conservative character set before either: an id
//! that does not fit is rejected, never escaped and hoped for the best.

use crate::error::Error;

/// Longest organization id accepted (Auth0's look like `org_` + 16 characters).
pub const MAX_ORG_ID_LEN: usize = 64;

const LUCENE_WORDS: [&str; 4] = ["AND", "OR", "NOT", "TO"];

/// An organization id made only of ASCII letters, digits, `_` and `-`, 1 to 64 long, and not a
/// Lucene operator word.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OrgId(String);

impl OrgId {
    pub fn parse(id: &str) -> Result<OrgId, Error> {
        if id.is_empty() || id.len() > MAX_ORG_ID_LEN {
            return Err(Error::config(
                "org-id",
                format!("must be 1 to {MAX_ORG_ID_LEN} characters long"),
            ));
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        {
            return Err(Error::config(
                "org-id",
                "may only contain ASCII letters, digits, '_' and '-'",
            ));
        }
        // A bare operator would change the meaning of the clients search query.
        if LUCENE_WORDS.iter().any(|w| id.eq_ignore_ascii_case(w)) {
            return Err(Error::config(
                "org-id",
                "must not be a search operator (AND, OR, NOT, TO)",
            ));
        }
        Ok(OrgId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OrgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
