//! One sync: tenant → pages → batch → sink → checkpoint, in that order only.
//! Any failure first commits what the sink already acknowledged, then returns.

use crate::api::client::Api;
use crate::api::logs::{collect_page, page_after, request_page_after};
use crate::api::session::{Failure, Session};
use crate::budget::Budget;
use crate::error::{Error, secret_variants};
use crate::event::{format_ms, log_id_cmp};
use crate::keys;
use crate::model::{Credentials, SyncOptions, SyncReport, TenantConfig, Warning};
use crate::ports::Ports;
use crate::sink::delivery::deliver;
use crate::sync::batch::Batch;
use crate::sync::checkpoint::{CheckpointRecord, CheckpointStore, Commit};
use crate::sync::gaps::{gap_warning, retention_warning};
use crate::sync::health::{HealthStore, record_outcome};
use crate::sync::lease::{Lease, Standing};
use crate::sync::options::{Start, ValidSync};
use crate::sync::start::{Resolved, resolve};
use crate::tenant::Tenant;

/// Non-empty pages in a row that bring nothing new before the run calls it a server fault.
const MAX_STALE_PAGES: u32 = 3;

pub fn sync_logs(
    ports: Ports,
    tenant: &TenantConfig,
    options: &SyncOptions,
) -> Result<SyncReport, Error> {
    let tenant = Tenant::validate(tenant)?;
    let opts = ValidSync::validate(options, &tenant.key)?;
    let health_store = HealthStore::new(ports.kv, keys::health(&tenant.key, &opts.stream));
    let mut health = health_store.load()?;
    let budget = Budget::new(ports.clock, opts.max_duration_ms);
    let lease = Lease::claim(
        ports.kv,
        ports.clock,
        keys::lease(&tenant.key, &opts.stream),
        &keys::lease_tickets(&tenant.key, &opts.stream),
    )?;
    let session = Session::new(ports, &tenant, budget, opts.attempts, opts.timeout_ms);
    let mut run = Run {
        api: Api::new(session),
        opts: &opts,
        checkpoints: CheckpointStore::new(ports.kv, keys::checkpoint(&tenant.key, &opts.stream)),
        report: SyncReport {
            stream: opts.stream.clone(),
            ..SyncReport::default()
        },
        batch: Batch::default(),
        cursor: None,
        lease,
        superseded: false,
    };
    let secrets = secrets_of(&tenant, &opts);
    let outcome = run.execute().map_err(|e| e.redact(&secrets));
    let Run {
        api, mut report, ..
    } = run;
    let counters = api.session.counters;
    report.api_requests = counters.api_requests;
    report.sink_requests = counters.sink_requests;
    report.retries = counters.retries;
    report.rate_limit_waits = counters.rate_limit_waits;
    report.rate_limit_wait_ms = counters.rate_limit_wait_ms;
    report.duration_ms = budget.elapsed_ms(ports.clock);
    let now = ports.clock.now_unix_ms();
    report.lag_seconds = lag_seconds(&report, now);
    record_outcome(&mut health, &format_ms(now), outcome.as_ref().map(|_| ()));
    let saved = health_store.save(&health);
    report.health = health;
    outcome?;
    // The events are delivered and committed: a health write that fails must not
    // turn that into an error (a retry would re-deliver nothing), but it is said.
    if let Err(e) = saved {
        report.warnings.push(Warning::new(
            "health-not-saved",
            format!("the run succeeded but its health record could not be saved: {e}"),
        ));
    }
    // Counting runs is informational; the increment proves the atomics import works.
    let _ = ports
        .kv
        .increment(&keys::run_counter(&tenant.key, &opts.stream), 1);
    Ok(report)
}

/// Every credential of this run, for scrubbing error text.
fn secrets_of(tenant: &Tenant, opts: &ValidSync) -> Vec<String> {
    let mut values: Vec<&str> = opts.sink.headers.iter().map(|(_, v)| v.expose()).collect();
    match &tenant.credentials {
        Credentials::ClientCredentials { client_secret, .. } => values.push(client_secret.expose()),
        Credentials::AccessToken(token) => values.push(token.expose()),
    }
    values.into_iter().flat_map(secret_variants).collect()
}

fn lag_seconds(report: &SyncReport, now_ms: i64) -> Option<u64> {
    let cp = report.checkpoint.as_ref()?;
    let t = cp
        .log_date
        .as_deref()
        .and_then(crate::event::date_ms)
        .or_else(|| crate::event::log_id_time_ms(&cp.log_id))?;
    Some(((now_ms - t).max(0) / 1000) as u64)
}

struct Run<'a> {
    api: Api<'a>,
    opts: &'a ValidSync,
    checkpoints: CheckpointStore<'a>,
    report: SyncReport,
    batch: Batch,
    /// Greatest log_id seen in this run (or the checkpoint's).
    cursor: Option<String>,
    lease: Lease<'a>,
    /// A newer run claimed the stream; this one delivers nothing more.
    superseded: bool,
}

impl Run<'_> {
    fn ports(&self) -> Ports<'_> {
        self.api.session.ports
    }

    fn execute(&mut self) -> Result<(), Error> {
        let stored = self.checkpoints.load()?;
        self.report
            .warnings
            .extend(self.opts.filter.warnings.iter().cloned());
        self.report.checkpoint = stored.as_ref().and_then(CheckpointRecord::view);
        if let Some(cp) = &stored
            && let Some(w) = retention_warning(
                cp,
                self.ports().clock.now_unix_ms(),
                self.opts.retention_days,
            )
        {
            self.report.warnings.push(w);
        }
        self.cursor = stored.as_ref().and_then(|c| c.log_id.clone());
        let fetched = self.fetch_all(stored.as_ref());
        // Whatever happened while fetching, commit what is in hand first.
        let flushed = self.flush();
        match (fetched, flushed) {
            (_, Err(e)) => Err(e),
            (Ok(caught_up), Ok(())) => {
                self.report.caught_up = caught_up && !self.superseded;
                Ok(())
            }
            (Err(e), Ok(())) => Err(e),
        }
    }

    /// Returns whether the run caught up (false: stopped by the time budget).
    fn fetch_all(&mut self, stored: Option<&CheckpointRecord>) -> Result<bool, Error> {
        match self.fetch_loop(stored) {
            Ok(()) => Ok(true),
            Err(Failure::OutOfTime) => {
                self.report.warnings.push(Warning::new(
                    "time-budget",
                    "stopped before catching up because the time budget ran out; the next run continues from the checkpoint",
                ));
                Ok(false)
            }
            Err(Failure::Job(e)) => Err(e),
        }
    }

    fn fetch_loop(&mut self, stored: Option<&CheckpointRecord>) -> Result<(), Failure> {
        if self.cursor.is_none() && !self.start(stored)? {
            return Ok(());
        }
        let mut gap_checked = stored.and_then(|c| c.log_id.as_ref()).is_none();
        let mut stale_pages = 0;
        let mut next_page = None;
        loop {
            let Some(from) = self.cursor.clone() else {
                return Ok(());
            };
            if self.superseded {
                return Ok(());
            }
            // The prefetched page is used only if it starts where the cursor is.
            let page = match next_page.take() {
                Some((pending_from, pending)) if pending_from == from => {
                    collect_page(&mut self.api, pending)?
                }
                _ => page_after(&mut self.api, &from)?,
            };
            self.report.pages += 1;
            if page.events.is_empty() {
                return Ok(());
            }
            // Ask for the next page before handling this one, so it travels
            // while this one is batched and delivered. It starts where the
            // cursor will be after this page: past its greatest log_id.
            let next_from = page
                .events
                .iter()
                .map(|e| e.log_id.as_str())
                .chain(std::iter::once(from.as_str()))
                .max_by(|a, b| log_id_cmp(a, b));
            if let Some(next_from) = next_from.map(str::to_string) {
                let pending = request_page_after(&mut self.api, &next_from);
                next_page = Some((next_from, pending));
            }
            let mut new_events = 0;
            for event in page.events {
                if self
                    .cursor
                    .as_deref()
                    .is_some_and(|c| log_id_cmp(&event.log_id, c).is_le())
                {
                    self.report.duplicates_dropped += 1;
                    continue;
                }
                if !gap_checked {
                    gap_checked = true;
                    if let Some(w) =
                        stored.and_then(|cp| gap_warning(cp, &event, self.opts.gap_warning_s))
                    {
                        self.report.warnings.push(w);
                    }
                }
                new_events += 1;
                self.accept(event)?;
            }
            if new_events == 0 {
                stale_pages += 1;
                if stale_pages >= MAX_STALE_PAGES {
                    return Err(Error::upstream(
                        200,
                        "the logs API keeps returning only events at or before the requested log_id",
                    )
                    .into());
                }
            } else {
                stale_pages = 0;
            }
            if let Some(link_from) = page.link_from
                && self
                    .cursor
                    .as_deref()
                    .is_some_and(|c| log_id_cmp(&link_from, c).is_gt())
            {
                // Following it could skip events we never saw; the cursor is authoritative.
                self.report.warnings.push(Warning::new(
                    "link-ahead",
                    "the Link header pointed past the last event received; it was not followed",
                ));
            }
        }
    }

    /// Resolves the first position. Returns false when there is nothing to read yet.
    fn start(&mut self, stored: Option<&CheckpointRecord>) -> Result<bool, Failure> {
        let start = match stored.and_then(|c| c.start_floor.clone()) {
            Some(floor) => Start::Timestamp(floor),
            None => self.opts.start.clone(),
        };
        match resolve(&mut self.api, &start)? {
            Resolved::From(first) => {
                self.accept(first)?;
                Ok(true)
            }
            Resolved::After { log_id, date } => {
                let clock = self.ports().clock;
                if let Commit::Advanced(record) =
                    self.checkpoints
                        .commit(clock, &log_id, date.as_deref(), 0, 0)?
                {
                    self.report.checkpoint = record.view();
                }
                self.cursor = Some(log_id);
                Ok(true)
            }
            Resolved::Nothing => {
                if start == Start::Now {
                    let clock = self.ports().clock;
                    self.checkpoints
                        .set_floor(clock, &format_ms(clock.now_unix_ms()))?;
                }
                Ok(false)
            }
        }
    }

    fn accept(&mut self, event: crate::event::LogEvent) -> Result<(), Failure> {
        if self.superseded {
            return Ok(());
        }
        if self.batch.is_full_for(&self.opts.sink, event.raw().len()) {
            self.flush()?;
        }
        self.report.fetched += 1;
        if self.report.first_log_id.is_none() {
            self.report.first_log_id = Some(event.log_id.clone());
        }
        self.report.last_log_id = Some(event.log_id.clone());
        self.cursor = Some(event.log_id.clone());
        self.batch.add(event, &self.opts.sink, &self.opts.filter);
        Ok(())
    }

    /// Delivers the batch, then records usage and the checkpoint. Nothing is
    /// committed unless the sink acknowledged.
    fn flush(&mut self) -> Result<(), Error> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let mut batch = std::mem::take(&mut self.batch);
        if let Standing::Superseded { ticket, claimed_at } = self.lease.check()? {
            // The newer run reads the checkpoint itself and delivers this batch.
            self.superseded = true;
            self.report.warnings.push(Warning::new(
                "superseded",
                format!(
                    "a newer run (ticket {ticket}, started {claimed_at}) took over this stream; this run (ticket {}) stopped without delivering its last {} events",
                    self.lease.ticket(),
                    batch.events
                ),
            ));
            return Ok(());
        }
        if batch.events > 0 {
            deliver(
                &mut self.api.session,
                &self.opts.sink,
                std::mem::take(&mut batch.body),
            )?;
        }
        let ports = self.ports();
        let tenant_key = self.api.session.tenant.key.clone();
        batch.usage.commit(ports.kv, &tenant_key)?;
        let Some(last) = batch.last_log_id.as_deref() else {
            return Ok(());
        };
        match self.checkpoints.commit(
            ports.clock,
            last,
            batch.last_date.as_deref(),
            batch.events,
            batch.filtered,
        )? {
            Commit::Advanced(record) => self.report.checkpoint = record.view(),
            Commit::AlreadyAhead(record) => {
                self.report.checkpoint = record.view();
                if !self
                    .report
                    .warnings
                    .iter()
                    .any(|w| w.code == "concurrent-run")
                {
                    self.report.warnings.push(Warning::new(
                        "concurrent-run",
                        "another run had already committed past this batch; its events were delivered twice",
                    ));
                }
            }
        }
        self.report.delivered += batch.events;
        self.report.filtered += batch.filtered;
        Ok(())
    }
}
