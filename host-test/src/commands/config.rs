//! Settings for `sync`, `status` (and later `audit`): command-line flags, the
//! environment variables auth0-cli and the Terraform provider use, and an
//! optional TOML file. Flags win over the environment, which wins over the file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use serde::Deserialize;

use crate::runtime::{ClientCredentials, Credentials, SinkFormat, StartAt, TenantConfig};

/// A setting the host itself refused (a flag, a variable or the TOML file):
/// exits with the `config` code, like the component's own config errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for UsageError {}

/// A [`UsageError`] as an `anyhow::Error`.
pub fn usage(field: impl Into<String>, message: impl Into<String>) -> anyhow::Error {
    UsageError {
        field: field.into(),
        message: message.into(),
    }
    .into()
}

/// How to reach and authenticate against the tenant, and where state lives.
#[derive(Args, Debug, Clone, Default)]
pub struct TenantArgs {
    /// TOML file with [tenant], [sink] and [sync] tables (see the README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Tenant domain, e.g. acme.eu.auth0.com (or http://127.0.0.1:PORT for a simulator).
    #[arg(long, env = "AUTH0_DOMAIN")]
    pub domain: Option<String>,
    /// Machine-to-machine application authorized for the Management API.
    #[arg(long, env = "AUTH0_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Its client secret (prefer the environment variable: flags show in `ps`).
    #[arg(long, env = "AUTH0_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// A Management API access token instead of client credentials.
    #[arg(long, env = "AUTH0_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Token audience (default https://DOMAIN/api/v2/).
    #[arg(long, env = "AUTH0_AUDIENCE")]
    pub audience: Option<String>,
    /// State store: a file path (SQLite, default in the user's data dir) or `memory`.
    #[arg(long, env = "AUTH0_AUDIT_STATE", value_name = "PATH|memory")]
    pub state: Option<String>,
    /// Key-value bucket identifier passed to the component.
    #[arg(long, default_value = "")]
    pub bucket: String,
    /// Do not keep the Management API token in the state store between runs.
    #[arg(long)]
    pub no_token_cache: bool,
}

/// The TOML file. Unknown keys are errors, so a typo never silently does nothing.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub tenant: FileTenant,
    #[serde(default)]
    pub sink: FileSink,
    #[serde(default)]
    pub sync: FileSync,
    pub state: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileTenant {
    pub domain: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub token: Option<String>,
    pub audience: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileSink {
    pub url: Option<String>,
    pub format: Option<String>,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    pub max_batch_bytes: Option<u32>,
    pub max_batch_events: Option<u32>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileSync {
    pub start: Option<String>,
    pub stream: Option<String>,
    pub include_types: Option<Vec<String>>,
    pub exclude_types: Option<Vec<String>>,
    pub max_duration: Option<String>,
    pub every: Option<String>,
    pub retention_days: Option<u32>,
    pub gap_warning: Option<String>,
}

pub fn load_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage("--config", format!("cannot read {}: {e}", path.display())))?;
    parse_file(&text).map_err(|e| match e.downcast::<UsageError>() {
        Ok(u) => usage(
            u.field,
            format!("{} (in config file {})", u.message, path.display()),
        ),
        Err(other) => other,
    })
}

/// Parses the TOML text; an error names the key path (e.g. `sync.retention_days`).
pub fn parse_file(text: &str) -> anyhow::Result<FileConfig> {
    let de = toml::Deserializer::parse(text)
        .map_err(|e| usage("config file", e.message().to_string()))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = match e.path().to_string() {
            p if p == "." || p.is_empty() => "config file".to_string(),
            p => p,
        };
        usage(field, e.inner().message().to_string())
    })
}

/// Parses `30s`, `5m`, `1h30m`.
pub fn parse_duration(field: &str, text: &str) -> anyhow::Result<Duration> {
    humantime::parse_duration(text.trim()).map_err(|_| {
        usage(
            field,
            format!("{text:?} is not a duration such as 30s, 5m or 1h"),
        )
    })
}

pub fn parse_start(text: &str) -> StartAt {
    match text.trim() {
        "oldest" => StartAt::Oldest,
        "now" => StartAt::Now,
        other => StartAt::Timestamp(other.to_string()),
    }
}

pub fn parse_format(text: &str) -> anyhow::Result<SinkFormat> {
    Ok(match text.trim() {
        "ndjson" => SinkFormat::Ndjson,
        "log-streams" => SinkFormat::LogStreams,
        "splunk-hec" => SinkFormat::SplunkHec,
        "elastic-bulk" => SinkFormat::ElasticBulk,
        other => {
            return Err(usage(
                "--sink-format",
                format!(
                    "{other:?} is unknown; use ndjson, log-streams, splunk-hec or elastic-bulk"
                ),
            ));
        }
    })
}

/// `Name: value` as given to `--sink-header`.
pub fn parse_header(text: &str) -> anyhow::Result<(String, String)> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| usage("--sink-header", "must look like 'Name: value'"))?;
    Ok((name.trim().to_string(), value.trim().to_string()))
}

impl TenantArgs {
    /// Builds the tenant record; the component validates every field itself.
    pub fn tenant(&self, file: &FileConfig) -> anyhow::Result<TenantConfig> {
        let pick =
            |flag: &Option<String>, file: &Option<String>| flag.clone().or_else(|| file.clone());
        let domain = pick(&self.domain, &file.tenant.domain).ok_or_else(|| {
            usage(
                "--domain",
                "no tenant domain: pass --domain or set AUTH0_DOMAIN",
            )
        })?;
        let token = pick(&self.token, &file.tenant.token);
        let client_id = pick(&self.client_id, &file.tenant.client_id);
        let client_secret = pick(&self.client_secret, &file.tenant.client_secret);
        let credentials = match (token, client_id, client_secret) {
            (Some(token), None, None) => Credentials::AccessToken(token),
            (None, Some(client_id), Some(client_secret)) => {
                Credentials::ClientCredentials(ClientCredentials {
                    client_id,
                    client_secret,
                })
            }
            (Some(_), _, _) => {
                return Err(usage(
                    "--token",
                    "give either --token or --client-id with --client-secret, not both",
                ));
            }
            (None, Some(_), None) => {
                return Err(usage(
                    "--client-secret",
                    "--client-id needs --client-secret (or AUTH0_CLIENT_SECRET)",
                ));
            }
            (None, None, Some(_)) => {
                return Err(usage(
                    "--client-id",
                    "--client-secret needs --client-id (or AUTH0_CLIENT_ID)",
                ));
            }
            (None, None, None) => {
                return Err(usage(
                    "--client-id",
                    "no credentials: pass --client-id and --client-secret (or AUTH0_CLIENT_ID / AUTH0_CLIENT_SECRET), or --token",
                ));
            }
        };
        Ok(TenantConfig {
            domain,
            credentials,
            audience: pick(&self.audience, &file.tenant.audience),
            bucket: self.bucket.clone(),
            cache_token: Some(!self.no_token_cache),
        })
    }

    /// The state store spec: flag, file, then the default file in the user's data dir.
    pub fn state_spec(&self, file: &FileConfig) -> anyhow::Result<String> {
        if let Some(s) = self.state.clone().or_else(|| file.state.clone()) {
            return Ok(s);
        }
        let dir = dirs::data_local_dir()
            .map(|d| d.join("auth0-audit"))
            .unwrap_or_else(|| PathBuf::from(".auth0-audit"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir.join("state.sqlite").display().to_string())
    }

    /// The origin the component may call for this tenant (best effort: a domain
    /// the component will reject anyway yields none).
    pub fn tenant_origin(domain: &str) -> Option<String> {
        let d = domain.trim().trim_end_matches('/');
        let with_scheme = if d.starts_with("http://") || d.starts_with("https://") {
            d.to_string()
        } else {
            format!("https://{d}")
        };
        let url = url::Url::parse(&with_scheme).ok()?;
        Some(url.origin().ascii_serialization()).filter(|o| o != "null")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_headers_and_formats() {
        assert_eq!(
            parse_duration("x", "5m").ok(),
            Some(Duration::from_secs(300))
        );
        assert!(parse_duration("--every", "soon").is_err());
        assert_eq!(
            parse_header("Authorization: Splunk abc").ok(),
            Some(("Authorization".into(), "Splunk abc".into()))
        );
        assert!(parse_header("novalue").is_err());
        assert!(parse_format("csv").is_err());
    }

    fn field_of(text: &str) -> String {
        match parse_file(text) {
            Ok(_) => "accepted".into(),
            Err(e) => e
                .downcast::<UsageError>()
                .map(|u| u.field)
                .unwrap_or_else(|e| format!("not a usage error: {e}")),
        }
    }

    #[test]
    fn unknown_or_mistyped_config_keys_are_errors_naming_the_key() {
        for (text, field) in [
            ("[tenant]\ndomian = \"x\"", "tenant.domian"),
            ("[tenant]\ndomain = 42", "tenant.domain"),
            ("[tenant]\ndomain = [\"a\"]", "tenant.domain"),
            ("[tenant]\nclient_secret = true", "tenant.client_secret"),
            ("[sync]\nretention_days = \"five\"", "sync.retention_days"),
            ("[sync]\nretention_days = -1", "sync.retention_days"),
            ("[sync]\nretention_days = 1e3", "sync.retention_days"),
            ("[sync]\ninclude_types = \"s\"", "sync.include_types"),
            ("[sync]\ninclude_types = [1, 2]", "sync.include_types[0]"),
            (
                "[sink]\nmax_batch_events = 99999999999",
                "sink.max_batch_events",
            ),
            ("[sink]\nheaders = \"Authorization: x\"", "sink.headers"),
            (
                "[sink]\nheaders = { Authorization = 1 }",
                "sink.headers.Authorization",
            ),
            ("tenant = \"acme\"", "tenant"),
            ("state = 1", "state"),
            ("surprise = 1", "surprise"),
            ("[tenant\ndomain = \"x\"", "config file"),
        ] {
            assert_eq!(field_of(text), field, "{text}");
        }
        assert_eq!(
            field_of("[tenant]\ndomain = \"a.auth0.com\"\n[sink]\nurl = \"stdout\""),
            "accepted"
        );
    }

    #[test]
    fn tenant_origin_for_the_allow_list() {
        assert_eq!(
            TenantArgs::tenant_origin("acme.auth0.com").as_deref(),
            Some("https://acme.auth0.com")
        );
        assert_eq!(
            TenantArgs::tenant_origin("http://127.0.0.1:4000/").as_deref(),
            Some("http://127.0.0.1:4000")
        );
    }
}
