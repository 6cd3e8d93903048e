//! The actor that keeps one projection up to date.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix::prelude::*;
use agora_events::{EventStore, RecordedEvent, StoreResult};
use futures::StreamExt;
use parking_lot::{Mutex, RwLock};
use tokio::sync::watch;

use super::{Projection, ProjectionConfig, ProjectionError, snapshot};

struct Shared<P> {
    state: RwLock<P>,
    checkpoint: watch::Sender<Option<u64>>,
    failure: Mutex<Option<String>>,
    applied: AtomicU64,
}

/// Read access to a running projection. Cheap to clone.
pub struct ProjectionHandle<P> {
    shared: Arc<Shared<P>>,
    _arbiter: Arc<ArbiterGuard>,
}

impl<P> Clone for ProjectionHandle<P> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            _arbiter: Arc::clone(&self._arbiter),
        }
    }
}

/// Stops the projection's arbiter (and so its actor, which snapshots on the
/// way out) when the last handle goes, and waits for it.
struct ArbiterGuard(Option<Arbiter>);

impl Drop for ArbiterGuard {
    fn drop(&mut self) {
        if let Some(arbiter) = self.0.take() {
            arbiter.stop();
            if arbiter.join().is_err() {
                tracing::error!("a projection arbiter panicked");
            }
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

/// Most events applied under one write lock: what the subscription has
/// ready, up to this many (a few milliseconds of work at most, so readers
/// never wait long).
const CHUNK_EVENTS: usize = 256;

/// A snapshot writes the whole state, so its cost grows with the state. The
/// runner waits this many times the last snapshot's duration before the
/// next, so snapshots take at most about 1/50 of its thread whatever the
/// state's size (a snapshot is for a faster restart; the log is the truth).
const SNAPSHOT_COST_RATIO: u32 = 50;

struct Runner<P: Projection> {
    shared: Arc<Shared<P>>,
    store: Arc<dyn EventStore>,
    config: ProjectionConfig,
    since_snapshot: u64,
    /// When the last snapshot ended (or the runner started).
    last_snapshot: Instant,
    /// How long the last snapshot took.
    last_cost: Duration,
}

impl<P: Projection> Runner<P> {
    /// Whether the state changed and the last snapshot is old enough:
    /// `gap` ago at least, and [`SNAPSHOT_COST_RATIO`] times its own cost.
    fn snapshot_due(&self, gap: Duration) -> bool {
        self.since_snapshot > 0
            && self.last_snapshot.elapsed() >= gap.max(self.last_cost * SNAPSHOT_COST_RATIO)
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
}

impl<P: Projection> Actor for Runner<P> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let from = self.shared.checkpoint.borrow().map_or(0, |c| c + 1);
        ctx.add_stream(self.store.subscribe_all(from).ready_chunks(CHUNK_EVENTS));
        ctx.run_interval(self.config.snapshot_interval, |runner, _| {
            if runner.snapshot_due(runner.config.snapshot_interval) {
                runner.snapshot();
            }
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        if self.since_snapshot > 0 {
            self.snapshot();
        }
    }
}

impl<P: Projection> StreamHandler<Vec<StoreResult<RecordedEvent>>> for Runner<P> {
    /// Applies the events the subscription had ready, in order, under one
    /// write lock and with one checkpoint update: readers see the state
    /// before the chunk or after it (or after its last good event).
    fn handle(&mut self, chunk: Vec<StoreResult<RecordedEvent>>, ctx: &mut Self::Context) {
        let mut last = None;
        let mut applied = 0;
        let mut stopped = None;
        {
            let mut state = self.shared.state.write();
            for item in chunk {
                let event = match item {
                    Ok(event) => event,
                    Err(e) => {
                        tracing::error!(projection = P::NAME, error = %e, "reading $all failed; projection stopped");
                        stopped = Some(e.to_string());
                        break;
                    }
                };
                if let Err(e) = state.apply(&event) {
                    let reason = format!(
                        "event at position {} ({}): {e}",
                        event.position, event.event_type
                    );
                    tracing::error!(projection = P::NAME, %reason, "projection stopped");
                    stopped = Some(reason);
                    break;
                }
                last = Some(event.position);
                applied += 1;
            }
        }
        if last.is_some() {
            self.shared.checkpoint.send_replace(last);
            self.shared.applied.fetch_add(applied, Ordering::Relaxed);
            self.since_snapshot += applied;
        }
        if let Some(reason) = stopped {
            *self.shared.failure.lock() = Some(reason);
            ctx.stop();
            return;
        }
        if self.since_snapshot >= self.config.snapshot_every_events
            && self.snapshot_due(Duration::ZERO)
        {
            self.snapshot();
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        // The store closed: nothing more will come.
        ctx.stop();
    }
}

/// Starts projection `P` over `store` on its own arbiter, resuming from its
/// snapshot in `config.snapshot_dir` (or from the start of the log). Must be
/// called inside a running actix `System`.
pub fn start<P: Projection>(
    store: Arc<dyn EventStore>,
    config: ProjectionConfig,
) -> Result<ProjectionHandle<P>, ProjectionError> {
    std::fs::create_dir_all(&config.snapshot_dir).map_err(|source| ProjectionError::Io {
        context: format!("creating {}", config.snapshot_dir.display()),
        source,
    })?;
    let (checkpoint, state) = snapshot::load::<P>(&config.snapshot_dir).unwrap_or_default();
    let (sender, _) = watch::channel(checkpoint);
    let shared = Arc::new(Shared {
        state: RwLock::new(state),
        checkpoint: sender,
        failure: Mutex::new(None),
        applied: AtomicU64::new(0),
    });
    let arbiter = Arbiter::new();
    let runner = Runner {
        shared: Arc::clone(&shared),
        store,
        config,
        since_snapshot: 0,
        last_snapshot: Instant::now(),
        last_cost: Duration::ZERO,
    };
    Runner::start_in_arbiter(&arbiter.handle(), move |_| runner);
    Ok(ProjectionHandle {
        shared,
        _arbiter: Arc::new(ArbiterGuard(Some(arbiter))),
    })
}
