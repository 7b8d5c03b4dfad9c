//! `--sink`: `file:PATH` and `stdout` are served by the host's loopback
//! collector (the component only speaks HTTP); anything else is an HTTP URL.

use std::path::PathBuf;

use crate::collector::{self, Collector, CollectorTarget};

/// A sink ready for the component: the URL it posts to, and the collector behind it.
pub struct SinkTarget {
    pub url: String,
    pub collector: Option<Collector>,
    /// What to tell the user: the file, stdout, or the URL's host.
    pub describe: String,
}

impl SinkTarget {
    pub async fn open(spec: &str) -> anyhow::Result<SinkTarget> {
        let spec = spec.trim();
        if let Some(path) = spec.strip_prefix("file:") {
            anyhow::ensure!(
                !path.is_empty(),
                "--sink file: needs a path, e.g. file:events.ndjson"
            );
            let path = PathBuf::from(path);
            let collector = collector::start(CollectorTarget::File(path.clone())).await?;
            return Ok(SinkTarget {
                url: collector.url(),
                collector: Some(collector),
                describe: path.display().to_string(),
            });
        }
        if spec == "stdout" || spec == "-" {
            let collector = collector::start(CollectorTarget::Stdout).await?;
            return Ok(SinkTarget {
                url: collector.url(),
                collector: Some(collector),
                describe: "stdout".into(),
            });
        }
        // The component validates the URL itself; the host only needs its origin.
        let describe = url::Url::parse(spec)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "the sink".into());
        Ok(SinkTarget {
            url: spec.to_string(),
            collector: None,
            describe,
        })
    }

    /// The origin the allow-list must admit (none for a URL that does not parse:
    /// the component rejects it before sending anything).
    pub fn origin(&self) -> Option<String> {
        let url = url::Url::parse(&self.url).ok()?;
        Some(url.origin().ascii_serialization()).filter(|o| o != "null")
    }

    pub async fn close(self) {
        if let Some(c) = self.collector {
            c.shutdown().await;
        }
    }
}
