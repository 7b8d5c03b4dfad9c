//! Plain-Rust mirrors of the WIT records. The core works on these; the WASI
//! layer converts, so the core never depends on generated bindings.

/// A value that must never be printed: Debug and Display redact it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone)]
pub enum Credentials {
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    AccessToken(Secret),
}

#[derive(Debug, Clone)]
pub struct TenantConfig {
    pub domain: String,
    pub credentials: Credentials,
    pub audience: Option<String>,
    pub bucket: String,
    pub cache_token: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    Oldest,
    Now,
    Timestamp(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkFormat {
    Ndjson,
    LogStreams,
    SplunkHec,
    ElasticBulk,
}

#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub url: String,
    pub format: SinkFormat,
    /// Header values may carry credentials, so they are secrets.
    pub headers: Vec<(String, Secret)>,
    pub max_batch_bytes: Option<u32>,
    pub max_batch_events: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub stream: Option<String>,
    pub start: StartAt,
    pub sink: SinkConfig,
    pub include_types: Vec<String>,
    pub exclude_types: Vec<String>,
    pub max_duration_ms: Option<u64>,
    pub retention_days: Option<u32>,
    pub gap_warning_seconds: Option<u64>,
    pub max_attempts: Option<u32>,
    pub request_timeout_ms: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub code: String,
    pub message: String,
}

impl Warning {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Warning {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunHealth {
    pub last_success: Option<String>,
    pub last_attempt: Option<String>,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointView {
    pub log_id: String,
    pub log_date: Option<String>,
    pub written_at: String,
    pub total_delivered: u64,
    pub total_filtered: u64,
}

#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    pub stream: String,
    pub fetched: u64,
    pub delivered: u64,
    pub filtered: u64,
    pub duplicates_dropped: u64,
    pub pages: u32,
    pub api_requests: u32,
    pub sink_requests: u32,
    pub first_log_id: Option<String>,
    pub last_log_id: Option<String>,
    pub checkpoint: Option<CheckpointView>,
    pub caught_up: bool,
    pub lag_seconds: Option<u64>,
    pub rate_limit_waits: u32,
    pub rate_limit_wait_ms: u64,
    pub retries: u32,
    pub duration_ms: u64,
    pub warnings: Vec<Warning>,
    pub health: RunHealth,
}

#[derive(Debug, Clone, Default)]
pub struct StatusReport {
    pub stream: String,
    pub checkpoint: Option<CheckpointView>,
    pub lag_seconds: Option<u64>,
    pub health: RunHealth,
    pub warnings: Vec<Warning>,
}
