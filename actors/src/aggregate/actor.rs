//! The actor that owns one aggregate instance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use agora_events::domain::{DomainDecodeError, DomainEvent};
use agora_events::{
    EventMetadata, EventStore, ExpectedVersion, ReadDirection, StoreError, StreamName, Timestamp,
};
use uuid::Uuid;

use super::registry::Slot;
use super::{Aggregate, CommandContext};

/// How many times a command is retried after another writer moved the stream.
const MAX_CONFLICT_RETRIES: usize = 5;
/// Events read per step while catching up.
const CATCH_UP_PAGE: usize = 512;

/// A command for one instance.
pub struct Execute<A: Aggregate> {
    /// What to do.
    pub command: A::Command,
    /// The version the caller saw (`If-Match`); `None` decides on the latest.
    /// `Some(None)` means "the instance must not exist yet".
    pub expected_version: Option<Option<u64>>,
    /// A key that makes repeats of this command return the first outcome
    /// (from `Idempotency-Key`); it becomes the events' causation id.
    pub idempotency_key: Option<Uuid>,
    /// Correlation and actor for the events' metadata.
    pub metadata: EventMetadata,
    /// The decision time.
    pub now: Timestamp,
}

impl<A: Aggregate> Clone for Execute<A> {
    fn clone(&self) -> Self {
        Self {
            command: self.command.clone(),
            expected_version: self.expected_version,
            idempotency_key: self.idempotency_key,
            metadata: self.metadata.clone(),
            now: self.now,
        }
    }
}

/// What a command did.
#[derive(Debug)]
pub struct Executed<A: Aggregate> {
    /// The events recorded (empty: nothing changed).
    pub events: Vec<A::Event>,
    /// The instance's version after the command (`None`: it has no events).
    pub version: Option<u64>,
    /// The global position of the last event written (for read-your-writes);
    /// `None` when nothing was written.
    pub position: Option<u64>,
    /// Whether this answer repeats an earlier command with the same key.
    pub replayed: bool,
}

impl<A: Aggregate> Clone for Executed<A> {
    fn clone(&self) -> Self {
        Self {
            events: self.events.clone(),
            version: self.version,
            position: self.position,
            replayed: self.replayed,
        }
    }
}

/// Why a command was not carried out. Each variant says how to answer.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused: a rule of the domain (HTTP 409/422 per rule).
    #[error(transparent)]
    Domain(E),
    /// The caller's expected version is stale: reload and retry (HTTP 412).
    #[error("version mismatch: expected {expected:?}, current {actual:?}")]
    VersionMismatch {
        /// What the caller expected.
        expected: Option<u64>,
        /// The current version.
        actual: Option<u64>,
    },
    /// Other writers kept moving the stream; retry later (HTTP 409 / 503).
    #[error("the stream kept changing under the command; retry")]
    Contended,
    /// The store failed (HTTP 503, or 400 for invalid names).
    #[error("event store: {0}")]
    Store(Arc<StoreError>),
    /// The stream holds an event this build cannot read (HTTP 500).
    #[error("cannot read the aggregate's history: {0}")]
    History(String),
    /// The actor could not be reached (HTTP 503 + Retry-After).
    #[error("the aggregate is unavailable: {0}")]
    Unavailable(String),
}

impl<E: std::error::Error> From<StoreError> for CommandError<E> {
    fn from(e: StoreError) -> Self {
        Self::Store(Arc::new(e))
    }
}

impl<E: std::error::Error> From<DomainDecodeError> for CommandError<E> {
    fn from(e: DomainDecodeError) -> Self {
        Self::History(e.to_string())
    }
}

impl<A: Aggregate> Message for Execute<A> {
    type Result = Result<Executed<A>, CommandError<A::Error>>;
}

/// The aggregate's state and what the actor knows about its stream.
struct Loaded<A: Aggregate> {
    state: A,
    version: Option<u64>,
    /// Outcomes of keyed commands seen in the stream, by causation id.
    keyed: std::collections::HashMap<Uuid, Executed<A>>,
}

impl<A: Aggregate> Default for Loaded<A> {
    fn default() -> Self {
        Self {
            state: A::default(),
            version: None,
            keyed: Default::default(),
        }
    }
}

/// The actor around one aggregate instance.
pub(super) struct AggregateActor<A: Aggregate> {
    id: String,
    stream: StreamName,
    store: Arc<dyn EventStore>,
    /// `None` only while a command is running (it holds the state).
    loaded: Option<Loaded<A>>,
    idle_after: Duration,
    last_used: Instant,
    slot: Slot<A>,
}

impl<A: Aggregate> AggregateActor<A> {
    pub(super) fn new(
        id: String,
        stream: StreamName,
        store: Arc<dyn EventStore>,
        idle_after: Duration,
        slot: Slot<A>,
    ) -> Self {
        Self {
            id,
            stream,
            store,
            loaded: Some(Loaded::default()),
            idle_after,
            last_used: Instant::now(),
            slot,
        }
    }
}

impl<A: Aggregate> Actor for AggregateActor<A> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let tick = (self.idle_after / 2).max(Duration::from_millis(5));
        ctx.run_interval(tick, |actor, ctx| {
            if actor.loaded.is_some() && actor.last_used.elapsed() >= actor.idle_after {
                ctx.stop();
            }
        });
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.slot.release();
    }
}

impl<A: Aggregate> AggregateActor<A> {
    /// Runs `work` on the instance's state, moved out of the actor while it
    /// runs (the actor handles no other message meanwhile), and puts the
    /// state back with its answer. Should the work be dropped midway, the
    /// next message starts from a fresh state and catches up on the stream.
    fn with_state<R, Fut>(
        &mut self,
        work: impl FnOnce(Arc<dyn EventStore>, StreamName, String, Loaded<A>) -> Fut,
    ) -> AtomicResponse<Self, R>
    where
        R: 'static,
        Fut: Future<Output = (Loaded<A>, R)> + 'static,
    {
        self.last_used = Instant::now();
        let loaded = self.loaded.take().unwrap_or_default();
        let work = work(
            Arc::clone(&self.store),
            self.stream.clone(),
            self.id.clone(),
            loaded,
        );
        AtomicResponse::new(Box::pin(work.into_actor(self).map(
            |(loaded, outcome), actor, _| {
                actor.loaded = Some(loaded);
                actor.last_used = Instant::now();
                outcome
            },
        )))
    }
}

impl<A: Aggregate> Handler<Execute<A>> for AggregateActor<A> {
    type Result = AtomicResponse<Self, Result<Executed<A>, CommandError<A::Error>>>;

    fn handle(&mut self, msg: Execute<A>, _ctx: &mut Self::Context) -> Self::Result {
        self.with_state(|store, stream, id, mut loaded| async move {
            let outcome = execute(&*store, &stream, &id, &mut loaded, msg).await;
            (loaded, outcome)
        })
    }
}

/// Asks an instance for its current state (after catching up on its stream).
pub(super) struct Inspect<A>(pub(super) std::marker::PhantomData<A>);

/// An instance's state and version, as answered to [`Inspect`].
pub(super) type Snapshot<A> = (A, Option<u64>);

impl<A: Aggregate> Message for Inspect<A> {
    type Result = Result<Snapshot<A>, CommandError<<A as Aggregate>::Error>>;
}

impl<A: Aggregate> Handler<Inspect<A>> for AggregateActor<A> {
    type Result = AtomicResponse<Self, Result<Snapshot<A>, CommandError<A::Error>>>;

    fn handle(&mut self, _: Inspect<A>, _ctx: &mut Self::Context) -> Self::Result {
        self.with_state(|store, stream, _, mut loaded| async move {
            let outcome = catch_up(&*store, &stream, &mut loaded)
                .await
                .map(|()| (loaded.state.clone(), loaded.version));
            (loaded, outcome)
        })
    }
}

/// Reads the events appended after what `loaded` has seen and applies them.
async fn catch_up<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamName,
    loaded: &mut Loaded<A>,
) -> Result<(), CommandError<A::Error>> {
    loop {
        let from = loaded.version.map_or(0, |v| v + 1);
        let page = store
            .read_stream(stream, from, CATCH_UP_PAGE, ReadDirection::Forward)
            .await?;
        let done = page.len() < CATCH_UP_PAGE;
        for recorded in &page {
            let event = A::Event::from_recorded(recorded)?;
            loaded.state.apply(&event);
            loaded.version = Some(recorded.version);
            if let Some(key) = recorded.metadata.causation_id {
                let entry = loaded.keyed.entry(key).or_insert_with(|| Executed {
                    events: Vec::new(),
                    version: None,
                    position: None,
                    replayed: true,
                });
                entry.events.push(event);
                entry.version = Some(recorded.version);
                entry.position = Some(recorded.position);
            }
        }
        if done {
            return Ok(());
        }
    }
}

async fn execute<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamName,
    id: &str,
    loaded: &mut Loaded<A>,
    msg: Execute<A>,
) -> Result<Executed<A>, CommandError<A::Error>> {
    let ctx = CommandContext {
        aggregate_id: id.to_owned(),
        now: msg.now,
        actor_id: msg.metadata.actor_id.clone(),
    };
    for _ in 0..MAX_CONFLICT_RETRIES {
        catch_up(store, stream, loaded).await?;
        if let Some(key) = msg.idempotency_key
            && let Some(first) = loaded.keyed.get(&key)
        {
            return Ok(first.clone());
        }
        if let Some(expected) = msg.expected_version
            && expected != loaded.version
        {
            return Err(CommandError::VersionMismatch {
                expected,
                actual: loaded.version,
            });
        }
        let events = loaded
            .state
            .handle(&msg.command, &ctx)
            .map_err(CommandError::Domain)?;
        if events.is_empty() {
            return Ok(Executed {
                events,
                version: loaded.version,
                position: None,
                replayed: false,
            });
        }
        let metadata = EventMetadata {
            causation_id: msg.idempotency_key.or(msg.metadata.causation_id),
            ..msg.metadata.clone()
        };
        let mut batch = Vec::with_capacity(events.len());
        for event in &events {
            let new = event
                .to_new_event(metadata.clone())
                .map_err(|e| CommandError::History(e.to_string()))?;
            batch.push(new);
        }
        let expected = loaded
            .version
            .map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact);
        match store.append(stream, expected, batch).await {
            Ok(written) => {
                for event in &events {
                    loaded.state.apply(event);
                }
                loaded.version = Some(written.next_version - 1);
                let executed = Executed {
                    events,
                    version: loaded.version,
                    position: Some(written.position),
                    replayed: false,
                };
                if let Some(key) = msg.idempotency_key {
                    loaded.keyed.insert(
                        key,
                        Executed {
                            replayed: true,
                            ..executed.clone()
                        },
                    );
                }
                return Ok(executed);
            }
            // Another writer (another node) moved the stream: catch up, decide again.
            Err(StoreError::WrongExpectedVersion { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(CommandError::Contended)
}
