//! Rate limits on the doors strangers can knock on: report intake, reporter replies
//! and sign-in. A token bucket per client address, and for sign-in one per account as
//! well (an attack spread over many addresses still meets the account's bucket). The
//! buckets are in memory: each `embargo serve` node limits what reaches it
//! (docs/operations.md#http).
//!
//! The client address is the connection's peer, or, when the peer is one of the
//! configured trusted proxies, the address that proxy reports in `X-Forwarded-For`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header::RETRY_AFTER};
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
    /// Password sign-in and setup links (argon2 makes each attempt cost CPU too),
    /// per client address and, for sign-in, per account.
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

/// Whose bucket: a client address at a door, or the account a sign-in names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(Door, IpAddr),
    Account(String),
}

/// Shared state of every bucket.
#[derive(Debug, Clone)]
pub struct Limiter {
    limits: RateLimits,
    proxies: TrustedProxies,
    buckets: Arc<Mutex<HashMap<Key, Bucket>>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Beyond this many tracked addresses and accounts, full buckets are forgotten so
/// memory stays bounded.
const MAX_TRACKED: usize = 100_000;
/// An account key keeps at most this many bytes of the address typed (the longest
/// valid address), so that keys cannot grow memory either.
const MAX_ACCOUNT_KEY: usize = 254;
/// A sign-in body read to find the account; a real one is a few hundred bytes.
const MAX_LOGIN_BODY: usize = 8 * 1024;

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            proxies: TrustedProxies::default(),
            buckets: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The same limiter, taking the client address from `X-Forwarded-For` when the
    /// peer is one of `proxies`.
    #[must_use]
    pub fn trusting(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Takes a token, or says how long until one is free.
    fn take(&self, key: Key, now: Instant) -> Result<(), Duration> {
        let door = match &key {
            Key::Address(door, _) => *door,
            Key::Account(_) => Door::Login,
        };
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
        let b = buckets.entry(key).or_insert(Bucket {
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

/// Middleware: 429 with `Retry-After` once an address (or, at sign-in, an account) has
/// used its bucket.
pub async fn limit(State(limiter): State<Limiter>, request: Request, next: Next) -> Response {
    let Some(door) = door(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    // Without connection info (in-process tests) every caller shares one bucket.
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let ip = limiter.proxies.client(peer, request.headers());
    let now = Instant::now();
    if let Err(wait) = limiter.take(Key::Address(door, ip), now) {
        return too_many(wait);
    }
    if door != Door::Login || request.uri().path() != "/login" || limiter.limits.login.is_none() {
        return next.run(request).await;
    }
    // The account is in the form: read it (small and bounded), then hand the same
    // bytes on to the handler.
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_LOGIN_BODY).await else {
        return AppError::PayloadTooLarge.into_response();
    };
    if let Some(account) = account(&bytes)
        && let Err(wait) = limiter.take(Key::Account(account), now)
    {
        tracing::warn!("sign-in attempts for one account over its limit");
        return too_many(wait);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs().max(1);
    let mut response = AppError::TooManyRequests(secs).into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(RETRY_AFTER, v);
    }
    response
}

/// The account a sign-in form names, as the bucket's key: trimmed, lower-cased (as
/// sign-in finds it) and bounded; `None` without one.
fn account(form: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Login {
        #[serde(default)]
        email: String,
    }
    let login: Login = serde_urlencoded::from_bytes(form).ok()?;
    let mut key = login.email.trim().to_lowercase();
    if key.is_empty() {
        return None;
    }
    if key.len() > MAX_ACCOUNT_KEY {
        let mut end = MAX_ACCOUNT_KEY;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
    }
    Some(key)
}

/// The proxies whose `X-Forwarded-For` is believed: addresses or networks
/// (`10.0.0.0/8`, `::1`). Empty (the default): the peer is the client. Cheap to clone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Arc<[Network]>);

/// An address and the length of its network prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("\"{s}\" is not an address or network like 10.0.0.0/8"))?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("\"{s}\": the prefix length must be 0 to {max}"))?,
        };
        Ok(Self { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
            let keep = u32::from(prefix.min(width));
            let drop = u32::from(width) - keep;
            if keep == 0 { 0 } else { bits >> drop }
        }
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u32::from(n).into(), 32, self.prefix)
                    == masked(u32::from(a).into(), 32, self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), 128, self.prefix) == masked(u128::from(a), 128, self.prefix)
            }
            _ => false,
        }
    }
}

impl TrustedProxies {
    /// Parses the configured list; the error names the entry at fault.
    pub fn parse<S: AsRef<str>>(list: &[S]) -> Result<Self, String> {
        let networks = list
            .iter()
            .map(|s| Network::parse(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(networks.into()))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client's address: `peer`, unless `peer` is a trusted proxy; then the
    /// nearest address in `X-Forwarded-For` (read from the right, as each proxy
    /// appends the address it saw) that is not itself a trusted proxy. What a client
    /// writes into the header itself is on the left, and is never reached while an
    /// untrusted address stands to its right.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = hop_address(hop) else {
                // Garbage: the last proxy that wrote a readable address answers for it.
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// `192.0.2.1`, `2001:db8::1`, `192.0.2.1:4711` or `[2001:db8::1]:4711`.
fn hop_address(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn tight() -> RateLimits {
        RateLimits {
            intake: Some(Rate {
                burst: 3,
                every: Duration::from_secs(10),
            }),
            login: None,
        }
    }

    #[test]
    fn a_bucket_empties_and_refills() {
        let l = Limiter::new(tight());
        let a = ip("192.0.2.1");
        let other = ip("192.0.2.2");
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.take(Key::Address(Door::Intake, a), t0).is_ok());
        }
        let wait = l.take(Key::Address(Door::Intake, a), t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(9) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        assert!(
            l.take(Key::Address(Door::Intake, other), t0).is_ok(),
            "addresses have their own buckets"
        );
        assert!(
            l.take(Key::Address(Door::Login, a), t0).is_ok(),
            "an unlimited door"
        );
        assert!(
            l.take(Key::Address(Door::Intake, a), t0 + Duration::from_secs(10))
                .is_ok(),
            "refilled"
        );
    }

    #[test]
    fn accounts_have_their_own_bucket_whatever_the_address() {
        let l = Limiter::new(RateLimits {
            intake: None,
            login: Some(Rate {
                burst: 2,
                every: Duration::from_secs(60),
            }),
        });
        let t0 = Instant::now();
        let alice = || Key::Account(account(b"email=Alice%40example.org&password=x").expect("key"));
        assert!(l.take(alice(), t0).is_ok());
        assert!(l.take(alice(), t0).is_ok());
        assert!(l.take(alice(), t0).is_err(), "the third try, from anywhere");
        assert!(l.take(Key::Account("bob@example.org".into()), t0).is_ok());
    }

    #[test]
    fn the_account_key_is_normalised_and_bounded() {
        assert_eq!(
            account(b"email=+Alice%40Example.org+&password=x").as_deref(),
            Some("alice@example.org")
        );
        assert_eq!(account(b"password=x"), None);
        assert_eq!(account(b"email=&password=x"), None);
        let long = format!("email={}", "\u{e9}".repeat(500));
        let key = account(long.as_bytes()).expect("key");
        assert!(key.len() <= MAX_ACCOUNT_KEY && key.chars().all(|c| c == '\u{e9}'));
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

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8", "2001:db8::1"]).expect("parse");
        let spoofed = forwarded(&["203.0.113.9"]);
        // A client talking directly cannot choose its address.
        assert_eq!(
            proxies.client(ip("198.51.100.7"), &spoofed),
            ip("198.51.100.7")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("10.1.2.3"), &spoofed),
            ip("10.1.2.3"),
            "nothing is trusted by default"
        );
        // Behind the proxy: the address it appended.
        assert_eq!(proxies.client(ip("10.1.2.3"), &spoofed), ip("203.0.113.9"));
        // A client's own entry on the left is not reached past an untrusted one.
        let chain = forwarded(&["1.1.1.1, 198.51.100.7", "10.9.9.9"]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &chain), ip("198.51.100.7"));
        // IPv6 proxy, an address with a port, IPv4-mapped peers.
        let h = forwarded(&["192.0.2.44:5123"]);
        assert_eq!(proxies.client(ip("2001:db8::1"), &h), ip("192.0.2.44"));
        assert_eq!(proxies.client(ip("::ffff:10.0.0.1"), &h), ip("192.0.2.44"));
        // No header or garbage: the proxy itself (all its clients share its bucket).
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &HeaderMap::new()),
            ip("10.1.2.3")
        );
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &forwarded(&["unknown"])),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn networks_parse_and_match() {
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        let e = TrustedProxies::parse(&["proxy.example"]).unwrap_err();
        assert!(e.contains("proxy.example"), "{e}");
        let all = TrustedProxies::parse(&["0.0.0.0/0"]).expect("parse");
        assert!(all.trusts(ip("203.0.113.1")));
        assert!(!all.trusts(ip("2001:db8::5")), "families do not mix");
        let one = TrustedProxies::parse(&["192.0.2.1"]).expect("parse");
        assert!(one.trusts(ip("192.0.2.1")) && !one.trusts(ip("192.0.2.2")));
        let net = TrustedProxies::parse(&["2001:db8::/32"]).expect("parse");
        assert!(net.trusts(ip("2001:db8:ffff::1")) && !net.trusts(ip("2001:db9::1")));
    }
}
