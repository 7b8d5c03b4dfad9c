//! Engine configuration and the precompiled-component cache: compiling the
//! component costs ~0.1 s (seconds in a debug host); loading a `.cwasm` ~0.2 ms.

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, OptLevel, Strategy};

/// Part of the cache key, so an upgraded host never loads a stale artifact.
pub const WASMTIME_VERSION: &str = "48.0.8";

/// Async support (wasi-http is async), epoch interruption for the wall-clock
/// limit, cranelift optimising for speed.
pub fn build_engine() -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .strategy(Strategy::Cranelift)
        .cranelift_opt_level(OptLevel::Speed);
    Engine::new(&config).map_err(wasm_error)
}

/// Converts a `wasmtime::Error` (its own type in wasmtime 48) into `anyhow`.
pub fn wasm_error(err: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{err:?}")
}

/// Default cache directory: `<user cache dir>/auth0-audit/`.
pub fn default_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("auth0-audit"))
}

/// Name of the cached artifact: sha256 of the wasm, wasmtime version and a
/// digest of the engine's compatibility hash (target, tunables, features).
pub fn cache_file_name(engine: &Engine, wasm: &[u8]) -> String {
    use std::hash::Hash as _;
    struct ShaHasher(Sha256);
    impl std::hash::Hasher for ShaHasher {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut compat = ShaHasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut compat);
    let wasm_digest = hex(&Sha256::digest(wasm));
    let compat_digest = hex(&compat.0.finalize());
    format!(
        "{}-wasmtime-{WASMTIME_VERSION}-{}.cwasm",
        &wasm_digest[..32],
        &compat_digest[..16]
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a component came from; lets tests check that the cache was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentSource {
    /// Deserialised from this `.cwasm`.
    Cache(PathBuf),
    /// Compiled now and written to this `.cwasm`.
    CompiledAndCached(PathBuf),
    /// Compiled now; no usable cache directory.
    Compiled,
}

/// Loads the component from `cache_dir` if a matching `.cwasm` exists, otherwise
/// compiles it and writes the artifact atomically (temp file + rename).
/// Any cache problem falls back to compiling in memory.
pub fn load_component(
    engine: &Engine,
    wasm: &[u8],
    cache_dir: Option<&Path>,
) -> anyhow::Result<(Component, ComponentSource)> {
    let Some(dir) = cache_dir else {
        return Ok((compile(engine, wasm)?, ComponentSource::Compiled));
    };
    let path = dir.join(cache_file_name(engine, wasm));
    if path.is_file() {
        match deserialize(engine, &path) {
            Ok(component) => return Ok((component, ComponentSource::Cache(path))),
            Err(err) => eprintln!(
                "auth0-audit: ignoring unusable component cache {}: {err:#}",
                path.display()
            ),
        }
    }
    let artifact = engine.precompile_component(wasm).map_err(wasm_error)?;
    match write_atomically(&path, &artifact) {
        Ok(()) => match deserialize(engine, &path) {
            Ok(component) => Ok((component, ComponentSource::CompiledAndCached(path))),
            Err(_) => Ok((compile(engine, wasm)?, ComponentSource::Compiled)),
        },
        Err(err) => {
            eprintln!(
                "auth0-audit: component cache {} not writable ({err:#}); compiling in memory",
                dir.display()
            );
            let component =
                deserialize_bytes(engine, &artifact).or_else(|_| compile(engine, wasm))?;
            Ok((component, ComponentSource::Compiled))
        }
    }
}

fn compile(engine: &Engine, wasm: &[u8]) -> anyhow::Result<Component> {
    Component::new(engine, wasm)
        .map_err(wasm_error)
        .context("compiling the component")
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> anyhow::Result<Component> {
    // SAFETY: the file is one this host wrote with `precompile_component` under
    // a name keyed by the wasm digest and the engine's compatibility hash, in
    // the user's own cache directory; wasmtime also checks the header and
    // engine compatibility before using it.
    unsafe { Component::deserialize_file(engine, path) }.map_err(wasm_error)
}

#[allow(unsafe_code)]
fn deserialize_bytes(engine: &Engine, artifact: &[u8]) -> anyhow::Result<Component> {
    // SAFETY: `artifact` was produced by `engine.precompile_component` in this
    // process a moment ago and never left memory.
    unsafe { Component::deserialize(engine, artifact) }.map_err(wasm_error)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().context("cache path has no directory")?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("component"),
        std::process::id()
    ));
    let result = (|| -> anyhow::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
