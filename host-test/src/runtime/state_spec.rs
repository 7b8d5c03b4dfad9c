//! Choosing the key-value backend from a command-line style spec.

use super::keyvalue::{KvBackend, MemoryKv, SqliteKv};
use std::path::PathBuf;
use std::sync::Arc;

/// The two backends a caller can pick.
pub enum StateBackend {
    /// Lives as long as the process (clones share state).
    Memory(MemoryKv),
    /// A SQLite file, durable and shareable between processes.
    Sqlite(PathBuf),
}

impl StateBackend {
    pub fn memory() -> Self {
        Self::Memory(MemoryKv::new())
    }

    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        Self::Sqlite(path.into())
    }

    /// Opens the backend (creates the SQLite file if needed).
    pub fn open(self) -> anyhow::Result<Arc<dyn KvBackend>> {
        Ok(match self {
            Self::Memory(kv) => Arc::new(kv),
            Self::Sqlite(path) => Arc::new(SqliteKv::open(path)?),
        })
    }
}

/// `memory`, `sqlite:PATH`, or a plain `PATH` (SQLite).
pub fn open_state(spec: &str) -> anyhow::Result<Arc<dyn KvBackend>> {
    let spec = spec.trim();
    if spec.is_empty() {
        anyhow::bail!("empty state spec: use `memory`, `sqlite:PATH` or a file path");
    }
    let backend = if spec == "memory" {
        StateBackend::memory()
    } else if let Some(path) = spec.strip_prefix("sqlite:") {
        if path.is_empty() {
            anyhow::bail!("`sqlite:` needs a file path, such as `sqlite:state.db`");
        }
        StateBackend::sqlite(path)
    } else {
        StateBackend::sqlite(spec)
    };
    backend.open()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        open_state("memory")?.set("", "k", b"v")?;
        let prefixed = dir.path().join("a.db");
        open_state(&format!("sqlite:{}", prefixed.display()))?.set("", "k", b"v")?;
        assert!(prefixed.is_file());
        let plain = dir.path().join("b.db");
        open_state(&plain.display().to_string())?.set("", "k", b"v")?;
        assert_eq!(
            open_state(&plain.display().to_string())?.get("", "k")?,
            Some(b"v".to_vec())
        );
        assert!(open_state("").is_err());
        assert!(open_state("sqlite:").is_err());
        Ok(())
    }
}
