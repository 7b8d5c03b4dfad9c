//! `auth0-audit demo`: a simulated tenant, a file sink and a full sync, in a
//! few seconds with no setup, then an incremental run and a self-check that
//! the file holds every event exactly once, and an audit of one organization
//! whose usage evidence is what the sync just kept.

use std::collections::{BTreeSet, HashSet};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use auth0_audit_simulator::{SimConfig, Simulator};
use clap::Args;

use crate::commands::sync::{SyncArgs, SyncJob};
use crate::commands::{audit_html, audit_table, exit, output};
use crate::runtime::{AuditOptions, OrgAuditReport};

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Backlog size of the simulated tenant.
    #[arg(long, default_value_t = 20_000)]
    pub events: u64,
    /// Directory for the events file (default: a fresh folder in the temp dir).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<i32> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("auth0-audit-demo"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let events_file = out.join("events.ndjson");
    // A fresh file each time, so the self-check below compares like with like.
    let _ = std::fs::remove_file(&events_file);

    let sim = Simulator::start(SimConfig {
        events: args.events,
        ..SimConfig::default()
    })
    .await?;
    println!(
        "simulated Auth0 tenant at {} with {} log events (seeded, realistic types, late arrivals)",
        sim.base_url(),
        sim.log_count()
    );
    let sync_args = SyncArgs {
        tenant: crate::commands::config::TenantArgs {
            domain: Some(sim.base_url()),
            client_id: Some(sim.client_id().to_string()),
            client_secret: Some(sim.client_secret().to_string()),
            state: Some("memory".into()),
            ..Default::default()
        },
        sink: Some(format!("file:{}", events_file.display())),
        sink_format: Some("ndjson".into()),
        memory_limit_mib: 64,
        ..Default::default()
    };
    let job = SyncJob::prepare(&sync_args).await?;
    println!("\n== first run: the whole backlog");
    let outcome = job.run_once().await;
    let code = job.print(&outcome);
    if code != exit::OK {
        return Ok(code);
    }

    sim.append_events(250);
    println!("\n== 250 new events arrive; second run: only what is new");
    let outcome = job.run_once().await;
    let code = job.print(&outcome);
    if code != exit::OK {
        return Ok(code);
    }

    // Self-check: the file holds exactly the tenant's log ids, once each.
    let text = std::fs::read_to_string(&events_file)?;
    let mut seen = HashSet::new();
    let mut duplicates = 0u64;
    for line in text.lines() {
        let id = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("log_id").and_then(|i| i.as_str()).map(str::to_string))
            .context("the events file holds a line that is not a log event")?;
        if !seen.insert(id) {
            duplicates += 1;
        }
    }
    let expected: HashSet<String> = sim.log_ids().into_iter().collect();
    let missing = expected.difference(&seen).count();
    println!(
        "\nchecked {}: {} events, {} missing, {} duplicated",
        events_file.display(),
        seen.len(),
        missing,
        duplicates
    );
    let audit_code = audit_one_organization(&job, &sim, &out).await?;
    job.sink.close().await;
    sim.shutdown().await;
    Ok(if missing != 0 || duplicates != 0 {
        exit::HOST
    } else {
        audit_code
    })
}

/// Audits the seeded organizations with special cases, with the runtime and
/// state the sync just used (so the usage aggregates it kept are the
/// evidence), and shows the one whose report has the most finding kinds.
async fn audit_one_organization(job: &SyncJob, sim: &Simulator, out: &Path) -> anyhow::Result<i32> {
    let scenario = sim.directory().scenario;
    let mut candidates: Vec<String> = [
        scenario.removed_grant_usage.map(|r| r.org_id),
        scenario.failed_exchange.map(|r| r.org_id),
        scenario.unused_grant.map(|r| r.org_id),
        scenario.deny_grant.map(|r| r.org_id),
    ]
    .into_iter()
    .flatten()
    .collect();
    candidates.dedup();
    let options = AuditOptions {
        window_days: None,
        log_search_fallback: false,
        cross_check: None,
        max_duration_ms: None,
        max_attempts: None,
        request_timeout_ms: None,
    };
    let mut best: Option<(usize, OrgAuditReport)> = None;
    for org_id in &candidates {
        let (result, _) = job.runtime.audit_org(&job.tenant, org_id, &options).await?;
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                let (message, code) = output::job_error(&e);
                eprintln!("error: audit of {org_id}: {message}");
                return Ok(code);
            }
        };
        let kinds: BTreeSet<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
        let kinds = kinds.len();
        if best.as_ref().is_none_or(|(k, _)| kinds > *k) {
            best = Some((kinds, report));
        }
    }
    let Some((kinds, report)) = best else {
        println!("\n(the simulated tenant has too few organizations for an audit)");
        return Ok(exit::OK);
    };
    let o = &report.organization;
    println!(
        "\n== audit of organization {} ({}): the richest of {} audited, {kinds} finding kinds; usage evidence from the sync above",
        o.display_name
            .as_deref()
            .or(o.name.as_deref())
            .unwrap_or("-"),
        o.id,
        candidates.len()
    );
    print!(
        "{}",
        audit_table::org_report_text(&report, &job.tenant.domain, std::io::stdout().is_terminal())
    );
    let html_file = out.join("audit.html");
    std::fs::write(
        &html_file,
        audit_html::org_report_html(&report, &job.tenant.domain),
    )
    .with_context(|| format!("writing {}", html_file.display()))?;
    println!("\nHTML report: {}", html_file.display());
    // A demo finding high-severity issues is the point, not a failure.
    Ok(exit::OK)
}
