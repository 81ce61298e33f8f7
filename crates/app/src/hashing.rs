//! The bound on password hashing: at most a few argon2 computations at once, and a
//! short, bounded line of sign-ins waiting for one; beyond that a sign-in is refused
//! as busy (503 with `Retry-After`) rather than queued.
//!
//! Each argon2 computation holds 19 MiB and a core for tens of milliseconds: without a
//! bound, a flood of wrong sign-ins from many addresses (which the per-address rate
//! limit does not stop) grows the blocking thread pool to hundreds of threads and the
//! process to gigabytes (docs/operations.md#http).

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// How many password computations may run at once, and how many more may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimit {
    /// Computations at once (at least 1).
    pub concurrent: usize,
    /// Sign-ins allowed to wait for a free computation; the next one is refused.
    pub waiting: usize,
}

impl Default for HashingLimit {
    /// Two per core (four when the core count is unknown), and as many waiting: a
    /// bounded memory (at most `concurrent` × 19 MiB) and a short wait.
    fn default() -> Self {
        let concurrent = std::thread::available_parallelism().map_or(4, |n| n.get() * 2);
        Self {
            concurrent,
            waiting: concurrent,
        }
    }
}

/// The gate every password computation passes; cheap to clone (clones share it).
#[derive(Debug, Clone)]
pub(crate) struct HashingGate {
    /// Admission: computations running plus sign-ins waiting.
    admitted: Arc<Semaphore>,
    /// Computations running.
    running: Arc<Semaphore>,
}

/// What a refused sign-in is told (the web door adds `Retry-After`).
pub const BUSY: &str = "too many sign-ins are being checked at once";

impl HashingGate {
    pub(crate) fn new(limit: HashingLimit) -> Self {
        let concurrent = limit.concurrent.max(1);
        Self {
            admitted: Arc::new(Semaphore::new(concurrent.saturating_add(limit.waiting))),
            running: Arc::new(Semaphore::new(concurrent)),
        }
    }

    /// Runs `work` (a CPU-heavy closure) on the blocking pool once a computation slot is
    /// free; `Unavailable` at once when the gate is full, without queueing.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Unavailable(BUSY.into()))?;
        let running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(Error::internal)?;
        // The permit moves into the blocking task: a sign-in whose client went away
        // still counts until its computation has actually finished.
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(running);
            out
        })
        .await
        .map_err(Error::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_gate_refuses_at_once_and_frees_after() {
        let gate = HashingGate::new(HashingLimit {
            concurrent: 1,
            waiting: 0,
        });
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let slow = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(move || rx.recv().is_ok()).await })
        };
        // Wait until the slow computation holds the only slot.
        while gate.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = gate.run(|| 1).await;
        assert!(
            matches!(&refused, Err(Error::Unavailable(m)) if m == BUSY),
            "{refused:?}"
        );
        tx.send(()).expect("send");
        assert!(slow.await.expect("join").expect("ran"));
        assert_eq!(gate.run(|| 2).await.expect("free again"), 2);
    }

    #[tokio::test]
    async fn waiting_sign_ins_are_bounded_but_served() {
        let gate = HashingGate::new(HashingLimit {
            concurrent: 1,
            waiting: 2,
        });
        let runs: Vec<_> = (0..3)
            .map(|i| {
                let gate = gate.clone();
                tokio::spawn(async move { gate.run(move || i).await })
            })
            .collect();
        for (i, r) in runs.into_iter().enumerate() {
            assert_eq!(r.await.expect("join").expect("served"), i);
        }
    }
}
