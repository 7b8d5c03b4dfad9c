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

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sync(args) => sync::run(*args).await,
        Command::Status(args) => status::run(args).await,
        Command::Audit(args) => audit::run(*args).await,
        Command::Simulate(args) => auth0_audit_simulator::run_cli(args).await.map(|()| 0),
        Command::Demo(args) => demo::run(args).await,
    };
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
