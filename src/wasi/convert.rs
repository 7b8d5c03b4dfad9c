//! WIT records ↔ core types. Mechanical by design: no rule lives here.

use super::wit;
use crate::error::Error;
use crate::model::{
    CheckpointView, Credentials, RunHealth, Secret, SinkConfig, SinkFormat, StartAt, StatusReport,
    SyncOptions, SyncReport, TenantConfig, Warning,
};

pub fn tenant(t: wit::TenantConfig) -> TenantConfig {
    TenantConfig {
        domain: t.domain,
        credentials: match t.credentials {
            wit::Credentials::ClientCredentials(c) => Credentials::ClientCredentials {
                client_id: c.client_id,
                client_secret: Secret::new(c.client_secret),
            },
            wit::Credentials::AccessToken(token) => Credentials::AccessToken(Secret::new(token)),
        },
        audience: t.audience,
        bucket: t.bucket,
        cache_token: t.cache_token,
    }
}

pub fn sync_options(o: wit::SyncOptions) -> SyncOptions {
    SyncOptions {
        stream: o.stream,
        start: match o.start {
            wit::StartAt::Oldest => StartAt::Oldest,
            wit::StartAt::Now => StartAt::Now,
            wit::StartAt::Timestamp(t) => StartAt::Timestamp(t),
        },
        sink: SinkConfig {
            url: o.sink.url,
            format: match o.sink.format {
                wit::SinkFormat::Ndjson => SinkFormat::Ndjson,
                wit::SinkFormat::LogStreams => SinkFormat::LogStreams,
                wit::SinkFormat::SplunkHec => SinkFormat::SplunkHec,
                wit::SinkFormat::ElasticBulk => SinkFormat::ElasticBulk,
            },
            headers: o
                .sink
                .headers
                .into_iter()
                .map(|h| (h.name, Secret::new(h.value)))
                .collect(),
            max_batch_bytes: o.sink.max_batch_bytes,
            max_batch_events: o.sink.max_batch_events,
        },
        include_types: o.include_types,
        exclude_types: o.exclude_types,
        max_duration_ms: o.max_duration_ms,
        retention_days: o.retention_days,
        gap_warning_seconds: o.gap_warning_seconds,
        max_attempts: o.max_attempts,
        request_timeout_ms: o.request_timeout_ms,
    }
}

pub fn warnings(w: Vec<Warning>) -> Vec<wit::Warning> {
    w.into_iter()
        .map(|w| wit::Warning {
            code: w.code,
            message: w.message,
        })
        .collect()
}

fn health(h: RunHealth) -> wit::RunHealth {
    wit::RunHealth {
        last_success: h.last_success,
        last_attempt: h.last_attempt,
        consecutive_failures: h.consecutive_failures,
        last_error: h.last_error,
    }
}

fn checkpoint(c: CheckpointView) -> wit::Checkpoint {
    wit::Checkpoint {
        log_id: c.log_id,
        log_date: c.log_date,
        written_at: c.written_at,
        total_delivered: c.total_delivered,
        total_filtered: c.total_filtered,
    }
}

pub fn sync_report(r: SyncReport) -> wit::SyncReport {
    wit::SyncReport {
        stream: r.stream,
        fetched: r.fetched,
        delivered: r.delivered,
        filtered: r.filtered,
        duplicates_dropped: r.duplicates_dropped,
        pages: r.pages,
        api_requests: r.api_requests,
        sink_requests: r.sink_requests,
        first_log_id: r.first_log_id,
        last_log_id: r.last_log_id,
        checkpoint: r.checkpoint.map(checkpoint),
        caught_up: r.caught_up,
        lag_seconds: r.lag_seconds,
        rate_limit_waits: r.rate_limit_waits,
        rate_limit_wait_ms: r.rate_limit_wait_ms,
        retries: r.retries,
        duration_ms: r.duration_ms,
        warnings: warnings(r.warnings),
        health: health(r.health),
    }
}

pub fn status_report(r: StatusReport) -> wit::StatusReport {
    wit::StatusReport {
        stream: r.stream,
        checkpoint: r.checkpoint.map(checkpoint),
        lag_seconds: r.lag_seconds,
        health: health(r.health),
        warnings: warnings(r.warnings),
    }
}

pub fn error(e: Error) -> wit::JobError {
    match e {
        Error::Config { field, message } => {
            wit::JobError::Config(wit::ConfigError { field, message })
        }
        Error::Auth(m) => wit::JobError::Auth(m),
        Error::Forbidden(scope) => wit::JobError::Forbidden(scope),
        Error::NotFound(m) => wit::JobError::NotFound(m),
        Error::RateLimited {
            retry_after_ms,
            message,
        } => wit::JobError::RateLimited(wit::RateLimited {
            retry_after_ms,
            message,
        }),
        Error::Upstream { status, message } => {
            wit::JobError::Upstream(wit::UpstreamError { status, message })
        }
        Error::Transport(m) => wit::JobError::Transport(m),
        Error::Sink { status, message } => wit::JobError::Sink(wit::SinkError { status, message }),
        Error::Storage(m) => wit::JobError::Storage(m),
        Error::Deadline(m) => wit::JobError::Deadline(m),
    }
}
