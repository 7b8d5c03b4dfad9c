//! Builds the auth0-audit component (the workspace root crate) for
//! wasm32-wasip2 with a nested, clean cargo invocation and hands its path to
//! the host as `AUTH0_AUDIT_COMPONENT_WASM`, so the host binary embeds it.
//!
//! Setting `AUTH0_AUDIT_COMPONENT_WASM=/path/to/component.wasm` skips the
//! nested build and embeds that file instead (another build, a test probe).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

const TARGET: &str = "wasm32-wasip2";
const OVERRIDE: &str = "AUTH0_AUDIT_COMPONENT_WASM";

fn main() -> ExitCode {
    match run() {
        Ok(wasm) => {
            println!("cargo:rustc-env={OVERRIDE}={}", wasm.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: building the auth0-audit component failed\n{message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed={OVERRIDE}");
    if let Some(path) = env::var_os(OVERRIDE).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        println!("cargo:rerun-if-changed={}", path.display());
        if !path.is_file() {
            return Err(format!("{OVERRIDE}={} is not a file", path.display()));
        }
        return Ok(path);
    }

    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR unset")?);
    let workspace = manifest_dir
        .parent()
        .ok_or("host-test has no parent directory")?
        .to_path_buf();
    for input in ["src", "wit", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }

    ensure_target(&workspace)?;

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = workspace.join("target").join("component");
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&workspace)
        .args([
            "build",
            "-p",
            "auth0-audit-component",
            "--release",
            "--target",
            TARGET,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    clean_env(&mut cmd);
    let output = cmd
        .output()
        .map_err(|e| format!("could not run {}: {e}", Path::new(&cargo).display()))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo build -p auth0-audit-component --release --target {TARGET}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let wasm = target_dir
        .join(TARGET)
        .join("release")
        .join("auth0_audit_component.wasm");
    if !wasm.is_file() {
        return Err(format!(
            "the component build succeeded but {} is missing",
            wasm.display()
        ));
    }
    Ok(wasm)
}

/// Removes what the outer cargo set for this build script, so the nested build
/// uses its own target, profile, flags and no wrapper (clippy, sccache).
fn clean_env(cmd: &mut Command) {
    const KEEP: [&str; 6] = [
        "CARGO_HOME",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_TERM_",
    ];
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let cargo_set = key.starts_with("CARGO_") && !KEEP.iter().any(|k| key.starts_with(k));
        let build_script_set = matches!(
            key,
            "RUSTFLAGS"
                | "RUSTC_WRAPPER"
                | "RUSTC_WORKSPACE_WRAPPER"
                | "TARGET"
                | "HOST"
                | "PROFILE"
                | "OUT_DIR"
                | "OPT_LEVEL"
                | "DEBUG"
                | "NUM_JOBS"
                | "RUSTC_LINKER"
        );
        if cargo_set || build_script_set {
            cmd.env_remove(key);
        }
    }
}

/// Installs the wasm32-wasip2 standard library with rustup when it is missing,
/// so a machine with only rustup and cargo can build the host.
fn ensure_target(workspace: &Path) -> Result<(), String> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("could not run rustc: {e}"))?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    if Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .is_dir()
    {
        return Ok(());
    }
    let mut cmd = Command::new("rustup");
    cmd.current_dir(workspace).args(["target", "add", TARGET]);
    // Install into the toolchain that is building us.
    if let Some(toolchain) = Path::new(&sysroot).file_name() {
        cmd.arg("--toolchain").arg(toolchain);
    }
    let output = cmd
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("the {TARGET} target is missing and rustup could not be run: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the {TARGET} target is missing and `rustup target add {TARGET}` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}
