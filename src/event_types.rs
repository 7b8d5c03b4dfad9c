//! The Auth0 log event type codes (shipped from Auth0's documentation), used to
//! warn about filters that name a code Auth0 does not emit.

const TABLE: &str = include_str!("event-types.tsv");

/// Meaning of a known code, or None.
pub fn describe(code: &str) -> Option<&'static str> {
    TABLE
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once('\t'))
        .find(|(c, _)| *c == code)
        .map(|(_, meaning)| meaning)
}

/// A well-formed code: what Auth0 uses (lower-case letters, digits, `_`).
pub fn is_well_formed(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_token_exchange_codes() {
        assert!(describe("seccft").is_some());
        assert!(describe("feccft").is_some());
        assert!(describe("no_such_code").is_none());
        assert!(!is_well_formed("S"));
        assert!(!is_well_formed("a b"));
    }
}
