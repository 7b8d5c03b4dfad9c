//! `auth0-audit status`: checkpoint, lag and health of a stream, from the state
//! store alone (it works while a scheduled sync holds the same store).

use clap::Args;

use crate::commands::config::{TenantArgs, load_file};
use crate::commands::{exit, output};
use crate::runtime::{Credentials, Runtime, RuntimeOptions, open_state};

#[derive(Args, Debug, Clone)]
pub struct StatusArgs {
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// The stream whose checkpoint to show.
    #[arg(long)]
    pub stream: Option<String>,
    /// The tenant's log retention in days, for the stale-checkpoint warning.
    #[arg(long)]
    pub retention_days: Option<u32>,
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: StatusArgs) -> anyhow::Result<i32> {
    let file = load_file(args.tenant.config.as_deref())?;
    // Status needs no credentials: it never calls Auth0.
    let mut tenant_args = args.tenant.clone();
    if tenant_args.token.is_none()
        && tenant_args.client_id.is_none()
        && file.tenant.client_id.is_none()
    {
        tenant_args.token = Some("unused-by-status".into());
    }
    let mut tenant = tenant_args.tenant(&file)?;
    if let Credentials::ClientCredentials(_) = tenant.credentials {
        tenant.credentials = Credentials::AccessToken("unused-by-status".into());
    }
    let state = open_state(&args.tenant.state_spec(&file)?)?;
    let runtime = Runtime::new(RuntimeOptions::new(state)).await?;
    match runtime
        .sync_status(&tenant, args.stream.as_deref(), args.retention_days)
        .await?
    {
        Ok(report) => {
            if args.json {
                println!("{}", output::json(&report));
            } else {
                print!("{}", output::status_summary(&tenant.domain, &report));
            }
            Ok(
                if report.health.consecutive_failures > 0 || !report.warnings.is_empty() {
                    exit::ATTENTION
                } else {
                    exit::OK
                },
            )
        }
        Err(e) => {
            let (message, code) = output::job_error(&e);
            eprintln!("error: {message}");
            Ok(code)
        }
    }
}
