//! The host's own `wasi:keyvalue@0.2.0-draft`: the stock wasmtime crate clones
//! its map on every `open`, so state written by one call would be lost.

#[cfg(test)]
mod conformance;
mod faulty;
mod host;
mod memory;
mod sqlite;

pub use faulty::FaultyKv;
pub use host::{Bucket, KvError, KvView, add_to_linker};
pub use memory::MemoryKv;
pub use sqlite::SqliteKv;

/// Bindings for the vendored keyvalue WIT; `bucket` is backed by [`Bucket`].
pub(crate) mod generated {
    wasmtime::component::bindgen!({
        path: "../wit/deps/keyvalue",
        world: "wasi:keyvalue/imports",
        imports: { default: trappable },
        with: {
            "wasi:keyvalue/store.bucket": super::Bucket,
        },
        trappable_error_type: {
            "wasi:keyvalue/store.error" => super::KvError,
        },
    });
}

/// Keys returned per `list-keys` call; the cursor is the offset of the next page.
pub const LIST_PAGE_SIZE: usize = 100;

/// One page of `list-keys`: keys in ascending order and the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPage {
    pub keys: Vec<String>,
    pub cursor: Option<u64>,
}

/// Storage behind the keyvalue interfaces; shared by every store of a process.
///
/// `bucket` is the identifier the guest passed to `open`, used as a namespace.
/// Counters written by `increment` are decimal ASCII (as in wasmtime's own store).
pub trait KvBackend: Send + Sync {
    fn get(&self, bucket: &str, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
    fn set(&self, bucket: &str, key: &str, value: &[u8]) -> anyhow::Result<()>;
    fn delete(&self, bucket: &str, key: &str) -> anyhow::Result<()>;
    fn exists(&self, bucket: &str, key: &str) -> anyhow::Result<bool>;
    fn list_keys(&self, bucket: &str, cursor: Option<u64>) -> anyhow::Result<KeyPage>;
    fn increment(&self, bucket: &str, key: &str, delta: u64) -> anyhow::Result<u64>;
}

/// Adds `delta` to a decimal counter value (absent counts as 0); shared by the backends.
pub(crate) fn add_to_counter(current: Option<&[u8]>, delta: u64) -> anyhow::Result<u64> {
    let current = match current {
        None => 0,
        Some(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .ok_or_else(|| anyhow::anyhow!("value is not a decimal counter"))?,
    };
    current
        .checked_add(delta)
        .ok_or_else(|| anyhow::anyhow!("overflow incrementing value"))
}

/// Cursor (an offset) as an index, clamped so a guest-supplied value cannot overflow.
pub(crate) fn cursor_offset(cursor: Option<u64>) -> usize {
    usize::try_from(cursor.unwrap_or(0)).unwrap_or(usize::MAX)
}
