//! One projection's state, checkpoint and snapshots, and the read handle on
//! them. A [`Keeper`] applies events it is given; it does not read the log
//! itself — a [`super::ProjectionGroup`] feeds every keeper from one
//! subscription.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use tokio::sync::watch;

use super::{Projection, ProjectionConfig, SharedEvent, snapshot};

/// What a projection's readers and its keeper share.
pub(super) struct Shared<P> {
    state: RwLock<P>,
    checkpoint: watch::Sender<Option<u64>>,
    failure: Mutex<Option<String>>,
    applied: AtomicU64,
}

/// Read access to a running projection. Cheap to clone. While any handle of
/// a group's projections lives, the group keeps running.
pub struct ProjectionHandle<P> {
    shared: Arc<Shared<P>>,
    _group: Arc<dyn Send + Sync>,
}

impl<P> Clone for ProjectionHandle<P> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            _group: Arc::clone(&self._group),
        }
    }
}

impl<P: Projection> ProjectionHandle<P> {
    /// Runs `f` on the current state.
    pub fn read<R>(&self, f: impl FnOnce(&P) -> R) -> R {
        f(&self.shared.state.read())
    }

    /// Position of the last applied event (`None`: none yet).
    pub fn checkpoint(&self) -> Option<u64> {
        *self.shared.checkpoint.borrow()
    }

    /// Events applied since start.
    pub fn applied(&self) -> u64 {
        self.shared.applied.load(Ordering::Relaxed)
    }

    /// Why the projection stopped, if it did.
    pub fn failure(&self) -> Option<String> {
        self.shared.failure.lock().clone()
    }

    /// Waits until the event at `position` is applied, at most `timeout`.
    /// Returns whether it was.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        let mut rx = self.shared.checkpoint.subscribe();
        let reached = rx.wait_for(|c| c.is_some_and(|c| c >= position));
        matches!(tokio::time::timeout(timeout, reached).await, Ok(Ok(_)))
    }
}

/// A snapshot writes the whole state, so its cost grows with the state. A
/// keeper waits this many times the last snapshot's duration before the
/// next, so snapshots take at most about 1/50 of its time whatever the
/// state's size (a snapshot is for a faster restart; the log is the truth).
const SNAPSHOT_COST_RATIO: u32 = 50;

/// A projection as its group sees it, whatever its state's type.
pub(super) trait Member: Send {
    /// The first position it has not applied (0: none applied yet).
    fn next_position(&self) -> u64;
    /// Whether it stopped on a failure (it then ignores further events).
    fn is_stopped(&self) -> bool;
    /// Applies the events at or after [`Member::next_position`], in order,
    /// under one write lock and with one checkpoint update; snapshots when
    /// enough events were applied since the last one.
    fn apply(&mut self, events: &[SharedEvent<'_>]);
    /// Stops it with `reason` (queries keep the state they have).
    fn fail(&mut self, reason: String);
    /// Snapshots if the state changed and the last snapshot is older than
    /// `gap` (and than [`SNAPSHOT_COST_RATIO`] times its own cost).
    fn snapshot_if_due(&mut self, gap: Duration);
    /// Snapshots if anything was applied since the last snapshot.
    fn snapshot_if_changed(&mut self);
}

/// Keeps one projection: applies events, publishes the checkpoint, writes
/// snapshots.
pub(super) struct Keeper<P: Projection> {
    shared: Arc<Shared<P>>,
    config: ProjectionConfig,
    since_snapshot: u64,
    /// When the last snapshot ended (or the keeper started).
    last_snapshot: Instant,
    /// How long the last snapshot took.
    last_cost: Duration,
    stopped: bool,
}

impl<P: Projection> Keeper<P> {
    /// A keeper resumed from `P`'s snapshot in `config.snapshot_dir` (or
    /// from the start of the log), and its handle's shared part.
    pub(super) fn restore(config: ProjectionConfig) -> (Self, Arc<Shared<P>>) {
        let (checkpoint, state) = snapshot::load::<P>(&config.snapshot_dir).unwrap_or_default();
        let (sender, _) = watch::channel(checkpoint);
        let shared = Arc::new(Shared {
            state: RwLock::new(state),
            checkpoint: sender,
            failure: Mutex::new(None),
            applied: AtomicU64::new(0),
        });
        let keeper = Keeper {
            shared: Arc::clone(&shared),
            config,
            since_snapshot: 0,
            last_snapshot: Instant::now(),
            last_cost: Duration::ZERO,
            stopped: false,
        };
        (keeper, shared)
    }

    fn snapshot(&mut self) {
        let started = Instant::now();
        let checkpoint = *self.shared.checkpoint.borrow();
        let bytes = {
            let state = self.shared.state.read();
            snapshot::encode(checkpoint, &*state)
        };
        let written = match bytes {
            Ok(bytes) => snapshot::write(&self.config.snapshot_dir, P::NAME, &bytes)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match written {
            Ok(()) => {
                self.since_snapshot = 0;
                self.last_cost = started.elapsed();
                self.last_snapshot = Instant::now();
            }
            Err(e) => {
                tracing::error!(projection = P::NAME, error = %e, "snapshot failed; will retry");
            }
        }
    }

    fn snapshot_due(&self, gap: Duration) -> bool {
        self.since_snapshot > 0
            && self.last_snapshot.elapsed() >= gap.max(self.last_cost * SNAPSHOT_COST_RATIO)
    }
}

/// A handle on `shared` that keeps `group` alive.
pub(super) fn handle<P>(
    shared: Arc<Shared<P>>,
    group: Arc<dyn Send + Sync>,
) -> ProjectionHandle<P> {
    ProjectionHandle {
        shared,
        _group: group,
    }
}

impl<P: Projection> Member for Keeper<P> {
    fn next_position(&self) -> u64 {
        self.shared.checkpoint.borrow().map_or(0, |c| c + 1)
    }

    fn is_stopped(&self) -> bool {
        self.stopped
    }

    fn apply(&mut self, events: &[SharedEvent<'_>]) {
        if self.stopped {
            return;
        }
        let next = self.next_position();
        let start = events.partition_point(|e| e.recorded().position < next);
        let events = &events[start..];
        if events.is_empty() {
            return;
        }
        let mut last = None;
        let mut applied = 0;
        let mut failed = None;
        {
            let mut state = self.shared.state.write();
            for event in events {
                if let Err(e) = state.apply_shared(event) {
                    let event = event.recorded();
                    failed = Some(format!(
                        "event at position {} ({}): {e}",
                        event.position, event.event_type
                    ));
                    break;
                }
                last = Some(event.recorded().position);
                applied += 1;
            }
        }
        if last.is_some() {
            // Counted before the checkpoint moves (the watch channel's lock
            // orders the two): whoever sees a position applied also sees it
            // counted.
            self.shared.applied.fetch_add(applied, Ordering::Relaxed);
            self.shared.checkpoint.send_replace(last);
            self.since_snapshot += applied;
        }
        if let Some(reason) = failed {
            self.fail(reason);
            return;
        }
        if self.since_snapshot >= self.config.snapshot_every_events
            && self.snapshot_due(Duration::ZERO)
        {
            self.snapshot();
        }
    }

    fn fail(&mut self, reason: String) {
        tracing::error!(projection = P::NAME, %reason, "projection stopped");
        *self.shared.failure.lock() = Some(reason);
        self.stopped = true;
    }

    fn snapshot_if_due(&mut self, gap: Duration) {
        if self.snapshot_due(gap) {
            self.snapshot();
        }
    }

    fn snapshot_if_changed(&mut self) {
        if self.since_snapshot > 0 {
            self.snapshot();
        }
    }
}
