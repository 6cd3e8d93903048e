//! The actor that owns one aggregate instance.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use agora_events::domain::{DomainDecodeError, DomainEvent};
use agora_events::{
    EventMetadata, EventStore, ExpectedVersion, NewEvent, ReadDirection, StoreError, StreamName,
    Timestamp,
};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::registry::Slot;
use super::{Aggregate, CommandContext};

/// How many times a command is retried after another writer moved the stream.
const MAX_CONFLICT_RETRIES: usize = 5;
/// Events read per step while catching up.
const CATCH_UP_PAGE: usize = 512;
/// Most commands decided together and written with one append.
const MAX_BATCH: usize = 256;
/// Most jobs an instance holds waiting for their turn; more are refused at
/// once ([`CommandError::Unavailable`], HTTP 503) rather than piling up.
const MAX_QUEUED: usize = 4096;

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

/// Where a command's answer goes.
type Reply<A> = oneshot::Sender<CommandResult<A>>;
/// A command's answer.
type CommandResult<A> = Result<Executed<A>, CommandError<<A as Aggregate>::Error>>;

/// Work waiting for the instance, in arrival order.
enum Job<A: Aggregate> {
    Execute(Execute<A>, Reply<A>),
    Inspect(oneshot::Sender<Result<Snapshot<A>, CommandError<A::Error>>>),
}

/// The actor around one aggregate instance.
///
/// Commands wait in the actor's own queue. Whenever no step is running, the
/// actor takes every command waiting (up to [`MAX_BATCH`]), decides them one
/// after another against the state each earlier one left, and writes all
/// their events with **one** append (one expected version, one group
/// commit). Nobody hears an answer before that append is durable, so a
/// command refused because of an earlier one in the same batch is never told
/// so unless the earlier one really happened. Commands arriving while the
/// append is in flight form the next batch: a popular item pays one
/// `fdatasync` per batch, not per command.
pub(super) struct AggregateActor<A: Aggregate> {
    id: String,
    stream: StreamName,
    store: Arc<dyn EventStore>,
    /// `None` only while a step is running (it holds the state).
    loaded: Option<Loaded<A>>,
    queue: VecDeque<Job<A>>,
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
            queue: VecDeque::new(),
            idle_after,
            last_used: Instant::now(),
            slot,
        }
    }

    /// Queues `job`, refusing it at once when too much already waits.
    fn enqueue(&mut self, job: Job<A>, ctx: &mut Context<Self>) -> Result<(), Job<A>> {
        if self.queue.len() >= MAX_QUEUED {
            return Err(job);
        }
        self.queue.push_back(job);
        self.pump(ctx);
        Ok(())
    }

    /// Starts the next step if none is running: an [`Inspect`] alone, or a
    /// batch of the commands at the head of the queue.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        if self.queue.is_empty() {
            return;
        }
        let Some(loaded) = self.loaded.take() else {
            return; // a step is running; it pumps again when it ends
        };
        self.last_used = Instant::now();
        let store = Arc::clone(&self.store);
        let stream = self.stream.clone();
        let step: Pin<Box<dyn Future<Output = Loaded<A>>>> =
            if let Some(Job::Inspect(_)) = self.queue.front() {
                let Some(Job::Inspect(reply)) = self.queue.pop_front() else {
                    unreachable!("the head of the queue was just seen to be an inspection")
                };
                Box::pin(inspect(store, stream, loaded, reply))
            } else {
                let mut batch = Vec::new();
                while batch.len() < MAX_BATCH
                    && let Some(Job::Execute(..)) = self.queue.front()
                {
                    if let Some(Job::Execute(command, reply)) = self.queue.pop_front() {
                        batch.push((command, reply));
                    }
                }
                Box::pin(run_batch(store, stream, self.id.clone(), loaded, batch))
            };
        ctx.spawn(step.into_actor(self).map(|loaded, actor, ctx| {
            actor.loaded = Some(loaded);
            actor.last_used = Instant::now();
            actor.pump(ctx);
        }));
    }
}

impl<A: Aggregate> Actor for AggregateActor<A> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let tick = (self.idle_after / 2).max(Duration::from_millis(5));
        ctx.run_interval(tick, |actor, ctx| {
            if actor.loaded.is_some()
                && actor.queue.is_empty()
                && actor.last_used.elapsed() >= actor.idle_after
            {
                ctx.stop();
            }
        });
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.slot.release();
    }
}

fn stopped_before_answering<E: std::error::Error>() -> CommandError<E> {
    CommandError::Unavailable("the aggregate stopped before answering".into())
}

fn overloaded<E: std::error::Error>() -> CommandError<E> {
    CommandError::Unavailable("too many commands are waiting for this aggregate".into())
}

impl<A: Aggregate> Handler<Execute<A>> for AggregateActor<A> {
    type Result = ResponseFuture<CommandResult<A>>;

    fn handle(&mut self, msg: Execute<A>, ctx: &mut Self::Context) -> Self::Result {
        let (reply, answer) = oneshot::channel();
        if self.enqueue(Job::Execute(msg, reply), ctx).is_err() {
            return Box::pin(std::future::ready(Err(overloaded())));
        }
        Box::pin(async move {
            answer
                .await
                .unwrap_or_else(|_| Err(stopped_before_answering()))
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
    type Result = ResponseFuture<Result<Snapshot<A>, CommandError<A::Error>>>;

    fn handle(&mut self, _: Inspect<A>, ctx: &mut Self::Context) -> Self::Result {
        let (reply, answer) = oneshot::channel();
        if self.enqueue(Job::Inspect(reply), ctx).is_err() {
            return Box::pin(std::future::ready(Err(overloaded())));
        }
        Box::pin(async move {
            answer
                .await
                .unwrap_or_else(|_| Err(stopped_before_answering()))
        })
    }
}

/// Catches up and answers the state as it is now.
async fn inspect<A: Aggregate>(
    store: Arc<dyn EventStore>,
    stream: StreamName,
    mut loaded: Loaded<A>,
    reply: oneshot::Sender<Result<Snapshot<A>, CommandError<A::Error>>>,
) -> Loaded<A> {
    let answer = catch_up(&*store, &stream, &mut loaded)
        .await
        .map(|()| (loaded.state.clone(), loaded.version));
    let _ = reply.send(answer);
    loaded
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

/// Decides and writes one batch, then answers every command of it.
async fn run_batch<A: Aggregate>(
    store: Arc<dyn EventStore>,
    stream: StreamName,
    id: String,
    loaded: Loaded<A>,
    batch: Vec<(Execute<A>, Reply<A>)>,
) -> Loaded<A> {
    let (commands, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    let (loaded, answers) = execute_batch(&*store, &stream, &id, loaded, &commands).await;
    for (reply, answer) in replies.into_iter().zip(answers) {
        let _ = reply.send(answer);
    }
    loaded
}

/// What deciding one command of a batch came to.
enum Decided<A: Aggregate> {
    /// Answered without writing: refused, a repeat of a recorded command, or
    /// nothing to change. Holds only if the batch's append succeeds.
    Answered(CommandResult<A>),
    /// Writes these events; the instance is at `version` after them.
    Writes {
        events: Vec<A::Event>,
        version: Option<u64>,
        key: Option<Uuid>,
    },
    /// Repeats the earlier command of this batch at this index (same key).
    Repeats(usize),
}

/// A batch decided: one decision per command, and the events to append.
struct Decisions<A: Aggregate> {
    decided: Vec<Decided<A>>,
    batch: Vec<NewEvent>,
}

/// Decides `commands` in order and writes their events with one append,
/// retrying the whole batch when another writer moved the stream. Returns
/// the state to keep and one answer per command.
async fn execute_batch<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamName,
    id: &str,
    mut loaded: Loaded<A>,
    commands: &[Execute<A>],
) -> (Loaded<A>, Vec<CommandResult<A>>) {
    let all = |e: CommandError<A::Error>| vec![Err(e); commands.len()];
    for _ in 0..MAX_CONFLICT_RETRIES {
        if let Err(e) = catch_up(store, stream, &mut loaded).await {
            return (loaded, all(e));
        }
        let base = loaded.version;
        let Decisions { decided, batch } = match decide(&mut loaded, id, commands) {
            Ok(decided) => decided,
            // The state already holds some of the batch's events: drop it.
            Err(e) => return (Loaded::default(), all(e)),
        };
        if batch.is_empty() {
            let answers = resolve(&mut loaded, decided, None);
            return (loaded, answers);
        }
        let expected = base.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact);
        match store.append(stream, expected, batch).await {
            Ok(written) => {
                let answers = resolve(&mut loaded, decided, Some(written.position));
                return (loaded, answers);
            }
            // Another writer (another node) moved the stream: the decisions
            // were made on a stale state. Reload and decide again.
            Err(StoreError::WrongExpectedVersion { .. }) => loaded = Loaded::default(),
            Err(e) => return (Loaded::default(), all(e.into())),
        }
    }
    (Loaded::default(), all(CommandError::Contended))
}

/// Decides each command against the state the earlier ones left, applying
/// their events to `loaded` as it goes, and encodes the events to append.
fn decide<A: Aggregate>(
    loaded: &mut Loaded<A>,
    id: &str,
    commands: &[Execute<A>],
) -> Result<Decisions<A>, CommandError<A::Error>> {
    let mut decided = Vec::with_capacity(commands.len());
    let mut batch = Vec::new();
    let mut keyed_here: HashMap<Uuid, usize> = HashMap::new();
    for msg in commands {
        let recorded = msg.idempotency_key.and_then(|key| loaded.keyed.get(&key));
        let earlier = msg
            .idempotency_key
            .and_then(|key| keyed_here.get(&key).copied());
        let outcome = if let Some(first) = recorded {
            Decided::Answered(Ok(first.clone()))
        } else if let Some(index) = earlier {
            Decided::Repeats(index)
        } else if let Some(expected) = msg.expected_version
            && expected != loaded.version
        {
            Decided::Answered(Err(CommandError::VersionMismatch {
                expected,
                actual: loaded.version,
            }))
        } else {
            let ctx = CommandContext {
                aggregate_id: id.to_owned(),
                now: msg.now,
                actor_id: msg.metadata.actor_id.clone(),
            };
            match loaded.state.handle(&msg.command, &ctx) {
                Err(e) => Decided::Answered(Err(CommandError::Domain(e))),
                Ok(events) if events.is_empty() => Decided::Answered(Ok(Executed {
                    events,
                    version: loaded.version,
                    position: None,
                    replayed: false,
                })),
                Ok(events) => {
                    let metadata = EventMetadata {
                        causation_id: msg.idempotency_key.or(msg.metadata.causation_id),
                        ..msg.metadata.clone()
                    };
                    for event in &events {
                        let new = event
                            .to_new_event(metadata.clone())
                            .map_err(|e| CommandError::History(e.to_string()))?;
                        batch.push(new);
                        loaded.state.apply(event);
                        loaded.version = Some(loaded.version.map_or(0, |v| v + 1));
                    }
                    if let Some(key) = msg.idempotency_key {
                        keyed_here.insert(key, decided.len());
                    }
                    Decided::Writes {
                        events,
                        version: loaded.version,
                        key: msg.idempotency_key,
                    }
                }
            }
        };
        decided.push(outcome);
    }
    Ok(Decisions { decided, batch })
}

/// Turns the decisions into answers once the batch is durable at
/// `position` (the global position of its last event: read-your-writes
/// waits for that, which covers every command of the batch), and remembers
/// keyed outcomes for later repeats.
fn resolve<A: Aggregate>(
    loaded: &mut Loaded<A>,
    decided: Vec<Decided<A>>,
    position: Option<u64>,
) -> Vec<CommandResult<A>> {
    let mut answers: Vec<CommandResult<A>> = Vec::with_capacity(decided.len());
    for outcome in decided {
        let answer = match outcome {
            Decided::Answered(answer) => answer,
            Decided::Writes {
                events,
                version,
                key,
            } => {
                let executed = Executed {
                    events,
                    version,
                    position,
                    replayed: false,
                };
                if let Some(key) = key {
                    let repeat = Executed {
                        replayed: true,
                        ..executed.clone()
                    };
                    loaded.keyed.insert(key, repeat);
                }
                Ok(executed)
            }
            Decided::Repeats(index) => match answers.get(index) {
                Some(Ok(first)) => Ok(Executed {
                    replayed: true,
                    ..first.clone()
                }),
                Some(Err(e)) => Err(e.clone()),
                None => Err(CommandError::History(
                    "a repeated command points past its batch".into(),
                )),
            },
        };
        answers.push(answer);
    }
    answers
}
