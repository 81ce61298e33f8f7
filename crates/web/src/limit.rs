//! Rate limits on the doors strangers can knock on: report intake, reporter replies
//! and sign-in. A token bucket per client address, in memory: each `embargo serve`
//! node limits what reaches it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header::RETRY_AFTER};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// A bucket: `burst` requests at once, then one more every `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub every: Duration,
}

/// The limits per door; `None` turns a door's limit off (benchmarks, trusted setups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// New reports and reporter replies, by form or API.
    pub intake: Option<Rate>,
    /// Password sign-in and setup links (argon2 makes each attempt cost CPU too).
    pub login: Option<Rate>,
}

impl Default for RateLimits {
    /// 30 reports at once, then one every 10 s (360 an hour) per address; 10 sign-in
    /// attempts, then one every 6 s.
    fn default() -> Self {
        Self {
            intake: Some(Rate {
                burst: 30,
                every: Duration::from_secs(10),
            }),
            login: Some(Rate {
                burst: 10,
                every: Duration::from_secs(6),
            }),
        }
    }
}

impl RateLimits {
    pub fn unlimited() -> Self {
        Self {
            intake: None,
            login: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Door {
    Intake,
    Login,
}

/// Shared state of every bucket.
#[derive(Debug, Clone)]
pub struct Limiter {
    limits: RateLimits,
    buckets: Arc<Mutex<HashMap<(Door, IpAddr), Bucket>>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Beyond this many tracked addresses, full buckets are forgotten so memory stays bounded.
const MAX_TRACKED: usize = 100_000;

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            buckets: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Takes a token, or says how long until one is free.
    fn take(&self, door: Door, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let rate = match door {
            Door::Intake => self.limits.intake,
            Door::Login => self.limits.login,
        };
        let Some(rate) = rate else { return Ok(()) };
        let per_sec = 1.0 / rate.every.as_secs_f64().max(1e-9);
        let burst = f64::from(rate.burst.max(1));
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED {
            buckets
                .retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec < burst);
        }
        let b = buckets.entry((door, ip)).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_sec))
        }
    }
}

fn door(method: &Method, path: &str) -> Option<Door> {
    if method != Method::POST {
        return None;
    }
    match path {
        "/report" | "/api/v1/reports" => Some(Door::Intake),
        "/login" => Some(Door::Login),
        p if p.starts_with("/setup/") => Some(Door::Login),
        p if p.starts_with("/status/") || p.starts_with("/api/v1/status/") => Some(Door::Intake),
        _ => None,
    }
}

/// Middleware: 429 with `Retry-After` once an address has used its bucket.
pub async fn limit(State(limiter): State<Limiter>, request: Request, next: Next) -> Response {
    if let Some(door) = door(request.method(), request.uri().path()) {
        // Without connection info (in-process tests) every caller shares one bucket.
        let ip = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        if let Err(wait) = limiter.take(door, ip, Instant::now()) {
            let secs = wait.as_secs().max(1);
            let mut response = AppError::TooManyRequests(secs).into_response();
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(RETRY_AFTER, v);
            }
            return response;
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_refills() {
        let l = Limiter::new(RateLimits {
            intake: Some(Rate {
                burst: 3,
                every: Duration::from_secs(10),
            }),
            login: None,
        });
        let ip = IpAddr::from([192, 0, 2, 1]);
        let other = IpAddr::from([192, 0, 2, 2]);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.take(Door::Intake, ip, t0).is_ok());
        }
        let wait = l.take(Door::Intake, ip, t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(9) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        assert!(
            l.take(Door::Intake, other, t0).is_ok(),
            "addresses have their own buckets"
        );
        assert!(l.take(Door::Login, ip, t0).is_ok(), "an unlimited door");
        assert!(
            l.take(Door::Intake, ip, t0 + Duration::from_secs(10))
                .is_ok(),
            "refilled"
        );
    }

    #[test]
    fn only_the_doors_are_limited() {
        assert_eq!(door(&Method::POST, "/report"), Some(Door::Intake));
        assert_eq!(
            door(&Method::POST, "/api/v1/status/abc/messages"),
            Some(Door::Intake)
        );
        assert_eq!(door(&Method::POST, "/login"), Some(Door::Login));
        assert_eq!(door(&Method::GET, "/report"), None);
        assert_eq!(door(&Method::POST, "/reports/EMB-X/note"), None);
    }
}
