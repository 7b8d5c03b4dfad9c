//! The contenders of the backlog drain and how each one is started. Each reads
//! the tenant from AUTH0_DOMAIN / AUTH0_CLIENT_ID / AUTH0_CLIENT_SECRET.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::procs::Spec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Contender {
    /// `auth0-audit sync`: the .wasm in the wasmtime host.
    Wasm,
    /// `auth0-audit-native sync`: the same core compiled natively.
    Native,
    /// `bench/peers/python/requests_sync.py`.
    Python,
    /// `bench/peers/node/sync.mjs`.
    Node,
    /// `bench/peers/python/sdk_sync.py` (auth0-python; search mode, 1,000 cap).
    Sdk,
    /// `auth0-audit-native fetch-only`: only downloads pages.
    Physical,
}

pub const ALL: [Contender; 6] = [
    Contender::Wasm,
    Contender::Native,
    Contender::Python,
    Contender::Node,
    Contender::Sdk,
    Contender::Physical,
];

impl Contender {
    pub fn key(self) -> &'static str {
        match self {
            Contender::Wasm => "auth0-audit",
            Contender::Native => "native-core",
            Contender::Python => "python-requests",
            Contender::Node => "node-fetch",
            Contender::Sdk => "python-sdk",
            Contender::Physical => "physical-limit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Contender::Wasm => "auth0-audit sync (.wasm in wasmtime)",
            Contender::Native => "same core, native",
            Contender::Python => "Python requests script",
            Contender::Node => "Node fetch script",
            Contender::Sdk => "auth0-python SDK",
            Contender::Physical => "physical limit (pages only)",
        }
    }

    /// Whether it writes an NDJSON file the harness can verify.
    pub fn writes_file(self) -> bool {
        self != Contender::Physical
    }

    pub fn is_peer(self) -> bool {
        matches!(self, Contender::Python | Contender::Node | Contender::Sdk)
    }
}

/// Where the binaries and scripts are.
#[derive(Debug, Clone)]
pub struct Tools {
    pub root: PathBuf,
    /// Directory holding `auth0-audit` and `auth0-audit-native`.
    pub bin_dir: PathBuf,
    /// Python of the peers' venv (`target/bench/venv/bin/python`).
    pub python: PathBuf,
    pub node: Option<PathBuf>,
    /// `XDG_CACHE_HOME` given to `auth0-audit` (holds the precompiled .cwasm).
    pub cache_home: PathBuf,
}

/// Options of one run that only some contenders understand.
#[derive(Debug, Clone, Default)]
pub struct RunKnobs {
    /// Sink batch size in events (auth0-audit via a config file, native via a flag).
    pub batch_events: Option<u32>,
}

impl Tools {
    pub fn wasm_bin(&self) -> PathBuf {
        self.bin_dir.join("auth0-audit")
    }

    pub fn native_bin(&self) -> PathBuf {
        self.bin_dir.join("auth0-audit-native")
    }

    fn script(&self, c: Contender) -> Option<PathBuf> {
        let rel = match c {
            Contender::Python => "bench/peers/python/requests_sync.py",
            Contender::Node => "bench/peers/node/sync.mjs",
            Contender::Sdk => "bench/peers/python/sdk_sync.py",
            _ => return None,
        };
        Some(self.root.join(rel))
    }

    /// Why `c` cannot run here, or `None` when it can.
    pub fn missing(&self, c: Contender) -> Option<String> {
        let need = |p: &Path, what: &str| (!p.is_file()).then(|| format!("{what} not found"));
        match c {
            Contender::Wasm => need(&self.wasm_bin(), "auth0-audit binary"),
            Contender::Native | Contender::Physical => {
                need(&self.native_bin(), "auth0-audit-native binary")
            }
            Contender::Python | Contender::Sdk => need(&self.python, "peers' Python venv")
                .or_else(|| self.script(c).and_then(|s| need(&s, "peer script"))),
            Contender::Node => match &self.node {
                None => Some("node not installed".into()),
                Some(_) => self.script(c).and_then(|s| need(&s, "peer script")),
            },
        }
    }

    /// The command that drains the tenant at `domain` into `out`.
    pub fn spec(
        &self,
        c: Contender,
        tenant: &TenantEnv,
        out: &Path,
        work: &Path,
        knobs: &RunKnobs,
    ) -> anyhow::Result<Spec> {
        let state = work.join(format!("{}.state", c.key()));
        let _ = std::fs::remove_file(&state);
        let out_s = out.display().to_string();
        let spec = match c {
            Contender::Wasm => {
                let mut s = Spec::new(self.wasm_bin(), &self.root)
                    .arg("sync")
                    .arg("--sink")
                    .arg(format!("file:{out_s}"))
                    .arg("--state")
                    .arg("memory")
                    .arg("--no-token-cache")
                    // The report as JSON: the guest's memory peak in exact bytes.
                    .arg("--json");
                if let Some(n) = knobs.batch_events {
                    let cfg = work.join(format!("batch-{n}.toml"));
                    std::fs::write(
                        &cfg,
                        format!("[sink]\nmax_batch_events = {n}\nmax_batch_bytes = 16777216\n"),
                    )?;
                    s = s.arg("--config").arg(cfg.display().to_string());
                }
                s.env("XDG_CACHE_HOME", self.cache_home.display().to_string())
            }
            Contender::Native => {
                let mut s = Spec::new(self.native_bin(), &self.root)
                    .arg("sync")
                    .arg("--sink")
                    .arg(format!("file:{out_s}"));
                if let Some(n) = knobs.batch_events {
                    s = s
                        .arg("--max-batch-events")
                        .arg(n.to_string())
                        .arg("--max-batch-bytes")
                        .arg("16777216");
                }
                s
            }
            Contender::Physical => Spec::new(self.native_bin(), &self.root).arg("fetch-only"),
            Contender::Python | Contender::Sdk | Contender::Node => {
                let script = self
                    .script(c)
                    .ok_or_else(|| anyhow::anyhow!("no script for {}", c.key()))?;
                let program = if c == Contender::Node {
                    self.node.clone().unwrap_or_else(|| PathBuf::from("node"))
                } else {
                    self.python.clone()
                };
                Spec::new(program, &self.root)
                    .arg(script.display().to_string())
                    .arg("--out")
                    .arg(out_s)
                    .arg("--state")
                    .arg(state.display().to_string())
            }
        };
        Ok(spec
            .env("AUTH0_DOMAIN", tenant.domain.clone())
            .env("AUTH0_CLIENT_ID", tenant.client_id.clone())
            .env("AUTH0_CLIENT_SECRET", tenant.client_secret.clone()))
    }
}

/// The simulated tenant's address and credentials.
#[derive(Debug, Clone)]
pub struct TenantEnv {
    pub domain: String,
    pub client_id: String,
    pub client_secret: String,
}

impl TenantEnv {
    pub fn of(sim: &auth0_audit_simulator::Simulator) -> TenantEnv {
        TenantEnv {
            domain: sim.base_url(),
            client_id: sim.client_id().to_string(),
            client_secret: sim.client_secret().to_string(),
        }
    }
}

/// `which`-like lookup on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}
