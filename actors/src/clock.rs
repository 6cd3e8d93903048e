//! The clock commands are stamped with. Aggregates never read the time
//! themselves: a service reads this clock and passes the time in the
//! command's context, so a test (or a server started with a manual clock)
//! decides what time it is — renewals, expiries, refund windows and
//! check-in days all follow it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use agora_events::Timestamp;

/// A source of the current time, cheap to clone and share.
///
/// Guarantees: the system clock reads the wall clock; a manual clock
/// returns the time last set, moved only by [`Clock::advance`] and
/// [`Clock::set`], and every clone of it shows the same time.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that stands still at `start` until moved.
    pub fn manual(start: Timestamp) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(start.0))),
        }
    }

    /// Whether this clock is manual (can be moved).
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        match &self.manual {
            Some(micros) => Timestamp(micros.load(Ordering::SeqCst)),
            None => Timestamp::now(),
        }
    }

    /// Moves a manual clock forward by `by` and returns the new time; a
    /// system clock cannot be moved and returns `None`. Guarantees: the
    /// time never wraps (it stops at the largest timestamp).
    pub fn advance(&self, by: Duration) -> Option<Timestamp> {
        let micros = self.manual.as_ref()?;
        let by = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        let step = |m: i64| Some(m.saturating_add(by));
        let before = micros
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, step)
            .unwrap_or_else(|m| m);
        Some(Timestamp(before.saturating_add(by)))
    }

    /// Sets a manual clock to `to` (backwards too); a system clock cannot
    /// be set and returns `None`.
    pub fn set(&self, to: Timestamp) -> Option<Timestamp> {
        let micros = self.manual.as_ref()?;
        micros.store(to.0, Ordering::SeqCst);
        Some(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_never_wraps() {
        let clock = Clock::manual(Timestamp(i64::MAX - 5));
        assert_eq!(
            clock.advance(Duration::from_secs(1)),
            Some(Timestamp(i64::MAX))
        );
        assert_eq!(clock.now(), Timestamp(i64::MAX));
    }

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = Clock::manual(Timestamp(1_000));
        let clone = clock.clone();
        assert_eq!(clock.now(), Timestamp(1_000));
        assert_eq!(
            clock.advance(Duration::from_millis(2)),
            Some(Timestamp(3_000))
        );
        assert_eq!(clone.now(), Timestamp(3_000));
        assert_eq!(clone.set(Timestamp(5)), Some(Timestamp(5)));
        assert_eq!(clock.now(), Timestamp(5));
    }

    #[test]
    fn the_system_clock_cannot_be_moved() {
        let clock = Clock::system();
        assert!(!clock.is_manual());
        assert_eq!(clock.advance(Duration::from_secs(1)), None);
        assert!(clock.now().0 > 0);
    }
}
