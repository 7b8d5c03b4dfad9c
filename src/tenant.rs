//! The tenant a job talks to, validated once before anything is sent or stored.

use crate::endpoint::parse_tenant_domain;
use crate::error::Error;
use crate::model::{Credentials, Secret, TenantConfig};
use crate::ports::Origin;

/// A tenant config that passed validation; only this type reaches the network.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub origin: Origin,
    pub credentials: Credentials,
    pub audience: String,
    pub bucket: String,
    pub cache_token: bool,
    /// Stable, secret-free name of the tenant used in state keys: `host[:port]`.
    pub key: String,
}

fn check_credential(field: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::config(field, "must not be empty or whitespace"));
    }
    if value.len() > max {
        return Err(Error::config(field, format!("longer than {max} bytes")));
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::config(
            field,
            "must not contain whitespace or control characters",
        ));
    }
    Ok(())
}

impl Tenant {
    pub fn validate(config: &TenantConfig) -> Result<Tenant, Error> {
        let origin = parse_tenant_domain("tenant.domain", &config.domain)?;
        let credentials = match &config.credentials {
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => {
                check_credential("tenant.credentials.client-id", client_id, 256)?;
                check_credential(
                    "tenant.credentials.client-secret",
                    client_secret.expose(),
                    1024,
                )?;
                Credentials::ClientCredentials {
                    client_id: client_id.clone(),
                    client_secret: Secret::new(client_secret.expose()),
                }
            }
            Credentials::AccessToken(token) => {
                check_credential("tenant.credentials.access-token", token.expose(), 16 * 1024)?;
                Credentials::AccessToken(token.clone())
            }
        };
        let audience = match &config.audience {
            None => format!("{}/api/v2/", origin.base_url()),
            Some(a) => {
                if a.trim().is_empty()
                    || a.len() > 1024
                    || a.chars().any(|c| c.is_control() || c == ' ')
                {
                    return Err(Error::config(
                        "tenant.audience",
                        "must be a non-empty identifier without spaces or control characters, at most 1024 bytes",
                    ));
                }
                a.clone()
            }
        };
        if config.bucket.len() > 256 || config.bucket.chars().any(char::is_control) {
            return Err(Error::config(
                "tenant.bucket",
                "at most 256 bytes, no control characters",
            ));
        }
        Ok(Tenant {
            key: origin.authority(),
            origin,
            credentials,
            audience,
            bucket: config.bucket.clone(),
            cache_token: config.cache_token.unwrap_or(true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(credentials: Credentials) -> TenantConfig {
        TenantConfig {
            domain: "acme.eu.auth0.com".into(),
            credentials,
            audience: None,
            bucket: String::new(),
            cache_token: None,
        }
    }

    fn cc(id: &str, secret: &str) -> Credentials {
        Credentials::ClientCredentials {
            client_id: id.into(),
            client_secret: Secret::new(secret),
        }
    }

    #[test]
    fn default_audience_is_the_management_api() {
        let t = Tenant::validate(&config(cc("abc", "s3cr3t"))).ok();
        assert_eq!(
            t.map(|t| t.audience),
            Some("https://acme.eu.auth0.com/api/v2/".to_string())
        );
    }

    #[test]
    fn empty_or_whitespace_credentials_name_the_field_and_hide_the_secret() {
        for (creds, field) in [
            (cc("", "x"), "tenant.credentials.client-id"),
            (cc("  ", "x"), "tenant.credentials.client-id"),
            (cc("id", ""), "tenant.credentials.client-secret"),
            (cc("id", " \t"), "tenant.credentials.client-secret"),
            (
                cc("id", "has space-SECRETVALUE"),
                "tenant.credentials.client-secret",
            ),
            (
                Credentials::AccessToken(Secret::new("")),
                "tenant.credentials.access-token",
            ),
        ] {
            match Tenant::validate(&config(creds)) {
                Err(Error::Config { field: f, message }) => {
                    assert_eq!(f, field);
                    assert!(!message.contains("SECRETVALUE"));
                }
                other => panic!("expected a config error for {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let t = Tenant::validate(&config(cc("abc", "SUPERSECRET"))).ok();
        let shown = format!("{t:?}");
        assert!(!shown.contains("SUPERSECRET"), "{shown}");
    }
}
