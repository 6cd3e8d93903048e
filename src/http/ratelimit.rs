//! What bounds the work strangers can make the server do:
//!
//! - [`RateLimiter`], fixed-window attempt counters for logins (per
//!   account and address pair, per address, per account from everywhere)
//!   and registrations (per address). In memory and per node (a cluster
//!   multiplies the limits by its node count, which bounds guessing all
//!   the same).
//! - [`WorkGate`], the bound on password hashing (argon2id, 19 MiB and tens
//!   of milliseconds each): a fixed number run at once, a bounded number
//!   wait, and the rest are refused at once with 429 — never a queue that
//!   grows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many attempts a key may make per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limit {
    /// Attempts allowed per window.
    pub(crate) attempts: u32,
    /// The window.
    pub(crate) window: Duration,
}

/// How often, at most, [`RateLimiter::attempt`] forgets ended windows.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Counters by key. Memory stays bounded by the keys of windows that have
/// not ended: an attempt forgets the ended ones, at most once per
/// [`SWEEP_EVERY`], so no caller has to.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// Per key: when its window started, attempts in it, its length.
    windows: DashMap<String, (Instant, u32, Duration)>,
    last_sweep: parking_lot::Mutex<Instant>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self {
            windows: DashMap::new(),
            last_sweep: parking_lot::Mutex::new(Instant::now()),
        }
    }
}

impl RateLimiter {
    /// Counts one attempt for `key`; `Err(seconds)` when the limit is
    /// reached, with the seconds until the window ends.
    pub(crate) fn attempt(&self, key: &str, limit: Limit, now: Instant) -> Result<(), u32> {
        self.sweep_if_due(now);
        let mut entry = self
            .windows
            .entry(key.to_owned())
            .or_insert((now, 0, limit.window));
        let (started, count, _) = *entry;
        if now.duration_since(started) >= limit.window {
            *entry = (now, 1, limit.window);
            return Ok(());
        }
        if count >= limit.attempts {
            let left = limit.window.saturating_sub(now.duration_since(started));
            return Err(left.as_secs().try_into().unwrap_or(u32::MAX).max(1));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Forgets the windows that ended by `now`, unless that was done less
    /// than [`SWEEP_EVERY`] ago.
    fn sweep_if_due(&self, now: Instant) {
        {
            let mut last = self.last_sweep.lock();
            if now.saturating_duration_since(*last) < SWEEP_EVERY {
                return;
            }
            *last = now;
        }
        self.windows
            .retain(|_, (started, _, window)| now.saturating_duration_since(*started) < *window);
    }
}

/// The client's address (IP only), as the limits key it.
pub(crate) fn client_address(request: &actix_web::HttpRequest) -> String {
    request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

/// Bounds concurrent password hashing: `running` at once, at most
/// `waiting` more queued; past that, refused.
#[derive(Debug)]
pub(crate) struct WorkGate {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// A place in the gate: hold it while the work runs.
#[derive(Debug)]
pub(crate) struct WorkPermit {
    _permit: OwnedSemaphorePermit,
}

impl WorkGate {
    /// A gate letting `running` (at least 1) jobs run and `waiting` wait.
    pub(crate) fn new(running: usize, waiting: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(running.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting: waiting,
        }
    }

    /// Waits for a place, or `None` at once when `waiting` jobs already
    /// wait (the caller answers 429 + `Retry-After`).
    pub(crate) async fn enter(&self) -> Option<WorkPermit> {
        if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            return Some(WorkPermit { _permit: permit });
        }
        let queued = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_waiting).then_some(n + 1)
            });
        if queued.is_err() {
            return None;
        }
        let permit = Arc::clone(&self.permits).acquire_owned().await.ok();
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        permit.map(|permit| WorkPermit { _permit: permit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_gate_refuses_past_its_queue() {
        let gate = Arc::new(WorkGate::new(1, 1));
        let running = gate.enter().await;
        assert!(running.is_some());
        // One may wait: it is answered once the running job ends.
        let waiter = {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move { gate.enter().await.is_some() })
        };
        // Until the waiter is queued, a third caller could take its place;
        // wait for the queue to fill (an explicit signal: the counter).
        while gate.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(gate.enter().await.is_none(), "the queue is full");
        drop(running);
        assert!(waiter.await.unwrap_or(false));
    }

    #[test]
    fn attempts_past_the_limit_wait_for_the_window() {
        let limiter = RateLimiter::default();
        let limit = Limit {
            attempts: 3,
            window: Duration::from_secs(60),
        };
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.attempt("k", limit, t0), Ok(()));
        }
        assert_eq!(
            limiter.attempt("k", limit, t0 + Duration::from_secs(10)),
            Err(50)
        );
        assert_eq!(limiter.attempt("other", limit, t0), Ok(()));
        assert_eq!(
            limiter.attempt("k", limit, t0 + Duration::from_secs(61)),
            Ok(())
        );
        // Ended windows are forgotten by the next attempt.
        assert_eq!(
            limiter.attempt("last", limit, t0 + Duration::from_secs(200)),
            Ok(())
        );
        assert_eq!(limiter.windows.len(), 1);
    }
}
