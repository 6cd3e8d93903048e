//! Fixed-window attempt counters, for login: per account and per client
//! address. In memory and per node (a cluster multiplies the limits by its
//! node count, which bounds guessing all the same).

use std::time::{Duration, Instant};

use dashmap::DashMap;

/// How many attempts a key may make per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limit {
    /// Attempts allowed per window.
    pub(crate) attempts: u32,
    /// The window.
    pub(crate) window: Duration,
}

/// Counters by key.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: DashMap<String, (Instant, u32)>,
}

impl RateLimiter {
    /// Counts one attempt for `key`; `Err(seconds)` when the limit is
    /// reached, with the seconds until the window ends.
    pub(crate) fn attempt(&self, key: &str, limit: Limit, now: Instant) -> Result<(), u32> {
        let mut entry = self.windows.entry(key.to_owned()).or_insert((now, 0));
        let (started, count) = *entry;
        if now.duration_since(started) >= limit.window {
            *entry = (now, 1);
            return Ok(());
        }
        if count >= limit.attempts {
            let left = limit.window.saturating_sub(now.duration_since(started));
            return Err(left.as_secs().try_into().unwrap_or(u32::MAX).max(1));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Forgets windows that ended before `now - longest`, so memory stays
    /// bounded by the keys of the last window.
    pub(crate) fn sweep(&self, now: Instant, longest: Duration) {
        self.windows
            .retain(|_, (started, _)| now.duration_since(*started) < longest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        limiter.sweep(t0 + Duration::from_secs(200), Duration::from_secs(60));
        assert!(limiter.windows.is_empty());
    }
}
