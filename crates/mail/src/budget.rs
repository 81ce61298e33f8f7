//! The mail door's intake budget: how many messages one client (IP address) and one
//! envelope sender may hand the SMTP receiver before it answers "try again later"
//! (451). Token buckets in memory, like the web door's rate limit: each node counts
//! what reaches it, and a restart forgets. A flood from one address is slowed down,
//! not turned into thousands of reports; an honest MTA keeps the mail and retries.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A bucket: `burst` messages at once, then one more every `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub every: Duration,
}

impl Rate {
    fn per_sec(self) -> f64 {
        1.0 / self.every.as_secs_f64().max(1e-9)
    }

    fn burst(self) -> f64 {
        f64::from(self.burst.max(1))
    }
}

/// The budget per door key; `None` leaves that key unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLimits {
    /// Messages per client IP address (every sender it relays for).
    pub per_client: Option<Rate>,
    /// Messages per envelope sender address (`MAIL FROM`), whichever client sends them.
    pub per_sender: Option<Rate>,
}

impl Default for BudgetLimits {
    /// Per client the web's intake rate (30 at once, then one every 10 s); per sender
    /// 10 at once, then one a minute: a person reporting by mail sends a few messages,
    /// not hundreds.
    fn default() -> Self {
        Self {
            per_client: Some(Rate {
                burst: 30,
                every: Duration::from_secs(10),
            }),
            per_sender: Some(Rate {
                burst: 10,
                every: Duration::from_secs(60),
            }),
        }
    }
}

impl BudgetLimits {
    /// No budget at all (benchmarks, a receiver behind a trusted MTA that limits).
    pub fn unlimited() -> Self {
        Self {
            per_client: None,
            per_sender: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(IpAddr),
    /// The lower-cased envelope sender; empty for the null sender `<>`.
    Sender(String),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Beyond this many tracked keys, full buckets are forgotten so memory stays bounded.
const MAX_TRACKED: usize = 100_000;
/// Longest sender address tracked as itself; longer ones share a key (no memory game).
const MAX_SENDER_KEY: usize = 320;

/// The shared buckets of one receiver. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Budget {
    limits: BudgetLimits,
    buckets: Arc<Mutex<HashMap<Key, Bucket>>>,
}

impl Budget {
    pub fn new(limits: BudgetLimits) -> Self {
        Self {
            limits,
            buckets: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Takes one message from both the client's and the sender's bucket, or neither:
    /// a refusal costs nothing. `Err` says how long until both have room.
    pub fn take(&self, client: IpAddr, sender: &str, now: Instant) -> Result<(), Duration> {
        let sender = if sender.len() > MAX_SENDER_KEY {
            "(long)".to_string()
        } else {
            sender.to_ascii_lowercase()
        };
        let keys = [
            (Key::Client(client), self.limits.per_client),
            (Key::Sender(sender), self.limits.per_sender),
        ];
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED {
            let limits = self.limits;
            buckets.retain(|key, b| {
                let rate = match key {
                    Key::Client(_) => limits.per_client,
                    Key::Sender(_) => limits.per_sender,
                };
                rate.is_some_and(|r| refilled(b, r, now) < r.burst())
            });
        }
        let mut wait = Duration::ZERO;
        for (key, rate) in &keys {
            let Some(rate) = rate else { continue };
            let tokens = buckets
                .get(key)
                .map_or(rate.burst(), |b| refilled(b, *rate, now));
            if tokens < 1.0 {
                wait = wait.max(Duration::from_secs_f64((1.0 - tokens) / rate.per_sec()));
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        for (key, rate) in keys {
            let Some(rate) = rate else { continue };
            let b = buckets.entry(key).or_insert(Bucket {
                tokens: rate.burst(),
                at: now,
            });
            b.tokens = refilled(b, rate, now) - 1.0;
            b.at = now;
        }
        Ok(())
    }
}

fn refilled(b: &Bucket, rate: Rate, now: Instant) -> f64 {
    (b.tokens + now.duration_since(b.at).as_secs_f64() * rate.per_sec()).min(rate.burst())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(client: u32, sender: u32) -> Budget {
        Budget::new(BudgetLimits {
            per_client: Some(Rate {
                burst: client,
                every: Duration::from_secs(10),
            }),
            per_sender: Some(Rate {
                burst: sender,
                every: Duration::from_secs(60),
            }),
        })
    }

    const ONE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const TWO: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn one_sender_is_limited_across_clients_and_refills() {
        let b = budget(100, 3);
        let t0 = Instant::now();
        for client in [ONE, TWO, ONE] {
            assert!(b.take(client, "Mallory@Example.com", t0).is_ok());
        }
        let wait = b.take(TWO, "mallory@example.com", t0).unwrap_err();
        assert!(wait > Duration::from_secs(59) && wait <= Duration::from_secs(60));
        assert!(b.take(ONE, "ann@example.net", t0).is_ok(), "others go on");
        assert!(b.take(ONE, "mallory@example.com", t0 + wait).is_ok());
    }

    #[test]
    fn one_client_is_limited_whatever_sender_it_names() {
        let b = budget(2, 100);
        let t0 = Instant::now();
        assert!(b.take(ONE, "a@x.test", t0).is_ok());
        assert!(b.take(ONE, "b@x.test", t0).is_ok());
        assert!(b.take(ONE, "c@x.test", t0).is_err());
        assert!(
            b.take(TWO, "c@x.test", t0).is_ok(),
            "a refusal cost c nothing"
        );
    }

    #[test]
    fn unlimited_takes_everything() {
        let b = Budget::new(BudgetLimits::unlimited());
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(b.take(ONE, "", t0).is_ok());
        }
    }
}
