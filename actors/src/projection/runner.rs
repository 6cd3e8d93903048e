//! The actor that keeps a group of projections up to date from one
//! subscription to `$all`.
//!
//! Every projection folds the same events, so the group reads each event
//! once and hands the chunk the subscription had ready to every member: no
//! per-projection copy of each event, no per-projection wake-up. Members
//! apply a chunk in parallel on the group's own thread pool (one thread per
//! core, at most one per member), so more cores simply go faster; each
//! member applies under its own write lock, so a query waits only for its
//! own projection. A member behind the others (an older snapshot) skips
//! what it has already applied; a member that fails stops alone.

use std::sync::Arc;

use actix::prelude::*;
use agora_events::{EventStore, RecordedEvent, StoreResult};
use futures::StreamExt;
use parking_lot::Mutex;
use rayon::prelude::*;

use super::keeper::{self, Keeper, Member};
use super::{Projection, ProjectionConfig, ProjectionError, ProjectionHandle, SharedEvent};

/// Most events applied at once: what the subscription has ready, up to
/// this many (a few milliseconds of work at most, so readers waiting for a
/// position never wait long).
const CHUNK_EVENTS: usize = 256;

/// Stops the group's arbiters (and so their actors, which snapshot every
/// member on the way out) when the last handle goes, and waits for them.
#[derive(Default)]
struct ArbiterGuard(Mutex<Vec<Arbiter>>);

impl Drop for ArbiterGuard {
    fn drop(&mut self) {
        for arbiter in self.0.get_mut().drain(..) {
            arbiter.stop();
            if arbiter.join().is_err() {
                tracing::error!("a projection arbiter panicked");
            }
        }
    }
}

/// Projections fed by one subscription, built by [`ProjectionGroup::add`]
/// and started by [`ProjectionGroup::start`].
pub struct ProjectionGroup {
    store: Arc<dyn EventStore>,
    config: ProjectionConfig,
    members: Vec<Box<dyn Member>>,
    arbiters: Arc<ArbiterGuard>,
}

impl ProjectionGroup {
    /// An empty group over `store`, snapshotting into
    /// `config.snapshot_dir`. Must be called inside a running actix
    /// `System`.
    pub fn new(
        store: Arc<dyn EventStore>,
        config: ProjectionConfig,
    ) -> Result<Self, ProjectionError> {
        std::fs::create_dir_all(&config.snapshot_dir).map_err(|source| ProjectionError::Io {
            context: format!("creating {}", config.snapshot_dir.display()),
            source,
        })?;
        Ok(Self {
            store,
            config,
            members: Vec::new(),
            arbiters: Arc::new(ArbiterGuard::default()),
        })
    }

    /// Adds projection `P`, resumed from its snapshot (or from the start of
    /// the log). Its handle answers queries at once; events are applied
    /// once the group is started.
    pub fn add<P: Projection>(&mut self) -> ProjectionHandle<P> {
        let (keeper, shared) = Keeper::<P>::restore(self.config.clone());
        self.members.push(Box::new(keeper));
        let group: Arc<dyn Send + Sync> = self.arbiters.clone();
        keeper::handle(shared, group)
    }

    /// Subscribes to `$all` from the first position some member has not
    /// applied and starts applying. The group runs while any handle lives.
    ///
    /// Members within [`ProjectionConfig::catch_up_gap`] events of the most
    /// advanced one share one runner; each member further behind gets a
    /// runner (and a subscription) of its own until the next start, so a
    /// projection rebuilt from zero does not hold the others back.
    pub fn start(self) -> Result<(), ProjectionError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(self.members.len());
        let pool = if threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("projection-{i}"))
                .build()
                .map_err(|e| ProjectionError::Io {
                    context: "starting the projection threads".into(),
                    source: std::io::Error::other(e),
                })?;
            Some(Arc::new(pool))
        } else {
            None
        };
        let positions: Vec<u64> = self.members.iter().map(|m| m.next_position()).collect();
        let mut members: Vec<Option<Box<dyn Member>>> =
            self.members.into_iter().map(Some).collect();
        let mut arbiters = self.arbiters.0.lock();
        for cohort in cohorts(&positions, self.config.catch_up_gap) {
            let runner = Runner {
                store: Arc::clone(&self.store),
                config: self.config.clone(),
                members: cohort.iter().filter_map(|&i| members[i].take()).collect(),
                pool: pool.clone(),
            };
            let arbiter = Arbiter::new();
            Runner::start_in_arbiter(&arbiter.handle(), move |_| runner);
            arbiters.push(arbiter);
        }
        Ok(())
    }
}

/// Splits members by their first unapplied position: the indexes of those
/// within `gap` of the most advanced one together, then each member further
/// behind alone.
fn cohorts(positions: &[u64], gap: u64) -> Vec<Vec<usize>> {
    let Some(&front) = positions.iter().max() else {
        return Vec::new();
    };
    let (current, behind): (Vec<usize>, Vec<usize>) =
        (0..positions.len()).partition(|&i| positions[i].saturating_add(gap) >= front);
    std::iter::once(current)
        .chain(behind.into_iter().map(|i| vec![i]))
        .collect()
}

struct Runner {
    store: Arc<dyn EventStore>,
    config: ProjectionConfig,
    members: Vec<Box<dyn Member>>,
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl Runner {
    fn for_each_member(&mut self, f: impl Fn(&mut Box<dyn Member>) + Send + Sync) {
        match &self.pool {
            Some(pool) => pool.install(|| self.members.par_iter_mut().for_each(f)),
            None => self.members.iter_mut().for_each(f),
        }
    }
}

impl Actor for Runner {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let from = self
            .members
            .iter()
            .map(|m| m.next_position())
            .min()
            .unwrap_or(0);
        ctx.add_stream(self.store.subscribe_all(from).ready_chunks(CHUNK_EVENTS));
        let gap = self.config.snapshot_interval;
        ctx.run_interval(gap, move |runner, _| {
            runner.for_each_member(|m| m.snapshot_if_due(gap));
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.for_each_member(|m| m.snapshot_if_changed());
    }
}

impl StreamHandler<Vec<StoreResult<RecordedEvent>>> for Runner {
    /// Applies the events the subscription had ready to every member, each
    /// in order under its own write lock with one checkpoint update: readers
    /// of a projection see its state before the chunk or after it (or after
    /// its last good event).
    fn handle(&mut self, chunk: Vec<StoreResult<RecordedEvent>>, ctx: &mut Self::Context) {
        let mut events = Vec::with_capacity(chunk.len());
        let mut read_error = None;
        for item in chunk {
            match item {
                Ok(event) => events.push(event),
                Err(e) => {
                    read_error = Some(e.to_string());
                    break;
                }
            }
        }
        if !events.is_empty() {
            let shared: Vec<SharedEvent<'_>> = events.iter().map(SharedEvent::new).collect();
            let shared = &shared;
            self.for_each_member(|m| m.apply(shared));
        }
        if let Some(e) = read_error {
            tracing::error!(error = %e, "reading $all failed; projections stopped");
            for member in &mut self.members {
                member.fail(format!("reading $all failed: {e}"));
            }
        }
        if self.members.iter().all(|m| m.is_stopped()) {
            ctx.stop();
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        // The store closed: nothing more will come.
        ctx.stop();
    }
}

/// Starts projection `P` alone over `store` (a group of one), resuming
/// from its snapshot in `config.snapshot_dir` (or from the start of the
/// log). Must be called inside a running actix `System`.
pub fn start<P: Projection>(
    store: Arc<dyn EventStore>,
    config: ProjectionConfig,
) -> Result<ProjectionHandle<P>, ProjectionError> {
    let mut group = ProjectionGroup::new(store, config)?;
    let handle = group.add::<P>();
    group.start()?;
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use agora_events::{ExpectedVersion, LogConfig, LogStore, NewEvent, StreamName};
    use serde::{Deserialize, Serialize};

    use super::*;

    const WAIT: Duration = Duration::from_secs(10);

    /// Every position it saw, in order.
    #[derive(Default, Serialize, Deserialize)]
    struct Seen(Vec<u64>);

    impl Projection for Seen {
        const NAME: &'static str = "seen";
        const VERSION: u32 = 1;
        fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
            let event = event.recorded();
            self.0.push(event.position);
            Ok(())
        }
    }

    /// Like [`Seen`], but stops at a `Poison` event.
    #[derive(Default, Serialize, Deserialize)]
    struct Picky(Vec<u64>);

    impl Projection for Picky {
        const NAME: &'static str = "picky";
        const VERSION: u32 = 1;
        fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
            let event = event.recorded();
            if event.event_type == "Poison" {
                return Err("poisoned".into());
            }
            self.0.push(event.position);
            Ok(())
        }
    }

    async fn append(store: &LogStore, event_type: &str, n: usize) {
        let stream = StreamName::new("thing-1").expect("stream name");
        for _ in 0..n {
            store
                .append(
                    &stream,
                    ExpectedVersion::Any,
                    vec![NewEvent::new(event_type, b"{}".to_vec())],
                )
                .await
                .expect("append");
        }
    }

    fn group(
        store: &Arc<LogStore>,
        dir: &std::path::Path,
    ) -> (ProjectionHandle<Seen>, ProjectionHandle<Picky>) {
        let store: Arc<dyn EventStore> = store.clone();
        // A small catch-up gap: a member 10 events behind runs alone.
        let config = ProjectionConfig {
            catch_up_gap: 3,
            ..ProjectionConfig::new(dir)
        };
        let mut group = ProjectionGroup::new(store, config).expect("group");
        let seen = group.add::<Seen>();
        let picky = group.add::<Picky>();
        group.start().expect("start");
        (seen, picky)
    }

    #[test]
    fn members_far_behind_catch_up_alone() {
        assert_eq!(cohorts(&[], 10), Vec::<Vec<usize>>::new());
        assert_eq!(cohorts(&[100, 95, 90], 10), vec![vec![0, 1, 2]]);
        assert_eq!(
            cohorts(&[100, 0, 95, 89], 10),
            vec![vec![0, 2], vec![1], vec![3]]
        );
        assert_eq!(cohorts(&[0, 0], 10), vec![vec![0, 1]]);
    }

    #[actix_rt::test]
    async fn every_member_applies_each_event_once_and_resumes_from_its_own_snapshot() {
        let dir = tempfile::tempdir().expect("tmp");
        let store =
            Arc::new(LogStore::open(dir.path().join("log"), LogConfig::default()).expect("open"));
        let snapshots = dir.path().join("projections");
        append(&store, "Thing", 10).await;
        let (seen, picky) = group(&store, &snapshots);
        assert!(seen.wait_for(9, WAIT).await && picky.wait_for(9, WAIT).await);
        assert_eq!(seen.read(|s| s.0.clone()), (0..10).collect::<Vec<_>>());
        assert_eq!(picky.read(|s| s.0.clone()), (0..10).collect::<Vec<_>>());
        // The last handle stops the group, which snapshots both.
        drop((seen, picky));
        append(&store, "Thing", 5).await;
        // One member starts over (alone: it is 10 events behind), the other
        // resumes after position 9.
        std::fs::remove_file(snapshots.join("seen.snapshot")).expect("remove a snapshot");
        let (seen, picky) = group(&store, &snapshots);
        assert!(seen.wait_for(14, WAIT).await && picky.wait_for(14, WAIT).await);
        assert_eq!(seen.read(|s| s.0.clone()), (0..15).collect::<Vec<_>>());
        assert_eq!(picky.read(|s| s.0.clone()), (0..15).collect::<Vec<_>>());
        assert_eq!((seen.applied(), picky.applied()), (15, 5));
    }

    #[actix_rt::test]
    async fn a_failing_member_stops_alone_at_the_event_before() {
        let dir = tempfile::tempdir().expect("tmp");
        let store =
            Arc::new(LogStore::open(dir.path().join("log"), LogConfig::default()).expect("open"));
        let (seen, picky) = group(&store, &dir.path().join("projections"));
        append(&store, "Thing", 3).await;
        append(&store, "Poison", 1).await;
        append(&store, "Thing", 3).await;
        assert!(seen.wait_for(6, WAIT).await);
        assert_eq!(seen.read(|s| s.0.len()), 7);
        // Members apply a chunk side by side: the other may finish later.
        let started = std::time::Instant::now();
        while picky.failure().is_none() && started.elapsed() < WAIT {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(picky.checkpoint(), Some(2));
        assert_eq!(picky.read(|s| s.0.clone()), vec![0, 1, 2]);
        let failure = picky.failure().expect("picky stopped");
        assert!(
            failure.contains("position 3") && failure.contains("poisoned"),
            "{failure}"
        );
        assert_eq!(seen.failure(), None);
    }
}
