//! Fault injection: seeded random faults per request plus the precise `fail_next` hook.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::config::FaultConfig;

/// A fault that replaces the answer before the handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PreFault {
    /// 429 with (`true`) or without `Retry-After`.
    TooManyRequests { retry_after: bool },
    /// 500, 502 or 503.
    Status(u16),
    /// The presented token expires now (401 "Expired token").
    ExpireToken,
}

/// A fault that mangles a successful answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyFault {
    ResetMidBody,
    TruncatedJson,
    InvalidJson,
    /// Logs checkpoint pages start with 1-3 events at or before `from`.
    RepeatTail(usize),
}

/// Everything drawn for one Management API request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Draw {
    pub pre: Option<PreFault>,
    pub body: Option<BodyFault>,
    pub slow_ms: Option<u64>,
}

#[derive(Debug)]
struct FailNext {
    prefix: String,
    status: u16,
    remaining: u32,
}

/// Fault configuration, its seeded RNG and the pending `fail_next` entries.
#[derive(Debug)]
pub(crate) struct Faults {
    config: FaultConfig,
    rng: ChaCha8Rng,
    fail_next: Vec<FailNext>,
}

fn hit(rng: &mut ChaCha8Rng, p: f64) -> bool {
    // Draw unconditionally so the sequence does not depend on which rates are set.
    let u: f64 = rng.random();
    p.is_finite() && u < p
}

impl Faults {
    pub fn new(seed: u64, config: FaultConfig) -> Self {
        Self {
            config,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0xFA17_5EED),
            fail_next: Vec::new(),
        }
    }

    pub fn set(&mut self, config: FaultConfig) {
        self.config = config;
    }

    pub fn add_fail_next(&mut self, prefix: &str, status: u16, count: u32) {
        if count > 0 {
            self.fail_next.push(FailNext {
                prefix: prefix.to_string(),
                status,
                remaining: count,
            });
        }
    }

    /// The status a `fail_next` entry forces on this path, consuming one use.
    pub fn take_fail_next(&mut self, path: &str) -> Option<u16> {
        let pos = self
            .fail_next
            .iter()
            .position(|f| path.starts_with(&f.prefix))?;
        let entry = &mut self.fail_next[pos];
        let status = entry.status;
        entry.remaining -= 1;
        if entry.remaining == 0 {
            self.fail_next.remove(pos);
        }
        Some(status)
    }

    /// Random faults for one Management API request.
    pub fn draw_api(&mut self) -> Draw {
        let c = &self.config;
        let r = &mut self.rng;
        let draws = [
            (
                hit(r, c.rate_429),
                PreFault::TooManyRequests { retry_after: true },
            ),
            (
                hit(r, c.rate_429_no_retry_after),
                PreFault::TooManyRequests { retry_after: false },
            ),
            (hit(r, c.rate_500), PreFault::Status(500)),
            (hit(r, c.rate_502), PreFault::Status(502)),
            (hit(r, c.rate_503), PreFault::Status(503)),
            (hit(r, c.rate_expire_token), PreFault::ExpireToken),
        ];
        let pre = draws.iter().find(|d| d.0).map(|d| d.1);
        let repeat = r.random_range(1..=3);
        let body_draws = [
            (hit(r, c.rate_reset_mid_body), BodyFault::ResetMidBody),
            (hit(r, c.rate_truncated_json), BodyFault::TruncatedJson),
            (hit(r, c.rate_invalid_json), BodyFault::InvalidJson),
            (hit(r, c.rate_repeat_tail), BodyFault::RepeatTail(repeat)),
        ];
        let body = body_draws.iter().find(|d| d.0).map(|d| d.1);
        let slow_ms = hit(r, c.rate_slow).then_some(c.slow_ms);
        Draw { pre, body, slow_ms }
    }

    /// Whether `/oauth/token` answers 429 this time.
    pub fn draw_token_429(&mut self) -> bool {
        let p = self.config.rate_token_429;
        hit(&mut self.rng, p)
    }

    /// A fraction in 0.2..0.8 for where to cut a body.
    pub fn cut_fraction(&mut self) -> f64 {
        self.rng.random_range(0.2..0.8)
    }
}

/// Cuts a JSON body so that it no longer parses (at least 1 byte short).
pub(crate) fn truncate(body: &[u8], fraction: f64) -> Vec<u8> {
    let cut =
        ((body.len() as f64 * fraction) as usize).clamp(1, body.len().saturating_sub(1).max(1));
    body[..cut.min(body.len())].to_vec()
}

/// Makes a JSON body invalid while keeping its length roughly the same.
pub(crate) fn corrupt(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    let mid = body.len() / 2;
    out.extend_from_slice(&body[..mid]);
    out.extend_from_slice(b"}{,\x22\x5c");
    out.extend_from_slice(&body[mid..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_next_counts_down() {
        let mut f = Faults::new(1, FaultConfig::default());
        f.add_fail_next("/api/v2/logs", 503, 2);
        assert_eq!(f.take_fail_next("/api/v2/clients"), None);
        assert_eq!(f.take_fail_next("/api/v2/logs"), Some(503));
        assert_eq!(f.take_fail_next("/api/v2/logs"), Some(503));
        assert_eq!(f.take_fail_next("/api/v2/logs"), None);
        assert_eq!(f.draw_api(), Draw::default());
    }

    #[test]
    fn rates_roughly_hold_and_are_seeded() {
        let cfg = FaultConfig {
            rate_500: 0.1,
            rate_repeat_tail: 0.2,
            ..FaultConfig::default()
        };
        let mut a = Faults::new(9, cfg.clone());
        let mut b = Faults::new(9, cfg);
        let (mut n500, mut nrep) = (0, 0);
        for _ in 0..10_000 {
            let d = a.draw_api();
            assert_eq!(d, b.draw_api());
            if d.pre == Some(PreFault::Status(500)) {
                n500 += 1;
            }
            if matches!(d.body, Some(BodyFault::RepeatTail(1..=3))) {
                nrep += 1;
            }
        }
        assert!((800..1200).contains(&n500), "{n500}");
        assert!((1700..2300).contains(&nrep), "{nrep}");
    }

    #[test]
    fn mangled_bodies_do_not_parse() {
        let body = br#"[{"a":1},{"b":2}]"#;
        assert!(serde_json::from_slice::<serde_json::Value>(&truncate(body, 0.5)).is_err());
        assert!(serde_json::from_slice::<serde_json::Value>(&corrupt(body)).is_err());
        assert!(serde_json::from_slice::<serde_json::Value>(&truncate(b"[]", 0.9)).is_err());
    }
}
