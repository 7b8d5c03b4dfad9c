//! The one error type of every job; it maps one-to-one onto the WIT `job-error`
//! variant so a scheduler can act on the case (fix config, back off, alert).

use crate::ports::{StoreError, TransportError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid {field}: {message}")]
    Config { field: String, message: String },
    #[error("authentication failed: {0}")]
    Auth(String),
    #[error("forbidden: the token lacks scope {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("rate limited: {message}")]
    RateLimited {
        retry_after_ms: Option<u64>,
        message: String,
    },
    #[error("Auth0 answered {status}: {message}")]
    Upstream { status: u16, message: String },
    #[error("transport: {0}")]
    Transport(String),
    #[error("sink: {message}")]
    Sink {
        status: Option<u16>,
        message: String,
    },
    #[error("state store: {0}")]
    Storage(String),
    #[error("time budget: {0}")]
    Deadline(String),
}

impl Error {
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn upstream(status: u16, message: impl Into<String>) -> Self {
        Error::Upstream {
            status,
            message: message.into(),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Storage(e.0)
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Transport(e.to_string())
    }
}

impl Error {
    /// Removes every known secret from the messages: a server or sink may echo a
    /// credential back in its error body, and errors end up in logs and state.
    pub fn redact(self, secrets: &[String]) -> Error {
        let r = |t: String| redact_text(&t, secrets);
        match self {
            Error::Config { field, message } => Error::Config {
                field,
                message: r(message),
            },
            Error::Auth(m) => Error::Auth(r(m)),
            Error::Forbidden(m) => Error::Forbidden(r(m)),
            Error::NotFound(m) => Error::NotFound(r(m)),
            Error::RateLimited {
                retry_after_ms,
                message,
            } => Error::RateLimited {
                retry_after_ms,
                message: r(message),
            },
            Error::Upstream { status, message } => Error::Upstream {
                status,
                message: r(message),
            },
            Error::Transport(m) => Error::Transport(r(m)),
            Error::Sink { status, message } => Error::Sink {
                status,
                message: r(message),
            },
            Error::Storage(m) => Error::Storage(r(m)),
            Error::Deadline(m) => Error::Deadline(r(m)),
        }
    }
}

/// The strings to scrub for a secret value: the value and each long word of it
/// (a header `Splunk <token>` may be echoed as the token alone).
pub fn secret_variants(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    out.extend(
        value
            .split_whitespace()
            .filter(|w| w.len() >= 8 && *w != value)
            .map(str::to_string),
    );
    out.retain(|s| s.len() >= 4);
    out
}

pub fn redact_text(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "[redacted]");
        }
    }
    out
}

/// Text taken from a server response, made safe to show: bounded, one line,
/// and without anything that looks like a bearer token.
pub fn sanitize_server_text(text: &str) -> String {
    const MAX: usize = 300;
    let mut out = String::with_capacity(text.len().min(MAX));
    for word in text.split_whitespace() {
        if out.len() >= MAX {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(redact_token_runs(word).chars().take(MAX));
    }
    out
}

/// Replaces every run of 32 or more token characters (JWTs, opaque tokens) by
/// `[redacted]`, also inside quotes or before a comma: a server may echo a token
/// back in any punctuation. Control characters are dropped first so that they
/// cannot split a token into harmless-looking pieces.
fn redact_token_runs(word: &str) -> String {
    const MIN_RUN: usize = 32;
    let is_token_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '/' | '+');
    let mut out = String::with_capacity(word.len());
    let mut run = String::new();
    let flush = |out: &mut String, run: &mut String| {
        if run.len() >= MIN_RUN {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in word.chars().filter(|c| !c.is_control()) {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut out, &mut run);
            out.push(c);
        }
    }
    flush(&mut out, &mut run);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_bounded_single_line_and_redacts_tokens() {
        let jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2EifQ.sig";
        let s = sanitize_server_text(&format!("bad\ntoken {jwt} here"));
        assert_eq!(s, "bad token [redacted] here");
        assert!(sanitize_server_text(&"x ".repeat(1000)).len() < 320);
    }

    #[test]
    fn tokens_in_punctuation_or_split_by_control_characters_are_redacted() {
        // Found by fuzz/ (redaction): whole-word matching missed these.
        let jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2EifQ.sig";
        let (head, tail) = jwt.split_at(20);
        for text in [
            format!("{{\"token\":\"{jwt}\",\"x\":1}}"),
            format!("bad token: {jwt},"),
            format!("({jwt})"),
            format!("{head}\u{1}{tail}"),
        ] {
            let s = sanitize_server_text(&text);
            assert!(!s.contains("eyJhbGciOiJSUzI1NiIsInR5"), "{s}");
            assert!(s.contains("[redacted]"), "{s}");
        }
        assert_eq!(
            sanitize_server_text("invalid_grant: short-word, other (words)"),
            "invalid_grant: short-word, other (words)"
        );
    }
}
