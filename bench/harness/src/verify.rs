//! Checks a contender's NDJSON output against the simulator's truth: every
//! retained log_id exactly once, nothing else.

use std::collections::HashSet;
use std::io::BufRead as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Verification {
    /// Lines in the file.
    pub lines: u64,
    /// Distinct log_ids among them.
    pub unique: u64,
    /// Lines whose log_id was already seen.
    pub duplicates: u64,
    /// Expected log_ids absent from the file.
    pub missing: u64,
    /// log_ids (or unreadable lines) the tenant does not have.
    pub unexpected: u64,
    pub expected: u64,
}

impl Verification {
    /// Every expected event is there and nothing foreign is.
    pub fn complete(&self) -> bool {
        self.missing == 0 && self.unexpected == 0
    }
}

#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow)]
    log_id: Option<std::borrow::Cow<'a, str>>,
}

/// Reads `file` (one JSON object per line, `log_id` at the top level: the
/// `ndjson` and `log-streams` formats) and compares it with `expected`.
pub fn verify(file: &Path, expected: &HashSet<String>) -> anyhow::Result<Verification> {
    let mut v = Verification {
        expected: expected.len() as u64,
        ..Verification::default()
    };
    let mut seen: HashSet<String> = HashSet::with_capacity(expected.len());
    if file.exists() {
        let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
        for line in reader.split(b'\n') {
            let line = line?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            v.lines += 1;
            let id = serde_json::from_slice::<IdOnly>(&line)
                .ok()
                .and_then(|r| r.log_id.map(|c| c.into_owned()));
            match id {
                Some(id) if expected.contains(&id) => {
                    if !seen.insert(id) {
                        v.duplicates += 1;
                    }
                }
                _ => v.unexpected += 1,
            }
        }
    }
    v.unique = seen.len() as u64;
    v.missing = v.expected - v.unique;
    Ok(v)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn counts_missing_duplicates_and_strangers() {
        let dir = std::env::temp_dir().join(format!("bench-verify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("out.ndjson");
        std::fs::write(
            &f,
            "{\"log_id\":\"1\",\"x\":{\"log_id\":\"9\"}}\n{\"log_id\":\"2\"}\n{\"log_id\":\"2\"}\n{\"log_id\":\"7\"}\nnot json\n",
        )
        .unwrap();
        let expected: HashSet<String> = ["1", "2", "3"].iter().map(|s| s.to_string()).collect();
        let v = verify(&f, &expected).unwrap();
        assert_eq!((v.lines, v.unique, v.duplicates), (5, 2, 1));
        assert_eq!((v.missing, v.unexpected), (1, 2));
        assert!(!v.complete());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
