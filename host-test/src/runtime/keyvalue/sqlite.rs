//! SQLite key-value backend: durable state that several processes can share.

use super::{KeyPage, KvBackend, LIST_PAGE_SIZE, add_to_counter, cursor_offset};
use anyhow::Context as _;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// How long a writer waits for another process's transaction before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// One table `(bucket, key) -> value` in a WAL-mode file with `synchronous=FULL`,
/// so an acknowledged `set` (a checkpoint) survives a SIGKILL or power loss.
pub struct SqliteKv {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteKv {
    /// Opens (creating if needed) the database file and its parent directory.
    pub fn open(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating state directory {}", parent.display()))?;
        }
        let conn = Connection::open(&path)
            .with_context(|| format!("opening state database {}", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            anyhow::bail!(
                "state database {} refused WAL mode ({mode})",
                path.display()
            );
        }
        conn.execute_batch(
            "PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS kv (
                 bucket TEXT NOT NULL,
                 key    TEXT NOT NULL,
                 value  BLOB NOT NULL,
                 PRIMARY KEY (bucket, key)
             ) WITHOUT ROWID;",
        )
        .with_context(|| format!("initialising state database {}", path.display()))?;
        Ok(Self {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> anyhow::Result<MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| anyhow::anyhow!("sqlite key-value store lock poisoned"))
    }
}

impl KvBackend for SqliteKv {
    fn get(&self, bucket: &str, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let conn = self.lock()?;
        let value = conn
            .prepare_cached("SELECT value FROM kv WHERE bucket = ?1 AND key = ?2")?
            .query_row(params![bucket, key], |row| row.get(0))
            .optional()?;
        Ok(value)
    }

    fn set(&self, bucket: &str, key: &str, value: &[u8]) -> anyhow::Result<()> {
        let conn = self.lock()?;
        conn.prepare_cached(
            "INSERT INTO kv (bucket, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![bucket, key, value])?;
        Ok(())
    }

    fn delete(&self, bucket: &str, key: &str) -> anyhow::Result<()> {
        let conn = self.lock()?;
        conn.prepare_cached("DELETE FROM kv WHERE bucket = ?1 AND key = ?2")?
            .execute(params![bucket, key])?;
        Ok(())
    }

    fn exists(&self, bucket: &str, key: &str) -> anyhow::Result<bool> {
        let conn = self.lock()?;
        let found = conn
            .prepare_cached("SELECT 1 FROM kv WHERE bucket = ?1 AND key = ?2")?
            .exists(params![bucket, key])?;
        Ok(found)
    }

    fn list_keys(&self, bucket: &str, cursor: Option<u64>) -> anyhow::Result<KeyPage> {
        let offset = cursor_offset(cursor);
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(
            "SELECT key FROM kv WHERE bucket = ?1 ORDER BY key LIMIT ?2 OFFSET ?3",
        )?;
        let limit = i64::try_from(LIST_PAGE_SIZE + 1)?;
        let skip = i64::try_from(offset).unwrap_or(i64::MAX);
        let mut keys = stmt
            .query_map(params![bucket, limit, skip], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let more = keys.len() > LIST_PAGE_SIZE;
        keys.truncate(LIST_PAGE_SIZE);
        let cursor = more.then(|| (offset + LIST_PAGE_SIZE) as u64);
        Ok(KeyPage { keys, cursor })
    }

    fn increment(&self, bucket: &str, key: &str, delta: u64) -> anyhow::Result<u64> {
        let mut conn = self.lock()?;
        // IMMEDIATE takes the write lock up front, so read-modify-write is atomic
        // against other processes sharing the file too.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: Option<Vec<u8>> = tx
            .query_row(
                "SELECT value FROM kv WHERE bucket = ?1 AND key = ?2",
                params![bucket, key],
                |row| row.get(0),
            )
            .optional()?;
        let next = add_to_counter(current.as_deref(), delta)?;
        tx.execute(
            "INSERT INTO kv (bucket, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value",
            params![bucket, key, next.to_string().into_bytes()],
        )?;
        tx.commit()?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::super::conformance;
    use super::*;
    use std::sync::Arc;

    fn fresh(dir: &tempfile::TempDir, name: &str) -> anyhow::Result<SqliteKv> {
        SqliteKv::open(dir.path().join(name))
    }

    #[test]
    fn conformance() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        conformance::basic_operations(&fresh(&dir, "a.db")?)?;
        conformance::list_keys_pages(&fresh(&dir, "b.db")?)?;
        conformance::increment_semantics(&fresh(&dir, "c.db")?)?;
        conformance::concurrent_increments(vec![Arc::new(fresh(&dir, "d.db")?)])
    }

    #[test]
    fn increments_are_atomic_across_connections() -> anyhow::Result<()> {
        // Separate connections stand in for separate processes sharing the file.
        let dir = tempfile::tempdir()?;
        let kvs: Vec<Arc<dyn KvBackend>> = (0..4)
            .map(|_| fresh(&dir, "shared.db").map(|kv| Arc::new(kv) as Arc<dyn KvBackend>))
            .collect::<anyhow::Result<_>>()?;
        conformance::concurrent_increments(kvs)
    }

    #[test]
    fn survives_reopening() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nested").join("state.db");
        {
            let kv = SqliteKv::open(&path)?;
            kv.set("", "checkpoint", b"900")?;
            kv.increment("", "runs", 3)?;
        }
        let kv = SqliteKv::open(&path)?;
        assert_eq!(kv.get("", "checkpoint")?, Some(b"900".to_vec()));
        assert_eq!(kv.increment("", "runs", 1)?, 4);
        let conn = kv.lock()?;
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
        Ok(())
    }
}
