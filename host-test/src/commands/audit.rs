//! `auth0-audit audit`: which machine-to-machine applications can get a token
//! inside an organization, to which API, by which route, which ones did, and
//! what changed since the last audit (`--org`), or the tenant overview (`--all`).
//! The organization id is passed to the component as given: it validates it.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{ArgGroup, Args};

use crate::commands::config::{FileConfig, TenantArgs, load_file, parse_duration, usage};
use crate::commands::{audit_html, audit_table, exit, output};
use crate::runtime::{
    AuditOptions, JobError, OrgAuditReport, Runtime, RuntimeOptions, TenantAuditOptions,
    TenantAuditReport, TenantConfig, Warning, open_state,
};

const AFTER_HELP: &str = "\
The application needs read:organizations, read:organization_client_grants,
read:client_grants and read:clients on the Management API (read:logs too for
--log-search-fallback). Usage evidence comes from what `auth0-audit sync` stored
in the same --state; without it the report says so.

Exit codes:
  0   audit done, no high-severity finding
  9   audit done, at least one finding of severity high (fail a CI job on it)
  2   invalid input, such as an organization id outside letters, digits, _ and -
  3   credentials rejected, or the token lacks a Management API scope
  4   rate limited past the retry budget
  5   Auth0 answered an error, or the network failed
  7   state store failure
  8   the time budget ended before anything could be audited
  10  the organization does not exist
  1   host failure";

/// Audit M2M access to one organization (`--org`) or to all of them (`--all`).
#[derive(Args, Debug, Clone, Default)]
#[command(
    group(ArgGroup::new("target").required(true).args(["org", "all"])),
    after_help = AFTER_HELP
)]
pub struct AuditArgs {
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// The organization to audit, e.g. org_Xb4Z9... (passed as given: the component validates it).
    #[arg(long, value_name = "ID")]
    pub org: Option<String>,
    /// Every organization of the tenant: one row each, plus the any-organization exposure.
    #[arg(long)]
    pub all: bool,
    /// Usage evidence window in days (default 30).
    #[arg(long, value_name = "N")]
    pub window_days: Option<u32>,
    /// Without sync aggregates for the window, search the tenant logs (Auth0 caps it at 1,000 results).
    #[arg(long)]
    pub log_search_fallback: bool,
    /// With --org: skip the cross-check against the (eventually consistent) clients search.
    #[arg(long, conflicts_with = "all")]
    pub no_cross_check: bool,
    /// With --all: cross-check every organization with the clients search (one call more each).
    #[arg(long, conflicts_with = "org")]
    pub cross_check: bool,
    /// Time budget of one component call (e.g. 5m). With --all the command calls again,
    /// continuing where the last call stopped, until every organization is done.
    #[arg(long, value_name = "DURATION")]
    pub max_duration: Option<String>,
    /// With --all: forget a stored position of an unfinished tenant audit and start over.
    #[arg(long, conflicts_with = "org")]
    pub restart: bool,
    /// Print the report record as JSON (with --all, API calls and time add up over the calls).
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML report (no external assets) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Guest memory cap in MiB.
    #[arg(long, default_value_t = 64)]
    pub memory_limit_mib: usize,
}

fn duration_ms(text: Option<&str>) -> anyhow::Result<Option<u64>> {
    text.map(|t| parse_duration("--max-duration", t).map(|d| d.as_millis() as u64))
        .transpose()
}

impl AuditArgs {
    /// `--org` or `--all`, exactly one (clap checks it too; this guards other callers).
    fn check_target(&self) -> anyhow::Result<()> {
        match (&self.org, self.all) {
            (Some(_), true) => Err(usage("--org", "give either --org ID or --all, not both")),
            (None, false) => Err(usage("--org", "give --org ID or --all")),
            _ => Ok(()),
        }
    }

    pub fn org_options(&self) -> anyhow::Result<AuditOptions> {
        Ok(AuditOptions {
            window_days: self.window_days,
            log_search_fallback: self.log_search_fallback,
            cross_check: if self.no_cross_check {
                Some(false)
            } else {
                None
            },
            max_duration_ms: duration_ms(self.max_duration.as_deref())?,
            max_attempts: None,
            request_timeout_ms: None,
        })
    }

    pub fn tenant_options(&self) -> anyhow::Result<TenantAuditOptions> {
        Ok(TenantAuditOptions {
            window_days: self.window_days,
            log_search_fallback: self.log_search_fallback,
            cross_check: self.cross_check,
            max_duration_ms: duration_ms(self.max_duration.as_deref())?,
            max_attempts: None,
            request_timeout_ms: None,
            restart: self.restart,
        })
    }
}

/// The exit code of a finished audit: `ATTENTION` when anything is high.
pub fn org_exit_code(r: &OrgAuditReport) -> i32 {
    if r.summary.high > 0 {
        exit::ATTENTION
    } else {
        exit::OK
    }
}

pub fn tenant_exit_code(r: &TenantAuditReport) -> i32 {
    if r.organizations.iter().any(|o| o.high > 0) {
        exit::ATTENTION
    } else {
        exit::OK
    }
}

fn write_html(path: &PathBuf, html: &str) -> anyhow::Result<()> {
    std::fs::write(path, html).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("HTML report written to {}", path.display());
    Ok(())
}

fn report_error(e: &JobError, json: bool) -> i32 {
    let (message, code) = output::job_error(e);
    if json {
        println!("{}", output::json(&serde_json::json!({ "error": e })));
    }
    eprintln!("error: {message}");
    code
}

pub async fn run(args: AuditArgs) -> anyhow::Result<i32> {
    args.check_target()?;
    let file: FileConfig = load_file(args.tenant.config.as_deref())?;
    let tenant = args.tenant.tenant(&file)?;
    let state = open_state(&args.tenant.state_spec(&file)?)?;
    let mut options = RuntimeOptions::new(state);
    options.allowed_origins = TenantArgs::tenant_origin(&tenant.domain)
        .into_iter()
        .collect();
    options.memory_limit_bytes = args.memory_limit_mib.saturating_mul(1024 * 1024);
    let runtime = Runtime::new(options).await?;
    match &args.org {
        Some(org) => run_org(&runtime, &tenant, org, &args).await,
        None => run_all(&runtime, &tenant, &args).await,
    }
}

async fn run_org(
    runtime: &Runtime,
    tenant: &TenantConfig,
    org_id: &str,
    args: &AuditArgs,
) -> anyhow::Result<i32> {
    let options = args.org_options()?;
    let (result, _stats) = runtime.audit_org(tenant, org_id, &options).await?;
    let report = match result {
        Ok(r) => r,
        Err(e) => return Ok(report_error(&e, args.json)),
    };
    if args.json {
        println!("{}", output::json(&report));
    } else {
        let bold = std::io::stdout().is_terminal();
        print!(
            "{}",
            audit_table::org_report_text(&report, &tenant.domain, bold)
        );
    }
    if let Some(path) = &args.html {
        write_html(path, &audit_html::org_report_html(&report, &tenant.domain))?;
    }
    Ok(org_exit_code(&report))
}

/// Folds the counters of a later call into the running total. The
/// `time-budget` warning of a call that stopped early is dropped: the command
/// goes on with the next call.
fn accumulate(total: &mut Option<TenantAuditReport>, mut next: TenantAuditReport) {
    if !next.complete {
        next.warnings.retain(|w| w.code != "time-budget");
    }
    let Some(t) = total else {
        *total = Some(next);
        return;
    };
    let mut warnings: Vec<Warning> = std::mem::take(&mut t.warnings);
    for w in next.warnings.iter() {
        if !warnings
            .iter()
            .any(|x| x.code == w.code && x.message == w.message)
        {
            warnings.push(w.clone());
        }
    }
    let merged = TenantAuditReport {
        api_requests: t.api_requests.saturating_add(next.api_requests),
        retries: t.retries.saturating_add(next.retries),
        rate_limit_waits: t.rate_limit_waits.saturating_add(next.rate_limit_waits),
        duration_ms: t.duration_ms.saturating_add(next.duration_ms),
        audited_this_call: t.audited_this_call.saturating_add(next.audited_this_call),
        warnings,
        ..next
    };
    *total = Some(merged);
}

/// Calls `audit-tenant` until it reports `complete`; a call that audits
/// nothing three times in a row means the budget is too short.
async fn run_all(
    runtime: &Runtime,
    tenant: &TenantConfig,
    args: &AuditArgs,
) -> anyhow::Result<i32> {
    let mut options = args.tenant_options()?;
    let terminal = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut total: Option<TenantAuditReport> = None;
    let mut idle_calls = 0u32;
    let mut calls = 0u32;
    loop {
        let (result, _stats) = runtime.audit_tenant(tenant, &options).await?;
        calls += 1;
        options.restart = false;
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                if terminal {
                    eprint!("\r\x1b[2K");
                }
                return Ok(report_error(&e, args.json));
            }
        };
        let complete = report.complete;
        idle_calls = if report.audited_this_call == 0 {
            idle_calls + 1
        } else {
            0
        };
        accumulate(&mut total, report);
        if complete {
            break;
        }
        if terminal && let Some(t) = &total {
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\r\x1b[2Kauditing {}: {} organizations done, {} calls, {} API requests, {:.0} s",
                tenant.domain,
                t.organizations.len(),
                calls,
                t.api_requests,
                started.elapsed().as_secs_f64()
            );
            let _ = err.flush();
        }
        if idle_calls >= 3 {
            if terminal {
                eprint!("\r\x1b[2K");
            }
            let e = JobError::Deadline(
                "three calls in a row audited no organization: --max-duration is too short (the position is kept; run again with a longer budget)".into(),
            );
            return Ok(report_error(&e, args.json));
        }
    }
    if terminal {
        eprint!("\r\x1b[2K");
    }
    let Some(report) = total else {
        bail!("the tenant audit returned no report");
    };
    if args.json {
        println!("{}", output::json(&report));
    } else {
        let bold = std::io::stdout().is_terminal();
        print!(
            "{}",
            audit_table::tenant_report_text(&report, &tenant.domain, bold)
        );
    }
    if let Some(path) = &args.html {
        write_html(
            path,
            &audit_html::tenant_report_html(&report, &tenant.domain),
        )?;
    }
    Ok(tenant_exit_code(&report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::audit_table::fixtures;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: AuditArgs,
    }

    fn parse(argv: &[&str]) -> Result<AuditArgs, clap::Error> {
        let mut full = vec!["audit"];
        full.extend_from_slice(argv);
        Cli::try_parse_from(full).map(|c| c.args)
    }

    #[test]
    fn exactly_one_of_org_and_all() {
        assert!(parse(&["--org", "org_1", "--all"]).is_err());
        assert!(parse(&[]).is_err());
        assert!(parse(&["--org", "org_1"]).is_ok_and(|a| a.org.as_deref() == Some("org_1")));
        assert!(parse(&["--all"]).is_ok_and(|a| a.all));
        let both = AuditArgs {
            org: Some("x".into()),
            all: true,
            ..Default::default()
        };
        assert!(both.check_target().is_err());
        assert!(AuditArgs::default().check_target().is_err());
    }

    #[test]
    fn mode_specific_flags() {
        assert!(parse(&["--org", "o", "--cross-check"]).is_err());
        assert!(parse(&["--org", "o", "--restart"]).is_err());
        assert!(parse(&["--all", "--no-cross-check"]).is_err());
        let all = parse(&[
            "--all",
            "--cross-check",
            "--restart",
            "--max-duration",
            "5m",
        ]);
        let options = all.ok().map(|a| a.tenant_options());
        match options {
            Some(Ok(o)) => {
                assert!(o.cross_check && o.restart);
                assert_eq!(o.max_duration_ms, Some(300_000));
            }
            _ => unreachable!("--all options should parse"),
        }
        let org = parse(&[
            "--org",
            "o",
            "--no-cross-check",
            "--window-days",
            "7",
            "--log-search-fallback",
        ]);
        match org.ok().map(|a| a.org_options()) {
            Some(Ok(o)) => {
                assert_eq!(o.cross_check, Some(false));
                assert_eq!(o.window_days, Some(7));
                assert!(o.log_search_fallback);
                assert_eq!(o.max_duration_ms, None);
            }
            _ => unreachable!("--org options should parse"),
        }
        assert!(
            parse(&["--org", "o", "--max-duration", "soon"])
                .is_ok_and(|a| a.org_options().is_err())
        );
    }

    #[test]
    fn hostile_org_ids_are_passed_unchanged() {
        for id in ["../org_1", "org_1%2F..", "a b", "x\" OR *:*", "org\nx", ""] {
            let args = parse(&["--org", id]);
            assert!(
                args.is_ok_and(|a| a.org.as_deref() == Some(id)),
                "{id:?} was altered or refused by the host"
            );
        }
    }

    #[test]
    fn high_findings_ask_for_attention() {
        let mut r = fixtures::org_report();
        assert_eq!(org_exit_code(&r), exit::ATTENTION);
        r.summary.high = 0;
        assert_eq!(org_exit_code(&r), exit::OK);
        let mut t = fixtures::tenant_report();
        assert_eq!(tenant_exit_code(&t), exit::ATTENTION);
        t.organizations[0].high = 0;
        assert_eq!(tenant_exit_code(&t), exit::OK);
    }

    #[test]
    fn later_calls_add_up() {
        let mut first = fixtures::tenant_report();
        first.complete = false;
        first.warnings.push(Warning {
            code: "w".into(),
            message: "m".into(),
        });
        let mut second = fixtures::tenant_report();
        second.warnings = first.warnings.clone();
        first.warnings.push(Warning {
            code: "time-budget".into(),
            message: "stopped after 1 organization(s)".into(),
        });
        let mut total = None;
        accumulate(&mut total, first);
        accumulate(&mut total, second);
        let t = total.unwrap_or_else(fixtures::tenant_report);
        assert!(t.complete);
        assert_eq!(t.api_requests, 28);
        assert_eq!(t.duration_ms, 1800);
        assert_eq!(t.audited_this_call, 2);
        assert_eq!(t.warnings.len(), 1);
    }

    #[test]
    fn help_documents_the_exit_codes() {
        use clap::CommandFactory as _;
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("9   audit done, at least one finding of severity high"));
        assert!(help.contains("--org <ID>") && help.contains("--html <FILE>"));
    }
}
