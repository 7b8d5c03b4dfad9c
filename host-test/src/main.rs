//! `auth0-audit`: runs the auth0-audit WebAssembly component on wasmtime.

use auth0_audit_host::commands::config::UsageError;
use auth0_audit_host::commands::{audit, demo, status, sync};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "auth0-audit",
    version,
    about = "Copy Auth0 tenant logs to a SIEM without gaps; audit M2M access to Organizations"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Copy new log events to a sink and advance the checkpoint.
    Sync(Box<sync::SyncArgs>),
    /// Show the checkpoint, lag and health of a stream.
    Status(status::StatusArgs),
    /// Audit M2M access to organizations: who can reach which API, who did, what changed.
    Audit(Box<audit::AuditArgs>),
    /// Run a simulated Auth0 tenant on loopback (prints its address and credentials as JSON).
    Simulate(auth0_audit_simulator::SimulateArgs),
    /// Sync a simulated tenant into a file, with no setup.
    Demo(demo::DemoArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = runtime(&cli.command).and_then(|rt| {
        rt.block_on(async move {
            match cli.command {
                Command::Sync(args) => sync::run(*args).await,
                Command::Status(args) => status::run(args).await,
                Command::Audit(args) => audit::run(*args).await,
                Command::Simulate(args) => auth0_audit_simulator::run_cli(args).await.map(|()| 0),
                Command::Demo(args) => demo::run(args).await,
            }
        })
    });
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                auth0_audit_host::commands::exit::CONFIG
            } else {
                auth0_audit_host::commands::exit::HOST
            }
        }
    };
    std::process::exit(code);
}

/// The guest runs one call at a time and waits on I/O between host calls, so
/// its jobs run on one thread: no cross-thread wake-up per request (measured:
/// half the CPU of a drain went to futex wake-ups on the multi-thread
/// runtime). The simulator serves many clients and keeps every core.
fn runtime(command: &Command) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = match command {
        Command::Simulate(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    Ok(builder.enable_all().build()?)
}
