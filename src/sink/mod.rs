//! The HTTP sink: validated config, one file per output format, and delivery
//! with acknowledgement (`delivery`). A batch counts as delivered only on 2xx.

pub mod delivery;
pub mod elastic_bulk;
pub mod log_streams;
pub mod ndjson;
pub mod splunk_hec;

use crate::endpoint::{Endpoint, parse_url};
use crate::error::Error;
use crate::event::LogEvent;
use crate::model::{Secret, SinkConfig, SinkFormat};
use crate::ports::Response;

pub const DEFAULT_MAX_BATCH_BYTES: usize = 1024 * 1024;
pub const DEFAULT_MAX_BATCH_EVENTS: usize = 500;

/// Headers the component sets itself; letting a user override them breaks framing.
pub const RESERVED_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "content-type",
    "expect",
];

#[derive(Debug, Clone)]
pub struct Sink {
    pub endpoint: Endpoint,
    pub format: SinkFormat,
    pub headers: Vec<(String, Secret)>,
    pub max_bytes: usize,
    pub max_events: usize,
    /// Tenant name for envelopes that carry a source host (Splunk).
    pub tenant: String,
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Sink {
    pub fn validate(config: &SinkConfig, tenant: &str) -> Result<Sink, Error> {
        let endpoint = parse_url("sink.url", &config.url)?;
        let mut headers = Vec::with_capacity(config.headers.len());
        for (i, (name, value)) in config.headers.iter().enumerate() {
            let field = format!("sink.headers[{i}]");
            if !is_token(name) {
                return Err(Error::config(
                    field,
                    "header name must be an HTTP token (letters, digits, -)",
                ));
            }
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(Error::config(
                    field,
                    format!("header {name} is set by the connector itself"),
                ));
            }
            let v = value.expose();
            if v.len() > 8192 || v.chars().any(|c| c.is_control() && c != '\t') {
                return Err(Error::config(
                    field,
                    "header value must be at most 8192 bytes without line breaks",
                ));
            }
            headers.push((name.to_ascii_lowercase(), value.clone()));
        }
        let max_bytes = match config.max_batch_bytes {
            None => DEFAULT_MAX_BATCH_BYTES,
            Some(n) if (4096..=16 * 1024 * 1024).contains(&n) => n as usize,
            Some(_) => {
                return Err(Error::config(
                    "sink.max-batch-bytes",
                    "must be between 4096 and 16777216",
                ));
            }
        };
        let max_events = match config.max_batch_events {
            None => DEFAULT_MAX_BATCH_EVENTS,
            Some(n) if (1..=10_000).contains(&n) => n as usize,
            Some(_) => {
                return Err(Error::config(
                    "sink.max-batch-events",
                    "must be between 1 and 10000",
                ));
            }
        };
        Ok(Sink {
            endpoint,
            format: config.format,
            headers,
            max_bytes,
            max_events,
            tenant: tenant.to_string(),
        })
    }

    /// Appends one event to a batch body in the sink's format.
    pub fn append(&self, out: &mut Vec<u8>, event: &LogEvent) {
        match self.format {
            SinkFormat::Ndjson => ndjson::append(out, event),
            SinkFormat::LogStreams => log_streams::append(out, event),
            SinkFormat::SplunkHec => splunk_hec::append(out, event, &self.tenant),
            SinkFormat::ElasticBulk => elastic_bulk::append(out, event),
        }
    }

    pub fn content_type(&self) -> &'static str {
        match self.format {
            SinkFormat::Ndjson | SinkFormat::LogStreams => "application/x-ndjson",
            SinkFormat::SplunkHec => "application/json",
            SinkFormat::ElasticBulk => "application/x-ndjson",
        }
    }

    /// Checks a 2xx body for failures the status hides (Elasticsearch reports
    /// per-document errors inside a 200).
    pub fn check_ack(&self, response: &Response) -> Result<(), String> {
        match self.format {
            SinkFormat::ElasticBulk => elastic_bulk::check_ack(&response.body),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(headers: Vec<(&str, &str)>) -> SinkConfig {
        SinkConfig {
            url: "https://siem.example.com/ingest".into(),
            format: SinkFormat::Ndjson,
            headers: headers
                .into_iter()
                .map(|(n, v)| (n.to_string(), Secret::new(v)))
                .collect(),
            max_batch_bytes: None,
            max_batch_events: None,
        }
    }

    #[test]
    fn header_validation_names_the_index() {
        assert!(Sink::validate(&cfg(vec![("Authorization", "Bearer x")]), "t").is_ok());
        for bad in [
            ("Bad Name", "x"),
            ("Host", "x"),
            ("X-Ok", "a\r\nInjected: 1"),
            ("", "x"),
        ] {
            match Sink::validate(&cfg(vec![("X-First", "1"), bad]), "t") {
                Err(Error::Config { field, .. }) => assert_eq!(field, "sink.headers[1]"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
