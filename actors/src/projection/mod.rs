//! Projections: read models kept by consuming `$all`.
//!
//! A [`Projection`] is a deterministic fold over events. A
//! [`ProjectionGroup`] runs several in one actor on its own arbiter: each
//! restores its last snapshot (state and checkpoint saved together in one
//! file, so a crash can never apply an event twice or skip one); the group
//! subscribes to `$all` once, after the oldest checkpoint, hands every
//! chunk of events to all members (in parallel across cores) and each
//! snapshots every many thousand events or seconds. A member far behind the
//! others at start catches up in an actor (and subscription) of its own.
//! [`start`] runs one projection alone.
//! Queries go through a [`ProjectionHandle`]: they read the state under a
//! shared lock and may first wait until a given position is applied
//! (read-your-writes).

pub mod bodies;
pub mod catalog;
pub(crate) mod content_stream;
pub mod contracts;
pub mod dashboard;
pub mod discussions;
pub mod interactions;
mod keeper;
pub mod ledger;
pub mod library;
pub mod memberships;
pub mod money;
pub mod near_dup;
mod replay;
pub mod requirements;
mod runner;
mod snapshot;
pub mod users;
pub mod vendors;

use std::path::PathBuf;
use std::time::Duration;

use agora_events::RecordedEvent;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use content_stream::SharedEvent;
pub use keeper::ProjectionHandle;
pub use replay::{ReplayError, ReplayReport, replay};
pub use runner::{ProjectionGroup, start};

/// A read model folded from events.
///
/// Guarantees expected of implementors: `apply` is deterministic, depends
/// only on the state and the event, and ignores events it does not use; the
/// state serializes deterministically (ordered maps), so a rebuild from zero
/// gives a byte-identical snapshot.
pub trait Projection: Default + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stable name: the snapshot's file name and the metrics label.
    const NAME: &'static str;
    /// Bump when the state's shape or meaning changes: an older snapshot is
    /// then discarded and the model rebuilt from the log.
    const VERSION: u32;

    /// Folds one event in. An error stops the projection at this event
    /// (queries keep the state before it) until a fixed build runs. The
    /// event's content payload is decoded at most once for all the
    /// projections of a group (see [`SharedEvent`]).
    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String>;

    /// Folds one recorded event in, as [`Projection::apply_shared`] does.
    fn apply(&mut self, event: &RecordedEvent) -> Result<(), String> {
        self.apply_shared(&SharedEvent::new(event))
    }
}

/// Settings of a projection runner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectionConfig {
    /// Where snapshots live (`{dir}/{NAME}.snapshot`).
    pub snapshot_dir: PathBuf,
    /// Snapshot after this many applied events (default 100,000: a
    /// restart replays at most about that many from the log, well under a
    /// second).
    pub snapshot_every_events: u64,
    /// Snapshot at least this often while events arrive (default 30 s).
    ///
    /// Either way, the next snapshot waits at least 50 times as long as
    /// the last one took, so writing snapshots of a large state never
    /// takes more than about 2 % of a projection's time.
    pub snapshot_interval: Duration,
    /// A projection of a group this many events behind the most advanced
    /// one at start (rebuilt from zero, new, an old snapshot) catches up on
    /// a runner of its own, so it does not hold the others back (default
    /// 50,000).
    pub catch_up_gap: u64,
}

impl ProjectionConfig {
    /// Defaults with snapshots in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            snapshot_dir: dir.into(),
            snapshot_every_events: 100_000,
            snapshot_interval: Duration::from_secs(30),
            catch_up_gap: 50_000,
        }
    }
}

/// Why a projection could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The snapshot directory could not be used.
    #[error("projection snapshot I/O {context}: {source}")]
    Io {
        /// What the runner was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}
