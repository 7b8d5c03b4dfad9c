//! `elastic-bulk`: `_bulk` with `create` and `_id` = log_id, so a re-delivered
//! event is rejected as a duplicate (409) instead of indexed twice.

use serde::Deserialize;

use crate::event::LogEvent;

pub fn append(out: &mut Vec<u8>, event: &LogEvent) {
    out.extend_from_slice(b"{\"create\":{\"_id\":\"");
    out.extend_from_slice(event.log_id.as_bytes());
    out.extend_from_slice(b"\"}}\n");
    out.extend_from_slice(event.raw().as_bytes());
    out.push(b'\n');
}

#[derive(Deserialize)]
struct BulkResponse {
    #[serde(default)]
    errors: bool,
    #[serde(default)]
    items: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// Accepts the batch when every item was created or already existed (409).
pub fn check_ack(body: &[u8]) -> Result<(), String> {
    let response: BulkResponse = serde_json::from_slice(body)
        .map_err(|_| "the bulk response is not the JSON Elasticsearch returns".to_string())?;
    if !response.errors {
        return Ok(());
    }
    for item in &response.items {
        let Some(result) = item.values().next() else {
            continue;
        };
        let status = result
            .get("status")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if !(200..300).contains(&status) && status != 409 {
            let reason = result
                .pointer("/error/type")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("unknown");
            return Err(format!(
                "Elasticsearch rejected a document (status {status}, {reason})"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_acknowledged_other_errors_are_not() {
        assert!(check_ack(br#"{"errors":false,"items":[]}"#).is_ok());
        assert!(
            check_ack(
                br#"{"errors":true,"items":[{"create":{"status":409}},{"create":{"status":201}}]}"#
            )
            .is_ok()
        );
        let e = check_ack(br#"{"errors":true,"items":[{"create":{"status":400,"error":{"type":"mapper_parsing_exception"}}}]}"#);
        assert_eq!(
            e,
            Err("Elasticsearch rejected a document (status 400, mapper_parsing_exception)".into())
        );
        assert!(check_ack(b"<html>").is_err());
    }
}
