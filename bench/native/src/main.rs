//! `auth0-audit-native`: two benchmark contenders without wasm.
//!
//! - `sync`: the component's core (`auth0_audit_component::sync_logs`) compiled
//!   natively, with the three ports implemented by `ureq`, memory and std. Its
//!   distance to `auth0-audit sync` is the cost of wasm and the host.
//! - `fetch-only`: the physical limit, the least a client can do: one token,
//!   checkpoint pages from the oldest event to the end, bodies only counted.
//!
//! Contract (the benchmark harness parses it): stdout holds nothing but one JSON
//! line, `{"contender":..,"events":N,"requests":M,"status_429":K,"seconds":S}`;
//! errors go to stderr with a non-zero exit. Secrets are never printed.

mod fetch_only;
mod ports;
mod sync;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "auth0-audit-native",
    about = "auth0-audit's core without wasm, and a fetch-only client: benchmark contenders",
    after_help = "Tenant from the environment: AUTH0_DOMAIN (host name, or http://127.0.0.1:PORT for a simulator), AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, optional AUTH0_AUDIENCE."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Sync every event into the sink with the native core, until caught up.
    Sync(sync::SyncArgs),
    /// Page through every event (token + checkpoint paging), count, discard.
    FetchOnly,
}

/// The one line the harness reads.
pub struct Outcome {
    pub contender: &'static str,
    pub events: u64,
    pub requests: u64,
    pub status_429: u64,
    pub seconds: f64,
}

impl Outcome {
    /// Keys in the documented order; `contender` is one of two fixed words.
    fn json(&self) -> String {
        format!(
            r#"{{"contender":"{}","events":{},"requests":{},"status_429":{},"seconds":{:.3}}}"#,
            self.contender, self.events, self.requests, self.status_429, self.seconds
        )
    }
}

/// The tenant from the environment.
pub struct Env {
    pub domain: String,
    pub client_id: String,
    pub client_secret: String,
    pub audience: Option<String>,
}

impl Env {
    fn load() -> Result<Env, String> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| format!("{name} is not set"))
        };
        Ok(Env {
            domain: var("AUTH0_DOMAIN")?,
            client_id: var("AUTH0_CLIENT_ID")?,
            client_secret: var("AUTH0_CLIENT_SECRET")?,
            audience: var("AUTH0_AUDIENCE").ok(),
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = Env::load().and_then(|env| match cli.command {
        Command::Sync(args) => sync::run(&env, &args),
        Command::FetchOnly => fetch_only::run(&env),
    });
    match outcome {
        Ok(outcome) => {
            println!("{}", outcome.json());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("auth0-audit-native: {message}");
            ExitCode::FAILURE
        }
    }
}
