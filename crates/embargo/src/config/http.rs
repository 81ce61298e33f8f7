//! `[http]`: the bounds of the HTTP door (docs/operations.md#http): how long a client
//! may take to send a request's headers (and so how long an idle connection stays
//! open), how long a request may take, how many connections are open at once, how
//! many password computations run at once, and which proxies name the client.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use embargo_app::hashing::HashingLimit;
use embargo_web::limit::TrustedProxies;
use serde::Deserialize;

use super::env;

/// What `[http]` and its `EMBARGO_HTTP_*` variables may say.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HttpSection {
    header_timeout_seconds: Option<u64>,
    request_timeout_seconds: Option<u64>,
    max_connections: Option<usize>,
    password_hashing: Option<usize>,
    password_hashing_waiting: Option<usize>,
    trusted_proxies: Option<Vec<String>>,
}

/// The HTTP door's bounds, resolved.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// A connection that has not sent a whole request head within this time (a new
    /// one, or a kept-alive one waiting for its next request) is closed.
    pub header_timeout: Duration,
    /// A request (its body read and its answer made) taking longer gets 503.
    pub request_timeout: Duration,
    /// Connections open at once; one more is answered 503 and closed at once.
    pub max_connections: usize,
    pub hashing: HashingLimit,
    pub trusted_proxies: TrustedProxies,
}

/// Defaults: a slow client gets 15 s for its headers, a request 60 s; 512 connections
/// stay well under the usual limit of 1024 open files, with room for the database and
/// the SMTP receiver.
const HEADER_TIMEOUT_SECS: u64 = 15;
const REQUEST_TIMEOUT_SECS: u64 = 60;
const MAX_CONNECTIONS: usize = 512;

fn number<T: std::str::FromStr>(name: &str, file: Option<T>, what: &str) -> Result<Option<T>> {
    match env(name) {
        Some(v) => {
            Ok(Some(v.trim().parse().ok().with_context(|| {
                format!("{name} must be {what}, not {v:?}")
            })?))
        }
        None => Ok(file),
    }
}

impl HttpSection {
    pub(super) fn resolve(&self) -> Result<HttpSettings> {
        let seconds = "a whole number of seconds";
        let header = number(
            "EMBARGO_HTTP_HEADER_TIMEOUT",
            self.header_timeout_seconds,
            seconds,
        )?
        .unwrap_or(HEADER_TIMEOUT_SECS);
        let request = number(
            "EMBARGO_HTTP_REQUEST_TIMEOUT",
            self.request_timeout_seconds,
            seconds,
        )?
        .unwrap_or(REQUEST_TIMEOUT_SECS);
        let max_connections = number(
            "EMBARGO_HTTP_MAX_CONNECTIONS",
            self.max_connections,
            "a number of connections",
        )?
        .unwrap_or(MAX_CONNECTIONS);
        let default_hashing = HashingLimit::default();
        let concurrent = number(
            "EMBARGO_PASSWORD_HASHING",
            self.password_hashing,
            "a number of computations",
        )?
        .unwrap_or(default_hashing.concurrent);
        let waiting = number(
            "EMBARGO_PASSWORD_HASHING_WAITING",
            self.password_hashing_waiting,
            "a number of sign-ins",
        )?
        .unwrap_or(concurrent);
        if header == 0 || request == 0 || max_connections == 0 || concurrent == 0 {
            bail!("[http]: timeouts, max_connections and password_hashing must be at least 1");
        }
        let proxies: Vec<String> = match env("EMBARGO_TRUSTED_PROXIES") {
            Some(list) => list.split(',').map(|s| s.trim().to_string()).collect(),
            None => self.trusted_proxies.clone().unwrap_or_default(),
        };
        let trusted_proxies = TrustedProxies::parse(&proxies).map_err(|e| {
            anyhow::anyhow!("EMBARGO_TRUSTED_PROXIES / [http] trusted_proxies: {e}")
        })?;
        Ok(HttpSettings {
            header_timeout: Duration::from_secs(header),
            request_timeout: Duration::from_secs(request),
            max_connections,
            hashing: HashingLimit {
                concurrent,
                waiting,
            },
            trusted_proxies,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_sets_the_bounds_and_bad_values_are_refused() {
        let s: HttpSection = toml::from_str(
            "header_timeout_seconds = 3\nmax_connections = 7\npassword_hashing = 1\n\
             trusted_proxies = [\"10.0.0.0/8\"]",
        )
        .expect("toml");
        let h = s.resolve().expect("resolve");
        assert_eq!(h.header_timeout, Duration::from_secs(3));
        assert_eq!(h.request_timeout, Duration::from_secs(REQUEST_TIMEOUT_SECS));
        assert_eq!(h.max_connections, 7);
        assert_eq!(
            h.hashing,
            HashingLimit {
                concurrent: 1,
                waiting: 1
            }
        );
        assert_ne!(h.trusted_proxies, TrustedProxies::default());

        let zero: HttpSection = toml::from_str("max_connections = 0").expect("toml");
        assert!(zero.resolve().is_err());
        let bad: HttpSection = toml::from_str("trusted_proxies = [\"proxy\"]").expect("toml");
        let e = bad.resolve().unwrap_err().to_string();
        assert!(e.contains("\"proxy\""), "{e}");
        assert!(
            toml::from_str::<HttpSection>("idle = 3").is_err(),
            "unknown keys"
        );
    }
}
